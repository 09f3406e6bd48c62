"""Buying in phases (scenario.phases): when to buy how many servers of each offer so that every
period's load is served, at the least discounted spend; and, beside it, the same model with every
purchase in the first period ("all at once").

The model reuses the main solve's designs (already sized at the scenario's confidence draw): per
period its own replica variables, packed by cards into the servers in service, as in
plan.model.add_packing, except that a server may stand idle (servers bought stay, and a later
period may need them). Servers in service in period p are those owned plus those bought up to
period p - lead_time_periods.

Three stages on one model, each bounding the one before: the least discounted spend; among equal
spends the fewest servers, then purchases as late as possible; with the purchases fixed, the
replicas that serve the most in each period (the capacity the report shows), then the fewest.

Under a TCO objective a server bought in period p costs its price then plus its energy over the
objective's years from its purchase (the solve's own TCO of a server), discounted from p: buying later
defers both. The spend per period stays the capex paid then (the budget's basis).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer.plan.designs import served_by
from optimizer.plan.model import (
    LOAD_SCALE,
    Expr,
    _served,
    designs_by_offer,
    one_vendor_rows,
    power_rows,
    server_loss_units,
    upper_bound,
)
from optimizer.plan.optimize import TIME_LIMIT_S, new_solver, status_of
from optimizer.plan.result import Design, PhasedPlan, PhasePeriod, PhaseSchedule, ReplicaGroup, Status, has_plan
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario
from optimizer.scenario_phases import Phases

Constraints = list[cp_model.Constraint]
# The last stage's parts (one per period and supply case) share one stage's search limit; a part
# gets at least this much (CP-SAT's deterministic units), or the limit over the number of parts if
# that is less, when the others have used the rest: a schedule of many periods and cases searches at
# most twice the limit in its last stage. A part cut short keeps the solution it started from, which
# meets every constraint: only the tie-break among equal spends is then unproven.
PART_TIME_S = 1.0


@dataclass(frozen=True)
class PhaseInputs:
    """The phased model's numbers, in its integers: per period (index from 0)."""
    load: tuple[float, ...]                  # the load, scenario unit
    demand: tuple[int, ...]                  # the load in model units (rounded up)
    target: tuple[int, ...]                  # the demand with sla.headroom_pct (rounded up): what the replicas cover
    prices: dict[str, tuple[int, ...]]       # offer id -> price per server, whole RMB (owned: 0)
    discounted: dict[str, tuple[int, ...]]   # offer id -> that price (TCO: plus the server's energy) discounted to the first period
    deliverable: dict[str, tuple[int, ...]]  # offer id -> most servers bought in the period (owned: 0)


def phase_inputs(scenario: Scenario, terms: dict[str, OfferTerms]) -> PhaseInputs:
    """The loads, prices and delivery caps of scenario.phases, per period."""
    ph = _phases(scenario)
    n = len(ph.periods)
    loads = ph.loads(scenario.workload.load.amount)
    demand = [math.ceil(x * LOAD_SCALE - 1e-9) for x in loads]
    target = [math.ceil(d * (1 + scenario.sla.headroom_pct / 100) - 1e-9) for d in demand]
    prices, discounted, deliverable = {}, {}, {}
    for oid, t in terms.items():
        prices[oid] = tuple([0] * n if t.owned else ph.prices(oid, t.price_rmb_per_server))
        energy = 0 if t.owned else t.energy_rmb_per_server   # TCO: the server's energy over the objective's years
        discounted[oid] = tuple(round((price + energy) * ph.discount(p)) for p, price in enumerate(prices[oid]))
        caps = ph.available.get(oid, [t.available_servers] * n)
        deliverable[oid] = tuple(0 if t.owned else min(c, t.available_servers) for c in caps)
    return PhaseInputs(tuple(loads), tuple(demand), tuple(target), prices, discounted, deliverable)


def _phases(scenario: Scenario) -> Phases:
    assert scenario.phases is not None, "the phased model needs scenario.phases"
    return scenario.phases


