"""solve(): enumerate designs, solve the plan model, rank alternatives, diagnose infeasibility.
Returns a plain SolveResult; checking the plans and the companions is the pipeline's job."""

from __future__ import annotations

import time

from optimizer.catalog.records import get_model
from optimizer.plan.designs import enumerate_designs, prune_dominated
from optimizer.plan.diagnose import diagnose
from optimizer.plan.model import load_demand
from optimizer.plan.optimize import solve_max_load, solve_min_cost
from optimizer.plan.rank import alternatives, best_per_offer
from optimizer.plan.result import Diagnosis, Plan, SolveResult, Status
from optimizer.plan.terms import offer_terms
from optimizer.scenario import Scenario


def solve(scenario: Scenario) -> SolveResult:
    """Enumerate designs, solve the plan model, rank alternatives, diagnose infeasibility.
    The plans are not yet checked: pipeline.solve runs the checker on every one."""
    started = time.perf_counter()
    model = get_model(scenario.model)
    candidates, summaries = enumerate_designs(scenario, model, prune=False)
    designs = prune_dominated(candidates, scenario)
    terms = offer_terms(scenario)
    plans: list[Plan] = []
    status: Status = "infeasible"
    objective: int | None = None
    bound: int | None = None
    diagnosis: Diagnosis | None = None
    if designs and scenario.objective.kind == "max_load":
        status, best = solve_max_load(scenario, designs, terms, min_served=load_demand(scenario))
        if best is not None:
            plans.append(best)
            objective = bound = best.cost_rmb
    elif designs:
        status, best, objective, bound = solve_min_cost(scenario, designs, terms)
        if best is not None:
            plans.append(best)
            plans.extend(alternatives(scenario, designs, terms, best))
    per_offer = tuple(best_per_offer(scenario, designs, terms, summaries))
    if status == "infeasible":  # a proof; a time-out ("unknown") is not diagnosed as infeasible
        diagnosis = diagnose(scenario, designs, terms, summaries)
    return SolveResult(
        scenario=scenario, model=model, status=status, objective_rmb=objective, best_bound_rmb=bound,
        solve_seconds=time.perf_counter() - started, designs=tuple(designs), candidates=tuple(candidates),
        plans=tuple(plans), per_offer=per_offer, diagnosis=diagnosis, terms=terms, summaries=summaries,
    )
