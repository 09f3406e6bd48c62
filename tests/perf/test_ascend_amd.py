"""Performance model v3 on the bids beyond H200, by hand: the EP all-to-all across Atlas 800T A2
servers, one DeepSeek-R1 decode step on 32 x 910B2 (DP32/EP32, W8A8), one on 8 x MI300X (FP8, TP8)
under SGLang and under ATOM, and how an engine admits a closed loop (running cap, packed prefills).

Every test sets its factors here (`_stated`), so it pins the physics, not the fitted catalog."""

from __future__ import annotations

import math

import pytest
from perf_factories import stated_efficiency

from optimizer.catalog.bundle import load_catalog
from optimizer.catalog.efficiency import Efficiency, FitEffects, load_efficiency, to_link
from optimizer.catalog.records import load_cards, load_models
from optimizer.perf.comm import alltoall_s
from optimizer.perf.evaluate import evaluate
from optimizer.perf.replica import Parallelism, make_replica
from optimizer.perf.serving import serve_closed_loop
from optimizer.perf.step import decode_step, prefill_step

CATALOG = load_catalog()
CARDS, MODELS = load_cards(), load_models()

# DeepSeek-R1 (catalog/models): hidden 7,168; 61 layers, 58 MoE; 256 routed experts, top-8.
DENSE_PARAMS = 16_190_954_496   # attention, 3 dense FFNs, shared experts, router, norms + LM head
EXPERT_PARAMS = 44_040_192      # one routed expert: 3 x 7,168 x 2,048
MLA_FLOPS_PER_CTX = 2 * 128 * (512 + 64 + 512) * 61   # absorbed MLA decode: per token per context token


def _a2_ep32():
    r1, b2 = MODELS["deepseek-r1"], CARDS["ascend-910b2"]
    return make_replica(CATALOG, r1, b2, "int8", Parallelism(tp=1, ep=32), efficiency=stated_efficiency(), engine="omniinfer")


def test_atlas_800t_a2_links_are_the_card_file():
    """Atlas 800T A2: 8 x 910B2 on an HCCS full mesh (392 GB/s bidirectional over 7 peer links, so
    28 GB/s each way per pair, 196 GB/s to all 7 peers) and one 200GE RoCE port per NPU (25 GB/s)
    between servers (catalog/cards/ascend-910b2.yaml, provenance interconnect and nic)."""
    b2 = CARDS["ascend-910b2"]
    s = b2.scaleup
    assert (s.topology, s.bidir_gbs_per_card, s.mesh_links, b2.cards_per_server, b2.nic_gbps_per_card) == ("mesh", 392, 7, 8, 200)
    assert s.unidir_gbs_per_pair == pytest.approx(28.0)
    assert b2.dense_tflops["int8"] == 752 and b2.dense_tflops["bf16"] == 353.9 and b2.mem_bw_gbs == 1600


def test_ep32_all_to_all_across_four_a2_servers_by_hand():
    """DeepSeek-R1 decode at 32 tokens per card (DP32 attention, 1,024 sequences), EP32 over 4 A2
    servers. A dispatch sends each token to its 8 experts: 32 x 8 x 7,168 x 2 B = 3,670,016 B per
    card, 1/32 to each of the 32 cards under uniform routing:
    - 1/32 stays on the card;
    - 7/32 = 802,816 B go to the 7 peers in its server over HCCS: 196 GB/s x 0.7 = 137.2e9 B/s ->
      5.851 us + 15 us latency = 20.851 us;
    - 24/32 = 3/4 = 2,752,512 B go to the 24 cards of the other 3 servers over the card's own RoCE
      port: 25e9 x 0.7 = 17.5e9 B/s -> 157.286 us + 10 us NIC latency = 167.286 us.
    The two paths run at once: 167.286 us. Sending every byte at the NIC rate (the v2 model) took
    3,670,016 x 31/32 / 17.5e9 + 10 us = 213.163 us. Dispatch and combine on 58 MoE layers:
    116 x 167.286 us = 19.405 ms per step."""
    r = _a2_ep32()
    send = 32 * 8 * 7168 * 2
    assert send == 3_670_016
    local = send * 7 / 32 / (196e9 * 0.7) + 15e-6
    remote = send * 24 / 32 / (25e9 * 0.7) + 10e-6
    assert (local, remote) == (pytest.approx(20.851e-6, rel=1e-4), pytest.approx(167.286e-6, rel=1e-5))
    assert alltoall_s(r, 32, send) == pytest.approx(remote, rel=1e-12)
    assert alltoall_s(r, 32, send) < send * 31 / 32 / 17.5e9 + 10e-6 == pytest.approx(213.163e-6, rel=1e-5)
    # Inside one server (EP8) nothing changes: 7/8 over HCCS.
    assert alltoall_s(r, 8, send) == pytest.approx(send * 7 / 8 / (196e9 * 0.7) + 15e-6, rel=1e-12)
    assert 116 * alltoall_s(r, 32, send) == pytest.approx(19.405e-3, rel=1e-4)