@dataclass
class PeriodVars:
    """One period: the servers in service and the replicas run on them."""
    have: dict[str, Expr]                         # offer id -> servers in service (owned + bought early enough)
    replicas: dict[int, cp_model.IntVar]          # design index -> replicas run
    served: Expr                                  # load those replicas serve, in model units


@dataclass
class PhaseVars:
    model: cp_model.CpModel
    buy: dict[tuple[int, str], cp_model.IntVar]   # (period, offer id) -> servers bought in that period
    periods: list[PeriodVars]
    inputs: PhaseInputs
    cost: Expr = 0                                # discounted spend, whole RMB (the objective)
    capex: Expr = 0                               # undiscounted spend, whole RMB (the budget)
    constraints: dict[str, Constraints] = field(default_factory=dict)  # family -> what add_<family>() added


def build_phase_model(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], *,
                      all_at_once: bool = False) -> PhaseVars:
    """The phased model, no objective: purchases per period and offer (`all_at_once`: in the first
    period only), servers in service, each period's replicas, and every limit the scenario sets."""
    ph, inputs = _phases(scenario), phase_inputs(scenario, terms)
    n = len(ph.periods)
    m = cp_model.CpModel()
    buy = purchase_vars(m, ph, inputs, terms, all_at_once=all_at_once)
    v = PhaseVars(m, buy, [], inputs)
    spare = scenario.constraints.n_plus_one
    for p in range(n):
        have = in_service(buy, terms, p, ph.lead_time_periods)
        # at most what every server the offer bid (or owns) holds
        replicas = {i: m.new_int_var(0, terms[d.offer_id].available_servers * terms[d.offer_id].cards_per_server // d.cards,
                                     f"replicas[{p},{d.key}]") for i, d in enumerate(designs)}
        v.periods.append(PeriodVars(have, replicas, _served(m, designs, replicas, shared=spare)))
    v.cost = sum(inputs.discounted[oid][p] * x for (p, oid), x in buy.items())
    v.capex = sum(inputs.prices[oid][p] * x for (p, oid), x in buy.items())
    families: dict[str, Callable[[], Constraints]] = {
        "packing": lambda: add_packing(v, designs, terms),
        "load": lambda: add_load(v),
        "availability": lambda: add_availability(v, terms),
        "budget": lambda: add_budget(v, scenario),
        "max_servers": lambda: add_max_servers(v, scenario),
        "power": lambda: add_power(v, scenario, terms),
        "single_vendor": lambda: add_single_vendor(v, scenario, terms),
        "one_shape": lambda: add_one_shape(v, scenario, designs),
        "n_plus_one": lambda: add_n_plus_one(v, scenario, designs, terms),
    }
    for family, add in families.items():
        v.constraints[family] = add()
    return v


def purchase_vars(m: cp_model.CpModel, ph: Phases, inputs: PhaseInputs, terms: dict[str, OfferTerms], *,
                  all_at_once: bool = False) -> dict[tuple[int, str], cp_model.IntVar]:
    """(period, offer id) -> servers bought then, within the period's deliveries; nothing bought after
    period n - 1 - lead_time_periods (it would never serve), nor hardware already owned, nor after the
    first period when `all_at_once`."""
    n, lead = len(ph.periods), ph.lead_time_periods
    buy = {}
    for p in range(n):
        for oid in terms:
            ub = 0 if p + lead >= n or (all_at_once and p > 0) else inputs.deliverable[oid][p]
            buy[p, oid] = m.new_int_var(0, ub, f"buy[{p},{oid}]")
    return buy


def in_service(buy: dict[tuple[int, str], cp_model.IntVar], terms: dict[str, OfferTerms], period: int, lead: int) -> dict[str, Expr]:
    """Offer id -> servers in service in `period`: owned ones plus those bought lead periods or more before."""
    return {oid: (t.available_servers if t.owned else 0) + sum(buy[q, oid] for q in range(period - lead + 1)) for oid, t in terms.items()}


