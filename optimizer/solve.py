"""CP-SAT plan model: how many servers of each offer to buy and how many replicas of each design
to run on them, at least cost, covering the load within availability, budget and vendor rules.

Scaling (the one place floats become integers): load is counted in units of 1/LOAD_SCALE of the
scenario's load unit; a replica's capacity is rounded down and the demand up, so a plan the model
accepts never serves less than asked. Money is whole RMB (prices rounded to the yuan).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer.check import assert_plan_valid
from optimizer.designs import Design, OfferSummary, enumerate_designs, offer_cards_per_server, prune_dominated, served_by
from optimizer.scenario import Offer, Scenario
from optimizer.specs import ModelSpec, get_model, load_cards

LOAD_SCALE = 1000
HOURS_PER_YEAR = 24 * 365
TIME_LIMIT_S = 20.0
CONSTRAINT_FAMILIES = ("availability", "budget", "max_servers", "power", "single_vendor")


# --------------------------------------------------------------------------------------------
# Offer terms: price, power and limits of each bid, in the integers the model uses


@dataclass(frozen=True)
class OfferTerms:
    offer_id: str
    vendor: str
    card_id: str
    cards_per_server: int
    price_rmb_per_server: int
    energy_rmb_per_server: int      # TCO only: energy over the horizon at TDP x PUE
    power_w_per_server: float | None  # cards x TDP (card power only); None = TDP unknown
    available_servers: int
    owned: bool
    price_kind: str

    @property
    def cost_rmb_per_server(self) -> int:
        return self.price_rmb_per_server + self.energy_rmb_per_server


def offer_terms(scenario: Scenario) -> dict[str, OfferTerms]:
    cards = load_cards()
    out = {}
    for offer in scenario.offers:
        card = cards[offer.card]
        cps = offer_cards_per_server(offer, card)
        power = card.tdp_w * cps if card.tdp_w is not None else None
        energy = 0
        obj = scenario.objective
        if obj.kind == "tco" and power is not None:
            assert obj.years is not None and obj.rmb_per_kwh is not None
            energy = round(power / 1000 * obj.pue * HOURS_PER_YEAR * obj.years * obj.rmb_per_kwh)
        out[offer.id] = OfferTerms(
            offer_id=offer.id, vendor=offer.vendor, card_id=offer.card, cards_per_server=cps,
            price_rmb_per_server=0 if offer.owned else round(server_price_rmb(offer, card.price_rmb_per_card, cps)),
            energy_rmb_per_server=energy, power_w_per_server=power,
            available_servers=offer.available_servers, owned=offer.owned,
            price_kind="catalog" if offer.use_catalog_price else offer.price_kind,
        )
    return out


def server_price_rmb(offer: Offer, catalog_price, cps: int) -> float:  # type: ignore[no-untyped-def]
    if offer.price_rmb_per_server is not None:
        return offer.price_rmb_per_server
    if offer.price_rmb_per_card is not None:
        return offer.price_rmb_per_card * cps + offer.server_base_rmb
    if offer.use_catalog_price is not None:
        per_card = {"low": catalog_price.low_rmb, "mid": catalog_price.mid_rmb, "high": catalog_price.high_rmb}
        return per_card[offer.use_catalog_price] * cps + offer.server_base_rmb
    return 0.0


# --------------------------------------------------------------------------------------------
# The model


@dataclass
class PlanVars:
    model: cp_model.CpModel
    servers: dict[str, cp_model.IntVar]           # offer id -> servers bought
    replicas: dict[int, cp_model.IntVar]          # design index -> replicas run
    server_ub: dict[str, int]                     # offer id -> most servers the model may buy
    served: cp_model.LinearExprT = 0              # load served, in 1/LOAD_SCALE load units
    enforce: dict[str, cp_model.IntVar] = field(default_factory=dict)  # constraint family -> literal


def build_plan_model(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], *,
    relax: frozenset[str] = frozenset(), forbid: tuple[dict[str, int], ...] = (),
    only_offer: str | None = None, with_assumptions: bool = False, maximize_load: bool = False,
    min_served: int | None = None,
) -> PlanVars:
    """The plan model. Default goal: least cost covering the load. With `maximize_load`: most load
    served (at least `min_served` units) within the limits; the caller then minimises cost at that
    load (see solve_max_load)."""
    m = cp_model.CpModel()
    demand = load_demand(scenario) if min_served is None else min_served
    servers, server_ub = {}, {}
    for oid, t in terms.items():
        ub = t.available_servers
        if ("availability" in relax or with_assumptions) and not t.owned:  # owned hardware cannot grow
            ub = max(ub, _servers_bound(designs, oid, t, demand))
        if only_offer is not None and oid != only_offer and not t.owned:  # owned hardware stays in every bid's plan
            ub = 0
        server_ub[oid] = ub
        lb = ub if t.owned else 0  # hardware already owned is there whether used or not
        servers[oid] = m.new_int_var(lb, ub, f"servers[{oid}]")
    replicas = {}
    for i, d in enumerate(designs):
        fit = server_ub[d.offer_id] * terms[d.offer_id].cards_per_server // d.cards
        need = fit if maximize_load else math.ceil(demand / max(capacity_units(d), 1))
        replicas[i] = m.new_int_var(0, max(0, min(need, fit)), f"replicas[{d.key}]")
    v = PlanVars(m, servers, replicas, server_ub)
    v.served = _served(m, designs, replicas)
    for family in active_families(scenario):
        if with_assumptions and family not in relax:
            v.enforce[family] = m.new_bool_var(f"enforce[{family}]")
    _add_packing(v, designs, terms)
    _add_load(v, designs, demand)
    if "availability" not in relax:
        _add_availability(v, terms)
    if "budget" not in relax:
        _add_budget(v, scenario, terms)
    if "max_servers" not in relax:
        _add_max_servers(v, scenario)
    if "power" not in relax:
        _add_power(v, scenario, terms)
    if "single_vendor" not in relax:
        _add_single_vendor(v, scenario, terms)
    for plan in forbid:
        _forbid_purchase(v, plan)
    if maximize_load:
        m.maximize(v.served)
    else:
        m.minimize(cost_expr(v, terms))
    if v.enforce:
        m.add_assumptions(list(v.enforce.values()))
    return v


def _served(m: cp_model.CpModel, designs: list[Design], replicas: dict[int, cp_model.IntVar]) -> cp_model.LinearExprT:
    """Colocated replicas serve their capacity; prefill and decode replicas serve as much as the
    weaker pool (PD balance), so with a split the served load is a variable bounded by both."""
    side = {"colocated": [], "prefill": [], "decode": []}  # type: dict[str, list[cp_model.LinearExprT]]
    bound = 0
    for i, d in enumerate(designs):
        side[d.role].append(capacity_units(d) * replicas[i])
        bound += capacity_units(d) * _upper_bound(replicas[i])
    colocated = sum(side["colocated"])
    if not side["prefill"] and not side["decode"]:
        return colocated
    served = m.new_int_var(0, bound, "served")
    m.add(served <= colocated + sum(side["prefill"]))
    m.add(served <= colocated + sum(side["decode"]))
    return served


def cost_expr(v: PlanVars, terms: dict[str, OfferTerms]) -> cp_model.LinearExprT:
    return sum(t.cost_rmb_per_server * v.servers[oid] for oid, t in terms.items())


def active_families(scenario: Scenario) -> list[str]:
    """Constraint families the scenario actually sets (availability always applies)."""
    c = scenario.constraints
    given = {
        "availability": True, "budget": c.budget_rmb is not None, "max_servers": c.max_servers is not None,
        "power": c.power_cap_kw is not None, "single_vendor": c.single_vendor,
    }
    return [f for f in CONSTRAINT_FAMILIES if given[f]]


def _servers_bound(designs: list[Design], oid: str, t: OfferTerms, demand: int) -> int:
    """Servers that would cover the whole load with this offer's best design (for relaxations)."""
    needs = [
        math.ceil(math.ceil(demand / max(capacity_units(d), 1)) * d.cards / t.cards_per_server)
        for d in designs if d.offer_id == oid
    ]
    return min(needs, default=0)


