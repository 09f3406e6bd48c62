"""A p90 SLA solved and checked independently: the checker recomputes the percentile latency from
the performance model with the p90 prompt, and does not trust the latencies a design stores."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import pytest
from conftest import resolved
from ortools.sat.python import cp_model

from optimizer import pipeline, units
from optimizer.catalog.bundle import load_catalog
from optimizer.check import verify_plan
from optimizer.perf.evaluate import evaluate_replica
from optimizer.perf.replica import make_replica
from optimizer.plan.optimize import status_of
from optimizer.plan.result import has_plan
from optimizer.scenario import Scenario

CATALOG = load_catalog()


def _llama8b_p90(ttft_ms: float = 5000, tpot_ms: float = 200) -> Scenario:
    """tests/plan/test_constraints_and_diagnosis.py's llama-3.1-8b pair, with a p90 SLA and a p90 prompt 3x the mean,
    sized at the central estimate (the model's own latencies: the p90 arithmetic is what is pinned here)."""
    return Scenario.model_validate({
        "name": "llama8b-pair-p90",
        "model": "llama-3.1-8b",
        "precisions": ["bf16"],
        "workload": {"input_tokens": 1000, "input_tokens_p90": 3000, "output_tokens": 200, "load": {"concurrent_users": 20}},
        "sla": {"ttft_ms": ttft_ms, "tpot_ms": tpot_ms, "statistic": "p90", "confidence": 0.5},
        "offers": [
            {"id": "h200-8x", "vendor": "vendor-h", "card": "h200", "price_rmb_per_server": 1_500_000, "available_servers": 2},
            {"id": "l40s-8x", "vendor": "vendor-l", "card": "l40s", "price_rmb_per_server": 400_000, "available_servers": 2},
        ],
        "search": {"ranked_plans": 2},
    })


@pytest.fixture(scope="module")
def solved():
    scn = _llama8b_p90()
    return scn, pipeline.solve(resolved(scn))  # the pipeline checks every plan; a failing one raises


def _p90_by_hand(scn: Scenario, result, design) -> tuple[float, float]:
    """The p90 latency from the perf model, written out here: the p90 prompt's prefill plus its
    queueing wait x ln(1 / (1 - 0.9)); TPOT of the longer of the two prompts (central estimate,
    confidence factors aside)."""
    p = design.perf
    offer = next(o for o in scn.offers if o.id == design.offer_id)
    from optimizer.catalog.records import load_cards

    r = make_replica(CATALOG, result.model, load_cards()[offer.card], p.precision, p.parallelism, scn.kv_precision,
                     cards_per_server=offer.cards_per_server)
    w = scn.workload
    mean = evaluate_replica(r, p.batch, w.input_tokens, w.output_tokens, context_len=w.context_tokens)
    tail = evaluate_replica(r, p.batch, w.input_tokens_p90, w.output_tokens, context_len=w.context_tokens)
    ttft = tail.prefill_s + (tail.ttft_s - tail.prefill_s) * math.log(10)
    return units.s_to_ms(ttft), units.s_to_ms(max(mean.tpot_s, tail.tpot_s))


def test_p90_scenario_solves_and_passes_the_independent_check(solved):
    scn, result = solved
    assert result.plans, result.diagnosis
    for plan in result.plans:
        assert verify_plan(plan, resolved(scn)) == []
    d = result.plans[0].groups[0].design
    ttft_ms, tpot_ms = _p90_by_hand(scn, result, d)
    # The design's p90 TTFT is the hand-derived one, and above the mean's.
    assert d.ttft_ms == pytest.approx(ttft_ms) and d.ttft_ms <= scn.sla.ttft_ms
    assert d.tpot_ms == pytest.approx(tpot_ms) and d.tpot_ms <= scn.sla.tpot_ms
    assert ttft_ms > units.s_to_ms(d.perf.ttft_s)


def test_checker_catches_a_faked_low_percentile_latency(solved):
    """Mutation: tighten the TTFT SLA just below the design's true p90 TTFT (still above its mean
    TTFT) and store a faked low p90 latency in the design. A checker that trusted the stored value
    would pass it; this one recomputes the p90 and reports the breach."""
    scn, result = solved
    plan = result.plans[0]
    d = plan.groups[0].design
    ttft_p90, _ = _p90_by_hand(scn, result, d)
    mean_ttft = units.s_to_ms(d.perf.ttft_s)
    tight_ttft = (ttft_p90 + mean_ttft) / 2  # a p90 SLA the mean meets but the real p90 does not
    assert mean_ttft < tight_ttft < ttft_p90
    tight = scn.model_copy(update={"sla": scn.sla.model_copy(update={"ttft_ms": tight_ttft})})
    faked = dataclasses.replace(d, ttft_ms=1.0, tpot_ms=1.0)
    groups = tuple(dataclasses.replace(g, design=faked) if g.design is d else g for g in plan.groups)
    problems = verify_plan(dataclasses.replace(plan, groups=groups), resolved(tight))
    assert any(d.key in p and "TTFT" in p and "p90" in p for p in problems), problems


@pytest.mark.parametrize(("code", "status"), [
    (cp_model.OPTIMAL, "optimal"), (cp_model.FEASIBLE, "feasible"),
    (cp_model.INFEASIBLE, "infeasible"), (cp_model.UNKNOWN, "unknown"), (cp_model.MODEL_INVALID, "unknown"),
])
def test_solver_status_in_words(code, status):
    """A time-out (CP-SAT UNKNOWN: no solution, no proof) is "unknown", never "infeasible"."""
    assert status_of(code) == status
    assert has_plan(status_of(code)) == (status in ("optimal", "feasible"))


def test_a_time_out_reports_unknown_and_is_not_diagnosed(monkeypatch):
    """A solver given no time at all stops with UNKNOWN: the result's status is "unknown", with no
    plan and no infeasibility diagnosis."""
    from optimizer.plan import optimize, solve

    real = optimize.new_solver
    monkeypatch.setattr(optimize, "new_solver", lambda time_limit_s=0.0: _no_time(real))
    result = solve.solve(resolved(_llama8b_p90()))
    assert result.status == "unknown"
    assert result.plans == () and result.diagnosis is None


def _no_time(real: Callable[[], cp_model.CpSolver]) -> cp_model.CpSolver:
    s = real()
    s.parameters.max_time_in_seconds = 0.0
    s.parameters.max_deterministic_time = 0.0
    return s
