"""`procure --catalog DIR` and PROCURE_CATALOG, through the real command: an overlay card is listed,
shown and bought; a broken or misplaced overlay file is exit 2 naming it, nothing written; reports name
the overlay and its hash, and without one the provenance line is the committed reports' own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT

SCENARIO = REPO_ROOT / "scenarios" / "llama3_70b_single_user.yaml"
MINE_LOW_RMB = 61_000  # an overlay price no shipped card has


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def shipped_card(card_id: str) -> dict:
    return yaml.safe_load((REPO_ROOT / "catalog" / "cards" / f"{card_id}.yaml").read_text(encoding="utf-8"))


def overlay_with_price(root: Path, h20_low_rmb: int) -> Path:
    """An overlay with a new card h20-mine (low price MINE_LOW_RMB) and h20 at another low price."""
    for card_id, low in (("h20-mine", MINE_LOW_RMB), ("h20", h20_low_rmb)):
        card = shipped_card("h20")
        price = card["price_rmb_per_card"] | {"low_rmb": low}
        write(root / "cards" / f"{card_id}.yaml", card | {"id": card_id, "name": f"{card_id} (ours)", "price_rmb_per_card": price})
    return root


@pytest.fixture
def overlay(tmp_path: Path) -> Path:
    return overlay_with_price(tmp_path / "ours", 50_000)


def scenario_on(card_id: str, folder: Path) -> Path:
    """The single-user scenario with one 8-card offer of `card_id` at the catalog's low price."""
    doc = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    doc["name"] = "overlay_card"
    doc["offers"] = [{"id": "mine-8x", "vendor": "Our reseller", "card": card_id, "use_catalog_price": "low", "available_servers": 2}]
    return write(folder / "overlay_card.yaml", doc)


def low_price_shown(stdout: str) -> int:
    return int(next(line for line in stdout.splitlines() if line.strip().startswith("low_rmb:")).split(":")[1])


def test_an_overlay_card_is_listed_and_a_replaced_one_shows_the_overlay_price(procure, overlay: Path):
    listed = procure("--catalog", str(overlay), "cards", "list", expect=0).stdout
    assert "h20-mine" in listed and "h200" in listed
    assert "h20-mine" not in procure("cards", "list", expect=0).stdout
    assert low_price_shown(procure("--catalog", str(overlay), "cards", "show", "h20", expect=0).stdout) == 50_000
    assert low_price_shown(procure("cards", "show", "h20", expect=0).stdout) != 50_000


def test_procure_catalog_selects_the_overlay_and_the_option_wins(procure, overlay: Path, tmp_path: Path):
    other = overlay_with_price(tmp_path / "theirs", 70_000)
    assert low_price_shown(procure("cards", "show", "h20", env={"PROCURE_CATALOG": str(other)}, expect=0).stdout) == 70_000
    shown = procure("--catalog", str(overlay), "cards", "show", "h20", env={"PROCURE_CATALOG": str(other)}, expect=0).stdout
    assert low_price_shown(shown) == 50_000
    assert "h20-mine" in procure("cards", "list", env={"PROCURE_CATALOG": str(overlay)}, expect=0).stdout


def test_a_scenario_buys_the_overlay_card_and_the_report_names_the_overlay(procure, overlay: Path, tmp_path: Path):
    out = tmp_path / "out"
    procure("--catalog", str(overlay), "solve", str(scenario_on("h20-mine", tmp_path)), "--out", str(out), expect=0)
    doc = json.loads((out / "overlay_card.json").read_text(encoding="utf-8"))
    best = doc["plans"][0]
    assert {r["card"] for r in best["replicas"]} == {"h20-mine"}
    assert best["capex_rmb"] == best["servers"]["mine-8x"] * 8 * MINE_LOW_RMB  # the overlay's price, not the h20's
    line = (out / "overlay_card.md").read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    assert line == doc["provenance"]["line"]
    assert doc["provenance"]["overlay"]["path"] == str(overlay.resolve()) and doc["provenance"]["overlay"]["files"] == 2
    assert f"+ overlay {overlay.resolve()} (sha256 " in line and line.endswith(", 2 files).")
    # The hash follows the overlay's bytes: another price is another hash.
    overlay_with_price(overlay, 50_001)
    procure("--catalog", str(overlay), "solve", str(scenario_on("h20-mine", tmp_path)), "--out", str(out), expect=0)
    again = json.loads((out / "overlay_card.json").read_text(encoding="utf-8"))["provenance"]["line"]
    assert again.split("+ overlay")[0] == line.split("+ overlay")[0] and again != line


def test_without_an_overlay_the_provenance_line_is_the_committed_one(procure, tmp_path: Path):
    procure("solve", str(SCENARIO), "--out", str(tmp_path), expect=0)
    last = (tmp_path / "llama3_70b_single_user.md").read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    committed = (REPO_ROOT / "reports" / "llama3_70b_single_user.md").read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    assert last == committed and "overlay" not in last


def test_an_unknown_overlay_card_id_in_a_scenario_is_not_in_the_shipped_catalog(procure, tmp_path: Path):
    result = procure("solve", str(scenario_on("h20-mine", tmp_path)), "--out", str(tmp_path / "out"), expect=2)
    assert "'h20-mine' is not a card in the catalog" in result.stderr and not (tmp_path / "out").exists()


def test_a_broken_overlay_card_is_exit_2_naming_the_overlay_file(procure, overlay: Path, tmp_path: Path):
    bad = overlay / "cards" / "h20-mine.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("mem_bw_gbs: 4000", "mem_bw_gbs: fast"), encoding="utf-8")
    out = tmp_path / "out"
    result = procure("--catalog", str(overlay), "solve", str(scenario_on("h20", tmp_path)), "--out", str(out), expect=2)
    assert f"{bad.resolve()}:" in result.stderr and "mem_bw_gbs" in result.stderr
    assert result.stdout == "" and not out.exists()
    assert str(bad.resolve()) in procure("--catalog", str(overlay), "cards", "list", expect=2).stderr


def test_an_unknown_file_in_the_overlay_is_exit_2_listing_what_is_allowed(procure, overlay: Path):
    (overlay / "calibration.csv").write_text("card,model\n", encoding="utf-8")
    result = procure("--catalog", str(overlay), "cards", "list", expect=2)
    assert f"{overlay.resolve()}: calibration.csv: is not a file a catalog overlay can hold" in result.stderr
    assert "cards/*.yaml, models/*.yaml" in result.stderr and result.stdout == ""


@pytest.mark.parametrize(("args", "env", "named"), [
    (("--catalog", "{missing}"), {}, "--catalog"),
    ((), {"PROCURE_CATALOG": "{missing}"}, "PROCURE_CATALOG"),
])
def test_a_missing_overlay_folder_is_exit_2_naming_the_option_or_variable(procure, tmp_path: Path, args, env, named):
    missing = str(tmp_path / "no-such-folder")
    args = tuple(a.format(missing=missing) for a in args)
    env = {k: v.format(missing=missing) for k, v in env.items()}
    out = tmp_path / "out"
    result = procure(*args, "solve", str(SCENARIO), "--out", str(out), expect=2, env=env)
    assert result.stderr.startswith(f"error: {named}: {missing}: does not exist — ")
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()
