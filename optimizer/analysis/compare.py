"""Bid comparison: each bid's own best plan, the winner, and every losing bid's break-even price
per server, found by bisection with a re-solve at every step (not by proportion)."""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.analysis.common import Progress, min_cost, with_server_price
from optimizer.analysis.facts import Risk, bid_risks
from optimizer.check import check_result
from optimizer.plan.result import Design, OfferOutcome, Plan, SolveResult
from optimizer.plan.solve import solve
from optimizer.problem import Problem


@dataclass(frozen=True)
class BidRow:
    offer_id: str
    vendor: str
    card_id: str
    price_rmb_per_server: int
    price_kind: str
    plan: Plan | None
    reason: str | None
    break_even_rmb_per_server: int | None
    break_even_note: str | None
    risks: tuple[Risk, ...]  # analysis.facts.bid_risks: the same rule as the solve report's

    @property
    def feasible(self) -> bool:
        return self.plan is not None


@dataclass(frozen=True)
class Comparison:
    result: SolveResult
    rows: tuple[BidRow, ...]
    winner: str | None


def compare(problem: Problem, progress: Progress | None = None, result: SolveResult | None = None) -> Comparison:
    """One row per bid with its own best plan (with any hardware already owned). The winner is the
    cheapest bid serving the scenario, ties going to the one serving more load, then the first
    listed; when the objective is the most load, the bid serving the most, then the cheaper.
    `result`: the scenario's checked solve (the pipeline passes it); without one (a library
    caller, the tests) the same solve and check run here."""
    scenario = problem.scenario
    if result is None:
        result = solve(problem)
        check_result(result)
    designs, terms = list(result.designs), result.terms
    feasible = [o for o in result.per_offer if o.plan is not None]
    max_load = scenario.objective.kind == "max_load"

    def rank(o: OfferOutcome) -> tuple[float, float]:
        assert o.plan is not None
        return (-o.plan.served, o.plan.cost_rmb) if max_load else (o.plan.cost_rmb, -o.plan.served)

    winner = min(feasible, key=rank).offer_id if feasible else None
    target = next((o.plan for o in feasible if o.offer_id == winner), None)
    order = [o.offer_id for o in result.per_offer]
    rows = []
    for i, o in enumerate(result.per_offer):
        if progress:
            progress(i + 1, len(result.per_offer))
        t = terms[o.offer_id]
        be, note = None, None
        if t.owned:
            note = "owned hardware: no price to negotiate"
        elif max_load and o.offer_id != winner:
            note = "not a price question: the objective is the most load; compare the load served"
        elif winner is not None and o.offer_id != winner and target is not None:
            be, note = break_even_price(problem, designs, o.offer_id, target, order.index(o.offer_id) < order.index(winner))
        rows.append(BidRow(
            offer_id=o.offer_id, vendor=t.vendor, card_id=t.card_id, price_rmb_per_server=t.price_rmb_per_server,
            price_kind=t.price_kind, plan=o.plan, reason=o.reason, break_even_rmb_per_server=be,
            break_even_note=note, risks=tuple(bid_risks(problem, t)),
        ))
    return Comparison(result, tuple(rows), winner)


def standalone_plan(problem: Problem, designs: list[Design], offer_id: str, price_rmb: int) -> Plan | None:
    """This bid's own best plan if its servers cost `price_rmb` each (re-solved)."""
    priced = with_server_price(problem.scenario, offer_id, price_rmb)
    alone = priced.model_copy(update={"constraints": priced.constraints.model_copy(update={"single_vendor": False})})
    return min_cost(alone, designs, problem.with_scenario(priced).terms, only={offer_id})


def break_even_price(
    problem: Problem, designs: list[Design], offer_id: str, winner: Plan, listed_first: bool = False,
) -> tuple[int | None, str | None]:
    """Highest whole-RMB price per server at which this bid wins the comparison: its own best plan
    costs less than the winner's, or as much while serving more load (or as much, listed first:
    the comparison's own tie rule). Bisection on the price, re-solving the bid's plan at each step."""
    def wins(plan: Plan | None) -> bool:
        if plan is None:
            return False
        return (plan.cost_rmb, -plan.served, not listed_first) < (winner.cost_rmb, -winner.served, True)

    if not any(d.offer_id == offer_id for d in designs):
        return None, "no price helps: no design of this bid meets memory and the SLAs"
    if winner.cost_rmb <= 0:
        return None, "no price helps: the winner's plan costs nothing (hardware already owned suffices)"
    if standalone_plan(problem, designs, offer_id, 1) is None:
        return None, "no price helps: even nearly free, the bid cannot cover the load within the scenario's limits"
    lo, hi = 0, max(1, winner.cost_rmb) + 1  # it wins at lo = 0; past the winner's whole cost it cannot
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if wins(standalone_plan(problem, designs, offer_id, mid)):
            lo = mid
        else:
            hi = mid
    if lo == 0:
        return None, "no price helps: at RMB 1 per server its plan still costs at least the winner's (energy in a TCO objective)"
    return lo, None
