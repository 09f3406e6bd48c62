"""Performance model of one replica: memory per card, prefill, decode step, serving throughput.

A replica is one copy of the model on `cards = max(tp, ep) * pp` cards:
- `tp` splits attention heads, dense FFNs and shared experts (Megatron-style, two all-reduces per
  layer);
- `pp` splits the layers into stages; the running batch is cut into up to `pp` micro-batches;
- `ep` (MoE only) spreads whole routed experts over `ep` cards of a stage, with a dispatch and a
  combine all-to-all per MoE layer. When `ep > tp`, attention runs data-parallel: `ep / tp` groups
  of `tp` cards each serve their share of the sequences (so each keeps only its own KV cache).

Everything is decimal SI (see units.py) and every time is in seconds unless the name says `_ms`.
The physics follows DESIGN.md section 3; the efficiency factors come from catalog/efficiency.yaml.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from optimizer import units
from optimizer.errors import InvalidParallelism, UnsupportedPrecision
from optimizer.params import ParamCounts, count_params
from optimizer.specs import (
    Card,
    Efficiency,
    FamilyEfficiency,
    ModelSpec,
    Precision,
    ServingDefaults,
    get_precision,
    load_efficiency,
)

KV_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0}


# --------------------------------------------------------------------------------------------
# Inputs and results


@dataclass(frozen=True)
class Parallelism:
    tp: int = 1
    pp: int = 1
    ep: int = 1

    @property
    def stage_width(self) -> int:
        """Cards per pipeline stage."""
        return max(self.tp, self.ep)

    @property
    def cards(self) -> int:
        return self.stage_width * self.pp

    @property
    def attention_dp(self) -> int:
        """Data-parallel attention groups per stage (1 unless ep > tp)."""
        return max(1, self.ep // self.tp)


@dataclass(frozen=True)
class MemoryBreakdown:
    weights_gb: float
    kv_cache_gb: float
    activations_gb: float
    overhead_gb: float
    capacity_gb: float

    @property
    def total_gb(self) -> float:
        return self.weights_gb + self.kv_cache_gb + self.activations_gb + self.overhead_gb

    @property
    def fits(self) -> bool:
        return self.total_gb <= self.capacity_gb


@dataclass(frozen=True)
class StepBreakdown:
    """One decode step (or one prefill) of the replica, split into its parts."""

    memory_s: float
    compute_s: float
    communication_s: float
    overhead_s: float

    @property
    def total_s(self) -> float:
        return max(self.memory_s, self.compute_s) + self.communication_s + self.overhead_s

    @property
    def bottleneck(self) -> str:
        parts = {"memory": self.memory_s, "compute": self.compute_s, "communication": self.communication_s}
        return max(parts, key=lambda k: parts[k])


@dataclass(frozen=True)
class ReplicaPerf:
    model_id: str
    card_id: str
    precision: str
    compute_precision: str
    kv_precision: str
    parallelism: Parallelism
    batch: int
    input_len: int
    output_len: int
    servers_spanned: int
    memory: MemoryBreakdown
    kv_bytes_per_token: float
    prefill: StepBreakdown
    decode: StepBreakdown
    ttft_s: float
    tpot_s: float
    output_tokens_per_s: float
    requests_per_s: float
    prefill_occupancy_s: float      # whole-replica time one prompt costs when prompts keep coming

    @property
    def fits(self) -> bool:
        return self.memory.fits

    @property
    def prefill_s(self) -> float:
        return self.prefill.total_s

    @property
    def cards(self) -> int:
        return self.parallelism.cards

    @property
    def bottleneck(self) -> str:
        return self.decode.bottleneck


# --------------------------------------------------------------------------------------------
# Validation of a design


def compute_precision_for(card: Card, precision_name: str, precision: Precision) -> str:
    """The compute units that run this weight format on this card, or UnsupportedPrecision."""
    for compute in precision.compute:
        if compute in card.dense_tflops:
            return compute
    have = ", ".join(sorted(card.dense_tflops)) or "none published"
    if precision_name == "fp8" and "fp8" not in card.dense_tflops:
        fix = (
            f"{card.name} has no FP8 units: run the checkpoint as bf16/fp16 (twice the weight memory)"
            " or int8 (W8A8) where the card has INT8 units"
        )
    else:
        fix = f"choose a precision this card computes natively ({have}) or int4 weight-only"
    raise UnsupportedPrecision("--precision", precision_name, f"cannot run on {card.id}", fix)


def check_parallelism(model: ModelSpec, par: Parallelism) -> None:
    """Raise InvalidParallelism for a split the model cannot run."""
    a = model.attention
    for name, value in (("--tp", par.tp), ("--pp", par.pp), ("--ep", par.ep)):
        if value < 1:
            raise InvalidParallelism(name, str(value), "must be at least 1", "use 1, 2, 4, 8, ...")
    if a.num_heads % par.tp:
        raise InvalidParallelism(
            "--tp", str(par.tp), f"does not divide the {a.num_heads} attention heads of {model.id}",
            "use a TP that divides the head count",
        )
    if a.kind == "gqa" and a.num_kv_heads % par.tp and par.tp % a.num_kv_heads:
        raise InvalidParallelism(
            "--tp", str(par.tp), f"neither divides nor is a multiple of the {a.num_kv_heads} KV heads",
            "use a TP that divides the KV head count or is a multiple of it",
        )
    if par.pp > model.num_layers:
        raise InvalidParallelism("--pp", str(par.pp), f"exceeds the {model.num_layers} layers", "lower --pp")
    if par.ep > 1:
        if model.moe is None:
            raise InvalidParallelism("--ep", str(par.ep), f"{model.id} is dense (no experts)", "use --ep 1")
        if model.moe.num_routed_experts % par.ep:
            raise InvalidParallelism(
                "--ep", str(par.ep), f"does not divide the {model.moe.num_routed_experts} routed experts",
                "use an EP that divides the expert count",
            )
        if par.ep % par.tp and par.tp % par.ep:
            raise InvalidParallelism(
                "--ep", str(par.ep), f"and --tp {par.tp} must divide one another",
                "use EP = TP, a multiple of TP (data-parallel attention) or a divisor of TP",
            )


# --------------------------------------------------------------------------------------------
# Physics


@lru_cache(maxsize=256)
def params_of(model: ModelSpec) -> ParamCounts:
    return count_params(model)


def kv_bytes_per_token(model: ModelSpec, kv_bytes: float) -> float:
    """KV cache of one token for the whole model (all layers, all KV heads).

    MHA/GQA: 2 (K and V) x layers x kv_heads x head_dim x bytes.
    MLA: layers x (kv_lora_rank + qk_rope_head_dim) x bytes: one compressed latent per token.
    """
    a = model.attention
    if a.kind == "mla":
        assert a.kv_lora_rank and a.qk_rope_head_dim
        return model.num_layers * (a.kv_lora_rank + a.qk_rope_head_dim) * kv_bytes
    return 2 * model.num_layers * a.num_kv_heads * a.head_dim * kv_bytes


def kv_bytes_per_token_per_card(model: ModelSpec, kv_bytes: float, par: Parallelism) -> float:
    """KV of one token on one card of the heaviest stage.

    GQA heads split over TP ranks; when TP exceeds the KV heads each head is replicated. The MLA
    latent is not split by TP: every TP rank holds it for its sequences.
    """
    layers = math.ceil(model.num_layers / par.pp)
    a = model.attention
    if a.kind == "mla":
        assert a.kv_lora_rank and a.qk_rope_head_dim
        return layers * (a.kv_lora_rank + a.qk_rope_head_dim) * kv_bytes
    heads_per_rank = math.ceil(a.num_kv_heads / par.tp)
    return 2 * layers * heads_per_rank * a.head_dim * kv_bytes


def distinct_experts(num_experts: int, top_k: int, tokens: float) -> float:
    """Expected distinct experts a batch of `tokens` touches in one MoE layer under uniform
    routing: E x (1 - (1 - k/E)^b)."""
    if tokens <= 0:
        return 0.0
    return num_experts * (1.0 - (1.0 - top_k / num_experts) ** tokens)


@dataclass(frozen=True)
class _Stage:
    """Weight and layer counts of the heaviest pipeline stage."""

    layers: int
    moe_layers: int
    nonrouted_params: float   # attention, dense FFN, shared experts, router, norms (TP-split)
    routed_params: float      # routed experts (spread over the stage width)
    head_params: float        # embedding and/or LM head on this stage (vocab-parallel over TP)


def _heaviest_stage(p: ParamCounts, model: ModelSpec, pp: int) -> _Stage:
    layers = math.ceil(model.num_layers / pp)
    share = layers / model.num_layers
    routed = p.routed_expert_total * share
    nonrouted = (p.layer_params_total - p.routed_expert_total + p.norms) * share
    head = p.embedding + p.lm_head if pp == 1 else max(p.embedding, p.lm_head)
    moe_layers = min(p.moe_layers, math.ceil(p.moe_layers * share)) if p.moe_layers else 0
    return _Stage(layers, moe_layers, nonrouted, routed, head)


def _link(card: Card, group: int, eff: FamilyEfficiency, defaults: ServingDefaults, *, collective: str) -> tuple[float, float]:
    """(bytes/s per card, latency s) that a group of `group` cards achieves for a collective.

    Inside a server: on a switch every card gets its full unidirectional bandwidth; on a mesh a
    group of g cards can use only its g-1 links to one another; PCIe cards go through the host.
    Across servers the NIC carries it.
    """
    if group > card.cards_per_server:
        return units.gbps_to_bytes_per_s(card.nic_gbps_per_card) * eff.link_efficiency, units.us_to_s(defaults.nic_latency_us)
    s = card.scaleup
    if s.topology == "mesh":
        gbs = s.unidir_gbs_per_pair * min(group - 1, s.mesh_links or 1)
    elif s.topology == "pcie":
        gbs = min(s.unidir_gbs_per_card, card.pcie_bidir_gbs / 2)
    else:
        gbs = s.unidir_gbs_per_card
    latency = units.us_to_s(eff.collective_latency_us)
    if s.topology == "pcie" or collective == "ring":
        latency *= group - 1  # a ring through the host pays one hop per peer
    return units.gbs_to_bytes_per_s(gbs) * eff.link_efficiency, latency


def _allreduce_s(card: Card, group: int, message_bytes: float, eff: FamilyEfficiency, d: ServingDefaults) -> float:
    if group <= 1:
        return 0.0
    bw, lat = _link(card, group, eff, d, collective="allreduce")
    return 2 * (group - 1) / group * message_bytes / bw + lat


def _alltoall_s(card: Card, group: int, send_bytes: float, eff: FamilyEfficiency, d: ServingDefaults) -> float:
    if group <= 1:
        return 0.0
    bw, lat = _link(card, group, eff, d, collective="alltoall")
    return send_bytes * (group - 1) / group / bw + lat


def _p2p_s(card: Card, crosses_server: bool, message_bytes: float, eff: FamilyEfficiency, d: ServingDefaults) -> float:
    if crosses_server:
        bw = units.gbps_to_bytes_per_s(card.nic_gbps_per_card) * eff.link_efficiency
        return message_bytes / bw + units.us_to_s(d.nic_latency_us)
    bw = units.gbs_to_bytes_per_s(card.scaleup.unidir_gbs_per_pair) * eff.link_efficiency
    return message_bytes / bw + units.us_to_s(eff.collective_latency_us)


def _attention_flops_per_token(model: ModelSpec, context: float, *, prefill: bool) -> float:
    """Score and value FLOPs of one token attending to `context` tokens, all layers.

    Decode with MLA works in the latent space (weights absorbed): the score and value dimensions
    are the latent. Prefill with MLA expands keys and values per head."""
    a = model.attention
    if a.kind == "mla":
        assert a.kv_lora_rank and a.qk_rope_head_dim and a.qk_nope_head_dim and a.v_head_dim
        if prefill:
            dims = (a.qk_nope_head_dim + a.qk_rope_head_dim) + a.v_head_dim
        else:
            dims = (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank
    else:
        dims = 2 * a.head_dim
    return 2 * a.num_heads * dims * context * model.num_layers


def _weights_per_card_bytes(st: _Stage, par: Parallelism, bytes_per_param: float) -> float:
    return (
        st.nonrouted_params / par.tp + st.routed_params / par.stage_width + st.head_params / par.tp
    ) * bytes_per_param


def memory_breakdown(
    model: ModelSpec, card: Card, precision: Precision, kv_bytes: float, par: Parallelism,
    batch: int, context_len: int, defaults: ServingDefaults,
) -> MemoryBreakdown:
    """Memory of one card of the heaviest stage with `batch` sequences of `context_len` tokens."""
    p = params_of(model)
    st = _heaviest_stage(p, model, par.pp)
    weights = _weights_per_card_bytes(st, par, precision.bytes_per_param)
    seqs_per_group = math.ceil(batch / par.attention_dp)
    kv = seqs_per_group * context_len * kv_bytes_per_token_per_card(model, kv_bytes, par)
    activations = _activation_bytes(model, par, defaults, seqs_per_group)
    return MemoryBreakdown(
        weights_gb=units.bytes_to_gb(weights),
        kv_cache_gb=units.bytes_to_gb(kv),
        activations_gb=units.bytes_to_gb(activations),
        overhead_gb=defaults.runtime_overhead_gb,
        capacity_gb=card.mem_gb * defaults.usable_mem_fraction,
    )


def _activation_bytes(model: ModelSpec, par: Parallelism, d: ServingDefaults, seqs: int) -> float:
    """Workspace of one forward pass: a chunk of `max_batched_tokens` tokens through the widest
    layer (hidden states, QKV, FFN intermediate split by TP) plus FP32 logits of the running
    sequences. A sizing rule, not a profile."""
    ffn = model.intermediate_size
    if model.moe is not None:
        ffn = max(ffn if model.moe.dense_layers else 0, model.moe.experts_per_token * model.moe.moe_intermediate_size)
    per_token = (4 * model.hidden_size + 2 * ffn / par.tp) * d.activation_bytes
    logits = seqs * model.vocab_size / par.tp * 4
    return d.max_batched_tokens * per_token + logits


def max_batch(
    model: ModelSpec, card: Card, precision: Precision, kv_bytes: float, par: Parallelism,
    context_len: int, defaults: ServingDefaults, max_running_seqs: int | None = None,
) -> int:
    """Largest running batch whose KV cache fits, capped by the engine's running-sequence limit
    (per attention group). 0 when even the weights do not fit."""
    cap = (max_running_seqs or defaults.max_running_seqs) * par.attention_dp
    # Memory is affine in the sequences per attention group (KV and logits per sequence), so the
    # largest batch follows from the empty and the one-sequence breakdowns.
    empty = memory_breakdown(model, card, precision, kv_bytes, par, 0, context_len, defaults)
    one = memory_breakdown(model, card, precision, kv_bytes, par, 1, context_len, defaults)
    per_seq_gb = one.total_gb - empty.total_gb
    free_gb = empty.capacity_gb - empty.total_gb
    if free_gb < per_seq_gb:
        return 0
    seqs = int(free_gb / per_seq_gb)
    while seqs > 0 and not memory_breakdown(
        model, card, precision, kv_bytes, par, seqs * par.attention_dp, context_len, defaults
    ).fits:  # guard against rounding at the boundary
        seqs -= 1
    return min(cap, seqs * par.attention_dp)


def decode_step(
    model: ModelSpec, card: Card, precision: Precision, compute: str, kv_bytes: float,
    par: Parallelism, batch: int, context_avg: float, eff: FamilyEfficiency, d: ServingDefaults,
) -> StepBreakdown:
    """One decode step of the whole running batch: every sequence gets one token.

    Each pipeline stage works on micro-batches of `batch / pp` sequences; a token crosses all
    stages, so the step is pp x the stage time (PP adds capacity, not speed)."""
    p = params_of(model)
    st = _heaviest_stage(p, model, par.pp)
    bpp = precision.bytes_per_param
    micro = max(1.0, batch / par.pp)
    tokens_per_group = micro / par.attention_dp

    # Memory traffic per card: non-routed weights, the distinct routed experts the micro-batch
    # touches (all of them once the batch is large), and the KV cache of the card's sequences.
    weights = (st.nonrouted_params + p.lm_head * (st.head_params > 0)) / par.tp * bpp
    if st.moe_layers:
        touched = distinct_experts(p.routed_experts, p.experts_per_token, micro)
        weights += st.moe_layers * touched * p.expert / par.stage_width * bpp
    kv = tokens_per_group * context_avg * kv_bytes_per_token_per_card(model, kv_bytes, par)
    memory_s = (weights + kv) / (units.gbs_to_bytes_per_s(card.mem_bw_gbs) * eff.mbu)

    # Compute per card: dense work of the group's tokens split over TP, routed work over the width.
    share = st.layers / model.num_layers
    active_nonrouted = st.nonrouted_params + p.lm_head * (st.head_params > 0)
    flops = 2 * active_nonrouted * tokens_per_group / par.tp
    flops += 2 * st.moe_layers * p.experts_per_token * p.expert * micro / par.stage_width
    flops += _attention_flops_per_token(model, context_avg, prefill=False) * share * tokens_per_group / par.tp
    compute_s = flops / (units.tflops_to_flops(card.dense_tflops[compute]) * eff.mfu_decode)  # type: ignore[index]

    comm_s = _stage_comm_s(model, card, par, st, tokens_per_group, micro, eff, d)
    return StepBreakdown(
        memory_s=memory_s * par.pp,
        compute_s=compute_s * par.pp,
        communication_s=comm_s * par.pp + _pp_handoff_s(model, card, par, micro, eff, d),
        overhead_s=eff.step_overhead_ms / units.MS_PER_S,
    )


def _stage_comm_s(
    model: ModelSpec, card: Card, par: Parallelism, st: _Stage, tokens_per_group: float,
    micro: float, eff: FamilyEfficiency, d: ServingDefaults,
) -> float:
    """TP all-reduces (two per layer) and EP all-to-alls (dispatch and combine per MoE layer)."""
    hidden_bytes = model.hidden_size * d.activation_bytes
    comm = 2 * st.layers * _allreduce_s(card, par.tp, tokens_per_group * hidden_bytes, eff, d)
    if par.ep > 1 and st.moe_layers:
        assert model.moe is not None
        send = micro / par.stage_width * model.moe.experts_per_token * hidden_bytes
        comm += 2 * st.moe_layers * _alltoall_s(card, par.stage_width, send, eff, d)
    return comm


def _pp_handoff_s(
    model: ModelSpec, card: Card, par: Parallelism, micro: float, eff: FamilyEfficiency, d: ServingDefaults
) -> float:
    """Activations handed from stage to stage; a boundary crosses servers when a stage ends on a
    server boundary."""
    if par.pp == 1:
        return 0.0
    message = micro * model.hidden_size * d.activation_bytes
    crosses = par.cards > card.cards_per_server
    return (par.pp - 1) * _p2p_s(card, crosses, message, eff, d)


def prefill_step(
    model: ModelSpec, card: Card, precision: Precision, compute: str, par: Parallelism,
    input_len: int, eff: FamilyEfficiency, d: ServingDefaults,
) -> StepBreakdown:
    """Prefill of one prompt alone on an idle replica (TTFT without queueing).

    Compute: 2 x active params x L plus causal attention (quadratic in L). Memory: the weights are
    read once per chunk of `max_batched_tokens` tokens. The prompt crosses the stages in turn."""
    p = params_of(model)
    st = _heaviest_stage(p, model, par.pp)
    tokens = float(max(1, input_len))
    chunks = math.ceil(tokens / d.max_batched_tokens)
    share = st.layers / model.num_layers
    bpp = precision.bytes_per_param

    # One prompt lives in one attention group; its routed work spreads over the stage width.
    flops = 2 * (st.nonrouted_params + p.lm_head * (st.head_params > 0) / tokens) * tokens / par.tp
    flops += 2 * st.moe_layers * p.experts_per_token * p.expert * tokens / par.stage_width
    flops += _attention_flops_per_token(model, tokens / 2, prefill=True) * share * tokens / par.tp
    compute_s = flops / (units.tflops_to_flops(card.dense_tflops[compute]) * eff.mfu_prefill)  # type: ignore[index]

    weights = st.nonrouted_params / par.tp * bpp
    if st.moe_layers:
        touched = distinct_experts(p.routed_experts, p.experts_per_token, min(tokens, d.max_batched_tokens))
        weights += st.moe_layers * touched * p.expert / par.stage_width * bpp
    memory_s = chunks * weights / (units.gbs_to_bytes_per_s(card.mem_bw_gbs) * eff.mbu)

    comm_s = _stage_comm_s(model, card, par, st, tokens, tokens * par.attention_dp, eff, d)
    return StepBreakdown(
        memory_s=memory_s * par.pp,
        compute_s=compute_s * par.pp,
        communication_s=comm_s * par.pp + _pp_handoff_s(model, card, par, tokens, eff, d),
        overhead_s=chunks * eff.step_overhead_ms / units.MS_PER_S,
    )


@dataclass(frozen=True)
class ServingEstimate:
    ttft_s: float
    tpot_s: float
    output_tokens_per_s: float
    requests_per_s: float


def serve_closed_loop(
    prefill_s: float, occupancy_s: float, step_s: float, batch: int, output_len: int, arrivals: str = "random"
) -> ServingEstimate:
    """Steady state of `batch` concurrent requests on one replica with continuous batching.

    Prefills take priority over decode steps (vLLM/SGLang default). Per request the replica spends
    `occupancy_s` of whole-replica time on its prefill (less than `prefill_s` when prompts in
    different pipeline stages or attention groups overlap; see prefill_occupancy) plus
    output_len - 1 decode steps shared by the batch, so
        requests/s = 1 / (occupancy_s + (O - 1) x step_s / batch).
    A new request waits for the decode step in flight (half a step) and for the other users'
    prefills: an M/D/1 queue at the arrival rate of the other batch - 1 users. By Little's law a
    request lives batch / (requests/s); what is not TTFT is spread over its O - 1 later tokens,
    which is the TPOT a user sees with prefills interleaved. At batch 1 TTFT = prefill and
    TPOT = step.

    `arrivals="synchronized"`: every request has the same prompt and output length (a fixed-length
    benchmark), so a closed loop moves in waves: the batch's requests finish together and their
    successors arrive together, and a request waits on average for (batch - 1) / 2 prefills.
    Throughput is the same; only the wait differs. Real traffic is closer to "random".
    """
    decode_steps = max(output_len - 1, 0)
    occupancy = occupancy_s
    per_request = occupancy + decode_steps * step_s / batch
    rate = 1.0 / per_request
    if batch > 1 and arrivals == "synchronized":
        wait = (batch - 1) / 2 * occupancy
    elif batch > 1:
        rho = min(rate * occupancy * (batch - 1) / batch, 0.999)
        wait = step_s / 2 + rho / (2 * (1 - rho)) * occupancy
    else:
        wait = 0.0
    ttft = prefill_s + wait
    lifetime = batch / rate
    tpot = max(step_s, (lifetime - ttft) / decode_steps) if decode_steps else step_s
    return ServingEstimate(ttft, tpot, rate * output_len, rate)


def prefill_occupancy(
    model: ModelSpec, card: Card, compute: str, par: Parallelism, input_len: int, single: StepBreakdown,
    eff: FamilyEfficiency,
) -> float:
    """Whole-replica time one prompt's prefill costs when prompts keep arriving.

    Prompts in different pipeline stages or attention groups overlap, so the work spreads over all
    the replica's cards: the prompt's total FLOPs / (cards x peak x MFU). Weight reads, collectives
    and per-step overhead are shared by the overlapping prompts (divided by the lanes). Never more
    than the prompt alone; equal to it on one card."""
    p = params_of(model)
    tokens = float(max(1, input_len))
    lanes = par.pp * par.attention_dp
    matmul_params = p.active - p.embedding - p.lm_head
    flops = 2 * matmul_params * tokens + 2 * p.lm_head + _attention_flops_per_token(model, tokens / 2, prefill=True) * tokens
    spread = flops / (par.cards * units.tflops_to_flops(card.dense_tflops[compute]) * eff.mfu_prefill)  # type: ignore[index]
    occupancy = max(spread, single.memory_s / lanes) + (single.communication_s + single.overhead_s) / lanes
    return min(single.total_s, occupancy)


def evaluate(
    model: ModelSpec, card: Card, precision_name: str, par: Parallelism, batch: int,
    input_len: int, output_len: int, kv_precision: str = "bf16", efficiency: Efficiency | None = None,
    context_len: int | None = None, arrivals: str = "random",
) -> ReplicaPerf:
    """Evaluate one replica design serving `batch` concurrent requests of one shape.

    `efficiency` defaults to catalog/efficiency.yaml (a fitting script passes trial factors).
    `context_len` sizes the KV memory (the longest context a request may reach; default input +
    output); decode traffic uses the average context, input + output / 2. `arrivals`: see
    serve_closed_loop."""
    precision = get_precision(precision_name)
    compute = compute_precision_for(card, precision_name, precision)
    check_parallelism(model, par)
    if kv_precision not in KV_BYTES:
        raise UnsupportedPrecision(
            "--kv-precision", kv_precision, "is not a KV cache format", f"use one of {', '.join(KV_BYTES)}"
        )
    if batch < 1:
        raise InvalidParallelism("--batch", str(batch), "must be at least 1", "use a positive batch or 'max'")
    kvb = KV_BYTES[kv_precision]
    efficiency = efficiency or load_efficiency()
    eff = efficiency.for_model(card, model)
    d = efficiency.defaults
    context = context_len or input_len + output_len
    mem = memory_breakdown(model, card, precision, kvb, par, batch, context, d)
    pre = prefill_step(model, card, precision, compute, par, input_len, eff, d)
    dec = decode_step(model, card, precision, compute, kvb, par, batch, input_len + output_len / 2, eff, d)
    occupancy = prefill_occupancy(model, card, compute, par, input_len, pre, eff)
    serving = serve_closed_loop(pre.total_s, occupancy, dec.total_s, batch, output_len, arrivals)
    return ReplicaPerf(
        model_id=model.id,
        card_id=card.id,
        precision=precision_name,
        compute_precision=compute,
        kv_precision=kv_precision,
        parallelism=par,
        batch=batch,
        input_len=input_len,
        output_len=output_len,
        servers_spanned=math.ceil(par.cards / card.cards_per_server),
        memory=mem,
        kv_bytes_per_token=kv_bytes_per_token(model, kvb),
        prefill=pre,
        decode=dec,
        ttft_s=serving.ttft_s,
        tpot_s=serving.tpot_s,
        output_tokens_per_s=serving.output_tokens_per_s,
        requests_per_s=serving.requests_per_s,
        prefill_occupancy_s=occupancy,
    )


def evaluate_max_batch(
    model: ModelSpec, card: Card, precision_name: str, par: Parallelism, input_len: int,
    output_len: int, kv_precision: str = "bf16", max_running_seqs: int | None = None,
    efficiency: Efficiency | None = None,
) -> ReplicaPerf:
    """Evaluate at the largest batch whose KV cache fits (at least 1, so a design that does not
    fit still gets its breakdown with fits = False)."""
    precision = get_precision(precision_name)
    compute_precision_for(card, precision_name, precision)
    check_parallelism(model, par)
    efficiency = efficiency or load_efficiency()
    kvb = KV_BYTES.get(kv_precision, 2.0)
    b = max_batch(model, card, precision, kvb, par, input_len + output_len, efficiency.defaults, max_running_seqs)
    return evaluate(model, card, precision_name, par, max(1, b), input_len, output_len, kv_precision, efficiency)


# --------------------------------------------------------------------------------------------
# Prefill/decode disaggregation: pools sized separately


@dataclass(frozen=True)
class PoolEstimate:
    """A replica serving one phase only. Prefill pool: TTFT (its prefill, the M/D/1 wait at the
    chosen utilisation, and the KV hand-over to a decode replica). Decode pool: TPOT (a decode step
    with no prefill interference)."""

    requests_per_s: float
    ttft_s: float
    tpot_s: float
    utilization: float
    kv_transfer_s: float


MAX_PREFILL_UTILIZATION = 0.95


def kv_transfer_s(model: ModelSpec, card: Card, par: Parallelism, input_len: int, kv_precision: str, efficiency: Efficiency) -> float:
    """Moving one prompt's KV cache (whole model) from a prefill replica to a decode replica over
    the prefill replica's NICs (different servers, so never the scale-up link)."""
    eff = efficiency.for_model(card, model)
    nbytes = max(1, input_len) * kv_bytes_per_token(model, KV_BYTES[kv_precision])
    bandwidth = par.cards * units.gbps_to_bytes_per_s(card.nic_gbps_per_card) * eff.link_efficiency
    return nbytes / bandwidth + units.us_to_s(efficiency.defaults.nic_latency_us)


