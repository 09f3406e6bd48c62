"""The sweep plots a committee prints: Chinese text drawn, bids without a plan marked with the
reason, price lines, step drawing, byte-stable PNGs, and every sweep shown in the solve report."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import matplotlib
import pytest
from conftest import load, resolved

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ft2font import FT2Font

from optimizer.analysis import Sweep, SweepPoint
from optimizer.report.plot_font import CJK_SAMPLE, _first_installed, cjk_font, covers, plot_rc
from optimizer.report.sweep_plots import DRAWSTYLE, PNG_METADATA, PriceLines, no_plan_marks, sweep_figure
from optimizer.report.whatif import _price_lines_of

REPO = Path(__file__).resolve().parents[2]
BIDS = REPO / "scenarios" / "r1_bids_h200_910b_mi300x.yaml"
DEJAVU = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")


def _sweep(kind: str, rows: list[tuple[float, dict[str, float | None], dict[str, str]]], offer: str | None = None) -> Sweep:
    points = tuple(SweepPoint(value=v, served=1.0, cost_rmb=3_000_000, winner="h200-8x", status="optimal", per_vendor=pv, why_not=wn)
                   for v, pv, wn in rows)
    label = {"price": "price of atlas (RMB per server)", "tpot": "TPOT target (ms)", "load": "load (users)"}[kind]
    return Sweep(kind, f"{kind}_x", label, "concurrent users", points, offer)


def _labels(ax) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(line.get_label()) for line in ax.lines]


# --------------------------------------------------------------------------------------------
# Font


def test_the_plot_font_draws_chinese_bid_text():
    """The font comes from the package the project depends on, and its face has 华为投标
    (DejaVu Sans, matplotlib's own font, has none of them: the check can fail)."""
    font = cjk_font()
    assert font is not None and font.source == "package" and font.family == "Noto Sans CJK SC"
    cmap = FT2Font(font.path, face_index=font.face_index).get_charmap()
    assert all(ord(ch) in cmap for ch in "华为投标")
    assert not any(ord(ch) in FT2Font(DEJAVU).get_charmap() for ch in "华为投标")


def test_an_installed_font_is_used_only_if_it_has_the_glyphs():
    font = cjk_font()
    assert font is not None
    # a family name alone proves nothing: a file without the glyphs is passed over
    assert _first_installed([("Noto Sans CJK SC", DEJAVU, 0)]) is None
    assert not covers(DEJAVU, CJK_SAMPLE)
    found = _first_installed([("DejaVu Sans", DEJAVU, 0), ("WenQuanYi Micro Hei", DEJAVU, 0), ("Noto Sans CJK SC", font.path, font.face_index)])
    assert found is not None and (found.family, found.source) == ("Noto Sans CJK SC", "system")


def test_latin_text_keeps_the_default_font_and_chinese_renders_without_missing_glyphs():
    rc = plot_rc()
    assert rc["font.family"] == ["sans-serif", "Noto Sans CJK SC"]
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" for each box it draws
        fig, ax = plt.subplots()
        ax.set_title("华为 Atlas 800 投标")
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)


def test_the_same_sweep_gives_the_same_png_bytes():
    sweep = _sweep("tpot", [(30, {"华为": None, "NVIDIA": 4e6}, {"华为": "TPOT ≤ 30 ms is unreachable"}),
                            (60, {"华为": 9e6, "NVIDIA": 3e6}, {})])
    images = []
    for _ in range(2):
        with matplotlib.rc_context(plot_rc()):
            fig = sweep_figure(sweep, (60, 3.0), "context")
            buf = io.BytesIO()
            fig.savefig(buf, format="png", metadata=PNG_METADATA)
            plt.close(fig)
        images.append(buf.getvalue())
    assert images[0] == images[1] and len(images[0]) > 5000


# --------------------------------------------------------------------------------------------
# Bids without a plan


def test_a_vendor_without_a_plan_anywhere_gets_one_note_and_no_line():
    why = {"华为": "more servers than offered"}
    sweep = _sweep("price", [(p, {"华为": None, "NVIDIA": 3e6}, why) for p in (5e5, 1e6, 2e6)], offer="atlas-910b2-8x")
    marks = no_plan_marks(sweep)
    assert [(m.vendor, m.everywhere, m.reasons) for m in marks] == [("华为", True, ("more servers than offered",))]
    fig = sweep_figure(sweep)
    ax = fig.axes[0]
    assert not any(label.startswith("华为") for label in _labels(ax))  # no line, no floor markers
    notes = [t.get_text() for t in ax.texts]
    assert any("华为 alone cannot serve at any price of atlas-910b2-8x" in n and "more servers than offered" in n for n in notes), notes
    plt.close(fig)


def test_points_without_a_plan_are_marked_at_the_floor_with_the_reason():
    sweep = _sweep("tpot", [
        (30, {"华为": None, "NVIDIA": 10e6}, {"华为": "TPOT ≤ 30 ms is unreachable"}),
        (40, {"华为": None, "NVIDIA": 6e6}, {"华为": "more servers than offered"}),
        (60, {"华为": 11e6, "NVIDIA": 3e6}, {}),
    ])
    fig = sweep_figure(sweep)
    ax = fig.axes[0]
    floor = [line for line in ax.lines if line.get_marker() == "x"]
    assert len(floor) == 1
    assert list(floor[0].get_xdata()) == [30, 40] and list(floor[0].get_ydata()) == [0.02, 0.02]  # axes units: the floor
    label = str(floor[0].get_label()).replace("\n", " ")
    assert label.startswith("华为 alone: no plan") and "TPOT ≤ 30 ms is unreachable" in label and "more servers than offered" in label
    assert "华为 alone" in _labels(ax) and not ax.texts  # the vendor keeps its line where it has a plan
    plt.close(fig)