def test_deepseek_decode_step_on_32_a2_cards_by_hand():
    """DeepSeek-R1 W8A8 on 32 x 910B2 (4 x Atlas 800T A2), DP32 attention / EP32, batch 1,024 (32 per
    card), context 128 + 1,024 / 2 = 640, BF16 KV, the factors above. Per card:
    - dense (attention projections, dense FFNs, shared experts, LM head; replicated by DP attention):
      16,190,954,496 x 1 B / (1.6e12 x 0.8) = 12.649 ms (INT8 compute 2 x 16.19e9 x 32 / (752e12 x 0.5)
      = 2.756 ms is below it);
    - routed experts: 1,024 tokens touch all 256 experts; 58 x 256 x 44,040,192 / 32 = 20.435e9 B /
      (1.6e12 x 0.8 x 0.5) = 31.934 ms (INT8 GEMMs: 2 x 58 x 8 x 44,040,192 x 1,024 / 32 / (752e12 x 0.5)
      = 3.478 ms);
    - MLA attention: KV 32 x 640 x 70,272 B = 1.439e9 B / 1.28e12 = 1.124 ms, but absorbed MLA decode
      is compute-bound on the 910B2: 2 x 128 x 1,088 x 640 x 61 x 32 = 3.4796e11 FLOPs at BF16
      353.9e12 x 0.5 = 1.9665 ms;
    - EP dispatch and combine: 116 x 167.286 us = 19.405 ms (test above); no TP all-reduce (TP1);
    - fixed: 2 ms + 58 x 50 us = 4.9 ms.
    Step = 12.649 + 31.934 + 1.9665 + 19.405 + 4.9 = 70.85 ms."""
    r1, b2 = MODELS["deepseek-r1"], CARDS["ascend-910b2"]
    perf = evaluate(CATALOG, r1, b2, "int8", Parallelism(tp=1, ep=32), 1024, 128, 1024, efficiency=stated_efficiency(), engine="omniinfer")
    assert perf.compute_precision == "int8" and perf.cards == 32 and perf.servers_spanned == 4
    touched = 256 * (1 - (1 - 8 / 256) ** 1024)
    dense = DENSE_PARAMS / (1.6e12 * 0.8)
    experts = 58 * touched * EXPERT_PARAMS / 32 / (1.6e12 * 0.8 * 0.5)
    attention = MLA_FLOPS_PER_CTX * 640 * 32 / (353.9e12 * 0.5)
    assert attention > 32 * 640 * 70_272 / (1.6e12 * 0.8)  # MLA decode: compute-bound on Ascend
    a2a = 116 * (3_670_016 * 24 / 32 / (25e9 * 0.7) + 10e-6)
    by_hand = dense + experts + attention + a2a + 2e-3 + 58 * 50e-6
    d = perf.decode
    assert d.communication_s == pytest.approx(a2a, rel=1e-9)
    assert d.overhead_s == pytest.approx(4.9e-3, rel=1e-9)
    assert d.busy_s == pytest.approx(dense + experts + attention, rel=1e-6)
    assert d.total_s == pytest.approx(by_hand, rel=1e-6)
    assert d.total_s * 1e3 == pytest.approx(70.85, rel=2e-3)