def _when(v: PlanVars, family: str, ct: cp_model.Constraint) -> None:
    if family in v.enforce:
        ct.only_enforce_if(v.enforce[family])


def _add_packing(v: PlanVars, designs: list[Design], terms: dict[str, OfferTerms]) -> None:
    """Cards used by replicas fit in the servers bought, and no server is bought to stand idle.
    Replicas are 1, 2, 4, ... cards or whole servers, so counting cards packs exactly (sizes that
    divide each other nest without waste)."""
    for oid, t in terms.items():
        used = sum(d.cards * v.replicas[i] for i, d in enumerate(designs) if d.offer_id == oid)
        v.model.add(used <= t.cards_per_server * v.servers[oid])
        if not t.owned:
            v.model.add(t.cards_per_server * (v.servers[oid] - 1) < used).only_enforce_if(v.model.new_constant(1))


def _add_load(v: PlanVars, designs: list[Design], demand: int) -> None:
    """The replicas together serve the demand (capacity rounded down, demand up)."""
    v.model.add(v.served >= demand)


def _add_availability(v: PlanVars, terms: dict[str, OfferTerms]) -> None:
    """A vendor cannot deliver more servers than it bid (owned hardware: what is already there)."""
    for oid, t in terms.items():
        _when(v, "availability", v.model.add(v.servers[oid] <= t.available_servers))


