"""What-if on the new axes (analysis.sweeps_fleet): growth, price decline and discount rate of buying
in phases, and the delivered share of a supply case.

What must hold along each axis (the module doc gives the reasons), checked on random instances:
- more growth never lowers the phased total, nor buying all at once, nor any vendor's own schedule;
- a steeper price decline never raises the phased total nor any vendor's own, budget or not (the
  feasible schedules do not depend on prices, but for the budget on the money paid, which only
  loosens), and leaves buying all at once where it is (it pays first-period prices);
- a higher discount rate never raises the phased total, and leaves buying all at once where it is;
- a lower delivered share never lowers the least cost (any mix) nor any vendor's own. Under the
  vendor rule the recommendation's cost can fall as the share falls: a constructed case shows it.
One point of each worked by hand, and the rule solve applies (mix_min_saving_pct) at a point.
"""

from __future__ import annotations

import itertools
import random

import pytest
from plan_factories import RMB_100K, plan_scenario, stand_in_design, terms_of

from optimizer.analysis.sweeps import _cost_point
from optimizer.analysis.sweeps_fleet import (
    PhasePoint,
    phase_point,
    phases_of,
    scenario_share,
    supply_subject,
    with_delivered_share,
    with_phase_value,
)
from optimizer.errors import InputError
from optimizer.plan.result import Design
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario
from optimizer.scenario_phases import Phases

INF = float("inf")


def _with_phases(scenario: Scenario, **phases: object) -> Scenario:
    return scenario.model_copy(update={"phases": Phases.model_validate(phases)})


def _one_offer(**phases: object) -> tuple[Scenario, list[Design], dict[str, OfferTerms]]:
    """10 users in the first period; one offer, whose 4-card server runs one replica serving 10
    users, at RMB 1.0M, up to 10 servers; three periods."""
    terms = {"offer-0": terms_of("offer-0", vendor="vendor-0", cards_per_server=4, price_rmb=10 * RMB_100K, available=10)}
    designs = [stand_in_design("offer-0", 4, 10)]
    return _with_phases(plan_scenario(terms, 10), periods=["q1", "q2", "q3"], **phases), designs, terms


def _point(kind: str, value: float, **phases: object) -> PhasePoint:
    scenario, designs, terms = _one_offer(**phases)
    point, _ = phase_point(with_phase_value(scenario, kind, value), value, designs, terms)
    return point


# --------------------------------------------------------------------------------------------
# One point of each phases axis, by hand


def test_growth_point_by_hand():
    """Growth 50 %: loads 10, 15, 22.5 users need 1, 2, 3 servers in service, so one is bought in
    each period. Discounted at 10 % a period: 1,000,000 + 1,000,000 / 1.1 + 1,000,000 / 1.21
    = 1,000,000 + 909,091 + 826,446 = RMB 2,735,537 (paid: 3,000,000). All three servers bought in
    q1 cost RMB 3,000,000: phasing saves 264,463."""
    p = _point("growth", 50, growth_pct=0, discount_rate_pct=10)
    assert p.value == 50 and p.last_load == pytest.approx(22.5)
    assert p.cost_rmb == 2_735_537 and p.paid_rmb == 3_000_000 and p.bought == {"offer-0": 3}
    assert p.all_at_once_rmb == 3_000_000 and p.all_at_once_bought == {"offer-0": 3} and p.saving_rmb == 264_463
    assert p.status == "optimal" and p.winner == "offer-0" and p.per_vendor == {"vendor-0": 2_735_537.0}
    assert p.served == pytest.approx(30.0)  # the last period's capacity: 3 replicas of 10


def test_price_decline_point_by_hand():
    """Growth 100 %: 10, 20, 40 users need 1, 2, 4 servers: bought 1, 1, 2. Prices fall 10 % a
    period: 1,000,000, 900,000, 810,000; no discounting: 1,000,000 + 900,000 + 2 x 810,000
    = RMB 3,520,000. All four in q1: RMB 4,000,000."""
    p = _point("decline", 10, growth_pct=100)
    assert p.cost_rmb == 3_520_000 and p.paid_rmb == 3_520_000 and p.all_at_once_rmb == 4_000_000 and p.saving_rmb == 480_000


