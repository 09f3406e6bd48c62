"""Prefill/decode disaggregation: pool formulas, PD balance in the plan model, the checker."""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import pytest
from conftest import load, resolved
from plan_factories import RMB_100K, plan_scenario, stand_in_design, terms_of

from optimizer.catalog.bundle import load_catalog
from optimizer.catalog.efficiency import load_efficiency
from optimizer.check import verify_plan
from optimizer.perf.disagg import decode_pool, kv_transfer_s, prefill_pool
from optimizer.perf.evaluate import evaluate
from optimizer.perf.replica import Parallelism, make_replica
from optimizer.pipeline import solve
from optimizer.plan.designs import served_by
from optimizer.plan.model import capacity_units, load_demand
from optimizer.plan.optimize import solve_min_cost
from optimizer.plan.result import Design

CATALOG = load_catalog()

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def r1_h200():
    return CATALOG.model("deepseek-r1"), CATALOG.card("h200")


def test_kv_transfer_of_one_prompt(r1_h200):
    """6,000 tokens x 70,272 B (MLA, BF16) = 421.6 MB over 8 NICs of 400 Gb/s (50 GB/s each) at the
    family's link efficiency, plus one NIC latency."""
    model, card = r1_h200
    eff = load_efficiency()
    r = make_replica(CATALOG, model, card, "fp8", Parallelism(tp=8), "bf16")
    got = kv_transfer_s(r, 6000)
    expected = 6000 * 70272 / (8 * 50e9 * r.factors.link_efficiency) + eff.defaults.nic_latency_us * 1e-6
    assert got == pytest.approx(expected, rel=1e-12)


def test_prefill_pool_uses_exactly_the_ttft_budget(r1_h200):
    """rho = 2 s / (o + 2 s) with slack s = B - prefill - transfer, so prefill + rho/(2(1-rho)) o +
    transfer = B (below the utilisation cap); capacity rho / o."""
    model, card = r1_h200
    perf = evaluate(CATALOG, model, card, "fp8", Parallelism(tp=8), 1, 4000, 500)
    budget, transfer = perf.prefill_s + 0.5, 0.01
    pool = prefill_pool(perf, transfer, budget)
    front_end = perf.factors.ttft_overhead_ms / 1e3
    budget += front_end
    pool = prefill_pool(perf, transfer, budget)
    o, s = perf.prefill_occupancy_s, budget - perf.prefill_s - transfer - front_end
    rho = min(0.95, 2 * s / (o + 2 * s))
    assert pool is not None and pool.utilization == pytest.approx(rho)
    assert pool.requests_per_s == pytest.approx(rho / o)
    if rho < 0.95:
        assert pool.ttft_s == pytest.approx(budget)
    assert prefill_pool(perf, transfer, perf.prefill_s + front_end) is None  # no slack: even idle it misses


def test_decode_pool_rate(r1_h200):
    model, card = r1_h200
    perf = evaluate(CATALOG, model, card, "fp8", Parallelism(tp=8), 64, 2000, 500)
    pool = decode_pool(perf)
    assert pool.tpot_s == perf.decode.total_s
    assert pool.requests_per_s == pytest.approx(64 / (499 * perf.decode.total_s))


def _pd(offer: str, cards: int, capacity: float, role: str, batch: int) -> Design:
    d = stand_in_design(offer, cards, capacity, batch=batch)
    return dataclasses.replace(d, role=role, requests_per_s=capacity)


def test_plan_model_balances_prefill_and_decode_against_brute_force():
    """Prefill replicas of 2 cards serve 3 units, decode replicas of 4 cards serve 5, colocated
    replicas of 8 cards serve 6: the cheapest way to 10 units, by enumeration."""
    terms = {"a": terms_of("a", available=4, price_rmb=1_000_000)}
    designs = [_pd("a", 2, 3, "prefill", 1), _pd("a", 4, 5, "decode", 2), stand_in_design("a", 8, 6, batch=3)]
    scn = plan_scenario(terms, 1).model_copy(update={"disaggregation": True})
    scn = scn.model_copy(update={"workload": scn.workload.model_copy(
        update={"load": scn.workload.load.model_copy(update={"concurrent_users": 10})})})
    status, plan, cost, _ = solve_min_cost(scn, designs, terms)
    best = None
    for counts in itertools.product(range(17), range(9), range(5)):
        cards = sum(c * d.cards for c, d in zip(counts, designs, strict=True))
        servers = math.ceil(cards / 8)
        if servers > 4 or cards == 0:
            continue
        served = served_by([(d, c) for d, c in zip(designs, counts, strict=True)])
        if served * 1000 >= load_demand(scn):
            best = servers * 1_000_000 if best is None else min(best, servers * 1_000_000)
    assert status == "optimal" and cost == best
    assert plan is not None and plan.served >= 10
    roles = {g.design.role for g in plan.groups}
    assert roles != {"prefill"} and roles != {"decode"}  # never one pool without the other


