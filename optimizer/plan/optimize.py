"""CP-SAT runs of the plan model: the cheapest plan (ties to the most load, then replicas inside one
server, then the fewest replicas), or the most load and then the cheapest plan serving it; the
solver status in words and the plan read out of a solution.

Each lexicographic solve builds its model once: the second stage changes the objective of the same
model (CP-SAT's minimize/maximize replace it), bounds the first stage's objective and starts from
the first stage's solution as a hint.
"""

from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model

from optimizer.plan.designs import served_by
from optimizer.plan.model import (
    ModelOptions,
    PlanVars,
    SupplyVars,
    base_model,
    build_plan_model,
    cap_cost,
    cheapest_at_load,
    forbid_purchase,
    hint_solution,
    maximize_load,
    minimize_cost,
    prefer_most_load,
)
from optimizer.plan.result import Design, Plan, ReplicaGroup, Status, SupplyOutcome, has_plan
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario

TIME_LIMIT_S = 20.0
WALL_LIMIT_FACTOR = 5.0   # the wall clock only guards against a machine far slower than this one
Outcome = tuple[Status, Plan | None, int | None, int | None]  # status, plan, cost objective, its best bound


def new_solver(time_limit_s: float = TIME_LIMIT_S) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    # The limit that binds is CP-SAT's deterministic time (its unit about one second of one worker
    # here), so a search cut short stops at the same point however loaded the machine is. A wall
    # clock limit did not: the phased fleet's stages (16 of 20 s idle) ran out in a loaded test run
    # and printed another schedule.
    s.parameters.max_deterministic_time = time_limit_s
    s.parameters.max_time_in_seconds = time_limit_s * WALL_LIMIT_FACTOR
    s.parameters.num_workers = 1      # one worker: the same input gives the same plan, byte for byte
    s.parameters.random_seed = 0
    # Probing (presolve trying each Boolean both ways) costs more than it saves on these covering
    # models: 2-3x the solve time on a 300-bid table, for the same plans on every shipped scenario.
    s.parameters.cp_model_probing_level = 0
    # The full LP relaxation proves these covering models at once: with designs at every whole batch
    # (many distinct capacities) the default level left a 100-bid central estimate unproven after
    # 20 s (best bound 0); level 2 proves the same plan optimal in 0.04 s.
    s.parameters.linearization_level = 2
    # Ctrl-C must stop the command, not end the search "as if a time limit was reached" (CP-SAT's
    # default), which a sweep would read as "nothing fits": Python raises KeyboardInterrupt once
    # the solve returns, and the CLI exits 130 writing nothing.
    s.parameters.catch_sigint_signal = False
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
    return Plan(rank, cost, capex, servers, groups, served, tuple(_supply_outcome(solver, c, designs, servers) for c in v.supply))


def _supply_outcome(solver: cp_model.CpSolver, c: SupplyVars, designs: list[Design], bought: dict[str, int]) -> SupplyOutcome:
    groups = tuple(ReplicaGroup(designs[i], int(solver.value(x))) for i, x in sorted(c.replicas.items()) if solver.value(x) > 0)
    delivered = {oid: int(solver.value(x)) for oid, x in sorted(c.delivered.items()) if oid in bought}
    return SupplyOutcome(c.case, delivered, groups, served_by([(g.design, g.count) for g in groups]))


def restrict_to_offer(
    designs: list[Design], terms: dict[str, OfferTerms], only_offer: str | None
) -> tuple[list[Design], dict[str, OfferTerms]]:
    """One bid's own problem: its designs and terms, and hardware already owned (it is there
    whichever bid wins). Dropping the other bids, rather than fixing them at zero servers, keeps
    each of many per-bid models as small as the bid."""
    if only_offer is None:
        return designs, terms
    keep = {oid for oid, t in terms.items() if oid == only_offer or t.owned}
    return [d for d in designs if d.offer_id in keep], {oid: t for oid, t in terms.items() if oid in keep}


def run(v: PlanVars) -> tuple[Any, cp_model.CpSolver]:
    solver = new_solver()
    return solver.solve(v.model), solver


def solve_designs(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], *,
    relax: frozenset[str] = frozenset(), forbid: tuple[dict[str, int], ...] = (),
) -> tuple[Any, cp_model.CpSolver, PlanVars]:
    """The least-cost model, without `relax` and `forbid`, solved once (no tie-break)."""
    v = build_plan_model(scenario, designs, terms, relax=relax)
    for plan in forbid:
        forbid_purchase(v, plan)
    code, solver = run(v)
    return code, solver, v


def solve_min_cost(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], *, rank: int = 1,
    forbid: tuple[dict[str, int], ...] = (), only_offer: str | None = None, relax: frozenset[str] = frozenset(),
) -> Outcome:
    """Cheapest plan, and among equally cheap ones the one serving the most load. `forbid`: excluded
    purchases (and those containing them); `only_offer`: that bid (and owned hardware) alone;
    `relax`: constraint families left out."""
    designs, terms = restrict_to_offer(designs, terms, only_offer)
    if not designs:
        return "infeasible", None, None, None
    v = base_model(scenario, designs, terms, ModelOptions(relax=relax))
    for plan in forbid:
        forbid_purchase(v, plan)
    return cheapest_plan(v, designs, terms, rank)


def cheapest_plan(v: PlanVars, designs: list[Design], terms: dict[str, OfferTerms], rank: int) -> Outcome:
    """The cheapest plan of a built model, then among equally cheap ones the most load, the fewest
    server boundaries crossed by replicas and the fewest replicas (lexicographic, so the same scenario
    always reports the same plan). The model may
    have been solved before (ranked plans): its cost cap is lifted first."""
    cap_cost(v, terms, None)
    v.model.clear_hints()
    minimize_cost(v, terms)
    code, solver = run(v)
    status = status_of(code)
    if not has_plan(status):
        return status, None, None, None
    objective, bound = round(solver.objective_value), round(solver.best_objective_bound)
    prefer_most_load(v, terms, objective, designs)
    hint_solution(v, solver)
    tie_code, tie = run(v)
    # Same model, so the first stage's solution meets the cap too: it stands if the tie-break times out.
    final = tie if has_plan(status_of(tie_code)) else solver
    return status, extract_plan(final, v, designs, terms, rank), objective, bound


def solve_max_load(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], *, min_served: int = 0,
    only_offer: str | None = None,
) -> tuple[Status, Plan | None]:
    """Most load served within the scenario's limits, then the cheapest plan serving that much
    (lexicographic, so the second stage never trades load for money)."""
    designs, terms = restrict_to_offer(designs, terms, only_offer)
    if not designs:
        return "infeasible", None
    v = base_model(scenario, designs, terms, ModelOptions(demand=min_served, replicas_to_fit=True))
    maximize_load(v)
    code, solver = run(v)
    status = status_of(code)
    if not has_plan(status):
        return status, None
    cheapest_at_load(v, terms, round(solver.objective_value))
    hint_solution(v, solver)
    code, solver = run(v)
    second = status_of(code)
    if not has_plan(second):
        return second, None
    status = "optimal" if status == "optimal" and second == "optimal" else "feasible"
    return status, extract_plan(solver, v, designs, terms, 1)
