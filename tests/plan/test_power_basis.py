"""Server power: the offer's stated wall power, else card TDP plus the host overhead; TCO energy at
the duty cycle; the checker's own arithmetic agrees; the report says which basis it used."""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT, load, resolved

from optimizer import pipeline
from optimizer.check import verify_plan
from optimizer.report.decision import power_basis

BIDS = REPO_ROOT / "scenarios" / "r1_bids_h200_910b_mi300x.yaml"


def _variant(**objective):  # type: ignore[no-untyped-def]
    s = load(BIDS)
    return s.model_copy(update={"objective": s.objective.model_copy(update=objective)})


def test_host_overhead_and_duty_cycle_by_hand():
    """8 x 700 W H200 + 25 % host overhead = 7,000 W; over 3 years at 50 % duty, PUE 1.3 and RMB 1 per
    kWh: 7.0 kW x 1.3 x (8,760 h x 3 x 0.5) x 1 = 9.1 x 13,140 = RMB 119,574 per server."""
    s = _variant(kind="tco", years=3, rmb_per_kwh=1.0, pue=1.3, host_overhead_pct=25, duty_cycle=0.5)
    terms = resolved(s).terms["h200-8x"]
    assert terms.power_w_per_server == pytest.approx(7000.0)
    assert terms.energy_rmb_per_server == 119_574


def test_stated_wall_power_wins_over_tdp():
    s = load(BIDS)
    offers = [o.model_copy(update={"server_power_w": 10_200.0}) if o.id == "h200-8x" else o for o in s.offers]
    s = s.model_copy(update={"offers": offers, "objective": s.objective.model_copy(update={"host_overhead_pct": 50})})
    terms = resolved(s).terms
    assert terms["h200-8x"].power_w_per_server == 10_200.0
    assert terms["mi300x-8x"].power_w_per_server == pytest.approx(8 * 750 * 1.5)


def test_checker_agrees_with_the_solver_under_overhead_and_duty():
    s = _variant(kind="tco", years=5, rmb_per_kwh=0.7, pue=1.25, host_overhead_pct=40, duty_cycle=0.6)
    result = pipeline.solve(resolved(s))
    assert result.plans
    assert verify_plan(result.plans[0], resolved(s)) == []
    assert result.plans[0].cost_rmb > result.plans[0].capex_rmb   # energy is counted


def test_report_names_the_power_basis():
    result = pipeline.solve(resolved(_variant(kind="tco", years=3, rmb_per_kwh=1.0, duty_cycle=0.5)))
    text = power_basis(result, ["h200-8x"])
    assert "8 × 700 W card TDP + 0 % host overhead" in text and "Card power only" in text
    assert "Energy at 50% duty and PUE 1.3" in text
    s = result.scenario
    offers = [o.model_copy(update={"server_power_w": 10_200.0}) for o in s.offers]
    stated = pipeline.solve(resolved(s.model_copy(update={"offers": offers})))
    text = power_basis(stated, ["h200-8x"])
    assert "h200-8x 10.2 kW (the offer's stated wall power)" in text and "Card power only" not in text
