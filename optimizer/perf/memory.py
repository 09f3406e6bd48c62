"""Memory of one card of the heaviest stage: weights, KV cache, activation workspace, overhead;
the largest batch that fits."""

from __future__ import annotations

import math
from dataclasses import dataclass

from optimizer import units
from optimizer.arch import (
    attention_kv_bytes_per_token_layer,
    decode_kv_read_bytes_per_layer,
    indexer_key_bytes_per_token_layer,
    kv_layers,
    linear_layers,
)
from optimizer.catalog.efficiency import ServingDefaults
from optimizer.catalog.records import ModelSpec
from optimizer.perf.replica import Parallelism, Replica, Stage


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


def kv_bytes_per_token_per_card(model: ModelSpec, kv_bytes: float, par: Parallelism) -> float:
    """KV of one token on one card of the heaviest stage: its full-attention layers, each with the
    attention's share of the rank (GQA heads split over TP, replicated when TP exceeds them; the MLA
    latent whole) and the sparse-attention indexer's keys (whole on every rank)."""
    layers = math.ceil(kv_layers(model) / par.pp)
    return layers * (attention_kv_bytes_per_token_layer(model, kv_bytes, par.tp) + indexer_key_bytes_per_token_layer(model))


def decode_kv_read_bytes_per_card(model: ModelSpec, context: float, kv_bytes: float, par: Parallelism) -> float:
    """Cache bytes one decode token of a sequence with `context` cached tokens reads on one card of
    the heaviest stage (arch.decode_kv_read_bytes_per_layer: top-k bounded under sparse attention,
    plus the indexer's keys of the whole context)."""
    layers = math.ceil(kv_layers(model) / par.pp)
    return layers * decode_kv_read_bytes_per_layer(model, context, kv_bytes, par.tp)


def linear_state_bytes_per_card(model: ModelSpec, state_bytes: float, par: Parallelism) -> float:
    """The fixed recurrent state one sequence keeps on one card of the heaviest stage, over its
    Gated DeltaNet layers (0 without linear attention): the delta-rule state (value heads x key dim x
    value dim) and the causal-conv window (conv_kernel_dim - 1 past q, k and v inputs), heads split
    over TP ranks (replicated when TP exceeds them), layers over pipeline stages. Kept in the KV cache's
    format: the engines' state-cache dtype 'auto' follows the model's (an assumption where a
    deployment keeps it in FP32, which doubles it)."""
    lin = model.attention.linear
    if lin is None:
        return 0.0
    layers = math.ceil(linear_layers(model) / par.pp)
    value_heads, key_heads = math.ceil(lin.num_value_heads / par.tp), math.ceil(lin.num_key_heads / par.tp)
    recurrent = value_heads * lin.key_head_dim * lin.value_head_dim
    conv = (2 * key_heads * lin.key_head_dim + value_heads * lin.value_head_dim) * (lin.conv_kernel_dim - 1)
    return layers * (recurrent + conv) * state_bytes


def _weights_per_card_bytes(st: Stage, par: Parallelism, bytes_per_param: float, num_experts: int) -> float:
    return (
        st.nonrouted_params / par.tp + st.routed_params * par.routed_share(num_experts) + st.head_params / par.tp
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
    weights = _weights_per_card_bytes(st, par, r.precision.bytes_per_param, r.params.routed_experts)
    seqs_per_group = math.ceil(batch / par.attention_dp)
    per_seq = context_len * kv_bytes_per_token_per_card(model, r.kv_bytes, par) + linear_state_bytes_per_card(model, r.kv_bytes, par)
    kv = seqs_per_group * per_seq
    activations = _activation_bytes(model, par, d, seqs_per_group)
    reserved = r.engine.mem_reserved_gb
    if reserved is not None:
        # The engine reserves a fixed amount for activations, graphs and runtime (SGLang 0.5:
        # mem_fraction_static = (mem - reserved) / mem); weights and KV get the rest.
        return MemoryBreakdown(
            weights_gb=units.bytes_to_gb(weights), kv_cache_gb=units.bytes_to_gb(kv), activations_gb=0.0,
            overhead_gb=reserved, capacity_gb=r.card.mem_capacity_gb,
        )
    card_gb, free_share = r.card.mem_capacity_gb, r.engine.kv_free_fraction
    if free_share is None:
        capacity = card_gb * d.usable_mem_fraction
    else:
        # The KV cache takes a share of what is free once weights, activations and the runtime are
        # in place (TensorRT-LLM), not a share of the whole card: a model that nearly fills the
        # card still gets most of the rest.
        left = card_gb - units.bytes_to_gb(weights + activations) - d.runtime_overhead_gb
        capacity = card_gb - (1 - free_share) * max(0.0, left)
    return MemoryBreakdown(
        weights_gb=units.bytes_to_gb(weights),
        kv_cache_gb=units.bytes_to_gb(kv),
        activations_gb=units.bytes_to_gb(activations),
        overhead_gb=d.runtime_overhead_gb,
        capacity_gb=capacity,
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