def _add_budget(v: PlanVars, scenario: Scenario, terms: dict[str, OfferTerms]) -> None:
    """Purchase price within the budget cap (capex: energy in a TCO objective is not spent up front)."""
    cap = scenario.constraints.budget_rmb
    if cap is not None:
        capex = sum(t.price_rmb_per_server * v.servers[oid] for oid, t in terms.items())
        _when(v, "budget", v.model.add(capex <= math.floor(cap)))


def _add_max_servers(v: PlanVars, scenario: Scenario) -> None:
    """Rack space: a cap on servers of all offers together."""
    cap = scenario.constraints.max_servers
    if cap is not None:
        _when(v, "max_servers", v.model.add(sum(v.servers.values()) <= cap))


def _add_power(v: PlanVars, scenario: Scenario, terms: dict[str, OfferTerms]) -> None:
    """Facility power: cards x TDP of every server within the cap. Offers with unknown TDP are
    excluded when a cap is set, since they cannot be shown to respect it."""
    cap = scenario.constraints.power_cap_kw
    if cap is None:
        return
    total = []
    for oid, t in terms.items():
        if t.power_w_per_server is None:
            _when(v, "power", v.model.add(v.servers[oid] == 0))
        else:
            total.append(round(t.power_w_per_server) * v.servers[oid])
    if total:
        _when(v, "power", v.model.add(sum(total) <= round(cap * 1000)))


def _add_single_vendor(v: PlanVars, scenario: Scenario, terms: dict[str, OfferTerms]) -> None:
    """One vendor for the whole fleet when the scenario asks for it (support, one contract)."""
    if not scenario.constraints.single_vendor:
        return
    vendors = sorted({t.vendor for t in terms.values()})
    chosen = {vendor: v.model.new_bool_var(f"vendor[{vendor}]") for vendor in vendors}
    for oid, t in terms.items():
        ub = v.server_ub[oid]
        _when(v, "single_vendor", v.model.add(v.servers[oid] <= ub * chosen[t.vendor]))
    _when(v, "single_vendor", v.model.add(sum(chosen.values()) <= 1))


def _forbid_purchase(v: PlanVars, plan: dict[str, int]) -> None:
    """Exclude a purchase and every purchase containing it (the same servers plus more), so the
    next solve finds a genuinely different fleet, not the last one with extra servers: at least
    one offer of `plan` must get fewer servers."""
    fewer = []
    for oid, n in sorted(plan.items()):
        if n > 0 and oid in v.servers:
            lit = v.model.new_bool_var(f"fewer[{oid}<{n}]")
            v.model.add(v.servers[oid] <= n - 1).only_enforce_if(lit)
            fewer.append(lit)
    v.model.add_bool_or(fewer)


def load_demand(scenario: Scenario) -> int:
    return math.ceil(scenario.workload.load.amount * LOAD_SCALE - 1e-9)


def capacity_units(d: Design) -> int:
    return math.floor(d.capacity * LOAD_SCALE + 1e-9)


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class ReplicaGroup:
    design: Design
    count: int


@dataclass(frozen=True)
class Plan:
    rank: int
    cost_rmb: int
    capex_rmb: int
    servers: dict[str, int]
    groups: tuple[ReplicaGroup, ...]
    served: float                     # load served, scenario unit

    @property
    def cards(self) -> int:
        return sum(g.design.cards * g.count for g in self.groups)