def test_decode_attention_runs_at_its_own_mfu():
    """The step above with decode attention kernels at 0.25 of the BF16 peak and the GEMMs still at
    0.5: the compute-bound MLA attention doubles, 3.4796e11 / (353.9e12 x 0.25) = 3.9329 ms, and
    nothing else moves: 70.85 - 1.9665 + 3.9329 = 72.82 ms. The dense and expert GEMMs stay below
    their weight streams at either MFU, so the compute time of the step (every operator's, bound or
    not) is where a GEMM timed at the attention MFU would show: it too moves by the attention alone."""
    eff = stated_efficiency()
    slow = eff.model_copy(update={"pooled": eff.pooled.model_copy(update={"mfu_attention": 0.25})})
    r1, b2 = MODELS["deepseek-r1"], CARDS["ascend-910b2"]
    args = (CATALOG, r1, b2, "int8", Parallelism(tp=1, ep=32), 1024, 128, 1024)
    fast_step = evaluate(*args, efficiency=eff, engine="omniinfer").decode
    slow_step = evaluate(*args, efficiency=slow, engine="omniinfer").decode
    attention = MLA_FLOPS_PER_CTX * 640 * 32 / 353.9e12
    assert attention / 0.25 * 1e3 == pytest.approx(3.9329, rel=1e-4)
    assert slow_step.total_s - fast_step.total_s == pytest.approx(attention / 0.25 - attention / 0.5, rel=1e-6)
    assert slow_step.compute_s - fast_step.compute_s == pytest.approx(attention / 0.25 - attention / 0.5, rel=1e-6)
    assert slow_step.total_s * 1e3 == pytest.approx(72.82, rel=2e-3)


def _mi300x_engines() -> Efficiency:
    """Engine effects stated for this test (link space): SGLang's per-step cost x4 (8 ms; its ROCm build,
    sglang-rocm, adds no effect of its own here and inherits it), ATOM's
    x1.5 (3 ms) and its aiter grouped-expert kernels streaming at 0.8 of the MBU instead of 0.5
    (logit(0.8) - logit(0.5) = ln 4)."""
    step = to_link("step_overhead_ms", 2.0)
    return stated_efficiency({
        "sglang": FitEffects(step_overhead_ms=to_link("step_overhead_ms", 8.0) - step),
        "atom": FitEffects(step_overhead_ms=to_link("step_overhead_ms", 3.0) - step,
                           expert_bw=to_link("expert_bw", 0.8) - to_link("expert_bw", 0.5)),
    })


@pytest.mark.parametrize(("engine", "step_ms", "expert_bw", "expected_ms"), [("sglang-rocm", 8.0, 0.5, 53.61), ("atom", 3.0, 0.8, 34.40)])
def test_deepseek_decode_step_on_mi300x_sglang_vs_atom_by_hand(engine, step_ms, expert_bw, expected_ms):
    """DeepSeek-R1 FP8 on 8 x MI300X (5.3 TB/s, FP8 2,614.9 / BF16 1,307.4 TFLOPS), TP8 EP1, FP8 KV,
    batch 128, context 1,024 + 1,024 / 2 = 1,536, the engine effects above. Per card:
    - dense: 16,190,954,496 / 8 x 1 B / (5.3e12 x 0.8) = 0.4773 ms;
    - routed experts (each TP-sliced over the 8 cards): 128 tokens touch 256 (1 - (248/256)^128)
      = 251.60 experts; 58 x 251.60 x 44,040,192 / 8 = 80.33e9 B at 5.3e12 x 0.8 x expert_bw:
      37.89 ms (SGLang, 0.5) or 23.68 ms (ATOM, 0.8);
    - MLA attention: FP8 latent 61 x 576 x 1 B = 35,136 B per token; 128 x 1,536 x 35,136 B /
      4.24e12 = 1.629 ms (the score FLOPs, 2 x 128 x 1,088 x 1,536 x 61 x 128 / 8 at 1,307.4e12 x 0.5
      = 0.639 ms, are smaller: MI300X has the bandwidth for MLA);
    - TP all-reduces on the xGMI mesh, 2 per layer x 61: 7 links x 64 GB/s = 448 GB/s x 0.7 each way;
      2 x 7/8 x 128 x 7,168 x 2 B / 313.6e9 + 12 us = 22.24 us -> 2.713 ms;
    - fixed: step + 58 x 50 us: 10.9 ms (SGLang) or 5.9 ms (ATOM).
    SGLang 0.4773 + 37.89 + 1.629 + 2.713 + 10.9 = 53.61 ms; ATOM 0.4773 + 23.68 + 1.629 + 2.713 + 5.9
    = 34.40 ms: ATOM's kernels and lighter step make the same card 1.56x faster per step."""
    r1, mi = MODELS["deepseek-r1"], CARDS["mi300x"]
    assert (mi.mem_bw_gbs, mi.dense_tflops["fp8"], mi.scaleup.bidir_gbs_per_card, mi.scaleup.mesh_links) == (5300, 2614.9, 896, 7)
    perf = evaluate(CATALOG, r1, mi, "fp8", Parallelism(tp=8), 128, 1024, 1024, kv_precision="fp8",
                    efficiency=_mi300x_engines(), engine=engine)
    touched = 256 * (1 - (1 - 8 / 256) ** 128)
    assert touched == pytest.approx(251.60, abs=0.01)
    bw = 5.3e12 * 0.8
    dense = DENSE_PARAMS / 8 / bw
    experts = 58 * touched * EXPERT_PARAMS / 8 / (bw * expert_bw)
    kv = 128 * 1536 * 61 * 576 / bw
    allreduce = 122 * (2 * 7 / 8 * 128 * 7168 * 2 / (448e9 * 0.7) + 12e-6)
    by_hand = dense + experts + kv + allreduce + step_ms * 1e-3 + 58 * 50e-6
    assert perf.decode.communication_s == pytest.approx(allreduce, rel=1e-9)
    assert perf.decode.total_s == pytest.approx(by_hand, rel=1e-6)
    assert perf.decode.total_s * 1e3 == pytest.approx(expected_ms, rel=2e-3)


