"""Hugging Face config.json import: the fixtures reproduce the shipped catalog architectures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from optimizer.catalog.hf_import import spec_from_config
from optimizer.catalog.records import ModelSpec, load_models
from optimizer.catalog.validation import parse_record
from optimizer.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hf_configs"
CONFIGS = sorted(FIXTURES.glob("*.json"))
ARCH_FIELDS = ("attention", "moe", "hidden_size", "num_layers", "vocab_size", "tie_embeddings", "mtp_layers", "hf_model_type")


def _config(model_id: str) -> dict:
    return json.loads((FIXTURES / f"{model_id}.json").read_text(encoding="utf-8"))


def _import(cfg: dict, model_id: str) -> ModelSpec:
    return spec_from_config(cfg, model_id, source="test fixture", date="2025-01-01")


def test_there_is_a_fixture_per_catalog_model():
    assert {p.stem for p in CONFIGS} == set(load_models())


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_fixture_imports_to_the_catalog_architecture(path: Path):
    spec = _import(json.loads(path.read_text(encoding="utf-8")), path.stem)
    shipped = load_models()[path.stem]
    for field in ARCH_FIELDS:
        assert getattr(spec, field) == getattr(shipped, field), f"{path.stem}: {field}"


def test_deepseek_r1_is_mla():
    spec = _import(_config("deepseek-r1"), "deepseek-r1")
    assert spec.attention.kind == "mla"
    assert spec.attention.kv_lora_rank == 512
    assert spec.attention.qk_rope_head_dim == 64
    assert spec.moe is not None and spec.moe.num_routed_experts == 256 and spec.moe.dense_layers == 3


@pytest.mark.parametrize(("model_id", "experts", "top_k"), [("qwen3-235b-a22b", 128, 8), ("mixtral-8x7b", 8, 2)])
def test_moe_detected(model_id: str, experts: int, top_k: int):
    spec = _import(_config(model_id), model_id)
    assert spec.moe is not None
    assert (spec.moe.num_routed_experts, spec.moe.experts_per_token) == (experts, top_k)
    assert spec.attention.kind == "gqa"


def test_dense_config_has_no_moe():
    assert _import(_config("llama-3.1-70b"), "llama-3.1-70b").moe is None


@pytest.mark.parametrize("model_id, key", [("llama-3.1-8b", "hidden_size"), ("qwen3-30b-a3b", "num_experts_per_tok")])
def test_a_missing_key_is_named(model_id, key):
    cfg = _config(model_id)
    del cfg[key]
    with pytest.raises(InputError) as exc:
        _import(cfg, model_id)
    assert exc.value.field == key
    assert key in str(exc.value)


def test_cli_model_import_prints_a_model_spec(procure):
    result = procure(
        "model", "import", "tests/fixtures/hf_configs/qwen3-8b.json", "--id", "qwen3-8b", "--date", "2025-04-29",
        expect=0,
    )
    spec = parse_record(ModelSpec, yaml.safe_load(result.stdout), "stdout")
    assert isinstance(spec, ModelSpec)
    assert spec.id == "qwen3-8b"
    assert spec.provenance.date == "2025-04-29"
    shipped = load_models()["qwen3-8b"]
    for field in ARCH_FIELDS:
        assert getattr(spec, field) == getattr(shipped, field), field


def test_gpt_oss_alternating_sliding_window_gives_half_the_layers_kv():
    """gpt-oss-120b layer_types = 18 x [sliding_attention, full_attention]: 18 full layers keep a
    per-token KV cache; the 18 sliding-window (128-token) layers do not grow with the context."""
    spec = _import(_config("gpt-oss-120b"), "gpt-oss-120b")
    assert spec.attention.kv_layers == 18
    assert spec.attention.qkv_bias is True
    assert spec.moe is not None
    assert (spec.moe.num_routed_experts, spec.moe.experts_per_token, spec.moe.moe_intermediate_size) == (128, 4, 2880)
    assert spec.checkpoint_precision == "fp4"


def test_gpt_oss_original_keys_experts_per_token():
    """The original gpt-oss key names (`num_experts`, `experts_per_token`, no moe_intermediate_size)."""
    cfg = _config("gpt-oss-20b")
    cfg["num_experts"] = cfg.pop("num_local_experts")
    del cfg["num_experts_per_tok"]
    spec = _import(cfg, "gpt-oss-20b")
    assert spec.moe is not None
    assert (spec.moe.num_routed_experts, spec.moe.experts_per_token, spec.moe.moe_intermediate_size) == (32, 4, 2880)
    assert spec.attention.kv_layers == 12  # 24 layers, every second one full


def test_qwen35_text_config_and_linear_attention():
    """Qwen3.5-397B-A17B: text_config nested in the multimodal wrapper; 60 layers where layer i is
    full attention iff (i + 1) % 4 == 0 -> 15 full, 45 Gated-DeltaNet -> kv_layers 15."""
    spec = _import(_config("qwen3.5-397b-a17b"), "qwen3.5-397b-a17b")
    assert spec.attention.kv_layers == 15
    assert (spec.hidden_size, spec.num_layers, spec.vocab_size, spec.max_context) == (4096, 60, 248320, 262144)
    assert (spec.attention.num_heads, spec.attention.num_kv_heads, spec.attention.head_dim) == (32, 2, 256)
    assert spec.moe is not None
    assert spec.moe.num_shared_experts == 1 and spec.moe.shared_expert_intermediate_size == 1024


def test_qwen3_next_interval_without_layer_types():
    """Qwen3-Next configs may give only full_attention_interval: 48 layers / 4 -> 12 full layers."""
    cfg = {**_config("qwen3.5-397b-a17b")["text_config"], "num_hidden_layers": 48, "model_type": "qwen3_next"}
    del cfg["layer_types"]
    assert _import(cfg, "qwen3-next-like").attention.kv_layers == 12


def test_unknown_layer_type_is_rejected_naming_the_field():
    cfg = _config("gpt-oss-20b")
    cfg["layer_types"][3] = "chunked_attention"
    with pytest.raises(InputError) as exc:
        _import(cfg, "gpt-oss-20b")
    assert exc.value.field == "layer_types"
    assert "chunked_attention" in str(exc.value)


def test_layer_types_of_the_wrong_length_is_rejected():
    cfg = _config("gpt-oss-20b")
    cfg["layer_types"] = cfg["layer_types"][:-2]
    with pytest.raises(InputError) as exc:
        _import(cfg, "gpt-oss-20b")
    assert exc.value.field == "layer_types"


def test_all_linear_attention_is_rejected():
    cfg = _config("qwen3.5-397b-a17b")
    cfg["text_config"]["layer_types"] = ["linear_attention"] * 60
    with pytest.raises(InputError) as exc:
        _import(cfg, "qwen3.5-397b-a17b")
    assert exc.value.field == "layer_types"




def test_mtp_modules_are_read_from_either_key():
    """DeepSeek-V3/R1 state `num_nextn_predict_layers`, Qwen3.5 `mtp_num_hidden_layers`; a model
    without either has none, so MTP speculative decoding is refused on it."""
    assert {m.id for m in load_models().values() if m.mtp_layers} == {
        "deepseek-r1", "deepseek-v3", "deepseek-v3.1", "deepseek-v3.2-exp", "glm-4.6", "qwen3.5-397b-a17b"}
    assert _import({**_config("llama-3.1-8b"), "mtp_num_hidden_layers": 2}, "x").mtp_layers == 2
    assert _import({**_config("deepseek-r1"), "num_nextn_predict_layers": 0}, "x").mtp_layers is None


def test_kv_heads_absent_or_null_is_multi_head_attention_and_zero_is_refused():
    """Hugging Face's own config classes read a missing or null num_key_value_heads as one KV head
    per query head; 0 is no head count (it used to be read as multi-head attention, silently)."""
    cfg = {k: v for k, v in _config("llama-3.1-8b").items() if k != "num_key_value_heads"}
    assert _import(cfg, "x").attention.num_kv_heads == 32
    assert _import({**cfg, "num_key_value_heads": None}, "x").attention.num_kv_heads == 32
    with pytest.raises(InputError) as exc:
        _import({**cfg, "num_key_value_heads": 0}, "x")
    assert exc.value.field == "num_key_value_heads"
