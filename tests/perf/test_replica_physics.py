"""Performance-model physics, pinned by hand arithmetic (DESIGN.md sections 3 and 6)."""

from __future__ import annotations

import itertools

import pytest

from optimizer import units
from optimizer.arch import count_params, kv_bytes_per_token
from optimizer.catalog.bundle import load_catalog
from optimizer.catalog.records import load_cards, load_models
from optimizer.errors import InvalidParallelism, UnsupportedPrecision
from optimizer.perf import memory as perf
from optimizer.perf.evaluate import evaluate, evaluate_max_batch
from optimizer.perf.replica import Parallelism
from optimizer.perf.step import distinct_experts

CATALOG = load_catalog()

MODELS = load_models()
CARDS = load_cards()
R1 = MODELS["deepseek-r1"]
L70 = MODELS["llama-3.1-70b"]
L8 = MODELS["llama-3.1-8b"]


# ---------------------------------------------------------------------------------------------
# Units


def test_network_gigabits_to_bytes():
    """400 Gb/s / 8 bits per byte = 50 GB/s = 50e9 B/s."""
    assert units.gbps_to_bytes_per_s(400) == 50e9


def test_gb_is_decimal():
    assert units.BYTES_PER_GB == 1e9
    assert units.gb_to_bytes(1) == 1e9
    assert units.bytes_to_gb(2_684_354_560) == pytest.approx(2.68435456)
    assert units.gbs_to_bytes_per_s(3350) == 3.35e12
    assert units.tflops_to_flops(989) == 989e12


# ---------------------------------------------------------------------------------------------
# KV cache


def test_deepseek_r1_kv_bytes_per_token_mla():
    """MLA latent: 61 layers x (kv_lora_rank 512 + rope 64) x 2 B = 61 x 576 x 2 = 70,272 B/token."""
    assert kv_bytes_per_token(R1, 2.0) == 70_272
    assert kv_bytes_per_token(R1, 1.0) == 35_136


def test_llama_70b_kv_cache_at_8k_context():
    """GQA: 2 (K,V) x 80 layers x 8 KV heads x 128 head_dim x 2 B = 327,680 B/token;
    x 8,192 tokens (4,096 in + 4,096 out) x batch 1 = 2,684,354,560 B = 2.684 GB (seed 004: 2.68 GB)."""
    assert kv_bytes_per_token(L70, 2.0) == 327_680
    r = evaluate(CATALOG, L70, CARDS["h100-sxm"], "bf16", Parallelism(tp=1), 1, 4096, 4096)
    assert r.memory.kv_cache_gb == pytest.approx(2.68435456, rel=1e-9)
    assert r.memory.kv_cache_gb == pytest.approx(2.68, abs=0.005)


def test_deepseek_r1_kv_at_batch_32_is_25x_below_seed_000():
    """Seed 000 treats R1 as MHA over hidden_size: 61 x 32 x 4096 x 2 x 7168 x 2 B
    = 229,243,879,424 B ~ 229 GB. With MLA: 32 x 4,096 x 70,272 = 9,210,691,584 B ~ 9.21 GB,
    24.9x less. Checked on one card (tp 1) so the whole latent is on it."""
    r = evaluate(CATALOG, R1, CARDS["h200"], "fp8", Parallelism(tp=1), 32, 3584, 512)  # context 4,096
    seed_000_gb = 61 * 32 * 4096 * 2 * 7168 * 2 / 1e9
    assert seed_000_gb == pytest.approx(229.24, abs=0.01)
    assert r.memory.kv_cache_gb == pytest.approx(9.2, rel=0.01)
    assert r.memory.kv_cache_gb == pytest.approx(9.210691584, rel=1e-9)
    assert 24 < seed_000_gb / r.memory.kv_cache_gb < 26


def test_kv_per_card_split_by_tp_for_gqa_not_for_mla():
    """GQA heads split over TP (327,680 / 8 = 40,960 B per card at tp 8); at tp 16 > 8 KV heads each
    rank keeps one replicated head (2 x 80 x 1 x 128 x 2 = 40,960). The MLA latent stays whole: 70,272."""
    assert perf.kv_bytes_per_token_per_card(L70, 2.0, Parallelism(tp=8)) == 40_960
    assert perf.kv_bytes_per_token_per_card(L70, 2.0, Parallelism(tp=16)) == 40_960
    assert perf.kv_bytes_per_token_per_card(R1, 2.0, Parallelism(tp=8)) == 70_272


# ---------------------------------------------------------------------------------------------
# Weights and memory fit


