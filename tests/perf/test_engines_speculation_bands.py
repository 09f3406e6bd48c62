"""Performance model v2: speculative decoding, engine profiles, cross-validation, error bands."""

from __future__ import annotations

import pytest

from optimizer.calibration import fit
from optimizer.calibration.predict_rows import predict_row
from optimizer.calibration.rows import load_rows, source_key
from optimizer.catalog.bundle import load_catalog
from optimizer.catalog.efficiency import Speculative, engine_for_framework, load_efficiency
from optimizer.catalog.records import load_cards, load_models
from optimizer.perf.disagg import decode_pool
from optimizer.perf.evaluate import evaluate
from optimizer.perf.replica import Parallelism

CATALOG = load_catalog()

CARDS, MODELS = load_cards(), load_models()


def test_accept_len_1_is_no_speculation():
    """A draft that is never accepted emits one token per step: the same replica as no speculation."""
    args = (MODELS["llama-3.1-8b"], CARDS["h100-sxm"], "bf16", Parallelism(), 16, 1024, 256)
    plain = evaluate(CATALOG, *args)
    spec1 = evaluate(CATALOG, *args, spec=Speculative(method="mtp", accept_len=1.0))
    assert spec1.tpot_s == plain.tpot_s and spec1.output_tokens_per_s == plain.output_tokens_per_s


def test_tpot_at_accept_len_2_is_the_verify_step_over_two_tokens():
    """accept_len 2 with 2 draft tokens: each step verifies 2 tokens per sequence after one draft
    pass and emits 2 on average, so the decode-only TPOT is step / 2; at batch 1 on one H100 the
    8B model is bandwidth-bound, so the verify step costs far less than two plain steps."""
    args = (MODELS["llama-3.1-8b"], CARDS["h100-sxm"], "bf16", Parallelism(), 1, 1024, 256)
    plain = evaluate(CATALOG, *args)
    spec = evaluate(CATALOG, *args, spec=Speculative(method="eagle3", accept_len=2.0, draft_tokens=2))
    assert decode_pool(spec).tpot_s == pytest.approx(spec.decode.total_s / 2)
    assert plain.decode.total_s < spec.decode.total_s < 2 * plain.decode.total_s
    assert spec.tpot_s < plain.tpot_s


def test_every_shipped_framework_maps_to_an_engine():
    unmapped = sorted({r.framework for r in load_rows() if r.engine is None})
    assert unmapped == []
    assert engine_for_framework("SGLang v0.4.3.post2 (CUDA, early 2025)") == "sglang-0.4"
    assert engine_for_framework("SGLang v0.5.12 (lmsysorg/sglang:v0.5.12-cu130)") == "sglang"
    # SGLang on AMD is its ROCm build, whatever the image tag; the ATOM backend and the 2025 line win first.
    assert engine_for_framework("SGLang v0.5.9 (sglang:v0.5.9-rocm700-mi30x)") == "sglang-rocm"
    assert engine_for_framework("SGLang 0.5.7 (ROCm build on MI300X)") == "sglang-rocm"
    assert engine_for_framework("SGLang v0.5.10 + ATOM model backend (rocm/atom-dev)") == "sglang-atom"
    assert engine_for_framework("SGLang (ROCm, early 2025)") == "sglang-0.4"
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


def test_cross_validation_on_a_sample_leaves_out_only_the_named_sources():
    """A benchmark's sample (fit_basins.py): one fold per named source, trained without it, and only
    that source's rows predicted, in row order."""
    rows = fit.fit_rows(load_rows())[:60]
    sources = sorted({source_key(r) for r in rows})
    trained: list[set[str]] = []

    def spy(train, base_, *, start=None, max_nfev=0):  # type: ignore[no-untyped-def]
        trained.append({source_key(r) for r in train})
        return fit.FitResult(base_, [], 0.0, 0)

    base = load_efficiency()
    preds = fit.leave_one_source_out(rows, base, base, fitter=spy, sources=[sources[-1]])
    assert trained == [set(sources[:-1])]
    assert [(p.row.dataset, p.row.index) for p in preds] == [
        (r.dataset, r.index) for r in rows if source_key(r) == sources[-1]]


