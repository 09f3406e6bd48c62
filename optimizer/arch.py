"""What an architecture implies without hardware: parameter counts (derived, never typed in), KV
bytes per token, attention FLOPs per token.

Counts are split the way the performance model needs them: what every token reads (attention,
dense FFN, norms, shared experts, router) versus the routed experts, of which a token reads only
its top-k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from optimizer.catalog.records import ModelSpec


@dataclass(frozen=True)
class ParamCounts:
    embedding: int            # input embedding table
    lm_head: int              # output projection (0 when tied to the embedding)
    attention_per_layer: int
    dense_ffn_per_layer: int  # FFN of a dense layer
    moe_shared_per_layer: int  # shared experts + router of an MoE layer
    expert: int               # one routed expert
    dense_layers: int
    moe_layers: int
    routed_experts: int
    experts_per_token: int
    norms: int
    linear_layers: int = 0            # Gated DeltaNet layers (their token mixer replaces attention)
    linear_attention_per_layer: int = 0

    @property
    def layer_params_total(self) -> int:
        dense = self.dense_layers * (self.attention_per_layer + self.dense_ffn_per_layer)
        moe = self.moe_layers * (
            self.attention_per_layer + self.moe_shared_per_layer + self.routed_experts * self.expert
        )
        linear = self.linear_layers * (self.linear_attention_per_layer - self.attention_per_layer)
        return dense + moe + linear

    @property
    def total(self) -> int:
        return self.embedding + self.lm_head + self.layer_params_total + self.norms

    @property
    def routed_expert_total(self) -> int:
        return self.moe_layers * self.routed_experts * self.expert

    @property
    def active(self) -> int:
        """Parameters one token multiplies by (the embedding lookup is not a matmul but is counted,
        as model cards do)."""
        return self.total - self.moe_layers * (self.routed_experts - self.experts_per_token) * self.expert


def attention_params(model: ModelSpec) -> int:
    a, h = model.attention, model.hidden_size
    if a.kind == "mla":
        assert a.kv_lora_rank and a.qk_rope_head_dim and a.qk_nope_head_dim and a.v_head_dim
        qk_head = a.qk_nope_head_dim + a.qk_rope_head_dim
        if a.q_lora_rank:
            q = h * a.q_lora_rank + a.q_lora_rank + a.q_lora_rank * a.num_heads * qk_head
        else:
            q = h * a.num_heads * qk_head
        kv = h * (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank
        kv += a.kv_lora_rank * a.num_heads * (a.qk_nope_head_dim + a.v_head_dim)
        out = a.num_heads * a.v_head_dim * h
        return q + kv + out + indexer_params(model)
    q_width = a.num_heads * a.head_dim
    kv_width = a.num_kv_heads * a.head_dim
    params = h * q_width + 2 * h * kv_width + q_width * h
    if a.output_gate:
        params += h * q_width  # q_proj emits query and gate
    if a.qkv_bias:
        params += q_width + 2 * kv_width
    if a.qk_norm:
        params += 2 * a.head_dim
    return params


def indexer_params(model: ModelSpec) -> int:
    """DeepSeek Sparse Attention lightning indexer of one layer (DeepSeek-V3.2-Exp inference/model.py):
    wq_b (query latent -> heads x head_dim), wk (hidden -> head_dim), k_norm (LayerNorm weight and
    bias), weights_proj (hidden -> one weight per head)."""
    a, h = model.attention, model.hidden_size
    if a.indexer is None:
        return 0
    ix = a.indexer
    q_in = a.q_lora_rank or h
    return q_in * ix.num_heads * ix.head_dim + h * ix.head_dim + 2 * ix.head_dim + h * ix.num_heads


def linear_attention_params(model: ModelSpec) -> int:
    """One Gated DeltaNet layer (Qwen3-Next): in_proj_qkvz (q, k of key width; v, z of value width),
    in_proj_ba (beta and alpha per value head), a depthwise causal conv over q, k and v, dt_bias and
    A_log per value head, the gated RMSNorm over a value head, out_proj."""
    lin, h = model.attention.linear, model.hidden_size
    if lin is None:
        return 0
    key, value = lin.num_key_heads * lin.key_head_dim, lin.num_value_heads * lin.value_head_dim
    in_proj = h * (2 * key + 2 * value) + h * 2 * lin.num_value_heads
    conv = (2 * key + value) * lin.conv_kernel_dim
    return in_proj + conv + 2 * lin.num_value_heads + lin.value_head_dim + value * h


def linear_layers(model: ModelSpec) -> int:
    """Gated DeltaNet layers: every layer without full attention, when the model has linear attention."""
    return model.num_layers - kv_layers(model) if model.attention.linear is not None else 0


def gated_ffn_params(hidden: int, intermediate: int) -> int:
    """SwiGLU FFN: gate, up and down projections."""
    return 3 * hidden * intermediate


def count_params(model: ModelSpec) -> ParamCounts:
    h = model.hidden_size
    moe = model.moe
    embedding = model.vocab_size * h
    lm_head = 0 if model.tie_embeddings else model.vocab_size * h
    norms_per_layer = 2 * h
    if moe is None:
        dense_layers, moe_layers = model.num_layers, 0
        shared, expert, routed, top_k = 0, 0, 0, 0
    else:
        dense_layers = moe.dense_layers
        moe_layers = model.num_layers - moe.dense_layers
        shared_width = moe.shared_expert_intermediate_size or moe.moe_intermediate_size
        shared = moe.num_shared_experts * gated_ffn_params(h, shared_width)
        shared += h * moe.num_routed_experts  # router
        if moe.shared_expert_intermediate_size:
            shared += h  # Qwen-MoE style: a sigmoid gate (hidden -> 1) scales the shared expert
        expert = gated_ffn_params(h, moe.moe_intermediate_size)
        routed, top_k = moe.num_routed_experts, moe.experts_per_token
    return ParamCounts(
        embedding=embedding,
        lm_head=lm_head,
        attention_per_layer=attention_params(model),
        dense_ffn_per_layer=gated_ffn_params(h, model.intermediate_size),
        moe_shared_per_layer=shared,
        expert=expert,
        dense_layers=dense_layers,
        moe_layers=moe_layers,
        routed_experts=routed,
        experts_per_token=top_k,
        norms=model.num_layers * norms_per_layer + h,
        linear_layers=linear_layers(model),
        linear_attention_per_layer=linear_attention_params(model),
    )


def kv_layers(model: ModelSpec) -> int:
    """Layers whose KV grows with the context (linear-attention and sliding-window layers excluded)."""
    return model.attention.kv_layers or model.num_layers


def attention_kv_bytes_per_token_layer(model: ModelSpec, kv_bytes: float, tp: int = 1) -> float:
    """What the attention itself caches for one token in one full-attention layer, on one of `tp`
    tensor-parallel ranks (tp=1: the whole layer).

    MHA/GQA: 2 (K and V) x kv_heads x head_dim x bytes; the KV heads split over TP ranks, each
    replicated when TP exceeds them. MLA: (kv_lora_rank + qk_rope_head_dim) x bytes, one compressed
    latent that TP does not split (every rank holds it for its sequences)."""
    a = model.attention
    if a.kind == "mla":
        assert a.kv_lora_rank and a.qk_rope_head_dim
        return (a.kv_lora_rank + a.qk_rope_head_dim) * kv_bytes
    return 2 * math.ceil(a.num_kv_heads / tp) * a.head_dim * kv_bytes


def indexer_key_bytes_per_token_layer(model: ModelSpec) -> float:
    """DeepSeek Sparse Attention: the lightning indexer's own key cache of one token in one layer, in
    its own quantised format whatever the KV cache's (one key shared by all index heads, so TP does
    not split it): head_dim x key_element_bytes plus one scale per key_scale_block_elements. 0
    without an indexer."""
    ix = model.attention.indexer
    if ix is None:
        return 0.0
    return ix.head_dim * ix.key_element_bytes + ix.head_dim // ix.key_scale_block_elements * ix.key_scale_bytes


def kv_bytes_per_token(model: ModelSpec, kv_bytes: float) -> float:
    """KV cache of one token for the whole model: every full-attention layer (`attention.kv_layers`;
    the others keep no per-token cache) holds the attention's K/V or MLA latent at `kv_bytes` a value,
    plus the sparse-attention indexer's keys in their own format."""
    return kv_layers(model) * (attention_kv_bytes_per_token_layer(model, kv_bytes) + indexer_key_bytes_per_token_layer(model))


