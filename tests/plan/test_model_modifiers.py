"""The plan model as one base build plus modifiers, re-solved in place: each modifier does its one
thing, and the lexicographic solves and ranked plans on one model equal brute force and fresh
builds on tiny instances (stand-in designs from plan_factories, no performance model)."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from functools import cache

import pytest
from ortools.sat.python import cp_model
from plan_factories import RMB_100K, brute_force, plan_scenario, stand_in_design, terms_of

from optimizer.plan.diagnose import diagnose
from optimizer.plan.model import (
    ModelOptions,
    PlanVars,
    base_model,
    cap_cost,
    capacity_units,
    forbid_purchase,
    load_demand,
    minimize_cost,
    switchable_limits,
)
from optimizer.plan.optimize import cheapest_plan, new_solver, solve_min_cost
from optimizer.plan.rank import alternatives
from optimizer.plan.result import Design, OfferSummary, Plan
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario

Instance = tuple[Scenario, list[Design], dict[str, OfferTerms]]
SEEDS = range(40)


@cache
def instance(seed: int) -> Instance:
    """1-3 offers of 4- or 8-card servers (1-3 available), 1-3 replica sizes each, a few users per
    card, sometimes a budget or one vendor: small enough to enumerate every purchase and replica mix."""
    rng = random.Random(seed)
    terms: dict[str, OfferTerms] = {}
    designs: list[Design] = []
    for k in range(rng.choice([1, 2, 2, 3])):
        oid, cps = f"offer-{k}", rng.choice([4, 8])
        terms[oid] = terms_of(oid, vendor=rng.choice(("vendor-a", "vendor-b")), cards_per_server=cps,
                              price_rmb=rng.randint(1, 12) * RMB_100K, available=rng.randint(1, 3))
        sizes = sorted(rng.sample([c for c in (1, 2, 4, 8) if c <= cps], rng.randint(1, 3)))
        designs += [stand_in_design(oid, cards, rng.randint(1, 4 * cards), batch=i + 1) for i, cards in enumerate(sizes)]
    scenario = plan_scenario(terms, rng.randint(1, 60), budget_rmb=rng.randint(2, 30) * RMB_100K if rng.random() < 0.25 else None,
                             single_vendor=rng.random() < 0.25)
    return scenario, designs, terms


def purchases(terms: dict[str, OfferTerms]) -> list[dict[str, int]]:
    """Every servers-per-offer vector within availability."""
    ids = sorted(terms)
    return [dict(zip(ids, n)) for n in itertools.product(*(range(terms[o].available_servers + 1) for o in ids))]


def feasible_purchases(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], forbid: tuple[dict[str, int], ...] = ()
) -> set[tuple[int, ...]]:
    """Purchases the model accepts: each vector fixed in turn on a fresh model, solved for feasibility."""
    out = set()
    for buy in purchases(terms):
        v = base_model(scenario, designs, terms)
        for plan in forbid:
            forbid_purchase(v, plan)
        for oid, n in buy.items():
            v.model.add(v.servers[oid] == n)
        if new_solver().solve(v.model) == cp_model.OPTIMAL:
            out.add(tuple(buy[o] for o in sorted(terms)))
    return out


def best_mix(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], buy: dict[str, int]) -> tuple[int, int] | None:
    """(most load units, -replicas) of any replica mix on exactly the servers `buy`, with the model's
    replica bounds (enough of a design to cover the demand alone) and no idle server; None if no
    mix covers the demand."""
    demand = load_demand(scenario)
    best: tuple[int, int] | None = None
    caps = [min(math.ceil(demand / max(capacity_units(d), 1)), buy[d.offer_id] * terms[d.offer_id].cards_per_server // d.cards) for d in designs]
    for counts in itertools.product(*(range(c + 1) for c in caps)):
        used = {oid: 0 for oid in terms}
        for n, d in zip(counts, designs):
            used[d.offer_id] += n * d.cards
        cps = {oid: t.cards_per_server for oid, t in terms.items()}
        if any(not (cps[o] * (buy[o] - 1) < used[o] <= cps[o] * buy[o]) and not (buy[o] == used[o] == 0) for o in terms):
            continue
        units = sum(n * capacity_units(d) for n, d in zip(counts, designs))
        if units >= demand and (best is None or (units, -sum(counts)) > best):
            best = (units, -sum(counts))
    return best


def plan_key(plan: Plan) -> tuple[int, int]:
    return sum(g.count * capacity_units(g.design) for g in plan.groups), -sum(g.count for g in plan.groups)


@pytest.mark.parametrize("seed", SEEDS)
def test_min_cost_then_tie_break_on_one_model_equals_brute_force(seed):
    """Stage 1 (least cost) and stage 2 (most load, then fewest replicas, cost capped) run on one
    model: the plan is a cheapest purchase, and no cheapest purchase has a better replica mix."""
    scenario, designs, terms = instance(seed)
    bf = brute_force(scenario, designs, terms)
    status, plan, objective, bound = solve_min_cost(scenario, designs, terms)
    if bf.cost_rmb is None:
        assert (status, plan) == ("infeasible", None), seed
        return
    assert status == "optimal" and plan is not None, seed
    assert objective == bound == plan.cost_rmb == bf.cost_rmb, seed
    assert plan.servers in bf.purchases, (seed, plan.servers, bf.purchases)
    full = [{o: p.get(o, 0) for o in terms} for p in bf.purchases]
    mixes = [m for m in (best_mix(scenario, designs, terms, p) for p in full) if m is not None]
    assert plan_key(plan) == max(mixes), (seed, plan_key(plan), mixes)


def test_the_instances_have_ties_for_the_second_stage_to_break():
    """The test above says something about stage 2 only if some cheapest purchases can run
    several replica mixes, or several purchases tie on cost."""
    tied = 0
    for seed in SEEDS:
        scenario, designs, terms = instance(seed)
        bf = brute_force(scenario, designs, terms)
        tied += len(bf.purchases) > 1 or sum(d.offer_id in bf.purchases[0] for d in designs if bf.purchases) > 1
    assert tied >= 5, tied


def test_forbidding_a_purchase_excludes_it_and_every_purchase_containing_it():
    """Three offers, two servers of each available: the model's feasible purchases lose exactly
    the forbidden vector and those with at least as many servers of every offer."""
    terms = {oid: terms_of(oid, price_rmb=p * RMB_100K, available=2) for oid, p in (("a", 3), ("b", 4), ("c", 5))}
    designs = [stand_in_design(oid, 8, 10) for oid in terms]
    scenario = plan_scenario(terms, 20)
    before = feasible_purchases(scenario, designs, terms)
    forbidden = {"a": 1, "b": 1}
    after = feasible_purchases(scenario, designs, terms, forbid=(forbidden,))
    contains = {p for p in before if p[0] >= 1 and p[1] >= 1}
    assert contains and after, (before, after)
    assert after == before - contains


@pytest.mark.parametrize("seed", SEEDS)
def test_ranked_plans_on_one_model_equal_fresh_solves_with_the_exclusions(seed):
    """alternatives() re-solves one model with a cut per found plan and its cost cap moved; a fresh
    model per rank with the same exclusions finds the same costs and the same load and replicas."""
    scenario, designs, terms = instance(seed)
    scenario = scenario.model_copy(update={"search": scenario.search.model_copy(update={"ranked_plans": 4})})
    _, best, _, _ = solve_min_cost(scenario, designs, terms)
    if best is None:
        return
    ranked = [best, *alternatives(scenario, designs, terms, best)]
    for k in range(1, 4):
        _, fresh, _, _ = solve_min_cost(scenario, designs, terms, forbid=tuple(p.servers for p in ranked[:k]))
        if fresh is None:
            assert len(ranked) == k, (seed, k)
            break
        assert (ranked[k].cost_rmb, plan_key(ranked[k])) == (fresh.cost_rmb, plan_key(fresh)), (seed, k)


def test_ranked_plans_grow_in_cost_and_never_contain_an_earlier_one():
    scenario, designs, terms = _three_offers(users=25)
    _, best, _, _ = solve_min_cost(scenario, designs, terms)
    assert best is not None
    ranked = [best, *alternatives(scenario, designs, terms, best)]
    assert len(ranked) == scenario.search.ranked_plans
    assert [p.cost_rmb for p in ranked] == sorted(p.cost_rmb for p in ranked)
    for i, later in enumerate(ranked):
        for earlier in ranked[:i]:
            assert not all(later.servers.get(o, 0) >= n for o, n in earlier.servers.items()), (earlier.servers, later.servers)


def test_the_cost_cap_is_one_constraint_moved_between_solves():
    """Solving the same model again (as ranking does) lifts the cap of the previous tie-break:
    the same plan comes back and no second cap is added."""
    scenario, designs, terms = _three_offers(users=25)
    v = base_model(scenario, designs, terms)
    first = cheapest_plan(v, designs, terms, rank=1)
    count = len(v.model.proto.constraints)
    again = cheapest_plan(v, designs, terms, rank=1)
    assert len(v.model.proto.constraints) == count
    assert first == again
    forbid_purchase(v, first[1].servers)  # type: ignore[union-attr]
    third = cheapest_plan(v, designs, terms, rank=2)
    assert third[1] is not None and third[1].cost_rmb > first[1].cost_rmb  # type: ignore[union-attr]


def test_a_cost_cap_below_the_cheapest_plan_leaves_nothing_and_lifting_it_restores_it():
    scenario, designs, terms = _three_offers(users=25)
    v = base_model(scenario, designs, terms)
    minimize_cost(v, terms)
    cheapest = _solve(v)
    assert cheapest is not None
    cap_cost(v, terms, cheapest - 1)
    assert _solve(v) is None
    cap_cost(v, terms, None)
    assert _solve(v) == cheapest


def test_switchable_limits_name_the_budget_that_binds():
    """Each limit family gets one assumption literal on all its constraints; a budget below the
    cheapest plan is the binding family, and availability can be switched off only because the
    diagnosis model lets servers exceed the bids."""
    terms = {"a": terms_of("a", price_rmb=3 * RMB_100K, available=1)}
    designs = [stand_in_design("a", 8, 10)]
    scenario = plan_scenario(terms, 25, budget_rmb=6 * RMB_100K)  # 3 servers needed, 1 available, budget for 2
    v = base_model(scenario, designs, terms, ModelOptions(beyond_bids=True))
    switchable_limits(v)
    assert set(v.enforce) == {"availability", "budget"}
    for family, lit in v.enforce.items():
        assert all(lit.index in ct.proto.enforcement_literal for ct in v.constraints[family]), family
    assert v.server_ub["a"] == 3
    diagnosis = diagnose(scenario, designs, terms, {"a": OfferSummary("a")})
    assert set(diagnosis.binding) == {"availability", "budget"}


def test_one_offer_alone_keeps_owned_hardware_and_drops_the_other_bids():
    terms = {
        "mine": dataclasses.replace(terms_of("mine", available=1, price_rmb=1), owned=True),  # ~free
        "b": terms_of("b", price_rmb=2 * RMB_100K, available=3),
        "c": terms_of("c", price_rmb=1 * RMB_100K, available=3),
    }
    designs = [stand_in_design(oid, 8, 10) for oid in terms]
    scenario = plan_scenario(terms, 30)
    _, best, _, _ = solve_min_cost(scenario, designs, terms)
    _, alone, _, _ = solve_min_cost(scenario, designs, terms, only_offer="b")
    assert best is not None and alone is not None
    assert best.servers == {"mine": 1, "c": 2}
    assert alone.servers == {"mine": 1, "b": 2}


def _three_offers(users: int) -> Instance:
    terms = {oid: terms_of(oid, price_rmb=p * RMB_100K, available=3) for oid, p in (("a", 3), ("b", 4), ("c", 5))}
    designs = [d for oid in terms for d in (stand_in_design(oid, 8, 10), stand_in_design(oid, 4, 4, batch=2))]
    return plan_scenario(terms, users), designs, terms


def _solve(v: PlanVars) -> int | None:
    solver = new_solver()
    code = solver.solve(v.model)
    return round(solver.objective_value) if code == cp_model.OPTIMAL else None
