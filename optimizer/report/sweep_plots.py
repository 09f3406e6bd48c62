"""The sweep plots: one figure per sweep and the Pareto front, for a committee to print.

Each vendor's series is drawn as its quantity moves (DRAWSTYLE), a point where a vendor has no plan
is marked with the reason, a price sweep shows the bid's current and break-even prices, and Chinese
text is drawn in the CJK font (plot_font). Files are written with fixed metadata: the same sweep
gives the same bytes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer import units
from optimizer.analysis.sweeps import Sweep, SweepPoint, pareto_front
from optimizer.analysis.sweeps_fleet import PHASE_AXES, PhasePoint
from optimizer.report.format import money
from optimizer.report.i18n import tr, word
from optimizer.report.plot_font import plot_rc
from optimizer.report.reasons import localize_reason

PNG_METADATA = {"Software": None}  # no matplotlib version in the file: the bytes depend on the plot alone


# How each sweep's quantity moves between two swept values, as matplotlib draws it. A plan buys
# whole servers, so served load and cost jump rather than glide:
# - budget: what a budget buys holds until the next budget, which may buy more ("steps-post");
# - TPOT/TTFT target: the plan meeting a target meets every looser one, so its cost holds until the
#   next target, which may cost less ("steps-post");
# - load: the plan for the next load serves every load up to it, so its cost is what a load in
#   between surely costs ("steps-pre": drawn at the right end's value, never understating it);
# - price: the cost of a plan moves in proportion to the swept server price: no step ("default");
# - growth: the schedule for the next growth serves every load of a growth in between (each
#   period's load rises with the growth), so its total bounds those from above ("steps-pre");
# - price decline, discount rate: each schedule's discounted total moves smoothly with them, and the
#   cheapest of a fixed set of schedules does too: no step ("default");
# - delivered share: a plan surviving a share survives every larger one, so the cost at a share
#   holds as an upper bound until the next share, which may cost less ("steps-post").
DRAWSTYLE = {"budget": "steps-post", "tpot": "steps-post", "ttft": "steps-post", "load": "steps-pre", "price": "default",
             "growth": "steps-pre", "decline": "default", "discount": "default", "delivered": "steps-post"}
PHASE_KINDS = tuple(PHASE_AXES)  # sweeps of buying in phases: their points are PhasePoints
NEW_KINDS = (*PHASE_KINDS, "delivered")  # titled by their words in English too


@dataclass(frozen=True)
class NoPlanMarks:
    """Where one vendor's series has no plan: the x values (as plotted) and the short reasons."""

    vendor: str
    xs: tuple[float, ...]
    reasons: tuple[str, ...]  # distinct, in the order of the sweep
    everywhere: bool          # no plan at any point: one annotation instead of markers

    def label(self, sweep: Sweep, lang: str = "en") -> str:
        key = f"sw.kind.{sweep.kind}"
        what = tr(lang, key) if sweep.kind in DRAWSTYLE else tr(lang, "sw.point")
        if sweep.kind == "price" and sweep.offer_id:
            what = tr(lang, "sw.price_of", offer=sweep.offer_id)
        reasons = "; ".join(localize_reason(r, lang) for r in self.reasons)
        if self.everywhere:
            return tr(lang, "sw.noplan_all", vendor=self.vendor, what=what, reasons=reasons)
        return tr(lang, "sw.noplan", vendor=self.vendor, reasons=reasons)


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


def axis_label(sweep: Sweep, lang: str = "en", *, table: bool = False) -> str:
    """The swept quantity with its unit: million RMB on a plot's axis, RMB (万元 in Chinese) in a table."""
    if sweep.kind in ("budget", "price") and table:
        return tr(lang, f"sw.tx.{sweep.kind}", offer=sweep.offer_id or "")
    if sweep.kind in DRAWSTYLE:
        return tr(lang, f"sw.x.{sweep.kind}", unit=word(lang, "unit", sweep.served_unit), offer=sweep.offer_id or sweep.supply or "")
    return sweep.value_label


