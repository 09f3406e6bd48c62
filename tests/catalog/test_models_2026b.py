"""Open models buyers ask about since mid-2025 (issue 18): parameter totals against the published
ones, and the hybrid-linear and sparse-attention features they needed, pinned by hand-derived numbers."""

from __future__ import annotations

import pytest

from optimizer.arch import (
    attention_flops_per_token,
    attention_params,
    count_params,
    indexer_params,
    kv_bytes_per_token,
    linear_attention_params,
    linear_state_elements_per_sequence,
    sequence_cache_bytes,
)
from optimizer.catalog.records import load_models

NEW_MODELS = ("deepseek-v3.1", "deepseek-v3.2-exp", "glm-4.6", "qwen3-next-80b-a3b", "qwen3-coder-480b-a35b",
              "minimax-m2", "kimi-k2")
BF16, FP32 = 2, 4
CONTEXT_128K = 131_072


@pytest.mark.parametrize("model_id", NEW_MODELS)
def test_derived_total_is_within_1_percent_of_the_published_total(model_id: str):
    model = load_models()[model_id]
    assert model.published_total_params_b is not None
    assert count_params(model).total / 1e9 == pytest.approx(model.published_total_params_b, rel=0.01)


def test_qwen3_next_linear_and_gated_attention_parameters_by_hand():
    """Gated DeltaNet layer (hidden 2,048; 16 key heads and 32 value heads of 128): in_proj_qkvz
    2,048 x (2 x 2,048 + 2 x 4,096) = 25,165,824; in_proj_ba 2,048 x 64 = 131,072; conv
    (2 x 2,048 + 4,096) x 4 = 32,768; dt_bias + A_log 64; gated norm 128; out_proj 4,096 x 2,048 =
    8,388,608: 33,718,464. Gated full attention (16 heads, 2 KV heads, 256): q_proj with its gate
    2 x 2,048 x 4,096 = 16,777,216; k, v 2 x 2,048 x 512 = 2,097,152; o 8,388,608; q/k norm 512:
    27,263,488. Each MoE layer also has the shared expert's gate, 2,048 x 1. The total, 79,674,391,296,
    equals the safetensors count of the same shapes (Qwen3-Coder-Next)."""
    model = load_models()["qwen3-next-80b-a3b"]
    assert linear_attention_params(model) == 33_718_464
    assert attention_params(model) == 27_263_488
    p = count_params(model)
    assert (p.linear_layers, model.attention.kv_layers) == (36, 12)
    assert p.total == 79_674_391_296


def test_kv_bytes_per_token_hybrid_linear_against_dense_attention():
    """BF16 KV per token. Qwen3-Next-80B-A3B: 12 full-attention layers x 2 (K, V) x 2 KV heads x 256
    x 2 bytes = 24,576. Llama-3.3-70B (dense attention, similar size): 80 x 2 x 8 x 128 x 2 = 327,680."""
    models = load_models()
    assert kv_bytes_per_token(models["qwen3-next-80b-a3b"], BF16) == 24_576
    assert kv_bytes_per_token(models["llama-3.3-70b"], BF16) == 327_680


def test_linear_state_is_constant_per_sequence_and_memory_at_128k():
    """Qwen3-Next state per sequence: 36 linear layers x (32 x 128 x 128 recurrent + (2 x 16 x 128 +
    32 x 128) x 3 conv) = 36 x 548,864 = 19,759,104 elements, at any context. At 128k (131,072
    tokens), BF16 KV and an FP32 state: 131,072 x 24,576 + 19,759,104 x 4 = 3,221,225,472 +
    79,036,416 = 3,300,261,888 bytes. Llama-3.3-70B: 131,072 x 327,680 = 42,949,672,960 (13x)."""
    models = load_models()
    nxt, llama = models["qwen3-next-80b-a3b"], models["llama-3.3-70b"]
    assert linear_state_elements_per_sequence(nxt) == 19_759_104
    assert sequence_cache_bytes(nxt, CONTEXT_128K, BF16, FP32) == 3_300_261_888
    assert sequence_cache_bytes(nxt, 1, BF16, FP32) == 24_576 + 79_036_416
    assert linear_state_elements_per_sequence(llama) == 0
    assert sequence_cache_bytes(llama, CONTEXT_128K, BF16, FP32) == 42_949_672_960
    # gpt-oss's sliding-window layers are attention, not linear layers: no state, no linear params
    assert count_params(models["gpt-oss-120b"]).linear_layers == 0