# --------------------------------------------------------------------------------------------
# Constraint families


def add_packing(v: PhaseVars, designs: list[Design], terms: dict[str, OfferTerms]) -> Constraints:
    """Each period's replicas fit, card for card, in the servers in service (as plan.model.add_packing);
    a server may stand idle: bought for a later period's load, it is there all the same."""
    out = []
    by_offer = designs_by_offer(designs)
    for period in v.periods:
        for oid, t in terms.items():
            used = sum(designs[i].cards * period.replicas[i] for i in by_offer.get(oid, []))
            out.append(v.model.add(used <= t.cards_per_server * period.have[oid]))
    return out


def add_load(v: PhaseVars) -> Constraints:
    """Each period's replicas serve its load with the headroom (capacity rounded down, demand up)."""
    return [v.model.add(period.served >= target) for period, target in zip(v.periods, v.inputs.target, strict=True)]


def add_availability(v: PhaseVars, terms: dict[str, OfferTerms]) -> Constraints:
    """An offer delivers at most its available_servers over all periods (the per-period caps of
    phases.available are the purchase variables' bounds)."""
    n = len(v.periods)
    return [v.model.add(sum(v.buy[p, oid] for p in range(n)) <= t.available_servers) for oid, t in terms.items() if not t.owned]


def add_budget(v: PhaseVars, scenario: Scenario) -> Constraints:
    """constraints.budget_rmb caps what is spent over all periods, undiscounted (the money paid)."""
    cap = scenario.constraints.budget_rmb
    return [] if cap is None else [v.model.add(v.capex <= math.floor(cap))]


def add_max_servers(v: PhaseVars, scenario: Scenario) -> Constraints:
    """Rack space: the servers in service in each period (owned ones included) within the cap."""
    cap = scenario.constraints.max_servers
    return [] if cap is None else [v.model.add(sum(period.have.values()) <= cap) for period in v.periods]


def add_power(v: PhaseVars, scenario: Scenario, terms: dict[str, OfferTerms]) -> Constraints:
    """Facility power in each period: the servers in service within the cap (plan.model.power_rows)."""
    cap = scenario.constraints.power_cap_kw
    return [] if cap is None else [c for period in v.periods for c in power_rows(v.model, period.have, terms, cap)]


def add_single_vendor(v: PhaseVars, scenario: Scenario, terms: dict[str, OfferTerms]) -> Constraints:
    """One vendor over the whole schedule (owned hardware counts, as in plan.model.add_single_vendor)."""
    if not scenario.constraints.single_vendor:
        return []
    n = len(v.periods)
    total = {oid: (t.available_servers if t.owned else 0) + sum(v.buy[p, oid] for p in range(n)) for oid, t in terms.items()}
    return one_vendor_rows(v.model, total, {oid: t.available_servers for oid, t in terms.items()}, terms)


def add_one_shape(v: PhaseVars, scenario: Scenario, designs: list[Design]) -> Constraints:
    """One replica design per offer and role in each period (constraints.one_shape_per_offer)."""
    if not scenario.constraints.one_shape_per_offer:
        return []
    groups: dict[tuple[str, str], list[int]] = {}
    for i, d in enumerate(designs):
        groups.setdefault((d.offer_id, d.role), []).append(i)
    out = []
    for p, period in enumerate(v.periods):
        for _, idx in sorted(groups.items()):
            if len(idx) < 2:
                continue
            used = [v.model.new_bool_var(f"shape[{p},{designs[i].key}]") for i in idx]
            out += [v.model.add(period.replicas[i] <= upper_bound(period.replicas[i]) * u) for i, u in zip(idx, used, strict=True)]
            out.append(v.model.add(sum(used) <= 1))
    return out


