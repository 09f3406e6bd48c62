"""Hugging Face config.json import: the fixtures reproduce the shipped catalog architectures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from optimizer.errors import InputError
from optimizer.hf_import import spec_from_config
from optimizer.specs import ModelSpec, load_models, parse_record

FIXTURES = Path(__file__).parent / "fixtures" / "hf_configs"
CONFIGS = sorted(FIXTURES.glob("*.json"))
ARCH_FIELDS = ("attention", "moe", "hidden_size", "num_layers", "vocab_size", "tie_embeddings")


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


def test_missing_hidden_size_names_the_field():
    cfg = _config("llama-3.1-8b")
    del cfg["hidden_size"]
    with pytest.raises(InputError) as exc:
        _import(cfg, "llama-3.1-8b")
    assert exc.value.field == "hidden_size"
    assert "hidden_size" in str(exc.value)


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