def test_deepseek_r1_bf16_does_not_fit_16_ascend_910b2():
    """Seed 002 divided by TP twice (20.97 GB per card) and called this feasible.
    R1 has 671,026,404,352 parameters x 2 B = 1,342.05 GB in BF16; / 16 cards = 83.88 GB per card.
    With pp 2 the heaviest stage holds 31 of 61 layers plus the larger of embedding/LM head:
    85.25 GB (+1.6%). The card's 64 GB are binary: 64 x 2^30 B = 68.72 GB. Under vLLM-Ascend usable
    capacity is 68.72 x 0.9 = 61.85 GB; under the default SGLang-Ascend, 68.72 GB less its 10.74 GB
    reservation = 57.98 GB for weights and KV: it fits neither."""
    total_gb = count_params(R1).total * 2 / 1e9
    assert total_gb == pytest.approx(1342, rel=0.001)
    r = evaluate(CATALOG, R1, CARDS["ascend-910b2"], "bf16", Parallelism(tp=8, pp=2), 1, 2048, 512, engine="vllm-ascend")
    assert r.cards == 16
    assert r.memory.weights_gb == pytest.approx(1342 / 16, rel=0.02)
    assert r.memory.capacity_gb == pytest.approx(64 * 2**30 / 1e9 * 0.9)
    default = evaluate(CATALOG, R1, CARDS["ascend-910b2"], "bf16", Parallelism(tp=8, pp=2), 1, 2048, 512)
    assert default.memory.capacity_gb - default.memory.overhead_gb == pytest.approx(64 * 2**30 / 1e9 - 10.74)
    assert default.fits is False
    assert r.memory.fits is False
    assert r.fits is False


def test_deepseek_r1_fp8_fits_8_h200():
    """671.03 GB of FP8 weights / 8 = 83.88 GB per card, under the H200's 143,771 MiB (as nvidia-smi
    reports it) = 150.75 GB less SGLang's 10.74 GB reservation = 140.01 GB usable."""
    r = evaluate(CATALOG, R1, CARDS["h200"], "fp8", Parallelism(tp=8), 1, 2048, 2048)
    assert r.memory.weights_gb == pytest.approx(671.026404352 / 8, rel=1e-6)
    assert r.memory.capacity_gb - r.memory.overhead_gb == pytest.approx(143_771 * 2**20 / 1e9 - 10.74)
    assert r.memory.fits is True


def test_tensorrt_llm_gives_the_kv_cache_a_share_of_the_free_memory():
    """DeepSeek-R1 FP8 on 4 x B200 (InferenceX runs it under TensorRT-LLM): 671.03 GB / 4 = 167.76 GB of
    weights per card on a card whose driver reports 183,359 MiB = 192.27 GB. TensorRT-LLM gives the KV
    cache 90 % of what is free after weights, activations (a) and the 3 GB runtime: 0.9 x (192.27 -
    167.76 - a - 3) = 0.9 x (21.51 - a) GB; vLLM's rule, 90 % of the whole card less the same, leaves
    173.04 - 170.76 - a = 2.28 - a GB. With a = 0.62 GB: 18.80 GB against 1.66, 11 times the KV cache."""
    card = CARDS["b200"]
    trt = evaluate(CATALOG, R1, card, "fp8", Parallelism(tp=4), 1, 1024, 1024, kv_precision="fp8", engine="tensorrt-llm")
    vllm = evaluate(CATALOG, R1, card, "fp8", Parallelism(tp=4), 1, 1024, 1024, kv_precision="fp8", engine="vllm")
    mem = 183_359 * 2**20 / 1e9
    assert trt.memory.weights_gb == pytest.approx(671.026404352 / 4, rel=1e-6) and mem == pytest.approx(192.27, abs=0.01)
    a = trt.memory.activations_gb
    room = trt.memory.capacity_gb - trt.memory.weights_gb - a - trt.memory.overhead_gb
    assert room == pytest.approx(0.9 * (mem - 671.026404352 / 4 - a - 3.0))
    vllm_room = vllm.memory.capacity_gb - vllm.memory.weights_gb - vllm.memory.activations_gb - vllm.memory.overhead_gb
    assert vllm_room == pytest.approx(0.9 * mem - 671.026404352 / 4 - vllm.memory.activations_gb - 3.0)
    assert 10 < room / vllm_room < 12


@pytest.mark.parametrize("card_id", ["a100-80g-sxm", "ascend-910b2"])
def test_fp8_on_card_without_fp8_units_is_unsupported(card_id: str):
    with pytest.raises(UnsupportedPrecision):
        evaluate(CATALOG, L70, CARDS[card_id], "fp8", Parallelism(tp=8), 1, 1024, 256)


