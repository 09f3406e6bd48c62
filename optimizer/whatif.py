"""Bid comparison and what-if sweeps: plain functions over the plan model.

- compare(): each bid's own best plan, the winner, and every losing bid's break-even price per
  server, found by bisection with a re-solve at every step (not by proportion).
- budget sweep: the most load the best plan serves within each budget (maximise load, then the
  cheapest plan serving it), overall and per vendor.
- SLA sweep (TPOT or TTFT targets), load sweep, price sweep: the cheapest plan at each point.
- pareto_front(): plans not beaten on both cost and served load.

Designs are enumerated once per sweep where the swept value cannot change them (budget, load,
price); SLA sweeps re-enumerate, since the SLA decides which designs qualify. Solves run one after
another: each takes milliseconds, less than starting a worker process would.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from optimizer.designs import Design, PerfCache, enumerate_designs
from optimizer.scenario import Scenario
from optimizer.solve import (
    OfferTerms,
    Plan,
    SolveResult,
    offer_terms,
    solve,
    solve_max_load,
    solve_min_cost,
)
from optimizer.specs import get_model, load_cards, load_ecosystems

Progress = Callable[[int, int], None]
MAX_SWEEP_POINTS = 200  # a sweep is read as a table; more points only cost time


# --------------------------------------------------------------------------------------------
# Shared helpers


def with_server_price(scenario: Scenario, offer_id: str, price_rmb: float) -> Scenario:
    """The scenario with one offer re-priced per server (its per-card and catalog prices dropped).
    Hardware already owned has no price to move."""
    from optimizer.errors import InputError

    if any(o.id == offer_id and o.owned for o in scenario.offers):
        raise InputError("--price", offer_id, "is hardware already owned: it has no price", "sweep the price of a bid instead")
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


def _restrict(
    designs: list[Design], terms: dict[str, OfferTerms], only: set[str] | None
) -> tuple[list[Design], dict[str, OfferTerms]]:
    """Keep the offers in `only`, and hardware already owned (it is there whoever wins)."""
    if only is None:
        return designs, terms
    keep = only | {o for o, t in terms.items() if t.owned}
    return [d for d in designs if d.offer_id in keep], {o: t for o, t in terms.items() if o in keep}


def _min_cost(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], only: set[str] | None = None) -> Plan | None:
    designs, terms = _restrict(designs, terms, only)
    return solve_min_cost(scenario, designs, terms)[1]


def _vendors(scenario: Scenario) -> dict[str, set[str]]:
    """Offers per vendor, owned hardware left out (it joins every vendor's plan, see _restrict)."""
    out: dict[str, set[str]] = {}
    for o in scenario.offers:
        if not o.owned:
            out.setdefault(o.vendor, set()).add(o.id)
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------------------------
# Bid comparison


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
    risks: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return self.plan is not None


@dataclass(frozen=True)
class Comparison:
    result: SolveResult
    rows: tuple[BidRow, ...]
    winner: str | None


def compare(scenario: Scenario, progress: Progress | None = None, result: SolveResult | None = None) -> Comparison:
    """One row per bid with its own best plan (with any hardware already owned). The winner is the
    cheapest bid serving the scenario, ties going to the one serving more load, then the first
    listed; when the objective is the most load, the bid serving the most, then the cheaper.
    `result`: the scenario's solve, when the caller already has it."""
    result = result or solve(scenario)
    designs, terms = list(result.designs), result.terms
    feasible = [o for o in result.per_offer if o.plan is not None]
    max_load = scenario.objective.kind == "max_load"

    def rank(o):  # type: ignore[no-untyped-def]
        assert o.plan is not None
        return (-o.plan.served, o.plan.cost_rmb) if max_load else (o.plan.cost_rmb, -o.plan.served)

    winner = min(feasible, key=rank).offer_id if feasible else None
    target = next((o.plan.cost_rmb for o in feasible if o.offer_id == winner), None)  # type: ignore[union-attr]
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
            be, note = break_even_price(scenario, designs, o.offer_id, target)
        rows.append(BidRow(
            offer_id=o.offer_id, vendor=t.vendor, card_id=t.card_id, price_rmb_per_server=t.price_rmb_per_server,
            price_kind=t.price_kind, plan=o.plan, reason=o.reason, break_even_rmb_per_server=be,
            break_even_note=note, risks=tuple(bid_risks(scenario, o.offer_id, t)),
        ))
    return Comparison(result, tuple(rows), winner)


def standalone_cost(scenario: Scenario, designs: list[Design], offer_id: str, price_rmb: int) -> int | None:
    """Cost of this bid's own best plan if its servers cost `price_rmb` each (re-solved)."""
    priced = with_server_price(scenario, offer_id, price_rmb)
    alone = priced.model_copy(update={"constraints": priced.constraints.model_copy(update={"single_vendor": False})})
    plan = _min_cost(alone, designs, offer_terms(priced), only={offer_id})
    return None if plan is None else plan.cost_rmb


def break_even_price(scenario: Scenario, designs: list[Design], offer_id: str, winner_cost: int) -> tuple[int | None, str | None]:
    """Highest whole-RMB price per server at which this bid's own best plan costs less than the
    winner's: bisection on the price, re-solving the bid's plan at each step."""
    if not any(d.offer_id == offer_id for d in designs):
        return None, "no price helps: no design of this bid meets memory and the SLAs"
    if winner_cost <= 0:
        return None, "no price helps: the winner's plan costs nothing (hardware already owned suffices)"
    if standalone_cost(scenario, designs, offer_id, 1) is None:
        return None, "no price helps: even nearly free, the bid cannot cover the load within the scenario's limits"
    lo, hi = 0, max(1, winner_cost)  # cost(lo) < winner_cost holds at lo = 0; at hi it cannot
    while hi - lo > 1:
        mid = (lo + hi) // 2
        cost = standalone_cost(scenario, designs, offer_id, mid)
        if cost is not None and cost < winner_cost:
            lo = mid
        else:
            hi = mid
    if lo == 0:
        return None, "no price helps: at RMB 1 per server its plan still costs at least the winner's (energy in a TCO objective)"
    return lo, None


def bid_risks(scenario: Scenario, offer_id: str, t: OfferTerms) -> list[str]:
    card = load_cards()[t.card_id]
    risks = [f"export control: {card.export_control}"]
    if "fp8" not in card.dense_tflops:
        risks.append("no FP8 units")
    if card.scaleup.topology == "pcie":
        risks.append("PCIe only: tensor parallelism over PCIe")
    if t.price_kind != "quote":
        risks.append(f"price is a{'n' if t.price_kind == 'estimate' else ''} {t.price_kind}")
    eco = load_ecosystems().get(card.family)
    if eco:
        risks.append(f"ecosystem: {eco.note}")
    return risks


# --------------------------------------------------------------------------------------------
# Sweeps


@dataclass(frozen=True)
class SweepPoint:
    value: float
    served: float
    cost_rmb: int | None
    winner: str | None
    status: str                          # optimal | feasible | infeasible
    per_vendor: dict[str, float | None]  # served (budget sweep) or cost (other sweeps) per vendor


@dataclass(frozen=True)
class Sweep:
    kind: str           # budget | tpot | ttft | load | price
    value_key: str      # JSON key of the swept value: budget_rmb, tpot_ms, ttft_ms, load, price_rmb_per_server
    value_label: str    # axis label with unit
    served_unit: str
    points: tuple[SweepPoint, ...]
    offer_id: str | None = None


def _context(scenario: Scenario, designs: list[Design] | None = None) -> tuple[list[Design], dict[str, OfferTerms]]:
    """Designs (enumerated unless given: a solve result's designs serve every sweep whose swept value
    cannot change them) and offer terms."""
    if designs is None:
        designs, _ = enumerate_designs(scenario, get_model(scenario.model))
    return designs, offer_terms(scenario)


def budget_sweep(
    scenario: Scenario, budgets: list[float], progress: Progress | None = None, designs: list[Design] | None = None
) -> Sweep:
    """Most load served within each budget, overall and for each vendor alone."""
    designs, terms = _context(scenario, designs)
    vendors = _vendors(scenario)
    points = []
    for i, budget in enumerate(budgets):
        scn = scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"budget_rmb": budget})})
        status, plan = solve_max_load(scn, designs, terms)
        per_vendor: dict[str, float | None] = {}
        for vendor, offers in vendors.items():
            _, vplan = solve_max_load(scn, *_restrict(designs, terms, offers))
            per_vendor[vendor] = vplan.served if vplan else 0.0
        served = plan.served if plan else 0.0
        points.append(SweepPoint(
            value=budget, served=served, cost_rmb=plan.cost_rmb if plan and served > 0 else None,
            winner=winner_of(plan, terms) if served > 0 else None,
            status=status if served > 0 else "infeasible", per_vendor=per_vendor,
        ))
        if progress:
            progress(i + 1, len(budgets))
    return Sweep("budget", "budget_rmb", "budget (RMB)", scenario.workload.load.unit, tuple(points))


