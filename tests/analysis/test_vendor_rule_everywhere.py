"""One vendor rule everywhere: a sweep point and the central estimate recommend a mix of vendors
only when it saves more than constraints.mix_min_saving_pct, as solve does."""

from __future__ import annotations

from plan_factories import RMB_100K, plan_scenario, stand_in_design, terms_of

from optimizer.analysis.sweeps import _cost_point
from optimizer.plan.solve import _cheapest


def _two_vendors(min_saving_pct: float):  # type: ignore[no-untyped-def]
    """20 users; each 4-card server serves 10. Vendor 0 sells one server at RMB 1.0M, vendor 1 three at
    RMB 1.05M: the cheapest fleet mixes them (1.0 + 1.05 = RMB 2.05M) and saves 0.05 / 2.10 = 2.4 %
    against vendor 1 alone (2 x 1.05 = RMB 2.10M)."""
    terms = {
        "offer-0": terms_of("offer-0", vendor="vendor-0", cards_per_server=4, price_rmb=10 * RMB_100K, available=1),
        "offer-1": terms_of("offer-1", vendor="vendor-1", cards_per_server=4, price_rmb=int(10.5 * RMB_100K), available=3),
    }
    designs = [stand_in_design("offer-0", 4, 10), stand_in_design("offer-1", 4, 10)]
    scenario = plan_scenario(terms, 20)
    scenario = scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"mix_min_saving_pct": min_saving_pct})})
    return scenario, designs, terms


def test_a_sweep_point_applies_the_mix_rule():
    scenario, designs, terms = _two_vendors(5.0)
    point = _cost_point(scenario, 1.0, designs, terms)
    assert point.winner == "offer-1" and point.cost_rmb == 21 * RMB_100K   # 2.4 % does not earn a second contract
    scenario, designs, terms = _two_vendors(0.0)
    point = _cost_point(scenario, 1.0, designs, terms)
    assert point.winner == "offer-1 + offer-0" and point.cost_rmb == int(20.5 * RMB_100K)


def test_the_central_estimate_follows_the_same_rule():
    scenario, designs, terms = _two_vendors(5.0)
    central = _cheapest(scenario, designs, terms)
    assert central is not None and {o: n for o, n in central.servers.items() if n} == {"offer-1": 2}
    scenario, designs, terms = _two_vendors(0.0)
    central = _cheapest(scenario, designs, terms)
    assert central is not None and central.servers.get("offer-0") == 1 and central.servers.get("offer-1") == 1
