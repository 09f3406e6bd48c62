"""`procure whatif` on a fleet (services:): the real command on the shipped phased enterprise fleet
with N+1 off (about 2 s a point): a table and a plot per sweep, the same PNG bytes twice, the JSON
agreeing with the tables, Chinese; and the single-service axes refused in one paragraph, exit 2,
nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.report.names import safe_part

REPO = Path(__file__).resolve().parents[2]
PHASED = REPO / "scenarios" / "enterprise_fleet_phased.yaml"
FLEET = REPO / "scenarios" / "enterprise_fleet.yaml"
H200_VENDOR = "NVIDIA partner (H200)"
ARGS = ["--growth", "20:60:3", "--delivered-share", f"{H200_VENDOR}=0.5:1:2"]
STEMS = ["growth", f"delivered_{safe_part(H200_VENDOR)}"]  # the vendor's name made a safe file name


def _phased(folder: Path) -> Path:
    doc = yaml.safe_load(PHASED.read_text(encoding="utf-8"))
    doc["constraints"]["n_plus_one"] = False
    path = folder / "phased.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _run(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
    done = CliRunner().invoke(app, list(args))
    assert done.exit_code == code, done.output
    return done


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The same sweeps twice, the second with --json."""
    folder = tmp_path_factory.mktemp("whatif")
    scenario = _phased(folder)
    a = _run("whatif", str(scenario), *ARGS, "--out", str(folder / "a"))
    b = _run("whatif", str(scenario), *ARGS, "--out", str(folder / "b"), "--json")
    return folder, a.output, b.stdout


def test_each_sweep_has_a_table_and_a_plot(runs):  # type: ignore[no-untyped-def]
    folder, terminal, _ = runs
    md = (folder / "a" / "phased_whatif.md").read_text(encoding="utf-8")
    for stem in STEMS:
        png = folder / "a" / f"phased_whatif_{stem}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"]({png.name})" in md
        assert f"wrote {png}" in terminal
    assert "## load growth sweep" in md and f"## delivered share sweep: {H200_VENDOR}" in md
    assert "| load growth (% per period) | r1-chat in 2027Q2 (concurrent users) |" in md
    assert "| phased (discounted) | bought in phases | all at once in 2026Q3 |" in md
    assert "| robust to it (phased, discounted) | trusting every bid (phased, discounted) | robustness costs |" in md
    assert "mix_min_saving_pct) is not applied to a fleet" in md
    assert "load growth sweep" in terminal and "report: " in terminal


def test_the_same_sweeps_give_the_same_png_bytes(runs):  # type: ignore[no-untyped-def]
    folder, _, _ = runs
    for stem in STEMS:
        name = f"phased_whatif_{stem}.png"
        assert (folder / "a" / name).read_bytes() == (folder / "b" / name).read_bytes(), name
    assert (folder / "a" / "phased_whatif.md").read_bytes() == (folder / "b" / "phased_whatif.md").read_bytes()


def test_the_json_agrees_with_the_tables(runs):  # type: ignore[no-untyped-def]
    folder, _, printed = runs
    growth, share = json.loads(printed)
    md = (folder / "a" / "phased_whatif.md").read_text(encoding="utf-8")
    assert growth["sweep"] == "growth" and growth["fleet"] and growth["periods"][-1] == "2027Q2"
    assert [p["growth_pct"] for p in growth["points"]] == [20, 40, 60]
    for p in growth["points"]:
        assert p["saving_rmb"] == p["all_at_once_rmb"] - p["discounted_rmb"]
        assert f"| {p['growth_pct']:g} |" in md and f"RMB {p['discounted_rmb']:,}" in md
    assert share["supply"] == H200_VENDOR and share["costs_are"] == "the phased schedule, discounted"
    half, whole = share["points"]
    assert whole["cost_rmb"] == share["trusting"]["cost_rmb"] and whole["robustness_rmb"] == 0
    assert half["robustness_rmb"] == half["cost_rmb"] - share["trusting"]["cost_rmb"] > 0
    assert f"RMB {half['robustness_rmb']:,}" in md


def test_a_chinese_fleet_sweep(tmp_path: Path):
    scenario = _phased(tmp_path)
    _run("whatif", str(scenario), "--discount", "0:8:2", "--out", str(tmp_path / "zh"), "--lang", "zh")
    md = (tmp_path / "zh" / "phased_whatif.md").read_text(encoding="utf-8")
    assert "## 折现率扫描" in md and "分期采购（折现）" in md and "不适用于集群" in md and "万元" in md
    assert (tmp_path / "zh" / "phased_whatif_discount.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args", [
    ["--budget", "1000000:20000000:3"], ["--tpot", "30,50"], ["--ttft", "500,1000"], ["--load", "100,200"],
    ["--price", "h200-8x=1000000:2000000:3"], ["--budget", "nonsense", "--growth", "0:40:3"],
])
def test_a_single_service_axis_is_refused_in_one_paragraph(tmp_path: Path, args: list[str]):
    out = tmp_path / "out"
    done = _run("whatif", str(PHASED), *args, "--out", str(out), code=2)
    option = args[0]
    assert done.output.count("error:") == 1 and f"error: {option}:" in done.output, done.output
    assert "one service's plan" in done.output and "--delivered-share" in done.output
    assert "Field required" not in done.output and "not a known key" not in done.output
    assert not out.exists()


def test_several_single_service_axes_are_named_together(tmp_path: Path):
    done = _run("whatif", str(FLEET), "--budget", "1:2:2", "--load", "1,2", "--out", str(tmp_path / "out"), code=2)
    assert "error: --budget and --load:" in done.output and done.output.count("error:") == 1, done.output


def test_a_phases_axis_on_a_fleet_without_phases_says_so(tmp_path: Path):
    out = tmp_path / "out"
    done = _run("whatif", str(FLEET), "--growth", "0:40:3", "--out", str(out), code=2)
    assert "--growth sweeps the fleet's schedule of buying in phases, and this fleet buys all at once" in done.output
    assert "add a phases: section" in done.output and not out.exists()


def test_no_sweep_asked_for_names_the_fleets_axes(tmp_path: Path):
    done = _run("whatif", str(FLEET), "--out", str(tmp_path / "out"), code=2)
    assert "no sweep asked for" in done.output and "--delivered-share" in done.output and "--budget" not in done.output
