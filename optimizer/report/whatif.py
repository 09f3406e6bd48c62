"""Rendering of `procure compare` and `procure whatif`: tables, JSON, Markdown and PNG plots.

Functions of their results (and, for the comparison, the facts of its solve) only; the figures
themselves are drawn by sweep_plots, with fixed metadata so the same sweep gives the same files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from optimizer import units
from optimizer.analysis.compare import BidRow, Comparison
from optimizer.analysis.facts import SolveFacts
from optimizer.analysis.sweeps import Sweep, SweepPoint, pareto_front
from optimizer.plan.designs import output_tokens_per_s_of
from optimizer.plan.result import Plan, SolveResult
from optimizer.report.bids import bid_notes, bid_table, risk_text, risks_sentence
from optimizer.report.decision import model_note, power_basis
from optimizer.report.format import DASH, WAN, money, table
from optimizer.report.format import rmb as _fmt_rmb
from optimizer.report.i18n import columns, tr, word
from optimizer.report.names import safe_part, unique
from optimizer.report.provenance import provenance_json, provenance_line
from optimizer.report.reasons import localize_reason
from optimizer.report.shapes import plan_shape
from optimizer.report.solve_json import SCHEMA_VERSION, plan_json
from optimizer.report.solve_md import default_plots, plot_lines
from optimizer.report.sweep_plots import PriceLines, axis_label, plot_pareto, plot_sweep, sweep_title
from optimizer.report.unpriced import unpriced_table
from optimizer.report.whatif_axes import (
    axis_json,
    axis_note,
    chosen_on_axis,
    first_period,
    is_phase_sweep,
    phase_context,
    phase_point_json,
    phase_table,
)


def _rmb(x: float | None) -> str:
    return _fmt_rmb(x)


# --------------------------------------------------------------------------------------------
# Comparison


def _plan_numbers(plan: Plan) -> dict[str, float]:
    return {
        "tok_s": output_tokens_per_s_of([(g.design, g.count) for g in plan.groups]),
        "ttft_ms": max(g.design.ttft_ms or 0.0 for g in plan.groups),
        "tpot_ms": max(g.design.tpot_ms or 0.0 for g in plan.groups),
    }


def _power_kw(row: BidRow, comparison: Comparison) -> float | None:
    t = comparison.result.terms[row.offer_id]
    if row.plan is None or t.power_w_per_server is None:
        return None
    return units.w_to_kw(row.plan.servers.get(row.offer_id, 0) * t.power_w_per_server)



def compare_json(c: Comparison, *, facts: SolveFacts) -> dict[str, Any]:
    """`facts`: those of the comparison's result (analysis.facts.solve_facts(c.result))."""
    bids = []
    for row in c.rows:
        numbers = _plan_numbers(row.plan) if row.plan else None
        bids.append({
            "offer": row.offer_id,
            "vendor": row.vendor,
            "card": row.card_id,
            "feasible": row.feasible,
            "cost_rmb": row.plan.cost_rmb if row.plan else None,
            "plan": plan_json(row.plan, c.result) if row.plan else None,
            "price_rmb_per_server": row.price_rmb_per_server,
            "price_kind": row.price_kind,
            "break_even_price_rmb_per_server": row.break_even_rmb_per_server,
            "break_even_note": row.break_even_note,
            "rmb_per_1000_output_tok_s": round(row.plan.cost_rmb / units.to_thousands(numbers["tok_s"])) if row.plan and numbers else None,
            "power_kw": _power_kw(row, c),
            "risks": [risk_text(r) for r in row.risks],
            "reason": row.reason,
        })
    return {"schema_version": SCHEMA_VERSION, "scenario": c.result.scenario.name, "bids": bids, "winner": c.winner,
            "provenance": provenance_json(facts.provenance)}


