"""CP-SAT plan model: how many servers of each offer to buy and how many replicas of each design
to run on them, at least cost, covering the load within availability, budget and vendor rules.

One `add_<family>()` per constraint family; each returns the constraints it added (enforced by
the family's assumption literal when the model is built for a diagnosis).

Scaling (the one place floats become integers): load is counted in units of 1/LOAD_SCALE of the
scenario's load unit; a replica's capacity is rounded down and the demand up, so a plan the model
accepts never serves less than asked. Money is whole RMB (prices rounded to the yuan).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer import units
from optimizer.plan.result import Design
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario

LOAD_SCALE = 1000  # integer load units per scenario load unit (a scaling, not a unit conversion)
# A CP-SAT expression as this module builds it: cp_model.LinearExprT without numpy's integer
# types, which mypy cannot add to a LinearExpr (an IntVar is a LinearExpr).
Expr = cp_model.LinearExpr | int

CONSTRAINT_FAMILIES = ("availability", "budget", "max_servers", "power", "single_vendor", "headroom", "n_plus_one")


@dataclass
class PlanVars:
    model: cp_model.CpModel
    servers: dict[str, cp_model.IntVar]           # offer id -> servers bought
    replicas: dict[int, cp_model.IntVar]          # design index -> replicas run
    server_ub: dict[str, int]                     # offer id -> most servers the model may buy
    served: Expr = 0                              # load served, in 1/LOAD_SCALE load units
    enforce: dict[str, cp_model.IntVar] = field(default_factory=dict)  # constraint family -> literal
    constraints: dict[str, list[cp_model.Constraint]] = field(default_factory=dict)  # family -> what add_<family>() added


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
    target = headroom_demand(scenario, demand)  # what the replicas must cover with the headroom
    spare = scenario.constraints.n_plus_one
    servers, server_ub = {}, {}
    for oid, t in terms.items():
        ub = t.available_servers
        if ("availability" in relax or with_assumptions) and not t.owned:  # owned hardware cannot grow
            ub = max(ub, _servers_bound(designs, oid, t, target) + (1 if spare else 0))
        if only_offer is not None and oid != only_offer and not t.owned:  # owned hardware stays in every bid's plan
            ub = 0
        server_ub[oid] = ub
        lb = ub if t.owned else 0  # hardware already owned is there whether used or not
        servers[oid] = m.new_int_var(lb, ub, f"servers[{oid}]")
    replicas = {}
    for i, d in enumerate(designs):
        fit = server_ub[d.offer_id] * terms[d.offer_id].cards_per_server // d.cards
        need = fit if maximize_load else math.ceil(target / max(capacity_units(d), 1)) + (_per_server(d, terms) if spare else 0)
        replicas[i] = m.new_int_var(0, max(0, min(need, fit)), f"replicas[{d.key}]")
    v = PlanVars(m, servers, replicas, server_ub)
    v.served = _served(m, designs, replicas)
    for family in active_families(scenario):
        if with_assumptions and family not in relax:
            v.enforce[family] = m.new_bool_var(f"enforce[{family}]")
    v.constraints["packing"] = add_packing(v, designs, terms)
    v.constraints["load"] = add_load(v, designs, demand)
    if "availability" not in relax:
        v.constraints["availability"] = add_availability(v, terms)
    if "budget" not in relax:
        v.constraints["budget"] = add_budget(v, scenario, terms)
    if "max_servers" not in relax:
        v.constraints["max_servers"] = add_max_servers(v, scenario)
    if "power" not in relax:
        v.constraints["power"] = add_power(v, scenario, terms)
    if "single_vendor" not in relax:
        v.constraints["single_vendor"] = add_single_vendor(v, scenario, terms)
    if "headroom" not in relax:
        v.constraints["headroom"] = add_headroom(v, scenario, demand)
    if "n_plus_one" not in relax:
        v.constraints["n_plus_one"] = add_n_plus_one(v, scenario, designs, terms, demand)
    for plan in forbid:
        forbid_purchase(v, plan)
    if maximize_load:
        m.maximize(v.served)
    else:
        m.minimize(cost_expr(v, terms))
    if v.enforce:
        m.add_assumptions(list(v.enforce.values()))
    return v


def _served(m: cp_model.CpModel, designs: list[Design], replicas: dict[int, cp_model.IntVar]) -> Expr:
    """Colocated replicas serve their capacity; prefill and decode replicas serve as much as the
    weaker pool (PD balance), so with a split the served load is a variable bounded by both."""
    side: dict[str, list[Expr]] = {"colocated": [], "prefill": [], "decode": []}
    bound = 0
    for i, d in enumerate(designs):
        side[d.role].append(capacity_units(d) * replicas[i])
        bound += capacity_units(d) * upper_bound(replicas[i])
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
        "headroom": scenario.sla.headroom_pct > 0, "n_plus_one": c.n_plus_one,
    }
    return [f for f in CONSTRAINT_FAMILIES if given[f]]


def _servers_bound(designs: list[Design], oid: str, t: OfferTerms, demand: int) -> int:
    """Servers that would cover the whole load with this offer's best design (for relaxations)."""
    needs = [
        math.ceil(math.ceil(demand / max(capacity_units(d), 1)) * d.cards / t.cards_per_server)
        for d in designs if d.offer_id == oid
    ]
    return min(needs, default=0)


