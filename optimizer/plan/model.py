"""CP-SAT plan model: how many servers of each offer to buy and how many replicas of each design
to run on them, at least cost, covering the load within availability, budget and vendor rules.

One base build (`base_model`: the variables and every constraint family the scenario sets), then
small modifiers that each add one thing: an objective (`minimize_cost`, `maximize_load`, and the
second stages `prefer_most_load`, `cheapest_at_load`), an excluded purchase (`forbid_purchase`),
assumption literals for a diagnosis (`switchable_limits`), a solution hint (`hint_solution`). A
model is built once per solve and changed in place between its stages: CP-SAT's minimize/maximize
replace the objective, and the cost cap is one constraint whose bound is moved (`cap_cost`).

One `add_<family>()` per constraint family; each returns the constraints it added.

Scaling (the one place floats become integers): load is counted in units of 1/LOAD_SCALE of the
scenario's load unit; a replica's capacity is rounded down and the demand up, so a plan the model
accepts never serves less than asked. Money is whole RMB (prices rounded to the yuan).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from ortools.sat.python import cp_model

from optimizer import units
from optimizer.plan.designs import pool_of
from optimizer.plan.result import Design
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario, SupplyCase

LOAD_SCALE = 1000  # integer load units per scenario load unit (a scaling, not a unit conversion)
# A CP-SAT expression as this module builds it: cp_model.LinearExprT without numpy's integer
# types, which mypy cannot add to a LinearExpr (an IntVar is a LinearExpr).
Expr = cp_model.LinearExpr | int
Constraints = list[cp_model.Constraint]

CONSTRAINT_FAMILIES = ("availability", "budget", "max_servers", "power", "single_vendor", "one_shape", "headroom", "n_plus_one",
                       "robust")
NO_CAP = 2**62  # a cost cap that never binds (CP-SAT domains are int64)


@dataclass(frozen=True)
class ModelOptions:
    """What shapes the variables and which limits exist; everything else is a modifier."""
    relax: frozenset[str] = frozenset()  # constraint families left out
    demand: int | None = None            # load to serve, in model units (None: the scenario's load)
    beyond_bids: bool = False            # servers may exceed the bids (a diagnosis; implied by relaxing availability)
    replicas_to_fit: bool = False        # replica bounds: all that fits the servers (max load), not what covers the demand


@dataclass
class SupplyVars:
    """One supply case of constraints.robust_to: the servers that arrive and the replicas run on them."""
    case: int                                     # index in constraints.robust_to
    delivered: dict[str, Expr]                    # offer id -> servers that arrive
    replicas: dict[int, cp_model.IntVar]          # design index -> replicas run on them
    served: Expr                                  # load those replicas serve, in model units


@dataclass
class PlanVars:
    model: cp_model.CpModel
    servers: dict[str, cp_model.IntVar]           # offer id -> servers bought
    replicas: dict[int, cp_model.IntVar]          # design index -> replicas run
    server_ub: dict[str, int]                     # offer id -> most servers the model may buy
    served: Expr = 0                              # load served, in 1/LOAD_SCALE load units
    enforce: dict[str, cp_model.IntVar] = field(default_factory=dict)  # constraint family -> assumption literal
    constraints: dict[str, list[cp_model.Constraint]] = field(default_factory=dict)  # family -> what add_<family>() added
    cost_cap: cp_model.Constraint | None = None   # cost <= cap, once cap_cost() has been called
    supply: list[SupplyVars] = field(default_factory=list)  # one per constraints.robust_to case (unless relaxed)


def build_plan_model(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], *,
    relax: frozenset[str] = frozenset(), with_assumptions: bool = False,
) -> PlanVars:
    """The least-cost model; with `with_assumptions`, each limit switchable for a diagnosis."""
    v = base_model(scenario, designs, terms, ModelOptions(relax=relax, beyond_bids=with_assumptions))
    if with_assumptions:
        switchable_limits(v)
    minimize_cost(v, terms)
    return v


def base_model(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], opts: ModelOptions = ModelOptions()) -> PlanVars:
    """Variables and every constraint family the scenario sets (but `opts.relax`); no objective."""
    m = cp_model.CpModel()
    demand = load_demand(scenario) if opts.demand is None else opts.demand
    target = headroom_demand(scenario, demand)  # what the replicas must cover with the headroom
    spare = scenario.constraints.n_plus_one
    by_offer = designs_by_offer(designs)
    beyond_bids = opts.beyond_bids or "availability" in opts.relax
    servers, server_ub = {}, {}
    for oid, t in terms.items():
        ub = t.available_servers
        if beyond_bids and not t.owned:  # owned hardware cannot grow
            ub = max(ub, _servers_bound([designs[i] for i in by_offer.get(oid, [])], t, target) + (1 if spare else 0))
        server_ub[oid] = ub
        lb = ub if t.owned else 0  # hardware already owned is there whether used or not
        servers[oid] = m.new_int_var(lb, ub, f"servers[{oid}]")
    replicas = {}
    for i, d in enumerate(designs):
        fit = server_ub[d.offer_id] * terms[d.offer_id].cards_per_server // d.cards
        # Supply cases may buy servers beyond what the load needs (so that enough arrive), and a bought
        # server never stands idle: the replicas may then fill every server the bid holds.
        to_fit = opts.replicas_to_fit or bool(scenario.constraints.robust_to and "robust" not in opts.relax)
        need = fit if to_fit else math.ceil(target / max(capacity_units(d), 1)) + (_per_server(d, terms) if spare else 0)
        replicas[i] = m.new_int_var(0, max(0, min(need, fit)), f"replicas[{d.key}]")
    v = PlanVars(m, servers, replicas, server_ub)
    v.served = _served(m, designs, replicas, shared=spare)
    v.constraints["packing"] = add_packing(v, designs, terms)
    v.constraints["load"] = add_load(v, demand)
    limits: dict[str, Callable[[], Constraints]] = {
        "availability": lambda: add_availability(v, terms),
        "budget": lambda: add_budget(v, scenario, terms),
        "max_servers": lambda: add_max_servers(v, scenario),
        "power": lambda: add_power(v, scenario, terms),
        "single_vendor": lambda: add_single_vendor(v, scenario, terms),
        "one_shape": lambda: add_one_shape(v, scenario, designs),
        "headroom": lambda: add_headroom(v, scenario, demand),
        "n_plus_one": lambda: add_n_plus_one(v, scenario, designs, terms, demand),
        "robust": lambda: add_robust(v, scenario, designs, terms, demand),
    }
    for family in CONSTRAINT_FAMILIES:
        if family not in opts.relax:
            v.constraints[family] = limits[family]()
    return v


def designs_by_offer(designs: list[Design]) -> dict[str, list[int]]:
    """Offer id -> indices of its designs: one pass, so per-offer sums do not rescan every design."""
    out: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(designs):
        out[d.offer_id].append(i)
    return out


def _served(m: cp_model.CpModel, designs: list[Design], replicas: dict[int, cp_model.IntVar], *, shared: bool) -> Expr:
    """Colocated replicas serve their capacity; in each prefill/decode pool (designs.pool_of: one
    card family and engine, between which a KV cache can move) the split serves as much as its
    weaker side, so with a split the served load is a variable bounded pool by pool.
    `shared`: one constraint per design reads the served load (N+1), so it is a variable too; as
    a sum, each of those constraints would hold every replica term (designs^2 terms in all)."""
    colocated: list[Expr] = []
    pools: dict[tuple[str, str], dict[str, list[Expr]]] = {}
    bound = 0
    for i, d in enumerate(designs):
        term = capacity_units(d) * replicas[i]
        if d.role == "colocated":
            colocated.append(term)
        else:
            pools.setdefault(pool_of(d), {"prefill": [], "decode": []})[d.role].append(term)
        bound += capacity_units(d) * upper_bound(replicas[i])
    if not pools and not shared:
        return sum(colocated)
    served = m.new_int_var(0, bound, "served")
    paired = []
    for key, side in sorted(pools.items()):
        pair = m.new_int_var(0, bound, f"paired[{key[0]}/{key[1]}]")
        m.add(pair <= sum(side["prefill"]))
        m.add(pair <= sum(side["decode"]))
        paired.append(pair)
    m.add(served == sum(colocated) + sum(paired))
    return served


def cost_expr(v: PlanVars, terms: dict[str, OfferTerms]) -> cp_model.LinearExprT:
    return sum(t.cost_rmb_per_server * v.servers[oid] for oid, t in terms.items())


def active_families(scenario: Scenario) -> list[str]:
    """Constraint families the scenario actually sets (availability always applies)."""
    c = scenario.constraints
    given = {
        "availability": True, "budget": c.budget_rmb is not None, "max_servers": c.max_servers is not None,
        "power": c.power_cap_kw is not None, "single_vendor": c.single_vendor, "one_shape": c.one_shape_per_offer,
        "headroom": scenario.sla.headroom_pct > 0, "n_plus_one": c.n_plus_one, "robust": bool(c.robust_to),
    }
    return [f for f in CONSTRAINT_FAMILIES if given[f]]


def _servers_bound(own: list[Design], t: OfferTerms, demand: int) -> int:
    """Servers that would cover the whole load with this offer's best design (for relaxations)."""
    needs = [math.ceil(math.ceil(demand / max(capacity_units(d), 1)) * d.cards / t.cards_per_server) for d in own]
    return min(needs, default=0)


