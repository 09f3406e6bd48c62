"""Several services on one purchase (plan/fleet.py): CP-SAT against brute force on small
instances, sharing never dearer than separate fleets (when the stock allows buying those
together: each separate fleet may use a bid's whole stock), more demand never cheaper."""

from __future__ import annotations

import dataclasses
import itertools
import random

import pytest
from plan_factories import RMB_100K, plan_scenario, stand_in_design, terms_of

from optimizer.plan.fleet import ServiceDesigns, recommend_fleet, solve_fleet_designs
from optimizer.plan.model import capacity_units, load_demand
from optimizer.plan.optimize import solve_min_cost


def _instance(seed: int):  # type: ignore[no-untyped-def]
    """1-2 offers of 4-card servers; 2 services, each with 1-2 designs per offer (1, 2 or 4 cards)."""
    rng = random.Random(5300 + seed)
    terms = {}
    for k in range(rng.choice([1, 2])):
        oid = f"offer-{k}"
        terms[oid] = terms_of(oid, vendor=f"vendor-{k}", cards_per_server=4, price_rmb=rng.randint(1, 20) * RMB_100K,
                              available=rng.randint(1, 3))
    services = []
    for s in range(2):
        designs = []
        for oid in terms:
            for b, cards in enumerate(sorted(rng.sample([1, 2, 4], rng.randint(1, 2)))):
                designs.append(stand_in_design(oid, cards, rng.randint(1, 3 * cards), batch=10 * s + b + 1))
        services.append(ServiceDesigns(f"svc-{s}", plan_scenario(terms, rng.randint(1, 12)), tuple(designs)))
    return services, terms


def _brute_force(services: list[ServiceDesigns], terms) -> int | None:  # type: ignore[no-untyped-def]
    """Cheapest servers-per-offer with some replica counts that fit them (no idle server) and cover
    every service's load: every count of every design is tried."""
    designs = [(k, d) for k, svc in enumerate(services) for d in svc.designs]
    cps = {oid: t.cards_per_server for oid, t in terms.items()}
    bounds = [range(terms[d.offer_id].available_servers * cps[d.offer_id] // d.cards + 1) for _, d in designs]
    best = None
    for counts in itertools.product(*bounds):
        used = {oid: 0 for oid in terms}
        served = [0] * len(services)
        for n, (k, d) in zip(counts, designs):
            used[d.offer_id] += n * d.cards
            served[k] += n * capacity_units(d)
        if any(served[k] < load_demand(svc.scenario) for k, svc in enumerate(services)):
            continue
        servers = {oid: -(-used[oid] // cps[oid]) for oid in terms}  # the one count with no idle server
        if any(servers[oid] > terms[oid].available_servers for oid in terms):
            continue
        cost = sum(terms[oid].cost_rmb_per_server * n for oid, n in servers.items())
        best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(30))
def test_cp_sat_equals_brute_force_and_sharing_never_costs_more(seed: int):
    services, terms = _instance(seed)
    _, plan, _, _ = solve_fleet_designs(services, terms)
    assert (plan.cost_rmb if plan else None) == _brute_force(services, terms)
    alone = [solve_min_cost(s.scenario, list(s.designs), terms)[1] for s in services]
    if all(alone) and _within_stock(alone, terms):   # the separate fleets together are a fleet the stock allows
        assert plan is not None and plan.cost_rmb <= sum(p.cost_rmb for p in alone)  # type: ignore[union-attr]


def _within_stock(plans, terms) -> bool:  # type: ignore[no-untyped-def]
    """Separate fleets bought together stay within every bid's stock (each alone may use all of it)."""
    return all(sum(p.servers.get(oid, 0) for p in plans) <= t.available_servers for oid, t in terms.items())


def test_sharing_saves_on_some_instances():
    saved = 0
    for seed in range(40):
        services, terms = _instance(seed)
        plan = solve_fleet_designs(services, terms)[1]
        alone = [solve_min_cost(s.scenario, list(s.designs), terms)[1] for s in services]
        saved += plan is not None and all(alone) and plan.cost_rmb < sum(p.cost_rmb for p in alone)  # type: ignore[union-attr]
    assert saved > 0


@pytest.mark.parametrize("seed", range(20))
def test_more_demand_never_costs_less(seed: int):
    services, terms = _instance(seed)
    before = solve_fleet_designs(services, terms)[1]
    grown = [dataclasses.replace(services[0], scenario=plan_scenario(terms, services[0].scenario.workload.load.concurrent_users + 3)),
             *services[1:]]
    after = solve_fleet_designs(grown, terms)[1]
    if after is not None:
        assert before is not None and before.cost_rmb <= after.cost_rmb


def test_two_half_server_services_share_one_server_by_hand():
    """Each service needs one 2-card replica (10 users each, one replica serves 10) on a 4-card server
    at RMB 1.0M: alone, each buys a server (RMB 2.0M together); shared, both fit one (RMB 1.0M)."""
    terms = {"offer-0": terms_of("offer-0", cards_per_server=4, price_rmb=10 * RMB_100K, available=2)}
    services = [ServiceDesigns(f"svc-{k}", plan_scenario(terms, 10), (stand_in_design("offer-0", 2, 10, batch=k + 1),)) for k in range(2)]
    _, plan, _, _ = solve_fleet_designs(services, terms)
    assert plan is not None and plan.servers == {"offer-0": 1} and plan.cost_rmb == 10 * RMB_100K
    assert [s.cards_on("offer-0") for s in plan.services] == [2, 2]
    assert plan.attributed_rmb("svc-0", terms) == pytest.approx(5 * RMB_100K)   # half the cards, half the cost


def test_among_equal_fleets_replicas_stay_inside_a_server():
    """Two 4-card servers must be bought (one service needs 20 users; an 8-card replica over both
    serves 20, a 4-card replica serves 10): both fleets cost the same, the tie-break takes two
    replicas inside a server each (no boundary crossed) over one replica across the two."""
    terms = {"offer-0": terms_of("offer-0", cards_per_server=4, price_rmb=10 * RMB_100K, available=2)}
    designs = (stand_in_design("offer-0", 8, 20, batch=1), stand_in_design("offer-0", 4, 10, batch=2))
    _, plan, _, _ = solve_fleet_designs([ServiceDesigns("svc", plan_scenario(terms, 20), designs)], terms)
    assert plan is not None and plan.cost_rmb == 20 * RMB_100K
    assert [(g.design.cards, g.count) for g in plan.services[0].groups] == [(4, 2)]


def _mixed_pair(pct: float) -> tuple[list[ServiceDesigns], dict]:  # type: ignore[type-arg]
    """Two services of 10 users; a 4-card replica serves 10 on either bid. Vendor A sells one 4-card
    server at RMB 0.97M, vendor B two at RMB 1.0M: the cheapest fleet mixes them (RMB 1.97M), the best
    one-vendor fleet is 2 x B (RMB 2.0M): the mix saves 0.03 / 2.0 = 1.5 %."""
    terms = {"offer-a": terms_of("offer-a", vendor="vendor-a", cards_per_server=4, price_rmb=97 * RMB_100K // 10, available=1),
             "offer-b": terms_of("offer-b", vendor="vendor-b", cards_per_server=4, price_rmb=10 * RMB_100K, available=2)}
    services = []
    for k in range(2):
        scenario = plan_scenario(terms, 10)
        scenario = scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"mix_min_saving_pct": pct})})
        services.append(ServiceDesigns(f"svc-{k}", scenario, tuple(stand_in_design(o, 4, 10, batch=k + 1) for o in terms)))
    return services, terms


