"""Page one's bid table (one row per bid with its own best plan, cost per million output tokens,
break-even price, top risk) and the wording of a bid's risks, shared by the solve report, the
comparison report and their JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.analysis.facts import Risk, SolveFacts
from optimizer.analysis.served import rmb_per_million_output_tokens
from optimizer.plan.result import SolveResult
from optimizer.report.format import DASH, money, table, unit_price
from optimizer.report.i18n import tr, word
from optimizer.report.reasons import localize_reason
from optimizer.report.shapes import plan_shape

if TYPE_CHECKING:
    from optimizer.analysis.compare import Comparison

def _first_sentence(text: str) -> str:
    # A table cell carries the export-control status, not its history; the Warnings keep it whole.
    if "。" in text:
        return text.split("。")[0] + "。"
    return text.split(". ")[0].rstrip(".") + "."


def risk_text(risk: Risk, lang: str = "en") -> str:
    p = risk.params
    if risk.code == "export_control":
        text = str(p.get("status_zh") or "") if lang == "zh" else ""   # the catalog's own Chinese note, when it has one
        return tr(lang, "risk.export", text=_first_sentence(text or str(p["status"])))
    if risk.code == "thin_calibration" and not p["family_rows"]:
        return tr(lang, "risk.unmeasured", family=p["family"])
    if risk.code == "thin_calibration":
        return tr(lang, "risk.thin", family=p["family"], fam_rows=p["family_rows"], engine=p["engine"], eng_rows=p["engine_rows"])
    if risk.code == "price_not_quote":
        kind = str(p["kind"])
        return tr(lang, "risk.price", n="n" if kind == "estimate" else "", kind=word(lang, "kind", kind))
    if risk.code == "no_fp8":
        return tr(lang, "risk.no_fp8")
    if risk.code == "pcie_only":
        return tr(lang, "risk.pcie")
    if risk.code == "ecosystem":
        return tr(lang, "risk.ecosystem", text=(lang == "zh" and p.get("note_zh")) or p["note"])
    raise ValueError(f"no wording for risk {risk.code!r}")


def top_risk(risks: tuple[Risk, ...], lang: str = "en") -> str:
    return risk_text(risks[0], lang) if risks else tr(lang, "risk.none")


def risks_sentence(risks: tuple[Risk, ...], lang: str = "en") -> str:
    """Every risk of a bid in one sentence (the comparison's Risks section)."""
    if not risks:
        return tr(lang, "risk.none") + "."
    end = "。" if lang == "zh" else "."
    return tr(lang, "list_sep").join(risk_text(r, lang).rstrip(".。") for r in risks) + end


def bid_table(result: SolveResult, lang: str = "en", comparison: Comparison | None = None, *, facts: SolveFacts) -> list[str]:
    """Page one's table: one row per bid with its own best plan. With a comparison, a break-even
    column; under a TCO objective, capex, energy and TCO columns."""
    s = result.scenario
    tco = s.objective.kind == "tco"
    head = [tr(lang, f"bids.col.{k}") for k in ("bid", "vendor", "card", "price", "plan", "servers")]
    align = "lllrlr"
    if tco:
        head += [tr(lang, "bids.col.capex"), tr(lang, "bids.col.energy", years=f"{s.objective.years:g}"), tr(lang, "bids.col.tco")]
        align += "rrr"
    else:
        head.append(tr(lang, "bids.col.cost"))
        align += "r"
    head.append(tr(lang, "bids.col.per_mtok"))
    align += "r"
    ranged = result.uncertainty is not None
    if ranged:  # the same bid at the central estimate, and its cost over the draws of the model's error
        head += [tr(lang, "bids.col.central"), tr(lang, "bids.col.spread")]
        align += "rr"
    compared = {r.offer_id for r in comparison.rows} if comparison is not None else set()
    if comparison is not None:
        head.append(tr(lang, "bids.col.break_even"))
        align += "r"
    head.append(tr(lang, "bids.col.risk"))
    align += "l"
    rows = []
    for o in result.per_offer:
        t = result.terms[o.offer_id]
        row: list[object] = [o.offer_id, t.vendor, t.card_id, money(t.price_rmb_per_server, lang)]
        if o.plan is None:
            row += [tr(lang, "bids.cannot", reason=localize_reason(o.reason or "", lang)), DASH]
            row += [DASH] * (3 if tco else 1) + [DASH]
        else:
            row += [plan_shape(o.plan), f"{o.plan.servers.get(o.offer_id, 0)} / {o.plan.cards}"]
            if tco:
                row += [money(o.plan.capex_rmb, lang), money(o.plan.cost_rmb - o.plan.capex_rmb, lang), money(o.plan.cost_rmb, lang)]
            else:
                row.append(money(o.plan.cost_rmb, lang))
            row.append(unit_price(rmb_per_million_output_tokens(o.plan), lang))
        if ranged:
            row += [_central_cell(result, o.offer_id, lang), _spread_cell(result, o.offer_id, lang)]
        if comparison is not None:
            row.append(break_even_cell(comparison, o.offer_id, lang) if o.offer_id in compared else DASH)
        row.append(top_risk(facts.offer(o.offer_id).risks, lang))
        rows.append(row)
    return table(head, align, rows)


def _central_cell(result: SolveResult, offer_id: str, lang: str) -> str:
    row = next((o for o in result.central_per_offer if o.offer_id == offer_id), None)
    if row is None or row.plan is None:
        return DASH
    return f"{money(row.plan.cost_rmb, lang)} ({sum(row.plan.servers.values())})"


def _spread_cell(result: SolveResult, offer_id: str, lang: str) -> str:
    """The bid's own cost at the 10 % and 90 % quantiles of the draws ('—' where it has no plan)."""
    u = result.bid_spreads.get(offer_id)
    if u is None:
        return DASH
    low, high = u.cost_rmb.p10, u.cost_rmb.p90
    return f"{DASH if low is None else money(low, lang)} – {DASH if high is None else money(high, lang)}"


def break_even_cell(comparison: Comparison, offer_id: str, lang: str = "en") -> str:
    row = next(r for r in comparison.rows if r.offer_id == offer_id)
    if row.plan is None:
        return DASH
    if offer_id == comparison.winner:
        return tr(lang, "winner")
    if row.break_even_rmb_per_server is not None:
        return tr(lang, "bids.be_bid", be=money(row.break_even_rmb_per_server, lang), price=money(row.price_rmb_per_server, lang))
    return row.break_even_note or DASH


def bid_notes(lang: str = "en", with_break_even: bool = False, ranged: bool = False) -> list[str]:
    notes = [tr(lang, "bids.note.per_mtok")]
    if ranged:
        notes += ["", tr(lang, "bids.note.spread")]
    if with_break_even:
        notes += ["", tr(lang, "bids.note.break_even")]
    return notes
