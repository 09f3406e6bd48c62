"""Helpers shared by the bid comparison and the sweeps: re-pricing an offer, restricting a plan to
some offers, the cheapest plan of a restriction, offers per vendor, the winner of a plan."""

from __future__ import annotations

from collections.abc import Callable

from optimizer.errors import InputError
from optimizer.plan.optimize import solve_min_cost
from optimizer.plan.result import Design, Plan
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario

Progress = Callable[[int, int], None]


def with_server_price(scenario: Scenario, offer_id: str, price_rmb: float) -> Scenario:
    """The scenario with one offer re-priced per server (its per-card and catalog prices dropped).
    Hardware already owned has no price to move."""
    if any(o.id == offer_id and o.owned for o in scenario.offers):
        raise InputError("--price", offer_id, "is hardware already owned: it has no price", "sweep the price of a bid instead")
    if any(o.id == offer_id and o.unpriced for o in scenario.offers):
        raise InputError("--price", offer_id, "is a bid with no price yet (price_kind: unknown): the solve gives the most it can "
                         "cost per server and still match the recommendation", "give it a price in the scenario to sweep it")
    offers = [
        o.model_copy(update={
            "price_rmb_per_server": price_rmb, "price_rmb_per_card": None, "use_catalog_price": None,
            "server_base_rmb": 0, "price_kind": "quote",
        }) if o.id == offer_id else o
        for o in scenario.offers
    ]
    if not any(o.id == offer_id for o in scenario.offers):
        raise InputError("--price", offer_id, "is not an offer of the scenario", f"use one of: {', '.join(o.id for o in scenario.offers)}")
    return scenario.model_copy(update={"offers": offers})


def winner_of(plan: Plan | None, terms: dict[str, OfferTerms]) -> str | None:
    """The offer that carries the plan (by spend; several joined with '+' for a mixed fleet)."""
    if plan is None or not plan.servers:
        return None
    ranked = sorted(plan.servers, key=lambda o: (-terms[o].cost_rmb_per_server * plan.servers[o], o))
    return " + ".join(ranked)


def restrict(
    designs: list[Design], terms: dict[str, OfferTerms], only: set[str] | None
) -> tuple[list[Design], dict[str, OfferTerms]]:
    """Keep the offers in `only`, and hardware already owned (it is there whoever wins)."""
    if only is None:
        return designs, terms
    keep = only | {o for o, t in terms.items() if t.owned}
    return [d for d in designs if d.offer_id in keep], {o: t for o, t in terms.items() if o in keep}


def min_cost(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], only: set[str] | None = None) -> Plan | None:
    designs, terms = restrict(designs, terms, only)
    return solve_min_cost(scenario, designs, terms)[1]


def vendors_of(scenario: Scenario) -> dict[str, set[str]]:
    """Offers per vendor, owned hardware (it joins every vendor's plan, see restrict) and bids not yet priced left out."""
    out: dict[str, set[str]] = {}
    for o in scenario.offers:
        if not o.owned and not o.unpriced:
            out.setdefault(o.vendor, set()).add(o.id)
    return dict(sorted(out.items()))
