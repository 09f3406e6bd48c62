"""DeepSeek Sparse Attention (DeepSeek-V3.2-Exp) in the KV cache and the decode reads, by hand.

The lightning indexer keeps its own key cache: per token and layer one key of index_head_dim 128 in
FP8 (1 byte an element) plus one FP32 scale (4 bytes) per block of 128 elements, 128 + 4 = 132 bytes,
in that format whatever the KV cache dtype (DeepSeek-V3.2-Exp inference/model.py, Indexer k_cache
and k_scale_cache). The MLA latent is 512 + 64 = 576 values a token and layer. 61 layers.

The hybrid-linear (Qwen3-Next-80B-A3B) and dense-attention (Llama-3.3-70B) figures this compares
with are pinned in tests/catalog/test_models_2026b.py (24,576 and 327,680 bytes a token in BF16;
3,300,261,888 and 42,949,672,960 bytes for one sequence at 128k, BF16 KV and an FP32 state) and are
not asserted again here.
"""

from __future__ import annotations

import pytest

from optimizer.arch import (
    decode_kv_read_bytes,
    indexer_key_bytes_per_token_layer,
    kv_bytes_per_token,
    sequence_cache_bytes,
)
from optimizer.catalog.bundle import load_catalog
from optimizer.perf import memory
from optimizer.perf.replica import Parallelism, make_replica
from optimizer.perf.step import decode_step

CATALOG = load_catalog()
V32, V31 = CATALOG.models["deepseek-v3.2-exp"], CATALOG.models["deepseek-v3.1"]
NEXT, LLAMA = CATALOG.models["qwen3-next-80b-a3b"], CATALOG.models["llama-3.3-70b"]
FP8, BF16, FP32 = 1, 2, 4
CONTEXT_128K = 131_072


def test_kv_bytes_per_token_sparse_against_dense_mla_hybrid_linear_and_dense_gqa():
    """Indexer keys: 128 x 1 + 128 // 128 x 4 = 132 bytes a token and layer.
    V3.2 with a BF16 latent: 61 x (576 x 2 + 132) = 61 x 1,284 = 78,324 bytes a token; with an FP8
    latent: 61 x (576 + 132) = 61 x 708 = 43,188. V3.1 (the same MLA, no indexer): 61 x 1,152 =
    70,272 in BF16 and 61 x 576 = 35,136 in FP8. The indexer adds 132 / 1,152 = 11.5 % in BF16 and
    132 / 576 = 22.9 % in FP8. In BF16 V3.2 sits between Qwen3-Next (24,576) and Llama-3.3-70B
    (327,680)."""
    assert indexer_key_bytes_per_token_layer(V32) == 132
    assert indexer_key_bytes_per_token_layer(V31) == 0
    assert kv_bytes_per_token(V32, BF16) == 78_324
    assert kv_bytes_per_token(V32, FP8) == 43_188
    assert kv_bytes_per_token(V31, BF16) == 70_272
    assert kv_bytes_per_token(V31, FP8) == 35_136
    assert kv_bytes_per_token(NEXT, BF16) < kv_bytes_per_token(V32, BF16) < kv_bytes_per_token(LLAMA, BF16)


def test_cache_of_one_sequence_at_128k():
    """131,072 tokens, BF16 latent (no linear state: the FP32 state size does not enter).
    V3.2: 131,072 x 78,324 = 10,266,083,328 bytes. V3.1: 131,072 x 70,272 = 9,210,691,584.
    With an FP8 latent: V3.2 131,072 x 43,188 = 5,660,737,536; V3.1 131,072 x 35,136 = 4,605,345,792.
    Order at 128k in BF16: Qwen3-Next 3.30 GB < V3.1 9.21 GB < V3.2 10.27 GB < Llama-3.3-70B 42.95 GB."""
    assert sequence_cache_bytes(V32, CONTEXT_128K, BF16, FP32) == 10_266_083_328
    assert sequence_cache_bytes(V31, CONTEXT_128K, BF16, FP32) == 9_210_691_584
    assert sequence_cache_bytes(V32, CONTEXT_128K, FP8, FP32) == 5_660_737_536
    assert sequence_cache_bytes(V31, CONTEXT_128K, FP8, FP32) == 4_605_345_792
    order = [sequence_cache_bytes(m, CONTEXT_128K, BF16, FP32) for m in (NEXT, V31, V32, LLAMA)]
    assert order == sorted(order)