def test_shipped_pd_scenario_and_the_checker():
    scn = load(REPO / "scenarios" / "r1_pd_split.yaml")
    result = solve(resolved(scn))
    plan = result.plans[0]
    assert verify_plan(plan, resolved(scn)) == []
    roles = {g.design.role for g in plan.groups}
    assert {"prefill", "decode"} <= roles  # the shipped scenario's optimum splits (a cheaper colocated plan would win)
    # Drop the prefill pool: the checker must see the load uncovered.
    without = dataclasses.replace(plan, groups=tuple(g for g in plan.groups if g.design.role != "prefill"))
    assert any("serves" in p for p in verify_plan(without, resolved(scn)))
    # Disallow the split: the same plan is refused.
    refused = verify_plan(plan, resolved(scn.model_copy(update={"disaggregation": False})))
    assert any("disaggregation" in p for p in refused)


def test_disaggregation_needs_a_rate_not_users(procure, tmp_path):
    import yaml

    doc = yaml.safe_load((REPO / "scenarios" / "r1_pd_split.yaml").read_text())
    doc["workload"]["load"] = {"concurrent_users": 100}
    path = tmp_path / "pd.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    res = procure("solve", str(path), "--out", str(tmp_path), expect=2)
    assert "disaggregation" in res.stderr and "requests_per_s" in res.stderr


def test_capacity_units_of_pools_are_integers():
    d = _pd("a", 2, 3.2, "prefill", 1)
    assert capacity_units(d) == 3200


def test_prefill_and_decode_pair_only_within_one_card_family_and_engine():
    """Prefill replicas on one bid's cards and decode replicas on another's: a KV cache cannot move
    between engines or vendors' stacks, so the split serves only when both sides share a pool."""
    from optimizer.plan.optimize import solve_min_cost

    terms = {k: terms_of(k, vendor=f"v-{k}", cards_per_server=8, price_rmb=10 * RMB_100K, available=2) for k in ("a", "b")}
    prefill, decode = _pd("a", 8, 10, "prefill", 1), _pd("b", 8, 10, "decode", 2)
    scenario = plan_scenario(terms, 10).model_copy(update={"disaggregation": True})
    assert solve_min_cost(scenario, [prefill, decode], terms)[1] is not None       # same (stand-in) family and engine
    decode.perf.family = "amd-cdna3"  # type: ignore[misc]
    assert solve_min_cost(scenario, [prefill, decode], terms)[1] is None           # another vendor's stack: no pairing


def test_an_engine_that_serves_one_server_per_replica_gets_no_split_and_no_multi_server_replica():
    """ATOM v0.1.5 documents single-server serving only (catalog/engines.yaml max_servers_per_replica: 1,
    no pd-disaggregation): on r1_pd_split the MI300X bid (ATOM) is sized on replicas of at most one
    8-card server, colocated, while the H200 bid (SGLang) still gets its prefill/decode pools."""
    from optimizer.plan.designs import enumerate_designs

    problem = resolved(load(REPO / "scenarios" / "r1_pd_split.yaml"))
    designs, _ = enumerate_designs(problem)
    atom = [d for d in designs if d.offer_id == "mi300x-8x"]
    assert atom and all(d.cards <= 8 and d.role == "colocated" for d in atom)
    assert {d.role for d in designs if d.offer_id == "h200-8x"} >= {"prefill", "decode"}
    assert any(d.cards > 8 for d in designs if d.offer_id == "h200-8x")