def test_discount_point_by_hand():
    """Growth 100 %, flat prices, 25 % a period: weights 1, 1 / 1.25 = 0.8, 1 / 1.5625 = 0.64:
    1,000,000 + 800,000 + 2 x 640,000 = RMB 3,080,000 (paid 4,000,000); all at once RMB 4,000,000."""
    p = _point("discount", 25, growth_pct=100)
    assert p.cost_rmb == 3_080_000 and p.paid_rmb == 4_000_000 and p.all_at_once_rmb == 4_000_000


def test_a_growth_rate_replaces_the_listed_loads():
    scenario, _, _ = _one_offer(load=[10, 11, 12])
    moved = with_phase_value(scenario, "growth", 20)
    assert moved.phases is not None and moved.phases.load is None and moved.phases.growth_pct == 20
    assert moved.phases.loads(10) == pytest.approx([10, 12, 14.4])


def test_a_phases_sweep_needs_phases():
    scenario, _, _ = _one_offer(growth_pct=0)
    with pytest.raises(InputError) as err:
        phases_of(scenario.model_copy(update={"phases": None}), "discount")
    assert err.value.where == "--discount" and "phases:" in err.value.fix


# --------------------------------------------------------------------------------------------
# Monotone along each phases axis, on random instances


def _instance(seed: int) -> tuple[Scenario, list[Design], dict[str, OfferTerms]]:
    """Two vendors, one or two designs each, 2 or 3 periods, sometimes a budget or per-period caps."""
    rng = random.Random(9100 + seed)
    terms, designs = {}, []
    for k in range(2):
        oid = f"offer-{k}"
        terms[oid] = terms_of(oid, vendor=f"vendor-{k}", cards_per_server=4, price_rmb=rng.randint(2, 20) * RMB_100K,
                              available=rng.randint(2, 5))
        for i, cards in enumerate(sorted(rng.sample([1, 2, 4], rng.randint(1, 2)))):
            designs.append(stand_in_design(oid, cards, rng.randint(1, 4 * cards), batch=i + 1))
    n = rng.choice([2, 3])
    phases: dict[str, object] = {"periods": [f"p{i}" for i in range(n)], "growth_pct": rng.choice([0, 30, 60]),
                                 "price_decline_pct": rng.choice([0, 10]), "discount_rate_pct": rng.choice([0, 5])}
    if rng.random() < 0.3:
        phases["available"] = {"offer-0": [rng.randint(0, 3) for _ in range(n)]}
    budget = rng.choice([None, 40 * RMB_100K])
    scenario = plan_scenario(terms, rng.randint(2, 10), budget_rmb=budget)
    # the properties are the least spend's: with the vendor rule on, a mix may only win once a lone vendor is dear
    scenario = scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"mix_min_saving_pct": 0})})
    return _with_phases(scenario, **phases), designs, terms


def _sweep(kind: str, values: list[float], seed: int) -> list[PhasePoint]:
    scenario, designs, terms = _instance(seed)
    return [phase_point(with_phase_value(scenario, kind, v), v, designs, terms)[0] for v in values]


def _costs(points: list[PhasePoint], what: str) -> list[float]:
    out = []
    for p in points:
        x = p.cost_rmb if what == "phased" else p.all_at_once_rmb if what == "once" else p.per_vendor[what]
        out.append(INF if x is None else float(x))  # no schedule: dearer than any
    return out


def _non_decreasing(xs: list[float]) -> bool:
    return all(a <= b for a, b in itertools.pairwise(xs))


SEEDS = range(8)


@pytest.mark.parametrize("seed", SEEDS)
def test_more_growth_never_lowers_a_total(seed: int):
    points = _sweep("growth", [-20, 0, 25, 50, 100], seed)
    for what in ("phased", "once", "vendor-0", "vendor-1"):
        assert _non_decreasing(_costs(points, what)), (what, _costs(points, what))
    assert any(p.cost_rmb is not None for p in points)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_steeper_price_decline_never_raises_the_phased_total_and_leaves_all_at_once_alone(seed: int):
    points = _sweep("decline", [-10, 0, 10, 25, 50], seed)
    for what in ("phased", "vendor-0", "vendor-1"):
        assert _non_decreasing(_costs(points, what)[::-1]), (what, _costs(points, what))
    assert len(set(_costs(points, "once"))) == 1, _costs(points, "once")