def test_expert_parallel_all_to_alls_come_only_with_data_parallel_attention():
    """The MI300X step above (DeepSeek-R1 FP8, 8 cards, batch 128), its communication by split:
    - TP8 EP8: attention is tensor-parallel, so every card holds all 128 tokens; each computes its 32
      experts' share and the layer's second all-reduce sums them: no all-to-all, the same 122
      all-reduces as TP8 EP1, 2.713 ms;
    - TP1 EP8 (DP8 attention): each card holds its own 16 tokens; no all-reduce, and per MoE layer a
      dispatch and a combine of 16 x 8 x 7,168 x 2 B = 1,835,008 B, 7/8 of it over 7 links x 64 GB/s
      x 0.7 = 313.6e9 B/s: 5.120 us + 12 us = 17.120 us, x 2 x 58 = 1.986 ms."""
    r1, mi = MODELS["deepseek-r1"], CARDS["mi300x"]

    def comm_s(par: Parallelism) -> float:
        return evaluate(CATALOG, r1, mi, "fp8", par, 128, 1024, 1024, kv_precision="fp8",
                        efficiency=_mi300x_engines(), engine="atom").decode.communication_s

    allreduce = 122 * (2 * 7 / 8 * 128 * 7168 * 2 / (448e9 * 0.7) + 12e-6)
    alltoall = 116 * (16 * 8 * 7168 * 2 * 7 / 8 / (448e9 * 0.7) + 12e-6)
    assert comm_s(Parallelism(tp=8, ep=8)) == pytest.approx(allreduce, rel=1e-9) == comm_s(Parallelism(tp=8))
    assert comm_s(Parallelism(tp=1, ep=8)) == pytest.approx(alltoall, rel=1e-9)
    assert (allreduce * 1e3, alltoall * 1e3) == (pytest.approx(2.713, rel=1e-3), pytest.approx(1.986, rel=1e-3))


def test_vllm_ascend_exchanges_tokens_under_tensor_parallel_attention_too():
    """DeepSeek-R1 INT8 on 8 x 910B2, TP8 EP8, batch 128. vLLM-Ascend sends the tokens by MC2 or
    all-to-all whenever EP is on (engines.yaml `ep_token_exchange: always`); SGLang-Ascend, launched
    without DeepEP, combines by the all-reduce. Their steps differ by 116 dispatches and combines of
    16 x 8 x 7,168 x 2 B = 1,835,008 B, 7/8 of it over HCCS at 196e9 x 0.7 B/s plus 15 us:
    11.703 + 15 = 26.703 us, x 116 = 3.098 ms."""
    r1, b2 = MODELS["deepseek-r1"], CARDS["ascend-910b2"]

    def comm_s(engine: str) -> float:
        return evaluate(CATALOG, r1, b2, "int8", Parallelism(tp=8, ep=8), 128, 1024, 1024,
                        efficiency=stated_efficiency(), engine=engine).decode.communication_s

    exchange = 116 * (16 * 8 * 7168 * 2 * 7 / 8 / (196e9 * 0.7) + 15e-6)
    assert exchange * 1e3 == pytest.approx(3.098, rel=1e-3)
    assert comm_s("vllm-ascend") - comm_s("sglang-ascend") == pytest.approx(exchange, rel=1e-9)
    assert CATALOG.engine("omniinfer").ep_token_exchange == "always"
    assert CATALOG.engine("atom").ep_token_exchange == "data-parallel-attention"


