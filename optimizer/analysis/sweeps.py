"""What-if sweeps: plain functions over the plan model.

- budget sweep: the most load the best plan serves within each budget (maximise load, then the
  cheapest plan serving it), overall and per vendor.
- SLA sweep (TPOT or TTFT targets), load sweep, price sweep: the cheapest plan at each point.
- pareto_front(): plans not beaten on both cost and served load.

Designs are enumerated once per sweep where the swept value cannot change them (budget, load,
price); SLA sweeps re-enumerate, since the SLA decides which designs qualify. Solves run one after
another: each takes milliseconds, less than starting a worker process would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.analysis.common import Progress, min_cost, restrict, vendors_of, winner_of, with_server_price
from optimizer.plan.designs import Draws, enumerate_designs
from optimizer.plan.diagnose import relaxation_text
from optimizer.plan.optimize import solve_max_load, solve_min_cost
from optimizer.plan.result import Design, OfferSummary, Plan
from optimizer.plan.solve import vendor_rule
from optimizer.plan.solve import vendors_of as plan_vendors
from optimizer.plan.terms import OfferTerms
from optimizer.problem import Problem
from optimizer.scenario import Scenario


@dataclass(frozen=True)
class SweepPoint:
    value: float
    served: float
    cost_rmb: int | None
    winner: str | None
    status: str                          # optimal | feasible | infeasible | unknown (time-out: not a proof)
    per_vendor: dict[str, float | None]  # served (budget sweep) or cost (other sweeps) per vendor
    why_not: dict[str, str] = field(default_factory=dict)  # vendor -> short reason it has no plan here (cost sweeps)


@dataclass(frozen=True)
class Sweep:
    kind: str           # budget | tpot | ttft | load | price | growth | decline | discount | delivered
    value_key: str      # JSON key of the swept value: budget_rmb, tpot_ms, ttft_ms, load, price_rmb_per_server, growth_pct, ...
    value_label: str    # axis label with unit
    served_unit: str
    points: tuple[SweepPoint, ...]
    offer_id: str | None = None
    supply: str | None = None  # delivered-share sweep: the offer id or vendor whose delivery moves


def _context(problem: Problem, designs: list[Design] | None = None) -> tuple[list[Design], dict[str, OfferTerms]]:
    """Designs (a solve result's, sized at its confidence, serve every sweep whose swept value cannot
    change them; without them, the designs of the central estimate) and offer terms."""
    if designs is None:
        designs, _ = enumerate_designs(problem)
    return designs, problem.terms


def budget_sweep(
    problem: Problem, budgets: list[float], progress: Progress | None = None, designs: list[Design] | None = None,
    summaries: dict[str, OfferSummary] | None = None,
) -> Sweep:
    """Most load served within each budget, overall and for each vendor alone. A vendor serving
    nothing for want of money is a value (0); one with no design at all gets its reason in why_not."""
    scenario = problem.scenario
    designs, terms = _context(problem, designs)
    vendors = vendors_of(scenario)
    designless = {v: short_reason(scenario, designs, terms, offers, summaries)
                  for v, offers in vendors.items() if not any(d.offer_id in offers for d in designs)}
    points = []
    for i, budget in enumerate(budgets):
        scn = scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"budget_rmb": budget})})
        status, plan = solve_max_load(scn, designs, terms)
        per_vendor: dict[str, float | None] = {}
        for vendor, offers in vendors.items():
            _, vplan = solve_max_load(scn, *restrict(designs, terms, offers))
            per_vendor[vendor] = vplan.served if vplan else 0.0
        served = plan.served if plan else 0.0
        points.append(SweepPoint(
            value=budget, served=served, cost_rmb=plan.cost_rmb if plan and served > 0 else None,
            winner=winner_of(plan, terms) if served > 0 else None,
            status=status if served > 0 or status == "unknown" else "infeasible", per_vendor=per_vendor,
            why_not=dict(designless),
        ))
        if progress:
            progress(i + 1, len(budgets))
    return Sweep("budget", "budget_rmb", "budget (RMB)", scenario.workload.load.unit, tuple(points))


def short_reason(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], offers: set[str],
    summaries: dict[str, OfferSummary] | None = None,
) -> str:
    """Why these offers alone have no plan, in a few words for a plot: the first clause of the
    enumeration's reason when no design qualifies (e.g. "TPOT ≤ 30 ms is unreachable"), else of the
    smallest relaxation that would work (e.g. "more servers than offered")."""
    own, own_terms = restrict(designs, terms, offers)
    if not any(d.offer_id in offers for d in own):
        reasons = [r for oid in sorted(offers) for r in (summaries[oid].reasons if summaries and oid in summaries else [])]
        text = reasons[0] if reasons else "no design meets memory and the SLAs"
    else:
        text = relaxation_text(scenario, own, own_terms) or "cannot cover the load"
    return _first_clause(text)


def _first_clause(text: str) -> str:
    """The reason before its detail ("more servers than offered: 60 x ..." -> "more servers than
    offered"); a sized draw's "at confidence 80%: ..." prefix moves behind the clause it qualifies."""
    head, _, rest = text.partition(": ")
    if head.startswith("at confidence ") and rest:
        return f"{_first_clause(rest)} ({head})"
    return head.split("; ")[0]


def _cost_point(
    scenario: Scenario, value: float, designs: list[Design], terms: dict[str, OfferTerms],
    summaries: dict[str, OfferSummary] | None = None,
) -> SweepPoint:
    status, plan, _, _ = solve_min_cost(scenario, designs, terms)  # a time-out stays "unknown", never "infeasible"
    per_vendor: dict[str, float | None] = {}
    singles: list[Plan] = []
    why_not: dict[str, str] = {}
    for vendor, offers in vendors_of(scenario).items():
        vplan = min_cost(scenario, designs, terms, only=offers)
        per_vendor[vendor] = float(vplan.cost_rmb) if vplan else None
        singles += [vplan] if vplan else []
        if vplan is None:  # the plots mark the point and say why (a few more solves, only here)
            why_not[vendor] = short_reason(scenario, designs, terms, offers, summaries)
    if plan is not None and len(plan_vendors(plan, terms)) > 1 and singles:
        # the point's winner under the rule solve applies: a mix must save more than mix_min_saving_pct
        plan = vendor_rule(scenario, plan, min(singles, key=lambda p: p.cost_rmb))
    return SweepPoint(
        value=value, served=plan.served if plan else 0.0, cost_rmb=plan.cost_rmb if plan else None,
        winner=winner_of(plan, terms), status=status, per_vendor=per_vendor, why_not=why_not,
    )


def sla_sweep(
    problem: Problem, metric: str, targets_ms: list[float], progress: Progress | None = None, draw: Draws = None,
) -> Sweep:
    """Cheapest plan at each TPOT or TTFT target (the other SLA as in the scenario), with designs
    sized under `draw` of the model's error (each bid at the draw the solve chose for it; None: the
    central estimate).
    The SLA decides which designs qualify, not how they perform: the problem's evaluations are reused."""
    scenario = problem.scenario
    points = []
    for i, target in enumerate(targets_ms):
        scn = scenario.model_copy(update={"sla": scenario.sla.model_copy(update={f"{metric}_ms": target})})
        variant = problem.with_scenario(scn)
        designs, summaries = enumerate_designs(variant, draw=draw)
        points.append(_cost_point(scn, target, designs, variant.terms, summaries))
        if progress:
            progress(i + 1, len(targets_ms))
    label = "TPOT target (ms)" if metric == "tpot" else "TTFT target (ms)"
    return Sweep(metric, f"{metric}_ms", label, scenario.workload.load.unit, tuple(points))


def load_sweep(
    problem: Problem, loads: list[float], progress: Progress | None = None, designs: list[Design] | None = None,
    summaries: dict[str, OfferSummary] | None = None,
) -> Sweep:
    """Cheapest plan as demand grows, in the scenario's load unit."""
    scenario = problem.scenario
    designs, terms = _context(problem, designs)
    load = scenario.workload.load
    field = "concurrent_users" if load.concurrent_users is not None else (
        "requests_per_s" if load.requests_per_s is not None else "output_tokens_per_s")
    points = []
    for i, amount in enumerate(loads):
        value = max(1, round(amount)) if field == "concurrent_users" else amount
        new_load = load.model_copy(update={field: value})
        scn = scenario.model_copy(update={"workload": scenario.workload.model_copy(update={"load": new_load})})
        points.append(_cost_point(scn, value, designs, terms, summaries))
        if progress:
            progress(i + 1, len(loads))
    return Sweep("load", "load", f"load ({load.unit})", load.unit, tuple(points))


def price_sweep(
    problem: Problem, offer_id: str, prices: list[float], progress: Progress | None = None,
    designs: list[Design] | None = None, summaries: dict[str, OfferSummary] | None = None,
) -> Sweep:
    """The winner as one bid's price per server moves (the whole scenario re-solved each time).
    `summaries` (the solve's, with `designs`) say why a bid without designs has no plan."""
    scenario = problem.scenario
    with_server_price(scenario, offer_id, 1)  # validates the offer id
    designs, _ = _context(problem, designs)
    points = []
    for i, price in enumerate(prices):
        scn = with_server_price(scenario, offer_id, price)
        points.append(_cost_point(scn, price, designs, problem.with_scenario(scn).terms, summaries))
        if progress:
            progress(i + 1, len(prices))
    return Sweep("price", "price_rmb_per_server", f"price of {offer_id} (RMB per server)",
                 scenario.workload.load.unit, tuple(points), offer_id)


def pareto_front(points: tuple[SweepPoint, ...]) -> list[SweepPoint]:
    """Budget-sweep points whose plan is not beaten on both cost and served load: sorted by cost,
    each serves strictly more than every cheaper one."""
    front: list[SweepPoint] = []
    seen: set[tuple[int, float]] = set()
    priced = [(p.cost_rmb, p) for p in points if p.cost_rmb is not None]
    for cost, p in sorted(priced, key=lambda cp: (cp[0], -cp[1].served)):
        if (not front or p.served > front[-1].served) and (cost, p.served) not in seen:
            front.append(p)
            seen.add((cost, p.served))
    return front
