"""Ranking: the next-cheapest distinct purchases, and each bid's own best plan."""

from __future__ import annotations

from optimizer.plan.diagnose import relaxation_text
from optimizer.plan.model import load_demand
from optimizer.plan.optimize import solve_max_load, solve_min_cost
from optimizer.plan.result import Design, OfferOutcome, OfferSummary, Plan
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario


def alternatives(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], best: Plan) -> list[Plan]:
    """Next-cheapest distinct purchases: exclude each plan found and re-solve."""
    found = [best]
    while len(found) < scenario.search.ranked_plans:
        _, plan, _, _ = solve_min_cost(scenario, designs, terms, rank=len(found) + 1, forbid=tuple(p.servers for p in found))
        if plan is None:
            break
        found.append(plan)
    return found[1:]


def best_per_offer(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], summaries: dict[str, OfferSummary],
    only: str | None = None,
) -> list[OfferOutcome]:
    """Each bid's own best plan (only one bid's, when `only` names it). Hardware already owned is
    part of every bid's plan (it is there whichever bid wins), so owned offers get no row of their own."""
    out = []
    owned = {oid for oid, t in terms.items() if t.owned}
    for oid in (terms if only is None else [only]):
        if oid in owned:
            out.append(OfferOutcome(oid, None, "owned hardware: counted in every bid's plan"))
            continue
        own = [d for d in designs if d.offer_id == oid or d.offer_id in owned]
        if not any(d.offer_id == oid for d in own):
            out.append(OfferOutcome(oid, None, "; ".join(summaries[oid].reasons) or "no design meets the SLAs"))
            continue
        if scenario.objective.kind == "max_load":
            _, plan = solve_max_load(scenario, own, terms, min_served=load_demand(scenario), only_offer=oid)
            out.append(OfferOutcome(oid, plan, None if plan else "cannot serve the minimum load"))
            continue
        _, plan, _, _ = solve_min_cost(scenario, own, terms, rank=0, only_offer=oid, relax=frozenset({"single_vendor"}))
        if plan is not None:
            out.append(OfferOutcome(oid, plan, None))
            continue
        relaxed = relaxation_text(scenario, own, terms, only_offer=oid)
        out.append(OfferOutcome(oid, None, relaxed or "cannot cover the load"))
    return out
