"""What a published run's free text says, parsed into typed fields (optimizer/calibration/rows.py):
negations, benchmark clients' default lengths, launch-flag limits, draft tokens; and the wait at a
split system's prefill instances."""

from __future__ import annotations

import pytest

from optimizer.calibration.predict_rows import _prefill_pool_wait, predict_row
from optimizer.calibration.rows import (
    CalibrationRow,
    load_rows,
    parse_allreduce_codec,
    parse_length_share,
    parse_lengths,
    parse_limits,
    parse_mode,
    parse_speculative,
)


def test_negated_speculation_and_pd_are_none():
    """'no MTP', 'non-MTP', 'MTP not stated' and 'no PD disaggregation' mean what they say (v2 read the
    word MTP or PD disaggregation and turned 69 plain runs into MTP runs, 12 bursts into PD splits)."""
    assert not parse_speculative("ATOM nightly", "-tp 8 (FP8 KV cache, TP8, no EP, no MTP).").active
    assert not parse_speculative("SGLang v0.5.12", "no speculative decoding (non-MTP family dsr1)").active
    assert not parse_speculative("MindIE", "tp/ep = decode instance. MTP not stated.").active
    assert not parse_speculative("OmniInfer", "OMNI_PD_HYBRID=1; no MTP/speculative decoding.").active
    assert not parse_speculative("SGLang (Ascend NPU backend)", "Qwen3-32B BF16, no EAGLE3, conc 1").active
    assert not parse_speculative("SGLang (Ascend NPU backend)", "BF16 cell, without EAGLE-3").active
    assert parse_speculative("SGLang (Ascend NPU backend)", "W8A8, EAGLE3 with 3 steps").method == "eagle3"
    assert not parse_speculative("ATOM (branch build)", "--ignore-eos; MTP no; PD split no").active
    assert parse_speculative("ATOM", "--method mtp; MTP normal").active  # 'no' only as a word of its own
    notes = "PD-hybrid: prefill and decode alternated, no PD disaggregation), BURST of 1024 requests"
    assert parse_mode("OmniInfer", notes, "ttft_ms") == "burst"
    assert parse_mode("SGLang; PD disaggregation", "decode over 2 nodes", "tpot_ms") == "pd"


def test_draft_tokens_from_launch_flags():
    """--num-speculative-tokens 3 (vLLM, ATOM) or 'MTP3' drafts 3 and verifies 4 tokens per step;
    with no stated acceptance DeepSeek's MTP accepts 0.8 per draft: 1 + 0.8 + 0.64 + 0.512 = 2.952."""
    spec = parse_speculative("ATOM main; MTP3", "--method mtp --num-speculative-tokens 3")
    assert (spec.method, spec.draft_tokens) == ("mtp", 4)
    assert spec.accept_len == pytest.approx(2.952)
    assert parse_speculative("ATOM main (April 2026); MTP3", "").draft_tokens == 4


def test_benchmark_clients_default_lengths():
    """vLLM's client samples random lengths in [L (1 - r), L (1 + r)] with r = 0 by default: fixed
    lengths unless a ratio is given; a ratio stated a few words after the flag is read; SGLang's
    bench_serving default (0.0 there is [1, L]) stays uniform."""
    assert parse_lengths("Bench: vllm bench serve random 3584/1536 --ignore-eos.") == "fixed"
    assert parse_lengths("vllm bench serve random dataset --random-range-ratio 0.8") == "narrow"
    assert parse_lengths("--random-range-ratio from the InferenceX config (0.8 in this harness)") == "narrow"
    assert parse_lengths("sglang.bench_serving random dataset") == "uniform"
    assert parse_lengths("312 prompts at max-concurrency 78; fixed 3500/1500 per token totals") == "fixed"


def test_launch_flags_override_the_engine_limits():
    """vLLM-family --max-num-seqs / --max-num-batched-tokens are per data-parallel rank; SGLang's
    --max-running-requests is the server's total, split over its DP ranks (272 over 16: 17 each)."""
    assert parse_limits("--max-num-seqs 32 --max-model-len 4096 --max-num-batched-tokens 4096", 32) == (32, 4096)
    assert parse_limits("the server caps --max-running-requests 272", 16) == (17, None)
    assert parse_limits("--chunked-prefill-size -1 --max-prefill-tokens 49152", 1) == (None, 49152)
    assert parse_limits("defaults", 1) == (None, None)