def sweep_figure(sweep: Sweep, chosen: tuple[float, float] | None = None, context: str = "", demand: float | None = None,
                 price: PriceLines | None = None, lang: str = "en", *, first_period: str = "") -> Any:
    """The sweep's figure (returned open, for the caller to save and close): one line per vendor
    (served load for a budget sweep, cost otherwise) drawn as DRAWSTYLE says, the overall best as a
    thicker line, the scenario's chosen plan as a star, the load it asks for (a line across a budget
    sweep, a line up a load sweep), an 'x' at the floor where a vendor has no plan with the reason in
    the legend (or, with no plan anywhere, one note naming the vendor and why instead of a line), and
    on a price sweep the bid's current price and its break-even price. A phases sweep plots
    discounted totals: each vendor's own schedule, the schedule over every bid (thick), and buying
    everything in `first_period` (dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # the fonts are fixed when each text is made, so the figure is built, not only saved, under them
    with matplotlib.rc_context(plot_rc()):
        fig, ax = plt.subplots(figsize=(10.0, 4.5), dpi=100)  # wide enough for the legend beside the axes
        points = sorted(sweep.points, key=lambda p: p.value)  # steps need ascending x; a TPOT list may come in any order
        marks = {m.vendor: m for m in no_plan_marks(sweep)}
        phased = sweep.kind in PHASE_KINDS
        cap = _phase_cap(sweep, points) if phased else None
        _vendor_lines(ax, sweep, points, marks, lang, cap)
        best = [p.served if sweep.kind == "budget" else _y(sweep, p.cost_rmb) for p in points]
        ax.plot([_x(sweep, p.value) for p in points], best, color="black", linewidth=2.5, alpha=0.6,
                label=tr(lang, "sw.ph.best" if phased else "sw.best"), drawstyle=DRAWSTYLE.get(sweep.kind, "default"))
        if phased:
            once = [_y(sweep, p.all_at_once_rmb if isinstance(p, PhasePoint) else None) for p in points]
            ax.plot([_x(sweep, p.value) for p in points], once, color="tab:red", linestyle="--", linewidth=1.8, marker="s",
                    markersize=4, label=tr(lang, "sw.ph.once", first=first_period), drawstyle=DRAWSTYLE[sweep.kind])
        _demand_line(ax, sweep, demand, lang)
        if price is not None:
            _price_lines(ax, price, lang)
        if chosen is not None:
            chosen_label = {"delivered": "sw.dl.chosen", **{k: "sw.ph.chosen" for k in PHASE_KINDS}}.get(sweep.kind, "sw.chosen")
            ax.plot([_x(sweep, chosen[0])], [chosen[1]], marker="*", markersize=16, color="red", linestyle="none", label=tr(lang, chosen_label))
        notes = [m.label(sweep, lang) for m in marks.values() if m.everywhere]
        if price is not None and price.break_even_rmb is None and price.note:
            notes.append(tr(lang, "sw.be_note", note=localize_reason(price.note, lang)))
        if notes:  # under the axes, where no line or legend can hide them
            ax.annotate("\n".join(textwrap.fill(n, 130) for n in notes), xy=(0, 0), xycoords="axes fraction", xytext=(0, -42),
                        textcoords="offset points", fontsize=8, color="darkred", va="top")
        if cap is not None:
            ax.set_ylim(top=cap)
        ax.set_xlabel(axis_label(sweep, lang))
        unit = word(lang, "unit", sweep.served_unit)
        ax.set_ylabel(tr(lang, "sw.y.served", unit=unit) if sweep.kind == "budget" else tr(lang, "sw.y.discounted" if phased else "sw.y.cost"))
        ax.set_title(sweep_title(sweep, lang) + (f"\n{context}" if context else ""), fontsize=10)
        ax.grid(True, alpha=0.3)
        # beside the axes: inside, a long legend (reasons, price lines) hides the very points it explains
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        fig.tight_layout()
    return fig


def sweep_title(sweep: Sweep, lang: str = "en") -> str:
    """'tpot sweep' (the kind as the CLI names it) / 'TPOT 目标扫描'; the new axes by their words
    ('load growth sweep'), a delivered share with whose ('delivered share sweep: h200-8x')."""
    kind = tr(lang, f"sw.kind.{sweep.kind}") if (lang != "en" or sweep.kind in NEW_KINDS) and sweep.kind in DRAWSTYLE else sweep.kind
    if sweep.kind == "delivered" and sweep.supply:
        return tr(lang, "sw.title_of", kind=kind, of=sweep.supply)
    return tr(lang, "sw.title", kind=kind)


OFF_SCALE = 1.3  # a phases plot's axis ends this far above the totals it compares (phased, all at once)


def _phase_cap(sweep: Sweep, points: Sequence[SweepPoint]) -> float | None:
    """A phases plot compares the phased total with buying all at once: a vendor alone costing
    several times more would squash that gap into a few pixels, so the axis ends at OFF_SCALE times
    the larger total (million RMB) and that vendor's legend says how high it goes. None: all fit."""
    totals = [v for p in points if isinstance(p, PhasePoint) for v in (p.cost_rmb, p.all_at_once_rmb) if v is not None]
    alone = [v for p in points for v in p.per_vendor.values() if v is not None]
    if not totals or not alone:
        return None
    cap = OFF_SCALE * units.to_millions(max(totals))
    return cap if units.to_millions(max(alone)) > cap else None


