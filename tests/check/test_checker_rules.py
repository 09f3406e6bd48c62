"""The independent checker accepts the solver's plan for r1_chatbot and catches each broken rule.

Each mutation breaks one rule of the rank-1 plan (a copy, via dataclasses.replace) and the test
asserts the checker names that rule.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from conftest import REPO_ROOT, load, resolved

from optimizer.catalog.bundle import load_catalog
from optimizer.catalog.records import load_cards
from optimizer.check import offer_price_rmb, verify_plan
from optimizer.perf import evaluate as perf_mod
from optimizer.pipeline import solve
from optimizer.plan.result import Plan, ReplicaGroup, SolveResult
from optimizer.scenario import Scenario

CATALOG = load_catalog()


@pytest.fixture(scope="module")
def r1() -> SolveResult:
    result = solve(resolved(load(REPO_ROOT / "scenarios" / "r1_chatbot.yaml")))
    assert result.status == "optimal" and result.plans, result.status
    return result


@pytest.fixture(scope="module")
def best(r1) -> Plan:
    return r1.plans[0]


def _constrained(scenario: Scenario, **update) -> Scenario:  # type: ignore[no-untyped-def]
    return scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update=update)})


def _problems(plan: Plan, r1: SolveResult, scenario: Scenario | None = None) -> list[str]:
    return verify_plan(plan, resolved(scenario or r1.scenario))


def _repriced(plan: Plan, scenario: Scenario, servers: dict[str, int]) -> Plan:
    """The plan with other server counts and the cost they add up to (so only the rule under test breaks)."""
    cost = round(sum(offer_price_rmb(resolved(scenario), oid) * n for oid, n in servers.items()))
    return dataclasses.replace(plan, servers=servers, cost_rmb=cost, capex_rmb=cost)


def _has(problems: list[str], *words: str) -> bool:
    return any(all(w in p for w in words) for p in problems)


def test_every_ranked_plan_passes(r1):
    for plan in r1.plans:
        assert _problems(plan, r1) == [], plan.rank


def test_more_servers_than_available(r1, best):
    oid = next(iter(best.servers))
    available = next(o.available_servers for o in r1.scenario.offers if o.id == oid)
    plan = _repriced(best, r1.scenario, {**best.servers, oid: available + 1})
    problems = _problems(plan, r1)
    assert _has(problems, oid, f"{available + 1} servers bought", f"{available} available"), problems
    # The mutation also leaves a bought server idle, which the checker rightly reports too.
    assert all("stands idle" in q for q in problems[1:]) and len(problems) <= 2, problems


def test_cost_off_by_1000_rmb(r1, best):
    problems = _problems(dataclasses.replace(best, cost_rmb=best.cost_rmb + 1000), r1)
    assert _has(problems, "cost adds up to"), problems
    assert len(problems) == 1, problems


def test_cost_within_rounding_passes(r1, best):
    """The checker tolerates the yuan rounding of each offer's price, no more."""
    assert _problems(dataclasses.replace(best, cost_rmb=best.cost_rmb + 1), r1) == []


def test_fewer_replicas_than_the_load_needs(r1, best):
    load = r1.scenario.workload.load.amount
    g = max(best.groups, key=lambda g: g.design.capacity * g.count)
    drop = math.floor((best.served - load) / g.design.capacity) + 1
    assert drop <= g.count, "the plan's largest group alone cannot be cut below the load"
    groups = tuple(dataclasses.replace(x, count=x.count - drop) if x is g else x for x in best.groups)
    plan = dataclasses.replace(best, groups=tuple(x for x in groups if x.count))
    problems = _problems(plan, r1)
    assert _has(problems, "serves", f"the load is {load:g}"), problems
    # The mutation also leaves a bought server idle, which the checker rightly reports too.
    assert all("stands idle" in q for q in problems[1:]) and len(problems) <= 2, problems


def test_no_server_under_the_replicas(r1, best):
    oid = next(iter(best.servers))
    plan = _repriced(best, r1.scenario, {k: v for k, v in best.servers.items() if k != oid})
    problems = _problems(plan, r1)
    assert _has(problems, oid, "replicas placed but no server bought"), problems


