"""Supply cases (constraints.robust_to) for a fleet (plan/fleet.py add_fleet_robust): CP-SAT against
brute force on tiny instances (2 services, 1-2 offers), a case never lowering the cost, a witness
deployment per case and service, and a case bought by hand."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from fractions import Fraction

import pytest
from plan_factories import RMB_100K, plan_scenario, stand_in_design, terms_of

from optimizer.plan.fleet import ServiceDesigns, solve_fleet_designs
from optimizer.plan.model import capacity_units, load_demand
from optimizer.scenario import Scenario, SupplyCase


def _with_cases(scenario: Scenario, cases: list[dict]) -> Scenario:  # type: ignore[type-arg]
    robust = [SupplyCase.model_validate(c) for c in cases]
    return scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"robust_to": robust})})


def _instance(seed: int):  # type: ignore[no-untyped-def]
    """1-2 offers of 4-card servers (1-3 available); 2 services, one design per offer each (1, 2 or 4
    cards); one case on offer-0 (a share no small fraction equals among them) and maybe vendor-1 lost."""
    rng = random.Random(7700 + seed)
    terms = {}
    for k in range(rng.choice([1, 2, 2])):
        oid = f"offer-{k}"
        terms[oid] = terms_of(oid, vendor=f"vendor-{k}", cards_per_server=4, price_rmb=rng.randint(1, 20) * RMB_100K,
                              available=rng.randint(1, 3))
    cases = [{"offer": "offer-0", "delivered_share": rng.choice([0.0, 0.25, 0.3333, 0.5, 0.75]), "load_share": rng.choice([0.5, 1.0])}]
    if len(terms) > 1 and rng.random() < 0.5:
        cases.append({"vendor": "vendor-1", "delivered_share": 0.0, "load_share": rng.choice([0.5, 1.0])})
    services = []
    for s in range(2):
        designs = tuple(stand_in_design(oid, cards, rng.randint(1, 3 * cards), batch=10 * s + 1)
                        for oid in terms for cards in [rng.choice([1, 2, 4])])
        services.append(ServiceDesigns(f"svc-{s}", _with_cases(plan_scenario(terms, rng.randint(1, 10)), cases), designs))
    return services, terms


def _brute_force(services: list[ServiceDesigns], terms) -> int | None:  # type: ignore[no-untyped-def]
    """Every replica count of every design is tried once; a mix needs ceil(cards / cards_per_server)
    servers of each offer. A purchase is any within the stock that holds some mix covering every load
    (with supply cases a fleet may buy servers no replica uses while every bid delivers); it survives a
    case when some mix covering load_share of every load needs at most what arrives of it
    (floor(share x bought) of each offer the case cuts, the share as an exact decimal)."""
    ids = list(terms)
    cps = {oid: t.cards_per_server for oid, t in terms.items()}
    designs = [(k, d) for k, svc in enumerate(services) for d in svc.designs]
    bounds = [range(terms[d.offer_id].available_servers * cps[d.offer_id] // d.cards + 1) for _, d in designs]
    cases = services[0].scenario.constraints.robust_to
    demand = [load_demand(s.scenario) for s in services]
    bought: set[tuple[int, ...]] = set()
    case_needs: list[set[tuple[int, ...]]] = [set() for _ in cases]
    for counts in itertools.product(*bounds):
        cards = dict.fromkeys(ids, 0)
        served = [0] * len(services)
        for n, (k, d) in zip(counts, designs, strict=True):
            cards[d.offer_id] += n * d.cards
            served[k] += n * capacity_units(d)
        need = tuple(-(-cards[oid] // cps[oid]) for oid in ids)
        if all(served[k] >= demand[k] for k in range(len(services))):
            bought.add(need)
        for c, case in enumerate(cases):
            if all(served[k] >= math.ceil(case.load_share * demand[k] - 1e-9) for k in range(len(services))):
                case_needs[c].add(need)
    best = None
    for buy in itertools.product(*(range(terms[oid].available_servers + 1) for oid in ids)):
        if not any(all(x <= b for x, b in zip(need, buy, strict=True)) for need in bought):
            continue
        survives = True
        for c, case in enumerate(cases):
            cut = set(services[0].scenario.supply_affected(case))
            share = Fraction(str(case.delivered_share))
            arrive = [math.floor(share * n) if oid in cut else n for oid, n in zip(ids, buy, strict=True)]
            survives &= any(all(x <= a for x, a in zip(need, arrive, strict=True)) for need in case_needs[c])
        if survives:
            cost = sum(terms[oid].cost_rmb_per_server * n for oid, n in zip(ids, buy, strict=True))
            best = cost if best is None else min(best, cost)
    return best


def _trusting(services: list[ServiceDesigns]) -> list[ServiceDesigns]:
    return [dataclasses.replace(s, scenario=_with_cases(s.scenario, [])) for s in services]


@pytest.mark.parametrize("seed", range(30))
def test_cp_sat_equals_brute_force_and_a_case_never_lowers_the_cost(seed: int):
    services, terms = _instance(seed)
    plan = solve_fleet_designs(services, terms)[1]
    assert (plan.cost_rmb if plan else None) == _brute_force(services, terms)
    trusting = solve_fleet_designs(_trusting(services), terms)[1]
    if plan is not None:
        assert trusting is not None and trusting.cost_rmb <= plan.cost_rmb
        cases = services[0].scenario.constraints.robust_to
        assert [o.case for o in plan.supply] == list(range(len(cases)))
        for outcome in plan.supply:   # each witness: every service its share, within what arrives
            for svc, ours in zip(outcome.services, services, strict=True):
                assert svc.served * 1000 >= math.ceil(cases[outcome.case].load_share * load_demand(ours.scenario) - 1e-9)
            for oid, n in outcome.delivered.items():
                assert sum(s.cards_on(oid) for s in outcome.services) <= n * terms[oid].cards_per_server


def test_the_cases_bind_on_some_instances():
    dearer = 0
    for seed in range(30):
        services, terms = _instance(seed)
        robust, trusting = solve_fleet_designs(services, terms)[1], solve_fleet_designs(_trusting(services), terms)[1]
        dearer += trusting is not None and (robust is None or robust.cost_rmb > trusting.cost_rmb)
    assert dearer > 0


def test_losing_a_vendor_moves_both_services_to_the_other_by_hand():
    """Two services of 10 users each; a 2-card replica serves 10 on either vendor's 4-card server
    (vendor 0 RMB 1.0M, vendor 1 RMB 1.5M). Trusting both: 1 x offer-0 holds both replicas (RMB 1.0M).
    If vendor 0 may deliver nothing, both services must fit on vendor 1 alone: 1 x offer-1 (RMB 1.5M),
    and buying offer-0 as well would only add cost. With half of vendor 0 delivered (floor(0.5 x 2) = 1
    of 2 bought), 2 x offer-0 (RMB 2.0M) is dearer than 1 x offer-1."""
    terms = {
        "offer-0": terms_of("offer-0", vendor="vendor-0", cards_per_server=4, price_rmb=10 * RMB_100K, available=4),
        "offer-1": terms_of("offer-1", vendor="vendor-1", cards_per_server=4, price_rmb=15 * RMB_100K, available=4),
    }
    base = [ServiceDesigns(f"svc-{k}", plan_scenario(terms, 10),
                           (stand_in_design("offer-0", 2, 10, batch=k + 1), stand_in_design("offer-1", 2, 10, batch=k + 1))) for k in range(2)]
    assert solve_fleet_designs(base, terms)[1].servers == {"offer-0": 1}  # type: ignore[union-attr]
    lost = [dataclasses.replace(s, scenario=_with_cases(s.scenario, [{"vendor": "vendor-0"}])) for s in base]
    plan = solve_fleet_designs(lost, terms)[1]
    assert plan is not None and plan.servers == {"offer-1": 1} and plan.cost_rmb == 15 * RMB_100K
    assert plan.supply[0].delivered == {"offer-1": 1} and [s.served for s in plan.supply[0].services] == [10, 10]
    cheap = {"offer-0": terms["offer-0"]}
    half = [ServiceDesigns(s.name, _with_cases(plan_scenario(cheap, 10), [{"offer": "offer-0", "delivered_share": 0.5}]), s.designs[:1])
            for s in base]
    plan = solve_fleet_designs(half, cheap)[1]
    assert plan is not None and plan.servers == {"offer-0": 2} and plan.supply[0].delivered == {"offer-0": 1}