def _stated_with_quickreduce() -> Efficiency:
    """The stated factors with the catalog's measured QuickReduce table on xGMI (amd-cdna3)."""
    eff = stated_efficiency()
    table = load_efficiency().links["amd-cdna3"].quantized_allreduce
    xgmi = eff.links["amd-cdna3"].model_copy(update={"quantized_allreduce": table})
    return eff.model_copy(update={"links": {**eff.links, "amd-cdna3": xgmi}})


def test_quickreduce_int4_takes_its_measured_share_of_large_all_reduces_only():
    """Qwen3-235B (hidden 4,096, 94 layers) FP8 on 4 x MI300X, TP4 EP4 under ATOM, two all-reduces per
    layer. Prefill of one 4,000-token prompt: each all-reduce carries 4,000 x 4,096 x 2 B = 32,768,000 B
    (31.25 MiB) over 3 xGMI links x 64 GB/s x 0.7 = 134.4e9 B/s: 2 x 3/4 x 32,768,000 / 134.4e9 = 365.71 us
    + 12 us = 377.71 us, x 188 = 71.01 ms. With AITER_QUICK_REDUCE_QUANTIZATION=INT4 it takes the share
    MK1 measured on 4 x MI300X at the largest tabulated size not above it, 16 MiB: 113.67 / 205.4 = 0.553
    (catalog/efficiency.yaml, rounded there), 0.553 x 71.01 = 39.27 ms. On 4 GPUs the INT4 path starts at 2 MiB (aiter): a
    decode step of 256 sequences sends 256 x 4,096 x 2 = 2,097,152 B = 2 MiB per all-reduce, 33.57 / 48.87
    = 0.687 of the plain time; 255 sequences stay plain. On 8 GPUs it starts at 8 MiB: a 1,000-token
    prompt's 8,192,000 B is plain, a 1,100-token prompt's 9,011,200 B takes 60.08 / 83.12 = 0.723. A TP8
    group across two 4-card servers goes over the NIC: plain at any size."""
    qwen, mi = MODELS["qwen3-235b-a22b"], CARDS["mi300x"]
    eff = _stated_with_quickreduce()

    def replica(codec: str, tp: int, cards_per_server: int | None = None):
        return make_replica(CATALOG, qwen, mi, "fp8", Parallelism(tp=tp, ep=tp), efficiency=eff, engine="atom",
                            allreduce_codec=codec, cards_per_server=cards_per_server)

    def decode_comm(codec: str, batch: int) -> float:
        return decode_step(replica(codec, 4), batch, 4500).communication_s

    plain = 188 * (2 * 3 / 4 * 4000 * 4096 * 2 / (3 * 64e9 * 0.7) + 12e-6)
    assert plain * 1e3 == pytest.approx(71.01, rel=1e-4)
    assert prefill_step(replica("none", 4), 4000).communication_s == pytest.approx(plain, rel=1e-9)
    assert prefill_step(replica("int4", 4), 4000).communication_s == pytest.approx(0.553 * plain, rel=1e-9)
    assert decode_comm("int4", 256) == pytest.approx(0.687 * decode_comm("none", 256), rel=1e-9)
    assert decode_comm("int4", 255) == decode_comm("none", 255)
    eight_plain, eight_int4 = replica("none", 8), replica("int4", 8)
    assert prefill_step(eight_int4, 1000).communication_s == prefill_step(eight_plain, 1000).communication_s
    assert prefill_step(eight_int4, 1100).communication_s == pytest.approx(0.723 * prefill_step(eight_plain, 1100).communication_s, rel=1e-9)
    assert prefill_step(replica("int4", 8, 4), 4000).communication_s == prefill_step(replica("none", 8, 4), 4000).communication_s