def _cost_point(scenario: Scenario, value: float, designs: list[Design], terms: dict[str, OfferTerms]) -> SweepPoint:
    plan = _min_cost(scenario, designs, terms)
    per_vendor: dict[str, float | None] = {}
    for vendor, offers in _vendors(scenario).items():
        vplan = _min_cost(scenario, designs, terms, only=offers)
        per_vendor[vendor] = float(vplan.cost_rmb) if vplan else None
    return SweepPoint(
        value=value, served=plan.served if plan else 0.0, cost_rmb=plan.cost_rmb if plan else None,
        winner=winner_of(plan, terms), status="optimal" if plan else "infeasible", per_vendor=per_vendor,
    )


def sla_sweep(scenario: Scenario, metric: str, targets_ms: list[float], progress: Progress | None = None) -> Sweep:
    """Cheapest plan at each TPOT or TTFT target (the other SLA as in the scenario)."""
    points = []
    model = get_model(scenario.model)
    cache: PerfCache = {}  # the SLA decides which designs qualify, not how they perform
    for i, target in enumerate(targets_ms):
        scn = scenario.model_copy(update={"sla": scenario.sla.model_copy(update={f"{metric}_ms": target})})
        designs, _ = enumerate_designs(scn, model, cache=cache)
        terms = offer_terms(scn)
        points.append(_cost_point(scn, target, designs, terms))
        if progress:
            progress(i + 1, len(targets_ms))
    label = "TPOT target (ms)" if metric == "tpot" else "TTFT target (ms)"
    return Sweep(metric, f"{metric}_ms", label, scenario.workload.load.unit, tuple(points))