def test_a_cold_fold_starts_from_no_data():
    """benchmarks/fit_efficiency.py --cold starts every fold at the prior centre: the pooled
    factors at their stated priors (not at the full fit, which saw the held-out source) and no
    family or engine effect."""
    base = load_efficiency()
    cold = fit.prior_centre(base)
    assert cold.pooled == base.prior_pooled != base.pooled
    assert cold.families == {} and cold.engines == {}
    assert base.families and base.engines


def _stated_factors():
    """Pooled factors set to round values, no family or engine effects: MBU 0.8, decode MFU 0.5,
    expert-stream share 0.5, expert GEMMs at the full MFU, 2 ms per step, 50 us per MoE layer (links: Hopper's 8 us, 80 %)."""
    from optimizer.catalog.efficiency import GlobalFactors

    eff = load_efficiency()
    pooled = GlobalFactors(mbu=0.8, mfu_decode=0.5, mfu_attention=0.5, mfu_prefill=0.5, expert_bw=0.5, expert_mfu=1.0, step_overhead_ms=2.0,
                           moe_layer_us=50.0, ttft_overhead_ms=100.0, front_end_pace_ms=100.0, wave_share=0.5)
    return eff.model_copy(update={"pooled": pooled, "families": {}, "engines": {}})


@pytest.mark.parametrize(("batch", "expected_ms"), [(1, 7.7694), (64, 45.68)])
def test_moe_decode_step_on_h200_by_hand(batch, expected_ms):
    """DeepSeek-R1 FP8 on 8 x H200, TP8 EP1, context 1,000 + 1,000 / 2 = 1,500 tokens, factors above.
    H200: 4,800 GB/s, FP8 1,979 / BF16 989 TFLOPS, NVLink 900 GB/s bidirectional (450 each way).
    Per card, one decode step of b sequences:
    - dense (attention projections, 3 dense FFNs, shared experts, LM head): 15,264,275,456 +
      926,679,040 = 16,190,954,496 params / 8 x 1 B = 2.024e9 B / (4.8e12 x 0.8) = 0.5271 ms (memory-bound;
      compute 2 x 16.19e9 x b / 8 / (1979e12 x 0.5) is 0.26 ms even at b = 64);
    - routed experts: 58 layers x touched(b) x 44,040,192 params / 8 x 1 B / (4.8e12 x 0.8 x 0.5);
      touched(1) = 8 -> 1.3304 ms; touched(64) = 256 (1 - (1 - 8/256)^64) = 222.44 -> 36.99 ms;
    - attention: KV b x 1,500 x 70,272 B / 3.84e12 = 0.02745 ms x b (the score FLOPs,
      2 x 128 x 1,088 x 1,500 x 61 / 8 x b at 494.5e12, are smaller);
    - TP all-reduce, 2 per layer x 61: 2 x 7/8 x b x 7,168 x 2 B / (450e9 x 0.8) + 8 us;
    - fixed: 2 ms + 58 x 50 us = 4.9 ms.
    b = 1: 0.5271 + 1.3304 + 0.0275 + 122 x 8.0697 us (0.9845) + 4.9 = 7.7694 ms.
    b = 64: 0.5271 + 36.99 + 1.757 + 122 x 12.46 us (1.520) + 4.9 = 45.70 ms."""
    r1, h200 = MODELS["deepseek-r1"], CARDS["h200"]
    assert (h200.mem_bw_gbs, h200.dense_tflops["fp8"], h200.scaleup.bidir_gbs_per_card) == (4800, 1979, 900)
    perf = evaluate(CATALOG, r1, h200, "fp8", Parallelism(tp=8), batch, 1000, 1000, efficiency=_stated_factors(), engine="sglang")
    touched = 256 * (1 - (1 - 8 / 256) ** batch)
    by_hand = (
        16_190_954_496 / 8 / (4.8e12 * 0.8)
        + 58 * touched * 44_040_192 / 8 / (4.8e12 * 0.8 * 0.5)
        + batch * 1500 * 70_272 / (4.8e12 * 0.8)
        + 122 * (2 * 7 / 8 * batch * 7168 * 2 / (450e9 * 0.8) + 8e-6)
        + 2e-3 + 58 * 50e-6
    )
    assert perf.decode.total_s == pytest.approx(by_hand, rel=1e-6)
    assert perf.decode.total_s * 1e3 == pytest.approx(expected_ms, rel=2e-3)


