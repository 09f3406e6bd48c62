"""Performance model of one replica: memory per card, prefill, decode step, serving throughput.

A replica is one copy of the model on `cards = max(tp, ep) * pp` cards:
- `tp` splits attention heads, dense FFNs and shared experts (Megatron-style, two all-reduces per
  layer);
- `pp` splits the layers into stages; the running batch is cut into up to `pp` micro-batches;
- `ep` (MoE only) spreads whole routed experts over `ep` cards of a stage, with a dispatch and a
  combine all-to-all per MoE layer. When `ep > tp`, attention runs data-parallel: `ep / tp` groups
  of `tp` cards each serve their share of the sequences (so each keeps only its own KV cache).

A step is timed operator by operator, each on its own roofline (DESIGN.md section 3):
dense GEMMs (attention projections, dense FFNs, shared experts, LM head), grouped expert GEMMs
(the distinct experts a batch touches; with few tokens per expert their weights stream at an
achieved bandwidth `mbu x expert_bw`, with many they run at the GEMM MFU), attention (KV read:
MLA's latent or GQA heads; score FLOPs), then TP all-reduces and EP all-to-alls, and fixed costs
(per step, per MoE layer). The factors come from `efficiency.Efficiency.resolve(family, engine)`.
Speculative decoding verifies `draft_tokens` per sequence per step and emits `accept_len`.

Everything is decimal SI (see units.py) and every time is in seconds unless the name says `_ms`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from optimizer import units
from optimizer.efficiency import (
    NO_SPECULATION,
    EngineProfile,
    Factors,
    ServingDefaults,
    Speculative,
    default_engine,
    get_engine,
    load_efficiency,
)
from optimizer.efficiency import Efficiency as Efficiency
from optimizer.errors import InvalidParallelism, UnsupportedPrecision
from optimizer.params import ParamCounts, count_params
from optimizer.specs import Card, ModelSpec, Precision, get_precision

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
class Replica:
    """Everything one replica's timing depends on, resolved once: the model, the card and the
    server it sits in (cards per server come from the offer, not the catalog card), the weight
    format, the parallel split, the engine and its fitted factors, speculative decoding."""

    model: ModelSpec
    card: Card
    precision_name: str
    precision: Precision
    compute: str
    kv_precision: str
    par: Parallelism
    engine_id: str
    engine: EngineProfile
    factors: Factors
    defaults: ServingDefaults
    params: ParamCounts
    stage: _Stage
    running_cap: int        # the engine's running-sequence cap on this card
    prefill_budget: int     # the engine's chunked-prefill token budget on this card
    spec: Speculative = NO_SPECULATION
    cards_per_server: int = 0  # 0: the catalog card's
    memo: dict[object, StepBreakdown] = field(default_factory=dict, compare=False, repr=False)  # batch-independent steps

    @property
    def server_cards(self) -> int:
        return self.cards_per_server or self.card.cards_per_server

    @property
    def kv_bytes(self) -> float:
        return KV_BYTES[self.kv_precision]

    @property
    def peak_flops(self) -> float:
        return units.tflops_to_flops(self.card.dense_tflops[self.compute])  # type: ignore[index]

    @property
    def attention_flops_peak(self) -> float:
        """Attention kernels (FlashAttention, FlashMLA) run in 16-bit even under FP8 weights."""
        tflops = self.card.dense_tflops
        return units.tflops_to_flops(tflops.get("bf16") or tflops.get("fp16") or tflops[self.compute])  # type: ignore[index]

    @property
    def mem_bw(self) -> float:
        return units.gbs_to_bytes_per_s(self.card.mem_bw_gbs)


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
    """One decode step (or one prefill) of the replica, split into its parts. `busy_s` is the sum
    over operators of max(memory, compute) of each; `memory_s` and `compute_s` are the sums of
    each side alone (they name the bottleneck)."""

    memory_s: float
    compute_s: float
    communication_s: float
    overhead_s: float
    busy_s: float

    @property
    def total_s(self) -> float:
        return self.busy_s + self.communication_s + self.overhead_s

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
    engine: str = ""
    accept_len: float = 1.0
    factors: Factors | None = field(default=None, compare=False)

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

    @property
    def decode_token_s(self) -> float:
        """Time per emitted token of one sequence with no prefill in between (step / accept_len)."""
        return self.decode.total_s / self.accept_len


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


def make_replica(
    model: ModelSpec, card: Card, precision_name: str, par: Parallelism, kv_precision: str = "bf16",
    *, engine: str | None = None, efficiency: Efficiency | None = None, spec: Speculative | None = None,
    cards_per_server: int | None = None,
) -> Replica:
    """Resolve a design once: precision on this card, split, engine profile and fitted factors.
    `engine` None: the card family's default engine (engines.yaml `default_for`)."""
    precision = get_precision(precision_name)
    compute = compute_precision_for(card, precision_name, precision)
    check_parallelism(model, par)
    if kv_precision not in KV_BYTES:
        raise UnsupportedPrecision(
            "--kv-precision", kv_precision, "is not a KV cache format", f"use one of {', '.join(KV_BYTES)}"
        )
    efficiency = efficiency or load_efficiency()
    engine_id = engine or default_engine(card.family)
    profile = get_engine(engine_id)
    running_cap, prefill_budget = profile.limits_for(card.mem_gb, card.family)
    return Replica(
        model=model, card=card, precision_name=precision_name, precision=precision, compute=compute,
        kv_precision=kv_precision, par=par, engine_id=engine_id, engine=profile,
        factors=efficiency.resolve(card.family, engine_id), defaults=efficiency.defaults,
        params=params_of(model), stage=_heaviest_stage(model, par.pp),
        running_cap=running_cap, prefill_budget=prefill_budget,
        spec=spec or NO_SPECULATION, cards_per_server=cards_per_server or 0,
    )


