"""CP-SAT plan model of a fleet: several services on one purchase.

The servers of each offer are bought once and shared; each service runs replicas of its own
designs (sized for its model, workload and SLAs by its own solve) and covers its own load, with its
own headroom, N+1 and one-shape rules. The packing rule for services sharing a server is the one
plan.model uses within a service: replicas are 1, 2, 4, ... cards or whole servers, so counting the
cards of every service's replicas against the servers bought packs exactly (sizes that divide the
server nest without waste, whichever service they belong to); no bought server stands idle, except
servers bought only so that a supply case holds, which stay spare while every bid delivers. The
limits on the purchase (stock, budget, rack space, power, one vendor) apply to the fleet.

Supply cases (constraints.robust_to, shared) apply to the fleet: in each case, of the servers bought
only what arrives (plan.model.supply_delivered: the same floor rule as a single service) must carry a
redeployment in which every service serves its load_share of its load, each service with its own
replica variables over its own designs, the cards of all services counted per offer against what
arrives. The plan carries that deployment per case (FleetPlan.supply) for the checker.

`build_fleet_model` returns its variables; `solve_fleet_designs` returns a plain FleetPlan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer.plan.designs import served_by
from optimizer.plan.fleet_result import FleetPlan, FleetSupply, ServicePlan, VendorRule
from optimizer.plan.model import (
    Expr,
    PlanVars,
    _per_server,
    _served,
    add_availability,
    add_budget,
    add_headroom,
    add_load,
    add_max_servers,
    add_n_plus_one,
    add_one_shape,
    add_packing,
    add_power,
    add_single_vendor,
    cap_cost,
    capacity_units,
    headroom_demand,
    load_demand,
    minimize_cost,
    supply_delivered,
    upper_bound,
)
from optimizer.plan.optimize import hint_solution, new_solver, status_of
from optimizer.plan.result import Design, ReplicaGroup, SolveResult, Status, has_plan
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario

SHARED_FAMILIES = ("availability", "budget", "max_servers", "power", "single_vendor", "robust")


@dataclass(frozen=True)
class ServiceDesigns:
    name: str
    scenario: Scenario          # the service's scenario (shared keys plus its own)
    designs: tuple[Design, ...]


@dataclass
class FleetSupplyVars:
    """One supply case of constraints.robust_to for the fleet: what arrives and every service's replicas on it."""
    case: int                                # index in constraints.robust_to
    delivered: dict[str, Expr]               # offer id -> servers that arrive
    replicas: dict[int, cp_model.IntVar]     # design index (over every service's designs) -> replicas run on them
    served: list[Expr]                       # per service: its load served, model units


@dataclass
class FleetVars:
    plan: PlanVars                           # servers, and replicas indexed over every service's designs in order
    designs: list[Design]                    # every service's designs, concatenated
    service_of: list[int]                    # design index -> service index
    served: list[Expr]                       # per service: its load served, model units
    supply: list[FleetSupplyVars] = field(default_factory=list)  # one per supply case (unless relaxed)


def build_fleet_model(services: list[ServiceDesigns], terms: dict[str, OfferTerms], *,
                      relax: frozenset[str] = frozenset()) -> FleetVars:
    """The least-cost fleet model; `relax`: shared limit families left out (for a diagnosis)."""
    m = cp_model.CpModel()
    shared = services[0].scenario
    servers = {oid: m.new_int_var(t.available_servers if t.owned else 0, t.available_servers, f"servers[{oid}]")
               for oid, t in terms.items()}
    server_ub = {oid: t.available_servers for oid, t in terms.items()}
    designs: list[Design] = []
    service_of: list[int] = []
    replicas: dict[int, cp_model.IntVar] = {}
    # Supply cases may buy servers beyond what the loads need (so that enough arrive). In a fleet those
    # servers stay spare when every bid delivers: filling them with replicas of whichever service packs
    # cheapest would hand that service capacity (and cost per token) it never asked for.
    spare_allowed = bool(shared.constraints.robust_to) and "robust" not in relax
    for k, svc in enumerate(services):
        target = headroom_demand(svc.scenario, load_demand(svc.scenario))
        for d in svc.designs:
            i = len(designs)
            fit = server_ub[d.offer_id] * terms[d.offer_id].cards_per_server // d.cards
            need = math.ceil(target / max(capacity_units(d), 1)) + (_per_server(d, terms) if svc.scenario.constraints.n_plus_one else 0)
            replicas[i] = m.new_int_var(0, max(0, min(need, fit)), f"replicas[{svc.name}:{d.key}]")
            designs.append(d)
            service_of.append(k)
    v = PlanVars(m, servers, replicas, server_ub)
    fv = FleetVars(v, designs, service_of, [])
    v.constraints["packing"] = add_packing(v, designs, terms, allow_idle=spare_allowed)
    limits = {
        "availability": lambda: add_availability(v, terms), "budget": lambda: add_budget(v, shared, terms),
        "max_servers": lambda: add_max_servers(v, shared), "power": lambda: add_power(v, shared, terms),
        "single_vendor": lambda: add_single_vendor(v, shared, terms), "robust": lambda: add_fleet_robust(fv, services, terms),
    }
    for family in SHARED_FAMILIES:
        if family not in relax:
            v.constraints[family] = limits[family]()
    served: list[Expr] = []
    for k, svc in enumerate(services):
        own = [i for i in range(len(designs)) if service_of[i] == k]
        sub = PlanVars(m, servers, {j: replicas[i] for j, i in enumerate(own)}, server_ub)
        sub.served = _served(m, list(svc.designs), sub.replicas, shared=svc.scenario.constraints.n_plus_one)
        demand = load_demand(svc.scenario)
        add_load(sub, demand)
        add_headroom(sub, svc.scenario, demand)
        add_n_plus_one(sub, svc.scenario, list(svc.designs), terms, demand)
        add_one_shape(sub, svc.scenario, list(svc.designs))
        served.append(sub.served)
    minimize_cost(v, terms)
    fv.served = served
    return fv