@dataclass(frozen=True)
class OfferOutcome:
    offer_id: str
    plan: Plan | None
    reason: str | None


@dataclass(frozen=True)
class Diagnosis:
    binding: tuple[str, ...]
    relaxations: tuple[str, ...]
    offer_reasons: dict[str, str]


@dataclass(frozen=True)
class SolveResult:
    scenario: Scenario
    model: ModelSpec
    status: str                       # optimal | feasible | infeasible
    objective_rmb: int | None
    best_bound_rmb: int | None
    solve_seconds: float
    designs: tuple[Design, ...]       # non-dominated designs given to CP-SAT
    candidates: tuple[Design, ...]    # every SLA-compliant design before pruning
    plans: tuple[Plan, ...]
    per_offer: tuple[OfferOutcome, ...]
    diagnosis: Diagnosis | None
    terms: dict[str, OfferTerms]
    summaries: dict[str, OfferSummary]
    central_plan: Plan | None = None  # the plan at the model's central estimate (confidence 0.5), for the headline range


def _solver(time_limit_s: float = TIME_LIMIT_S) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    s.parameters.max_time_in_seconds = time_limit_s
    s.parameters.num_workers = 1      # one worker: the same input gives the same plan, byte for byte
    s.parameters.random_seed = 0
    return s


def _status_name(code: int) -> str:
    return {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible"}.get(code, "infeasible")


def _extract(solver: cp_model.CpSolver, v: PlanVars, designs: list[Design], terms: dict[str, OfferTerms], rank: int) -> Plan:
    servers = {oid: int(solver.value(x)) for oid, x in sorted(v.servers.items()) if solver.value(x) > 0}
    groups = tuple(
        ReplicaGroup(designs[i], int(solver.value(x))) for i, x in sorted(v.replicas.items()) if solver.value(x) > 0
    )
    cost = sum(terms[o].cost_rmb_per_server * n for o, n in servers.items())
    capex = sum(terms[o].price_rmb_per_server * n for o, n in servers.items())
    served = served_by([(g.design, g.count) for g in groups])
    return Plan(rank, cost, capex, servers, groups, served)


def solve_designs(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], **kw  # type: ignore[no-untyped-def]
) -> tuple[int, cp_model.CpSolver, PlanVars]:
    v = build_plan_model(scenario, designs, terms, **kw)
    solver = _solver()
    code = solver.solve(v.model)
    return code, solver, v


def solve_min_cost(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], *, rank: int = 1, **kw  # type: ignore[no-untyped-def]
) -> tuple[str, Plan | None, int | None, int | None]:
    """Cheapest plan, and among equally cheap ones the one serving the most load (two solves,
    lexicographic, so the same scenario always reports the same plan). Returns status, plan, cost
    objective and its best bound."""
    if not designs:
        return "infeasible", None, None, None
    code, solver, v = solve_designs(scenario, designs, terms, **kw)
    status = _status_name(code)
    if status == "infeasible":
        return status, None, None, None
    objective, bound = round(solver.objective_value), round(solver.best_objective_bound)
    v = build_plan_model(scenario, designs, terms, **kw)
    v.model.add(cost_expr(v, terms) <= objective)
    # Most load first; among those, the fewest replicas (the simpler fleet to run).
    fewer_replicas_weight = sum(_upper_bound(x) for x in v.replicas.values()) + 1
    v.model.maximize(fewer_replicas_weight * v.served - sum(v.replicas.values()))
    tie = _solver()
    if _status_name(tie.solve(v.model)) == "infeasible":  # cannot happen: stage 1's plan qualifies
        return status, _extract(solver, v, designs, terms, rank), objective, bound
    return status, _extract(tie, v, designs, terms, rank), objective, bound


def _upper_bound(var: cp_model.IntVar) -> int:
    return int(var.proto.domain[len(var.proto.domain) - 1])