def test_atom_quantizes_llamas_all_reduces_by_itself():
    """ATOM sets AITER_QUICK_REDUCE_QUANTIZATION=INT4 on its own for Llama checkpoints (engines.yaml
    `int4_allreduce_model_types`), so a plan on ATOM gets it without a launch flag; SGLang's ROCm build and
    other models do not; a stated codec (a calibration row's) overrides the engine's choice. Llama-3.1-70B (hidden 8,192) BF16 on 8 x
    MI300X, a 4,000-token prompt: 4,000 x 8,192 x 2 B = 65,536,000 B (62.5 MiB) per all-reduce, the
    32 MiB point of the 8-GPU table: 157.92 / 240.4 = 0.657 of the plain time."""
    llama, qwen, mi = MODELS["llama-3.1-70b"], MODELS["qwen3-235b-a22b"], CARDS["mi300x"]
    eff = _stated_with_quickreduce()
    atom = make_replica(CATALOG, llama, mi, "bf16", Parallelism(tp=8), efficiency=eff, engine="atom")
    stated_plain = make_replica(CATALOG, llama, mi, "bf16", Parallelism(tp=8), efficiency=eff, engine="atom", allreduce_codec="none")
    assert (llama.hf_model_type, atom.allreduce_codec, stated_plain.allreduce_codec) == ("llama", "int4", "none")
    assert make_replica(CATALOG, llama, mi, "bf16", Parallelism(tp=8), efficiency=eff, engine="sglang-rocm").allreduce_codec == "none"
    assert make_replica(CATALOG, qwen, mi, "fp8", Parallelism(tp=8, ep=8), efficiency=eff, engine="atom").allreduce_codec == "none"
    assert prefill_step(atom, 4000).communication_s == pytest.approx(0.657 * prefill_step(stated_plain, 4000).communication_s, rel=1e-9)


def test_a_quantized_all_reduce_table_lists_each_group_size_once_in_rising_sizes():
    """A second entry for 8 cards would make the answer depend on list order; sizes out of order would
    make 'the largest point not above the message' ambiguous: both are refused when the catalog loads."""
    from pydantic import ValidationError

    from optimizer.catalog.efficiency import QuantizedAllreduce, QuantizedAllreduceGroup
    prov = load_efficiency().links["amd-cdna3"].quantized_allreduce.provenance
    with pytest.raises(ValidationError, match="each group size once"):
        QuantizedAllreduce(codec="int4", provenance=prov, groups=[
            QuantizedAllreduceGroup(cards=8, ratio_from_mib=[(8, 0.7)]), QuantizedAllreduceGroup(cards=8, ratio_from_mib=[(8, 0.5)])])
    with pytest.raises(ValidationError, match="must rise"):
        QuantizedAllreduceGroup(cards=4, ratio_from_mib=[(16, 0.55), (2, 0.69)])


def test_users_beyond_the_running_cap_wait_for_a_slot():
    """serve_closed_loop, random arrivals, prefill 50 ms, occupancy 40 ms, step 20 ms, 101 output
    tokens, running cap 8 with 12 users: the replica stays full at 8, 1 / (0.04 + 100 x 0.02 / 8)
    = 3.448 requests/s; the 4 users beyond the cap wait 4 / 3.448 = 1.16 s each before their prefill
    (Little's law on the queue), added to TTFT; throughput and TPOT are the running batch's."""
    eight = serve_closed_loop(0.05, 0.04, 0.02, 8, 101)
    twelve = serve_closed_loop(0.05, 0.04, 0.02, 8, 101, users=12)
    assert twelve.requests_per_s == eight.requests_per_s == pytest.approx(1 / 0.29)
    assert twelve.tpot_s == eight.tpot_s
    assert twelve.ttft_s - eight.ttft_s == pytest.approx(4 * 0.29, rel=1e-12)


def test_a_prefill_first_engine_finishes_a_packed_wave_together():
    """Fixed lengths (synchronized waves) of 8 requests, occupancy 40 ms: one prompt per prefill step
    waits (8 - 1) / 2 x 40 ms = 140 ms on average; packed 4 to a step (token budget / prompt length)
    a prompt's first token comes when its whole step ends, (8 - 1 + 4 - 1) / 2 x 40 ms = 200 ms.
    A mixed engine spreading the wave over 6 steps of 20 ms also waits (6 - 1) / 2 x 20 ms = 50 ms."""
    one = serve_closed_loop(0.05, 0.04, 0.02, 8, 101, "synchronized")
    packed = serve_closed_loop(0.05, 0.04, 0.02, 8, 101, "synchronized", wave_pack=4)
    mixed = serve_closed_loop(0.05, 0.04, 0.02, 8, 101, "synchronized", wave_steps=6)
    assert one.ttft_s == pytest.approx(0.05 + 0.14, rel=1e-12)
    assert packed.ttft_s == pytest.approx(0.05 + 0.20, rel=1e-12)
    assert mixed.ttft_s == pytest.approx(0.05 + 0.14 + 0.05, rel=1e-12)
    assert math.isclose(one.requests_per_s, packed.requests_per_s)
