"""The one sequencer: solve -> check -> central-estimate companion -> compare -> sweeps.

Below it every step is a plain function of its inputs: plan.solve returns an unchecked result, the
checker re-verifies plans without the solver, analysis compares and sweeps a result it is given.
The CLI parses options, calls run() (or one of its steps) and renders what comes back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from optimizer import analysis
from optimizer.analysis import Comparison, Progress, Sweep
from optimizer.analysis.fleet_whatif import FleetSweep, fleet_phase_sweep, fleet_share_sweep
from optimizer.analysis.unpriced import size_unpriced
from optimizer.check import assert_phases_valid, check_result
from optimizer.check_fleet import check_fleet
from optimizer.plan import solve as plan_solve
from optimizer.plan.fleet import ServiceDesigns, fleet_diagnosis, recommend_fleet
from optimizer.plan.fleet_phases import solve_fleet_phases
from optimizer.plan.fleet_result import FleetResult
from optimizer.plan.phases import solve_phases
from optimizer.plan.result import PhasedPlan, SolveResult
from optimizer.plan.solve import trusting_every_bid
from optimizer.problem import Problem
from optimizer.scenario import Scenario

ProgressFor = Callable[[str], Progress | None]  # a progress callback for a labelled step, or None


def _no_progress(label: str) -> Progress | None:
    return None


def solve(problem: Problem) -> SolveResult:
    """The problem solved with its plan at the central estimate beside the one at the confidence,
    every plan it returns checked independently (a plan failing the check raises PlanCheckError:
    a bug)."""
    result = plan_solve.solve(problem)
    check_result(result)
    if problem.unpriced:
        result = dataclasses.replace(result, unpriced_bids=size_unpriced(problem, result))
    if problem.scenario.phases is not None:
        result = dataclasses.replace(result, phases=phased(problem, result))
    return result


def solve_fleet(name: str, description: str, problems: tuple[Problem, ...], names: tuple[str, ...]) -> FleetResult:
    """Several services on one purchase: each service solved on a fleet of its own (checked; its
    designs, sized at its confidence, are what the fleet model runs), then the shared fleet, with
    supply cases the fleet trusting every bid, and with phases the fleet's purchase schedule, all checked."""
    standalone, services = fleet_services(problems, names)
    terms = problems[0].terms
    status, plan, objective, bound, rule = recommend_fleet(services, terms)
    diagnosis = None if plan is not None else fleet_diagnosis(services, terms, standalone, status)
    trusting = None
    if plan is not None and problems[0].scenario.constraints.robust_to:  # what the robustness costs: the fleet trusting every bid
        trusting = recommend_fleet([dataclasses.replace(s, scenario=trusting_every_bid(s.scenario)) for s in services], terms)[1]
    schedule = solve_fleet_phases(services, terms) if problems[0].scenario.phases is not None else None
    result = FleetResult(name, description, status, objective, bound, plan, standalone, terms, diagnosis, trusting, schedule,
                         daily_loads=tuple(p.daily_load for p in problems), vendor_rule=rule)
    check_fleet(result, problems)
    return result


def fleet_services(problems: tuple[Problem, ...], names: tuple[str, ...]) -> tuple[tuple[SolveResult, ...], list[ServiceDesigns]]:
    """Each service solved on a fleet of its own (checked), and its designs, sized at its confidence,
    with its scenario: what every fleet model runs."""
    # each service alone buys once, for its load (a fleet's phases are the fleet's)
    standalone = tuple(solve(p if p.scenario.phases is None else p.with_scenario(p.scenario.model_copy(update={"phases": None})))
                       for p in problems)
    return standalone, [ServiceDesigns(n, p.scenario, r.designs) for n, p, r in zip(names, problems, standalone, strict=True)]


@dataclass(frozen=True)
class FleetWhatIf:
    """`procure whatif` on a fleet: the services on fleets of their own (their designs are what every
    point runs) and the sweeps, in the order of fleet_sweeps."""

    name: str
    scenarios: tuple[Scenario, ...]          # each service's scenario as the file gives it (phases included)
    standalone: tuple[SolveResult, ...]
    sweeps: list[FleetSweep]