Constraints = list[cp_model.Constraint]


def _when(v: PlanVars, family: str, ct: cp_model.Constraint) -> cp_model.Constraint:
    if family in v.enforce:
        ct.only_enforce_if(v.enforce[family])
    return ct


def add_packing(v: PlanVars, designs: list[Design], terms: dict[str, OfferTerms]) -> Constraints:
    """Cards used by replicas fit in the servers bought, and no server is bought to stand idle.
    Replicas are 1, 2, 4, ... cards or whole servers, so counting cards packs exactly (sizes that
    divide each other nest without waste)."""
    out = []
    for oid, t in terms.items():
        used = sum(d.cards * v.replicas[i] for i, d in enumerate(designs) if d.offer_id == oid)
        out.append(v.model.add(used <= t.cards_per_server * v.servers[oid]))
        if not t.owned:
            out.append(v.model.add(t.cards_per_server * (v.servers[oid] - 1) < used).only_enforce_if(v.model.new_constant(1)))
    return out


def add_load(v: PlanVars, designs: list[Design], demand: int) -> Constraints:
    """The replicas together serve the demand (capacity rounded down, demand up)."""
    return [v.model.add(v.served >= demand)]


def add_availability(v: PlanVars, terms: dict[str, OfferTerms]) -> Constraints:
    """A vendor cannot deliver more servers than it bid (owned hardware: what is already there)."""
    return [_when(v, "availability", v.model.add(v.servers[oid] <= t.available_servers)) for oid, t in terms.items()]


def add_budget(v: PlanVars, scenario: Scenario, terms: dict[str, OfferTerms]) -> Constraints:
    """Purchase price within the budget cap (capex: energy in a TCO objective is not spent up front)."""
    cap = scenario.constraints.budget_rmb
    if cap is None:
        return []
    capex = sum(t.price_rmb_per_server * v.servers[oid] for oid, t in terms.items())
    return [_when(v, "budget", v.model.add(capex <= math.floor(cap)))]


def add_max_servers(v: PlanVars, scenario: Scenario) -> Constraints:
    """Rack space: a cap on servers of all offers together."""
    cap = scenario.constraints.max_servers
    if cap is None:
        return []
    return [_when(v, "max_servers", v.model.add(sum(v.servers.values()) <= cap))]


