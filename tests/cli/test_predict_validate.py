"""`procure predict` and `procure validate`, run as real subprocesses."""

from __future__ import annotations

import json

import pytest

R1_H200 = (
    "predict", "--model", "deepseek-r1", "--card", "h200", "--precision", "fp8", "--tp", "8",
    "--input-len", "2048", "--output-len", "512", "--json",
)


def _one_paragraph_error(stderr: str) -> None:
    text = stderr.strip()
    assert text.startswith("error: "), stderr
    assert "\n\n" not in text, stderr
    assert "Traceback" not in stderr


def test_predict_json_has_the_breakdown(procure):
    """KV stays BF16 by default: 61 x (512 + 64) x 2 = 70,272 B per token."""
    result = procure(*R1_H200, "--batch", "32", expect=0)
    out = json.loads(result.stdout)
    assert out["fits"] is True
    assert out["batch"] == 32
    assert set(out["memory_gb_per_card"]) >= {"weights", "kv_cache", "activations", "overhead", "total", "capacity"}
    mem = out["memory_gb_per_card"]
    assert mem["total"] <= mem["capacity"]
    assert out["kv_precision"] == "bf16"
    assert out["kv_bytes_per_token"] == 70272
    for key in ("prefill_ms", "ttft_ms", "tpot_ms", "output_tokens_per_s"):
        assert out[key] > 0, key
    assert out["bottleneck"] in {"memory", "compute", "communication"}


def test_predict_batch_max_reports_the_batch(procure):
    out = json.loads(procure(*R1_H200, "--batch", "max", expect=0).stdout)
    assert out["batch"] > 1
    assert out["fits"] is True


def test_predict_design_that_does_not_fit_exits_3_with_its_breakdown(procure):
    """Issue 10: a replica that does not fit is an infeasible answer (exit 3), still printed in full."""
    result = procure(
        "predict", "--model", "deepseek-r1", "--card", "ascend-910b2", "--precision", "bf16", "--tp", "8", "--json",
        expect=3,
    )
    out = json.loads(result.stdout)
    assert out["fits"] is False
    assert out["memory_gb_per_card"]["total"] > out["memory_gb_per_card"]["capacity"]


def test_predict_fp8_on_a100_is_bad_input(procure):
    result = procure(
        "predict", "--model", "deepseek-r1", "--card", "a100-80g-sxm", "--precision", "fp8", "--tp", "8", expect=2
    )
    _one_paragraph_error(result.stderr)
    assert "fp8" in result.stderr.lower()
    assert "a100-80g-sxm" in result.stderr


def test_predict_unknown_card_is_named(procure):
    result = procure("predict", "--model", "llama-3.1-8b", "--card", "zz-9000-imaginary", expect=2)
    _one_paragraph_error(result.stderr)
    assert "zz-9000-imaginary" in result.stderr


def test_predict_tp_not_dividing_heads(procure):
    result = procure("predict", "--model", "llama-3.1-70b", "--card", "h100-sxm", "--tp", "3", expect=2)
    _one_paragraph_error(result.stderr)
    assert "--tp" in result.stderr


def test_validate_prints_median_error(procure):
    """The table shows the lengths each row is predicted at: a run whose client drew [0.8 L, L] reads
    ~922/922 for 1k/1k (0.9 x 1024 = 921.6), with the legend; the JSON keeps the stated lengths beside
    the mean ones."""
    result = procure("validate", expect=0)
    assert "median absolute error" in result.stdout
    assert " ~922/922 " in result.stdout and "~ lengths: the mean of the lengths" in result.stdout
    rows = json.loads(procure("validate", "--json", expect=0).stdout)["rows"]
    assert any((r["input_len"], r["mean_input_len"], r["mean_output_len"]) == (1024, 922, 922) for r in rows)


def test_validate_json(procure):
    out = json.loads(procure("validate", "--json", expect=0).stdout)
    summary = out["summary"]["median_abs_error_pct"]
    assert {"output_tok_s", "tpot_ms"} <= set(summary)
    assert out["summary"]["predicted"] > 0


def test_predict_json_carries_the_10_90_band_of_its_cell(procure):
    """The band is the cross-validated error band of the replica's (family, engine, model class)
    at its concurrency, applied to its own prediction."""
    from optimizer.calibration.bands import load_bands
    from optimizer.catalog.bundle import load_catalog

    band = load_bands(load_catalog()).band

    out = json.loads(procure(
        "predict", "--model", "deepseek-r1", "--card", "h200", "--precision", "fp8", "--tp", "8", "--batch", "64",
        "--input-len", "1024", "--output-len", "1024", "--json", expect=0,
    ).stdout)
    assert out["engine"] == "sglang"
    tpot = out["band_10_90"]["tpot_ms"]
    lo, hi = band("nvidia-hopper", "sglang", "moe", "tpot_ms", concurrency=64).apply(out["tpot_ms"])
    # the JSON rounds the TPOT it applies the band to
    assert (tpot["low"], tpot["high"]) == (pytest.approx(lo, rel=1e-4), pytest.approx(hi, rel=1e-4))
    assert all(b["low"] < b["high"] for b in out["band_10_90"].values())


def test_validate_filters_by_card_family_and_names_an_unknown_card(procure):
    """--family keeps the rows of that family's cards only; --card one card; a misspelt card is exit 2
    with the nearest id."""
    from optimizer.catalog.records import load_cards

    cards = load_cards()
    every = json.loads(procure("validate", "--json", expect=0).stdout)["rows"]
    ascend = json.loads(procure("validate", "--json", "--family", "huawei-ascend", expect=0).stdout)["rows"]
    assert ascend and len(ascend) < len(every)
    assert {r["card_id"] for r in ascend} <= {c for c, spec in cards.items() if spec.family == "huawei-ascend"}
    h200 = json.loads(procure("validate", "--json", "--card", "h200", expect=0).stdout)["rows"]
    assert h200 and {r["card_id"] for r in h200} == {"h200"}
    assert len(h200) == sum(1 for r in every if r["card_id"] == "h200")
    bad = procure("validate", "--card", "h2000", expect=2)
    assert "--card" in bad.stderr and "did you mean 'h200'" in bad.stderr


def test_progress_eta_from_the_pace_so_far():
    """3 of 12 steps in 45 s: 15 s a step, 9 left = 135 s = 2 min 15 s."""
    from optimizer.cli.app import eta_text

    assert eta_text(45.0, 3, 12) == ", about 2 min 15 s left"
    assert eta_text(10.0, 1, 3) == ", about 20 s left"
    assert eta_text(5.0, 0, 3) == "" and eta_text(5.0, 3, 3) == ""
