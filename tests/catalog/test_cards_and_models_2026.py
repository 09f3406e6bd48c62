"""2025-H2/2026 catalog additions: cards and models that published serving benchmarks use."""

from __future__ import annotations

import pytest

from optimizer.arch import count_params
from optimizer.catalog.records import load_cards, load_models

NEW_CARDS = {"b300": "nvidia-blackwell", "gb200": "nvidia-blackwell", "gb300": "nvidia-blackwell",
             "mi355x": "amd-cdna4", "h20-141g": "nvidia-hopper"}
NEW_MODELS = ("qwen3-30b-a3b", "gpt-oss-120b", "gpt-oss-20b", "qwen3.5-397b-a17b", "llama-3.3-70b")


@pytest.mark.parametrize("card_id", sorted(NEW_CARDS))
def test_new_card_loads_with_family_and_sources(card_id: str):
    card = load_cards()[card_id]
    assert card.family == NEW_CARDS[card_id]
    assert {"specs", "interconnect", "nic", "tdp"} <= set(card.provenance)
    assert card.notes.strip()


@pytest.mark.parametrize("card_id", ["gb200", "gb300"])
def test_nvl72_is_a_four_gpu_tray_in_a_72_gpu_nvlink_domain(card_id: str):
    card = load_cards()[card_id]
    assert card.cards_per_server == 4
    assert card.scaleup.topology == "switch"
    assert card.scaleup.domain_cards == 72
    assert card.scaleup.bidir_gbs_per_card == 1800


def test_blackwell_ultra_int8_is_cut_and_fp4_raised():
    """Blackwell Ultra trades INT8 for FP4: B300 153.5 TOPS INT8 against 14 PF FP4 (B200: 4,500 / 9,000)."""
    cards = load_cards()
    b200, b300, gb300 = cards["b200"], cards["b300"], cards["gb300"]
    assert b300.dense_tflops["int8"] < b300.dense_tflops["fp8"] / 20
    assert gb300.dense_tflops["int8"] < gb300.dense_tflops["fp8"] / 20
    assert b300.dense_tflops["fp4"] > b200.dense_tflops["fp4"]
    assert b300.mem_gb == gb300.mem_gb == 288


def test_mi355x_mesh_and_dense_peaks():
    """256 CUs x 2.4 GHz x 4,096 / 8,192 / 16,384 FLOPS per clock per CU = 2,516.6 / 5,033.2 /
    10,066.3 TFLOPS (BF16 / FP8 / MXFP4); 7 Infinity Fabric links x 153.6 GB/s = 1,075.2 GB/s."""
    card = load_cards()["mi355x"]
    for precision, per_cu in (("bf16", 4096), ("fp8", 8192), ("fp4", 16384)):
        assert card.dense_tflops[precision] == pytest.approx(256 * 2.4e9 * per_cu / 1e12, abs=0.1)
    assert "int8" not in card.dense_tflops  # no sourced figure; see the card's notes
    assert card.scaleup.topology == "mesh" and card.scaleup.mesh_links == 7
    assert card.scaleup.unidir_gbs_per_pair == pytest.approx(76.8)


def test_prices_of_new_cards_are_null_without_a_public_quote():
    """The rack-scale parts have no public China price; B300, H20-141G and MI355X have (2026-12)."""
    priced = {"b300", "h20-141g", "mi355x"}
    assert all(load_cards()[c].price_rmb_per_card is None for c in NEW_CARDS if c not in priced)


@pytest.mark.parametrize(("card_id", "low", "high", "kind"), [
    ("b300", 4_000_000 / 8, 8_000_000 / 8, "range"),     # DGX B300 grey market RMB 4M -> >8M, 8 GPUs a server
    ("h20-141g", 880_000 / 8, 1_050_000 / 8, "quote"),  # 8-GPU board RMB 880k -> 1.05M (one industry source)
    ("mi355x", 23_000 * 7.2, 25_000 * 7.2, "estimate"),  # HSBC ASP estimates USD 23k-25k at USD 1 = RMB 7.2
])
def test_new_prices_are_the_sources_figures_divided_as_stated(card_id, low, high, kind):
    price = load_cards()[card_id].price_rmb_per_card
    assert price is not None and (price.low_rmb, price.high_rmb, price.kind) == (pytest.approx(low), pytest.approx(high), kind)


@pytest.mark.parametrize("model_id", NEW_MODELS)
def test_new_model_loads_and_matches_its_published_total(model_id: str):
    model = load_models()[model_id]
    assert model.published_total_params_b is not None
    derived_b = count_params(model).total / 1e9
    assert derived_b == pytest.approx(model.published_total_params_b, rel=0.01)


def test_gpt_oss_kv_layers_and_precision():
    """layer_types alternate sliding_attention (even layers) and full_attention (odd layers):
    120b has 36 layers -> 36 / 2 = 18 full-attention layers; 20b has 24 -> 12. MXFP4 experts -> fp4."""
    models = load_models()
    assert models["gpt-oss-120b"].attention.kv_layers == 18
    assert models["gpt-oss-20b"].attention.kv_layers == 12
    for mid, experts in (("gpt-oss-120b", 128), ("gpt-oss-20b", 32)):
        m = models[mid]
        assert m.checkpoint_precision == "fp4"
        assert m.moe is not None and (m.moe.num_routed_experts, m.moe.experts_per_token) == (experts, 4)
        assert m.moe.moe_intermediate_size == 2880


def test_qwen35_kv_layers():
    """60 layers, full attention where (i + 1) % 4 == 0 -> layers 3, 7, ..., 59 -> 60 / 4 = 15."""
    m = load_models()["qwen3.5-397b-a17b"]
    assert m.attention.kv_layers == 15
    assert m.moe is not None and (m.moe.num_routed_experts, m.moe.experts_per_token, m.moe.num_shared_experts) == (512, 10, 1)


def test_full_attention_models_have_no_kv_layers_limit():
    models = load_models()
    assert models["qwen3-30b-a3b"].attention.kv_layers is None
    assert models["llama-3.3-70b"].attention.kv_layers is None


def test_llama_3_3_70b_has_the_llama_3_1_70b_architecture():
    models = load_models()
    a, b = models["llama-3.3-70b"], models["llama-3.1-70b"]
    for field in ("attention", "moe", "hidden_size", "num_layers", "intermediate_size", "vocab_size", "tie_embeddings"):
        assert getattr(a, field) == getattr(b, field), field