def compare_table(c: Comparison, lang: str = "en") -> list[str]:
    """The detailed row per bid: latency with headroom, tokens/s, power, bottleneck, break-even."""
    s = c.result.scenario
    rows: list[list[object]] = []
    for row in c.rows:
        if row.plan is None:
            reason = localize_reason(row.reason or "", lang)
            what = reason if c.result.terms[row.offer_id].owned else tr(lang, "bids.cannot", reason=reason)
            rows.append([row.offer_id, row.vendor, row.card_id, what, *[DASH] * 9])
            continue
        n = _plan_numbers(row.plan)
        ttft = f"{n['ttft_ms']:,.0f}" + (f" ({1 - n['ttft_ms'] / s.sla.ttft_ms:+.0%})" if s.sla.ttft_ms else "")
        tpot = f"{n['tpot_ms']:.1f}" + (f" ({1 - n['tpot_ms'] / s.sla.tpot_ms:+.0%})" if s.sla.tpot_ms else "")
        if row.offer_id == c.winner:
            be = tr(lang, "winner")
        elif row.break_even_rmb_per_server is not None:
            be = tr(lang, "bids.be_bid", be=money(row.break_even_rmb_per_server, lang), price=money(row.price_rmb_per_server, lang))
        else:
            be = localize_reason(row.break_even_note, lang) if row.break_even_note else DASH
        power = _power_kw(row, c)
        bottleneck = ", ".join(sorted({g.design.perf.bottleneck for g in row.plan.groups}))
        rows.append([
            row.offer_id, row.vendor, row.card_id, plan_shape(row.plan),
            f"{row.plan.servers.get(row.offer_id, 0)} / {row.plan.cards}", money(row.plan.cost_rmb, lang),
            money(row.plan.cost_rmb / units.to_thousands(n["tok_s"]), lang), ttft, tpot, f"{n['tok_s']:,.0f}",
            DASH if power is None else f"{power:.1f}", bottleneck, be,
        ])
    return table(tr(lang, "cmp.cols").split("|"), "llllrrrrrrrlr", rows)


def why_winner(c: Comparison, lang: str = "en") -> str:
    """The comparison's verdict in words, from the numbers only."""
    if c.winner is None:
        return tr(lang, "cmp.none")
    rows = {r.offer_id: r for r in c.rows}
    w = rows[c.winner]
    assert w.plan is not None
    n = _plan_numbers(w.plan)
    if w.plan.servers.get(c.winner, 0) == 0:
        owned = ", ".join(f"{k} × {oid}" for oid, k in w.plan.servers.items())
        return tr(lang, "cmp.owned", owned=owned, tok=f"{n['tok_s']:,.0f}")
    text = tr(
        lang, "cmp.wins", winner=c.winner, vendor=w.vendor, card=w.card_id, cost=money(w.plan.cost_rmb, lang),
        n=w.plan.servers.get(c.winner, 0), shape=plan_shape(w.plan), tok=f"{n['tok_s']:,.0f}",
        per=money(w.plan.cost_rmb / units.to_thousands(n["tok_s"]), lang),
    )
    for r in c.rows:
        if r.offer_id == c.winner or c.result.terms[r.offer_id].owned:
            continue
        if r.plan is None:
            text += tr(lang, "cmp.cannot", oid=r.offer_id, reason=localize_reason(r.reason or "", lang))
        else:
            gap = r.plan.cost_rmb - w.plan.cost_rmb
            be = tr(lang, "cmp.would_win", be=money(r.break_even_rmb_per_server, lang)) if r.break_even_rmb_per_server else ""
            text += tr(lang, "cmp.needs", oid=r.offer_id, n=r.plan.servers.get(r.offer_id, 0), cost=money(r.plan.cost_rmb, lang),
                       gap=money(gap, lang), be=be)
    return text