def solve_max_load(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], *, min_served: int = 0,
    only_offer: str | None = None,
) -> tuple[str, Plan | None]:
    """Most load served within the scenario's limits, then the cheapest plan serving that much
    (two solves: lexicographic, so the second never trades load for money)."""
    if not designs:
        return "infeasible", None
    code, solver, v = solve_designs(scenario, designs, terms, maximize_load=True, min_served=min_served, only_offer=only_offer)
    status = _status_name(code)
    if status == "infeasible":
        return status, None
    best = round(solver.objective_value)
    v = build_plan_model(scenario, designs, terms, maximize_load=True, min_served=min_served, only_offer=only_offer)
    v.model.add(v.served >= best)
    v.model.minimize(cost_expr(v, terms))
    solver = _solver()
    code = solver.solve(v.model)
    if _status_name(code) == "infeasible":
        return "infeasible", None
    status = "optimal" if status == "optimal" and _status_name(code) == "optimal" else "feasible"
    return status, _extract(solver, v, designs, terms, 1)


def solve(scenario: Scenario) -> SolveResult:
    """Enumerate designs, solve the plan model, rank alternatives, diagnose infeasibility."""
    started = time.perf_counter()
    model = get_model(scenario.model)
    candidates, summaries = enumerate_designs(scenario, model, prune=False)
    designs = prune_dominated(candidates, scenario)
    terms = offer_terms(scenario)
    plans: list[Plan] = []
    status, objective, bound, diagnosis = "infeasible", None, None, None
    if designs and scenario.objective.kind == "max_load":
        status, best = solve_max_load(scenario, designs, terms, min_served=load_demand(scenario))
        if best is not None:
            plans.append(best)
            objective = bound = best.cost_rmb
    elif designs:
        status, best, objective, bound = solve_min_cost(scenario, designs, terms)
        if best is not None:
            plans.append(best)
            plans.extend(_alternatives(scenario, designs, terms, best))
    per_offer = tuple(_best_per_offer(scenario, designs, terms, summaries))
    if status == "infeasible":
        diagnosis = diagnose(scenario, designs, terms, summaries)
    for plan in [*plans, *(o.plan for o in per_offer if o.plan is not None)]:
        assert_plan_valid(plan, scenario, model)
    return SolveResult(
        scenario=scenario, model=model, status=status, objective_rmb=objective, best_bound_rmb=bound,
        solve_seconds=time.perf_counter() - started, designs=tuple(designs), candidates=tuple(candidates),
        plans=tuple(plans), per_offer=per_offer, diagnosis=diagnosis, terms=terms, summaries=summaries,
        central_plan=_central_plan(scenario, model, terms),
    )


def _central_plan(scenario: Scenario, model: ModelSpec, terms: dict[str, OfferTerms]) -> Plan | None:
    """The cheapest plan when designs need only meet the SLAs at the model's central estimate
    (confidence 0.5): with the plan at the scenario's confidence it brackets the answer."""
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


def _alternatives(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], best: Plan) -> list[Plan]:
    """Next-cheapest distinct purchases: exclude each plan found and re-solve."""
    found = [best]
    while len(found) < scenario.search.ranked_plans:
        _, plan, _, _ = solve_min_cost(scenario, designs, terms, rank=len(found) + 1, forbid=tuple(p.servers for p in found))
        if plan is None:
            break
        found.append(plan)
    return found[1:]


def _best_per_offer(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], summaries: dict[str, OfferSummary]
) -> list[OfferOutcome]:
    """Each bid's own best plan. Hardware already owned is part of every bid's plan (it is there
    whichever bid wins), so owned offers get no row of their own."""
    out = []
    owned = {oid for oid, t in terms.items() if t.owned}
    for oid in terms:
        if oid in owned:
            out.append(OfferOutcome(oid, None, "owned hardware: counted in every bid's plan"))
            continue
        own = [d for d in designs if d.offer_id == oid or d.offer_id in owned]
        if not any(d.offer_id == oid for d in own):
            out.append(OfferOutcome(oid, None, "; ".join(summaries[oid].reasons) or "no design meets the SLAs"))
            continue
        if scenario.objective.kind == "max_load":
            _, plan = solve_max_load(scenario, own, terms, min_served=load_demand(scenario), only_offer=oid)
            out.append(OfferOutcome(oid, plan, None if plan else "cannot serve the minimum load"))
            continue
        _, plan, _, _ = solve_min_cost(scenario, own, terms, rank=0, only_offer=oid, relax=frozenset({"single_vendor"}))
        if plan is not None:
            out.append(OfferOutcome(oid, plan, None))
            continue
        relaxed = _relaxation_text(scenario, own, terms, only_offer=oid)
        out.append(OfferOutcome(oid, None, relaxed or "cannot cover the load"))
    return out