def attended_tokens(model: ModelSpec, context: float) -> float:
    """Cached tokens one query's attention reads: all `context` of them, or at most `indexer.topk`
    under DeepSeek Sparse Attention (the indexer picks them)."""
    ix = model.attention.indexer
    return context if ix is None else min(context, ix.topk)


def decode_kv_read_bytes_per_layer(model: ModelSpec, context: float, kv_bytes: float, tp: int = 1) -> float:
    """Cache bytes one decode token of a sequence with `context` cached tokens reads in one
    full-attention layer on one of `tp` ranks: the attention's K/V or latent of the attended tokens,
    and under DeepSeek Sparse Attention the indexer's keys of every cached token (it scores them all)."""
    attention = attended_tokens(model, context) * attention_kv_bytes_per_token_layer(model, kv_bytes, tp)
    return attention + context * indexer_key_bytes_per_token_layer(model)


def decode_kv_read_bytes(model: ModelSpec, context: float, kv_bytes: float) -> float:
    """Cache bytes one decode step of one sequence reads over the whole model."""
    return kv_layers(model) * decode_kv_read_bytes_per_layer(model, context, kv_bytes)


def linear_state_elements_per_sequence(model: ModelSpec) -> int:
    """Recurrent state of one sequence over all Gated DeltaNet layers, in elements; constant in the
    context length. Per layer: the delta-rule state (value heads x key_head_dim x value_head_dim) and
    the causal-conv window (conv_kernel_dim - 1 past inputs of q, k and v)."""
    lin = model.attention.linear
    if lin is None:
        return 0
    recurrent = lin.num_value_heads * lin.key_head_dim * lin.value_head_dim
    conv_channels = 2 * lin.num_key_heads * lin.key_head_dim + lin.num_value_heads * lin.value_head_dim
    return linear_layers(model) * (recurrent + conv_channels * (lin.conv_kernel_dim - 1))