def prefill_pool(
    perf: ReplicaPerf, transfer_s: float, ttft_budget_s: float | None, wait_factor: float = 1.0
) -> PoolEstimate | None:
    """The highest utilisation rho at which TTFT = prefill + wait_factor x rho / (2 (1 - rho)) x
    occupancy (the M/D/1 wait, scaled for a percentile SLA) + KV transfer stays within the budget;
    None when even an idle replica misses it. Capacity: rho / occupancy requests per second."""
    occupancy = perf.prefill_occupancy_s
    if ttft_budget_s is None:
        rho = MAX_PREFILL_UTILIZATION
    else:
        slack = ttft_budget_s - perf.prefill_s - transfer_s
        if slack <= 0:
            return None
        scaled = occupancy * wait_factor
        rho = min(MAX_PREFILL_UTILIZATION, 2 * slack / (scaled + 2 * slack))
    ttft = perf.prefill_s + wait_factor * rho / (2 * (1 - rho)) * occupancy + transfer_s
    return PoolEstimate(rho / occupancy, ttft, 0.0, rho, transfer_s)


def decode_pool(perf: ReplicaPerf) -> PoolEstimate:
    """A decode-only replica at `perf.batch`: every step serves the whole batch, no prefills in
    between, so TPOT is the step and a request leaves after output_len - 1 steps."""
    step = perf.decode.total_s
    rate = perf.batch / (max(1, perf.output_len - 1) * step)
    return PoolEstimate(rate, 0.0, step, 1.0, 0.0)
