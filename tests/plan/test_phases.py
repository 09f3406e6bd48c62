"""scenario.phases (buying in phases): CP-SAT against brute force on small instances, monotone in the
demand, a falling price never making an earlier purchase cheaper, the lead time and the discounting
worked by hand, and the independent checker catching a schedule that under-serves a period or
miscounts its cost."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random

import pytest
from plan_factories import RMB_100K, best_units_by_servers, plan_scenario, stand_in_design, terms_of

from optimizer.check import check_phases
from optimizer.plan.model import LOAD_SCALE
from optimizer.plan.phases import solve_phases
from optimizer.plan.result import Design
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario
from optimizer.scenario_phases import Phases


def _phased(scenario: Scenario, **phases: object) -> Scenario:
    return scenario.model_copy(update={"phases": Phases.model_validate(phases)})


def _instance(seed: int) -> tuple[Scenario, list[Design], dict[str, OfferTerms]]:
    rng = random.Random(7300 + seed)
    terms, designs = {}, []
    for k in range(rng.choice([1, 2])):
        oid = f"offer-{k}"
        terms[oid] = terms_of(oid, vendor=f"vendor-{k}", cards_per_server=4, price_rmb=rng.randint(2, 20) * RMB_100K,
                              available=rng.randint(1, 4))
        for i, cards in enumerate(sorted(rng.sample([1, 2, 4, 8], rng.randint(1, 2)))):
            designs.append(stand_in_design(oid, cards, rng.randint(1, 4 * cards), batch=i + 1))
    n = rng.choice([2, 3])
    phases: dict[str, object] = {"periods": [f"p{i}" for i in range(n)], "price_decline_pct": rng.choice([0, 5, 20]),
                                 "discount_rate_pct": rng.choice([0, 2, 10])}
    if rng.random() < 0.5:
        phases["load"] = [rng.randint(1, 20) for _ in range(n)]
    else:
        phases["growth_pct"] = rng.choice([-20, 0, 30, 100])
    if rng.random() < 0.3:
        phases["available"] = {"offer-0": [rng.randint(0, 2) for _ in range(n)]}
    if rng.random() < 0.3:
        phases["prices_rmb_per_server"] = {"offer-0": [rng.randint(2, 20) * RMB_100K for _ in range(n)]}
    budget = rng.choice([None, None, 30 * RMB_100K])
    scenario = plan_scenario(terms, rng.randint(1, 15), budget_rmb=budget)
    # the brute force is the plain cheapest schedule: the vendor rule is off here, tested on its own below
    scenario = scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"mix_min_saving_pct": 0})})
    return _phased(scenario, **phases), designs, terms


def test_a_schedule_mixing_vendors_must_earn_its_second_contract():
    """Two periods of 10 then 20 users; a 4-card server of either vendor serves 10 users. Vendor 0 sells
    one server at RMB 1.0M, vendor 1 servers at RMB 1.05M, no discount or decline: the cheapest
    schedule buys one of each (RMB 2.05M), saving 2.4 % against vendor 1 alone (2 x 1.05 = RMB 2.10M).
    At the default 5 % rule the schedule buys vendor 1 alone; at 0 % the mix."""
    terms = {
        "offer-0": terms_of("offer-0", vendor="vendor-0", cards_per_server=4, price_rmb=10 * RMB_100K, available=1),
        "offer-1": terms_of("offer-1", vendor="vendor-1", cards_per_server=4, price_rmb=int(10.5 * RMB_100K), available=3),
    }
    designs = [stand_in_design("offer-0", 4, 10), stand_in_design("offer-1", 4, 10)]
    for pct, expected in ((5.0, {"offer-1": 2}), (0.0, {"offer-0": 1, "offer-1": 1})):
        base = plan_scenario(terms, 10)
        base = base.model_copy(update={"constraints": base.constraints.model_copy(update={"mix_min_saving_pct": pct})})
        found = solve_phases(_phased(base, periods=["q1", "q2"], load=[10, 20]), designs, terms)
        assert found.schedule is not None and {o: n for o, n in found.schedule.servers.items() if n} == expected, pct


def _brute_force(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], *, all_at_once: bool = False) -> int | None:
    """Least discounted spend over every purchase schedule: servers of each offer bought in each period
    within that period's deliveries and the offer's total, each period served (with any replica mix on
    at most the servers in service: a bought server may stand idle) at its load, the budget on the
    undiscounted spend. Prices from the phases, written out again: bid x (1 - decline)^p, rounded,
    then / (1 + rate)^p, rounded."""
    ph = scenario.phases
    assert ph is not None
    n, ids = len(ph.periods), list(terms)
    base = scenario.workload.load.amount
    loads = list(ph.load) if ph.load is not None else [base * (1 + (ph.growth_pct or 0) / 100) ** p for p in range(n)]
    demand = [math.ceil(x * LOAD_SCALE - 1e-9) for x in loads]
    exact = {oid: best_units_by_servers(designs, terms[oid]) for oid in ids}
    at_most = {oid: [max([u for u in exact[oid][: k + 1] if u is not None], default=0) for k in range(len(exact[oid]))] for oid in ids}

    def price(oid: str, p: int) -> int:
        if oid in ph.prices_rmb_per_server:
            return ph.prices_rmb_per_server[oid][p]
        return round(terms[oid].price_rmb_per_server * (1 - ph.price_decline_pct / 100) ** p)

    def caps(oid: str, p: int) -> int:
        if all_at_once and p > 0:
            return 0
        return min(ph.available[oid][p], terms[oid].available_servers) if oid in ph.available else terms[oid].available_servers

    slots = [(p, oid) for p in range(n) for oid in ids]
    best = None
    for counts in itertools.product(*(range(caps(oid, p) + 1) for p, oid in slots)):
        buy = dict(zip(slots, counts, strict=True))
        if any(sum(buy[p, oid] for p in range(n)) > terms[oid].available_servers for oid in ids):
            continue
        spend = sum(price(oid, p) * k for (p, oid), k in buy.items())
        if scenario.constraints.budget_rmb is not None and spend > scenario.constraints.budget_rmb:
            continue
        have = [{oid: sum(buy[q, oid] for q in range(p + 1)) for oid in ids} for p in range(n)]
        if all(sum(at_most[oid][have[p][oid]] for oid in ids) >= demand[p] for p in range(n)):
            cost = sum(round(price(oid, p) / (1 + ph.discount_rate_pct / 100) ** p) * k for (p, oid), k in buy.items())
            best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(30))
def test_cp_sat_equals_brute_force_phased_and_all_at_once(seed: int):
    scenario, designs, terms = _instance(seed)
    found = solve_phases(scenario, designs, terms)
    assert (found.schedule.discounted_rmb if found.schedule else None) == _brute_force(scenario, designs, terms)
    assert (found.all_at_once.discounted_rmb if found.all_at_once else None) == _brute_force(scenario, designs, terms, all_at_once=True)
    if found.schedule is not None and found.all_at_once is not None:
        assert found.saving_rmb is not None and found.saving_rmb >= 0  # all at once is one of the schedules


def test_brute_force_instances_are_not_all_trivial():
    """Some instances have no schedule, some save by phasing, some cannot buy all at once."""
    kinds = set()
    for seed in range(30):
        found = solve_phases(*_instance(seed))
        kinds.add("none" if found.schedule is None else "no-once" if found.all_at_once is None
                  else "saves" if (found.saving_rmb or 0) > 0 else "same")
    assert {"none", "saves", "same"} <= kinds


@pytest.mark.parametrize("seed", range(15))
def test_more_demand_in_any_period_never_lowers_the_cost(seed: int):
    scenario, designs, terms = _instance(seed)
    ph = scenario.phases
    assert ph is not None
    loads = ph.loads(scenario.workload.load.amount)
    before = solve_phases(scenario, designs, terms).schedule
    rng = random.Random(seed)
    p = rng.randrange(len(loads))
    more = [x + (rng.randint(1, 10) if i == p else 0) for i, x in enumerate(loads)]
    bigger = scenario.model_copy(update={"phases": ph.model_copy(update={"load": more, "growth_pct": None})})
    after = solve_phases(bigger, designs, terms).schedule
    if before is None:
        assert after is None
    elif after is not None:
        assert after.discounted_rmb >= before.discounted_rmb


def _one_offer(load: list[int], **phases: object) -> tuple[Scenario, list[Design], dict[str, OfferTerms]]:
    """One offer: a 4-card server at RMB 1.0M runs one 4-card replica serving 10 users; up to 6 servers."""
    terms = {"a": terms_of("a", cards_per_server=4, price_rmb=10 * RMB_100K, available=6)}
    scenario = _phased(plan_scenario(terms, load[0]), periods=[f"q{i + 1}" for i in range(len(load))], load=load, **phases)
    return scenario, [stand_in_design("a", 4, 10)], terms


@pytest.mark.parametrize("decline", [0, 5, 20, 50])
def test_a_price_that_falls_later_makes_no_earlier_purchase_cheaper(decline: int):
    """Loads 10, 20, 30 (one server each): the same scenario but for the price falling later. Buying
    everything in q1 is never cheaper than the phased schedule, the phased schedule buys one server a
    quarter (a server bought early would cost at least as much), and the schedule is the same at every
    decline (at 0 the tie-break buys as late as possible)."""
    scenario, designs, terms = _one_offer([10, 20, 30], price_decline_pct=decline)
    found = solve_phases(scenario, designs, terms)
    assert found.schedule is not None and found.all_at_once is not None
    assert [p.bought for p in found.schedule.periods] == [{"a": 1}, {"a": 1}, {"a": 1}]
    assert found.all_at_once.periods[0].bought == {"a": 3}
    assert found.schedule.discounted_rmb <= found.all_at_once.discounted_rmb
    assert (found.saving_rmb or 0) > 0 if decline else found.saving_rmb == 0
    # prices given per period, falling only in q3: same answer, and the saving is that one fall
    given = _phased(scenario, periods=["q1", "q2", "q3"], load=[10, 20, 30],
                    prices_rmb_per_server={"a": [1_000_000, 1_000_000, 1_000_000 - 1000 * decline]})
    later = solve_phases(given, designs, terms)
    assert later.schedule is not None and later.saving_rmb == 1000 * decline


def test_lead_time_forces_earlier_purchases_by_hand():
    """One server owned (serves 10), loads 10, 20, 30, prices falling 10 % a quarter (RMB 1.0M, 0.9M,
    0.81M). Without lead time: buy one in q2 (0.9M) and one in q3 (0.81M) = RMB 1,710,000. With one
    quarter of lead time each must be bought a quarter earlier: q1 (1.0M) and q2 (0.9M) = RMB 1,900,000."""
    owned = OfferTerms(offer_id="own", vendor="vendor-a", card_id="h200", cards_per_server=4, price_rmb_per_server=0,
                       energy_rmb_per_server=0, power_w_per_server=None, available_servers=1, owned=True, price_kind="quote")
    scenario, designs, terms = _one_offer([10, 20, 30], price_decline_pct=10)
    terms = {**terms, "own": owned}
    designs = [*designs, stand_in_design("own", 4, 10)]
    now = solve_phases(scenario, designs, terms)
    assert now.schedule is not None and now.schedule.discounted_rmb == 1_710_000
    assert [p.bought for p in now.schedule.periods] == [{}, {"a": 1}, {"a": 1}]
    ph = scenario.phases
    assert ph is not None
    lead = scenario.model_copy(update={"phases": ph.model_copy(update={"lead_time_periods": 1})})
    late = solve_phases(lead, designs, terms)
    assert late.schedule is not None and late.schedule.discounted_rmb == 1_900_000
    assert [p.bought for p in late.schedule.periods] == [{"a": 1}, {"a": 1}, {}]
    assert [p.in_service for p in late.schedule.periods] == [{"own": 1}, {"a": 1, "own": 1}, {"a": 2, "own": 1}]


def test_discounting_by_hand():
    """Loads 10 then 20, RMB 1.0M a server in both periods, 10 % discount a period: phased buys one
    now (RMB 1,000,000) and one next period, worth 1,000,000 / 1.1 = RMB 909,091 today: RMB 1,909,091
    discounted, RMB 2,000,000 paid; all at once RMB 2,000,000; saving RMB 90,909."""
    found = solve_phases(*_one_offer([10, 20], discount_rate_pct=10))
    assert found.schedule is not None and found.all_at_once is not None
    assert [p.discounted_rmb for p in found.schedule.periods] == [1_000_000, 909_091]
    assert found.schedule.discounted_rmb == 1_909_091 and found.schedule.spend_rmb == 2_000_000
    assert found.all_at_once.discounted_rmb == 2_000_000 and found.saving_rmb == 90_909
    assert found.unit_discounted_rmb == {"a": (1_000_000, 909_091)}


def test_deliveries_per_period_and_budget_bind():
    """At most one server delivered in q1: all at once cannot serve q2's 20 users; a budget of RMB 1.5M
    leaves no schedule at all (two servers are needed)."""
    scenario, designs, terms = _one_offer([10, 20], available={"a": [1, 1]})
    found = solve_phases(scenario, designs, terms)
    assert found.schedule is not None and found.all_at_once is None and found.all_at_once_status == "infeasible"
    tight = scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"budget_rmb": 1_500_000})})
    assert solve_phases(tight, designs, terms).schedule is None


def test_the_same_input_gives_the_same_schedule():
    first = solve_phases(*_instance(3))
    assert solve_phases(*_instance(3)) == first


# --------------------------------------------------------------------------------------------
# The independent checker, on the shipped phased scenario solved for real


@pytest.fixture(scope="module")
def phased_result():  # type: ignore[no-untyped-def]
    from conftest import REPO_ROOT, load, resolved

    from optimizer.pipeline import solve

    result = solve(resolved(load(REPO_ROOT / "scenarios" / "r1_phased_2027.yaml")))
    assert result.phases is not None and result.phases.schedule is not None
    return result


def test_the_checker_passes_the_schedule_and_catches_an_under_served_period(phased_result):
    phased, problem = phased_result.phases, phased_result.problem
    assert check_phases(phased, problem) == []
    periods = list(phased.schedule.periods)
    periods[-1] = dataclasses.replace(periods[-1], groups=periods[0].groups)  # the first quarter's replicas in the last
    starved = dataclasses.replace(phased, schedule=dataclasses.replace(phased.schedule, periods=tuple(periods)))
    assert any(f"{periods[-1].label}: serves" in p for p in check_phases(starved, problem))


def test_the_checker_catches_a_miscounted_cost_and_servers_not_yet_bought(phased_result):
    phased, problem = phased_result.phases, phased_result.problem
    periods = list(phased.schedule.periods)
    periods[1] = dataclasses.replace(periods[1], discounted_rmb=periods[1].discounted_rmb - 10_000)
    cheap = dataclasses.replace(phased, schedule=dataclasses.replace(phased.schedule, periods=tuple(periods)))
    assert any("discounted cost adds up" in p for p in check_phases(cheap, problem))
    periods = list(phased.schedule.periods)
    periods[0] = dataclasses.replace(periods[0], in_service=periods[-1].in_service, groups=periods[-1].groups)
    early = dataclasses.replace(phased, schedule=dataclasses.replace(phased.schedule, periods=tuple(periods)))
    assert any("the purchases give" in p for p in check_phases(early, problem))
    once = list(phased.all_at_once.periods)
    once[1] = dataclasses.replace(once[1], bought={"h200-8x": 1})
    split = dataclasses.replace(phased, all_at_once=dataclasses.replace(phased.all_at_once, periods=tuple(once)))
    assert any(p.startswith("all at once: buys in") for p in check_phases(split, problem))


def test_under_tco_a_server_carries_its_lifetime_energy_from_its_purchase_by_hand():
    """One 4-card server (RMB 1.0M, energy over the TCO years RMB 0.5M) serves 10 users; loads 10 then
    20, discount 10 % a period. Phased: one server in p0 and one in p1, RMB 1.5M + 1.5M / 1.1 =
    RMB 2,863,636 discounted, RMB 2.0M paid; all at once: 2 x 1.5M = RMB 3.0M. The energy is in the
    discounted cost, not in the spend (the price paid)."""
    terms = {"offer-0": dataclasses.replace(terms_of("offer-0", cards_per_server=4, price_rmb=10 * RMB_100K, available=2),
                                            energy_rmb_per_server=5 * RMB_100K)}
    scenario = _phased(plan_scenario(terms, 10), periods=["p0", "p1"], load=[10, 20], discount_rate_pct=10)
    found = solve_phases(scenario, [stand_in_design("offer-0", 4, 10)], terms)
    assert found.schedule is not None and found.all_at_once is not None
    assert [p.bought for p in found.schedule.periods] == [{"offer-0": 1}, {"offer-0": 1}]
    assert found.schedule.discounted_rmb == 15 * RMB_100K + round(15 * RMB_100K / 1.1) == 2_863_636
    assert found.schedule.spend_rmb == 20 * RMB_100K
    assert found.all_at_once.discounted_rmb == 30 * RMB_100K and found.saving_rmb == 136_364