def test_an_sla_sweep_says_why_a_vendor_has_no_plan():
    """At TPOT 10 ms no bid has a plan in the bid scenario; the sweep gives the reason
    exactly where its cost is missing."""
    from optimizer import analysis

    sweep = analysis.sla_sweep(resolved(load(BIDS)), "tpot", [10, 60])
    for p in sweep.points:
        assert set(p.why_not) == {v for v, cost in p.per_vendor.items() if cost is None}
    assert "Huawei" in sweep.points[0].why_not and sweep.points[0].why_not["Huawei"]
    assert ":" not in sweep.points[0].why_not["Huawei"]  # a short reason: the detail after the colon stays in the reports


# --------------------------------------------------------------------------------------------
# Price lines and steps


@pytest.fixture(scope="module")
def bids_result():
    from optimizer.pipeline import solve

    return solve(resolved(load(BIDS)))


def test_a_price_plot_has_the_current_bid_at_the_offer_price_and_the_break_even(bids_result):
    offer = "atlas-910b2-8x"  # RMB 100k per card x 8 + RMB 200k base in the scenario
    sweep = _sweep("price", [(p, {"Huawei": p * 11, "NVIDIA": 3e6}, {}) for p in (2e5, 6e5, 1.2e6)], offer=offer)
    lines = _price_lines_of(sweep, bids_result, {offer: (272_727, None)})
    assert lines == PriceLines(1_000_000.0, 272_727.0, None)
    fig = sweep_figure(sweep, price=lines)
    ax = fig.axes[0]
    by_label = {str(line.get_label()).split(" (")[0]: list(line.get_xdata()) for line in ax.lines}
    assert by_label["current bid"] == [1.0, 1.0]  # million RMB
    assert by_label["break-even"] == [pytest.approx(0.272727), pytest.approx(0.272727)]
    plt.close(fig)
    assert _price_lines_of(_sweep("tpot", [(30, {}, {})]), bids_result, {}) is None


def test_a_price_plot_without_a_break_even_says_why():
    sweep = _sweep("price", [(p, {"Huawei": None, "NVIDIA": 3e6}, {"Huawei": "more servers than offered"}) for p in (5e5, 1e6)], "atlas")
    fig = sweep_figure(sweep, price=PriceLines(1e6, None, "no price helps: even nearly free, the bid cannot cover the load"))
    ax = fig.axes[0]
    assert "break-even" not in " ".join(_labels(ax))
    assert any("break-even: no price helps" in t.get_text() for t in ax.texts)
    plt.close(fig)


@pytest.mark.parametrize("kind", ["tpot", "load", "price"])
def test_each_sweep_kind_is_drawn_with_its_step_rule(kind):
    sweep = _sweep(kind, [(x, {"NVIDIA": 1e6 * x}, {}) for x in (40, 20, 30)], "atlas" if kind == "price" else None)
    fig = sweep_figure(sweep)
    line = next(line for line in fig.axes[0].lines if line.get_label() == "NVIDIA alone")
    assert line.get_drawstyle() == DRAWSTYLE[kind]
    assert list(line.get_xdata()) == sorted(line.get_xdata())  # steps need ascending x, whatever order the targets came in
    plt.close(fig)
    assert DRAWSTYLE["tpot"] == "steps-post" and DRAWSTYLE["load"] == "steps-pre" and DRAWSTYLE["price"] == "default"


# --------------------------------------------------------------------------------------------
# The solve report shows every sweep it ran


def test_a_sweep_asked_for_on_the_command_line_is_shown_in_the_solve_report(procure, tmp_path):
    scenario = REPO / "scenarios" / "r1_chatbot.yaml"  # no analysis section: the sweep comes from the flag alone
    assert "analysis" not in scenario.read_text()
    procure("solve", str(scenario), "--whatif-tpot", "40,60", "--out", str(tmp_path), expect=0)
    md = (tmp_path / "r1_chatbot.md").read_text()
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
    assert shown == ["r1_chatbot_whatif_tpot.png"], md[:3000]
    assert (tmp_path / shown[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_chinese_sweep_plot_and_table_are_in_chinese():
    """--lang zh: the plot's axes, title and legend (the no-plan reason too) and the sweep table's
    header and amounts are Chinese."""
    from optimizer.report.whatif import sweep_table

    sweep = _sweep("tpot", [
        (30, {"华为": None, "NVIDIA": 10e6}, {"华为": "more servers than offered"}),
        (60, {"华为": 11e6, "NVIDIA": 3e6}, {}),
    ])
    fig = sweep_figure(sweep, lang="zh")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "TPOT 目标（ms）" and ax.get_ylabel() == "成本（百万元）"
    assert ax.get_title().startswith("TPOT 目标扫描")
    labels = [str(t.get_text()).replace("\n", "") for t in ax.get_legend().get_texts()]
    assert "最优方案（任意投标）" in labels and any("所需服务器超过报价数量" in t for t in labels)
    plt.close(fig)
    head = sweep_table(sweep, "zh")[0]
    assert "TPOT 目标（ms）" in head and "胜出方" in head and "仅 华为（成本）" in head
    assert "300.0 万元" in "\n".join(sweep_table(sweep, "zh"))