def test_indexer_keys_are_on_every_tensor_parallel_rank():
    """Like the MLA latent, the indexer's single key per token is not split by TP: at TP8 a card
    holds the whole 61 x 708 = 43,188 bytes a token (FP8 latent); at PP2 the heavier stage has
    ceil(61 / 2) = 31 layers, 31 x 708 = 21,948. One sequence of 128k at TP8 with a BF16 latent:
    131,072 x 78,324 = 10,266,083,328 bytes on each card."""
    assert memory.kv_bytes_per_token_per_card(V32, FP8, Parallelism(tp=8)) == 43_188
    assert memory.kv_bytes_per_token_per_card(V32, FP8, Parallelism(tp=4, pp=2)) == 21_948
    r = make_replica(CATALOG, V32, CATALOG.cards["h200"], "fp8", Parallelism(tp=8))
    one, empty = (memory.memory_breakdown(r, b, CONTEXT_128K) for b in (1, 0))
    assert one.kv_cache_gb - empty.kv_cache_gb == pytest.approx(10_266_083_328 / 1e9)


def test_decode_reads_at_128k_are_the_top_k_latent_plus_every_indexer_key():
    """One decode step of one sequence at 131,072 cached tokens, FP8 latent.
    V3.2: the latent of the 2,048 selected tokens, 61 x 2,048 x 576 = 71,958,528 bytes, plus the
    indexer keys of all of them, 61 x 131,072 x 132 = 1,055,391,744: 1,127,350,272 bytes.
    V3.1 reads the whole latent: 61 x 131,072 x 576 = 4,605,345,792 (4.1x V3.2's).
    Below the top-k (1,000 tokens) every token is attended, so V3.2 reads more than V3.1:
    61 x 1,000 x 708 = 43,188,000 against 61 x 1,000 x 576 = 35,136,000."""
    assert decode_kv_read_bytes(V32, CONTEXT_128K, FP8) == 71_958_528 + 1_055_391_744
    assert decode_kv_read_bytes(V31, CONTEXT_128K, FP8) == 4_605_345_792
    assert decode_kv_read_bytes(V32, CONTEXT_128K, FP8) < decode_kv_read_bytes(V31, CONTEXT_128K, FP8)
    assert decode_kv_read_bytes(V32, 1_000, FP8) == 43_188_000
    assert decode_kv_read_bytes(V31, 1_000, FP8) == 35_136_000
    per_card = memory.decode_kv_read_bytes_per_card(V32, CONTEXT_128K, FP8, Parallelism(tp=8))
    assert per_card == 1_127_350_272  # neither part is split by TP


def test_decode_step_memory_time_grows_at_the_indexer_rate_beyond_the_top_k():
    """In the decode step, beyond 2,048 cached tokens only the indexer keys grow with the context: each
    extra token costs batch x 61 x 132 bytes (BF16 latent: V3.1 pays 61 x 1,152 for it). Weights and
    experts do not depend on the context, so the difference of the step's memory time between two
    long contexts is exactly that, over the card's bandwidth at the fitted MBU."""
    batch, short, long = 16, 65_536, CONTEXT_128K
    for model, per_token_layer in ((V32, 132), (V31, 1_152)):
        r = make_replica(CATALOG, model, CATALOG.cards["h200"], "fp8", Parallelism(tp=8))
        grown = decode_step(r, batch, long).memory_s - decode_step(r, batch, short).memory_s
        expected = batch * 61 * per_token_layer * (long - short) / (r.mem_bw * r.factors.mbu)
        assert grown == pytest.approx(expected, rel=1e-9)
