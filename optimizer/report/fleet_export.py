"""Flat tables of a fleet solve (services:) for spreadsheets, `procure solve --format csv,xlsx`:

- services: one row per service: its model, load, what it serves, its cards and replicas on the
  fleet's servers, the RMB attributed to it (the rows add up to the fleet's cost), its worst
  latencies, its cost per million output tokens (with a daily profile: at full use and as served),
  and what it would cost on a fleet of its own;
- servers: one row per offer bought: servers, cards, the cards no replica uses (bought so that a
  supply case holds), cost (the rows add up to the fleet's cost);
- periods (a fleet with phases:): one row per period of the purchase schedule: each service's load,
  what is bought and in service, the cards the replicas use of those in service, the spend plain and
  discounted (the rows add up to the schedule's totals; no total row, so a column sums to it).

Built from the fleet's JSON (report.fleet.to_json), so the numbers are the report's; the offers'
vendor, card and price per server come from the result's terms, which the JSON does not repeat.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from optimizer.plan.terms import OfferTerms
from optimizer.report.export import replica_text
from optimizer.report.i18n import tr, word
from optimizer.report.workbook import Kind

SERVICE_COLUMNS = ["service", "model", "load", "served_unit", "served", "cards", "attributed_rmb", "worst_ttft_ms", "worst_tpot_ms",
                   "designs", "rmb_per_million_output_tokens", "rmb_per_million_output_tokens_served", "alone_cost_rmb"]
SERVER_COLUMNS = ["offer", "vendor", "card", "servers_bought", "cards", "spare_cards", "cost_rmb"]
LOAD_PREFIX = "load:"  # a periods column per service: load:<service name>


def services_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """One row per service, in the fleet's order (a fleet without a plan: what it asks, the rest empty)."""
    rows = []
    for s in doc.get("services", []):
        served = s.get("served_cost") or {}
        rows.append({
            "service": s["name"], "model": s["model"], "load": s["load"]["amount"], "served_unit": s["load"]["unit"],
            "served": s.get("served"), "cards": s.get("cards"), "attributed_rmb": s.get("attributed_rmb"),
            "worst_ttft_ms": s.get("worst_ttft_ms"), "worst_tpot_ms": s.get("worst_tpot_ms"),
            "designs": "; ".join(replica_text(r, counted=True) for r in s.get("replicas", [])) or None,
            "rmb_per_million_output_tokens": served.get("rmb_per_million_output_tokens_at_full_utilisation"),
            "rmb_per_million_output_tokens_served": served.get("rmb_per_million_output_tokens_served"),
            "alone_cost_rmb": (s.get("alone") or {}).get("cost_rmb"),
        })
    return pd.DataFrame(rows, columns=SERVICE_COLUMNS)


def servers_frame(doc: dict[str, Any], terms: dict[str, OfferTerms]) -> pd.DataFrame:
    """One row per offer the fleet buys (hardware already owned at its cost, 0 under capex)."""
    spare = doc.get("spare_cards") or {}
    rows = [{"offer": oid, "vendor": terms[oid].vendor, "card": terms[oid].card_id, "servers_bought": n,
             "cards": n * terms[oid].cards_per_server, "spare_cards": spare.get(oid, 0), "cost_rmb": n * terms[oid].cost_rmb_per_server}
            for oid, n in (doc.get("servers") or {}).items()]
    return pd.DataFrame(rows, columns=SERVER_COLUMNS)


def periods_frame(doc: dict[str, Any], terms: dict[str, OfferTerms]) -> pd.DataFrame | None:
    """One row per period of the fleet's phased schedule (None: no phases, or no schedule)."""
    phases = doc.get("phases") or {}
    schedule = phases.get("schedule")
    if schedule is None:
        return None
    names = [s["name"] for s in doc.get("services", [])]
    rows = []
    for p in schedule["periods"]:
        loads = {f"{LOAD_PREFIX}{svc['name']}": svc["load"] for svc in p["services"]}
        used = sum(r["cards_per_replica"] * r["dp"] for svc in p["services"] for r in svc["replicas"])
        have = sum(terms[oid].cards_per_server * n for oid, n in p["in_service"].items())
        rows.append({"period": p["period"], **loads, "bought": _servers(p["bought"]), "in_service": _servers(p["in_service"]),
                     "cards_used": used, "cards_in_service": have, "spend_rmb": p["spend_rmb"], "discounted_rmb": p["discounted_rmb"]})
    return pd.DataFrame(rows, columns=["period", *(f"{LOAD_PREFIX}{n}" for n in names), "bought", "in_service", "cards_used",
                                       "cards_in_service", "spend_rmb", "discounted_rmb"])


def _servers(servers: dict[str, int]) -> str:
    return ", ".join(f"{oid} x {n}" for oid, n in sorted(servers.items()) if n)


def fleet_tables(doc: dict[str, Any], terms: dict[str, OfferTerms]) -> dict[str, pd.DataFrame]:
    """The fleet's tables by name (the csv file suffix and the workbook sheet)."""
    periods = periods_frame(doc, terms)
    return {"services": services_frame(doc), "servers": servers_frame(doc, terms), **({"periods": periods} if periods is not None else {})}


def load_columns(doc: dict[str, Any], lang: str) -> dict[str, tuple[Kind, str]]:
    """The periods table's load columns, for the workbook: column -> (kind, header with the service's unit)."""
    return {f"{LOAD_PREFIX}{s['name']}": ("decimal", tr(lang, "xlsx.col.service_load", name=s["name"], unit=word(lang, "unit", s["load"]["unit"])))
            for s in doc.get("services", [])}
