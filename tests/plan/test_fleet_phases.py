"""A fleet bought in phases (plan/fleet_phases.py): CP-SAT against brute force on tiny instances
(2 services, 1-2 offers, 2-3 periods, phased and all at once, with and without a supply case and
N+1),
monotone in demand, and a price that falls later never making buying earlier cheaper."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from fractions import Fraction

import pytest
from plan_factories import RMB_100K, plan_scenario, stand_in_design, terms_of

from optimizer.plan import fleet_phases
from optimizer.plan.fleet import ServiceDesigns
from optimizer.plan.fleet_phases import build_fleet_phase_model, solve_fleet_phases
from optimizer.plan.model import LOAD_SCALE, capacity_units
from optimizer.scenario import Scenario, SupplyCase
from optimizer.scenario_phases import Phases


def _phased(scenario: Scenario, phases: dict, cases: list[dict] | None = None) -> Scenario:  # type: ignore[type-arg]
    # the brute force is the plain cheapest schedule: the vendor rule is off here, tested on its own below
    constraints = scenario.constraints.model_copy(update={"robust_to": [SupplyCase.model_validate(c) for c in cases or []],
                                                          "mix_min_saving_pct": 0})
    return scenario.model_copy(update={"phases": Phases.model_validate(phases), "constraints": constraints})


def _with_n_plus_one(services: list[ServiceDesigns]) -> list[ServiceDesigns]:
    return [dataclasses.replace(s, scenario=s.scenario.model_copy(
        update={"constraints": s.scenario.constraints.model_copy(update={"n_plus_one": True})})) for s in services]


def _instance(seed: int, *, with_case: bool = False):  # type: ignore[no-untyped-def]
    """1-2 offers of 4-card servers (1-3 available); 2 services, one design per offer each; 2-3 periods,
    prices falling 0-20 % a period; service 0's load grows by growth_pct, service 1 gives its own loads."""
    rng = random.Random(8800 + seed)
    terms = {}
    for k in range(rng.choice([1, 2, 2])):
        oid = f"offer-{k}"
        terms[oid] = terms_of(oid, vendor=f"vendor-{k}", cards_per_server=4, price_rmb=rng.randint(1, 20) * RMB_100K,
                              available=rng.randint(1, 3))
    periods = [f"p{i}" for i in range(rng.choice([2, 3]))]
    common = {"periods": periods, "price_decline_pct": rng.choice([0, 10, 20])}
    cases = [{"offer": "offer-0", "delivered_share": rng.choice([0.0, 0.5, 0.75]), "load_share": rng.choice([0.5, 1.0])}] if with_case else []
    services = []
    for s in range(2):
        designs = tuple(stand_in_design(oid, cards, rng.randint(1, 3 * cards), batch=10 * s + 1) for oid in terms
                        for cards in [rng.choice([1, 2, 4])])
        first = rng.randint(1, 6)
        own = {"growth_pct": rng.choice([0, 50])} if s == 0 else {"load": [first + rng.randint(0, 4) * i for i in range(len(periods))]}
        services.append(ServiceDesigns(f"svc-{s}", _phased(plan_scenario(terms, first), {**common, **own}, cases), designs))
    return services, terms


def _price(t, p: int, decline: float) -> int:  # type: ignore[no-untyped-def]
    return round(t.price_rmb_per_server * (1 - decline / 100) ** p)