def add_n_plus_one(v: PhaseVars, scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms]) -> Constraints:
    """N+1 in each period: its load still served with any one server down (the rule of
    plan.model.add_n_plus_one, per period). Written without enforcement literals, because its LP
    relaxation is what lets CP-SAT prove a phased fleet: `used` is pinned both ways to "the design
    runs" (replicas <= ub x used, used <= replicas), so served - loss x used >= demand is the rule when
    it runs and served >= demand (implied by the load row, whose target carries a headroom >= 0)
    when it does not; at least one design runs when there is load, a cut the relaxation misses."""
    if not scenario.constraints.n_plus_one:
        return []
    out = []
    for p, (period, demand) in enumerate(zip(v.periods, v.inputs.demand, strict=True)):
        flags = []
        for i, d in enumerate(designs):
            if upper_bound(period.replicas[i]) == 0:
                continue
            used = v.model.new_bool_var(f"used[{p},{d.key}]")
            flags.append(used)
            out.append(v.model.add(period.replicas[i] <= upper_bound(period.replicas[i]) * used))
            out.append(v.model.add(used <= period.replicas[i]))
            out.append(v.model.add(period.served - server_loss_units(d, terms) * used >= demand))
        if demand > 0 and flags:
            out.append(v.model.add(sum(flags) >= 1))
    return out


# --------------------------------------------------------------------------------------------
# Solving


def solve_phases(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms]) -> PhasedPlan:
    """The cheapest phased schedule and the cheapest all-at-once one (every purchase in the first
    period), each by the three stages of the module doc."""
    inputs = phase_inputs(scenario, terms)
    status, schedule, bound = _with_vendor_rule(scenario, designs, terms, all_at_once=False)
    once_status, once, _ = _with_vendor_rule(scenario, designs, terms, all_at_once=True)
    return PhasedPlan(status, schedule, bound, once_status, once, inputs.prices, inputs.discounted)


def _with_vendor_rule(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], *,
                      all_at_once: bool) -> tuple[Status, PhaseSchedule | None, int | None]:
    """The cheapest schedule under the solve's vendor rule: a schedule buying from several vendors
    must save more than constraints.mix_min_saving_pct against the best one-vendor schedule."""
    found = cheapest_schedule(build_phase_model(scenario, designs, terms, all_at_once=all_at_once), designs, scenario)
    schedule = found[1]
    if schedule is None or len({terms[o].vendor for o, n in schedule.servers.items() if n and not terms[o].owned}) <= 1:
        return found
    one = scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"single_vendor": True})})
    single = cheapest_schedule(build_phase_model(one, designs, terms, all_at_once=all_at_once), designs, one)
    if single[1] is None:
        return found
    saving_pct = 100.0 * (single[1].discounted_rmb - schedule.discounted_rmb) / single[1].discounted_rmb
    return single if saving_pct <= scenario.constraints.mix_min_saving_pct else found


def cheapest_schedule(v: PhaseVars, designs: list[Design], scenario: Scenario) -> tuple[Status, PhaseSchedule | None, int | None]:
    """Least discounted spend; then the fewest servers and the latest purchases at that spend; then,
    with the purchases fixed, the most load served in each period and the fewest replicas. A later
    stage that times out leaves the earlier stage's solution, which meets its bound too."""
    if not designs:
        return "infeasible", None, None
    run = staged_solve(v, _most_served(v))
    return run.status, None if run.solver is None else extract_schedule(run.solver, v, designs, scenario), run.bound


@dataclass(frozen=True)
class Staged:
    status: Status                        # of the first stage (least discounted spend)
    solver: cp_model.CpSolver | None      # the last stage's (None without a schedule)
    bound: int | None                     # CP-SAT's bound on the discounted spend


Hint = Sequence[tuple[cp_model.IntVar, int]]