def add_fleet_robust(fv: FleetVars, services: list[ServiceDesigns], terms: dict[str, OfferTerms]) -> list[cp_model.Constraint]:
    """Each supply case of constraints.robust_to: on the servers that arrive, every service's own
    replicas (new variables per case) serve its load_share of its load, the cards of all services
    packed per offer within what arrives (a server that does not arrive carries nothing)."""
    v, shared = fv.plan, services[0].scenario
    out: list[cp_model.Constraint] = []
    for k, case in enumerate(shared.constraints.robust_to):
        delivered = supply_delivered(v.model, shared, case, v.servers, v.server_ub, out, tag=str(k))
        replicas = {i: v.model.new_int_var(0, upper_bound(x), f"case{k}[{services[fv.service_of[i]].name}:{fv.designs[i].key}]")
                    for i, x in v.replicas.items()}
        for oid, t in terms.items():
            used = sum(d.cards * replicas[i] for i, d in enumerate(fv.designs) if d.offer_id == oid)
            out.append(v.model.add(used <= t.cards_per_server * delivered[oid]))
        served: list[Expr] = []
        for s, svc in enumerate(services):
            own = [i for i in range(len(fv.designs)) if fv.service_of[i] == s]
            served.append(_served(v.model, list(svc.designs), {j: replicas[i] for j, i in enumerate(own)}, shared=False))
            out.append(v.model.add(served[-1] >= math.ceil(case.load_share * load_demand(svc.scenario) - 1e-9)))
        fv.supply.append(FleetSupplyVars(k, delivered, replicas, served))
    return out