@pytest.mark.parametrize("card_id", ["a100-80g-sxm", "ascend-910b2"])
def test_bf16_on_card_without_fp8_costs_twice_the_fp8_weights(card_id: str):
    """Seed 003's rule: an FP8 model on a card without FP8 units runs as BF16, 2 B vs 1 B per param."""
    bf16 = evaluate(CATALOG, L70, CARDS[card_id], "bf16", Parallelism(tp=8), 1, 1024, 256)
    fp8 = evaluate(CATALOG, L70, CARDS["h100-sxm"], "fp8", Parallelism(tp=8), 1, 1024, 256)
    assert bf16.compute_precision == "bf16"
    assert bf16.memory.weights_gb == pytest.approx(2 * fp8.memory.weights_gb, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# MoE


@pytest.mark.parametrize(
    ("batch", "expected", "tol"),
    [(1, 8.0, 1e-9), (32, 163.0, 1.0), (64, 222.0, 1.0)],
)
def test_distinct_experts(batch: int, expected: float, tol: float):
    """256 x (1 - (1 - 8/256)^b): b=1 -> 8; b=32 -> 256 x (1 - 0.96875^32) = 163.3; b=64 -> 222.4."""
    assert distinct_experts(256, 8, batch) == pytest.approx(expected, abs=tol)


def test_distinct_experts_saturates_at_256():
    """b=256: 256 x (1 - 0.96875^256) = 255.92; never above the expert count."""
    assert distinct_experts(256, 8, 256) >= 255.9
    assert distinct_experts(256, 8, 4096) <= 256


# ---------------------------------------------------------------------------------------------
# Decode: bottleneck and TP scaling


def test_dense_70b_decode_memory_bound_at_batch_1_compute_bound_at_512():
    """Llama-3.1-70B BF16 on 8 x H100 (141 GB weights / 8 = 17.6 GB read per step per card): at batch
    1 the step reads all weights for 2 x 70.6 GFLOP of work, so memory dominates; at batch 512 the
    FLOPs grow 512x while weight traffic does not, so compute dominates."""
    card = CARDS["h100-sxm"]
    small = evaluate(CATALOG, L70, card, "bf16", Parallelism(tp=8), 1, 128, 128)
    large = evaluate(CATALOG, L70, card, "bf16", Parallelism(tp=8), 512, 128, 128)
    assert small.fits and large.fits
    assert small.bottleneck == "memory"
    assert large.bottleneck == "compute"


def test_tpot_falls_with_tp_on_nvlink():
    """On an NVLink switch the weight read splits over TP while each all-reduce stays cheap."""
    tpots = []
    for tp in (1, 2, 4, 8):
        r = evaluate(CATALOG, L8, CARDS["h100-sxm"], "bf16", Parallelism(tp=tp), 1, 1024, 256)
        assert r.fits, tp
        tpots.append(r.tpot_s)
    assert tpots == sorted(tpots, reverse=True)
    assert len(set(tpots)) == 4


def test_tp8_is_not_the_fastest_over_pcie():
    """On RTX 4090s the all-reduces go through PCIe and the host, paying a hop per peer: past some TP
    the communication outgrows the saved weight read, so TP 8 is slower than the best TP."""
    tpots = {}
    for tp in (1, 2, 4, 8):
        r = evaluate(CATALOG, L8, CARDS["rtx-4090"], "bf16", Parallelism(tp=tp), 1, 1024, 256)
        assert r.fits, tp
        tpots[tp] = r.tpot_s
    assert tpots[8] > min(tpots.values())
    assert min(tpots, key=tpots.get) != 8


# ---------------------------------------------------------------------------------------------
# Parallelism validation


def test_tp_not_dividing_heads_is_invalid():
    with pytest.raises(InvalidParallelism) as exc:
        evaluate(CATALOG, L70, CARDS["h100-sxm"], "bf16", Parallelism(tp=3), 1, 1024, 256)
    assert exc.value.where == "--tp"


def test_ep_on_dense_model_is_invalid():
    with pytest.raises(InvalidParallelism) as exc:
        evaluate(CATALOG, L8, CARDS["h100-sxm"], "bf16", Parallelism(tp=1, ep=2), 1, 1024, 256)
    assert exc.value.where == "--ep"


# ---------------------------------------------------------------------------------------------
# Serving


def test_batch_1_ttft_is_prefill_and_tpot_is_decode_step():
    """With one request there is no queue: TTFT = prefill alone + the engine's front end (HTTP,
    tokenizer, admission), TPOT = one decode step."""
    r = evaluate(CATALOG, L70, CARDS["h100-sxm"], "fp8", Parallelism(tp=4), 1, 2048, 256)
    assert r.factors is not None
    assert r.ttft_s == pytest.approx(r.prefill.total_s + r.factors.ttft_overhead_ms / 1e3, rel=1e-12)
    assert r.tpot_s == pytest.approx(r.decode.total_s, rel=1e-12)


def test_throughput_rises_with_batch():
    values = []
    for batch in (1, 2, 4, 8, 16, 32, 64):
        r = evaluate(CATALOG, L8, CARDS["h100-sxm"], "bf16", Parallelism(tp=1), batch, 1024, 256)
        assert r.fits, batch
        values.append(r.output_tokens_per_s)
    assert all(b > a for a, b in itertools.pairwise(values)), values


def test_max_batch_fits_and_one_more_does_not():
    """Llama-3.1-70B FP8 on 2 x H100 with 8,192-token contexts is KV-limited well below the
    default engine's running-sequence cap (SGLang on Hopper: 2048): the batch is set by memory."""
    from optimizer.perf.replica import make_replica

    card, par = CARDS["h100-sxm"], Parallelism(tp=2)
    best = evaluate_max_batch(CATALOG, L70, card, "fp8", par, 4096, 4096)
    cap = make_replica(CATALOG, L70, card, "fp8", par).engine.max_running_seqs
    assert cap > best.batch > 1  # KV-limited: more than one sequence, fewer than the cap
    assert best.fits
    assert not evaluate(CATALOG, L70, card, "fp8", par, best.batch + 1, 4096, 4096).fits


def test_max_batch_respects_engine_cap():
    card, par = CARDS["h100-sxm"], Parallelism(tp=4)
    uncapped = evaluate_max_batch(CATALOG, L70, card, "fp8", par, 4096, 4096)
    capped = evaluate_max_batch(CATALOG, L70, card, "fp8", par, 4096, 4096, max_running_seqs=8)
    assert uncapped.batch > 8
    assert capped.batch == 8
    assert capped.fits


def test_prefill_occupancy_spreads_over_all_cards_but_never_exceeds_one_prompt():
    """One card: a prompt occupies the replica for its whole prefill. EP8 with TP1 (eight attention
    groups): prompts overlap, but each still needs its routed-expert FLOPs on the shared experts,
    so the occupancy is at least the prompt's total FLOPs spread over the 8 cards:
    2 x (37.55e9 - 2 x 0.927e9) params x 3200 tokens / (8 x 1979e12 x MFU)."""
    from optimizer.perf.replica import make_replica
    from optimizer.perf.serving import prefill_occupancy
    from optimizer.perf.step import prefill_step

    l8, h100 = CATALOG.model("llama-3.1-8b"), CATALOG.card("h100-sxm")
    r = make_replica(CATALOG, l8, h100, "bf16", Parallelism())
    single = prefill_step(r, 2000)
    assert prefill_occupancy(r, 2000, single) == pytest.approx(single.total_s)

    r1, h200 = CATALOG.model("deepseek-r1"), CATALOG.card("h200")
    r = make_replica(CATALOG, r1, h200, "fp8", Parallelism(tp=1, ep=8))
    single = prefill_step(r, 3200)
    occ = prefill_occupancy(r, 3200, single)
    floor = 2 * (37.55e9 - 2 * 0.927e9) * 3200 / (8 * 1979e12 * r.factors.mfu_prefill)
    assert floor * 0.98 <= occ <= single.total_s
    assert occ > single.total_s / 8  # not simply divided by the eight attention groups


def test_an_expert_parallel_width_that_does_not_divide_the_experts_holds_redundant_slots():
    """DeepSeek-R1 (256 routed experts, 58 MoE layers of 44,040,192 params each) at EP24 on three
    8-card servers: ceil(256 / 24) = 11 expert slots per card (264 in all, 8 of them redundant
    copies), so a card holds 11/256 of the routed params, 58 x 11 x 44,040,192 = 28.10e9, where EP32
    holds exactly 1/32 (8 slots) and TP8 x EP16 (data-parallel attention) 16 slots, 1/16. At TP8 x
    EP2 the two groups of 128 experts are each TP-sliced over 4 cards: 128/256 / 4 = 1/8. An EP
    wider than the expert count is refused."""
    from optimizer.perf.replica import Parallelism, check_parallelism

    assert Parallelism(tp=1, ep=24).routed_share(256) == pytest.approx(11 / 256)
    assert Parallelism(tp=1, ep=32).routed_share(256) == pytest.approx(1 / 32)
    assert Parallelism(tp=8, ep=16).routed_share(256) == pytest.approx(1 / 16)
    assert Parallelism(tp=8, ep=2).routed_share(256) == pytest.approx(1 / 8)
    assert 58 * 11 * 44_040_192 == pytest.approx(28.10e9, rel=1e-3)
    model = load_catalog().model("deepseek-r1")
    check_parallelism(model, Parallelism(tp=1, ep=24))
    with pytest.raises(InvalidParallelism):
        check_parallelism(model, Parallelism(tp=1, ep=512))
