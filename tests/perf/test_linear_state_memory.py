"""The fixed state of linear-attention layers in the memory of one card (perf/memory.py)."""

from __future__ import annotations

import pytest

from optimizer import units
from optimizer.catalog.bundle import load_catalog
from optimizer.perf import memory
from optimizer.perf.replica import Parallelism, make_replica

CATALOG = load_catalog()
NEXT = CATALOG.models["qwen3-next-80b-a3b"]


def test_qwen3_next_state_per_card_at_tp4_by_hand():
    """36 Gated DeltaNet layers; at TP4 a rank holds 32/4 = 8 value heads and 16/4 = 4 key heads:
    recurrent 8 x 128 x 128 = 131,072 and conv window (2 x 4 x 128 + 8 x 128) x 3 = 6,144 elements a
    layer, 137,216 x 36 = 4,939,776 elements, x 2 bytes (BF16) = 9,879,552 bytes a sequence."""
    assert memory.linear_state_bytes_per_card(NEXT, 2, Parallelism(tp=4)) == 9_879_552
    assert memory.linear_state_bytes_per_card(NEXT, 2, Parallelism(tp=4, pp=2)) == 18 * 137_216 * 2  # half the layers
    assert memory.linear_state_bytes_per_card(CATALOG.models["llama-3.1-70b"], 2, Parallelism(tp=4)) == 0


def test_the_state_is_in_the_cache_of_every_sequence_whatever_its_length():
    """The cache of b sequences of c tokens on one card is b x (c x per-token KV + state). At TP4 the 2
    KV heads are replicated (one a rank): 12 full-attention layers x 2 (K, V) x 1 head x 256 x 2 bytes
    = 12,288 bytes a token; the state, 9,879,552 bytes a sequence, does not grow with the context."""
    r = make_replica(CATALOG, NEXT, CATALOG.cards["h200"], "fp8", Parallelism(tp=4))
    per_token = memory.kv_bytes_per_token_per_card(NEXT, r.kv_bytes, r.par)
    state = memory.linear_state_bytes_per_card(NEXT, r.kv_bytes, r.par)
    assert (per_token, state) == (12_288, 9_879_552)
    for batch, context in ((1, 1_000), (8, 1_000), (8, 128_000)):
        kv = memory.memory_breakdown(r, batch, context).kv_cache_gb
        assert kv == pytest.approx(units.bytes_to_gb(batch * (context * per_token + state)))
    short, long = (memory.memory_breakdown(r, 1, c).kv_cache_gb for c in (1, 2))
    assert units.bytes_to_gb(state) == pytest.approx(2 * short - long)   # the intercept of the cache in the context
