"""Performance model v2: speculative decoding, engine profiles, cross-validation, error bands."""

from __future__ import annotations

import pytest

from optimizer import bands, fit
from optimizer.calibration import load_rows, predict_row, source_key
from optimizer.efficiency import Speculative, engine_for_framework, load_efficiency
from optimizer.perf import Parallelism, decode_pool, evaluate
from optimizer.specs import load_cards, load_models

CARDS, MODELS = load_cards(), load_models()


def test_accept_len_1_is_no_speculation():
    """A draft that is never accepted emits one token per step: the same replica as no speculation."""
    args = (MODELS["llama-3.1-8b"], CARDS["h100-sxm"], "bf16", Parallelism(), 16, 1024, 256)
    plain = evaluate(*args)
    spec1 = evaluate(*args, spec=Speculative(method="mtp", accept_len=1.0))
    assert spec1.tpot_s == plain.tpot_s and spec1.output_tokens_per_s == plain.output_tokens_per_s


def test_tpot_at_accept_len_2_is_the_verify_step_over_two_tokens():
    """accept_len 2 with 2 draft tokens: each step verifies 2 tokens per sequence after one draft
    pass and emits 2 on average, so the decode-only TPOT is step / 2; at batch 1 on one H100 the
    8B model is bandwidth-bound, so the verify step costs far less than two plain steps."""
    args = (MODELS["llama-3.1-8b"], CARDS["h100-sxm"], "bf16", Parallelism(), 1, 1024, 256)
    plain = evaluate(*args)
    spec = evaluate(*args, spec=Speculative(method="eagle3", accept_len=2.0, draft_tokens=2))
    assert decode_pool(spec).tpot_s == pytest.approx(spec.decode.total_s / 2)
    assert plain.decode.total_s < spec.decode.total_s < 2 * plain.decode.total_s
    assert spec.tpot_s < plain.tpot_s


def test_every_shipped_framework_maps_to_an_engine():
    unmapped = sorted({r.framework for r in load_rows() if r.engine is None})
    assert unmapped == []
    assert engine_for_framework("SGLang v0.4.3.post2 (CUDA, early 2025)") == "sglang-0.4"
    assert engine_for_framework("SGLang v0.5.12 (lmsysorg/sglang:v0.5.12-cu130)") == "sglang"
    assert engine_for_framework("vLLM v0.11.0 (default flags)") == "vllm"
    assert engine_for_framework("vLLM 0.6.3") == "vllm-v0"
    assert engine_for_framework("TensorRT-LLM v0.14.0 (trtllm-bench, engine build)") == "tensorrt-llm-0.x"
    assert engine_for_framework("some new server") is None


def test_an_unmapped_framework_is_skipped_with_its_reason():
    row = next(r for r in load_rows() if r.engine is not None)
    import dataclasses

    p = predict_row(dataclasses.replace(row, engine=None, framework="my-server 1.0"))
    assert p.predicted is None and "maps to no engine profile" in (p.skipped or "")


def test_cross_validation_never_fits_on_the_rows_it_predicts():
    rows = fit.fit_rows(load_rows())[:60]
    seen: list[tuple[set[str], set[str]]] = []
    base = load_efficiency()

    def spy(train, base_, *, start=None, max_nfev=0):  # type: ignore[no-untyped-def]
        seen.append(({source_key(r) for r in train}, set()))
        return fit.FitResult(base_, [], 0.0, 0)

    preds = fit.leave_one_source_out(rows, base, base, fitter=spy)
    sources = sorted({source_key(r) for r in rows})
    assert len(seen) == len(sources) >= 2
    for (train_sources, _), src in zip(seen, sources):
        assert src not in train_sources
    assert [(p.row.dataset, p.row.index) for p in preds] == [(r.dataset, r.index) for r in rows]


def test_band_of_a_thin_cell_is_wider_than_of_a_rich_one(monkeypatch):
    """Same spread of errors in both cells, 40 rows against 2: the thin cell leans on the pooled
    errors (wider here) and keeps more of the pooled width."""
    rich = [bands.Residual("fam-a", "eng", "dense", "tpot_ms", e) for e in [-0.1, 0.1] * 20]
    thin = [bands.Residual("fam-b", "eng", "dense", "tpot_ms", e) for e in (-0.1, 0.1)]
    wide = [bands.Residual("fam-c", "eng", "dense", "tpot_ms", e) for e in [-0.8, 0.8] * 20]
    monkeypatch.setattr(bands, "load_residuals", lambda: (*rich, *thin, *wide))
    bands._band.cache_clear()
    try:
        a = bands.band("fam-a", "eng", "dense", "tpot_ms")
        b = bands.band("fam-b", "eng", "dense", "tpot_ms")
        unseen = bands.band("fam-b", "other", "dense", "tpot_ms")
        assert b.high_factor / b.low_factor > a.high_factor / a.low_factor
        assert unseen.high_factor / unseen.low_factor > b.high_factor / b.low_factor
        assert "never measured" in unseen.widened
    finally:
        bands._band.cache_clear()