def test_fewer_servers_than_the_replicas_use(r1):
    """A ranked plan (or a bid's best plan) that buys 2+ servers of one offer, minus one server."""
    candidates = [*r1.plans, *(o.plan for o in r1.per_offer if o.plan is not None)]
    plan, oid = next((p, oid) for p in candidates for oid, n in p.servers.items() if n >= 2)
    assert _problems(plan, r1) == []
    n = plan.servers[oid]
    problems = _problems(_repriced(plan, r1.scenario, {**plan.servers, oid: n - 1}), r1)
    cps = r1.terms[oid].cards_per_server
    assert _has(problems, oid, "replicas use", f"{n - 1} servers hold {(n - 1) * cps}"), problems
    assert len(problems) == 1, problems


def test_batch_too_large_for_memory(r1, best):
    g = best.groups[0]
    p = g.design.perf
    w = r1.scenario.workload
    card = load_cards()[p.card_id]
    huge = perf_mod.evaluate(CATALOG,
        r1.model, card, p.precision, p.parallelism, 100_000, w.input_tokens, w.output_tokens, r1.scenario.kv_precision
    )
    assert not huge.memory.fits
    design = dataclasses.replace(g.design, perf=huge)
    plan = dataclasses.replace(best, groups=(ReplicaGroup(design, g.count), *best.groups[1:]))
    problems = _problems(plan, r1)
    assert _has(problems, design.key, "GB per card"), problems


def test_budget_below_the_cost(r1, best):
    assert _problems(best, r1, _constrained(r1.scenario, budget_rmb=best.cost_rmb)) == []
    problems = _problems(best, r1, _constrained(r1.scenario, budget_rmb=best.cost_rmb - 1))
    assert _has(problems, "exceeds the budget"), problems
    assert len(problems) == 1, problems


def test_single_vendor_with_a_two_vendor_plan(r1, best):
    """Add another vendor's offer, with one replica on just enough of its servers, to the rank-1
    plan (the plan itself may already mix vendors; the check must flag it either way)."""
    vendor_of = {o.id: o.vendor for o in r1.scenario.offers}
    used = {vendor_of[oid] for oid in best.servers}
    other = min((d for d in r1.designs if vendor_of[d.offer_id] not in used), key=lambda d: (d.cards, d.key))
    servers = {**best.servers, other.offer_id: -(-other.cards // 8)}
    mixed = dataclasses.replace(_repriced(best, r1.scenario, servers), groups=(*best.groups, ReplicaGroup(other, 1)))
    assert _problems(mixed, r1) == []
    problems = _problems(mixed, r1, _constrained(r1.scenario, single_vendor=True))
    assert _has(problems, "single_vendor"), problems
    assert len(problems) == 1, problems


def test_tpot_sla_tightened_below_the_plan(r1, best):
    worst = max(g.design.tpot_ms for g in best.groups)
    sla = r1.scenario.sla
    assert _problems(best, r1, r1.scenario.model_copy(update={"sla": sla.model_copy(update={"tpot_ms": worst * 1.001})})) == []
    tight = r1.scenario.model_copy(update={"sla": sla.model_copy(update={"tpot_ms": worst * 0.99})})
    problems = _problems(best, r1, tight)
    assert _has(problems, "TPOT"), problems


def test_max_servers_below_the_plan(r1, best):
    total = sum(best.servers.values())
    assert _problems(best, r1, _constrained(r1.scenario, max_servers=total)) == []
    if total > 1:
        problems = _problems(best, r1, _constrained(r1.scenario, max_servers=total - 1))
        assert _has(problems, "max_servers"), problems
    else:
        plan = _repriced(best, r1.scenario, {oid: n + 1 for oid, n in best.servers.items()})
        problems = _problems(plan, r1, _constrained(r1.scenario, max_servers=1))
        assert _has(problems, "max_servers"), problems


def test_excluded_vendor_in_the_plan(r1, best):
    vendors = sorted({o.vendor for o in r1.scenario.offers if o.id in best.servers})
    problems = _problems(best, r1, _constrained(r1.scenario, vendors_excluded=vendors[:1]))
    assert _has(problems, f"vendor {vendors[0]} is not allowed"), problems
