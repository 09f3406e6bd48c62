"""`--format md|json|csv|xlsx` on solve and compare: only the files asked for, CSV tables that carry
the report's numbers, deterministic CSV, and an .xlsx that pandas reads back."""

from __future__ import annotations

import importlib.util
import json

import pandas as pd
import pytest
from conftest import REPO_ROOT

CHATBOT = str(REPO_ROOT / "scenarios" / "r1_chatbot.yaml")
BIDS = str(REPO_ROOT / "scenarios" / "r1_bids_h200_910b_mi300x.yaml")


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


def test_bad_format_is_rejected_before_any_work(procure, tmp_path):
    r = procure("solve", CHATBOT, "--out", str(tmp_path / "x"), "--format", "pdf", expect=2)
    assert "--format" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.skipif(importlib.util.find_spec("openpyxl") is None, reason="openpyxl not installed")
def test_xlsx_export_reads_back(procure, tmp_path):
    procure("solve", CHATBOT, "--out", str(tmp_path), "--format", "xlsx", expect=0)
    bids = pd.read_excel(tmp_path / "r1_chatbot_bids.xlsx")
    csv_dir = tmp_path / "csv"
    procure("solve", CHATBOT, "--out", str(csv_dir), "--format", "csv", expect=0)
    assert list(bids["offer"]) == list(pd.read_csv(csv_dir / "r1_chatbot_bids.csv")["offer"])
