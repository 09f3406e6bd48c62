"""constraints.robust_to (supply risk): CP-SAT against brute force on small instances, monotone in
the cases, a vendor's loss forcing a second vendor, and the independent checker catching a plan
whose deployment under a case does not fit what arrives or does not serve the load."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random

import pytest
from plan_factories import RMB_100K, best_units_by_servers, plan_scenario, stand_in_design, terms_of

from optimizer.check import check_supply
from optimizer.plan.model import load_demand
from optimizer.plan.optimize import solve_min_cost
from optimizer.plan.result import ReplicaGroup
from optimizer.scenario import Scenario, SupplyCase


def _with_cases(scenario: Scenario, cases: list[dict]) -> Scenario:  # type: ignore[type-arg]
    robust = [SupplyCase.model_validate(c) for c in cases]
    return scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"robust_to": robust})})


def _instance(seed: int):  # type: ignore[no-untyped-def]
    rng = random.Random(9100 + seed)
    terms, designs = {}, []
    for k in range(rng.choice([1, 2, 2])):
        oid = f"offer-{k}"
        terms[oid] = terms_of(oid, vendor=f"vendor-{k}", cards_per_server=4, price_rmb=rng.randint(1, 20) * RMB_100K,
                              available=rng.randint(1, 4))
        for i, cards in enumerate(sorted(rng.sample([1, 2, 4, 8], rng.randint(1, 2)))):
            designs.append(stand_in_design(oid, cards, rng.randint(1, 4 * cards), batch=i + 1))
    # 0.3333 and 0.9995 are decimals no small fraction equals: the model and the checker must floor them alike
    share = rng.choice([0.0, 0.25, 0.3333, 0.5, 0.7, 0.75, 0.9995])
    cases = [{"offer": "offer-0", "delivered_share": share, "load_share": rng.choice([0.5, 0.8, 1.0])}]
    if len(terms) > 1 and rng.random() < 0.5:
        cases.append({"vendor": "vendor-1", "delivered_share": 0.0, "load_share": rng.choice([0.5, 1.0])})
    return _with_cases(plan_scenario(terms, rng.randint(1, 30)), cases), designs, terms


def _brute_force(scenario: Scenario, designs, terms) -> int | None:  # type: ignore[no-untyped-def]
    """Cheapest purchase within availability whose replicas serve the load (no idle server) and that,
    in each case, serves load_share of it on what arrives: floor(share x bought) of each offer the
    case cuts, all of the others, any replica mix on at most those servers."""
    demand = load_demand(scenario)
    ids = list(terms)
    exact = {oid: best_units_by_servers(designs, terms[oid]) for oid in ids}
    at_most = {oid: [max([u for u in exact[oid][: n + 1] if u is not None], default=0) for n in range(len(exact[oid]))] for oid in ids}
    best = None
    for counts in itertools.product(*(range(terms[oid].available_servers + 1) for oid in ids)):
        buy = dict(zip(ids, counts, strict=True))
        units = [exact[oid][n] for oid, n in buy.items()]
        if any(u is None for u in units) or sum(units) < demand:  # type: ignore[arg-type]
            continue
        survives = True
        for case in scenario.constraints.robust_to:
            cut = set(scenario.supply_affected(case))
            arrive = {oid: math.floor(round(n * case.delivered_share * 10_000)) // 10_000 if oid in cut else n for oid, n in buy.items()}
            survives &= sum(at_most[oid][n] for oid, n in arrive.items()) >= math.ceil(case.load_share * demand - 1e-9)
        if survives:
            cost = sum(terms[oid].cost_rmb_per_server * n for oid, n in buy.items())
            best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_cp_sat_equals_brute_force_and_never_costs_less_than_trusting_every_bid(seed: int):
    scenario, designs, terms = _instance(seed)
    plan = solve_min_cost(scenario, designs, terms)[1]
    expected = _brute_force(scenario, designs, terms)
    assert (plan.cost_rmb if plan else None) == expected
    trusting = solve_min_cost(_with_cases(scenario, []), designs, terms)[1]
    if plan is not None:
        assert trusting is not None and trusting.cost_rmb <= plan.cost_rmb
        assert len(plan.supply) == len(scenario.constraints.robust_to)


def test_the_cases_bind_on_some_instances():
    dearer = 0
    for seed in range(40):
        scenario, designs, terms = _instance(seed)
        robust, trusting = solve_min_cost(scenario, designs, terms)[1], solve_min_cost(_with_cases(scenario, []), designs, terms)[1]
        dearer += trusting is not None and (robust is None or robust.cost_rmb > trusting.cost_rmb)
    assert dearer > 0


def _two_vendors():  # type: ignore[no-untyped-def]
    """20 users; a 4-card server of either vendor serves 10 (one 4-card replica). Vendor 0 is cheaper
    (RMB 1.0M against 1.5M a server)."""
    terms = {
        "offer-0": terms_of("offer-0", vendor="vendor-0", cards_per_server=4, price_rmb=10 * RMB_100K, available=4),
        "offer-1": terms_of("offer-1", vendor="vendor-1", cards_per_server=4, price_rmb=15 * RMB_100K, available=4),
    }
    designs = [stand_in_design("offer-0", 4, 10), stand_in_design("offer-1", 4, 10)]
    return plan_scenario(terms, 20), designs, terms


def test_losing_a_vendor_buys_the_load_from_the_other_by_hand():
    """Trusting both: 2 x offer-0 = RMB 2.0M. If vendor 0 may deliver nothing, vendor 1 alone must serve
    the 20 users: 2 x offer-1 (RMB 3.0M); buying only offer-1 is then cheapest (offer-0 adds nothing
    the case needs). With half the load required in the case, 1 x offer-1 + 1 x offer-0 (RMB 2.5M)."""
    scenario, designs, terms = _two_vendors()
    assert solve_min_cost(scenario, designs, terms)[1].servers == {"offer-0": 2}
    lost = solve_min_cost(_with_cases(scenario, [{"vendor": "vendor-0"}]), designs, terms)[1]
    assert lost.servers == {"offer-1": 2} and lost.cost_rmb == 30 * RMB_100K
    assert lost.supply[0].delivered == {"offer-1": 2} and lost.supply[0].served == 20
    half = solve_min_cost(_with_cases(scenario, [{"vendor": "vendor-0", "load_share": 0.5}]), designs, terms)[1]
    assert half.servers == {"offer-0": 1, "offer-1": 1} and half.cost_rmb == 25 * RMB_100K


def test_half_delivered_by_hand():
    """offer-0 alone (vendor 1 absent): 20 users need 2 servers; if only half of offer-0's servers may
    arrive (rounded down), 4 must be bought so that 2 arrive."""
    scenario, designs, terms = _two_vendors()
    only = {"offer-0": terms["offer-0"]}
    plan = solve_min_cost(_with_cases(scenario, [{"offer": "offer-0", "delivered_share": 0.5}]), designs[:1], only)[1]
    assert plan.servers == {"offer-0": 4} and plan.supply[0].delivered == {"offer-0": 2}


def test_the_checker_catches_a_deployment_that_does_not_fit_or_does_not_serve(solved_problem_with_supply):
    result = solved_problem_with_supply
    problem, plan = result.problem, result.plans[0]
    assert check_supply(plan, problem) == []
    outcome = plan.supply[0]
    swollen = dataclasses.replace(outcome, groups=tuple(ReplicaGroup(g.design, g.count * 4) for g in outcome.groups))
    assert any("arrive" in p for p in check_supply(dataclasses.replace(plan, supply=(swollen,)), problem))
    starved = dataclasses.replace(outcome, groups=())
    assert any("serves 0.00" in p for p in check_supply(dataclasses.replace(plan, supply=(starved,)), problem))
    assert "deployment" in check_supply(dataclasses.replace(plan, supply=()), problem)[0]


@pytest.fixture(scope="module")
def solved_problem_with_supply():  # type: ignore[no-untyped-def]
    """The shipped three-vendor scenario with H200 delivering half: a real, checked solve."""
    from pathlib import Path

    import yaml
    from conftest import load, resolved

    from optimizer.pipeline import solve

    repo = Path(__file__).resolve().parents[2]
    doc = yaml.safe_load((repo / "scenarios" / "r1_bids_h200_910b_mi300x.yaml").read_text(encoding="utf-8"))
    doc.setdefault("constraints", {})["robust_to"] = [{"offer": "h200-8x", "delivered_share": 0.5}]
    import tempfile
    path = Path(tempfile.mkdtemp()) / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    problem = resolved(load(path))
    result = solve(problem)
    assert result.plans and result.trusting_plan is not None
    return result


def test_page_one_gives_each_case_and_the_cost_of_robustness(solved_problem_with_supply):
    """The sentence names the case, what arrives and serves, and the cost against the plan trusting
    every bid: the recommended cost minus the trusting plan's, both read from the result."""
    from optimizer.report.decision import supply_sentence
    from optimizer.report.format import money

    result = solved_problem_with_supply
    plan, trusting = result.plans[0], result.trusting_plan
    extra = plan.cost_rmb - trusting.cost_rmb
    en = supply_sentence(result, "en")
    assert en.startswith("Supply risk: the plan still meets the SLAs if offer h200-8x delivers 50% (")
    assert (f"costs {money(extra)} more" if extra > 0 else "costs nothing extra") in en
    zh = supply_sentence(result, "zh")
    assert zh.startswith("供货风险") and "h200-8x" in zh


def test_a_single_bid_at_confidence_costs_within_its_own_spread(tmp_path):  # type: ignore[no-untyped-def]
    """One bid with a supply case, sized at confidence 0.8: its cost lies between its own 10 % and
    90 % quantiles over the draws (the one-bid shortcut, which knows no supply cases, is not taken)."""
    from pathlib import Path

    import yaml
    from conftest import load, resolved

    from optimizer.pipeline import solve

    repo = Path(__file__).resolve().parents[2]
    doc = yaml.safe_load((repo / "scenarios" / "r1_chatbot.yaml").read_text(encoding="utf-8"))
    doc["offers"] = [o for o in doc["offers"] if o["id"] == "mi300x-8x"]
    doc["constraints"]["robust_to"] = [{"offer": "mi300x-8x", "delivered_share": 0.5}]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = solve(resolved(load(path)))
    spread = result.bid_spreads["mi300x-8x"]
    assert result.plans and spread.cost_rmb.p10 is not None and spread.cost_rmb.p90 is not None
    assert spread.cost_rmb.p10 <= result.plans[0].cost_rmb <= spread.cost_rmb.p90
    assert result.plans[0].supply[0].delivered["mi300x-8x"] == result.plans[0].servers["mi300x-8x"] // 2
