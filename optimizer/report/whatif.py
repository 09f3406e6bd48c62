"""Rendering of `procure compare` and `procure whatif`: tables, JSON, Markdown and PNG plots.

Functions of their results (and, for the comparison, the facts of its solve) only; plots are written with fixed metadata so the same sweep gives the
same files.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer import units
from optimizer.analysis.compare import BidRow, Comparison
from optimizer.analysis.facts import SolveFacts
from optimizer.analysis.sweeps import Sweep, SweepPoint, pareto_front
from optimizer.plan.designs import output_tokens_per_s_of
from optimizer.plan.result import Plan, SolveResult
from optimizer.report.bids import bid_notes, bid_table, risk_text, risks_sentence
from optimizer.report.decision import model_note
from optimizer.report.format import DASH, localize_amounts, money, table
from optimizer.report.format import rmb as _fmt_rmb
from optimizer.report.i18n import tr
from optimizer.report.names import safe_part, unique
from optimizer.report.plot_font import plot_rc
from optimizer.report.provenance import provenance_line
from optimizer.report.shapes import plan_shape
from optimizer.report.solve_json import plan_json
from optimizer.report.solve_md import default_plots, plot_lines

PNG_METADATA = {"Software": None}


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
    return {"scenario": c.result.scenario.name, "bids": bids, "winner": c.winner, "provenance": provenance_line(facts.provenance)}


def compare_table(c: Comparison, lang: str = "en") -> list[str]:
    """The detailed row per bid: latency with headroom, tokens/s, power, bottleneck, break-even."""
    s = c.result.scenario
    rows: list[list[object]] = []
    for row in c.rows:
        if row.plan is None:
            reason = localize_amounts(row.reason or "", lang)
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
            be = row.break_even_note or DASH
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
            text += tr(lang, "cmp.cannot", oid=r.offer_id, reason=localize_amounts(r.reason or "", lang))
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
        *bid_notes(lang, with_break_even=True), "",
        f"## {tr(lang, 'h.compare_detail')}", "", tr(lang, "cmp.detail_intro"), "", *compare_table(c, lang), "",
        f"## {tr(lang, 'h.risks')}", "",
    ]
    for row in c.rows:
        lines.append(f"- **{row.offer_id}**: {risks_sentence(row.risks, lang)}")
    lines += ["", provenance_line(facts.provenance, lang), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Sweeps


def _point_json(sweep: Sweep, p: SweepPoint) -> dict[str, Any]:
    value: float | int = round(p.value) if sweep.kind in ("budget", "price") else round(p.value, 3)
    return {
        sweep.value_key: value,
        "served": round(p.served, 3),
        "served_unit": sweep.served_unit,
        "cost_rmb": p.cost_rmb,
        "winner": p.winner,
        "status": p.status,
        "per_vendor": {k: (None if v is None else round(v, 3)) for k, v in p.per_vendor.items()},
        "no_plan_reason": dict(p.why_not),  # vendor -> why it has no plan at this point
    }


def sweep_json(sweep: Sweep) -> dict[str, Any]:
    out: dict[str, Any] = {"sweep": sweep.kind, "points": [_point_json(sweep, p) for p in sweep.points]}
    if sweep.offer_id:
        out["offer"] = sweep.offer_id
    if sweep.kind == "budget":
        out["pareto"] = [{"cost_rmb": p.cost_rmb, "served": round(p.served, 3)} for p in pareto_front(sweep.points)]
    return out


def sweep_table(sweep: Sweep) -> list[str]:
    per = "served" if sweep.kind == "budget" else "cost"
    vendors = list(sweep.points[0].per_vendor) if sweep.points else []
    head = [sweep.value_label, f"served ({sweep.served_unit})", "cost", "winner", "status", *[f"{v} alone ({per})" for v in vendors]]
    rows = []
    for p in sweep.points:
        cells = [
            f"{p.value:,.0f}" if sweep.kind in ("budget", "price") else f"{p.value:g}",
            f"{p.served:,.1f}", _rmb(p.cost_rmb), p.winner or DASH, p.status,
        ]
        for v in vendors:
            x = p.per_vendor[v]
            cells.append(DASH if x is None or (per == "served" and x == 0) else (f"{x:,.1f}" if per == "served" else _rmb(x)))
        rows.append(cells)
    return table(head, "rrrll" + "r" * len(vendors), rows)


def plot_context(result: SolveResult) -> str:
    """The line under a plot's title: model, load and SLAs, so a printed plot says what it is of."""
    s = result.scenario
    load = s.workload.load
    slas = [f"{name} ≤ {v:g} ms" for name, v in (("TTFT", s.sla.ttft_ms), ("TPOT", s.sla.tpot_ms)) if v]
    return ", ".join([result.model.name, f"{load.amount:g} {load.unit}", *slas, f"{s.sla.statistic}, confidence {s.sla.confidence:g}"])