def solve_fleet_designs(services: list[ServiceDesigns], terms: dict[str, OfferTerms], *,
                        relax: frozenset[str] = frozenset()) -> tuple[Status, FleetPlan | None, int | None, int | None]:
    """The cheapest fleet, then among equally cheap ones the fewest server boundaries crossed by
    replicas, then the fewest pipeline stages, then the fewest replicas (a replica inside a server,
    without a pipeline, is the simpler one to run; servers bought only for a supply case stay spare),
    so the same scenario always reports the same plan: status, plan, cost objective and its best bound."""
    fv = build_fleet_model(services, terms, relax=relax)
    solver = new_solver()
    status = status_of(solver.solve(fv.plan.model))
    if not has_plan(status):
        return status, None, None, None
    objective, bound = round(solver.objective_value), round(solver.best_objective_bound)
    cap_cost(fv.plan, terms, objective)
    x = fv.plan.replicas
    spans = {i: -(-fv.designs[i].cards // terms[fv.designs[i].offer_id].cards_per_server) - 1 for i in x}
    stages = {i: fv.designs[i].perf.parallelism.pp - 1 for i in x}
    r_max = sum(upper_bound(v) for v in x.values()) + 1
    p_max = sum(stages[i] * upper_bound(v) for i, v in x.items()) + 1
    fv.plan.model.minimize(r_max * p_max * sum(spans[i] * v for i, v in x.items() if spans[i])
                           + r_max * sum(stages[i] * v for i, v in x.items() if stages[i]) + sum(x.values()))
    hint_solution(fv.plan, solver)
    tie = new_solver()
    final = tie if has_plan(status_of(tie.solve(fv.plan.model))) else solver
    return status, _extract(final, fv, services, terms), objective, bound


def one_vendor(services: list[ServiceDesigns]) -> list[ServiceDesigns]:
    """The same services, the fleet bought from one vendor (constraints.single_vendor, shared)."""
    return [ServiceDesigns(s.name, s.scenario.model_copy(update={"constraints": s.scenario.constraints.model_copy(
        update={"single_vendor": True})}), s.designs) for s in services]


def new_vendors(servers: dict[str, int], terms: dict[str, OfferTerms]) -> set[str]:
    """Vendors bought from (hardware already owned is no new contract)."""
    return {terms[oid].vendor for oid, n in servers.items() if n and not terms[oid].owned}


def recommend_fleet(services: list[ServiceDesigns], terms: dict[str, OfferTerms]
                ) -> tuple[Status, FleetPlan | None, int | None, int | None, VendorRule | None]:
    """The fleet to recommend: the cheapest (solve_fleet_designs) under the solve's vendor rule, as
    for one service (plan.solve.vendor_rule): a fleet buying from several vendors must save more than
    constraints.mix_min_saving_pct against the best one-vendor fleet, else that one is bought."""
    status, plan, objective, bound = solve_fleet_designs(services, terms)
    if plan is None or len(new_vendors(plan.servers, terms)) <= 1:
        return status, plan, objective, bound, None
    s_status, single, s_objective, s_bound = solve_fleet_designs(one_vendor(services), terms)
    pct = services[0].scenario.constraints.mix_min_saving_pct
    rule = VendorRule(plan.cost_rmb, None if single is None else single.cost_rmb, pct, True)
    if single is not None and (rule.saving_pct or 0.0) <= pct:
        return s_status, single, s_objective, s_bound, VendorRule(rule.mix_rmb, rule.single_rmb, pct, False)
    return status, plan, objective, bound, rule


def _extract(solver: cp_model.CpSolver, fv: FleetVars, services: list[ServiceDesigns], terms: dict[str, OfferTerms]) -> FleetPlan:
    servers = {oid: int(solver.value(x)) for oid, x in sorted(fv.plan.servers.items()) if solver.value(x) > 0}
    per_service = service_plans(solver, fv.plan.replicas, fv.designs, fv.service_of, services)
    cost = sum(terms[o].cost_rmb_per_server * n for o, n in servers.items())
    capex = sum(terms[o].price_rmb_per_server * n for o, n in servers.items())
    supply = tuple(FleetSupply(c.case, {oid: int(solver.value(x)) for oid, x in sorted(c.delivered.items()) if oid in servers},
                               service_plans(solver, c.replicas, fv.designs, fv.service_of, services)) for c in fv.supply)
    return FleetPlan(cost, capex, servers, tuple(per_service), supply)


def service_plans(solver: cp_model.CpSolver, replicas: dict[int, cp_model.IntVar], designs: list[Design], service_of: list[int],
                  services: list[ServiceDesigns]) -> tuple[ServicePlan, ...]:
    """Each service's replicas among `replicas` (indexed over every service's designs, `service_of`
    naming each one's service)."""
    out = []
    for k, svc in enumerate(services):
        groups = tuple(ReplicaGroup(designs[i], int(solver.value(x))) for i, x in sorted(replicas.items())
                       if service_of[i] == k and solver.value(x) > 0)
        out.append(ServicePlan(svc.name, groups, served_by([(g.design, g.count) for g in groups])))
    return tuple(out)


def fleet_diagnosis(services: list[ServiceDesigns], terms: dict[str, OfferTerms], standalone: tuple[SolveResult, ...],
                    status: Status) -> str:
    """Why no fleet serves every service: the services that no bid serves on its own, else the
    shared limits whose relaxation alone would let the fleet through."""
    if status == "unknown":
        return "the solver ran out of time before finding a fleet or proving there is none"
    alone = [f"{s.name} cannot be served on its own ({r.diagnosis.binding[0] if r.diagnosis and r.diagnosis.binding else 'no plan'})"
             for s, r in zip(services, standalone, strict=True) if not r.plans]
    if alone:
        return "; ".join(alone)
    works = []
    for family in SHARED_FAMILIES:
        _, plan, _, _ = solve_fleet_designs(services, terms, relax=frozenset({family}))
        if plan is not None:
            need = ", ".join(f"{n} x {o} (available {terms[o].available_servers})" for o, n in plan.servers.items())
            works.append(f"relaxing {family} alone would work: {need}, RMB {plan.cost_rmb:,}")
    return "; or ".join(works) or "every service can be served on its own, but not all of them on one purchase within its limits"
