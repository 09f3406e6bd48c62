"""Ranking: the next-cheapest distinct purchases, and each bid's own best plan."""

from __future__ import annotations

from optimizer.plan.diagnose import relaxation_text
from optimizer.plan.model import base_model, forbid_purchase, load_demand
from optimizer.plan.optimize import cheapest_plan, restrict_to_offer, solve_max_load, solve_min_cost
from optimizer.plan.result import Design, OfferOutcome, OfferSummary, Plan
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario


def alternatives(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], best: Plan) -> list[Plan]:
    """Next-cheapest distinct purchases: exclude each plan found and re-solve. One model serves
    every rank: each found purchase adds its exclusion to it (a model per rank would rebuild the
    same variables and constraints each time)."""
    found = [best]
    v = base_model(scenario, designs, terms)
    while len(found) < scenario.search.ranked_plans:
        forbid_purchase(v, found[-1].servers)
        _, plan, _, _ = cheapest_plan(v, designs, terms, rank=len(found) + 1)
        if plan is None:
            break
        found.append(plan)
    return found[1:]


def best_per_offer(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], summaries: dict[str, OfferSummary],
) -> list[OfferOutcome]:
    """Each bid's own best plan. Hardware already owned is part of every bid's plan (it is there
    whichever bid wins), so owned offers get no row of their own."""
    return [_offer_outcome(scenario, oid, *restrict_to_offer(designs, terms, oid), summaries) for oid in terms]


def _offer_outcome(
    scenario: Scenario, oid: str, own: list[Design], terms: dict[str, OfferTerms], summaries: dict[str, OfferSummary]
) -> OfferOutcome:
    """One bid's row, from its own designs and terms (with owned hardware's)."""
    if terms[oid].owned:
        return OfferOutcome(oid, None, "owned hardware: counted in every bid's plan")
    if not any(d.offer_id == oid for d in own):
        return OfferOutcome(oid, None, "; ".join(summaries[oid].reasons) or "no design meets the SLAs")
    if scenario.objective.kind == "max_load":
        _, plan = solve_max_load(scenario, own, terms, min_served=load_demand(scenario))
        return OfferOutcome(oid, plan, None if plan else "cannot serve the minimum load")
    _, plan, _, _ = solve_min_cost(scenario, own, terms, rank=0, relax=frozenset({"single_vendor"}))
    if plan is not None:
        return OfferOutcome(oid, plan, None)
    return OfferOutcome(oid, None, relaxation_text(scenario, own, terms) or "cannot cover the load")