# How each sweep's quantity moves between two swept values, as matplotlib draws it. A plan buys
# whole servers, so served load and cost jump rather than glide:
# - budget: what a budget buys holds until the next budget, which may buy more ("steps-post");
# - TPOT/TTFT target: the plan meeting a target meets every looser one, so its cost holds until the
#   next target, which may cost less ("steps-post");
# - load: the plan for the next load serves every load up to it, so its cost is what a load in
#   between surely costs ("steps-pre": drawn at the right end's value, never understating it);
# - price: the cost of a plan moves in proportion to the swept server price: no step ("default").
DRAWSTYLE = {"budget": "steps-post", "tpot": "steps-post", "ttft": "steps-post", "load": "steps-pre", "price": "default"}
_NO_PLAN_AT = {"budget": "budget", "tpot": "TPOT target", "ttft": "TTFT target", "load": "load", "price": "price"}


@dataclass(frozen=True)
class NoPlanMarks:
    """Where one vendor's series has no plan: the x values (as plotted) and the short reasons."""

    vendor: str
    xs: tuple[float, ...]
    reasons: tuple[str, ...]  # distinct, in the order of the sweep
    everywhere: bool          # no plan at any point: one annotation instead of markers

    def label(self, sweep: Sweep) -> str:
        what = _NO_PLAN_AT.get(sweep.kind, "point")
        if sweep.kind == "price" and sweep.offer_id:
            what = f"price of {sweep.offer_id}"
        reasons = "; ".join(self.reasons)
        if self.everywhere:
            return f"{self.vendor} alone cannot serve at any {what} swept: {reasons}"
        return f"{self.vendor} alone: no plan ({reasons})"


@dataclass(frozen=True)
class PriceLines:
    """The vertical lines of a price sweep: the bid's price in the scenario, and the highest price
    at which it would win (None: the comparison has none; `note` says why when it knows)."""

    current_rmb: float | None
    break_even_rmb: float | None = None
    note: str | None = None


def _x(sweep: Sweep, value: float) -> float:
    return units.to_millions(value) if sweep.kind in ("budget", "price") else value


def no_plan_marks(sweep: Sweep) -> list[NoPlanMarks]:
    """One entry per vendor with points where it has no plan (its why_not), in vendor order."""
    vendors = list(sweep.points[0].per_vendor) if sweep.points else []
    out = []
    for vendor in vendors:
        missing = [p for p in sweep.points if vendor in p.why_not]
        if not missing:
            continue
        reasons = tuple(dict.fromkeys(p.why_not[vendor] for p in missing))
        out.append(NoPlanMarks(vendor, tuple(_x(sweep, p.value) for p in missing), reasons, len(missing) == len(sweep.points)))
    return out


def _y(sweep: Sweep, value: float | None) -> float:
    """A series value as plotted: served load (budget sweep) or million RMB; NaN where no plan."""
    if value is None:
        return float("nan")
    return value if sweep.kind == "budget" else units.to_millions(value)


