"""Bids with no price yet (`price_kind: unknown`): each is sized on its own, as if it were the only
bid (hardware already owned included), and the report gives the servers it needs and the most a
server may cost for it to cost no more than the recommended plan.

The bid is solved at a nominal price of RMB 1 a server, so its cheapest plan is the one buying the
fewest of its servers; that plan stays the cheapest at any price per server. Its cost at a price p
is p x n + the rest (energy under TCO, owned hardware's energy), so it ties the recommended plan's
cost W at p = (W - rest) / n. The budget and the supply cases are left out of the sizing: neither
means anything without a price. Nor is the bid's stock: a bid that needs more servers than it
offers is sized anyway, and the report says so beside the count. Under a most-load objective the
bid is sized at least cost for the scenario's load, with no break-even price (the recommendation
is not priced against it).
"""

from __future__ import annotations

from optimizer.check import check_result
from optimizer.plan import solve as plan_solve
from optimizer.plan.result import SolveResult, UnpricedBid
from optimizer.problem import Problem
from optimizer.scenario import Offer

NOMINAL_RMB_PER_SERVER = 1  # makes the cheapest plan the one with the fewest servers of the bid; never reported
SIZING_STOCK = 4096         # servers the sizing may buy beyond the bid's stock (the report flags the excess)


def size_unpriced(problem: Problem, result: SolveResult) -> tuple[UnpricedBid, ...]:
    """Each unpriced bid's own plan (at the scenario's confidence), its servers at the central
    estimate, and its break-even price per server against the recommended plan."""
    recommended = result.plans[0].cost_rmb if result.plans and problem.scenario.objective.kind != "max_load" else None
    return tuple(_size(problem, offer, recommended) for offer in problem.unpriced)


def _size(problem: Problem, offer: Offer, recommended_rmb: int | None) -> UnpricedBid:
    s = problem.scenario
    priced = offer.model_copy(update={"price_rmb_per_server": NOMINAL_RMB_PER_SERVER, "price_kind": "quote",
                                      "available_servers": max(offer.available_servers, SIZING_STOCK)})
    constraints = s.constraints.model_copy(update={"budget_rmb": None, "robust_to": [], "single_vendor": False})
    objective = s.objective.model_copy(update={"kind": "capex"}) if s.objective.kind == "max_load" else s.objective
    alone = s.model_copy(update={"offers": [priced, *(o for o in s.offers if o.owned)], "constraints": constraints, "objective": objective})
    sized = plan_solve.solve(problem.with_scenario(alone))
    check_result(sized)
    plan = sized.plans[0] if sized.plans else None
    if plan is None:
        reason = next((o.reason for o in sized.per_offer if o.offer_id == offer.id and o.reason), None)
        return UnpricedBid(offer.id, offer.vendor, offer.card, offer.available_servers, None, None, reason or "cannot serve the load", None)
    n = plan.servers.get(offer.id, 0)
    central = sized.central_plan or plan
    break_even = None
    if recommended_rmb is not None and n:
        rest = plan.cost_rmb - NOMINAL_RMB_PER_SERVER * n   # energy and owned hardware: what the price does not move
        break_even = (recommended_rmb - rest) // n
    return UnpricedBid(offer.id, offer.vendor, offer.card, offer.available_servers, plan, central.servers.get(offer.id, 0), None, break_even)
