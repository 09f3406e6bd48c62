"""Independent check of a fleet plan (several services on one purchase), without the fleet model.

Each service's replicas are recomputed from the performance model under its own scenario (memory,
SLAs, placement) and must cover its load, headroom and N+1; the purchase is checked as a whole:
every service's cards fit the servers bought and none stands idle, stock, budget, rack space, power,
vendor rules and the cost. It reuses the single-service checker's rules (optimizer.check), never
the plan model.
"""

from __future__ import annotations

from optimizer.check import (
    PlanCheckError,
    Served,
    check_availability,
    check_budget,
    check_cost,
    check_headroom,
    check_load,
    check_max_servers,
    check_n_plus_one,
    check_one_shape,
    check_packing,
    check_power,
    check_single_vendor,
    check_vendor_rules,
    recompute_design,
)
from optimizer.plan.fleet_result import FleetPlan, FleetResult, ServicePlan
from optimizer.plan.result import Plan, ReplicaGroup
from optimizer.problem import Problem


def verify_fleet(plan: FleetPlan, problems: tuple[Problem, ...]) -> list[str]:
    """Every rule the fleet plan breaks, in words (empty when it is sound); `problems` are the
    services' problems, in the plan's order."""
    found: list[str] = []
    used_cards: dict[str, int] = {}
    for svc, problem in zip(plan.services, problems, strict=True):
        found += [f"{svc.name}: {f}" for f in _verify_service(svc, plan, problem)]
        for g in svc.groups:
            used_cards[g.design.offer_id] = used_cards.get(g.design.offer_id, 0) + g.count * g.design.cards
    whole = _as_plan(plan, tuple(g for s in plan.services for g in s.groups))
    shared = problems[0]
    found += check_packing(whole, shared, used_cards)
    found += check_availability(whole, shared.scenario)
    found += check_power(whole, shared)
    found += check_vendor_rules(whole, shared.scenario)
    found += check_single_vendor(whole, shared.scenario)
    found += check_max_servers(whole, shared.scenario)
    found += check_cost(whole, shared)
    found += check_budget(whole, shared)
    return found


def _verify_service(svc: ServicePlan, plan: FleetPlan, problem: Problem) -> list[str]:
    """One service's replicas under its own scenario: each recomputed, and together its load,
    headroom, N+1 (any one of the fleet's servers down) and one-shape rule."""
    found: list[str] = []
    pools = Served()
    units_of: list[tuple[str, int, int, float]] = []
    for g in svc.groups:
        each, problems = recompute_design(g.design, problem)
        found += problems
        if each is None:
            continue
        pools.add(g.design, g.count * each)
        units_of.append((g.design.offer_id, g.design.cards, g.count, each))
    served = pools.by_role()
    own = _as_plan(plan, svc.groups)
    found += check_load(served, problem.scenario)
    found += check_headroom(served, problem.scenario)
    found += check_n_plus_one(served, units_of, own, problem)
    found += check_one_shape(own, problem.scenario)
    return found


def _as_plan(plan: FleetPlan, groups: tuple[ReplicaGroup, ...]) -> Plan:
    return Plan(1, plan.cost_rmb, plan.capex_rmb, plan.servers, groups, 0.0)


def check_fleet(result: FleetResult, problems: tuple[Problem, ...]) -> None:
    """The fleet plan a solve returns passes the check (each service's own plan was checked by its solve)."""
    if result.plan is None:
        return
    found = verify_fleet(result.plan, problems)
    if found:
        raise PlanCheckError("the fleet plan fails the independent check: " + "; ".join(found))
