"""Plan rules of the scenario: sla.headroom_pct, constraints.n_plus_one and
constraints.mix_min_saving_pct. CP-SAT against brute force on small stand-in instances, and the
independent checker catching plans that break the rules on a real scenario."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from conftest import REPO_ROOT, load, resolved
from ortools.sat.python import cp_model
from plan_factories import RMB_100K, best_units_by_servers, plan_scenario, stand_in_design, terms_of

from optimizer import pipeline
from optimizer.check import verify_plan
from optimizer.plan.model import LOAD_SCALE, capacity_units, load_demand
from optimizer.plan.optimize import solve_designs
from optimizer.plan.result import Design
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario


def _instance(seed: int) -> tuple[Scenario, list[Design], dict[str, OfferTerms]]:
    rng = random.Random(1000 + seed)
    terms: dict[str, OfferTerms] = {}
    designs: list[Design] = []
    for k in range(rng.choice([1, 2])):
        oid = f"offer-{k}"
        terms[oid] = terms_of(oid, vendor=f"vendor-{k}", cards_per_server=4, price_rmb=rng.randint(1, 20) * RMB_100K,
                              available=rng.randint(1, 3))
        for i, cards in enumerate(sorted(rng.sample([1, 2, 4, 8], rng.randint(1, 2)))):
            designs.append(stand_in_design(oid, cards, rng.randint(1, 4 * cards), batch=i + 1))
    return plan_scenario(terms, rng.randint(1, 40)), designs, terms


def _with(scenario: Scenario, *, headroom: float = 0, n_plus_one: bool = False) -> Scenario:
    return scenario.model_copy(update={
        "sla": scenario.sla.model_copy(update={"headroom_pct": headroom}),
        "constraints": scenario.constraints.model_copy(update={"n_plus_one": n_plus_one}),
    })


def _brute_force_headroom(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], pct: float) -> int | None:
    need = math.ceil(load_demand(scenario) * (1 + pct / 100) - 1e-9)
    best = {oid: best_units_by_servers(designs, t) for oid, t in terms.items()}
    costs = []
    for counts in itertools.product(*(range(t.available_servers + 1) for t in terms.values())):
        units = [best[oid][n] for oid, n in zip(terms, counts)]
        if all(u is not None for u in units) and sum(units) >= need:  # type: ignore[misc]
            costs.append(sum(terms[oid].cost_rmb_per_server * n for oid, n in zip(terms, counts)))
    return min(costs, default=None)


def _brute_force_n_plus_one(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms]) -> int | None:
    """Every replica mix: servers are the fewest that hold it; with any one server of an offer down
    the load holds (a server takes away at most a server's worth of its most capable design)."""
    demand = load_demand(scenario)
    costs = []
    ranges = [range(t.available_servers * t.cards_per_server // d.cards + 1) for d in designs for t in [terms[d.offer_id]]]
    for counts in itertools.product(*ranges):
        servers = {}
        for oid, t in terms.items():
            used = sum(n * d.cards for n, d in zip(counts, designs) if d.offer_id == oid)
            servers[oid] = -(-used // t.cards_per_server)
        if any(servers[oid] > t.available_servers for oid, t in terms.items()):
            continue
        total = sum(n * capacity_units(d) for n, d in zip(counts, designs))
        if total < demand:
            continue
        losses = [math.ceil(d.capacity * LOAD_SCALE - 1e-9) * max(1, terms[d.offer_id].cards_per_server // d.cards)
                  for n, d in zip(counts, designs) if n]
        if any(total - loss < demand for loss in losses):
            continue
        costs.append(sum(terms[oid].cost_rmb_per_server * n for oid, n in servers.items()))
    return min(costs, default=None)


@pytest.mark.parametrize("seed", range(25))
def test_headroom_optimum_equals_brute_force(seed):
    scenario, designs, terms = _instance(seed)
    pct = [0, 10, 25, 50, 100][seed % 5]
    expected = _brute_force_headroom(scenario, designs, terms, pct)
    code, solver, _ = solve_designs(_with(scenario, headroom=pct), designs, terms)
    if expected is None:
        assert code == cp_model.INFEASIBLE
    else:
        assert code == cp_model.OPTIMAL and round(solver.objective_value) == expected


@pytest.mark.parametrize("seed", range(25))
def test_n_plus_one_optimum_equals_brute_force(seed):
    scenario, designs, terms = _instance(seed)
    expected = _brute_force_n_plus_one(scenario, designs, terms)
    code, solver, _ = solve_designs(_with(scenario, n_plus_one=True), designs, terms)
    if expected is None:
        assert code == cp_model.INFEASIBLE
    else:
        assert code == cp_model.OPTIMAL and round(solver.objective_value) == expected


def test_instances_include_feasible_and_costlier_n_plus_one():
    costlier = 0
    for seed in range(25):
        scenario, designs, terms = _instance(seed)
        base = _brute_force_headroom(scenario, designs, terms, 0)
        n1 = _brute_force_n_plus_one(scenario, designs, terms)
        costlier += base is not None and n1 is not None and n1 > base
    assert costlier >= 3


CHATBOT = REPO_ROOT / "scenarios" / "r1_chatbot.yaml"


@pytest.fixture(scope="module")
def chatbot() -> Scenario:
    return load(CHATBOT)


def test_headroom_plan_is_checked_and_a_plain_plan_fails_it(chatbot):
    plain = pipeline.solve(resolved(chatbot))
    served = plain.plans[0].served
    pct = 100 * (served / chatbot.workload.load.amount - 1) + 20  # more than the plain plan's spare capacity
    roomy = _with(chatbot, headroom=pct)
    result = pipeline.solve(resolved(roomy))  # the pipeline runs the checker on every plan
    assert result.plans[0].served >= chatbot.workload.load.amount * (1 + pct / 100) - 1e-6
    problems = verify_plan(plain.plans[0], resolved(roomy))
    assert any("headroom" in p for p in problems), problems


def test_n_plus_one_plan_is_checked_and_a_plain_plan_fails_it(chatbot):
    plain = pipeline.solve(resolved(chatbot))
    spare = _with(chatbot, n_plus_one=True)
    result = pipeline.solve(resolved(spare))
    assert result.plans and result.plans[0].cost_rmb > plain.plans[0].cost_rmb
    problems = verify_plan(plain.plans[0], resolved(spare))
    assert any("N+1" in p for p in problems), problems


def test_mix_needs_to_save_more_than_the_threshold():
    """Two vendors whose cheapest plan mixes them: recommended only when it saves more than
    mix_min_saving_pct against the best single-vendor plan; the report shows both."""
    from optimizer.analysis.facts import solve_facts
    from optimizer.plan.solve import solve
    from optimizer.report.solve_json import to_json
    from optimizer.report.solve_md import render

    raw = load(CHATBOT).model_dump()
    # H200 and MI300X servers: few available, so the rest of the load needs another vendor
    raw["offers"][0]["available_servers"] = 2
    raw["offers"][2]["available_servers"] = 2
    raw["workload"]["load"]["concurrent_users"] = 400
    mixed = Scenario.model_validate(raw)
    result = solve(resolved(mixed.model_copy(update={"constraints": mixed.constraints.model_copy(update={"mix_min_saving_pct": 0})})))
    assert result.mix_plan is not None and result.single_vendor_plan is not None
    saving = 100 * (result.single_vendor_plan.cost_rmb - result.mix_plan.cost_rmb) / result.single_vendor_plan.cost_rmb
    assert saving > 0 and result.plans[0].servers == result.mix_plan.servers
    assert "best single-vendor plan" in render(result, facts=solve_facts(result))
    strict = mixed.model_copy(update={"constraints": mixed.constraints.model_copy(update={"mix_min_saving_pct": saving + 1})})
    declined = solve(resolved(strict))
    assert declined.plans[0].servers == declined.single_vendor_plan.servers  # type: ignore[union-attr]
    assert len({declined.terms[o].vendor for o in declined.plans[0].servers}) == 1
    facts = solve_facts(declined)
    assert "single-vendor plan is recommended" in render(declined, facts=facts)
    assert to_json(declined, facts=facts, include_timing=False)["vendor_mix"]["recommended"] == "single_vendor"


def test_when_a_mix_is_declined_no_ranked_plan_undercuts_the_recommendation():
    """The cheapest plan mixes three vendors (H200 and MI300X stock capped); at a threshold it cannot
    meet, one vendor is recommended and the ranked plans are one-vendor plans too: costs ascending
    from the recommendation (no negative gap), the objective the recommendation's cost, and the
    declined mix still priced on its own (mix_plan)."""
    from optimizer.plan.solve import solve

    raw = load(CHATBOT).model_dump()
    raw["offers"][0]["available_servers"] = 2
    raw["offers"][2]["available_servers"] = 2
    raw["workload"]["load"]["concurrent_users"] = 400
    raw["constraints"]["mix_min_saving_pct"] = 100
    declined = solve(resolved(Scenario.model_validate(raw)))
    assert declined.mix_plan is not None and declined.mix_plan.cost_rmb < declined.plans[0].cost_rmb
    costs = [p.cost_rmb for p in declined.plans]
    assert costs == sorted(costs) and declined.objective_rmb == costs[0]
    assert all(len({declined.terms[o].vendor for o, n in p.servers.items() if n}) == 1 for p in declined.plans)
