"""Solver rules added after review: owned hardware, distinct alternatives, capex-only budget,
memory sized at the longest context, the MoE efficiency choice."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from plan_factories import plan_scenario, stand_in_design, terms_of

from optimizer.scenario import load_scenario, scenario_efficiency
from optimizer.solve import build_plan_model, offer_terms, solve, solve_designs
from optimizer.specs import load_efficiency

REPO = Path(__file__).resolve().parents[1]


def test_owned_servers_never_grow_when_availability_is_relaxed():
    """One owned server (free) and a paid offer: relaxing availability may buy more paid servers,
    never more of the owned ones."""
    owned = dataclasses.replace(terms_of("mine", available=1, price_rmb=1), owned=True)  # ~free
    paid = terms_of("paid", vendor="vendor-b", available=1, price_rmb=1_000_000)
    terms = {"mine": owned, "paid": paid}
    designs = [stand_in_design("mine", 8, 10), stand_in_design("paid", 8, 10)]
    scn = plan_scenario(terms, 60)
    _, solver, v = solve_designs(scn, designs, terms, relax=frozenset({"availability"}))
    assert solver.value(v.servers["mine"]) == 1
    assert solver.value(v.servers["paid"]) == 5  # 60 users, 10 per server, one free server
    v = build_plan_model(scn, designs, terms, with_assumptions=True)
    assert v.server_ub["mine"] == 1


def test_ranked_alternatives_are_not_the_best_plan_plus_servers():
    result = solve(load_scenario(REPO / "scenarios" / "r1_bids_h200_910b_mi300x.yaml"))
    best = result.plans[0].servers
    assert len(result.plans) >= 2
    for plan in result.plans[1:]:
        contains_best = all(plan.servers.get(oid, 0) >= n for oid, n in best.items())
        assert not contains_best, (plan.rank, plan.servers, best)
        assert plan.cost_rmb >= result.plans[0].cost_rmb


def test_budget_caps_purchase_price_not_energy():
    """Under a TCO objective the budget is capex: a plan whose purchase fits the budget but whose
    purchase + energy does not is still allowed."""
    scn = load_scenario(REPO / "scenarios" / "llama3_70b_single_user.yaml")
    tco = scn.model_copy(update={"objective": scn.objective.model_copy(update={"kind": "tco", "years": 3, "rmb_per_kwh": 1.0})})
    free = solve(tco)
    plan = free.plans[0]
    assert plan.cost_rmb > plan.capex_rmb  # energy is counted in the objective
    capped = tco.model_copy(update={"constraints": tco.constraints.model_copy(update={"budget_rmb": plan.capex_rmb})})
    again = solve(capped)
    assert again.plans and again.plans[0].cost_rmb == plan.cost_rmb
    too_low = tco.model_copy(update={"constraints": tco.constraints.model_copy(update={"budget_rmb": plan.capex_rmb - 1})})
    assert solve(too_low).objective_rmb != plan.cost_rmb


def test_memory_of_every_design_is_sized_at_the_longest_context():
    scn = load_scenario(REPO / "scenarios" / "r1_chatbot.yaml")
    assert scn.workload.context_tokens > scn.workload.input_tokens + scn.workload.output_tokens
    result = solve(scn)
    for g in result.plans[0].groups:
        p = g.design.perf
        per_card_kv = p.memory.kv_cache_gb * 1e9
        seqs_per_group = -(-p.batch // p.parallelism.attention_dp)
        # MLA latent, not split by TP: ceil(61 / PP) layers of the heaviest stage x 576 x 2 bytes per token
        layers = -(-61 // p.parallelism.pp)
        assert per_card_kv == pytest.approx(seqs_per_group * scn.workload.context_tokens * layers * 576 * 2, rel=1e-9)
        assert p.memory.fits


def test_moe_adjustment_is_the_same_for_every_vendor():
    from optimizer.specs import get_card, get_model

    eff = load_efficiency()
    r1, llama = get_model("deepseek-r1"), get_model("llama-3.1-70b")
    for card_id in ("h200", "mi300x", "ascend-910b2"):
        card = get_card(card_id)
        dense, moe = eff.for_model(card, llama), eff.for_model(card, r1)
        assert moe.mbu == pytest.approx(dense.mbu * eff.moe.mbu_scale)
        assert moe.mfu_decode == pytest.approx(dense.mfu_decode * eff.moe.mfu_scale)
        assert moe.step_overhead_ms == pytest.approx(dense.step_overhead_ms + eff.moe.step_overhead_ms_add)


def test_dense_moe_efficiency_never_costs_more_and_reports_its_counterpart():
    scn = load_scenario(REPO / "scenarios" / "r1_chatbot.yaml")
    assert scn.moe_efficiency == "fitted"
    fitted = solve(scn)
    dense = solve(scn.model_copy(update={"moe_efficiency": "dense"}))
    assert dense.plans[0].cost_rmb <= fitted.plans[0].cost_rmb
    assert fitted.moe_counterpart is not None and fitted.moe_counterpart.cost_rmb == dense.plans[0].cost_rmb
    assert scenario_efficiency(scn.model_copy(update={"moe_efficiency": "dense"})).moe.mfu_scale == 1.0
    assert offer_terms(scn) == fitted.terms