def fleet_sweeps(name: str, problems: tuple[Problem, ...], names: tuple[str, ...], request: SweepRequest,
                 progress_for: ProgressFor = _no_progress) -> FleetWhatIf:
    """The fleet sweeps asked for (growth, price decline, discount rate, then delivered shares), each
    point the fleet re-solved over the services' designs and checked (analysis.fleet_whatif)."""
    standalone, services = fleet_services(problems, names)
    out: list[FleetSweep] = []
    for kind, values in (("growth", request.growth), ("decline", request.decline), ("discount", request.discount)):
        if values:
            label = f"{analysis.PHASE_AXES[kind][0].removeprefix('--')} sweep"
            out.append(fleet_phase_sweep(services, problems, kind, values, progress_for(label)))
    for who, shares in request.delivered:
        out.append(fleet_share_sweep(services, problems, who, shares, progress_for(f"delivered-share sweep {who}")))
    return FleetWhatIf(name, tuple(p.scenario for p in problems), standalone, out)


def phased(problem: Problem, result: SolveResult) -> PhasedPlan:
    """scenario.phases solved over the result's designs (sized at its confidence draw) and checked
    independently (a schedule failing the check raises PlanCheckError: a bug)."""
    found = solve_phases(problem.scenario, list(result.designs), problem.terms)
    assert_phases_valid(found, problem)
    return found


def compare(problem: Problem, progress: Progress | None = None, result: SolveResult | None = None) -> Comparison:
    """The bid comparison over the problem's checked solve (solved here unless given)."""
    return analysis.compare(problem, progress, result or solve(problem))


@dataclass(frozen=True)
class SweepRequest:
    """The sweeps asked for, already parsed (the CLI parses FROM:TO:POINTS and lists)."""

    budgets: list[float] | None = None
    tpots: list[float] | None = None
    ttfts: list[float] | None = None
    loads: list[float] | None = None
    prices: list[tuple[str, list[float]]] = field(default_factory=list)  # (offer id, prices per server)
    growth: list[float] | None = None          # phases.growth_pct values, % per period
    decline: list[float] | None = None         # phases.price_decline_pct values, % per period
    discount: list[float] | None = None        # phases.discount_rate_pct values, % per period
    delivered: list[tuple[str, list[float]]] = field(default_factory=list)  # (offer id or vendor, delivered shares)

    def __bool__(self) -> bool:
        return bool(self.budgets or self.tpots or self.ttfts or self.loads or self.prices or self.growth or self.decline
                    or self.discount or self.delivered)


def sweeps(problem: Problem, request: SweepRequest, result: SolveResult, progress_for: ProgressFor = _no_progress) -> list[Sweep]:
    """The requested sweeps, in a fixed order (budget, TPOT, TTFT, load, prices, growth, price
    decline, discount rate, delivered shares). Sweeps whose swept value cannot change the designs
    reuse the result's designs."""
    designs = list(result.designs)
    # Sweeps keep each bid at the draw the solve sized it under (its own quantile draw).
    draw = {oid: u.chosen_draw for oid, u in result.bid_spreads.items()} if result.bid_spreads else None
    out = []
    if request.budgets:
        out.append(analysis.budget_sweep(problem, request.budgets, progress_for("budget sweep"), designs, result.summaries))
    if request.tpots:
        out.append(analysis.sla_sweep(problem, "tpot", request.tpots, progress_for("TPOT sweep"), draw))
    if request.ttfts:
        out.append(analysis.sla_sweep(problem, "ttft", request.ttfts, progress_for("TTFT sweep"), draw))
    if request.loads:
        out.append(analysis.load_sweep(problem, request.loads, progress_for("load sweep"), designs, result.summaries))
    for offer, values in request.prices:
        out.append(analysis.price_sweep(problem, offer, values, progress_for(f"price sweep {offer}"), designs, result.summaries))
    for kind, phase_values in (("growth", request.growth), ("decline", request.decline), ("discount", request.discount)):
        if phase_values:
            label = f"{analysis.PHASE_AXES[kind][0].removeprefix('--')} sweep"
            out.append(analysis.phase_sweep(problem, kind, phase_values, progress_for(label), designs, result.summaries))
    for who, shares in request.delivered:
        out.append(analysis.delivered_share_sweep(problem, who, shares, progress_for(f"delivered-share sweep {who}"), designs,
                                                  result.summaries))
    return out


@dataclass(frozen=True)
class Outcome:
    result: SolveResult
    comparison: Comparison | None
    sweeps: list[Sweep]


def run(
    problem: Problem, *, with_compare: bool = False, request: SweepRequest | None = None,
    progress_for: ProgressFor = _no_progress,
) -> Outcome:
    """Everything `procure solve` reports: the checked solve with its companion, then the bid
    comparison and the sweeps when asked for, all over that one result."""
    result = solve(problem)
    comparison = compare(problem, progress_for("break-even prices"), result) if with_compare else None
    found = sweeps(problem, request, result, progress_for) if request else []
    return Outcome(result, comparison, found)