@pytest.mark.parametrize("seed", SEEDS)
def test_a_higher_discount_rate_never_raises_the_phased_total_and_leaves_all_at_once_alone(seed: int):
    points = _sweep("discount", [0, 2, 10, 30, 100], seed)
    for what in ("phased", "vendor-0", "vendor-1"):
        assert _non_decreasing(_costs(points, what)[::-1]), (what, _costs(points, what))
    assert len(set(_costs(points, "once"))) == 1, _costs(points, "once")


def test_the_detector_sees_a_total_that_falls():
    assert not _non_decreasing([1.0, 3.0, 2.0]) and _non_decreasing([1.0, 1.0, INF])


# --------------------------------------------------------------------------------------------
# Delivered share


def _two_bids(min_saving_pct: float = 0.0) -> tuple[Scenario, list[Design], dict[str, OfferTerms]]:
    """20 users. offer-a (vendor A): a 4-card server serving 10 users at RMB 1.0M; offer-b (vendor B):
    the same at RMB 1.6M; up to 10 servers each."""
    terms = {
        "offer-a": terms_of("offer-a", vendor="A", cards_per_server=4, price_rmb=10 * RMB_100K, available=10),
        "offer-b": terms_of("offer-b", vendor="B", cards_per_server=4, price_rmb=16 * RMB_100K, available=10),
    }
    designs = [stand_in_design("offer-a", 4, 10), stand_in_design("offer-b", 4, 10)]
    scenario = plan_scenario(terms, 20)
    rule = scenario.constraints.model_copy(update={"mix_min_saving_pct": min_saving_pct})
    return scenario.model_copy(update={"constraints": rule}), designs, terms


def test_delivered_share_points_by_hand():
    """Of n servers of offer-a bought, floor(s x n) arrive and must still serve all 20 users.
    - s = 1: every server arrives: 2 x offer-a, RMB 2.0M.
    - s = 0.75: 3 x offer-a (floor 2.25 = 2 arrive), RMB 3.0M; a mix needs 2 a + 1 b (3.6M).
    - s = 0.5: offer-a alone needs 4 (4.0M), 2 a + 1 b cost 3.6M, 2 x offer-b RMB 3.2M: offer-b.
    - s = 0: nothing of offer-a arrives: 2 x offer-b, RMB 3.2M; vendor A alone has no plan."""
    scenario, designs, terms = _two_bids()
    points = {s: _cost_point(with_delivered_share(scenario, "offer-a", s), s, designs, terms) for s in (0, 0.5, 0.75, 1)}
    assert {s: (p.cost_rmb, p.winner) for s, p in points.items()} == {
        0: (3_200_000, "offer-b"), 0.5: (3_200_000, "offer-b"), 0.75: (3_000_000, "offer-a"), 1: (2_000_000, "offer-a")}
    assert [points[s].per_vendor["A"] for s in (0, 0.5, 0.75, 1)] == [None, 4e6, 3e6, 2e6]
    assert {points[s].per_vendor["B"] for s in points} == {3.2e6}
    assert "A" in points[0].why_not and not points[1].why_not


def test_a_case_is_added_moved_or_dropped():
    scenario, _, _ = _two_bids()
    added = with_delivered_share(scenario, "A", 0.33333333)
    (case,) = added.constraints.robust_to
    assert case.vendor == "A" and case.offer is None and case.delivered_share == 0.3333 and case.load_share == 1
    own = added.model_copy(update={"constraints": added.constraints.model_copy(
        update={"robust_to": [case.model_copy(update={"load_share": 0.5})]})})
    (moved,) = with_delivered_share(own, "A", 0.5).constraints.robust_to
    assert moved.delivered_share == 0.5 and moved.load_share == 0.5  # the scenario's case, its load share kept
    assert scenario_share(own, "A") == 0.3333 and scenario_share(own, "offer-a") == 1.0
    assert with_delivered_share(own, "A", 1.0).constraints.robust_to == []


def test_an_unknown_name_is_bad_input_naming_the_choices():
    scenario, _, _ = _two_bids()
    assert supply_subject(scenario, "offer-a") == "offer" and supply_subject(scenario, "B") == "vendor"
    with pytest.raises(InputError) as err:
        supply_subject(scenario, "offer-c")
    assert err.value.where == "--delivered-share" and "offer-a" in err.value.fix and "B" in err.value.fix


