"""`--format md|json|csv|xlsx` on solve and compare: only the files asked for, CSV tables that carry
the report's numbers, deterministic CSV, and one workbook per report that carries the JSON's numbers
(integer counts, localised headers, the same bytes twice)."""

from __future__ import annotations

import importlib.util
import json

import pandas as pd
import pytest
from conftest import REPO_ROOT

CHATBOT = str(REPO_ROOT / "scenarios" / "r1_chatbot.yaml")
BIDS = str(REPO_ROOT / "scenarios" / "r1_bids_h200_910b_mi300x.yaml")
NEEDS_OPENPYXL = pytest.mark.skipif(importlib.util.find_spec("openpyxl") is None, reason="openpyxl not installed")
RAG = str(REPO_ROOT / "scenarios" / "r1_2026_bids.yaml")  # its B300 bid cannot serve: gaps in every column


def _column(ws, title: str) -> list:
    headers = [c.value for c in ws[1]]
    return [row[headers.index(title)].value for row in ws.iter_rows(min_row=2)]


def test_solve_csv_only_writes_the_tables(procure, tmp_path):
    procure("solve", CHATBOT, "--out", str(tmp_path), "--format", "csv", expect=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r1_chatbot_bids.csv", "r1_chatbot_plans.csv"]
    reference = json.loads((REPO_ROOT / "reports" / "r1_chatbot.json").read_text(encoding="utf-8"))
    bids = pd.read_csv(tmp_path / "r1_chatbot_bids.csv")
    assert list(bids["offer"]) == [b["offer"] for b in reference["bids"]]
    assert [int(x) if x == x else None for x in bids["cost_rmb"]] == [b["cost_rmb"] for b in reference["bids"]]
    plans = pd.read_csv(tmp_path / "r1_chatbot_plans.csv")
    assert list(plans["cost_rmb"]) == [p["cost_rmb"] for p in reference["plans"]]
    assert plans["designs"].str.contains("TP").all()


def test_csv_is_deterministic_and_md_json_stay_default(procure, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    procure("solve", CHATBOT, "--out", str(a), "--format", "md,json,csv", expect=0)
    procure("solve", CHATBOT, "--out", str(b), "--format", "csv,md,json", expect=0)
    for name in ("r1_chatbot_bids.csv", "r1_chatbot_plans.csv", "r1_chatbot.md", "r1_chatbot.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "r1_chatbot.md").read_bytes() == (REPO_ROOT / "reports" / "r1_chatbot.md").read_bytes()


def test_compare_csv_has_break_even(procure, tmp_path):
    procure("compare", BIDS, "--out", str(tmp_path), "--format", "csv", expect=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r1_bids_h200_910b_mi300x_compare.csv"]
    rows = pd.read_csv(tmp_path / "r1_bids_h200_910b_mi300x_compare.csv")
    assert "break_even_price_rmb_per_server" in rows.columns and len(rows) == 3


@NEEDS_OPENPYXL
def test_compare_xlsx_is_its_own_workbook(procure, tmp_path):
    import openpyxl

    procure("compare", BIDS, "--out", str(tmp_path), "--format", "json,xlsx", expect=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r1_bids_h200_910b_mi300x_compare.json", "r1_bids_h200_910b_mi300x_compare.xlsx"]
    doc = json.loads((tmp_path / "r1_bids_h200_910b_mi300x_compare.json").read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(tmp_path / "r1_bids_h200_910b_mi300x_compare.xlsx")
    assert wb.sheetnames == ["Bid comparison"]
    assert _column(wb.active, "Break-even price per server (RMB)") == [b.get("break_even_price_rmb_per_server") for b in doc["bids"]]


def test_bad_format_is_rejected_before_any_work(procure, tmp_path):
    r = procure("solve", CHATBOT, "--out", str(tmp_path / "x"), "--format", "pdf", expect=2)
    assert "--format" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x").exists()


@NEEDS_OPENPYXL
def test_solve_xlsx_is_one_workbook_with_the_json_numbers(procure, tmp_path):
    import openpyxl

    r = procure("solve", RAG, "--out", str(tmp_path), "--format", "json,xlsx", expect=0)
    names = {p.name for p in tmp_path.iterdir()}  # its analysis section adds the comparison and the sweep's files
    assert {"r1_2026_bids.json", "r1_2026_bids.xlsx"} <= names and "r1_2026_bids.md" not in names
    assert f"wrote {tmp_path / 'r1_2026_bids.xlsx'}" in r.stderr
    doc = json.loads((tmp_path / "r1_2026_bids.json").read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(tmp_path / "r1_2026_bids.xlsx")
    assert wb.sheetnames == ["Bids", "Ranked plans", "Bids without a price", "Bid comparison"]  # comparison: its analysis section
    assert _column(wb["Bids without a price"], "Servers needed") == [b["servers"] for b in doc["unpriced_bids"]]
    assert _column(wb["Bids without a price"], "Break-even price per server (RMB)") == [b["break_even_rmb_per_server"] for b in doc["unpriced_bids"]]
    bids, plans = wb["Bids"], wb["Ranked plans"]
    assert _column(bids, "Bid") == [b["offer"] for b in doc["bids"]]
    cards = _column(bids, "Cards")
    assert cards == [(b.get("plan") or {}).get("cards") for b in doc["bids"]] and {type(c) for c in cards if c is not None} == {int}
    assert _column(bids, "Cost (RMB)") == [b["cost_rmb"] for b in doc["bids"]]
    assert _column(plans, "Cards") == [p["cards"] for p in doc["plans"]]
    headers = [c.value for c in plans[1]]
    assert {plans.cell(2, headers.index(h) + 1).number_format for h in ("Cost (RMB)", "Gap to best (RMB)")} == {"#,##0"}
    assert bids.freeze_panes == plans.freeze_panes == "A2"

    again = tmp_path / "again"
    procure("solve", RAG, "--out", str(again), "--format", "xlsx", expect=0)
    assert (again / "r1_2026_bids.xlsx").read_bytes() == (tmp_path / "r1_2026_bids.xlsx").read_bytes()


@NEEDS_OPENPYXL
def test_solve_xlsx_in_chinese_holds_the_comparison_in_wan(procure, tmp_path):
    import openpyxl

    procure("solve", BIDS, "--compare", "--lang", "zh", "--out", str(tmp_path), "--format", "json,xlsx", expect=0)
    assert sorted(p.name for p in tmp_path.glob("*.xlsx")) == ["r1_bids_h200_910b_mi300x.xlsx"]
    compared = json.loads((tmp_path / "r1_bids_h200_910b_mi300x_compare.json").read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(tmp_path / "r1_bids_h200_910b_mi300x.xlsx")
    assert wb.sheetnames == ["投标", "方案排序", "投标比较"]
    ws = wb["投标比较"]
    assert _column(ws, "成本（万元）") == [b["plan"]["cost_rmb"] / 10_000 for b in compared["bids"]]
    assert _column(ws, "能否满足") == ["是" if b["feasible"] else "否" for b in compared["bids"]]
    assert _column(ws, "卡数") == [b["plan"]["cards"] for b in compared["bids"]]


def test_html_is_one_self_contained_page_with_every_plot_and_bid_row(procure, tmp_path):
    """--format html,md: the page carries the Markdown report's content (page one first), every PNG
    the run wrote embedded as a data URI (no file beside it needed) and one table row per bid."""
    import html.parser

    class Page(html.parser.HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.images: list[str] = []
            self.cells: list[str] = []
            self.h2: list[str] = []
            self._in: str | None = None

        def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
            if tag == "img":
                self.images.append(dict(attrs)["src"])
            self._in = tag if tag in ("td", "h2") else self._in

        def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
            self._in = None if tag == self._in else self._in

        def handle_data(self, data):  # type: ignore[no-untyped-def]
            if self._in == "td":
                self.cells.append(data.strip())
            elif self._in == "h2":
                self.h2.append(data.strip())

    procure("solve", BIDS, "--out", str(tmp_path), "--format", "md,json,html", expect=0)
    stem = "r1_bids_h200_910b_mi300x"
    page = Page()
    page.feed((tmp_path / f"{stem}.html").read_text(encoding="utf-8"))
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs and len(page.images) == len(pngs)
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    doc = json.loads((tmp_path / f"{stem}.json").read_text(encoding="utf-8"))
    assert all(b["offer"] in page.cells for b in doc["bids"])
    first_h2 = next(line[3:] for line in (tmp_path / f"{stem}.md").read_text(encoding="utf-8").splitlines() if line.startswith("## "))
    assert page.h2[0] == first_h2