def _pd_row(arrivals: str, notes: str, batch: int = 400, prompts: int | None = None) -> CalibrationRow:
    return CalibrationRow(
        model_id="deepseek-r1", card_id="ascend-910c", precision="int8", cards=16, tp=1, pp=1, ep=16, batch=batch,
        input_len=2048, output_len=2048, metric="ttft_ms", value=1.0, framework="SGLang; PD disaggregation",
        source="x", notes=notes, mode="pd", arrivals=arrivals, prompts=prompts,
    )


def test_a_stated_range_ratio_shortens_the_mean_lengths():
    """The SGLang, InferenceX and ATOM clients draw each length from [r L, L]: the mean is (1 + r) / 2
    of the nominal L, 0.9 at r = 0.8 (1024 nominal -> 922 on average; 8192 -> 7373). vLLM's client draws
    from [L (1 - r), L (1 + r)], mean L; a fixed run (r = 1) or an unstated ratio keeps the nominal."""
    assert parse_length_share("random dataset with random-range-ratio 0.8 (between 0.8x and 1x nominal)") == pytest.approx(0.9)
    assert parse_length_share("--random-range-ratio from the InferenceX config (0.8 in this harness)") == pytest.approx(0.9)
    assert parse_length_share("sglang bench_serving --random-range-ratio 0.5") == pytest.approx(0.75)
    assert parse_length_share("vllm bench serve random dataset --random-range-ratio 0.8") == 1.0
    assert parse_length_share("ISL 3200 / OSL 800 fixed (range_ratio 1)") == 1.0
    assert parse_length_share("sglang.bench_serving random dataset") == 1.0
    row = CalibrationRow(
        model_id="m", card_id="c", precision="fp8", cards=8, tp=8, pp=1, ep=1, batch=4, input_len=8192,
        output_len=1024, metric="ttft_ms", value=1.0, framework="", source="", notes="", length_share=0.9,
    )
    assert (row.mean_input_len, row.mean_output_len) == (7373, 922)
    narrow = [r for r in load_rows() if r.lengths == "narrow"]
    assert narrow and all(r.length_share == pytest.approx(0.9) for r in narrow)


@pytest.mark.parametrize(("mode", "metric", "cards"), [
    ("closed", "ttft_ms", 8), ("closed", "output_tok_s", 8), ("burst", "ttft_ms", 8), ("prefill-only", "prefill_tok_s_per_card", 8),
    ("decode-only", "tpot_ms", 8), ("pd", "ttft_ms", 16), ("pd", "output_tok_s", 16),
])
def test_a_row_is_predicted_at_its_mean_lengths(mode, metric, cards):
    """A run whose client drew lengths from [0.8 L, L] is predicted as the run of the mean lengths
    (7373 in / 922 out for 8192 / 1024) on every path a row can take: closed loop, burst, prefill only,
    decode only and a prefill/decode split (its prefill instances and the hand-over too); and it is not
    the run of the nominal lengths (prefill tokens/s moves least: the prefill is nearly linear in them)."""
    base = dict(
        model_id="deepseek-r1", card_id="h200", precision="fp8", cards=cards, tp=8, pp=1, ep=1, batch=32,
        metric=metric, value=1.0, framework="SGLang", source="s", notes="", engine="sglang", arrivals="clustered",
        lengths="narrow", mode=mode,
    )
    drawn = predict_row(CalibrationRow(input_len=8192, output_len=1024, length_share=0.9, **base)).predicted
    mean = predict_row(CalibrationRow(input_len=7373, output_len=922, **base)).predicted
    nominal = predict_row(CalibrationRow(input_len=8192, output_len=1024, **base)).predicted
    assert drawn is not None and mean is not None and nominal is not None
    assert drawn == pytest.approx(mean, rel=1e-12)
    assert drawn != pytest.approx(nominal, rel=1e-9)


