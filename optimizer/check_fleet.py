"""Independent check of a fleet plan (several services on one purchase), without the fleet model.

Each service's replicas are recomputed from the performance model under its own scenario (memory,
SLAs, placement) and must cover its load, headroom and N+1; the purchase is checked as a whole:
every service's cards fit the servers bought and none stands idle (but with supply cases, whose
servers bought so that a case holds are spare), stock, budget, rack space, power,
vendor rules and the cost. Each supply case of constraints.robust_to is checked on its own
arithmetic: the servers that arrive (floor of the share as written, in exact decimals), every
service's witness replicas recomputed and packed with the others' within them, each serving its
load_share. A fleet's purchase schedule (phases:) is checked service by service with the
single-service schedule check (servers in service from the purchases, the service's period load with
headroom and N+1 from its recomputed replicas, the limits, deliveries and spend from the scenario's
prices), then as a whole: every service's cards per offer within the servers in service, and each
supply case on the servers in service. It reuses the single-service checker's rules (optimizer.check),
never the plan model.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from optimizer.check import (
    TOLERANCE,
    PlanCheckError,
    Served,
    _cards_per_server,
    _phase_loads,
    buys_after_the_first,
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
    check_schedule,
    check_single_vendor,
    check_vendor_rules,
    recompute_design,
)
from optimizer.plan.fleet_result import FleetPhased, FleetPlan, FleetResult, FleetSchedule, FleetSupply, ServicePlan
from optimizer.plan.result import PhasePeriod, PhaseSchedule, Plan, ReplicaGroup
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
    # Servers bought so that a supply case holds may stand spare while every bid delivers (plan.fleet).
    found += check_packing(whole, shared, used_cards, allow_idle=bool(shared.scenario.constraints.robust_to))
    found += check_availability(whole, shared.scenario)
    found += check_power(whole, shared)
    found += check_vendor_rules(whole, shared.scenario)
    found += check_single_vendor(whole, shared.scenario)
    found += check_max_servers(whole, shared.scenario)
    found += check_cost(whole, shared)
    found += check_budget(whole, shared)
    found += check_fleet_supply(plan.servers, plan.supply, problems, [p.scenario.workload.load.amount for p in problems])
    found += check_spare_servers(plan, used_cards, problems[0])
    return found


def check_spare_servers(plan: FleetPlan, used_cards: dict[str, int], problem: Problem) -> list[str]:
    """A whole bought server that no replica uses while every bid delivers must be there for a supply
    case: with one server fewer of its offer, some case's witness deployment would no longer fit in
    what arrives. Otherwise it is bought for nothing (the fleet is not the cheapest)."""
    found = []
    owned = {o.id for o in problem.scenario.offers if o.owned}
    for oid, n in sorted(plan.servers.items()):
        cps = _cards_per_server(problem, oid)
        if not n or oid in owned or used_cards.get(oid, 0) > (n - 1) * cps:
            continue
        fewer = {**plan.servers, oid: n - 1}
        needed = any(sum(g.count * g.design.cards for s in c.services for g in s.groups if g.design.offer_id == oid)
                     > arriving(fewer, problem, c.case).get(oid, 0) * cps for c in plan.supply)
        if not needed:
            found.append(f"{oid}: {n} servers bought, replicas use {used_cards.get(oid, 0)} cards, and no supply case needs "
                         f"the last server (a server stands idle)")
    return found


def arriving(servers: dict[str, int], problem: Problem, case: int) -> dict[str, int]:
    """The servers that arrive under supply case `case` of `servers` (bought, or in service): of each
    offer the case names (by id or vendor; never owned or unpriced hardware), floor(delivered_share x n),
    the share being the decimal as written, in exact arithmetic; all of every other offer's."""
    scenario = problem.scenario
    spec = scenario.constraints.robust_to[case]
    cut = {o.id for o in scenario.offers if not o.owned and o.price_kind != "unknown" and (o.id == spec.offer or o.vendor == spec.vendor)}
    share = Decimal(repr(spec.delivered_share))
    return {oid: int((share * n).to_integral_value(rounding=ROUND_FLOOR)) if oid in cut else n for oid, n in servers.items()}