def sweep_figure(sweep: Sweep, chosen: tuple[float, float] | None = None, context: str = "", demand: float | None = None,
                 price: PriceLines | None = None) -> Any:
    """The sweep's figure (returned open, for the caller to save and close): one line per vendor
    (served load for a budget sweep, cost otherwise) drawn as DRAWSTYLE says, the overall best as a
    thicker line, the scenario's chosen plan as a star, the load it asks for (a line across a budget
    sweep, a line up a load sweep), an 'x' at the floor where a vendor has no plan with the reason in
    the legend (or, with no plan anywhere, one note naming the vendor and why instead of a line), and
    on a price sweep the bid's current price and its break-even price."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # the fonts are fixed when each text is made, so the figure is built, not only saved, under them
    with matplotlib.rc_context(plot_rc()):
        fig, ax = plt.subplots(figsize=(10.0, 4.5), dpi=100)  # wide enough for the legend beside the axes
        points = sorted(sweep.points, key=lambda p: p.value)  # steps need ascending x; a TPOT list may come in any order
        marks = {m.vendor: m for m in no_plan_marks(sweep)}
        _vendor_lines(ax, sweep, points, marks)
        best = [p.served if sweep.kind == "budget" else _y(sweep, p.cost_rmb) for p in points]
        ax.plot([_x(sweep, p.value) for p in points], best, color="black", linewidth=2.5, alpha=0.6, label="best plan (any bid)",
                drawstyle=DRAWSTYLE.get(sweep.kind, "default"))
        _demand_line(ax, sweep, demand)
        if price is not None:
            _price_lines(ax, price)
        if chosen is not None:
            ax.plot([_x(sweep, chosen[0])], [chosen[1]], marker="*", markersize=16, color="red", linestyle="none", label="chosen plan")
        notes = [m.label(sweep) for m in marks.values() if m.everywhere]
        if price is not None and price.break_even_rmb is None and price.note:
            notes.append(f"break-even: {price.note}")
        if notes:  # under the axes, where no line or legend can hide them
            ax.annotate("\n".join(textwrap.fill(n, 130) for n in notes), xy=(0, 0), xycoords="axes fraction", xytext=(0, -42),
                        textcoords="offset points", fontsize=8, color="darkred", va="top")
        ax.set_xlabel(sweep.value_label.replace("(RMB", "(million RMB"))
        ax.set_ylabel(f"served ({sweep.served_unit})" if sweep.kind == "budget" else "cost (million RMB)")
        ax.set_title(f"{sweep.kind} sweep" + (f"\n{context}" if context else ""), fontsize=10)
        ax.grid(True, alpha=0.3)
        # beside the axes: inside, a long legend (reasons, price lines) hides the very points it explains
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        fig.tight_layout()
    return fig


def _vendor_lines(ax: Any, sweep: Sweep, points: Sequence[SweepPoint], marks: Mapping[str, NoPlanMarks]) -> None:
    """One line per vendor alone, and an x at the floor where it has no plan (none for a vendor
    with no plan anywhere: its note says so)."""
    import matplotlib.pyplot as plt

    xs = [_x(sweep, p.value) for p in points]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, vendor in enumerate(points[0].per_vendor if points else {}):
        color = colors[i % len(colors)]  # by position, so a vendor keeps its colour whether or not it has a line
        mark = marks.get(vendor)
        if mark is not None and mark.everywhere:
            continue
        ax.plot(xs, [_y(sweep, p.per_vendor[vendor]) for p in points], marker="o", linewidth=1.2, color=color,
                label=f"{vendor} alone", drawstyle=DRAWSTYLE.get(sweep.kind, "default"))
        if mark is not None:
            # at the axis floor (x in data, y in axes units): no cost to plot, but the point was tried
            ax.plot(mark.xs, [0.02] * len(mark.xs), transform=ax.get_xaxis_transform(), marker="x", markersize=9,
                    markeredgewidth=2, linestyle="none", color=color, clip_on=False, label=textwrap.fill(mark.label(sweep), 44))


def _demand_line(ax: Any, sweep: Sweep, demand: float | None) -> None:
    """The load the scenario asks for: across a budget sweep (served load), up a load sweep (the x axis)."""
    if demand is None:
        return
    if sweep.kind == "budget":
        ax.axhline(demand, color="grey", linestyle="--", linewidth=1.0, label=f"demand ({demand:g} {sweep.served_unit})")
    elif sweep.kind == "load":
        ax.axvline(demand, color="grey", linestyle="--", linewidth=1.0, label=f"demand in the scenario ({demand:g} {sweep.served_unit})")


def _price_lines(ax: Any, price: PriceLines) -> None:
    """The current bid and the break-even price, as labelled vertical lines (million RMB)."""
    if price.current_rmb is not None:
        ax.axvline(units.to_millions(price.current_rmb), color="tab:purple", linestyle="-.", linewidth=1.2,
                   label=f"current bid ({_rmb(price.current_rmb)} per server)")
    if price.break_even_rmb is not None:
        ax.axvline(units.to_millions(price.break_even_rmb), color="darkgoldenrod", linestyle=":", linewidth=1.5,
                   label=f"break-even ({_rmb(price.break_even_rmb)} per server)")


def plot_sweep(sweep: Sweep, path: Path, chosen: tuple[float, float] | None = None, context: str = "",
               demand: float | None = None, price: PriceLines | None = None) -> None:
    """sweep_figure written to `path` (the CJK font as fallback, fixed metadata: same sweep, same bytes)."""
    import matplotlib
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(plot_rc()):
        fig = sweep_figure(sweep, chosen, context, demand, price)
        fig.savefig(path, metadata=PNG_METADATA)
    plt.close(fig)


def plot_pareto(sweep: Sweep, path: Path, context: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(plot_rc()):
        front = pareto_front(sweep.points)
        fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=100)
        # pareto_front keeps priced points only; a plan of owned hardware alone is priced at 0
        ax.plot([units.to_millions(p.cost_rmb or 0) for p in front], [p.served for p in front], marker="o", drawstyle="steps-post")
        for p in front:
            assert p.cost_rmb is not None
            ax.annotate(p.winner or "", (units.to_millions(p.cost_rmb), p.served), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel("plan cost (million RMB)")
        ax.set_ylabel(f"served ({sweep.served_unit})")
        ax.set_title("Pareto front: cost vs served load" + (f"\n{context}" if context else ""), fontsize=10)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, metadata=PNG_METADATA)
    plt.close(fig)


def _stems(name: str, sweeps: Sequence[Sweep]) -> list[str]:
    """Each sweep's file stem: `name` (a safe file stem), the kind, an offer id made safe; a second
    sweep of the same kind and offer gets its own."""
    used: set[str] = set()
    return [unique(f"{name}_whatif_{s.kind}" + (f"_{safe_part(s.offer_id)}" if s.offer_id else ""), used) for s in sweeps]


def sweep_plots(name: str, sweeps: Sequence[Sweep]) -> list[tuple[str, str]]:
    """The PNGs render_sweeps writes, as (title or message key, file name), for a report to show."""
    out: list[tuple[str, str]] = []
    for sweep, stem in zip(sweeps, _stems(name, sweeps)):
        title = f"plot.{sweep.kind}" if sweep.kind != "price" else f"Cost as the price of {sweep.offer_id} moves"
        out.append((title, f"{stem}.png"))
        if sweep.kind == "budget":
            out.append(("plot.budget_pareto", f"{stem}_pareto.png"))
    return out


def render_sweeps(name: str, sweeps: list[Sweep], out: Path, result: SolveResult,
                  break_even: Mapping[str, tuple[int | None, str | None]] | None = None) -> str:
    """Write one PNG per sweep (and the Pareto plot for a budget sweep) into `out`; return the
    Markdown that links them by relative path (file names: sweep_plots). `break_even`: offer ->
    (break-even price per server, note) from the bid comparison, drawn on that offer's price sweep."""
    lines = [f"# procure what-if: {name}", ""]
    for sweep, stem in zip(sweeps, _stems(name, sweeps)):
        mark = _chosen_point(sweep, result)
        plot_sweep(sweep, out / f"{stem}.png", mark, plot_context(result), result.scenario.workload.load.amount,
                   _price_lines_of(sweep, result, break_even or {}))
        lines += [f"## {sweep.kind} sweep", "", *sweep_table(sweep), "", f"![{sweep.kind} sweep]({stem}.png)", ""]
        if sweep.kind == "budget":
            plot_pareto(sweep, out / f"{stem}_pareto.png", plot_context(result))
            front = pareto_front(sweep.points)
            lines += [
                "### Pareto front (plans not beaten on both cost and served load)", "",
                *table(["cost", f"served ({sweep.served_unit})", "plan carried by"], "rrl",
                       [[_rmb(p.cost_rmb), f"{p.served:,.1f}", p.winner] for p in front]), "",
                f"![Pareto front]({stem}_pareto.png)", "",
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