def staged_solve(v: PhaseVars, last_stage: Sequence[Expr], hint: Hint = ()) -> Staged:
    """The three stages of a schedule (one service's or a fleet's): least discounted spend; then the
    fewest servers, bought as late as possible; then, purchases fixed, the sum of `last_stage`'s
    parts (minimised). The parts are one per period (and supply case): with the purchases fixed no
    constraint links two of them, so each is minimised in turn and bounded at its minimum, which
    reaches the sum's minimum by searches far smaller than the sum's (the shipped phased fleet's
    all-at-once schedule: 16.2 deterministic units whole, 4.6 in parts, to the same optimum). The
    parts share the stage's search limit (PART_TIME_S).
    `hint`: values of some of the model's variables that start the first stage's search (a fleet's
    all-at-once schedule, its purchases moved to when each period needs them: fleet_phases.retimed_hint)."""
    v.model.minimize(v.cost)
    for var, value in hint:
        v.model.add_hint(var, value)
    solver = new_solver()
    status = status_of(solver.solve(v.model))
    if not has_plan(status):
        return Staged(status, None, None)
    objective, bound = round(solver.objective_value), round(solver.best_objective_bound)
    v.model.add(v.cost <= objective)
    solver, _ = _next_stage(v, solver, _fewest_and_latest(v))
    for key, x in v.buy.items():
        v.model.add(x == solver.value(x)).with_name(f"fixed[{key}]")
    left, floor = TIME_LIMIT_S, min(PART_TIME_S, TIME_LIMIT_S / max(len(last_stage), 1))
    for part in last_stage:
        solver, used = _next_stage(v, solver, part, max(left, floor))
        left -= used
        v.model.add(part <= solver.value(part))
    return Staged(status, solver, bound)


def _fewest_and_latest(v: PhaseVars) -> Expr:
    """To minimise: the servers bought, then how early they are bought (periods before the last)."""
    n = len(v.periods)
    earliness = sum((n - 1 - p) * x for (p, _), x in v.buy.items())
    weight = sum((n - 1 - p) * upper_bound(x) for (p, _), x in v.buy.items()) + 1
    return weight * sum(v.buy.values()) + earliness


def _most_served(v: PhaseVars) -> list[Expr]:
    """To minimise, per period: minus the load served (first), plus the replicas run."""
    weight = sum(upper_bound(x) for period in v.periods for x in period.replicas.values()) + 1
    return [-weight * period.served + sum(period.replicas.values()) for period in v.periods]


def _next_stage(v: PhaseVars, last: cp_model.CpSolver, objective: Expr, time_limit_s: float = TIME_LIMIT_S
                ) -> tuple[cp_model.CpSolver, float]:
    """Minimise `objective` from the last solution (hinted); keep the last solver if this one finds
    nothing. Also the deterministic time the search took."""
    v.model.clear_hints()
    for i in range(len(v.model.proto.variables)):
        var = v.model.get_int_var_from_proto_index(i)
        v.model.add_hint(var, last.value(var))
    v.model.minimize(objective)
    solver = new_solver(time_limit_s)
    found = has_plan(status_of(solver.solve(v.model)))
    return (solver if found else last), solver.deterministic_time


def extract_schedule(solver: cp_model.CpSolver, v: PhaseVars, designs: list[Design], scenario: Scenario) -> PhaseSchedule:
    ph, inputs = _phases(scenario), v.inputs
    periods = []
    for p, (label, period) in enumerate(zip(ph.periods, v.periods, strict=True)):
        bought = {oid: int(solver.value(x)) for (q, oid), x in sorted(v.buy.items()) if q == p and solver.value(x) > 0}
        in_service = {oid: int(solver.value(h)) for oid, h in sorted(period.have.items()) if solver.value(h) > 0}
        groups = tuple(ReplicaGroup(designs[i], int(solver.value(x))) for i, x in sorted(period.replicas.items()) if solver.value(x) > 0)
        periods.append(PhasePeriod(
            label=label, load=inputs.load[p], bought=bought, in_service=in_service, groups=groups,
            capacity=served_by([(g.design, g.count) for g in groups]),
            spend_rmb=sum(inputs.prices[oid][p] * n for oid, n in bought.items()),
            discounted_rmb=sum(inputs.discounted[oid][p] * n for oid, n in bought.items()),
        ))
    return PhaseSchedule(tuple(periods))