def test_deepseek_v32_indexer_parameters_and_top_k_bounded_attention():
    """Indexer per layer: wq_b 1,536 x 64 x 128 = 12,582,912; wk 7,168 x 128 = 917,504; k_norm 256;
    weights_proj 7,168 x 64 = 458,752: 13,959,424; x 61 = 851,524,864 over V3.1. Decode attention
    FLOPs per token at context C: 2 x 128 heads x (576 + 512) x min(C, 2,048) x 61 plus the indexer's
    2 x 64 x 128 x C x 61. At 100,000: attention 2 x 128 x 1,088 x 2,048 x 61 = 34,795,945,984 plus the
    indexer 2 x 64 x 128 x 100,000 x 61 = 99,942,400,000. V3.1 (dense MLA) at 100,000:
    2 x 128 x 1,088 x 100,000 x 61 = 1,699,020,800,000."""
    models = load_models()
    v31, v32 = models["deepseek-v3.1"], models["deepseek-v3.2-exp"]
    assert indexer_params(v32) == 13_959_424
    assert count_params(v32).total - count_params(v31).total == 61 * 13_959_424
    assert attention_flops_per_token(v32, 100_000, prefill=False) == 34_795_945_984 + 99_942_400_000
    assert attention_flops_per_token(v31, 100_000, prefill=False) == 1_699_020_800_000
    # below the top-k every token is attended: the same attention plus the indexer's scoring
    short = attention_flops_per_token(v32, 1_000, prefill=False) - attention_flops_per_token(v31, 1_000, prefill=False)
    assert short == 2 * 64 * 128 * 1_000 * 61
    # the indexer's key cache: tests/perf/test_sparse_attention_memory.py


def test_architecture_details_of_the_new_models():
    models = load_models()
    v3, v31 = models["deepseek-v3"], models["deepseek-v3.1"]
    for field in ("attention", "moe", "hidden_size", "num_layers", "vocab_size", "mtp_layers"):
        assert getattr(v31, field) == getattr(v3, field), field
    glm = models["glm-4.6"]
    assert glm.attention.qkv_bias and glm.attention.qk_norm and glm.mtp_layers == 1
    assert glm.moe is not None and (glm.moe.dense_layers, glm.moe.num_routed_experts) == (3, 160)
    mm = models["minimax-m2"]
    assert mm.attention.kv_layers is None and mm.attention.linear is None and mm.mtp_layers is None
    assert mm.checkpoint_precision == "fp8"
    coder = models["qwen3-coder-480b-a35b"]
    assert coder.moe is not None and (coder.moe.num_routed_experts, coder.moe.num_shared_experts) == (160, 0)


def test_kimi_k2_parameters_by_hand_equal_the_released_checkpoint():
    """MLA with 64 heads: q 7,168 x 1,536 + 1,536 + 1,536 x 64 x 192 = 29,885,952; kv 7,168 x 576 + 512 +
    512 x 64 x 256 = 12,517,888; o 64 x 128 x 7,168 = 58,720,256: 101,124,096 a layer. Expert
    3 x 7,168 x 2,048 = 44,040,192; 60 MoE layers x 384 = 1,014,686,023,680 routed; shared expert + router
    44,040,192 + 7,168 x 384 = 46,792,704 a layer; the dense layer's FFN 3 x 7,168 x 18,432 = 396,361,728;
    embedding and LM head 2 x 163,840 x 7,168 = 2,348,810,240; norms 61 x 2 x 7,168 + 7,168 = 881,664.
    Total 1,026,408,209,408. The released FP8 checkpoint holds 1,026,470,731,056 (the Hub's safetensors
    count): the same plus 62,521,648 tensors procure does not count, the FP32 scale of every 128 x 128
    block (attention 61 x 6,200, dense FFN 24,192, experts 60 x 384 x 2,688, shared 60 x 2,688), the
    router's correction bias 60 x 384 and the rotary buffers 61 x 56."""
    p = count_params(load_models()["kimi-k2"])
    assert p.attention_per_layer == 101_124_096
    assert (p.expert, p.moe_shared_per_layer, p.dense_ffn_per_layer) == (44_040_192, 46_792_704, 396_361_728)
    assert (p.dense_layers, p.moe_layers, p.routed_experts, p.experts_per_token) == (1, 60, 384, 8)
    assert p.total == 1_026_408_209_408
    scales = 61 * 6_200 + 24_192 + 60 * 384 * 2_688 + 60 * 2_688
    assert p.total + scales + 60 * 384 + 61 * 56 == 1_026_470_731_056