def load_sweep(
    scenario: Scenario, loads: list[float], progress: Progress | None = None, designs: list[Design] | None = None
) -> Sweep:
    """Cheapest plan as demand grows, in the scenario's load unit."""
    designs, terms = _context(scenario, designs)
    load = scenario.workload.load
    field = "concurrent_users" if load.concurrent_users is not None else (
        "requests_per_s" if load.requests_per_s is not None else "output_tokens_per_s")
    points = []
    for i, amount in enumerate(loads):
        value = max(1, round(amount)) if field == "concurrent_users" else amount
        new_load = load.model_copy(update={field: value})
        scn = scenario.model_copy(update={"workload": scenario.workload.model_copy(update={"load": new_load})})
        points.append(_cost_point(scn, value, designs, terms))
        if progress:
            progress(i + 1, len(loads))
    return Sweep("load", "load", f"load ({load.unit})", load.unit, tuple(points))


def price_sweep(
    scenario: Scenario, offer_id: str, prices: list[float], progress: Progress | None = None,
    designs: list[Design] | None = None,
) -> Sweep:
    """The winner as one bid's price per server moves (the whole scenario re-solved each time)."""
    with_server_price(scenario, offer_id, 1)  # validates the offer id
    designs, _ = _context(scenario, designs)
    points = []
    for i, price in enumerate(prices):
        scn = with_server_price(scenario, offer_id, price)
        points.append(_cost_point(scn, price, designs, offer_terms(scn)))
        if progress:
            progress(i + 1, len(prices))
    return Sweep("price", "price_rmb_per_server", f"price of {offer_id} (RMB per server)",
                 scenario.workload.load.unit, tuple(points), offer_id)


def pareto_front(points: tuple[SweepPoint, ...]) -> list[SweepPoint]:
    """Budget-sweep points whose plan is not beaten on both cost and served load: sorted by cost,
    each serves strictly more than every cheaper one."""
    front: list[SweepPoint] = []
    seen: set[tuple[int, float]] = set()
    for p in sorted((p for p in points if p.cost_rmb is not None), key=lambda p: (p.cost_rmb, -p.served)):
        if (not front or p.served > front[-1].served) and (p.cost_rmb, p.served) not in seen:
            front.append(p)
            seen.add((p.cost_rmb, p.served))  # type: ignore[arg-type]
    return front


def parse_range(text: str, what: str, hi: float = 1e13) -> list[float]:
    """'FROM:TO:STEPS' -> STEPS evenly spaced values (inclusive), each at most `hi`."""
    from optimizer.errors import InputError

    try:
        lo, top, steps = text.split(":")
        a, b, n = float(lo), float(top), int(steps)
    except ValueError:
        raise InputError(what, text, "is not FROM:TO:STEPS", "e.g. 1000000:20000000:20") from None
    if n < 1 or n > MAX_SWEEP_POINTS or a < 0 or b < a or not (math.isfinite(a) and math.isfinite(b)):
        raise InputError(
            what, text, f"needs 0 <= FROM <= TO and 1 <= STEPS <= {MAX_SWEEP_POINTS}", "e.g. 1000000:20000000:20"
        )
    if b > hi:
        raise InputError(what, text, f"TO exceeds {hi:g}, beyond any real procurement", f"give values of at most {hi:g}")
    return [a] if n == 1 else [a + (b - a) * i / (n - 1) for i in range(n)]


def parse_list(text: str, what: str, hi: float = 1e9) -> list[float]:
    """'30,50,80' -> positive finite numbers, each at most `hi`."""
    from optimizer.errors import InputError

    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(what, text, "is not a comma-separated list of numbers", "e.g. 30,50,80") from None
    if not values or len(values) > MAX_SWEEP_POINTS or any(v <= 0 or not math.isfinite(v) for v in values):
        raise InputError(what, text, f"needs 1 to {MAX_SWEEP_POINTS} positive numbers", "e.g. 30,50,80")
    if max(values) > hi:
        raise InputError(what, text, f"has a value above {hi:g}, beyond the physical range", f"give values of at most {hi:g}")
    return values