def test_a_fleet_mixing_vendors_must_earn_its_second_contract():
    """The solve's vendor rule on a fleet (plan.fleet.recommend_fleet): at the default 5 % the 1.5 %
    saving does not pay for a second vendor, so 2 x B is bought; at 1 % the mix is kept."""
    services, terms = _mixed_pair(5.0)
    _, plan, _, _, rule = recommend_fleet(services, terms)
    assert plan is not None and plan.servers == {"offer-b": 2} and plan.cost_rmb == 20 * RMB_100K
    assert rule is not None and not rule.mix_kept and rule.mix_rmb == 197 * RMB_100K // 10 and rule.single_rmb == 20 * RMB_100K
    assert rule.saving_pct == pytest.approx(1.5)
    services, terms = _mixed_pair(1.0)
    _, plan, _, _, rule = recommend_fleet(services, terms)
    assert plan is not None and plan.servers == {"offer-a": 1, "offer-b": 1} and rule is not None and rule.mix_kept


def test_a_phased_fleet_mixing_vendors_must_earn_its_second_contract():
    """The same pair over two periods at flat prices and loads: the schedule follows the same rule."""
    from optimizer.plan.fleet_phases import solve_fleet_phases
    from optimizer.scenario_phases import Phases

    for pct, expected, kept in ((5.0, {"offer-b": 2}, False), (1.0, {"offer-a": 1, "offer-b": 1}, True)):
        services, terms = _mixed_pair(pct)
        flat = Phases.model_validate({"periods": ["p0", "p1"], "growth_pct": 0})
        services = [dataclasses.replace(s, scenario=s.scenario.model_copy(update={"phases": flat})) for s in services]
        found = solve_fleet_phases(services, terms)
        assert found.schedule is not None and {o: n for o, n in found.schedule.servers.items() if n} == expected, pct
        assert found.vendor_rule is not None and found.vendor_rule.mix_kept is kept
        assert found.all_at_once is not None and {o: n for o, n in found.all_at_once.servers.items() if n} == expected


def test_a_bid_bought_only_for_a_supply_case_is_attributed_like_the_rest():
    """Two 8-card servers of offer a (RMB 100k each): service s runs 12 cards on them, t runs 4, so
    a splits 150k / 50k; one server of b (RMB 300k) carries no replica (bought only so that a supply
    case holds) and is split as a is, 225k / 75k: s carries 375k, t 125k, together the fleet's 500k."""
    from optimizer.plan.fleet_result import FleetPlan, ServicePlan
    from optimizer.plan.result import ReplicaGroup

    terms = {"a": terms_of("a", price_rmb=100_000), "b": terms_of("b", vendor="v-b", price_rmb=300_000)}
    s = ServicePlan("s", (ReplicaGroup(stand_in_design("a", 4, 1.0), 3),), 3.0)
    t = ServicePlan("t", (ReplicaGroup(stand_in_design("a", 4, 1.0), 1),), 1.0)
    plan = FleetPlan(500_000, 500_000, {"a": 2, "b": 1}, (s, t))
    assert plan.attributed_rmb("s", terms) == pytest.approx(375_000)
    assert plan.attributed_rmb("t", terms) == pytest.approx(125_000)
