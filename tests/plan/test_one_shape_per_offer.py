"""constraints.one_shape_per_offer: CP-SAT against brute force over one design per offer, and the
independent checker catching a plan that runs two designs on one offer."""

from __future__ import annotations

import itertools
import random

import pytest
from plan_factories import RMB_100K, best_units_by_servers, plan_scenario, stand_in_design, terms_of

from optimizer.check import check_one_shape
from optimizer.plan.model import load_demand
from optimizer.plan.optimize import solve_min_cost


def _instance(seed: int):  # type: ignore[no-untyped-def]
    rng = random.Random(7000 + seed)
    terms, designs = {}, []
    for k in range(rng.choice([1, 2])):
        oid = f"offer-{k}"
        terms[oid] = terms_of(oid, vendor=f"vendor-{k}", cards_per_server=4, price_rmb=rng.randint(1, 20) * RMB_100K,
                              available=rng.randint(1, 3))
        for i, cards in enumerate(sorted(rng.sample([1, 2, 4, 8], rng.randint(1, 3)))):
            designs.append(stand_in_design(oid, cards, rng.randint(1, 4 * cards), batch=i + 1))
    scenario = plan_scenario(terms, rng.randint(1, 40))
    one = scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"one_shape_per_offer": True})})
    return one, designs, terms


def _brute_force_one_shape(scenario, designs, terms) -> int | None:  # type: ignore[no-untyped-def]
    """Cheapest purchase where each offer runs replicas of at most one of its designs."""
    demand = load_demand(scenario)
    ids = list(terms)
    choices = {oid: [None, *[d for d in designs if d.offer_id == oid]] for oid in ids}
    best = None
    for picked in itertools.product(*(choices[oid] for oid in ids)):
        units_by = {oid: (best_units_by_servers([d], terms[oid]) if d is not None else [0] + [None] * terms[oid].available_servers)
                    for oid, d in zip(ids, picked)}
        for counts in itertools.product(*(range(terms[oid].available_servers + 1) for oid in ids)):
            units = [units_by[oid][n] for oid, n in zip(ids, counts)]
            if any(u is None for u in units) or sum(units) < demand:  # type: ignore[arg-type]
                continue
            cost = sum(terms[oid].cost_rmb_per_server * n for oid, n in zip(ids, counts))
            best = cost if best is None else min(best, cost)
    return best


def test_the_rule_binds_on_some_instances():
    """The instances are not all ones where the rule changes nothing: on some, one shape costs more."""
    dearer = 0
    for seed in range(40):
        scenario, designs, terms = _instance(seed)
        free = scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"one_shape_per_offer": False})})
        one, mixed = solve_min_cost(scenario, designs, terms)[1], solve_min_cost(free, designs, terms)[1]
        dearer += (one is not None and mixed is not None and one.cost_rmb > mixed.cost_rmb) or (one is None and mixed is not None)
    assert dearer > 0


@pytest.mark.parametrize("seed", range(40))
def test_cp_sat_matches_brute_force_with_one_shape_per_offer(seed):
    scenario, designs, terms = _instance(seed)
    status, plan, _, _ = solve_min_cost(scenario, designs, terms)
    expected = _brute_force_one_shape(scenario, designs, terms)
    assert (plan.cost_rmb if plan else None) == expected, status
    if plan is not None:
        assert check_one_shape(plan, scenario) == []


def test_checker_flags_two_designs_on_one_offer():
    """Among the random instances, one whose cheapest plan without the rule mixes two designs on one
    offer: the checker reports it under the rule and accepts it without."""
    for seed in range(200):
        scenario, designs, terms = _instance(seed)
        free = scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"one_shape_per_offer": False})})
        _, plan, _, _ = solve_min_cost(free, designs, terms)
        if plan is not None and len({g.design.key for g in plan.groups if g.count and g.design.offer_id == "offer-0"}) > 1:
            assert check_one_shape(plan, scenario) and check_one_shape(plan, free) == []
            return
    pytest.fail("no seed gave a plan mixing two designs on one offer")

