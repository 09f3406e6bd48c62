"""Catalog records: every shipped file loads strictly, with positive finite numbers and sources."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from optimizer.catalog.records import Card, ModelSpec, catalog_dir, load_cards, load_models
from optimizer.catalog.validation import parse_record
from optimizer.errors import InputError

REQUIRED_CARDS = {
    "h20", "h100-sxm", "h100-pcie", "h200", "h800", "a100-80g-sxm", "a100-80g-pcie", "a800", "l20",
    "l40s", "rtx-4090", "b200", "mi300x", "mi325x", "ascend-910b1", "ascend-910b2", "ascend-910b3",
    "ascend-910b4", "ascend-910c",
}
REQUIRED_MODELS = {
    "deepseek-r1", "deepseek-v3", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "qwen2.5-72b",
    "qwen2.5-7b", "qwen3-8b", "qwen3-32b", "qwen3-235b-a22b", "mixtral-8x7b", "llama-2-7b",
    "llama-2-70b", "deepseek-r1-distill-llama-70b",
}
# Counts the schema allows to be zero (Mixtral has no shared expert and no leading dense layer).
ZERO_ALLOWED = {"num_shared_experts", "dense_layers"}

CARD_FILES = sorted((catalog_dir() / "cards").glob("*.yaml"))
MODEL_FILES = sorted((catalog_dir() / "models").glob("*.yaml"))


def numeric_leaves(value: object, path: str = "") -> list[tuple[str, float]]:
    """Every int/float (not bool) inside a model_dump, with its dotted path."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in numeric_leaves(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, (list, tuple)):
        return [leaf for i, v in enumerate(value) for leaf in numeric_leaves(v, f"{path}[{i}]")]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    assert isinstance(value, (int, float)), f"{path}: unexpected type {type(value).__name__}"
    return [(path, value)]


def test_catalog_directories_are_not_empty():
    assert len(CARD_FILES) >= len(REQUIRED_CARDS)
    assert len(MODEL_FILES) >= len(REQUIRED_MODELS)


def test_every_card_and_model_file_loads():
    cards, models = load_cards(), load_models()
    assert {p.stem for p in CARD_FILES} == set(cards)
    assert {p.stem for p in MODEL_FILES} == set(models)


def test_required_ids_exist():
    assert REQUIRED_CARDS - set(load_cards()) == set()
    assert REQUIRED_MODELS - set(load_models()) == set()


@pytest.mark.parametrize("path", CARD_FILES, ids=lambda p: p.stem)
def test_card_id_matches_file_name(path: Path):
    assert load_cards()[path.stem].id == path.stem


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_model_id_matches_file_name(path: Path):
    assert load_models()[path.stem].id == path.stem


def test_every_numeric_field_is_positive_and_finite():
    bad = []
    records = [*load_cards().values(), *load_models().values()]
    for record in records:
        leaves = numeric_leaves(record.model_dump())
        assert leaves, f"{record.id}: no numbers found"
        for path, value in leaves:
            if path.rsplit(".", 1)[-1] in ZERO_ALLOWED and value == 0:
                continue
            if not (math.isfinite(value) and value > 0):
                bad.append(f"{record.id}: {path} = {value}")
    assert bad == []


def test_numeric_walk_sees_nested_numbers():
    """The walker must reach nested records, or the test above would check nothing there."""
    leaves = dict(numeric_leaves(load_cards()["h100-sxm"].model_dump()))
    assert leaves["scaleup.bidir_gbs_per_card"] == 900
    assert leaves["dense_tflops.bf16"] == 989
    assert leaves["price_rmb_per_card.low_rmb"] > 0


@pytest.mark.parametrize("card_id", sorted(load_cards()))
def test_card_has_provenance_for_specs_interconnect_nic(card_id: str):
    card = load_cards()[card_id]
    for key in ("specs", "interconnect", "nic"):
        assert key in card.provenance, f"{card_id} lacks provenance.{key}"
        assert card.provenance[key].source.strip(), f"{card_id}: empty provenance.{key}.source"
        assert card.provenance[key].date.strip(), f"{card_id}: empty provenance.{key}.date"


def test_no_fp8_on_910b_a100_a800():
    """A100/A800/910B have no FP8 units (DESIGN.md section 3); precision support is data."""
    cards = load_cards()
    no_fp8 = [c for c in cards if c.startswith("ascend-910b")] + ["a100-80g-sxm", "a100-80g-pcie", "a800"]
    assert len(no_fp8) >= 7
    for card_id in no_fp8:
        assert "fp8" not in cards[card_id].dense_tflops, card_id


def test_only_blackwell_and_cdna4_have_fp4_units():
    """FP4 tensor units arrived with Blackwell (NVFP4) and CDNA 4 (MXFP4); Hopper runs FP4 weights
    weight-only (precisions.yaml), so no Hopper card may list fp4."""
    have = {c.id: c.family for c in load_cards().values() if "fp4" in c.dense_tflops}
    assert set(have.values()) <= {"nvidia-blackwell", "amd-cdna4"}
    assert {"b200", "b300", "mi355x"} <= set(have)


def _write_card(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load((catalog_dir() / "cards" / "h100-sxm.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / "card.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _parse_card_file(path: Path) -> Card:
    return parse_record(Card, yaml.safe_load(path.read_text(encoding="utf-8")), str(path))  # type: ignore[return-value]


def test_unmodified_card_copy_parses(tmp_path: Path):
    """Control for the rejection tests below: the copy itself is valid."""
    assert _parse_card_file(_write_card(tmp_path)).id == "h100-sxm"


def test_unknown_card_key_is_rejected_naming_the_field(tmp_path: Path):
    path = _write_card(tmp_path, hbm_stacks_gb=5)
    with pytest.raises(InputError) as exc:
        _parse_card_file(path)
    assert exc.value.field == "hbm_stacks_gb"
    assert exc.value.where == str(path)
    assert "hbm_stacks_gb" in str(exc.value)


def test_infinite_number_is_rejected(tmp_path: Path):
    path = tmp_path / "card.yaml"
    text = (catalog_dir() / "cards" / "h100-sxm.yaml").read_text(encoding="utf-8")
    assert "mem_gb: 80\n" in text
    path.write_text(text.replace("mem_gb: 80\n", "mem_gb: .inf\n"), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        _parse_card_file(path)
    assert exc.value.field == "mem_gb"


def test_negative_number_is_rejected(tmp_path: Path):
    with pytest.raises(InputError) as exc:
        _parse_card_file(_write_card(tmp_path, mem_bw_gbs=-3350))
    assert exc.value.field == "mem_bw_gbs"


def test_negative_model_number_is_rejected(tmp_path: Path):
    data = yaml.safe_load((catalog_dir() / "models" / "llama-3.1-8b.yaml").read_text(encoding="utf-8"))
    assert parse_record(ModelSpec, data, "control").id == "llama-3.1-8b"
    data["num_layers"] = -32
    with pytest.raises(InputError) as exc:
        parse_record(ModelSpec, data, "model.yaml")
    assert exc.value.field == "num_layers"
