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
from optimizer.catalog.records import ModelSpec
from optimizer.check import assert_plan_valid, check_result
from optimizer.plan import solve as plan_solve
from optimizer.plan.designs import enumerate_designs
from optimizer.plan.model import load_demand
from optimizer.plan.optimize import solve_max_load, solve_min_cost
from optimizer.plan.result import Plan, SolveResult
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario

ProgressFor = Callable[[str], Progress | None]  # a progress callback for a labelled step, or None


def _no_progress(label: str) -> Progress | None:
    return None


def solve(scenario: Scenario) -> SolveResult:
    """The scenario solved, every plan it returns checked independently (a plan failing the check
    raises PlanCheckError: a bug), and the central-estimate companion attached."""
    result = plan_solve.solve(scenario)
    check_result(result)
    return dataclasses.replace(result, central_plan=central_companion(scenario, result.model, result.terms))


def central_companion(scenario: Scenario, model: ModelSpec, terms: dict[str, OfferTerms]) -> Plan | None:
    """The cheapest plan when designs need only meet the SLAs at the model's central estimate
    (confidence 0.5), checked: with the plan at the scenario's confidence it brackets the answer."""
    if scenario.sla.confidence == 0.5:
        return None
    central = scenario.model_copy(update={"sla": scenario.sla.model_copy(update={"confidence": 0.5})})
    designs, _ = enumerate_designs(central, model)
    if scenario.objective.kind == "max_load":
        _, plan = solve_max_load(central, designs, terms, min_served=load_demand(central))
    else:
        _, plan, _, _ = solve_min_cost(central, designs, terms)
    if plan is not None:
        assert_plan_valid(plan, central, model)
    return plan


def compare(scenario: Scenario, progress: Progress | None = None, result: SolveResult | None = None) -> Comparison:
    """The bid comparison over the scenario's checked solve (solved here unless given)."""
    return analysis.compare(scenario, progress, result or solve(scenario))


@dataclass(frozen=True)
class SweepRequest:
    """The sweeps asked for, already parsed (the CLI parses FROM:TO:STEPS and lists)."""

    budgets: list[float] | None = None
    tpots: list[float] | None = None
    ttfts: list[float] | None = None
    loads: list[float] | None = None
    prices: list[tuple[str, list[float]]] = field(default_factory=list)  # (offer id, prices per server)

    def __bool__(self) -> bool:
        return bool(self.budgets or self.tpots or self.ttfts or self.loads or self.prices)


def sweeps(scenario: Scenario, request: SweepRequest, result: SolveResult, progress_for: ProgressFor = _no_progress) -> list[Sweep]:
    """The requested sweeps, in a fixed order (budget, TPOT, TTFT, load, prices). Sweeps whose
    swept value cannot change the designs reuse the result's designs."""
    designs = list(result.designs)
    out = []
    if request.budgets:
        out.append(analysis.budget_sweep(scenario, request.budgets, progress_for("budget sweep"), designs))
    if request.tpots:
        out.append(analysis.sla_sweep(scenario, "tpot", request.tpots, progress_for("TPOT sweep")))
    if request.ttfts:
        out.append(analysis.sla_sweep(scenario, "ttft", request.ttfts, progress_for("TTFT sweep")))
    if request.loads:
        out.append(analysis.load_sweep(scenario, request.loads, progress_for("load sweep"), designs))
    for offer, values in request.prices:
        out.append(analysis.price_sweep(scenario, offer, values, progress_for(f"price sweep {offer}"), designs))
    return out


@dataclass(frozen=True)
class Outcome:
    result: SolveResult
    comparison: Comparison | None
    sweeps: list[Sweep]


def run(
    scenario: Scenario, *, with_compare: bool = False, request: SweepRequest | None = None,
    progress_for: ProgressFor = _no_progress,
) -> Outcome:
    """Everything `procure solve` reports: the checked solve with its companion, then the bid
    comparison and the sweeps when asked for, all over that one result."""
    result = solve(scenario)
    comparison = compare(scenario, progress_for("break-even prices"), result) if with_compare else None
    found = sweeps(scenario, request, result, progress_for) if request else []
    return Outcome(result, comparison, found)