def test_speculative_tpot_at_accept_len_2_by_hand():
    """Llama-3.1-8B BF16 on one H100 (3,350 GB/s), batch 1, context 1,024 + 256 / 2 = 1,152, the
    factors above, EAGLE3 accept_len 2 with 2 draft tokens. Dense params (32 layers + LM head)
    8,030,261,248 - 525,336,576 embedding = 7,504,924,672 x 2 B = 15.01e9 B / (3.35e12 x 0.8) = 5.6007 ms;
    KV 1,152 x 131,072 B / 2.68e12 = 0.0563 ms; compute for 2 tokens (2 x 7.5e9 x 2 / (989e12 x 0.5)
    = 0.0607 ms) stays under the weight read. Fixed 2 ms. One draft pass = one of 32 layers of
    the verify-free step (5.6007 + 0.0563) / 32 = 0.1768 ms plus the LM head 525,336,576 x 2 B /
    2.68e12 = 0.3921 ms, and a forward pass of its own: another 2 ms of fixed cost (v3; v2 charged
    the draft pass no fixed cost and gave 8.226 / 4.113 ms). Step = 5.6007 + 0.0563 + 0.1768 + 0.3921
    + 2 + 2 = 10.226 ms; decode-only TPOT = step / 2 = 5.113 ms."""
    from optimizer.arch import count_params

    l8, h100 = MODELS["llama-3.1-8b"], CARDS["h100-sxm"]
    p = count_params(l8)
    assert (p.embedding, p.lm_head) == (525_336_576, 525_336_576)
    perf = evaluate(CATALOG, l8, h100, "bf16", Parallelism(), 1, 1024, 256, efficiency=_stated_factors(), engine="vllm",
                    spec=Speculative(method="eagle3", accept_len=2.0, draft_tokens=2))
    bw = 3.35e12 * 0.8
    weights = (p.total - p.embedding) * 2 / bw
    kv = 1152 * 131_072 / bw
    draft = (weights + kv) / 32 + p.lm_head * 2 / bw
    step = weights + kv + draft + 2e-3 + 2e-3
    assert perf.decode.total_s == pytest.approx(step, rel=1e-6)
    assert decode_pool(perf).tpot_s == pytest.approx(step / 2, rel=1e-6)
    assert decode_pool(perf).tpot_s * 1e3 == pytest.approx(5.113, rel=2e-3)


def test_a_copy_with_other_factors_resolves_its_own():
    """The fit copies the shipped record with trial factors thousands of times: a copy must never
    answer with factors its original resolved."""
    eff = load_efficiency()
    before = eff.resolve("nvidia-hopper", "vllm")
    trial = _stated_factors()
    assert trial.resolve("nvidia-hopper", "vllm").mbu == pytest.approx(0.8)
    assert eff.resolve("nvidia-hopper", "vllm") == before


def test_vllm_lowers_its_limits_below_70_gib_and_on_a100():
    """vLLM V1 `vllm serve`: 1,024 sequences and 8,192 tokens per step on >= 70 GiB cards other than
    A100, else 256 and 2,048 (engines.yaml, from vllm/engine/arg_utils.py get_batch_defaults)."""

    vllm = CATALOG.engine("vllm")
    assert vllm.limits_for(80.0, "nvidia-hopper") == (1024, 8192)
    assert vllm.limits_for(48.0, "nvidia-ada") == (256, 2048)
    assert vllm.limits_for(80.0, "nvidia-ampere") == (256, 2048)
    assert CATALOG.engine("sglang").limits_for(48.0, "nvidia-ada") == (2048, 8192)


