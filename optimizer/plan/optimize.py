"""One CP-SAT run of the plan model: the cheapest plan (ties to the most load, then the fewest
replicas), or the most load and then the cheapest plan serving it; the solver status in words and
the plan read out of a solution."""

from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model

from optimizer.plan.designs import served_by
from optimizer.plan.model import PlanVars, build_plan_model, cost_expr, upper_bound
from optimizer.plan.result import Design, Plan, ReplicaGroup, Status, has_plan
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario

TIME_LIMIT_S = 20.0


def new_solver(time_limit_s: float = TIME_LIMIT_S) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    s.parameters.max_time_in_seconds = time_limit_s
    s.parameters.num_workers = 1      # one worker: the same input gives the same plan, byte for byte
    s.parameters.random_seed = 0
    return s


def status_of(code: Any) -> Status:
    """CP-SAT's status in words. UNKNOWN (the time limit ran out with no solution and no proof)
    is "unknown", never "infeasible": only a proof makes a scenario infeasible."""
    if code == cp_model.OPTIMAL:
        return "optimal"
    if code == cp_model.FEASIBLE:
        return "feasible"
    if code == cp_model.INFEASIBLE:
        return "infeasible"
    return "unknown"  # UNKNOWN (time-out), MODEL_INVALID


def extract_plan(solver: cp_model.CpSolver, v: PlanVars, designs: list[Design], terms: dict[str, OfferTerms], rank: int) -> Plan:
    servers = {oid: int(solver.value(x)) for oid, x in sorted(v.servers.items()) if solver.value(x) > 0}
    groups = tuple(
        ReplicaGroup(designs[i], int(solver.value(x))) for i, x in sorted(v.replicas.items()) if solver.value(x) > 0
    )
    cost = sum(terms[o].cost_rmb_per_server * n for o, n in servers.items())
    capex = sum(terms[o].price_rmb_per_server * n for o, n in servers.items())
    served = served_by([(g.design, g.count) for g in groups])
    return Plan(rank, cost, capex, servers, groups, served)


def solve_designs(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], **kw: Any
) -> tuple[Any, cp_model.CpSolver, PlanVars]:
    """Build the plan model (keywords: see build_plan_model) and run CP-SAT once."""
    v = build_plan_model(scenario, designs, terms, **kw)
    solver = new_solver()
    code = solver.solve(v.model)
    return code, solver, v


def solve_min_cost(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], *, rank: int = 1, **kw: Any
) -> tuple[Status, Plan | None, int | None, int | None]:
    """Cheapest plan, and among equally cheap ones the one serving the most load (two solves,
    lexicographic, so the same scenario always reports the same plan). Returns status, plan, cost
    objective and its best bound."""
    if not designs:
        return "infeasible", None, None, None
    code, solver, v = solve_designs(scenario, designs, terms, **kw)
    status = status_of(code)
    if not has_plan(status):
        return status, None, None, None
    objective, bound = round(solver.objective_value), round(solver.best_objective_bound)
    v = build_plan_model(scenario, designs, terms, **kw)
    v.model.add(cost_expr(v, terms) <= objective)
    # Most load first; among those, the fewest replicas (the simpler fleet to run).
    fewer_replicas_weight = sum(upper_bound(x) for x in v.replicas.values()) + 1
    v.model.maximize(fewer_replicas_weight * v.served - sum(v.replicas.values()))
    tie = new_solver()
    if not has_plan(status_of(tie.solve(v.model))):  # cannot happen: stage 1's plan qualifies
        return status, extract_plan(solver, v, designs, terms, rank), objective, bound
    return status, extract_plan(tie, v, designs, terms, rank), objective, bound


def solve_max_load(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], *, min_served: int = 0,
    only_offer: str | None = None,
) -> tuple[Status, Plan | None]:
    """Most load served within the scenario's limits, then the cheapest plan serving that much
    (two solves: lexicographic, so the second never trades load for money)."""
    if not designs:
        return "infeasible", None
    code, solver, v = solve_designs(scenario, designs, terms, maximize_load=True, min_served=min_served, only_offer=only_offer)
    status = status_of(code)
    if not has_plan(status):
        return status, None
    best = round(solver.objective_value)
    v = build_plan_model(scenario, designs, terms, maximize_load=True, min_served=min_served, only_offer=only_offer)
    v.model.add(v.served >= best)
    v.model.minimize(cost_expr(v, terms))
    solver = new_solver()
    code = solver.solve(v.model)
    second = status_of(code)
    if not has_plan(second):
        return second, None
    status = "optimal" if status == "optimal" and second == "optimal" else "feasible"
    return status, extract_plan(solver, v, designs, terms, 1)