def add_power(v: PlanVars, scenario: Scenario, terms: dict[str, OfferTerms]) -> Constraints:
    """Facility power: cards x TDP of every server within the cap. Offers with unknown TDP are
    excluded when a cap is set, since they cannot be shown to respect it."""
    cap = scenario.constraints.power_cap_kw
    if cap is None:
        return []
    out, total = [], []
    for oid, t in terms.items():
        if t.power_w_per_server is None:
            out.append(_when(v, "power", v.model.add(v.servers[oid] == 0)))
        else:
            total.append(round(t.power_w_per_server) * v.servers[oid])
    if total:
        out.append(_when(v, "power", v.model.add(sum(total) <= round(units.kw_to_w(cap)))))
    return out


def add_single_vendor(v: PlanVars, scenario: Scenario, terms: dict[str, OfferTerms]) -> Constraints:
    """One vendor for the whole fleet when the scenario asks for it (support, one contract)."""
    if not scenario.constraints.single_vendor:
        return []
    vendors = sorted({t.vendor for t in terms.values()})
    chosen = {vendor: v.model.new_bool_var(f"vendor[{vendor}]") for vendor in vendors}
    out = [_when(v, "single_vendor", v.model.add(v.servers[oid] <= v.server_ub[oid] * chosen[t.vendor])) for oid, t in terms.items()]
    out.append(_when(v, "single_vendor", v.model.add(sum(chosen.values()) <= 1)))
    return out


def add_headroom(v: PlanVars, scenario: Scenario, demand: int) -> Constraints:
    """Capacity at least the load x (1 + sla.headroom_pct / 100), rounded up."""
    if scenario.sla.headroom_pct <= 0:
        return []
    return [_when(v, "headroom", v.model.add(v.served >= headroom_demand(scenario, demand)))]


def server_loss_units(d: Design, terms: dict[str, OfferTerms]) -> int:
    """Most load (in model units) one failed server of d's offer can take away from replicas of
    design d: a replica on whole servers is lost entirely; replicas inside a server lose at most a
    full server's worth of them (cards_per_server / cards replicas)."""
    return math.ceil(d.capacity * LOAD_SCALE - 1e-9) * _per_server(d, terms)  # rounded up: never under-counts a loss


def _per_server(d: Design, terms: dict[str, OfferTerms]) -> int:
    """Replicas of d one server holds (a replica spanning servers counts as one)."""
    return max(1, terms[d.offer_id].cards_per_server // d.cards)


def add_n_plus_one(v: PlanVars, scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], demand: int) -> Constraints:
    """N+1: the demand is still served with any one server down. A failed server of an offer
    takes away at most the largest server_loss_units() among the designs run on that offer
    (capacity per card is highest for that design), so for every design in use:
    served - loss(design) >= demand. Conservative for mixed servers; exact for one design per offer."""
    if not scenario.constraints.n_plus_one:
        return []
    out = []
    for i, d in enumerate(designs):
        if upper_bound(v.replicas[i]) == 0:
            continue
        used = v.model.new_bool_var(f"used[{d.key}]")
        out.append(_when(v, "n_plus_one", v.model.add(v.replicas[i] <= upper_bound(v.replicas[i]) * used)))
        out.append(_when(v, "n_plus_one", v.model.add(v.served - server_loss_units(d, terms) >= demand).only_enforce_if(used)))
    return out


def forbid_purchase(v: PlanVars, plan: dict[str, int]) -> None:
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


def upper_bound(var: cp_model.IntVar) -> int:
    return int(var.proto.domain[len(var.proto.domain) - 1])


def load_demand(scenario: Scenario) -> int:
    return math.ceil(scenario.workload.load.amount * LOAD_SCALE - 1e-9)


def headroom_demand(scenario: Scenario, demand: int) -> int:
    """The demand raised by sla.headroom_pct (rounded up)."""
    return math.ceil(demand * (1 + scenario.sla.headroom_pct / 100) - 1e-9)


def capacity_units(d: Design) -> int:
    return math.floor(d.capacity * LOAD_SCALE + 1e-9)
