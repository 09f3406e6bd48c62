"""Domestic Chinese accelerators (issue 18, item 1): each new card loads with a sourced family the
planner can serve, a Chinese export-control note, and exactly the precisions its sources state."""

from __future__ import annotations

import pytest

from optimizer.catalog.efficiency import load_efficiency, load_engines
from optimizer.catalog.records import load_cards, load_ecosystems

# card id -> (family, the dense_tflops keys its sources state; a missing key = cannot compute it)
DOMESTIC = {
    "mtt-s4000": ("mthreads-gpu", {"bf16", "fp16", "int8"}),
}


@pytest.mark.parametrize("card_id", sorted(DOMESTIC))
def test_card_loads_with_family_and_sources(card_id: str) -> None:
    card = load_cards()[card_id]
    assert card.family == DOMESTIC[card_id][0]
    assert {"specs", "interconnect", "nic"} <= set(card.provenance)
    assert card.tdp_w is None or "tdp" in card.provenance
    assert card.notes.strip()


@pytest.mark.parametrize("card_id", sorted(DOMESTIC))
def test_precisions_are_exactly_the_sourced_ones(card_id: str) -> None:
    assert set(load_cards()[card_id].dense_tflops) == DOMESTIC[card_id][1]


@pytest.mark.parametrize("card_id", sorted(DOMESTIC))
def test_export_control_has_a_chinese_form(card_id: str) -> None:
    card = load_cards()[card_id]
    assert card.export_control.strip() and card.export_control_zh and card.export_control_zh.strip()


@pytest.mark.parametrize("card_id", sorted(DOMESTIC))
def test_family_has_an_engine_and_a_default(card_id: str) -> None:
    family = load_cards()[card_id].family
    engines = load_engines()
    assert any(family in p.runs_on for p in engines.values()), f"no engine runs on {family}"
    defaults = [name for name, p in engines.items() if family in p.default_for]
    assert len(defaults) == 1, f"{family}: default engines {defaults}"
    assert family in engines[defaults[0]].runs_on


@pytest.mark.parametrize("card_id", sorted(DOMESTIC))
def test_family_has_ecosystem_note_and_link_values(card_id: str) -> None:
    family = load_cards()[card_id].family
    note = load_ecosystems()[family]
    assert note.note.strip() and note.note_zh and note.source.strip()
    assert family in load_efficiency().links


def test_vllm_musa_is_a_vllm_variant_with_the_small_card_caps() -> None:
    """The plugin publishes no caps: vLLM V1's defaults below 70 GiB (the S4000 has 48 GB)."""
    profile = load_engines()["vllm-musa"]
    assert profile.parent == "vllm"
    assert profile.limits_for(48, "mthreads-gpu") == (256, 2048)
