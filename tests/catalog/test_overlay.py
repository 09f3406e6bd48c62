"""The user's catalog overlay (optimizer/catalog/overlay.py): a folder that mirrors catalog/ whose
entries add to or replace the shipped ones, checked before any load; every loader reads it, cached per
overlay so that switching back never hands out the overlay's records."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from optimizer.analysis.facts import Provenance
from optimizer.catalog.bundle import load_catalog
from optimizer.catalog.efficiency import load_engines
from optimizer.catalog.launch_templates import load_launch_templates
from optimizer.catalog.overlay import OVERLAY_ENV, check_overlay, overlay_dir, overlay_files, set_overlay
from optimizer.catalog.records import catalog_dir, load_cards, load_ecosystems, load_models
from optimizer.errors import InputError
from optimizer.report.provenance import provenance_line


@pytest.fixture(autouse=True)
def no_overlay_after() -> Iterator[None]:
    """Every test leaves the process as it found it: the shipped catalog alone."""
    yield
    set_overlay(None)


def shipped(kind: str, record_id: str) -> dict:
    return yaml.safe_load((catalog_dir() / kind / f"{record_id}.yaml").read_text(encoding="utf-8"))


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def overlay(tmp_path: Path) -> Path:
    """An overlay with a new card (h20-mine), a cheaper h20, a new model and a new engine profile."""
    root = tmp_path / "my-catalog"
    write(root / "cards" / "h20-mine.yaml", shipped("cards", "h20") | {"id": "h20-mine", "name": "My H20"})
    h20 = shipped("cards", "h20")
    write(root / "cards" / "h20.yaml", h20 | {"price_rmb_per_card": h20["price_rmb_per_card"] | {"low_rmb": 50000}})
    write(root / "models" / "llama-mine.yaml", shipped("models", "llama-3.1-8b") | {"id": "llama-mine", "name": "Mine 8B"})
    vllm = yaml.safe_load((catalog_dir() / "engines.yaml").read_text(encoding="utf-8"))["vllm"]
    write(root / "engines.yaml", {"vllm-mine": vllm | {"name": "vLLM, our build", "parent": "vllm", "default_for": []}})
    return root


def test_overlay_cards_add_and_replace_by_id(overlay: Path):
    before = load_cards()
    set_overlay(overlay)
    cards = load_cards()
    assert cards["h20-mine"].name == "My H20"
    assert cards["h20"].price_rmb_per_card is not None and cards["h20"].price_rmb_per_card.low_rmb == 50000
    assert before["h20"].price_rmb_per_card is not None and before["h20"].price_rmb_per_card.low_rmb != 50000
    # A replaced id keeps its place; every other card is the shipped one.
    assert list(cards) == [*before, "h20-mine"]
    assert all(cards[cid] == before[cid] for cid in before if cid != "h20")


def test_overlay_models_engines_and_the_catalog_value(overlay: Path):
    set_overlay(overlay)
    assert load_models()["llama-mine"].name == "Mine 8B"
    engines = load_engines()
    assert engines["vllm-mine"].parent == "vllm" and "sglang" in engines
    catalog = load_catalog()
    assert catalog.overlay == overlay.resolve() and "h20-mine" in catalog.cards and "vllm-mine" in catalog.engines


def test_selecting_no_overlay_again_gives_the_shipped_catalog(overlay: Path):
    shipped_catalog = load_catalog()
    set_overlay(overlay)
    assert "h20-mine" in load_catalog().cards
    set_overlay(None)
    assert overlay_dir() is None
    assert load_catalog() is shipped_catalog and "h20-mine" not in load_cards() and "vllm-mine" not in load_engines()


def test_overlay_mapping_files_add_and_replace_by_name(tmp_path: Path):
    write(tmp_path / "ecosystems.yaml", {"nvidia-hopper": {"note": "Our CUDA stack, pinned.", "source": "our ops team"},
                                         "my-family": {"note": "New.", "source": "us"}})
    shipped_notes, shipped_templates = load_ecosystems(), load_launch_templates()
    set_overlay(tmp_path)
    notes = load_ecosystems()
    assert notes["nvidia-hopper"].note == "Our CUDA stack, pinned." != shipped_notes["nvidia-hopper"].note
    assert notes["my-family"].source == "us" and set(notes) == {*shipped_notes, "my-family"}
    assert load_launch_templates() == shipped_templates  # the overlay has no launch.yaml: the shipped templates


def test_a_broken_overlay_card_names_the_overlay_file_and_line(overlay: Path):
    bad = overlay / "cards" / "h20-mine.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("mem_gb: 96", "mem_gb: -96"), encoding="utf-8")
    set_overlay(overlay)
    with pytest.raises(InputError) as err:
        load_cards()
    assert str(err.value).startswith(f"{bad.resolve()}:") and "mem_gb" in str(err.value)
    assert re.search(rf"{re.escape(str(bad.resolve()))}:\d+: mem_gb", str(err.value))


def test_an_overlay_engine_with_an_unknown_parent_names_the_overlay_file(tmp_path: Path):
    vllm = yaml.safe_load((catalog_dir() / "engines.yaml").read_text(encoding="utf-8"))["vllm"]
    write(tmp_path / "engines.yaml", {"mine": vllm | {"parent": "vlm"}})
    set_overlay(tmp_path)
    with pytest.raises(InputError) as err:
        load_engines()
    assert err.value.where == f"{tmp_path.resolve() / 'engines.yaml'}:mine" and err.value.field == "parent"


def test_two_overlay_files_with_one_id_are_refused(overlay: Path):
    write(overlay / "cards" / "zz-copy.yaml", shipped("cards", "h20") | {"id": "h20-mine"})
    set_overlay(overlay)
    with pytest.raises(InputError, match="duplicates id 'h20-mine'") as err:
        load_cards()
    assert err.value.where.endswith("zz-copy.yaml")


def test_unknown_files_in_the_overlay_are_each_named_with_what_is_allowed(overlay: Path):
    (overlay / "efficiency.yaml").write_text("{}\n", encoding="utf-8")
    (overlay / "cards" / "notes.md").write_text("mine\n", encoding="utf-8")
    (overlay / "card").mkdir()
    (overlay / ".git").mkdir()  # hidden: a git checkout of the overlay is fine
    (overlay / ".git" / "HEAD").write_text("ref\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        set_overlay(overlay, "--catalog")
    assert err.value.where == str(overlay.resolve())
    assert [p.field for p in err.value.problems] == ["card/", "cards/notes.md", "efficiency.yaml"]
    assert "cards/*.yaml, models/*.yaml, engines.yaml" in err.value.fix and "fit is the project's" in err.value.fix
    assert overlay_dir() is None  # a refused overlay is not selected


@pytest.mark.parametrize(("where", "fix"), [("--catalog", "drop --catalog"), (OVERLAY_ENV, f"unset {OVERLAY_ENV}")])
def test_a_missing_or_file_overlay_names_where_it_came_from(tmp_path: Path, where: str, fix: str):
    for path, problem in ((tmp_path / "nope", "does not exist"), (write(tmp_path / "f.yaml", {}), "is a file, not a folder")):
        with pytest.raises(InputError) as err:
            check_overlay(path, where)
        assert (err.value.where, err.value.field, err.value.problem) == (where, str(path), problem)
        assert err.value.fix.endswith(fix)


def test_overlay_files_are_the_hashed_ones_without_hidden_files(overlay: Path):
    (overlay / ".DS_Store").write_bytes(b"\0")
    names = [p.relative_to(overlay).as_posix() for p in overlay_files(overlay)]
    assert names == ["cards/h20-mine.yaml", "cards/h20.yaml", "engines.yaml", "models/llama-mine.yaml"]


def test_provenance_line_names_the_overlay_only_when_there_is_one():
    plain = Provenance("0.1.0", "aaaaaaaaaaaa", "bbbbbbbbbbbb", 59)
    assert provenance_line(plain) == "Provenance: procure 0.1.0; scenario sha256 aaaaaaaaaaaa; catalog sha256 bbbbbbbbbbbb (59 files)."
    mine = Provenance("0.1.0", "aaaaaaaaaaaa", "bbbbbbbbbbbb", 59, "/srv/my-catalog", "cccccccccccc", 2)
    assert provenance_line(mine) == (
        "Provenance: procure 0.1.0; scenario sha256 aaaaaaaaaaaa; catalog sha256 bbbbbbbbbbbb (59 files) "
        "+ overlay /srv/my-catalog (sha256 cccccccccccc, 2 files)."
    )
    assert "/srv/my-catalog" in provenance_line(mine, "zh") and "cccccccccccc" in provenance_line(mine, "zh")


def test_factors_resolved_through_an_overlay_engine_parent_do_not_outlive_the_overlay(tmp_path: Path):
    """An overlay may re-parent an engine; factors resolved under it must not be served afterwards."""
    engines = yaml.safe_load((catalog_dir() / "engines.yaml").read_text(encoding="utf-8"))
    assert engines["sglang-0.4"]["parent"] == "sglang"
    write(tmp_path / "engines.yaml", {"sglang-0.4": engines["sglang-0.4"] | {"parent": "vllm"}})
    shipped_factors = load_catalog().efficiency.resolve("nvidia-hopper", "sglang-0.4")
    set_overlay(tmp_path)
    assert load_catalog().efficiency.resolve("nvidia-hopper", "sglang-0.4") != shipped_factors
    set_overlay(None)
    assert load_catalog().efficiency.resolve("nvidia-hopper", "sglang-0.4") == shipped_factors