# --------------------------------------------------------------------------------------------
# Modifiers: each adds one thing to a built model


def minimize_cost(v: PlanVars, terms: dict[str, OfferTerms]) -> None:
    v.model.minimize(cost_expr(v, terms))


def maximize_load(v: PlanVars) -> None:
    v.model.maximize(v.served)


def prefer_most_load(v: PlanVars, terms: dict[str, OfferTerms], cost: int, designs: list[Design]) -> None:
    """Second stage of the cheapest plan: cost at most `cost`; most load first, then the fewest
    server boundaries crossed by replicas (a replica on one server is simpler to run than one over
    several when both cost and serve the same), then the fewest replicas, so the same scenario always
    reports the same plan."""
    cap_cost(v, terms, cost)
    spans = {i: -(-designs[i].cards // terms[designs[i].offer_id].cards_per_server) - 1 for i in v.replicas}
    crossings = sum(spans[i] * x for i, x in v.replicas.items() if spans[i])
    fewer_replicas_weight = sum(upper_bound(x) for x in v.replicas.values()) + 1
    max_crossings = sum(spans[i] * upper_bound(x) for i, x in v.replicas.items())
    load_weight = fewer_replicas_weight * (max_crossings + 1)
    v.model.maximize(load_weight * v.served - fewer_replicas_weight * crossings - sum(v.replicas.values()))


def cheapest_at_load(v: PlanVars, terms: dict[str, OfferTerms], load: int) -> None:
    """Second stage of the most-load plan: serve at least `load`, at least cost."""
    v.model.add(v.served >= load)
    minimize_cost(v, terms)


def cap_cost(v: PlanVars, terms: dict[str, OfferTerms], cap: int | None) -> None:
    """Cost at most `cap` (None: no cap). One constraint, added once and then moved, so that a
    model re-solved for the next ranked plan does not pile up caps. cost_expr has no constant
    term, so the upper end of the constraint's domain is the cap itself."""
    bound = NO_CAP if cap is None else cap
    if v.cost_cap is None:
        if cap is None:
            return
        v.cost_cap = v.model.add(cost_expr(v, terms) <= bound)
        return
    domain = v.cost_cap.proto.linear.domain
    domain[len(domain) - 1] = bound


def hint_solution(v: PlanVars, solver: cp_model.CpSolver) -> None:
    """Start the next solve from the last solution (every variable: CP-SAT prefers full hints)."""
    v.model.clear_hints()
    for i in range(len(v.model.proto.variables)):
        var = v.model.get_int_var_from_proto_index(i)
        v.model.add_hint(var, solver.value(var))


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


def switchable_limits(v: PlanVars) -> None:
    """Each limit family enforced by its own assumption literal, so that an infeasible solve names
    the families that clash (sufficient_assumptions_for_infeasibility). Availability can only be
    switched off when the model was built with `beyond_bids` (else the bounds still enforce it)."""
    for family in CONSTRAINT_FAMILIES:
        if v.constraints.get(family):
            lit = v.model.new_bool_var(f"enforce[{family}]")
            for ct in v.constraints[family]:
                ct.only_enforce_if(lit)
            v.enforce[family] = lit
    v.model.add_assumptions(list(v.enforce.values()))


# --------------------------------------------------------------------------------------------
# Constraint families


def add_packing(v: PlanVars, designs: list[Design], terms: dict[str, OfferTerms], *, allow_idle: bool = False) -> Constraints:
    """Cards used by replicas fit in the servers bought, and no server is bought to stand idle
    (unless `allow_idle`: a fleet's servers bought only so that a supply case holds are spare).
    Replicas are 1, 2, 4, ... cards or whole servers, so counting cards packs exactly (sizes that
    divide each other nest without waste)."""
    out = []
    by_offer = designs_by_offer(designs)
    for oid, t in terms.items():
        used = sum(designs[i].cards * v.replicas[i] for i in by_offer.get(oid, []))
        out.append(v.model.add(used <= t.cards_per_server * v.servers[oid]))
        if not t.owned and not allow_idle:
            out.append(v.model.add(t.cards_per_server * (v.servers[oid] - 1) < used))
    return out


def add_load(v: PlanVars, demand: int) -> Constraints:
    """The replicas together serve the demand (capacity rounded down, demand up)."""
    return [v.model.add(v.served >= demand)]


def add_availability(v: PlanVars, terms: dict[str, OfferTerms]) -> Constraints:
    """A vendor cannot deliver more servers than it bid (owned hardware: what is already there)."""
    return [v.model.add(v.servers[oid] <= t.available_servers) for oid, t in terms.items()]


def add_budget(v: PlanVars, scenario: Scenario, terms: dict[str, OfferTerms]) -> Constraints:
    """Purchase price within the budget cap (capex: energy in a TCO objective is not spent up front)."""
    cap = scenario.constraints.budget_rmb
    if cap is None:
        return []
    capex = sum(t.price_rmb_per_server * v.servers[oid] for oid, t in terms.items())
    return [v.model.add(capex <= math.floor(cap))]


def add_max_servers(v: PlanVars, scenario: Scenario) -> Constraints:
    """Rack space: a cap on servers of all offers together."""
    cap = scenario.constraints.max_servers
    if cap is None:
        return []
    return [v.model.add(sum(v.servers.values()) <= cap)]


def add_power(v: PlanVars, scenario: Scenario, terms: dict[str, OfferTerms]) -> Constraints:
    """Facility power: cards x TDP of every server within the cap. Offers with unknown TDP are
    excluded when a cap is set, since they cannot be shown to respect it."""
    cap = scenario.constraints.power_cap_kw
    return [] if cap is None else power_rows(v.model, v.servers, terms, cap)


def power_rows(m: cp_model.CpModel, servers: Mapping[str, Expr], terms: dict[str, OfferTerms], cap_kw: float) -> Constraints:
    """These servers (bought, or in service in a period) within a power cap; an offer of unknown
    power cannot be among them."""
    out, total = [], []
    for oid, t in terms.items():
        if t.power_w_per_server is None:
            out.append(m.add(servers[oid] == 0))
        else:
            total.append(round(t.power_w_per_server) * servers[oid])
    if total:
        out.append(m.add(sum(total) <= round(units.kw_to_w(cap_kw))))
    return out


def add_single_vendor(v: PlanVars, scenario: Scenario, terms: dict[str, OfferTerms]) -> Constraints:
    """One vendor for the whole fleet when the scenario asks for it (support, one contract)."""
    if not scenario.constraints.single_vendor:
        return []
    return one_vendor_rows(v.model, v.servers, v.server_ub, terms)


def one_vendor_rows(m: cp_model.CpModel, servers: Mapping[str, Expr], bound: Mapping[str, int],
                    terms: dict[str, OfferTerms]) -> Constraints:
    """Servers of one vendor only (`bound`: most servers of each offer, owned ones included)."""
    chosen = {vendor: m.new_bool_var(f"vendor[{vendor}]") for vendor in sorted({t.vendor for t in terms.values()})}
    out = [m.add(servers[oid] <= bound[oid] * chosen[t.vendor]) for oid, t in terms.items()]
    out.append(m.add(sum(chosen.values()) <= 1))
    return out


def add_one_shape(v: PlanVars, scenario: Scenario, designs: list[Design]) -> Constraints:
    """At most one replica design per offer and role when the scenario asks for it (one launch
    configuration to operate per server type; a prefill/decode split keeps one of each)."""
    if not scenario.constraints.one_shape_per_offer:
        return []
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, d in enumerate(designs):
        groups[(d.offer_id, d.role)].append(i)
    out = []
    for _, idx in sorted(groups.items()):
        if len(idx) < 2:
            continue
        used = [v.model.new_bool_var(f"shape[{designs[i].key}]") for i in idx]
        out += [v.model.add(v.replicas[i] <= upper_bound(v.replicas[i]) * u) for i, u in zip(idx, used)]
        out.append(v.model.add(sum(used) <= 1))
    return out


def add_headroom(v: PlanVars, scenario: Scenario, demand: int) -> Constraints:
    """Capacity at least the load x (1 + sla.headroom_pct / 100), rounded up."""
    if scenario.sla.headroom_pct <= 0:
        return []
    return [v.model.add(v.served >= headroom_demand(scenario, demand))]


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
        out.append(v.model.add(v.replicas[i] <= upper_bound(v.replicas[i]) * used))
        out.append(v.model.add(v.served - server_loss_units(d, terms) >= demand).only_enforce_if(used))
    return out


def add_robust(v: PlanVars, scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], demand: int) -> Constraints:
    """Each supply case of constraints.robust_to: of the servers bought from the offers it cuts, only
    floor(delivered_share x bought) arrive; the replicas redeployed on what arrives (the same designs,
    packed by cards as in add_packing) still serve load_share of the demand. Each case has its own
    replica variables, so the plan carries a witness deployment per case for the checker."""
    out: Constraints = []
    by_offer = designs_by_offer(designs)
    for k, case in enumerate(scenario.constraints.robust_to):
        delivered = supply_delivered(v.model, scenario, case, v.servers, v.server_ub, out, tag=str(k))
        replicas = {i: v.model.new_int_var(0, upper_bound(x), f"case{k}[{designs[i].key}]") for i, x in v.replicas.items()}
        for oid, t in terms.items():
            used = sum(designs[i].cards * replicas[i] for i in by_offer.get(oid, []))
            out.append(v.model.add(used <= t.cards_per_server * delivered[oid]))
        served = _served(v.model, designs, replicas, shared=False)
        out.append(v.model.add(served >= math.ceil(case.load_share * demand - 1e-9)))
        v.supply.append(SupplyVars(k, delivered, replicas, served))
    return out


def supply_delivered(m: cp_model.CpModel, scenario: Scenario, case: SupplyCase, servers: Mapping[str, Expr], server_ub: dict[str, int],
                     out: Constraints, *, tag: str) -> dict[str, Expr]:
    """Offer id -> the servers that arrive under a supply case, of `servers` (bought or in service):
    floor(delivered_share x servers) of each offer the case cuts, the decimal as written (0.3333 is
    3333/10000, not 1/3), all of the others. The flooring constraints are appended to `out`."""
    cut = set(scenario.supply_affected(case))
    share = delivered_share(case)
    delivered: dict[str, Expr] = {}
    for oid, x in servers.items():
        if oid not in cut:
            delivered[oid] = x
        elif share == 0:
            delivered[oid] = 0
        else:  # q x arrived <= p x bought < q x (arrived + 1): arrived = floor(p / q x bought)
            arrived = m.new_int_var(0, server_ub[oid], f"arrived[{tag},{oid}]")
            out.append(m.add(share.denominator * arrived <= share.numerator * x))
            out.append(m.add(share.numerator * x < share.denominator * (arrived + 1)))
            delivered[oid] = arrived
    return delivered


def delivered_share(case: SupplyCase) -> Fraction:
    """The share of a cut offer's servers that arrive, the decimal as written (0.3333 is 3333/10000)."""
    return Fraction(str(case.delivered_share))


def servers_for_arrivals(case: SupplyCase, arrivals: int) -> int | None:
    """The fewest servers of an offer the case cuts of which `arrivals` still arrive (the inverse of
    supply_delivered's floor); None when none ever arrive (a share of 0) and some must."""
    share = delivered_share(case)
    if not arrivals:
        return 0
    return -(-arrivals * share.denominator // share.numerator) if share else None


def upper_bound(var: cp_model.IntVar) -> int:
    return int(var.proto.domain[len(var.proto.domain) - 1])


def load_demand(scenario: Scenario) -> int:
    return math.ceil(scenario.workload.load.amount * LOAD_SCALE - 1e-9)


def headroom_demand(scenario: Scenario, demand: int) -> int:
    """The demand raised by sla.headroom_pct (rounded up)."""
    return math.ceil(demand * (1 + scenario.sla.headroom_pct / 100) - 1e-9)


def capacity_units(d: Design) -> int:
    return math.floor(d.capacity * LOAD_SCALE + 1e-9)
