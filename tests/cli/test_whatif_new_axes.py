"""`procure whatif` on the new axes: --growth, --price-decline, --discount (a scenario with phases:)
and --delivered-share. The real command writes a table and a plot per sweep (each file announced),
the same PNG bytes twice, the JSON of each sweep, and page one's schedule at the scenario's own
numbers; the option bounds are those of the scenario fields they move."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from optimizer.errors import InputError
from optimizer.scenario import SupplyCase
from optimizer.scenario_phases import Phases
from optimizer.sweep_ranges import parse_axis_range

REPO = Path(__file__).resolve().parents[2]
PHASED = REPO / "scenarios" / "r1_phased_2027.yaml"
ARGS = ["--growth", "0:40:3", "--price-decline", "0:10:2", "--discount", "0:2:2", "--delivered-share", "h200-8x=0.5:1:2"]
STEMS = ["growth", "decline", "discount", "delivered_h200-8x"]


@pytest.fixture(scope="module")
def runs(procure, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The same sweeps twice (the second with --json), and page one's solve."""
    first, second, solved = (tmp_path_factory.mktemp(n) for n in ("first", "second", "solved"))
    a = procure("whatif", str(PHASED), *ARGS, "--out", str(first), expect=0)
    b = procure("whatif", str(PHASED), *ARGS, "--out", str(second), "--json", expect=0)
    procure("solve", str(PHASED), "--out", str(solved), expect=0)
    return first, second, solved, a, b


def test_each_sweep_has_a_table_and_a_plot_named_on_stderr(runs):  # type: ignore[no-untyped-def]
    first, _, _, a, _ = runs
    md = (first / "r1_phased_2027_whatif.md").read_text(encoding="utf-8")
    for stem in STEMS:
        png = first / f"r1_phased_2027_whatif_{stem}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"wrote {png}" in a.stderr, a.shown()
        assert f"]({png.name})" in md
    for heading in ("## load growth sweep", "## price decline sweep", "## discount rate sweep", "## delivered share sweep: h200-8x"):
        assert heading in md, md[:2000]
    assert "| load growth (% per period) | load in 2027Q4 (concurrent users) | phased (discounted) |" in md
    assert "| share of h200-8x's servers that arrive | served (concurrent users) | cost | winner |" in md
    assert "load growth sweep" in a.stdout and "delivered share sweep: h200-8x" in a.stdout  # the terminal's tables


def test_the_same_sweeps_give_the_same_png_bytes(runs):  # type: ignore[no-untyped-def]
    first, second, *_ = runs
    for stem in STEMS:
        name = f"r1_phased_2027_whatif_{stem}.png"
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_json_has_every_sweep_and_page_ones_schedule_at_the_scenarios_own_numbers(runs):  # type: ignore[no-untyped-def]
    """At growth 40 %, decline 5 % (not swept here) and discount 2 %, the sweep re-solves exactly
    page one's schedule: the same discounted totals, phased and all at once."""
    _, _, solved, _, b = runs
    docs = json.loads(b.stdout)
    assert [d["sweep"] for d in docs] == ["growth", "decline", "discount", "delivered"]
    page_one = json.loads((solved / "r1_phased_2027.json").read_text(encoding="utf-8"))["phases"]
    growth = {p["growth_pct"]: p for p in docs[0]["points"]}
    assert sorted(growth) == [0, 20, 40] and docs[0]["periods"] == ["2027Q1", "2027Q2", "2027Q3", "2027Q4"]
    at_40 = growth[40]
    assert at_40["discounted_rmb"] == at_40["cost_rmb"] == page_one["schedule"]["discounted_rmb"]
    assert at_40["paid_rmb"] == page_one["schedule"]["spend_rmb"] and at_40["bought"] == page_one["schedule"]["servers"]
    assert at_40["all_at_once_rmb"] == page_one["all_at_once"]["discounted_rmb"] and at_40["saving_rmb"] == page_one["saving_rmb"]
    discount = {p["discount_rate_pct"]: p for p in docs[2]["points"]}
    assert discount[2]["discounted_rmb"] == page_one["schedule"]["discounted_rmb"]
    assert discount[0]["discounted_rmb"] == discount[0]["paid_rmb"]  # no discounting: what is paid
    delivered = docs[3]
    assert delivered["supply"] == "h200-8x" and [p["delivered_share"] for p in delivered["points"]] == [0.5, 1]
    assert all(set(p["per_vendor"]) == {"AMD partner", "Huawei", "NVIDIA partner"} for p in delivered["points"])
    costs = [p["cost_rmb"] for p in delivered["points"]]
    assert costs[0] >= costs[1]  # half the H200 servers arriving never costs less than all of them


def test_a_chinese_phases_table_and_plot(procure, tmp_path):  # type: ignore[no-untyped-def]
    procure("whatif", str(PHASED), "--growth", "0:40:2", "--lang", "zh", "--out", str(tmp_path), expect=0)
    md = (tmp_path / "r1_phased_2027_whatif.md").read_text(encoding="utf-8")
    assert "## 负载增长率扫描" in md and "分期采购（折现）" in md and "2027Q1 一次性采购" in md and "万元" in md
    assert (tmp_path / "r1_phased_2027_whatif_growth.png").exists()


@pytest.mark.parametrize(("axis", "inside", "outside"), [
    ("growth", (-99.9, 1000.0), (-100.0, 1000.1)),
    ("price_decline", (-99.9, 99.9), (-100.0, 100.0)),
    ("discount", (0.0, 100.0), (-0.1, 100.1)),
])
def test_the_option_bounds_are_those_of_the_phases_fields(axis: str, inside: tuple[float, float], outside: tuple[float, float]):
    field = {"growth": "growth_pct", "price_decline": "price_decline_pct", "discount": "discount_rate_pct"}[axis]
    base: dict[str, object] = {"periods": ["a", "b"], "growth_pct": 0}
    for v in inside:
        Phases.model_validate({**base, field: v})
        assert parse_axis_range(f"{v}:{v}:1", "--x", axis) == [v]
    for v in outside:
        with pytest.raises(ValueError):
            Phases.model_validate({**base, field: v})
        with pytest.raises(InputError, match="out of range"):
            parse_axis_range(f"{v}:{v}:1", "--x", axis)


def test_a_delivered_share_of_one_is_allowed_though_a_case_cannot_say_it():
    """1 means every server arrives (the sweep drops the case); a supply case itself stops below 1."""
    assert parse_axis_range("0:1:3", "--delivered-share", "delivered_share") == [0, 0.5, 1]
    with pytest.raises(ValueError):
        SupplyCase.model_validate({"offer": "x", "delivered_share": 1.0})
    with pytest.raises(InputError, match=re.escape("0 <= value <= 1")):
        parse_axis_range("0:1.5:3", "--delivered-share", "delivered_share")