# --------------------------------------------------------------------------------------------
# Architecture: parameters and KV


_PARAMS: dict[int, tuple[ModelSpec, ParamCounts]] = {}


def params_of(model: ModelSpec) -> ParamCounts:
    """Parameter counts, cached by identity (hashing a model spec walks every field); the entry
    keeps the model alive so its id cannot be reused."""
    hit = _PARAMS.get(id(model))
    if hit is None or hit[0] is not model:
        hit = _PARAMS[id(model)] = (model, count_params(model))
    return hit[1]


def _kv_layers(model: ModelSpec) -> int:
    """Layers whose KV grows with the context (linear-attention and sliding-window layers excluded)."""
    return model.attention.kv_layers or model.num_layers


def kv_bytes_per_token(model: ModelSpec, kv_bytes: float) -> float:
    """KV cache of one token for the whole model (all layers, all KV heads).

    MHA/GQA: 2 (K and V) x layers x kv_heads x head_dim x bytes.
    MLA: layers x (kv_lora_rank + qk_rope_head_dim) x bytes: one compressed latent per token.
    Only layers with full attention keep a per-token cache (`attention.kv_layers`)."""
    a = model.attention
    layers = _kv_layers(model)
    if a.kind == "mla":
        assert a.kv_lora_rank and a.qk_rope_head_dim
        return layers * (a.kv_lora_rank + a.qk_rope_head_dim) * kv_bytes
    return 2 * layers * a.num_kv_heads * a.head_dim * kv_bytes


def kv_bytes_per_token_per_card(model: ModelSpec, kv_bytes: float, par: Parallelism) -> float:
    """KV of one token on one card of the heaviest stage.

    GQA heads split over TP ranks; when TP exceeds the KV heads each head is replicated. The MLA
    latent is not split by TP: every TP rank holds it for its sequences.
    """
    layers = math.ceil(_kv_layers(model) / par.pp)
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


def _heaviest_stage(model: ModelSpec, pp: int) -> _Stage:
    p = params_of(model)
    layers = math.ceil(model.num_layers / pp)
    share = layers / model.num_layers
    routed = p.routed_expert_total * share
    nonrouted = (p.layer_params_total - p.routed_expert_total + p.norms) * share
    head = p.embedding + p.lm_head if pp == 1 else max(p.embedding, p.lm_head)
    moe_layers = min(p.moe_layers, math.ceil(p.moe_layers * share)) if p.moe_layers else 0
    return _Stage(layers, moe_layers, nonrouted, routed, head)