def test_pp_over_one_card_servers_hands_off_over_the_nic():
    """The offer's server size, not the catalog card's, decides the link: Qwen2.5-7B INT4 at PP4 on
    four one-card RTX 4090 servers crosses a server at each of its 3 stage boundaries. A decode step
    at batch 4 (micro-batch 1) hands 1 x 3,584 hidden x 2 B = 7,168 B over a 100 Gb/s NIC (12.5e9 B/s)
    at Ada's 70 % link efficiency plus 10 us NIC latency, three times:
    3 x (7,168 / 8.75e9 + 10e-6) = 32.46 us. In one 8-card server the same hand-offs go card to card
    over PCIe: 3 x (7,168 / (32e9 x 0.7) + 20e-6) = 60.96 us (PCIe latency 20 us per hop)."""
    from optimizer.perf.comm import pp_handoff_s as _pp_handoff_s
    from optimizer.perf.replica import make_replica

    q7, rtx = MODELS["qwen2.5-7b"], CARDS["rtx-4090"]
    assert (q7.hidden_size, rtx.nic_gbps_per_card, rtx.cards_per_server) == (3584, 100, 8)
    one_card = make_replica(CATALOG, q7, rtx, "int4", Parallelism(pp=4), cards_per_server=1)
    eight_card = make_replica(CATALOG, q7, rtx, "int4", Parallelism(pp=4))
    assert one_card.factors.link_efficiency == 0.7 and one_card.factors.collective_latency_us == 20
    assert _pp_handoff_s(one_card, 1.0) == pytest.approx(3 * (7168 / (12.5e9 * 0.7) + 10e-6), rel=1e-9)
    assert _pp_handoff_s(eight_card, 1.0) == pytest.approx(3 * (7168 / (32e9 * 0.7) + 20e-6), rel=1e-9)
    assert evaluate(CATALOG, q7, rtx, "int4", Parallelism(pp=4), 4, 1000, 200, cards_per_server=1).servers_spanned == 4


def test_closed_loop_at_batch_8_by_hand():
    """serve_closed_loop with prefill 50 ms, occupancy 40 ms, step 20 ms, batch 8, 101 output tokens,
    random arrivals, no front end: per request 0.04 + 100 x 0.02 / 8 = 0.29 s, so 1 / 0.29 = 3.448
    requests/s and 101 / 0.29 = 348.3 tokens/s; rho = 0.04 x 7/8 / 0.29 = 0.12069; wait = 0.01 + rho / (2 (1 - rho))
    x 0.04 = 0.012745 s; TTFT = 0.062745 s; lifetime 8 x 0.29 = 2.32 s; TPOT = (2.32 - 0.062745) / 100
    = 22.573 ms."""
    from optimizer.perf.serving import serve_closed_loop

    est = serve_closed_loop(0.05, 0.04, 0.02, 8, 101)
    assert est.requests_per_s == pytest.approx(1 / 0.29)
    assert est.output_tokens_per_s == pytest.approx(101 / 0.29)
    assert est.ttft_s == pytest.approx(0.062745, abs=1e-6)
    assert est.tpot_s == pytest.approx(0.0225725, abs=1e-7)


def test_gb200_tensor_parallel_stays_on_nvlink_across_compute_trays():
    """GB200 NVL72: 4 GPUs per compute tray, NVLink across the 72-GPU rack (scaleup.domain_cards).
    A TP8 all-reduce spans two trays but stays on NVLink (1,800 / 2 = 900 GB/s per card each way);
    an offer that splits the rack into 4-card servers gets the NIC."""
    from optimizer.perf.comm import link
    from optimizer.perf.replica import make_replica

    gb200, r1 = CARDS["gb200"], MODELS["deepseek-r1"]
    assert (gb200.cards_per_server, gb200.scaleup.domain_cards) == (4, 72)
    rack = make_replica(CATALOG, r1, gb200, "fp8", Parallelism(tp=8))
    trays = make_replica(CATALOG, r1, gb200, "fp8", Parallelism(tp=8), cards_per_server=2)
    bw, _ = link(rack, 8, collective="allreduce")
    assert bw == pytest.approx(900e9 * rack.factors.link_efficiency)
    nic_bw, _ = link(trays, 8, collective="allreduce")
    assert nic_bw == pytest.approx(gb200.nic_gbps_per_card / 8 * 1e9 * trays.factors.link_efficiency)
