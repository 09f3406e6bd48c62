"""Flat tables of a solve or a comparison (one row per bid, one row per ranked plan) for
spreadsheets: CSV through pandas here, Excel in optimizer.report.workbook. Built from the JSON
documents the reports write, so the numbers are the report's numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

FORMATS = ("md", "json", "csv", "xlsx", "html")


def replica_text(r: dict[str, Any], *, counted: bool = False) -> str:
    """'h200-8x: fp8 TP1 EP8 batch 128 on 8 cards' — one replica design of a plan's JSON (`counted`:
    with its number of replicas first, '6 x h200-8x: ...')."""
    role = "" if r.get("role") in (None, "colocated") else f"{r['role']} "
    par = f"TP{r['tp']}" + (f" PP{r['pp']}" if r.get("pp", 1) > 1 else "") + (f" EP{r['ep']}" if r.get("ep", 1) > 1 else "")
    count = f"{r['dp']} x " if counted else ""
    return f"{count}{r['offer']}: {role}{r['precision']} {par} batch {r['batch']} on {r['cards_per_replica']} cards"


def _design(plan: dict[str, Any]) -> str:
    """'h200-8x: fp8 TP1 EP8 batch 128 on 8 cards; ...' — each replica design of a plan."""
    return "; ".join(replica_text(r) for r in plan.get("replicas", []))


def _worst(plan: dict[str, Any], key: str) -> float | None:
    values = [r["predicted"][key] for r in plan.get("replicas", []) if r.get("predicted", {}).get(key) is not None]
    return max(values) if values else None


def _plan_columns(plan: dict[str, Any] | None) -> dict[str, Any]:
    if not plan:
        return {"servers": None, "cards": None, "cost_rmb": None, "capex_rmb": None, "energy_rmb": None,
                "rmb_per_million_output_tokens": None, "served": None, "served_unit": None, "designs": None,
                "worst_ttft_ms": None, "worst_tpot_ms": None}
    return {
        "servers": ", ".join(f"{oid} x {n}" for oid, n in sorted(plan.get("servers", {}).items()) if n),
        "cards": plan.get("cards"), "cost_rmb": plan.get("cost_rmb"), "capex_rmb": plan.get("capex_rmb"),
        "energy_rmb": plan.get("energy_rmb"), "rmb_per_million_output_tokens": plan.get("rmb_per_million_output_tokens"),
        "served": plan.get("served"), "served_unit": plan.get("served_unit"), "designs": _design(plan),
        "worst_ttft_ms": _worst(plan, "ttft_ms"), "worst_tpot_ms": _worst(plan, "tpot_ms"),
    }


def bids_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """One row per bid (solve JSON or comparison JSON): its own best plan, or why it cannot serve."""
    rows = []
    for b in doc.get("bids", []):
        risk = b.get("top_risk") or (b.get("risks") or [None])[0]
        central, spread = b.get("central") or {}, (b.get("spread") or {}).get("cost_rmb") or {}
        row = {"offer": b.get("offer"), "vendor": b.get("vendor"), "card": b.get("card"), "price_kind": b.get("price_kind"),
               "price_rmb_per_server": b.get("price_rmb_per_server"), "feasible": b.get("feasible"),
               **_plan_columns(b.get("plan")), "central_servers": central.get("servers"), "central_cost_rmb": central.get("cost_rmb"),
               "cost_rmb_p10": spread.get("p10"), "cost_rmb_p90": spread.get("p90"), "reason": b.get("reason"), "top_risk": risk}
        if "break_even_price_rmb_per_server" in b:
            row["break_even_price_rmb_per_server"] = b["break_even_price_rmb_per_server"]
            row["power_kw"] = b.get("power_kw")
        rows.append(row)
    return pd.DataFrame(rows)


def unpriced_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """One row per bid not yet priced: the servers it needs on its own and the most a server may cost."""
    rows = [{"offer": b.get("offer"), "vendor": b.get("vendor"), "card": b.get("card"), "feasible": b.get("feasible"),
             "servers_needed": b.get("servers"), "central_servers": b.get("central_servers"),
             "available_servers": b.get("available_servers"), "break_even_price_rmb_per_server": b.get("break_even_rmb_per_server"),
             "reason": b.get("reason")} for b in doc.get("unpriced_bids") or []]
    return pd.DataFrame(rows, columns=["offer", "vendor", "card", "feasible", "servers_needed", "central_servers", "available_servers",
                                       "break_even_price_rmb_per_server", "reason"])


def plans_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """One row per ranked plan of a solve."""
    rows = [{"rank": p.get("rank"), "gap_to_best_rmb": p.get("gap_to_best_rmb"), **_plan_columns(p)} for p in doc.get("plans", [])]
    return pd.DataFrame(rows, columns=["rank", "gap_to_best_rmb", *_plan_columns(None)])


def write_csv(tables: dict[str, pd.DataFrame], out: Path, stem: str) -> list[Path]:
    """Write each table as <stem>_<name>.csv; the paths written. (Excel: optimizer.report.workbook,
    one file with a sheet per table.)"""
    written = []
    for name, frame in tables.items():
        path = out / f"{stem}_{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    return written