def sequence_cache_bytes(model: ModelSpec, context: int, kv_bytes: float, state_bytes: float) -> float:
    """Everything one sequence of `context` tokens keeps between steps: the KV cache of the
    full-attention layers (grows with the context) plus the linear layers' fixed state."""
    return context * kv_bytes_per_token(model, kv_bytes) + linear_state_elements_per_sequence(model) * state_bytes


def attention_flops_per_token(model: ModelSpec, context: float, *, prefill: bool) -> float:
    """Score and value FLOPs of one token attending to `context` tokens, all full-attention layers.

    Decode with MLA works in the latent space (weights absorbed): the score and value dimensions
    are the latent. Prefill with MLA expands keys and values per head.

    DeepSeek Sparse Attention: each query attends to at most `indexer.topk` tokens, and the lightning
    indexer scores all `context` tokens (2 x index heads x index head_dim FLOPs per token and layer)."""
    a = model.attention
    indexer = 0.0
    if a.indexer is not None:
        indexer = 2 * a.indexer.num_heads * a.indexer.head_dim * context * kv_layers(model)
    context = attended_tokens(model, context)
    if a.kind == "mla":
        assert a.kv_lora_rank and a.qk_rope_head_dim and a.qk_nope_head_dim and a.v_head_dim
        if prefill:
            dims = (a.qk_nope_head_dim + a.qk_rope_head_dim) + a.v_head_dim
        else:
            dims = (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank
    else:
        dims = 2 * a.head_dim
    return 2 * a.num_heads * dims * context * kv_layers(model) + indexer
