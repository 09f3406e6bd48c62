"""Among plans of equal cost, the tie-break: most load, then replicas that cross no server boundary,
then the fewest replicas (plan.model.prefer_most_load)."""

from __future__ import annotations

from plan_factories import RMB_100K, plan_scenario, stand_in_design, terms_of

from optimizer.plan.optimize import solve_min_cost


def test_equal_cost_and_load_prefers_replicas_inside_one_server():
    """40 users on 8-card servers: one 32-card replica (4 servers, TP8 x PP4 stand-in) serving 40, or
    four 8-card replicas serving 10 each, both on 4 servers for the same price and load. The
    tie-break takes the replicas that cross no server boundary (it used to take the fewest replicas)."""
    terms = {"offer-0": terms_of("offer-0", cards_per_server=8, price_rmb=10 * RMB_100K, available=4)}
    wide, narrow = stand_in_design("offer-0", 32, 40, batch=1), stand_in_design("offer-0", 8, 10, batch=2)
    scenario = plan_scenario(terms, 40)
    _, plan, _, _ = solve_min_cost(scenario, [wide, narrow], terms)
    assert plan is not None and plan.cost_rmb == 40 * RMB_100K
    assert [(g.design.cards, g.count) for g in plan.groups if g.count] == [(8, 4)]