def check_fleet_supply(servers: dict[str, int], supply: tuple[FleetSupply, ...], problems: tuple[Problem, ...],
                       loads: list[float], where: str = "") -> list[str]:
    """Each supply case: the witness deployment's claim of what arrives against our own arithmetic,
    every service's replicas recomputed, the cards of all services per offer within what arrives, and
    each service serving load_share of `loads` (its load, in the plan's service order)."""
    shared = problems[0].scenario
    cases = shared.constraints.robust_to
    if len(supply) != len(cases):
        return [f"{where}robust_to: {len(cases)} supply case(s), the plan carries {len(supply)} deployment(s)"]
    found: list[str] = []
    for outcome in supply:
        case = cases[outcome.case]
        label = f"{where}{case.label}"
        arrive = arriving(servers, problems[0], outcome.case)
        claimed = {oid: n for oid, n in outcome.delivered.items() if n}
        if claimed != {oid: n for oid, n in arrive.items() if n}:
            found.append(f"{label}: the plan says {claimed} arrive, the case gives {arrive}")
        cards: dict[str, int] = {}
        for svc, problem, load in zip(outcome.services, problems, loads, strict=True):
            pools = Served()
            for g in svc.groups:
                each, bad = recompute_design(g.design, problem)
                found += [f"{label}: {svc.name}: {b}" for b in bad]
                pools.add(g.design, g.count * (each or 0.0))
                cards[g.design.offer_id] = cards.get(g.design.offer_id, 0) + g.count * g.design.perf.parallelism.cards
            by_role = pools.by_role()
            total = by_role["colocated"] + min(by_role["prefill"], by_role["decode"])
            if total + TOLERANCE < case.load_share * load:
                found.append(f"{label}: {svc.name} serves {total:.2f} {problem.scenario.workload.load.unit}, "
                             f"{case.load_share:.0%} of its load is {case.load_share * load:g}")
        for oid, used in sorted(cards.items()):
            if used > arrive.get(oid, 0) * _cards_per_server(problems[0], oid):
                found.append(f"{label}: the services' replicas use {used} cards of {oid}, {arrive.get(oid, 0)} server(s) arrive")
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


def verify_fleet_phases(phased: FleetPhased, problems: tuple[Problem, ...]) -> list[str]:
    """Every rule a fleet's schedule breaks, and its all-at-once companion's (which must buy only in
    the first period)."""
    found = [] if phased.schedule is None else verify_fleet_schedule(phased.schedule, problems)
    if phased.all_at_once is not None:
        found += buys_after_the_first(phased.all_at_once.periods)
        found += [f"all at once: {f}" for f in verify_fleet_schedule(phased.all_at_once, problems)]
    return found


def verify_fleet_schedule(schedule: FleetSchedule, problems: tuple[Problem, ...]) -> list[str]:
    """Each service's view of the schedule (the fleet's purchases, its own replicas) by
    check.check_schedule; then per period every service's cards within the servers in service, the
    loads the schedule states against our own, and each supply case on the servers in service."""
    found: list[str] = []
    seen: set[str] = set()  # a shared rule broken (spend, a limit) is found once per service: said once
    for k, problem in enumerate(problems):
        own = PhaseSchedule(tuple(PhasePeriod(p.label, p.loads[k], p.bought, p.in_service, p.services[k].groups, p.services[k].served,
                                              p.spend_rmb, p.discounted_rmb) for p in schedule.periods))
        fresh = [f for f in check_schedule(own, problem) if f not in seen]
        seen.update(fresh)
        found += [f"{problem.scenario.name}: {f}" for f in fresh]
    loads = [_phase_loads(p.scenario) for p in problems]
    for t, period in enumerate(schedule.periods):
        cards: dict[str, int] = {}
        for g in (g for svc in period.services for g in svc.groups):
            cards[g.design.offer_id] = cards.get(g.design.offer_id, 0) + g.count * g.design.perf.parallelism.cards
        for oid, used in sorted(cards.items()):
            if used > period.in_service.get(oid, 0) * _cards_per_server(problems[0], oid):
                found.append(f"{period.label}: the services' replicas use {used} cards of {oid}, "
                             f"{period.in_service.get(oid, 0)} server(s) in service")
        ours = [series[t] for series in loads]
        if any(abs(a - b) > 1e-9 * max(1.0, abs(b)) for a, b in zip(period.loads, ours, strict=True)):
            found.append(f"{period.label}: the schedule states loads {list(period.loads)}, the scenario gives {ours}")
        found += check_fleet_supply(period.in_service, period.supply, problems, ours, where=f"{period.label}: ")
    return found


def check_fleet(result: FleetResult, problems: tuple[Problem, ...]) -> None:
    """The fleet plan a solve returns passes the check (each service's own plan was checked by its solve)."""
    found = [] if result.plan is None else verify_fleet(result.plan, problems)
    if result.trusting_plan is not None:  # checked under the same services without their supply cases
        trusting = tuple(p.with_scenario(p.scenario.model_copy(update={"constraints": p.scenario.constraints.model_copy(
            update={"robust_to": []})})) for p in problems)
        found += [f"trusting every bid: {f}" for f in verify_fleet(result.trusting_plan, trusting)]
    if result.phases is not None:
        found += [f"phases: {f}" for f in verify_fleet_phases(result.phases, problems)]
    if found:
        raise PlanCheckError("the fleet plan fails the independent check: " + "; ".join(found))