def render_compare(c: Comparison, lang: str = "en", plots: Sequence[tuple[str, str]] | None = None, *, facts: SolveFacts) -> str:
    """The comparison report: verdict, the page-one bid table with break-even prices, the plots of
    the scenario's analysis section (`plots`: the CLI passes the PNGs `procure solve` writes beside
    it, named after the scenario file; without it they are named after the scenario's `name`), then
    the detail and the risks. `facts`: those of `c.result`."""
    s = c.result.scenario
    shown = default_plots(c.result, (), stem=s.name) if plots is None else list(plots)
    lines = [
        f"# {tr(lang, 'h.compare', name=s.name)}", "", s.description, "",
        f"## {tr(lang, 'h.verdict')}", "", why_winner(c, lang), "", model_note(c.result, lang, facts=facts), "",
    ]
    if shown:
        lines += [f"## {tr(lang, 'h.plots')}", "", *plot_lines(shown, lang)]
    lines += [
        f"## {tr(lang, 'h.bids')}", "", tr(lang, "bids.intro"), "", *bid_table(c.result, lang, c, facts=facts), "",
        *bid_notes(lang, with_break_even=True), "", *unpriced_table(c.result, lang),
        f"## {tr(lang, 'h.compare_detail')}", "", tr(lang, "cmp.detail_intro"), "", *compare_table(c, lang), "",
        power_basis(c.result, [r.offer_id for r in c.rows if r.plan is not None], lang), "",
        f"## {tr(lang, 'h.risks')}", "",
    ]
    for row in c.rows:
        lines.append(f"- **{row.offer_id}**: {risks_sentence(row.risks, lang)}")
    lines += ["", provenance_line(facts.provenance, lang), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Sweeps


def _point_json(sweep: Sweep, p: SweepPoint) -> dict[str, Any]:
    value: float | int = round(p.value) if sweep.kind in ("budget", "price") else round(p.value, 4)
    return {
        sweep.value_key: value,
        "served": round(p.served, 3),
        "served_unit": sweep.served_unit,
        "cost_rmb": p.cost_rmb,
        "winner": p.winner,
        "status": p.status,
        "per_vendor": {k: (None if v is None else round(v, 3)) for k, v in p.per_vendor.items()},
        "no_plan_reason": dict(p.why_not),  # vendor -> why it has no plan at this point
        **phase_point_json(p),
    }


def sweep_json(sweep: Sweep, result: SolveResult | None = None) -> dict[str, Any]:
    """One sweep's points; `result` (the solve the sweep is of) adds a phases sweep's periods."""
    out: dict[str, Any] = {"sweep": sweep.kind, "points": [_point_json(sweep, p) for p in sweep.points]}
    if sweep.offer_id:
        out["offer"] = sweep.offer_id
    if result is not None:
        out.update(axis_json(sweep, result))
    elif sweep.supply:
        out["supply"] = sweep.supply
    if sweep.kind == "budget":
        out["pareto"] = [{"cost_rmb": p.cost_rmb, "served": round(p.served, 3)} for p in pareto_front(sweep.points)]
    return out


def sweep_table(sweep: Sweep, lang: str = "en") -> list[str]:
    per = "served" if sweep.kind == "budget" else "cost"
    vendors = list(sweep.points[0].per_vendor) if sweep.points else []
    unit = word(lang, "unit", sweep.served_unit)
    alone = [tr(lang, "sw.alone", vendor=v, per=tr(lang, f"sw.per.{per}")) for v in vendors]
    head = [axis_label(sweep, lang, table=True), *columns(lang, "sw.cols", unit=unit), *alone]
    rows = []
    for p in sweep.points:
        if sweep.kind in ("budget", "price"):
            value = f"{p.value / WAN:,.1f}" if lang == "zh" else f"{p.value:,.0f}"
        else:
            value = f"{p.value:g}"
        cells = [value, f"{p.served:,.1f}", money(p.cost_rmb, lang), p.winner or DASH, word(lang, "status", p.status)]
        for v in vendors:
            x = p.per_vendor[v]
            cells.append(DASH if x is None or (per == "served" and x == 0) else (f"{x:,.1f}" if per == "served" else money(x, lang)))
        rows.append(cells)
    return table(head, "rrrll" + "r" * len(vendors), rows)


def sweep_rows(sweep: Sweep, result: SolveResult, lang: str = "en") -> list[str]:
    """The sweep's table as the what-if page and the terminal show it (a phases sweep has its own columns)."""
    return phase_table(sweep, result, lang) if is_phase_sweep(sweep) else sweep_table(sweep, lang)


def plot_context(result: SolveResult, lang: str = "en") -> str:
    """The line under a plot's title: model, load and SLAs, so a printed plot says what it is of."""
    s = result.scenario
    load = s.workload.load
    slas = [f"{name} ≤ {v:g} ms" for name, v in (("TTFT", s.sla.ttft_ms), ("TPOT", s.sla.tpot_ms)) if v]
    parts = ("，" if lang == "zh" else ", ").join([result.model.name, f"{load.amount:g} {word(lang, 'unit', load.unit)}", *slas])
    return tr(lang, "sw.context", parts=parts, stat=word(lang, "stat", s.sla.statistic), conf=f"{s.sla.confidence:g}")


def _stems(name: str, sweeps: Sequence[Sweep]) -> list[str]:
    """Each sweep's file stem: `name` (a safe file stem), the kind, an offer id made safe; a second
    sweep of the same kind and offer gets its own."""
    used: set[str] = set()
    return [unique(f"{name}_whatif_{s.kind}" + (f"_{safe_part(s.offer_id or s.supply or '')}" if s.offer_id or s.supply else ""), used)
            for s in sweeps]


def sweep_pngs(name: str, sweeps: Sequence[Sweep]) -> list[tuple[str, str]]:
    """The PNGs render_sweeps writes, as (title or message key, file name), for a report to show."""
    out: list[tuple[str, str]] = []
    for sweep, stem in zip(sweeps, _stems(name, sweeps)):
        title = f"plot.{sweep.kind}" if sweep.kind != "price" else f"Cost as the price of {sweep.offer_id} moves"
        out.append((title, f"{stem}.png"))
        if sweep.kind == "budget":
            out.append(("plot.budget_pareto", f"{stem}_pareto.png"))
    return out


def render_sweeps(name: str, sweeps: list[Sweep], out: Path, result: SolveResult,
                  break_even: Mapping[str, tuple[int | None, str | None]] | None = None, lang: str = "en") -> str:
    """Write one PNG per sweep (and the Pareto plot for a budget sweep) into `out`; return the
    Markdown that links them by relative path (file names: sweep_pngs). `break_even`: offer ->
    (break-even price per server, note) from the bid comparison, drawn on that offer's price sweep."""
    lines = [f"# {tr(lang, 'sw.h1', name=name)}", ""]
    context = plot_context(result, lang)
    for sweep, stem in zip(sweeps, _stems(name, sweeps)):
        mark = _chosen_point(sweep, result)
        extra = phase_context(sweep, result, lang)
        plot_sweep(sweep, out / f"{stem}.png", mark, context + (f"\n{extra}" if extra else ""), result.scenario.workload.load.amount,
                   _price_lines_of(sweep, result, break_even or {}), lang, first_period=first_period(result))
        title = sweep_title(sweep, lang)
        rows = sweep_rows(sweep, result, lang)
        note = axis_note(sweep, result, lang)
        lines += [f"## {title}", "", *rows, "", *([note, ""] if note else []), f"![{title}]({stem}.png)", ""]
        if sweep.kind == "budget":
            plot_pareto(sweep, out / f"{stem}_pareto.png", context, lang)
            front = pareto_front(sweep.points)
            lines += [
                f"### {tr(lang, 'sw.pareto_h')}", "",
                *table(columns(lang, "sw.pareto_cols", unit=word(lang, "unit", sweep.served_unit)), "rrl",
                       [[money(p.cost_rmb, lang), f"{p.served:,.1f}", p.winner] for p in front]), "",
                f"![{tr(lang, 'sw.pareto_alt')}]({stem}_pareto.png)", "",
            ]
    return "\n".join(lines)


def _price_lines_of(sweep: Sweep, result: SolveResult, break_even: Mapping[str, tuple[int | None, str | None]]) -> PriceLines | None:
    """A price sweep's lines: the offer's price in the scenario, and its break-even when known."""
    if sweep.kind != "price" or sweep.offer_id not in result.terms:
        return None
    be, note = break_even.get(sweep.offer_id, (None, None))
    return PriceLines(float(result.terms[sweep.offer_id].price_rmb_per_server), None if be is None else float(be), note)


def _chosen_point(sweep: Sweep, result: SolveResult) -> tuple[float, float] | None:
    """Where the scenario's own recommended plan sits on the sweep's axes (x in the swept unit,
    y as plotted: served load for a budget sweep, million RMB otherwise)."""
    if sweep.kind in ("growth", "decline", "discount", "delivered"):
        return chosen_on_axis(sweep, result)
    if not result.plans:
        return None
    chosen, s = result.plans[0], result.scenario
    if sweep.kind == "budget":  # budgets cap the purchase price, so the star sits at the plan's capex
        return float(chosen.capex_rmb), chosen.served
    x = {
        "tpot": s.sla.tpot_ms,
        "ttft": s.sla.ttft_ms,
        "load": s.workload.load.amount,
        "price": result.terms[sweep.offer_id].price_rmb_per_server if sweep.offer_id in result.terms else None,
    }.get(sweep.kind)
    return None if x is None else (float(x), units.to_millions(chosen.cost_rmb))