def _attention_flops_per_token(model: ModelSpec, context: float, *, prefill: bool) -> float:
    """Score and value FLOPs of one token attending to `context` tokens, all full-attention layers.

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
    return 2 * a.num_heads * dims * context * _kv_layers(model)


# --------------------------------------------------------------------------------------------
# Communication


def _link(r: Replica, group: int, *, collective: str) -> tuple[float, float]:
    """(bytes/s per card, latency s) that a group of `group` cards achieves for a collective.

    Inside a server: on a switch every card gets its full unidirectional bandwidth; on a mesh a
    group of g cards can use only its g-1 links to one another; PCIe cards go through the host.
    Across servers (the offer's server size) the NIC carries it.
    """
    f, card = r.factors, r.card
    if group > r.server_cards:
        return units.gbps_to_bytes_per_s(card.nic_gbps_per_card) * f.link_efficiency, units.us_to_s(r.defaults.nic_latency_us)
    s = card.scaleup
    if s.topology == "mesh":
        gbs = s.unidir_gbs_per_pair * min(group - 1, s.mesh_links or 1)
    elif s.topology == "pcie":
        gbs = min(s.unidir_gbs_per_card, card.pcie_bidir_gbs / 2)
    else:
        gbs = s.unidir_gbs_per_card
    latency = units.us_to_s(f.collective_latency_us)
    if s.topology == "pcie" or collective == "ring":
        latency *= group - 1  # a ring through the host pays one hop per peer
    return units.gbs_to_bytes_per_s(gbs) * f.link_efficiency, latency


def _allreduce_s(r: Replica, group: int, message_bytes: float) -> float:
    if group <= 1:
        return 0.0
    bw, lat = _link(r, group, collective="allreduce")
    return 2 * (group - 1) / group * message_bytes / bw + lat


def _alltoall_s(r: Replica, group: int, send_bytes: float) -> float:
    if group <= 1:
        return 0.0
    bw, lat = _link(r, group, collective="alltoall")
    return send_bytes * (group - 1) / group / bw + lat


def _p2p_s(r: Replica, crosses_server: bool, message_bytes: float) -> float:
    if crosses_server:
        bw = units.gbps_to_bytes_per_s(r.card.nic_gbps_per_card) * r.factors.link_efficiency
        return message_bytes / bw + units.us_to_s(r.defaults.nic_latency_us)
    bw = units.gbs_to_bytes_per_s(r.card.scaleup.unidir_gbs_per_pair) * r.factors.link_efficiency
    return message_bytes / bw + units.us_to_s(r.factors.collective_latency_us)


def _stage_comm_s(r: Replica, st: _Stage, tokens_per_group: float, tokens_per_stage: float) -> float:
    """TP all-reduces (two per layer) and EP all-to-alls (dispatch and combine per MoE layer)."""
    model, par = r.model, r.par
    hidden_bytes = model.hidden_size * r.defaults.activation_bytes
    comm = 2 * st.layers * _allreduce_s(r, par.tp, tokens_per_group * hidden_bytes)
    if par.ep > 1 and st.moe_layers:
        assert model.moe is not None
        send = tokens_per_stage / par.stage_width * model.moe.experts_per_token * hidden_bytes
        comm += 2 * st.moe_layers * _alltoall_s(r, par.stage_width, send)
    return comm


def _pp_handoff_s(r: Replica, tokens: float) -> float:
    """Activations handed from stage to stage; a boundary crosses servers when the replica is
    larger than one of the offer's servers."""
    if r.par.pp == 1:
        return 0.0
    message = tokens * r.model.hidden_size * r.defaults.activation_bytes
    crosses = r.par.cards > r.server_cards
    return (r.par.pp - 1) * _p2p_s(r, crosses, message)


# --------------------------------------------------------------------------------------------
# Memory


def _weights_per_card_bytes(st: _Stage, par: Parallelism, bytes_per_param: float) -> float:
    return (
        st.nonrouted_params / par.tp + st.routed_params / par.stage_width + st.head_params / par.tp
    ) * bytes_per_param


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


def memory_breakdown(r: Replica, batch: int, context_len: int) -> MemoryBreakdown:
    """Memory of one card of the heaviest stage with `batch` sequences of `context_len` tokens."""
    model, par, d = r.model, r.par, r.defaults
    st = r.stage
    weights = _weights_per_card_bytes(st, par, r.precision.bytes_per_param)
    seqs_per_group = math.ceil(batch / par.attention_dp)
    kv = seqs_per_group * context_len * kv_bytes_per_token_per_card(model, r.kv_bytes, par)
    activations = _activation_bytes(model, par, d, seqs_per_group)
    reserved = r.engine.mem_reserved_gb
    if reserved is not None:
        # The engine reserves a fixed amount for activations, graphs and runtime (SGLang 0.5:
        # mem_fraction_static = (mem - reserved) / mem); weights and KV get the rest.
        return MemoryBreakdown(
            weights_gb=units.bytes_to_gb(weights), kv_cache_gb=units.bytes_to_gb(kv), activations_gb=0.0,
            overhead_gb=reserved, capacity_gb=r.card.mem_gb,
        )
    return MemoryBreakdown(
        weights_gb=units.bytes_to_gb(weights),
        kv_cache_gb=units.bytes_to_gb(kv),
        activations_gb=units.bytes_to_gb(activations),
        overhead_gb=d.runtime_overhead_gb,
        capacity_gb=r.card.mem_gb * d.usable_mem_fraction,
    )


def max_batch(r: Replica, context_len: int, max_running_seqs: int | None = None) -> int:
    """Largest running batch whose KV cache fits, capped by the engine's running-sequence limit
    (per attention group). 0 when even the weights do not fit."""
    cap = (max_running_seqs or r.running_cap) * r.par.attention_dp
    # Memory is affine in the sequences per attention group (KV and logits per sequence), so the
    # largest batch follows from the empty and the one-sequence breakdowns.
    empty = memory_breakdown(r, 0, context_len)
    one = memory_breakdown(r, 1, context_len)
    per_seq_gb = one.total_gb - empty.total_gb
    free_gb = empty.capacity_gb - empty.total_gb
    if free_gb < per_seq_gb:
        return 0
    seqs = int(free_gb / per_seq_gb)
    while seqs > 0 and not memory_breakdown(r, seqs * r.par.attention_dp, context_len).fits:
        seqs -= 1  # guard against rounding at the boundary
    return min(cap, seqs * r.par.attention_dp)


# --------------------------------------------------------------------------------------------
# Steps


@dataclass(frozen=True)
class _Op:
    memory_s: float
    compute_s: float

    @property
    def time_s(self) -> float:
        return max(self.memory_s, self.compute_s)


def _decode_ops(r: Replica, st: _Stage, seqs_stage: float, context_avg: float, tokens_per_seq: int) -> list[_Op]:
    """Operators of one stage for one decode pass of `seqs_stage` sequences, each with
    `tokens_per_seq` tokens (1, or the verified draft under speculative decoding)."""
    model, par, f = r.model, r.par, r.factors
    p = r.params
    bpp = r.precision.bytes_per_param
    bw, peak = r.mem_bw, r.peak_flops
    seqs_group = seqs_stage / par.attention_dp
    tokens_group, tokens_stage = seqs_group * tokens_per_seq, seqs_stage * tokens_per_seq

    dense_params = st.nonrouted_params + p.lm_head * (st.head_params > 0)
    dense = _Op(dense_params / par.tp * bpp / (bw * f.mbu), 2 * dense_params * tokens_group / par.tp / (peak * f.mfu_decode))
    ops = [dense]
    if st.moe_layers:
        touched = distinct_experts(p.routed_experts, p.experts_per_token, tokens_stage)
        expert_bytes = st.moe_layers * touched * p.expert / par.stage_width * bpp
        expert_flops = 2 * st.moe_layers * p.experts_per_token * p.expert * tokens_stage / par.stage_width
        ops.append(_Op(expert_bytes / (bw * f.mbu * f.expert_bw), expert_flops / (peak * f.mfu_decode * f.expert_mfu)))
    share = st.layers / model.num_layers
    kv = seqs_group * context_avg * kv_bytes_per_token_per_card(model, r.kv_bytes, par)
    attn_flops = _attention_flops_per_token(model, context_avg, prefill=False) * share * tokens_group / par.tp
    ops.append(_Op(kv / (bw * f.mbu), attn_flops / (r.attention_flops_peak * f.mfu_decode)))
    return ops


def _fixed_step_s(r: Replica, st: _Stage) -> float:
    return units.ms_to_s(r.factors.step_overhead_ms) + st.moe_layers * units.us_to_s(r.factors.moe_layer_us)


def decode_step(r: Replica, batch: int, context_avg: float) -> StepBreakdown:
    """One decode step of the whole running batch: every sequence gets `accept_len` tokens on
    average (1 without speculation).

    Each pipeline stage works on micro-batches of `batch / pp` sequences; a token crosses all
    stages, so the step is pp x the stage time (PP adds capacity, not speed). With speculative
    decoding the step verifies `draft_tokens` tokens per sequence (weights read once, KV read once,
    compute and messages per token) after `draft_tokens - 1` draft passes, each costing about one
    layer of the model plus the LM head."""
    par = r.par
    st = r.stage
    micro = max(1.0, batch / par.pp)
    verify = r.spec.verify_tokens
    ops = _decode_ops(r, st, micro, context_avg, verify)
    memory_s = sum(o.memory_s for o in ops)
    compute_s = sum(o.compute_s for o in ops)
    busy_s = sum(o.time_s for o in ops)
    comm_s = _stage_comm_s(r, st, micro / par.attention_dp * verify, micro * verify)
    if verify > 1:
        draft = _draft_pass_s(r, st, micro, context_avg) * (verify - 1)
        busy_s += draft
        memory_s += draft
    return StepBreakdown(
        memory_s=memory_s * par.pp,
        compute_s=compute_s * par.pp,
        communication_s=comm_s * par.pp + _pp_handoff_s(r, micro * verify),
        overhead_s=_fixed_step_s(r, st) * par.pp,
        busy_s=busy_s * par.pp,
    )


def _draft_pass_s(r: Replica, st: _Stage, seqs_stage: float, context_avg: float) -> float:
    """One autoregressive draft pass (MTP module or EAGLE head): about one decoder layer of the
    model plus the LM head for the running sequences."""
    p = r.params
    ops = _decode_ops(r, st, seqs_stage, context_avg, 1)
    layer = sum(o.time_s for o in ops) / max(1, st.layers)
    head = p.lm_head / r.par.tp * r.precision.bytes_per_param / (r.mem_bw * r.factors.mbu)
    return layer + head


def prefill_step(r: Replica, input_len: int) -> StepBreakdown:
    """Prefill of one prompt alone on an idle replica (TTFT without queueing).

    Compute: 2 x active params x L plus causal attention (quadratic in L) at the prefill MFU.
    Memory: the weights are read once per chunk of the engine's prefill budget. The prompt crosses
    the stages in turn. It does not depend on the batch: kept on the replica per prompt length."""
    hit = r.memo.get(("prefill", input_len))
    if hit is not None:
        return hit
    model, par, f = r.model, r.par, r.factors
    p = r.params
    st = r.stage
    tokens = float(max(1, input_len))
    chunk = r.prefill_budget
    chunks = math.ceil(tokens / chunk)
    share = st.layers / model.num_layers
    bpp = r.precision.bytes_per_param
    peak = r.peak_flops * f.mfu_prefill

    # One prompt lives in one attention group; its routed work spreads over the stage width.
    dense_flops = 2 * (st.nonrouted_params + p.lm_head * (st.head_params > 0) / tokens) * tokens / par.tp
    dense = _Op(chunks * st.nonrouted_params / par.tp * bpp / (r.mem_bw * f.mbu), dense_flops / peak)
    ops = [dense]
    if st.moe_layers:
        touched = distinct_experts(p.routed_experts, p.experts_per_token, min(tokens, chunk))
        expert_bytes = chunks * st.moe_layers * touched * p.expert / par.stage_width * bpp
        expert_flops = 2 * st.moe_layers * p.experts_per_token * p.expert * tokens / par.stage_width
        ops.append(_Op(expert_bytes / (r.mem_bw * f.mbu * f.expert_bw), expert_flops / (peak * f.expert_mfu)))
    attn_flops = _attention_flops_per_token(model, tokens / 2, prefill=True) * share * tokens / par.tp
    ops.append(_Op(0.0, attn_flops / (r.attention_flops_peak * f.mfu_prefill)))

    comm_s = _stage_comm_s(r, st, tokens, tokens * par.attention_dp)
    step = StepBreakdown(
        memory_s=sum(o.memory_s for o in ops) * par.pp,
        compute_s=sum(o.compute_s for o in ops) * par.pp,
        communication_s=comm_s * par.pp + _pp_handoff_s(r, tokens),
        overhead_s=chunks * _fixed_step_s(r, st),
        busy_s=sum(o.time_s for o in ops) * par.pp,
    )
    r.memo[("prefill", input_len)] = step
    return step


def prefill_occupancy(r: Replica, input_len: int, single: StepBreakdown, queued: int = 1) -> float:
    """Whole-replica time one prompt's prefill costs when prompts keep arriving.

    Prompts in different pipeline stages or attention groups overlap, so the work spreads over all
    the replica's cards: the prompt's total FLOPs / (cards x peak x MFU). Weight reads and per-step
    overhead are shared by the overlapping prompts (divided by the lanes), and by the prompts one
    prefill step packs under the engine's token budget when `queued` prompts wait (up to
    budget / prompt length of them); collectives scale with tokens and are only divided by the
    lanes. Never more than the prompt alone; equal to it on one card with one prompt."""
    model, par = r.model, r.par
    p = r.params
    tokens = float(max(1, input_len))
    lanes = par.pp * par.attention_dp
    packed = max(1, min(queued, r.prefill_budget // max(1, input_len)))
    routed_active = p.moe_layers * p.experts_per_token * p.expert
    dense_params = p.active - p.embedding - p.lm_head - routed_active
    flops = 2 * dense_params * tokens + 2 * p.lm_head + _attention_flops_per_token(model, tokens / 2, prefill=True) * tokens
    flops += 2 * routed_active * tokens / r.factors.expert_mfu  # grouped expert GEMMs at their own share of the MFU
    spread = flops / (par.cards * r.peak_flops * r.factors.mfu_prefill)
    occupancy = max(spread, single.memory_s / (lanes * packed)) + single.communication_s / lanes + single.overhead_s / (lanes * packed)
    return min(single.total_s, occupancy)


# --------------------------------------------------------------------------------------------
# Serving: the queue in front of one replica


@dataclass(frozen=True)
class ServingEstimate:
    ttft_s: float
    tpot_s: float
    output_tokens_per_s: float
    requests_per_s: float


def serve_closed_loop(
    prefill_s: float, occupancy_s: float, step_s: float, batch: int, output_len: int, arrivals: str = "random",
    *, tokens_per_step: float = 1.0, front_end_s: float = 0.0, mixed_prefill_steps: int = 0, wave_share: float = 1.0,
) -> ServingEstimate:
    """Steady state of `batch` concurrent requests on one replica with continuous batching.

    Per request the replica spends `occupancy_s` of whole-replica time on its prefill (less than
    `prefill_s` when prompts in different pipeline stages or attention groups overlap; see
    prefill_occupancy) plus (O - 1) / tokens_per_step decode steps shared by the batch, so
        requests/s = 1 / (occupancy_s + (O - 1) / tokens_per_step x step_s / batch).
    A new request waits for the decode step in flight (half a step) and for the other users'
    prefills: an M/D/1 queue at the arrival rate of the other batch - 1 users. An engine that
    mixes prefill chunks into decode steps (`mixed_prefill_steps` > 0) also waits for the decode
    work of those steps. `front_end_s` (HTTP, tokenizer, admission) adds to TTFT and to each user's
    cycle without occupying the replica. By Little's law a request lives batch / (requests/s);
    what is not TTFT is spread over its O - 1 later tokens, which is the TPOT a user sees with
    prefills interleaved. At batch 1 TTFT = prefill + front end and TPOT = step / tokens_per_step.

    `arrivals="synchronized"`: every request has the same prompt and output length (a fixed-length
    benchmark), so a closed loop moves in waves: the batch's requests finish together and their
    successors arrive together, and a request waits on average for (batch - 1) / 2 prefills.
    `arrivals="clustered"` (lengths within a narrow random range): a share `wave_share` of that wave
    wait, the rest the random-arrival wait (a fitted factor: how far the waves survive the spread).
    """
    decode_steps = max(output_len - 1, 0) / tokens_per_step
    per_request = occupancy_s + decode_steps * step_s / batch
    wave_wait = (batch - 1) / 2 * occupancy_s
    rho = min(occupancy_s * (batch - 1) / batch / per_request, 0.999)
    random_wait = step_s / 2 + rho / (2 * (1 - rho)) * occupancy_s
    if batch <= 1:
        wait = 0.0
    elif arrivals == "synchronized":
        wait = wave_wait
    elif arrivals == "clustered":
        wait = wave_share * wave_wait + (1 - wave_share) * random_wait
    else:
        wait = random_wait
    wait += mixed_prefill_steps * step_s if batch > 1 else 0.0
    engine_ttft = prefill_s + wait
    lifetime = batch * per_request
    tpot = max(step_s / tokens_per_step, (lifetime - engine_ttft) / max(output_len - 1, 1)) if decode_steps else step_s
    rate = batch / (lifetime + front_end_s)
    return ServingEstimate(engine_ttft + front_end_s, tpot, rate * output_len, rate)


def serve_burst(
    prefill_s: float, occupancy_s: float, step_s: float, requests: int, running: int, output_len: int,
    *, tokens_per_step: float = 1.0, front_end_s: float = 0.0, step_at: Callable[[int], float] | None = None,
) -> ServingEstimate:
    """All `requests` issued at once to one replica that runs at most `running` at a time (the
    engine's cap, or what the KV cache holds). They are served in waves of `running`: a wave's
    prompts are prefilled one after another, then decode together; the next wave starts when the
    slots free. Mean TTFT counts the waves waited; throughput is output tokens over the makespan.

    `step_at` (given for conversation datasets such as ShareGPT, whose output lengths are roughly
    exponential with mean O): the last wave's batch thins as requests finish, k e^(-t/O) left after
    t tokens, and the longest of k lasts O x H_k tokens (H_k = ln k + 0.577). The wave spends
    O x ln 2 tokens at each halving of the batch, k, k/2, ..., 1, and 0.577 O at one sequence;
    `step_at(b)` times a step at batch b (MoE steps are far from affine in b: experts touched)."""
    running = max(1, min(running, requests))
    waves = math.ceil(requests / running)
    decode_steps = max(output_len - 1, 0) / tokens_per_step
    wave_s = running * occupancy_s + decode_steps * step_s
    last_wave_s = wave_s
    if step_at is not None and running > 1:
        levels = [running]
        while levels[-1] > 1:
            levels.append(max(1, levels[-1] // 2))
        tail_tokens = sum(math.log(a / b) * step_at(a) for a, b in itertools.pairwise(levels)) + 0.5772 * step_at(1)
        last_wave_s = running * occupancy_s + decode_steps * tail_tokens
    in_wave_wait = (running - 1) / 2 * occupancy_s
    ttft = front_end_s + prefill_s + in_wave_wait + (waves - 1) / 2 * wave_s
    makespan = (waves - 1) * wave_s + last_wave_s + prefill_s - occupancy_s
    tokens = max(output_len - 1, 1)
    stall = max(0.0, running * occupancy_s - in_wave_wait - prefill_s)  # later prompts' prefills a request waits out
    if step_at is not None:
        # A benchmark averages (latency - TTFT) / tokens over requests; with exponential lengths the
        # short answers weigh heavily: E[1/o] = (ln O - 0.577) / O, so the prefill stall counts that many times.
        stall *= max(1.0, math.log(tokens) - 0.5772)
    tpot = (stall + decode_steps * step_s) / tokens if decode_steps else step_s
    tpot = max(tpot, step_s / tokens_per_step)
    rate = requests / makespan
    return ServingEstimate(ttft, tpot, rate * output_len, rate)


# --------------------------------------------------------------------------------------------
# One replica, end to end


def evaluate(
    model: ModelSpec, card: Card, precision_name: str, par: Parallelism, batch: int,
    input_len: int, output_len: int, kv_precision: str = "bf16", efficiency: Efficiency | None = None,
    context_len: int | None = None, arrivals: str = "random", *, engine: str | None = None,
    spec: Speculative | None = None, cards_per_server: int | None = None, burst_requests: int | None = None,
) -> ReplicaPerf:
    """Evaluate one replica design serving `batch` concurrent requests of one shape.

    `efficiency` defaults to catalog/efficiency.yaml (the fit passes trial factors); `engine`
    defaults to the card family's mature engine. `context_len` sizes the KV memory (the longest
    context a request may reach; default input + output); decode traffic uses the average context,
    input + output / 2. `arrivals`: see serve_closed_loop. `burst_requests`: all of them arrive
    at once and at most `batch` run together (serve_burst)."""
    if batch < 1:
        raise InvalidParallelism("--batch", str(batch), "must be at least 1", "use a positive batch or 'max'")
    r = make_replica(
        model, card, precision_name, par, kv_precision, engine=engine, efficiency=efficiency, spec=spec,
        cards_per_server=cards_per_server,
    )
    return evaluate_replica(r, batch, input_len, output_len, context_len, arrivals, burst_requests)


def evaluate_replica(
    r: Replica, batch: int, input_len: int, output_len: int, context_len: int | None = None,
    arrivals: str = "random", burst_requests: int | None = None, exponential_lengths: bool = False,
) -> ReplicaPerf:
    context = context_len or input_len + output_len
    mem = memory_breakdown(r, batch, context)
    pre = prefill_step(r, input_len)
    dec = decode_step(r, batch, input_len + output_len / 2)
    occupancy = prefill_occupancy(r, input_len, pre, queued=burst_requests or batch)
    emitted = r.spec.emitted_per_step
    front_end = units.ms_to_s(r.factors.ttft_overhead_ms)
    if burst_requests is not None:
        context_avg = input_len + output_len / 2
        serving = serve_burst(
            pre.total_s, occupancy, dec.total_s, burst_requests, batch, output_len,
            tokens_per_step=emitted, front_end_s=front_end,
            step_at=(lambda b: decode_step(r, b, context_avg).total_s) if exponential_lengths else None,
        )
    else:
        mixed = math.ceil(max(1, input_len) / r.prefill_budget) if r.engine.prefill_mode == "mixed" else 0
        serving = serve_closed_loop(
            pre.total_s, occupancy, dec.total_s, batch, output_len, arrivals,
            tokens_per_step=emitted, front_end_s=front_end, mixed_prefill_steps=mixed, wave_share=r.factors.wave_share,
        )
    return ReplicaPerf(
        model_id=r.model.id,
        card_id=r.card.id,
        precision=r.precision_name,
        compute_precision=r.compute,
        kv_precision=r.kv_precision,
        parallelism=r.par,
        batch=batch,
        input_len=input_len,
        output_len=output_len,
        servers_spanned=math.ceil(r.par.cards / r.server_cards),
        memory=mem,
        kv_bytes_per_token=kv_bytes_per_token(r.model, r.kv_bytes),
        prefill=pre,
        decode=dec,
        ttft_s=serving.ttft_s,
        tpot_s=serving.tpot_s,
        output_tokens_per_s=serving.output_tokens_per_s,
        requests_per_s=serving.requests_per_s,
        prefill_occupancy_s=occupancy,
        engine=r.engine_id,
        accept_len=emitted,
        factors=r.factors,
    )


def evaluate_max_batch(
    model: ModelSpec, card: Card, precision_name: str, par: Parallelism, input_len: int,
    output_len: int, kv_precision: str = "bf16", max_running_seqs: int | None = None,
    efficiency: Efficiency | None = None, *, engine: str | None = None, spec: Speculative | None = None,
) -> ReplicaPerf:
    """Evaluate at the largest batch whose KV cache fits (at least 1, so a design that does not
    fit still gets its breakdown with fits = False)."""
    r = make_replica(model, card, precision_name, par, kv_precision, engine=engine, efficiency=efficiency, spec=spec)
    b = max_batch(r, input_len + output_len, max_running_seqs)
    return evaluate_replica(r, max(1, b), input_len, output_len)


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


def kv_transfer_s(r: Replica, input_len: int) -> float:
    """Moving one prompt's KV cache (whole model) from a prefill replica to a decode replica over
    the prefill replica's NICs (different servers, so never the scale-up link)."""
    nbytes = max(1, input_len) * kv_bytes_per_token(r.model, r.kv_bytes)
    bandwidth = r.par.cards * units.gbps_to_bytes_per_s(r.card.nic_gbps_per_card) * r.factors.link_efficiency
    return nbytes / bandwidth + units.us_to_s(r.defaults.nic_latency_us)


def prefill_pool(
    perf: ReplicaPerf, transfer_s: float, ttft_budget_s: float | None, wait_factor: float = 1.0
) -> PoolEstimate | None:
    """The highest utilisation rho at which TTFT = prefill + wait_factor x rho / (2 (1 - rho)) x
    occupancy (the M/D/1 wait, scaled for a percentile SLA) + KV transfer + the engine's front end
    stays within the budget; None when even an idle replica misses it. Capacity: rho / occupancy
    requests per second."""
    occupancy = perf.prefill_occupancy_s
    front_end = units.ms_to_s(perf.factors.ttft_overhead_ms) if perf.factors else 0.0
    fixed = perf.prefill_s + transfer_s + front_end
    if ttft_budget_s is None:
        rho = MAX_PREFILL_UTILIZATION
    else:
        slack = ttft_budget_s - fixed
        if slack <= 0:
            return None
        scaled = occupancy * wait_factor
        rho = min(MAX_PREFILL_UTILIZATION, 2 * slack / (scaled + 2 * slack))
    ttft = fixed + wait_factor * rho / (2 * (1 - rho)) * occupancy
    return PoolEstimate(rho / occupancy, ttft, 0.0, rho, transfer_s)


def decode_pool(perf: ReplicaPerf) -> PoolEstimate:
    """A decode-only replica at `perf.batch`: every step serves the whole batch, no prefills in
    between, so TPOT is the step over the tokens it emits and a request leaves after
    (output_len - 1) / accept_len steps."""
    step = perf.decode.total_s
    rate = perf.batch * perf.accept_len / (max(1, perf.output_len - 1) * step)
    return PoolEstimate(rate, 0.0, step / perf.accept_len, 1.0, 0.0)
