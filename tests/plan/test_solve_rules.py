"""Solver rules added after review: owned hardware, distinct alternatives, capex-only budget,
memory sized at the longest context, the MoE efficiency choice."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import load, resolved
from plan_factories import plan_scenario, stand_in_design, terms_of

from optimizer.pipeline import solve
from optimizer.plan.model import build_plan_model
from optimizer.plan.optimize import new_solver, solve_designs

REPO = Path(__file__).resolve().parents[2]


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
    result = solve(resolved(load(REPO / "scenarios" / "r1_bids_h200_910b_mi300x.yaml")))
    best = result.plans[0].servers
    assert len(result.plans) >= 2
    for plan in result.plans[1:]:
        contains_best = all(plan.servers.get(oid, 0) >= n for oid, n in best.items())
        assert not contains_best, (plan.rank, plan.servers, best)
        assert plan.cost_rmb >= result.plans[0].cost_rmb


def test_budget_caps_purchase_price_not_energy():
    """Under a TCO objective the budget is capex: a plan whose purchase fits the budget but whose
    purchase + energy does not is still allowed."""
    scn = load(REPO / "scenarios" / "llama3_70b_single_user.yaml")
    tco = scn.model_copy(update={"objective": scn.objective.model_copy(update={"kind": "tco", "years": 3, "rmb_per_kwh": 1.0})})
    free = solve(resolved(tco))
    plan = free.plans[0]
    assert plan.cost_rmb > plan.capex_rmb  # energy is counted in the objective
    capped = tco.model_copy(update={"constraints": tco.constraints.model_copy(update={"budget_rmb": plan.capex_rmb})})
    again = solve(resolved(capped))
    assert again.plans and again.plans[0].cost_rmb == plan.cost_rmb
    too_low = tco.model_copy(update={"constraints": tco.constraints.model_copy(update={"budget_rmb": plan.capex_rmb - 1})})
    assert solve(resolved(too_low)).objective_rmb != plan.cost_rmb


def test_memory_of_every_design_is_sized_at_the_longest_context():
    scn = load(REPO / "scenarios" / "r1_chatbot.yaml")
    assert scn.workload.context_tokens > scn.workload.input_tokens + scn.workload.output_tokens
    result = solve(resolved(scn))
    for g in result.plans[0].groups:
        p = g.design.perf
        per_card_kv = p.memory.kv_cache_gb * 1e9
        seqs_per_group = -(-p.batch // p.parallelism.attention_dp)
        # MLA latent, not split by TP: ceil(61 / PP) layers of the heaviest stage x 576 x 2 bytes per token
        layers = -(-61 // p.parallelism.pp)
        assert per_card_kv == pytest.approx(seqs_per_group * scn.workload.context_tokens * layers * 576 * 2, rel=1e-9)
        assert p.memory.fits


def test_central_estimate_never_costs_more_than_the_confident_plan():
    """Designs at confidence 0.5 meet the SLAs with the central prediction; at 0.8 with the upper
    quantile of their band (>= the central one), so the confident plan can only cost more."""
    scn = load(REPO / "scenarios" / "r1_chatbot.yaml")
    assert scn.sla.confidence == 0.8
    fitted = solve(resolved(scn))
    central = solve(resolved(scn.model_copy(update={"sla": scn.sla.model_copy(update={"confidence": 0.5})})))
    assert central.plans[0].cost_rmb <= fitted.plans[0].cost_rmb
    assert fitted.central_plan is not None and fitted.central_plan.cost_rmb == central.plans[0].cost_rmb
    assert central.central_plan is None
    assert resolved(scn).terms == fitted.terms


def test_the_search_stops_on_deterministic_time_not_the_wall_clock():
    """A search cut short must stop at the same point however loaded the machine is: the limit
    that binds is CP-SAT's deterministic time (7 units here), the wall clock a looser guard."""
    solver = new_solver(7.0)
    assert solver.parameters.max_deterministic_time == 7.0
    assert solver.parameters.max_time_in_seconds > 7.0
