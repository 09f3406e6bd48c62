"""Independent checker: re-verifies a plan without the CP-SAT model.

It recomputes each replica's performance from the performance model, prices from the scenario's
offers, and checks every rule in plain Python. A plan the solver returns that fails here is a bug.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Protocol

from optimizer import units
from optimizer.calibration.draws import Cell, Shock
from optimizer.perf.disagg import kv_transfer_s
from optimizer.perf.evaluate import ReplicaPerf, evaluate_replica
from optimizer.perf.replica import Replica, make_replica
from optimizer.plan.result import Design, PhasedPlan, PhaseSchedule, Plan, ReplicaGroup, SolveResult
from optimizer.problem import Problem
from optimizer.scenario import Scenario

TOLERANCE = 1e-6


class PlanCheckError(AssertionError):
    """The solver returned a plan that breaks a rule: a bug, never bad input."""


def offer_price_rmb(problem: Problem, offer_id: str) -> float:
    """Price of one server of an offer, straight from the scenario (and catalog for catalog prices)."""
    offer = next(o for o in problem.scenario.offers if o.id == offer_id)
    if offer.owned:
        return 0.0
    card = problem.catalog.cards[offer.card]
    cps = _cards_per_server(problem, offer_id)
    if offer.price_rmb_per_server is not None:
        return float(offer.price_rmb_per_server)
    if offer.price_rmb_per_card is not None:
        return offer.price_rmb_per_card * cps + offer.server_base_rmb
    assert card.price_rmb_per_card is not None and offer.use_catalog_price is not None
    per_card = getattr(card.price_rmb_per_card, f"{offer.use_catalog_price}_rmb")
    return per_card * cps + offer.server_base_rmb


def verify_plan(plan: Plan, problem: Problem) -> list[str]:
    """Every rule the plan breaks, in words (empty when the plan is sound): one check_<rule>() per
    constraint family, on replicas recomputed from the performance model (fresh evaluations, not
    the problem's memoised ones)."""
    problems: list[str] = []
    scenario = problem.scenario
    pools = Served()
    used_cards: dict[str, int] = {}
    units_of: list[tuple[str, int, int, float]] = []  # (offer, cards per replica, replicas, load per replica)
    for group in plan.groups:
        d = group.design
        each, found = recompute_design(d, problem)
        problems += found
        if each is None:
            continue
        pools.add(d, group.count * each)
        units_of.append((d.offer_id, d.perf.parallelism.cards, group.count, each))
        used_cards[d.offer_id] = used_cards.get(d.offer_id, 0) + group.count * d.perf.parallelism.cards
    served = pools.by_role()
    problems += check_disaggregation(served, scenario)
    problems += check_load(served, scenario)
    problems += check_headroom(served, scenario)
    problems += check_n_plus_one(served, units_of, plan, problem)
    problems += check_supply(plan, problem)
    problems += check_availability(plan, scenario)
    problems += check_packing(plan, problem, used_cards)
    problems += check_power(plan, problem)
    problems += check_vendor_rules(plan, scenario)
    problems += check_single_vendor(plan, scenario)
    problems += check_one_shape(plan, scenario)
    problems += check_max_servers(plan, scenario)
    problems += check_cost(plan, problem)
    problems += check_budget(plan, problem)
    return problems


def recompute_design(d: Design, problem: Problem) -> tuple[float | None, list[str]]:
    """One replica of a design recomputed from the performance model: the load it serves (None:
    its offer is not in the scenario) and the rules it breaks (memory, precision, SLAs, placement)."""
    scenario, model = problem.scenario, problem.model
    offer = next((o for o in scenario.offers if o.id == d.offer_id), None)
    if offer is None:
        return None, [f"{d.key}: offer {d.offer_id} is not in the scenario"]
    w, p = scenario.workload, d.perf
    card = problem.catalog.cards[offer.card]
    view = problem.offer(offer.id)  # the inputs the solver had: server size and engine
    cps, engine = view.cards_per_server, view.engine_id
    replica = make_replica(
        problem.catalog, model, card, p.precision, p.parallelism, scenario.kv_precision, engine=engine,
        spec=scenario.speculative, cards_per_server=cps,
    )
    fresh = evaluate_replica(replica, p.batch, w.input_tokens, w.output_tokens, context_len=w.context_tokens)
    shock = problem.errors.shock(Cell(card.family, engine, "moe" if model.moe else "dense"), d.draw)
    problems = check_memory(d, fresh) + check_precision(d, scenario)
    if d.role != "colocated":
        rate, found = check_pool(d, fresh, replica, shock, scenario)
        problems += found
        each = rate if w.load.requests_per_s is not None else rate * w.output_tokens
    else:
        problems += check_latency(d, replica, fresh, shock, scenario, problem.errors.describe(d.draw))
        each = _capacity(fresh, scenario, shock.throughput)
    return each, problems + check_placement(d, cps, scenario)


def _cards_per_server(problem: Problem, offer_id: str) -> int:
    return problem.offer(offer_id).cards_per_server


# --------------------------------------------------------------------------------------------
# Per replica


def check_memory(d: Design, fresh: ReplicaPerf) -> list[str]:
    if fresh.memory.fits:
        return []
    return [f"{d.key}: needs {fresh.memory.total_gb:.1f} GB per card, {fresh.memory.capacity_gb:.1f} usable"]


def check_precision(d: Design, scenario: Scenario) -> list[str]:
    if d.perf.precision in scenario.precisions:
        return []
    return [f"{d.key}: precision {d.perf.precision} is not allowed by the scenario"]


def _tail_factor(statistic: str) -> float | None:
    """The percentile's scale on an exponentially distributed queueing wait, ln(1 / (1 - p));
    None for the mean. Written here on purpose, apart from designs.latency_at_statistic: the
    checker shares no formula with the step that built the design."""
    p = {"mean": None, "p90": 0.90, "p99": 0.99}[statistic]
    return None if p is None else math.log(1 / (1 - p))


def check_latency(
    d: Design, replica: Replica, fresh: ReplicaPerf, shock: Shock, scenario: Scenario, drawn: str = "the central estimate",
) -> list[str]:
    """A colocated replica meets the SLA at its statistic under the shock of the draw it was sized
    for, recomputed: the mean from the fresh evaluation (its prefill and its wait, each with its
    error); a percentile from a fresh evaluation of the p90 prompt (the mean prompt when the
    workload gives none), its wait scaled by the tail factor, and the TPOT of the longer prompt.
    The design's stored latencies are not read; `drawn` names that draw in a message."""
    sla, w = scenario.sla, scenario.workload
    factor = _tail_factor(sla.statistic)
    if factor is None:
        wait = max(0.0, fresh.ttft_s - fresh.prefill_s)
        ttft_ms = units.s_to_ms(fresh.prefill_s * shock.prefill + wait * shock.queue)
        tpot_ms = units.s_to_ms(fresh.tpot_s) * shock.tpot
        at = f"at {drawn}"
    else:
        p = d.perf
        tail = fresh if not w.input_tokens_p90 else evaluate_replica(
            replica, p.batch, w.input_tokens_p90, w.output_tokens, context_len=w.context_tokens
        )
        wait = max(0.0, tail.ttft_s - tail.prefill_s)
        ttft_ms = units.s_to_ms(tail.prefill_s * shock.prefill + wait * factor * shock.queue)
        tpot_ms = units.s_to_ms(max(fresh.tpot_s, tail.tpot_s)) * shock.tpot
        at = f"({sla.statistic}) at {drawn}"
    problems = []
    if sla.ttft_ms is not None and ttft_ms > sla.ttft_ms + TOLERANCE:
        problems.append(f"{d.key}: TTFT {ttft_ms:.1f} ms {at} > {sla.ttft_ms:g} ms")
    if sla.tpot_ms is not None and tpot_ms > sla.tpot_ms + TOLERANCE:
        problems.append(f"{d.key}: TPOT {tpot_ms:.1f} ms {at} > {sla.tpot_ms:g} ms")
    return problems


def check_placement(d: Design, cps: int, scenario: Scenario) -> list[str]:
    """TP inside a server and replicas within one server unless the scenario allows otherwise."""
    c, par = scenario.constraints, d.perf.parallelism
    problems = []
    if par.tp > cps and not c.tp_across_servers:
        problems.append(f"{d.key}: TP {par.tp} spans servers of {cps} cards")
    if par.cards > cps and not c.multi_server_replicas:
        problems.append(f"{d.key}: replica spans servers but multi_server_replicas is false")
    return problems


# --------------------------------------------------------------------------------------------
# The whole plan


class Served:
    """Load served by role, a split paired pool by pool: a prompt's KV cache moves only between
    prefill and decode replicas of one card family and engine (the checker's own statement of the
    rule the plan model follows)."""

    def __init__(self) -> None:
        self.colocated = 0.0
        self.pools: dict[tuple[str, str], dict[str, float]] = {}

    def add(self, d: Design, load: float) -> None:
        if d.role == "colocated":
            self.colocated += load
        else:
            self.pools.setdefault((d.perf.family, d.perf.engine), {"prefill": 0.0, "decode": 0.0})[d.role] += load

    def by_role(self) -> dict[str, float]:
        """colocated, and prefill = decode = what the pools serve paired (so min(prefill, decode) is it)."""
        paired = sum(min(side["prefill"], side["decode"]) for side in self.pools.values())
        split = bool(self.pools)
        return {"colocated": self.colocated, "prefill": paired if split else 0.0, "decode": paired if split else 0.0,
                "split": 1.0 if split else 0.0}


def check_disaggregation(served: dict[str, float], scenario: Scenario) -> list[str]:
    if served.get("split") and not scenario.disaggregation:
        return ["prefill/decode replicas, but the scenario does not allow disaggregation"]
    return []


def check_load(served: dict[str, float], scenario: Scenario) -> list[str]:
    """Colocated replicas serve their capacity; a split serves what its weaker pool does."""
    load = scenario.workload.load
    total = served["colocated"] + min(served["prefill"], served["decode"])
    if total + TOLERANCE < load.amount:
        return [f"serves {total:.2f} {load.unit}, the load is {load.amount:g}"]
    return []


def _total_served(served: dict[str, float]) -> float:
    return served["colocated"] + min(served["prefill"], served["decode"])


def check_headroom(served: dict[str, float], scenario: Scenario) -> list[str]:
    """Capacity covers the load plus sla.headroom_pct."""
    pct, load = scenario.sla.headroom_pct, scenario.workload.load
    need = load.amount * (1 + pct / 100)
    total = _total_served(served)
    if pct > 0 and total + TOLERANCE < need:
        return [f"serves {total:.2f} {load.unit}, the load with {pct:g} % headroom is {need:.2f}"]
    return []


def _worst_server_loss(items: list[tuple[int, int, float]], cps: int) -> float:
    """Most load one failed server can take: a replica spanning servers is lost whole; replicas
    inside a server are the best filling of its cards (a bounded knapsack over the replicas run,
    whatever the placement)."""
    worst = max((each for cards, _, each in items if cards > cps), default=0.0)
    best = [0.0] * (cps + 1)  # best[c]: most load on c cards
    for cards, count, each in items:
        if cards > cps:
            continue
        for _ in range(min(count, cps // cards)):
            for c in range(cps, cards - 1, -1):
                best[c] = max(best[c], best[c - cards] + each)
    return max(worst, best[cps])


def check_n_plus_one(served: dict[str, float], units_of: list[tuple[str, int, int, float]], plan: Plan, problem: Problem) -> list[str]:
    """N+1: with any one bought server down, the rest still serve the load (the lost load is
    taken off the total, which under-counts what a prefill/decode split keeps)."""
    scenario = problem.scenario
    if not scenario.constraints.n_plus_one:
        return []
    load, total = scenario.workload.load, _total_served(served)
    problems = []
    for oid, n in sorted(plan.servers.items()):
        if not n:
            continue
        loss = _worst_server_loss([(c, k, e) for o, c, k, e in units_of if o == oid], _cards_per_server(problem, oid))
        if total - loss + TOLERANCE < load.amount:
            problems.append(f"N+1: with one {oid} server down the plan serves {total - loss:.2f} {load.unit}, "
                            f"the load is {load.amount:g}")
    return problems


def check_supply(plan: Plan, problem: Problem) -> list[str]:
    """Each supply case of constraints.robust_to: the plan carries a deployment on the servers that
    would arrive (floor(delivered_share x bought) of each offer the case cuts, all of the others),
    whose replicas fit those servers, meet the SLAs (recomputed) and serve load_share of the load."""
    scenario = problem.scenario
    cases = scenario.constraints.robust_to
    if not cases:
        return []
    if len(plan.supply) != len(cases):
        return [f"robust_to: {len(cases)} supply case(s), the plan carries {len(plan.supply)} deployment(s)"]
    load = scenario.workload.load
    problems = []
    for outcome in plan.supply:
        case = cases[outcome.case]
        cut = {o.id for o in scenario.offers if not o.owned and (o.id == case.offer or o.vendor == case.vendor)}
        share = Decimal(repr(case.delivered_share))  # the decimal as written, in exact arithmetic
        arrive = {oid: int((share * n).to_integral_value(rounding=ROUND_FLOOR)) if oid in cut else n for oid, n in plan.servers.items()}
        claimed = {oid: n for oid, n in outcome.delivered.items() if n}
        if claimed != {oid: n for oid, n in arrive.items() if n}:
            problems.append(f"{case.label}: the plan says {claimed} arrive, the case gives {arrive}")
        pools = Served()
        cards: dict[str, int] = {}
        for group in outcome.groups:
            each, found = recompute_design(group.design, problem)
            problems += [f"{case.label}: {f}" for f in found]
            pools.add(group.design, group.count * (each or 0.0))
            cards[group.design.offer_id] = cards.get(group.design.offer_id, 0) + group.count * group.design.perf.parallelism.cards
        for oid, used in sorted(cards.items()):
            if used > arrive.get(oid, 0) * _cards_per_server(problem, oid):
                problems.append(f"{case.label}: replicas use {used} cards of {oid}, {arrive.get(oid, 0)} server(s) arrive")
        total = _total_served(pools.by_role())
        if total + TOLERANCE < case.load_share * load.amount:
            problems.append(f"{case.label}: serves {total:.2f} {load.unit}, {case.load_share:.0%} of the load is "
                            f"{case.load_share * load.amount:g}")
    return problems


def check_availability(plan: Plan, scenario: Scenario) -> list[str]:
    offers = {o.id: o for o in scenario.offers}
    return [
        f"{oid}: {n} servers bought, {offers[oid].available_servers} available"
        for oid, n in plan.servers.items() if n > offers[oid].available_servers
    ]


def check_packing(plan: Plan, problem: Problem, used_cards: dict[str, int], *, allow_idle: bool = False) -> list[str]:
    """The replicas' cards fit in the servers bought, and no bought server stands idle (unless
    `allow_idle`: a fleet's servers bought so that a supply case holds)."""
    offers = {o.id: o for o in problem.scenario.offers}
    problems = []
    for oid, n in plan.servers.items():
        cps = _cards_per_server(problem, oid)
        used = used_cards.get(oid, 0)
        if used > n * cps:
            problems.append(f"{oid}: replicas use {used_cards[oid]} cards, {n} servers hold {n * cps}")
        if n and not offers[oid].owned and not allow_idle and used <= (n - 1) * cps:
            problems.append(f"{oid}: {n} servers bought but replicas use only {used} cards (a server stands idle)")
    problems += [f"{oid}: replicas placed but no server bought" for oid in used_cards if oid not in plan.servers]
    return problems


def _power_w(plan: Plan, problem: Problem) -> tuple[float, list[str]]:
    total, unknown = 0.0, []
    for oid, n in plan.servers.items():
        if not n:
            continue
        watts = _server_watts(problem, oid)
        if watts is None:
            unknown.append(oid)
        else:
            total += n * watts
    return total, unknown


def _server_watts(problem: Problem, oid: str) -> float | None:
    """A server's power from the scenario: its stated wall power, else cards x TDP plus the host overhead."""
    offer = next(o for o in problem.scenario.offers if o.id == oid)
    if offer.server_power_w is not None:
        return offer.server_power_w
    tdp = problem.catalog.cards[offer.card].tdp_w
    overhead = problem.scenario.objective.host_overhead_pct
    return None if tdp is None else tdp * _cards_per_server(problem, oid) * (1 + overhead / 100)


def check_power(plan: Plan, problem: Problem) -> list[str]:
    cap = problem.scenario.constraints.power_cap_kw
    if cap is None:
        return []
    power_w, unknown = _power_w(plan, problem)
    problems = [f"{oid}: TDP unknown, cannot be shown within the power cap" for oid in unknown]
    if power_w > units.kw_to_w(cap) + TOLERANCE:
        problems.append(f"power {units.w_to_kw(power_w):.1f} kW exceeds the cap {cap:g} kW")
    return problems


def check_vendor_rules(plan: Plan, scenario: Scenario) -> list[str]:
    c = scenario.constraints
    offers = {o.id: o for o in scenario.offers}
    return [
        f"{oid}: vendor {offers[oid].vendor} is not allowed" for oid in plan.servers
        if offers[oid].vendor in c.vendors_excluded or (c.vendors_allowed is not None and offers[oid].vendor not in c.vendors_allowed)
    ]


def check_single_vendor(plan: Plan, scenario: Scenario) -> list[str]:
    offers = {o.id: o for o in scenario.offers}
    vendors = {offers[oid].vendor for oid, n in plan.servers.items() if n}
    if scenario.constraints.single_vendor and len(vendors) > 1:
        return [f"single_vendor, but the plan buys from {sorted(vendors)}"]
    return []


def check_one_shape(plan: Plan, scenario: Scenario) -> list[str]:
    if not scenario.constraints.one_shape_per_offer:
        return []
    seen: dict[tuple[str, str], set[str]] = {}
    for g in plan.groups:
        if g.count:
            seen.setdefault((g.design.offer_id, g.design.role), set()).add(g.design.key)
    return [f"{oid} runs {len(keys)} {role} replica designs, one_shape_per_offer allows one" for (oid, role), keys in sorted(seen.items())
            if len(keys) > 1]


def check_max_servers(plan: Plan, scenario: Scenario) -> list[str]:
    cap = scenario.constraints.max_servers
    if cap is not None and sum(plan.servers.values()) > cap:
        return [f"{sum(plan.servers.values())} servers > max_servers {cap}"]
    return []


def check_cost(plan: Plan, problem: Problem) -> list[str]:
    """The plan's cost from the scenario's prices (plus energy in a TCO objective). Repeats the
    solver's price and energy formulas (plan.terms) on purpose: the checker shares no code with it."""
    cost = 0.0
    for oid, n in plan.servers.items():
        cost += n * (offer_price_rmb(problem, oid) + server_energy_rmb(problem, oid))
    if abs(round(cost) - plan.cost_rmb) > len(plan.servers):  # prices are rounded to the yuan per offer
        return [f"cost adds up to RMB {cost:,.0f}, the plan says {plan.cost_rmb:,}"]
    return []


def server_energy_rmb(problem: Problem, offer_id: str) -> int:
    """One server's energy over a TCO objective's years at its duty cycle (0 under capex, or with no
    power figure), rounded to the yuan as the solver's terms are."""
    o = problem.scenario.objective
    watts = _server_watts(problem, offer_id)
    if o.kind != "tco" or watts is None:
        return 0
    assert o.years is not None and o.rmb_per_kwh is not None
    return round(units.w_to_kw(watts) * o.pue * units.HOURS_PER_YEAR * o.years * o.duty_cycle * o.rmb_per_kwh)


def check_budget(plan: Plan, problem: Problem) -> list[str]:
    cap = problem.scenario.constraints.budget_rmb
    capex = sum(n * offer_price_rmb(problem, oid) for oid, n in plan.servers.items())
    if cap is not None and round(capex) > math.floor(cap):
        return [f"purchase RMB {capex:,.0f} exceeds the budget RMB {cap:,.0f}"]
    return []


def check_pool(
    d: Design, fresh: ReplicaPerf, replica: Replica, shock: Shock, scenario: Scenario
) -> tuple[float, list[str]]:
    """A prefill or decode replica: its SLA and its request rate, recomputed. A prefill replica
    runs at most MAX_PREFILL_UTILIZATION busy; its TTFT adds the M/D/1 wait at the utilisation
    the design claims (scaled by the tail factor for a percentile SLA) and the KV hand-over."""
    sla, w = scenario.sla, scenario.workload
    claimed = d.requests_per_s or 0.0
    if d.role == "prefill":
        rho = claimed / shock.throughput * fresh.prefill_occupancy_s
        transfer = kv_transfer_s(replica, w.input_tokens)
        factor = _tail_factor(sla.statistic) or 1.0
        if rho >= 1:
            return 0.0, [f"{d.key}: prefill replica over-subscribed (utilisation {rho:.2f})"]
        front_end = units.ms_to_s(replica.factors.ttft_overhead_ms)
        ttft_ms = units.s_to_ms(fresh.prefill_s + factor * rho / (2 * (1 - rho)) * fresh.prefill_occupancy_s + transfer + front_end) * shock.prefill
        if sla.ttft_ms is not None and ttft_ms > sla.ttft_ms + TOLERANCE:
            return claimed, [f"{d.key}: TTFT {ttft_ms:.1f} ms > {sla.ttft_ms:g} ms"]
        return claimed, []
    token_ms = units.s_to_ms(fresh.decode.total_s) / fresh.accept_len * shock.tpot
    problems = []
    if sla.tpot_ms is not None and token_ms > sla.tpot_ms + TOLERANCE:
        problems.append(f"{d.key}: TPOT {token_ms:.1f} ms > {sla.tpot_ms:g} ms")
    return fresh.batch * fresh.accept_len / (max(1, w.output_tokens - 1) * fresh.decode.total_s) * shock.throughput, problems


def _capacity(perf: ReplicaPerf, scenario: Scenario, throughput_factor: float) -> float:
    load = scenario.workload.load
    if load.concurrent_users is not None:
        return float(perf.batch)
    rate = perf.requests_per_s if load.requests_per_s is not None else perf.output_tokens_per_s
    return rate * throughput_factor


def assert_plan_valid(plan: Plan, problem: Problem) -> None:
    problems = verify_plan(plan, problem)
    if problems:
        raise PlanCheckError(f"plan rank {plan.rank} fails the independent check: " + "; ".join(problems))


def check_result(result: SolveResult) -> None:
    """Every plan a solve returns passes the check: ranked plans, each bid's own plan at the
    confidence and at the central estimate, the vendor-mix pair and the central estimate's plan."""
    extra = [p for p in (result.single_vendor_plan, result.mix_plan, result.central_plan) if p is not None]
    bids = [o.plan for o in (*result.per_offer, *result.central_per_offer) if o.plan is not None]
    for plan in [*result.plans, *bids, *extra]:
        assert_plan_valid(plan, result.problem)
    if result.trusting_plan is not None:  # checked under the same scenario without its supply cases
        trusting = result.scenario.model_copy(update={"constraints": result.scenario.constraints.model_copy(update={"robust_to": []})})
        assert_plan_valid(result.trusting_plan, result.problem.with_scenario(trusting))


# --------------------------------------------------------------------------------------------
# Buying in phases (scenario.phases)


class Bought(Protocol):
    """A period of a schedule, one service's or a fleet's: its name and what it buys."""
    @property
    def label(self) -> str: ...
    @property
    def bought(self) -> Mapping[str, int]: ...


def check_phases(phased: PhasedPlan, problem: Problem) -> list[str]:
    """Every rule a phased schedule breaks, and its all-at-once companion's (which must also buy
    only in the first period): check_schedule on each."""
    problems = [] if phased.schedule is None else check_schedule(phased.schedule, problem)
    if phased.all_at_once is not None:
        problems += buys_after_the_first(phased.all_at_once.periods)
        problems += [f"all at once: {found}" for found in check_schedule(phased.all_at_once, problem)]
    return problems


def buys_after_the_first(periods: Sequence[Bought]) -> list[str]:
    """An all-at-once schedule buying after its first period, in words ([] when it does not)."""
    later = [p.label for p in periods[1:] if any(p.bought.values())]
    return [f"all at once: buys in {', '.join(later)}"] if later else []


def _phase_loads(scenario: Scenario) -> list[float]:
    """The load in each period, from phases.load or phases.growth_pct compounding from workload.load."""
    ph = scenario.phases
    assert ph is not None
    if ph.load is not None:
        return [float(x) for x in ph.load]
    assert ph.growth_pct is not None
    return [scenario.workload.load.amount * (1 + ph.growth_pct / 100) ** p for p in range(len(ph.periods))]


def _phase_price_rmb(problem: Problem, offer_id: str, period: int) -> float:
    """One server of an offer bought in `period`, undiscounted, from the scenario: its phases price,
    else its bid less price_decline_pct compounding."""
    ph = problem.scenario.phases
    assert ph is not None
    if offer_id in ph.prices_rmb_per_server:
        return float(ph.prices_rmb_per_server[offer_id][period])
    return offer_price_rmb(problem, offer_id) * (1 - ph.price_decline_pct / 100) ** period


def check_schedule(schedule: PhaseSchedule, problem: Problem) -> list[str]:
    """A schedule recomputed period by period: the servers in service from the purchases and the
    lead time, the replicas' cards within them, each period's load (with the headroom) served by
    replicas recomputed from the performance model, N+1 and the limits on servers in service,
    deliveries, the budget (undiscounted) and the spend, plain and discounted, from the scenario's prices."""
    scenario = problem.scenario
    ph = scenario.phases
    if ph is None:
        return ["a phased schedule, but the scenario has no phases"]
    if [p.label for p in schedule.periods] != list(ph.periods):
        return [f"periods {[p.label for p in schedule.periods]} are not the scenario's {list(ph.periods)}"]
    offers = {o.id: o for o in scenario.offers}
    problems = [f"{oid}: bought but not an offer of this scenario" for p in schedule.periods for oid in p.bought if oid not in offers]
    if problems:
        return problems
    owned = {o.id: o.available_servers for o in scenario.offers if o.owned}
    problems += [f"{p.label}: buys {oid}, hardware already owned" for p in schedule.periods for oid in p.bought if oid in owned]
    capacity: dict[str, float | None] = {}
    for k, (period, load) in enumerate(zip(schedule.periods, _phase_loads(scenario), strict=True)):
        arrived = dict(owned)
        for q in schedule.periods[: max(0, k - ph.lead_time_periods + 1)]:  # bought early enough to serve in period k
            for oid, n in q.bought.items():
                arrived[oid] = arrived.get(oid, 0) + n
        arrived = {oid: n for oid, n in sorted(arrived.items()) if n}
        if arrived != {oid: n for oid, n in period.in_service.items() if n}:
            problems.append(f"{period.label}: says {period.in_service} in service, the purchases give {arrived}")
        problems += [f"{period.label}: {found}" for found in _period_problems(period.groups, arrived, load, capacity, problem)]
    problems += _schedule_limits(schedule, problem)
    return problems


def _period_problems(groups: tuple[ReplicaGroup, ...], in_service: dict[str, int], load: float,
                     capacity: dict[str, float | None], problem: Problem) -> list[str]:
    """One period: its replicas recomputed (each design once: `capacity` memoises them by key), their
    cards within the servers in service, the load with the headroom served, N+1, and the limits on
    servers in service (max_servers, power)."""
    scenario = problem.scenario
    pools = Served()
    cards: dict[str, int] = {}
    units_of: list[tuple[str, int, int, float]] = []
    problems: list[str] = []
    for g in groups:
        d = g.design
        if d.key not in capacity:
            capacity[d.key], found = recompute_design(d, problem)
            problems += found
        each = capacity[d.key] or 0.0
        pools.add(d, g.count * each)
        cards[d.offer_id] = cards.get(d.offer_id, 0) + g.count * d.perf.parallelism.cards
        units_of.append((d.offer_id, d.perf.parallelism.cards, g.count, each))
    for oid, used in sorted(cards.items()):
        if used > in_service.get(oid, 0) * _cards_per_server(problem, oid):
            problems.append(f"replicas use {used} cards of {oid}, {in_service.get(oid, 0)} server(s) in service")
    total = _total_served(pools.by_role())
    need = load * (1 + scenario.sla.headroom_pct / 100)
    if total + TOLERANCE < need:
        problems.append(f"serves {total:.2f} {scenario.workload.load.unit}, the load (with any headroom) is {need:.2f}")
    if scenario.constraints.n_plus_one:
        for oid, n in sorted(in_service.items()):
            loss = _worst_server_loss([(c, k, e) for o, c, k, e in units_of if o == oid], _cards_per_server(problem, oid))
            if n and total - loss + TOLERANCE < load:
                problems.append(f"N+1: with one {oid} server down it serves {total - loss:.2f}, the load is {load:g}")
    fleet = Plan(0, 0, 0, in_service, groups, total)
    problems += check_max_servers(fleet, scenario) + check_power(fleet, problem) + check_one_shape(fleet, scenario)
    return problems + check_vendor_rules(fleet, scenario)


def _schedule_limits(schedule: PhaseSchedule, problem: Problem) -> list[str]:
    """Over the whole schedule: deliveries per period and in total, one vendor if asked, the budget
    on the undiscounted spend, and each period's spend (plain and discounted) from the scenario's prices."""
    scenario = problem.scenario
    ph = scenario.phases
    assert ph is not None
    offers = {o.id: o for o in scenario.offers}
    problems = []
    total = schedule.servers
    problems += [f"{oid}: {n} servers bought over the periods, {offers[oid].available_servers} available"
                 for oid, n in total.items() if n > offers[oid].available_servers]
    for k, period in enumerate(schedule.periods):
        problems += [f"{period.label}: {n} {oid} servers bought, {ph.available[oid][k]} deliverable then"
                     for oid, n in period.bought.items() if oid in ph.available and n > ph.available[oid][k]]
    owned_total = {o.id: o.available_servers for o in scenario.offers if o.owned}
    problems += check_single_vendor(Plan(0, 0, 0, {**owned_total, **total}, (), 0.0), scenario)
    spend = 0.0
    for k, period in enumerate(schedule.periods):
        plain = sum(n * _phase_price_rmb(problem, oid, k) for oid, n in period.bought.items())
        # under TCO a server's cost is its price plus its energy over the objective's years from its purchase
        energy = sum(n * server_energy_rmb(problem, oid) for oid, n in period.bought.items())
        discounted = (plain + energy) / (1 + ph.discount_rate_pct / 100) ** k
        slack = sum(period.bought.values())  # each price is rounded to the yuan
        if abs(plain - period.spend_rmb) > slack:
            problems.append(f"{period.label}: spend adds up to RMB {plain:,.0f}, the schedule says {period.spend_rmb:,}")
        if abs(discounted - period.discounted_rmb) > slack:
            problems.append(f"{period.label}: discounted cost adds up to RMB {discounted:,.0f}, the schedule says {period.discounted_rmb:,}")
        spend += plain
    cap = scenario.constraints.budget_rmb
    if cap is not None and round(spend) > math.floor(cap):
        problems.append(f"spend RMB {spend:,.0f} over the periods exceeds the budget RMB {cap:,.0f}")
    return problems


def assert_phases_valid(phased: PhasedPlan, problem: Problem) -> None:
    problems = check_phases(phased, problem)
    if problems:
        raise PlanCheckError("the phased schedule fails the independent check: " + "; ".join(problems))