def _brute_force(services: list[ServiceDesigns], terms, *, all_at_once: bool = False) -> int | None:  # type: ignore[no-untyped-def]
    """Every purchase per period and offer within the stock is tried; a period is served when some
    replica mix covering every service's period load (capacity rounded down, load up) needs at most
    the servers in service (ceil(cards / cards_per_server) of each offer), and, under the case, some
    mix covering load_share of each needs at most floor(share x in service) of offer-0."""
    ids, cps = list(terms), {oid: t.cards_per_server for oid, t in terms.items()}
    ph = services[0].scenario.phases
    assert ph is not None
    n = len(ph.periods)
    loads = [[math.ceil(x * LOAD_SCALE - 1e-9) for x in s.scenario.phases.loads(s.scenario.workload.load.amount)] for s in services]  # type: ignore[union-attr]
    designs = [(k, d) for k, s in enumerate(services) for d in s.designs]
    bounds = [range(terms[d.offer_id].available_servers * cps[d.offer_id] // d.cards + 1) for _, d in designs]
    mixes = []
    for counts in itertools.product(*bounds):
        cards, served, loss = dict.fromkeys(ids, 0), [0] * len(services), [0] * len(services)
        for c, (k, d) in zip(counts, designs, strict=True):
            cards[d.offer_id] += c * d.cards
            served[k] += c * capacity_units(d)
            if c:   # N+1: one server down takes at most a server's worth of the service's most capable design
                loss[k] = max(loss[k], math.ceil(d.capacity * LOAD_SCALE - 1e-9) * max(1, cps[d.offer_id] // d.cards))
        mixes.append((tuple(-(-cards[o] // cps[o]) for o in ids), served, loss))
    cases = services[0].scenario.constraints.robust_to
    spare = [s.scenario.constraints.n_plus_one for s in services]

    def serves(have: tuple[int, ...], p: int, share: float = 1.0, n_plus_one: bool = False) -> bool:
        return any(all(x <= h for x, h in zip(need, have, strict=True)) and
                   all(served[k] - (loss[k] if n_plus_one and spare[k] else 0) >= math.ceil(share * loads[k][p] - 1e-9)
                       for k in range(len(services))) for need, served, loss in mixes)

    best = None
    per_period = [itertools.product(*(range(terms[o].available_servers + 1) for o in ids)) if p == 0 or not all_at_once
                  else [tuple(0 for _ in ids)] for p in range(n)]
    for buys in itertools.product(*(list(x) for x in per_period)):
        if any(sum(b[j] for b in buys) > terms[o].available_servers for j, o in enumerate(ids)):
            continue
        ok = True
        for p in range(n):
            have = tuple(sum(b[j] for b in buys[: p + 1]) for j in range(len(ids)))
            ok &= serves(have, p, n_plus_one=True)
            for case in cases:
                share = Fraction(str(case.delivered_share))
                arrive = tuple(math.floor(share * h) if o == case.offer else h for o, h in zip(ids, have, strict=True))
                ok &= serves(arrive, p, case.load_share)
            if not ok:
                break
        if ok:
            cost = sum(_price(terms[o], p, ph.price_decline_pct) * b[j] for p, b in enumerate(buys) for j, o in enumerate(ids))
            best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(16))
def test_cp_sat_equals_brute_force_phased_and_all_at_once(seed: int):
    services, terms = _instance(seed, with_case=seed % 2 == 1)
    found = solve_fleet_phases(services, terms)
    assert (found.schedule.discounted_rmb if found.schedule else None) == _brute_force(services, terms)
    assert (found.all_at_once.discounted_rmb if found.all_at_once else None) == _brute_force(services, terms, all_at_once=True)
    if found.schedule is not None:
        for period in found.schedule.periods:   # every service covers its own period load
            for svc, load in zip(period.services, period.loads, strict=True):
                assert svc.served >= load - 1e-9
            assert len(period.supply) == len(services[0].scenario.constraints.robust_to)


@pytest.mark.parametrize("seed", range(10))
def test_cp_sat_equals_brute_force_with_n_plus_one_in_every_period(seed: int):
    """Each service keeps its period load with any one server down (plan.phases.add_n_plus_one per
    service): phased and all at once match the brute force, and N+1 never lowers the cost."""
    services, terms = _instance(seed, with_case=seed % 3 == 1)
    spared = _with_n_plus_one(services)
    found = solve_fleet_phases(spared, terms)
    expected = _brute_force(spared, terms)
    assert (found.schedule.discounted_rmb if found.schedule else None) == expected
    assert (found.all_at_once.discounted_rmb if found.all_at_once else None) == _brute_force(spared, terms, all_at_once=True)
    plain = solve_fleet_phases(services, terms).schedule
    if found.schedule is not None:
        assert plain is not None and plain.discounted_rmb <= found.schedule.discounted_rmb


def test_n_plus_one_binds_on_some_phased_instances():
    costlier = 0
    for seed in range(10):
        services, terms = _instance(seed, with_case=seed % 3 == 1)
        plain, spared = _brute_force(services, terms), _brute_force(_with_n_plus_one(services), terms)
        costlier += plain is not None and (spared is None or spared > plain)
    assert costlier >= 3


@pytest.mark.parametrize("seed", range(12))
def test_more_demand_never_costs_less(seed: int):
    services, terms = _instance(seed)
    before = solve_fleet_phases(services, terms).schedule
    ph = services[1].scenario.phases
    assert ph is not None and ph.load is not None
    grown = _phased(services[1].scenario, {**ph.model_dump(exclude_defaults=True), "load": [x + 2 for x in ph.load]})
    after = solve_fleet_phases([services[0], dataclasses.replace(services[1], scenario=grown)], terms).schedule
    if after is not None:
        assert before is not None and before.discounted_rmb <= after.discounted_rmb


def test_a_price_that_falls_later_never_makes_buying_earlier_cheaper():
    """Two services of 10 users each in p0, 10 and 20 in p1 (one 4-card replica serves 10 users, one
    per 4-card server): 2 servers serve p0, a third is needed in p1. At a flat RMB 1.0M the third costs
    the same whenever bought; with p1's price RMB 0.8M it is bought in p1 (RMB 2.8M in all), never
    earlier, and buying it all in p0 costs RMB 3.0M."""
    terms = {"offer-0": terms_of("offer-0", cards_per_server=4, price_rmb=10 * RMB_100K, available=4)}

    def fleet(prices: list[int]) -> list[ServiceDesigns]:
        phases = {"periods": ["p0", "p1"], "prices_rmb_per_server": {"offer-0": prices}}
        return [ServiceDesigns(f"svc-{k}", _phased(plan_scenario(terms, 10), {**phases, "load": [10, 10 + 10 * k]}),
                               (stand_in_design("offer-0", 4, 10, batch=k + 1),)) for k in range(2)]

    flat = solve_fleet_phases(fleet([10 * RMB_100K, 10 * RMB_100K]), terms)
    falling = solve_fleet_phases(fleet([10 * RMB_100K, 8 * RMB_100K]), terms)
    assert flat.schedule is not None and falling.schedule is not None and falling.all_at_once is not None
    assert flat.schedule.discounted_rmb == 30 * RMB_100K and falling.schedule.discounted_rmb == 28 * RMB_100K
    assert [p.bought for p in falling.schedule.periods] == [{"offer-0": 2}, {"offer-0": 1}]
    assert falling.all_at_once.discounted_rmb == 30 * RMB_100K and falling.saving_rmb == 2 * RMB_100K
    assert falling.schedule.discounted_rmb <= flat.schedule.discounted_rmb


def test_the_retimed_hint_is_a_phased_schedule_no_dearer_than_buying_all_at_once():
    """The phased search starts from the all-at-once schedule with its purchases moved to when each
    period needs them (fleet_phases.retimed_hint). Fixed at its values, the phased model must stay
    feasible (so the hint is a schedule, supply cases and N+1 included) and cost no less than the
    phased optimum and, prices here never rising, no more than buying all at once; and it must hint
    the purchases, not only the replicas, on all but one of the instances with both schedules."""
    from ortools.sat.python import cp_model

    from optimizer.plan.fleet_phases import build_fleet_phase_model, retimed_hint

    checked = with_purchases = 0
    for seed in range(16):
        services, terms = _instance(seed, with_case=seed % 2 == 1)
        fleet = _with_n_plus_one(services) if seed % 3 == 0 else services
        found = solve_fleet_phases(fleet, terms)
        if found.all_at_once is None or found.schedule is None:
            continue
        fv = build_fleet_phase_model(fleet, terms)
        hint = retimed_hint(fv, found.all_at_once, fleet, terms)
        for var, value in hint:
            fv.whole.model.add(var == value)
        fv.whole.model.minimize(fv.whole.cost)
        solver = cp_model.CpSolver()
        assert solver.solve(fv.whole.model) == cp_model.OPTIMAL, seed
        hinted_buys = {var.name for var, _ in hint} >= {x.name for x in fv.whole.buy.values()}
        if hinted_buys:
            cost = round(solver.objective_value)
            assert found.schedule.discounted_rmb <= cost <= found.all_at_once.discounted_rmb, seed
            with_purchases += 1
        checked += 1
    assert checked >= 8 and with_purchases >= checked - 1, (checked, with_purchases)


def _fewest_cards_by_brute_force(services: list[ServiceDesigns], terms, have: dict[str, int], loads: list[int], *,  # type: ignore[no-untyped-def]
                                 share: float = 1.0, n_plus_one: bool = False) -> tuple[int, int] | None:
    """The least (cards, replicas), in that order, of any replica mix that fits `have` (servers per
    offer) and covers ceil(share x load) of every service (with N+1: after its largest server loss)."""
    designs = [(k, d) for k, s in enumerate(services) for d in s.designs]
    best = None
    for counts in itertools.product(*(range(have.get(d.offer_id, 0) * terms[d.offer_id].cards_per_server // d.cards + 1)
                                      for _, d in designs)):
        cards, served, loss = dict.fromkeys(terms, 0), [0] * len(services), [0] * len(services)
        for c, (k, d) in zip(counts, designs, strict=True):
            cards[d.offer_id] += c * d.cards
            served[k] += c * capacity_units(d)
            if c:
                cps = terms[d.offer_id].cards_per_server
                loss[k] = max(loss[k], math.ceil(d.capacity * LOAD_SCALE - 1e-9) * max(1, cps // d.cards))
        fits = all(cards[o] <= have.get(o, 0) * t.cards_per_server for o, t in terms.items())
        covers = all(served[k] - (loss[k] if n_plus_one else 0) >= math.ceil(share * loads[k] - 1e-9) for k in range(len(services)))
        if fits and covers:
            best = min(best or (sum(cards.values()), sum(counts)), (sum(cards.values()), sum(counts)))
    return best


def test_each_period_and_supply_case_runs_the_fewest_cards_then_replicas_by_brute_force():
    """The last stage minimises its parts (a period, a supply case in a period) one after another;
    with the purchases fixed they share no constraint, so each must reach its own minimum: no mix of
    replicas on the same servers in service uses fewer cards, or as many cards and fewer replicas."""
    checked = 0
    for seed in range(16):
        services, terms = _instance(seed, with_case=seed % 2 == 0)
        spared = seed % 3 == 0
        fleet = _with_n_plus_one(services) if spared else services
        found = solve_fleet_phases(fleet, terms)
        cases = fleet[0].scenario.constraints.robust_to
        periods = len(services[0].scenario.phases.periods)  # type: ignore[union-attr]
        assert len(fleet_phases._fewest_cards(build_fleet_phase_model(fleet, terms))) == periods * (1 + len(cases)), seed
        for schedule in (s for s in (found.schedule, found.all_at_once) if s is not None):
            for period in schedule.periods:
                loads = [math.ceil(x * LOAD_SCALE - 1e-9) for x in period.loads]
                used = (sum(g.design.cards * g.count for s in period.services for g in s.groups),
                        sum(g.count for s in period.services for g in s.groups))
                assert used == _fewest_cards_by_brute_force(fleet, terms, period.in_service, loads, n_plus_one=spared), seed
                for supply in period.supply:
                    witness = (sum(g.design.cards * g.count for s in supply.services for g in s.groups),
                               sum(g.count for s in supply.services for g in s.groups))
                    share = cases[supply.case].load_share
                    assert witness == _fewest_cards_by_brute_force(fleet, terms, supply.delivered, loads, share=share), seed
                    checked += 1
                checked += 1
    assert checked >= 30, checked


def test_the_last_stages_parts_share_one_stage_limit(monkeypatch: pytest.MonkeyPatch):
    """Each period and supply case is minimised on its own, but a schedule of many of them must not
    multiply the search limit: part k is given the stage's limit less the deterministic time parts
    0..k-1 used, and never less than the floor, PART_TIME_S or the limit over the parts if less.
    Small instances are solved in presolve (0 units), so here every search reports what it used, and
    the stage's limit is 2. Each part using 0.6 units, with n parts (floor min(1.0, 2 / n)), the
    parts get 2.0, 1.4, 0.8, then the floor. Each using its whole limit, the parts search less than
    twice the stage's limit in all."""
    from optimizer.plan import phases

    services, terms = _instance(1, with_case=True)
    real = phases.new_solver
    monkeypatch.setattr(phases, "TIME_LIMIT_S", 2.0)

    def limits_given(used: float | None) -> list[float]:
        limits: list[float] = []

        class Reporting:
            def __init__(self, limit: float) -> None:
                self.solver, self.deterministic_time = real(limit), limit if used is None else used
                limits.append(limit)

            def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
                return getattr(self.solver, name)

        monkeypatch.setattr(phases, "new_solver", lambda limit=20.0: Reporting(limit))
        fv = build_fleet_phase_model(services, terms)
        parts = fleet_phases._fewest_cards(fv)
        assert phases.staged_solve(fv.whole, parts).solver is not None
        assert len(limits) == 2 + len(parts) >= 6
        return limits[2:]

    some = limits_given(0.6)
    floor = min(1.0, 2.0 / len(some))
    assert some == pytest.approx([2.0, 1.4, max(0.8, floor)] + [floor] * (len(some) - 3))
    whole = limits_given(None)
    assert whole[0] == 2.0 and sum(whole) <= 2 * 2.0


VARIANTS = {   # phases: and robust_to: changes the retimed hint must handle (it may then hint no purchases)
    "delivery caps": ({"available": {"offer-0": [1, 3, 3]}}, None),
    "a vendor's case": ({}, [{"vendor": "vendor-0", "delivered_share": 0.5}]),
    "nothing arrives": ({}, [{"offer": "offer-0", "delivered_share": 0.0, "load_share": 0.5}]),
    "a third arrives": ({}, [{"offer": "offer-0", "delivered_share": 0.3333}]),
    "rising prices": ({"price_decline_pct": -20}, None),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_retimed_hint_holds_under_caps_cases_and_rising_prices(variant: str):
    """With per-period delivery caps, a case naming a vendor, a case where nothing or a third
    arrives, or prices that rise, the hint never stops the solve, and whenever it hints the purchases
    the phased model fixed at it is feasible (a third is 3333/10000, rounded down as the model does).
    A lead time is not among them: these instances own nothing, so with one no schedule serves the
    first period."""
    from ortools.sat.python import cp_model

    from optimizer.plan.fleet_phases import retimed_hint

    update, cases = VARIANTS[variant]
    checked = 0
    for seed in range(12):
        services, terms = _instance(seed, with_case=True)
        n = len(services[0].scenario.phases.periods)  # type: ignore[union-attr]
        phases = {k: ({o: v[:n] for o, v in x.items()} if k == "available" else x) for k, x in update.items()}
        fleet = [dataclasses.replace(s, scenario=_phased(
            s.scenario, {**s.scenario.phases.model_dump(exclude_defaults=True), **phases},  # type: ignore[union-attr]
            cases if cases is not None else [c.model_dump(exclude_defaults=True) for c in s.scenario.constraints.robust_to]))
            for s in (_with_n_plus_one(services) if seed % 3 == 0 else services)]
        found = solve_fleet_phases(fleet, terms)
        if found.all_at_once is None or found.schedule is None:
            continue
        fv = build_fleet_phase_model(fleet, terms)
        hint = retimed_hint(fv, found.all_at_once, fleet, terms)
        if not {var.name for var, _ in hint} >= {x.name for x in fv.whole.buy.values()}:
            continue
        for var, value in hint:
            fv.whole.model.add(var == value)
        assert cp_model.CpSolver().solve(fv.whole.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE), (variant, seed)
        checked += 1
    assert checked >= 2, (variant, checked)