def _vendor_lines(ax: Any, sweep: Sweep, points: Sequence[SweepPoint], marks: Mapping[str, NoPlanMarks], lang: str,
                  cap: float | None = None) -> None:
    """One line per vendor alone, and an x at the floor where it has no plan (none for a vendor
    with no plan anywhere: its note says so). `cap`: the axis' top (million RMB); a line above it
    says in its legend how high it goes."""
    import matplotlib.pyplot as plt

    xs = [_x(sweep, p.value) for p in points]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, vendor in enumerate(points[0].per_vendor if points else {}):
        color = colors[i % len(colors)]  # by position, so a vendor keeps its colour whether or not it has a line
        mark = marks.get(vendor)
        if mark is not None and mark.everywhere:
            continue
        ys = [_y(sweep, p.per_vendor[vendor]) for p in points]
        label = tr(lang, "sw.ph.alone" if sweep.kind in PHASE_KINDS else "sw.alone_line", vendor=vendor)
        top = max((y for y in ys if y == y), default=0.0)  # y == y: not NaN
        if cap is not None and top > cap:
            label = textwrap.fill(label + tr(lang, "sw.ph.off_scale", top=f"{top:,.1f}"), 44)
        ax.plot(xs, ys, marker="o", linewidth=1.2, color=color, label=label, drawstyle=DRAWSTYLE.get(sweep.kind, "default"))
        if mark is not None:
            # at the axis floor (x in data, y in axes units): no cost to plot, but the point was tried
            ax.plot(mark.xs, [0.02] * len(mark.xs), transform=ax.get_xaxis_transform(), marker="x", markersize=9,
                    markeredgewidth=2, linestyle="none", color=color, clip_on=False, label=textwrap.fill(mark.label(sweep, lang), 44))


def _demand_line(ax: Any, sweep: Sweep, demand: float | None, lang: str) -> None:
    """The load the scenario asks for: across a budget sweep (served load), up a load sweep (the x axis)."""
    if demand is None:
        return
    unit = word(lang, "unit", sweep.served_unit)
    if sweep.kind == "budget":
        ax.axhline(demand, color="grey", linestyle="--", linewidth=1.0, label=tr(lang, "sw.demand", d=f"{demand:g}", unit=unit))
    elif sweep.kind == "load":
        ax.axvline(demand, color="grey", linestyle="--", linewidth=1.0, label=tr(lang, "sw.demand_load", d=f"{demand:g}", unit=unit))


def _price_lines(ax: Any, price: PriceLines, lang: str) -> None:
    """The current bid and the break-even price, as labelled vertical lines (million RMB)."""
    if price.current_rmb is not None:
        ax.axvline(units.to_millions(price.current_rmb), color="tab:purple", linestyle="-.", linewidth=1.2,
                   label=tr(lang, "sw.current", p=money(price.current_rmb, lang)))
    if price.break_even_rmb is not None:
        ax.axvline(units.to_millions(price.break_even_rmb), color="darkgoldenrod", linestyle=":", linewidth=1.5,
                   label=tr(lang, "sw.break_even", p=money(price.break_even_rmb, lang)))


def plot_sweep(sweep: Sweep, path: Path, chosen: tuple[float, float] | None = None, context: str = "",
               demand: float | None = None, price: PriceLines | None = None, lang: str = "en", *, first_period: str = "") -> None:
    """sweep_figure written to `path` (the CJK font as fallback, fixed metadata: same sweep, same bytes)."""
    import matplotlib
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(plot_rc()):
        fig = sweep_figure(sweep, chosen, context, demand, price, lang, first_period=first_period)
        fig.savefig(path, metadata=PNG_METADATA)
    plt.close(fig)


def plot_pareto(sweep: Sweep, path: Path, context: str = "", lang: str = "en") -> None:
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
        ax.set_xlabel(tr(lang, "sw.pareto_x"))
        ax.set_ylabel(tr(lang, "sw.y.served", unit=word(lang, "unit", sweep.served_unit)))
        # the figure is narrower than a sweep's: a long subtitle wraps rather than running off the page
        ax.set_title(tr(lang, "sw.pareto_title") + (f"\n{textwrap.fill(context, 80)}" if context else ""), fontsize=10)
        ax.margins(x=0.12)  # room at the right for the last point's label
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, metadata=PNG_METADATA)
    plt.close(fig)
