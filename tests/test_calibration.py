"""Predictions against the published measurements in catalog/calibration.csv."""

from __future__ import annotations

import pytest

from optimizer.calibration import load_rows, median_abs_error_pct, predict_all
from optimizer.specs import load_cards, load_models


@pytest.fixture(scope="module")
def predictions():
    return predict_all()


def test_calibration_file_has_rows():
    assert len(load_rows()) >= 20


def test_every_shipped_row_is_predicted(predictions):
    cards, models = load_cards(), load_models()
    missed = [
        f"{p.row.model_id}/{p.row.card_id}/{p.row.metric}: {p.skipped}"
        for p in predictions
        if p.row.card_id in cards and p.row.model_id in models and p.predicted is None
    ]
    assert missed == []


def test_skipped_rows_name_the_reason(predictions):
    cards, models = load_cards(), load_models()
    for p in predictions:
        if p.predicted is not None:
            continue
        assert p.skipped
        if p.row.card_id not in cards:
            assert p.row.card_id in p.skipped, p.skipped
        elif p.row.model_id not in models:
            assert p.row.model_id in p.skipped, p.skipped


def test_gb200_rows_are_skipped(predictions):
    gb200 = [p for p in predictions if p.row.card_id == "gb200"]
    assert gb200
    assert all(p.predicted is None and "gb200" in (p.skipped or "") for p in gb200)


def test_median_error_within_fidelity_target(predictions):
    """The issue's fidelity target over calibration.csv (the reference set, as received): median
    |error| <= 20% for throughput and TPOT."""
    summary = median_abs_error_pct(predictions, "calibration")
    assert summary["output_tok_s"] <= 20, summary
    assert summary["tpot_ms"] <= 20, summary


def test_added_rows_do_not_regress(predictions):
    """calibration_added.csv (early-2025 DeepSeek-R1 on 8 x H200 from the same benchmark as the
    reference MI300X rows; Qwen3-8B on 910B2 and Llama-3.1-70B on MI300X) is fitted too; a regression
    guard a little above the error measured when the rows were added (14.4% throughput, 12.2% TPOT)."""
    summary = median_abs_error_pct(predictions, "calibration_added")
    assert summary["output_tok_s"] <= 25, summary
    assert summary["tpot_ms"] <= 20, summary


def test_reference_file_is_the_copy_received():
    """calibration.csv is the reference set unchanged; the project's own rows live in
    calibration_added.csv, so each row's provenance stays clear."""
    rows = load_rows()
    datasets = {r.dataset for r in rows}
    assert datasets == {"calibration", "calibration_added"}
    added = [r for r in rows if r.dataset == "calibration_added"]
    assert added and all(r.source.startswith("https://") and len(r.notes) > 40 for r in added)
