"""optimizer.report.workbook: the --format xlsx workbook, built from a shipped report's JSON (a
solve where three of four bids cannot serve, so its count and money columns have gaps)."""

from __future__ import annotations

import io
import json
import math
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from optimizer.report.export import bids_frame, plans_frame
from optimizer.report.workbook import (
    CORE_XML,
    FIXED_DATE,
    MAX_WIDTH,
    build_workbook,
    cell_value,
    column_width,
    display_width,
    stable_bytes,
    write_workbook,
)

REPORT = Path(__file__).resolve().parents[2] / "reports" / "r1_2026_bids.json"  # its B300 bid cannot serve: gaps


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads(REPORT.read_text(encoding="utf-8"))


def tables(doc: dict) -> dict:
    return {"bids": bids_frame(doc), "plans": plans_frame(doc)}


def column(ws, title: str) -> list:
    """The cells under the header `title`."""
    headers = [c.value for c in ws[1]]
    return [row[headers.index(title)] for row in ws.iter_rows(min_row=2)]


def test_the_json_has_gaps_that_pandas_turns_into_floats(doc):
    # What the workbook must undo: a bid that cannot serve leaves NaN, and its column floats.
    frame = bids_frame(doc)
    assert any(b["cost_rmb"] is None for b in doc["bids"]) and frame["cards"].dtype.kind == "f"


def test_cell_values_by_kind():
    assert cell_value(88.0, "int", "en") == 88 and type(cell_value(88.0, "int", "en")) is int
    assert cell_value(4_500_000.0, "money", "en") == 4_500_000 and type(cell_value(4_500_000.0, "money", "en")) is int
    assert cell_value(4_500_000, "money", "zh") == pytest.approx(450.0)
    assert cell_value(float("nan"), "int", "en") is None and cell_value(None, "text", "zh") is None
    assert [cell_value(True, "bool", "en"), cell_value(False, "bool", "zh")] == ["Yes", "否"]
    assert cell_value("quote", "price_kind", "zh") == "报价" and cell_value("concurrent users", "unit", "zh") == "并发用户"


def test_widths_count_cjk_double_and_are_capped():
    assert display_width("cost") == 4 and display_width("成本") == 4 and display_width("成本（万元）") == 12
    assert column_width(["成本（万元）"]) > column_width(["cost (RMB)"])
    assert column_width(["x" * 500]) == MAX_WIDTH


@pytest.mark.parametrize(("lang", "sheets", "cards", "cost"), [
    ("en", ["Bids", "Ranked plans"], "Cards", "Cost (RMB)"),
    ("zh", ["投标", "方案排序"], "卡数", "成本（万元）"),
])
def test_sheets_headers_and_values_follow_the_json(doc, lang, sheets, cards, cost):
    wb = build_workbook(tables(doc), lang)
    assert wb.sheetnames == sheets
    bids = wb[sheets[0]]
    cards_cells, cost_cells = column(bids, cards), column(bids, cost)
    assert [c.value for c in cards_cells] == [(b.get("plan") or {}).get("cards") for b in doc["bids"]]  # None: cannot serve
    assert all(type(c.value) is int for c in cards_cells if c.value is not None)
    per_unit = 10_000 if lang == "zh" else 1
    assert [c.value for c in cost_cells] == [None if b["cost_rmb"] is None else b["cost_rmb"] / per_unit for b in doc["bids"]]
    assert {c.number_format for c in cost_cells} == {"#,##0.0" if lang == "zh" else "#,##0"}
    plans = wb[sheets[1]]
    assert [c.value for c in column(plans, cards)] == [p["cards"] for p in doc["plans"]]
    for ws in wb:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref == ws.dimensions
        assert all(c.font.b for c in ws[1]) and not any(c.font.b for c in ws[2])


def test_booleans_are_words_and_columns_fit(doc):
    ws = build_workbook(tables(doc), "zh")["投标"]
    assert [c.value for c in column(ws, "能否满足")] == ["是" if b["feasible"] else "否" for b in doc["bids"]]
    offers = column(ws, "投标")
    assert ws.column_dimensions["A"].width == max(len(c.value) for c in offers) + 2  # the bid names are wider than '投标'


def test_file_reads_back_with_the_same_values(doc, tmp_path):
    path = write_workbook(tables(doc), tmp_path / "t.xlsx", "en")
    ws = openpyxl.load_workbook(path)["Ranked plans"]
    assert [c.value for c in column(ws, "Rank")] == [p["rank"] for p in doc["plans"]]
    assert [type(c.value) for c in column(ws, "Rank")] == [int] * len(doc["plans"])
    assert [c.value for c in column(ws, "Cost (RMB)")] == [p["cost_rmb"] for p in doc["plans"]]


def test_no_clock_in_the_bytes(doc, monkeypatch):
    first = stable_bytes(build_workbook(tables(doc), "en"))
    later = time.time() + 3 * 3600
    monkeypatch.setattr(time, "time", lambda: later)  # what zipfile stamps each entry with
    assert stable_bytes(build_workbook(tables(doc), "en")) == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {FIXED_DATE.timetuple()[:6]}
        core = z.read(CORE_XML).decode()
    stamp = FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert core.count(stamp) == 2 and core.count("<dcterms:") == 2  # created and modified, both fixed


def test_no_value_is_nan(doc):
    # An empty cell, never a NaN (which Excel shows as #NUM!).
    wb = build_workbook(tables(doc), "en")
    assert not any(isinstance(c.value, float) and math.isnan(c.value) for ws in wb for row in ws.iter_rows() for c in row)


def test_each_bid_row_carries_its_central_estimate_and_cost_range(doc):
    """The committee's spreadsheet holds what page one gives per bid: the plan at the confidence, the
    plan at the central estimate, and the 10-90 % cost range (a bid that cannot serve at the
    confidence still has its central estimate)."""
    frame = bids_frame(doc).set_index("offer")
    for b in doc["bids"]:
        row = frame.loc[b["offer"]]
        central, spread = b.get("central") or {}, (b.get("spread") or {}).get("cost_rmb") or {}
        for column, value in (("central_servers", central.get("servers")), ("central_cost_rmb", central.get("cost_rmb")),
                              ("cost_rmb_p10", spread.get("p10")), ("cost_rmb_p90", spread.get("p90"))):
            assert (value is None and math.isnan(row[column])) or row[column] == value, (b["offer"], column)
    assert frame["central_cost_rmb"].notna().sum() > frame["cost_rmb"].notna().sum()   # the B300 bid: central only