def _random_bids(seed: int) -> tuple[Scenario, list[Design], dict[str, OfferTerms]]:
    rng = random.Random(4400 + seed)
    terms, designs = {}, []
    for k in range(2):
        oid = f"offer-{k}"
        terms[oid] = terms_of(oid, vendor=f"vendor-{k}", cards_per_server=4, price_rmb=rng.randint(2, 20) * RMB_100K,
                              available=rng.randint(2, 8))
        for i, cards in enumerate(sorted(rng.sample([1, 2, 4], rng.randint(1, 2)))):
            designs.append(stand_in_design(oid, cards, rng.randint(1, 4 * cards), batch=i + 1))
    scenario = plan_scenario(terms, rng.randint(2, 20))
    rule = scenario.constraints.model_copy(update={"mix_min_saving_pct": 0.0})
    return scenario.model_copy(update={"constraints": rule}), designs, terms


@pytest.mark.parametrize("seed", range(10))
def test_a_lower_delivered_share_never_lowers_the_least_cost_nor_a_vendors_own(seed: int):
    """With mix_min_saving_pct 0 the point's cost is the least cost over every mix."""
    scenario, designs, terms = _random_bids(seed)
    who = random.Random(seed).choice(["offer-0", "vendor-1"])
    points = [_cost_point(with_delivered_share(scenario, who, s), s, designs, terms) for s in (0, 0.25, 0.5, 0.8, 1)]
    for what in ("best", "vendor-0", "vendor-1"):
        costs = [INF if x is None else float(x) for x in
                 (p.cost_rmb if what == "best" else p.per_vendor[what] for p in points)]
        assert _non_decreasing(costs[::-1]), (what, costs)


def _three_bids() -> tuple[Scenario, list[Design], dict[str, OfferTerms]]:
    """20 users, mix_min_saving_pct 5. offer-a (vendor A): one 4-card server serves all 20, RMB 2.0M;
    offer-b (B) and offer-c (C): one server each (10 users) at RMB 0.97M and 1.0M."""
    terms = {
        "offer-a": terms_of("offer-a", vendor="A", cards_per_server=4, price_rmb=20 * RMB_100K, available=4),
        "offer-b": terms_of("offer-b", vendor="B", cards_per_server=4, price_rmb=970_000, available=1),
        "offer-c": terms_of("offer-c", vendor="C", cards_per_server=4, price_rmb=10 * RMB_100K, available=1),
    }
    designs = [stand_in_design("offer-a", 4, 20), stand_in_design("offer-b", 4, 10), stand_in_design("offer-c", 4, 10)]
    scenario = plan_scenario(terms, 20)
    rule = scenario.constraints.model_copy(update={"mix_min_saving_pct": 5.0})
    return scenario.model_copy(update={"constraints": rule}), designs, terms


def test_the_vendor_rule_applies_at_each_point_and_can_make_a_lower_share_cheaper():
    """Share 1 of offer-a: offer-a alone costs RMB 2.0M; b + c cost 1.97M, saving 1.5 % <= 5 %: the
    rule keeps one vendor, RMB 2.0M. Share 0.5: offer-a alone needs 2 servers (floor(0.5 x 2) = 1
    serves 20), RMB 4.0M; b + c, untouched by the case, save 50.75 %: the mix, RMB 1.97M. The least
    cost is 1.97M at both shares."""
    scenario, designs, terms = _three_bids()
    full = _cost_point(with_delivered_share(scenario, "offer-a", 1.0), 1.0, designs, terms)
    half = _cost_point(with_delivered_share(scenario, "offer-a", 0.5), 0.5, designs, terms)
    assert (full.cost_rmb, full.winner) == (2_000_000, "offer-a")
    assert (half.cost_rmb, half.winner) == (1_970_000, "offer-c + offer-b")
    assert half.per_vendor == {"A": 4e6, "B": None, "C": None} and full.per_vendor["A"] == 2e6
    no_rule = scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"mix_min_saving_pct": 0.0})})
    assert _cost_point(with_delivered_share(no_rule, "offer-a", 1.0), 1.0, designs, terms).cost_rmb == 1_970_000