def diagnose(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], summaries: dict[str, OfferSummary]
) -> Diagnosis:
    reasons = {oid: "; ".join(s.reasons) for oid, s in summaries.items() if s.reasons}
    if not designs:
        excluded = [oid for oid, s in summaries.items() if any("vendor rules" in r for r in s.reasons)]
        if len(excluded) == len(summaries):
            vendors = sorted({t.vendor for t in terms.values()})
            return Diagnosis(
                ("vendor rules",), (f"every offer's vendor is excluded: allow at least one of {', '.join(vendors)}",), reasons
            )
        return Diagnosis(("no design meets memory and the SLAs",), tuple(_sla_relaxations(scenario, summaries)), reasons)
    v = build_plan_model(scenario, designs, terms, with_assumptions=True)
    solver = _solver()
    solver.solve(v.model)
    names = {lit.index: fam for fam, lit in v.enforce.items()}
    binding = tuple(sorted(names[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in names))
    text = _relaxation_text(scenario, designs, terms)
    return Diagnosis(binding or ("load",), (text,) if text else (), reasons)


def _relaxation_text(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], only_offer: str | None = None
) -> str:
    """Smallest single relaxation that makes the scenario feasible, in words."""
    options = []
    for family in active_families(scenario):  # relaxing a limit the scenario does not set changes nothing
        code, solver, v = solve_designs(scenario, designs, terms, relax=frozenset({family}), only_offer=only_offer)
        if _status_name(code) == "infeasible":
            continue
        plan = _extract(solver, v, designs, terms, 0)
        options.append(_describe_relaxation(family, plan, scenario, terms))
    if not options:
        relax_all = frozenset(active_families(scenario))
        code, solver, v = solve_designs(scenario, designs, terms, relax=relax_all, only_offer=only_offer)
        if _status_name(code) != "infeasible":
            plan = _extract(solver, v, designs, terms, 0)
            need = ", ".join(f"{n} x {o}" for o, n in plan.servers.items())
            options.append(f"only relaxing several limits at once works: {need} servers, RMB {plan.cost_rmb:,}")
    return "; or ".join(options)


def _describe_relaxation(family: str, plan: Plan, scenario: Scenario, terms: dict[str, OfferTerms]) -> str:
    need = ", ".join(f"{n} x {o} (available {terms[o].available_servers})" for o, n in plan.servers.items())
    if family == "availability":
        return f"more servers than offered: {need}, RMB {plan.cost_rmb:,}"
    if family == "budget":
        return f"a budget of RMB {plan.cost_rmb:,} (cap {scenario.constraints.budget_rmb:,.0f}) would suffice: {need}"
    if family == "max_servers":
        return f"allowing {sum(plan.servers.values())} servers (cap {scenario.constraints.max_servers}) would suffice"
    if family == "power":
        kw = sum((terms[o].power_w_per_server or 0) * n for o, n in plan.servers.items()) / 1000
        return f"a power cap of {kw:,.1f} kW (cap {scenario.constraints.power_cap_kw:g}) would suffice"
    return f"a mixed fleet would work: {need}, RMB {plan.cost_rmb:,}"


def _sla_relaxations(scenario: Scenario, summaries: dict[str, OfferSummary]) -> list[str]:
    sla = scenario.sla
    out = []
    ttfts = [s.best_ttft_ms for s in summaries.values() if s.best_ttft_ms is not None]
    tpots = [s.best_tpot_ms for s in summaries.values() if s.best_tpot_ms is not None]
    if sla.ttft_ms is not None and ttfts and min(ttfts) > sla.ttft_ms:
        out.append(f"TTFT ≤ {sla.ttft_ms:g} ms is unreachable: the fastest design reaches {min(ttfts):.0f} ms")
    if sla.tpot_ms is not None and tpots and min(tpots) > sla.tpot_ms:
        out.append(f"TPOT ≤ {sla.tpot_ms:g} ms is unreachable: the fastest design reaches {min(tpots):.1f} ms")
    if not ttfts:
        out.append("the model fits no offer's cards in any allowed split: add larger-memory cards, lower precision, or allow multi-server replicas")
    if not out:
        out.append("each SLA is reachable alone but no design meets both at once: relax one of them")
    return out