def test_quantized_all_reduce_from_the_launch_environment():
    """AMD QuickReduce is switched on by an environment variable (aiter's for ATOM and SGLang with ATOM,
    vLLM's and SGLang's on ROCm); only INT4 has a measured speed in the catalog, so other codecs read as
    unstated (the engine's own choice), and the shipped rows that state INT4 (the ATOM Qwen3-235B recipe,
    SGLang-ATOM's dashboard, vLLM with ATOM's plugin in ATOM's CI and vLLM's ROCm image in InferenceX) carry it."""
    assert parse_allreduce_codec("launch -tp 8, AITER_QUICK_REDUCE_QUANTIZATION=INT4, QK-norm fusion") == "int4"
    assert parse_allreduce_codec("env VLLM_ROCM_QUICK_REDUCE_QUANTIZATION: int4") == "int4"
    assert parse_allreduce_codec("ROCM_QUICK_REDUCE_QUANTIZATION=INT4 python -m sglang.launch_server") == "int4"
    assert parse_allreduce_codec("AITER_QUICK_REDUCE_QUANTIZATION=INT8") is None
    assert parse_allreduce_codec("ATOM nightly, -tp 8, no env") is None
    flagged = {(r.dataset, r.engine) for r in load_rows() if r.allreduce_codec == "int4"}
    assert flagged == {("calibration_2026d", "atom"), ("calibration_2026c", "sglang-atom"), ("calibration_2026g", "vllm-atom"),
                       ("calibration_2026g", "vllm")}


def test_prefill_pool_wait_by_hand():
    """2 prefill instances, 0.5 s of occupancy per prompt, decode pool serving 3 requests/s:
    - fixed lengths, no rate cap: waves of 400 prompts, 200 per instance, (200 - 1) / 2 x 0.5 = 49.75 s;
    - a --request-rate 2 cap (or random lengths): arrivals at min(3, 2) = 2/s against a capacity of
      2 / 0.5 = 4/s, rho 0.5, M/D/1 wait 0.5 / (2 x 0.5) x 0.5 = 0.25 s;
    - 10/s demanded of 4/s capacity: the pool saturates; users queue in front of it: 400 / 4 -
      2,047 x 0.04 s of decode = 18.12 s."""
    assert _prefill_pool_wait(_pd_row("synchronized", ""), 2, 0.5, 3.0, 0.04) == pytest.approx(49.75)
    assert _prefill_pool_wait(_pd_row("synchronized", "request rate 2/s cap"), 2, 0.5, 3.0, 0.04) == pytest.approx(0.25)
    assert _prefill_pool_wait(_pd_row("random", ""), 2, 0.5, 2.0, 0.04) == pytest.approx(0.25)
    assert _prefill_pool_wait(_pd_row("random", ""), 2, 0.5, 10.0, 0.04) == pytest.approx(400 / 4 - 2047 * 0.04)


def test_prefill_pool_wait_opens_with_a_wave():
    """The random-lengths run above issuing 1,600 prompts (4 x its 400 users): its first 400 arrive
    at once and wait the wave's 49.75 s, the other 1,200 the steady 0.25 s: 400 / 1,600 x 49.75 +
    1,200 / 1,600 x 0.25 = 12.625 s. A rate cap paces the opening too: the steady wait stays."""
    assert _prefill_pool_wait(_pd_row("random", "", prompts=1600), 2, 0.5, 2.0, 0.04) == pytest.approx(12.625)
    assert _prefill_pool_wait(_pd_row("random", "request rate 2/s cap", prompts=1600), 2, 0.5, 3.0, 0.04) == pytest.approx(0.25)
    assert _prefill_pool_wait(_pd_row("random", "", prompts=None), 2, 0.5, 2.0, 0.04) == pytest.approx(0.25)


def test_a_saturated_pool_waits_longer_than_the_opening_wave():
    """10/s demanded of the 4/s the two instances serve, decode 1 ms a token: users queue in front of
    the pool, 400 / 4 - 2,047 x 0.001 = 97.953 s, longer than the opening wave's 49.75 s; every prompt
    of the run waits the steady 97.953 s (an opening can only add to a wait, never shorten it)."""
    assert _prefill_pool_wait(_pd_row("random", "", prompts=1600), 2, 0.5, 10.0, 0.001) == pytest.approx(97.953)


def test_unstated_layouts_are_flagged():
    """Rows whose source gives neither tp nor ep (MindIE and vLLM-Ascend on A2 in calibration_2026d)
    carry layout_stated False; every other row states its split."""
    unstated = [r for r in load_rows() if not r.layout_stated]
    assert {(r.dataset, r.index) for r in unstated} == {("calibration_2026d", i) for i in (9, 10, 11, 12)}
