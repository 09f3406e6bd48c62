"""Page one's "Buying in phases" (scenario.phases): one sentence (the discounted cost of the schedule
against buying everything in the first period, and the saving), a table per period and a plot of
capacity against demand, in English and Chinese.

Nothing here reads the clock: the same result renders to the same bytes, and the plot is written
with fixed metadata (sweep_plots.PNG_METADATA), so the same schedule gives the same PNG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optimizer.plan.fleet_result import FleetPhased
from optimizer.plan.result import PhasedPlan, PhaseSchedule, SolveResult
from optimizer.report.format import DASH, money, table
from optimizer.report.i18n import columns, tr, word
from optimizer.report.plot_font import plot_rc
from optimizer.report.sweep_plots import PNG_METADATA
from optimizer.scenario_phases import Phases


def servers_cell(servers: dict[str, int]) -> str:
    """'2 × h200-8x, 1 × mi300x-8x' (offers in id order); a dash for none."""
    return ", ".join(f"{n} × {oid}" for oid, n in sorted(servers.items()) if n) or DASH


def _load(x: float) -> str:
    return f"{x:,.1f}"


def phase_sentence(result: SolveResult, lang: str = "en") -> str:
    """The schedule's discounted cost against all at once, and the saving; then what it assumes."""
    s, ph = result.scenario, result.phases
    if ph is None or s.phases is None:
        return ""
    return schedule_verdict(ph, s.phases, lang) + _assumptions(result, lang)


def schedule_verdict(ph: PhasedPlan | FleetPhased, spec: Phases, lang: str = "en") -> str:
    """A schedule (one service's or a fleet's), discounted, against buying everything in the first
    period, and the saving; or why there is none."""
    n, first, last = len(spec.periods), spec.periods[0], spec.periods[-1]
    once = ph.all_at_once
    if ph.schedule is None:
        shown = DASH if once is None else f"{money(once.discounted_rmb, lang)} ({servers_cell(once.servers)})"
        return tr(lang, "ph.none", why=tr(lang, f"ph.why.{_why(ph.status)}"), first=first, once=shown)
    sched = ph.schedule
    rate = spec.discount_rate_pct
    basis = (tr(lang, "ph.basis.discounted", first=first, rate=f"{rate:g}", paid=money(sched.spend_rmb, lang)) if rate
             else tr(lang, "ph.basis.plain"))
    common = {"n": n, "first": first, "last": last, "phased": money(sched.discounted_rmb, lang), "basis": basis}
    if once is None:
        return tr(lang, "ph.no_once", why=tr(lang, f"ph.why.{_why(ph.all_at_once_status)}"), **common)
    saving = ph.saving_rmb or 0
    if saving <= 0:
        return tr(lang, "ph.same", servers=servers_cell(once.servers), **common)
    return tr(lang, "ph.sentence", once=money(once.discounted_rmb, lang), servers=servers_cell(once.servers),
              saving=money(saving, lang), pct=f"{100 * saving / once.discounted_rmb:.1f} %", **common)


def _why(status: str) -> str:
    return "unknown" if status == "unknown" else "infeasible"


def _assumptions(result: SolveResult, lang: str) -> str:
    """Prices, lead time, headroom, N+1, the designs used, and what a server costs under a TCO objective."""
    s = result.scenario
    ph = s.phases
    assert ph is not None
    d = ph.price_decline_pct
    prices = tr(lang, "ph.prices.flat") if d == 0 else tr(lang, "ph.prices.decline" if d > 0 else "ph.prices.rise", d=f"{abs(d):g}")
    text = tr(lang, "ph.gap") + prices
    if ph.prices_rmb_per_server:
        text += tr(lang, "ph.prices.given", offers=", ".join(sorted(ph.prices_rmb_per_server)))
    if ph.lead_time_periods:
        text += tr(lang, "ph.lead", lead=ph.lead_time_periods)
    if s.sla.headroom_pct:
        text += tr(lang, "ph.headroom", h=f"{s.sla.headroom_pct:g}")
    if s.constraints.n_plus_one:
        text += tr(lang, "ph.n_plus_one")
    load = s.workload.load
    text += tr(lang, "ph.sized", conf=f"{s.sla.confidence:g}", load=f"{load.amount:g}", unit=word(lang, "unit", load.unit))
    if s.objective.kind == "tco":
        text += tr(lang, "ph.tco", years=f"{s.objective.years:g}")
    return text


def phase_table(schedule: PhaseSchedule, unit: str, lang: str = "en") -> list[str]:
    """One row per period (load, servers bought and in service, capacity, spend plain and discounted)
    and a total row."""
    rows: list[list[object]] = [
        [p.label, _load(p.load), servers_cell(p.bought), servers_cell(p.in_service), _load(p.capacity),
         money(p.spend_rmb, lang), money(p.discounted_rmb, lang)]
        for p in schedule.periods
    ]
    rows.append([f"**{tr(lang, 'ph.total')}**", "", servers_cell(schedule.servers), "", "", f"**{money(schedule.spend_rmb, lang)}**",
                 f"**{money(schedule.discounted_rmb, lang)}**"])
    return table(columns(lang, "ph.cols", unit=unit), "lrllrrr", rows)


def phase_section(result: SolveResult, lang: str = "en", plot: str | None = None) -> list[str]:
    """Page one's section: heading, sentence, table and the plot's image (`plot`: its relative path)."""
    ph = result.phases
    if ph is None:
        return []
    lines = [f"## {tr(lang, 'ph.h')}", "", phase_sentence(result, lang), ""]
    if ph.schedule is not None:
        lines += [*phase_table(ph.schedule, word(lang, "unit", result.scenario.workload.load.unit), lang), ""]
    if plot is not None and ph.schedule is not None:
        lines += [f"![{tr(lang, 'ph.plot_alt')}]({plot})", ""]
    return lines


# --------------------------------------------------------------------------------------------
# The plot


def phase_figure(result: SolveResult, lang: str = "en") -> Any:
    """Capacity against demand per period, as steps (each period holds its value for its whole
    length): the demand, the demand with the headroom, the phased schedule's capacity with what is
    bought at each step, and the all-at-once capacity. Returned open, for the caller to save and close."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s, ph = result.scenario, result.phases
    assert ph is not None and s.phases is not None and ph.schedule is not None
    periods = ph.schedule.periods
    xs = list(range(len(periods) + 1))

    def steps(values: list[float]) -> list[float]:
        return [*values, values[-1]]  # steps-post: the last period drawn to its end

    unit = word(lang, "unit", s.workload.load.unit)
    with matplotlib.rc_context(plot_rc()):
        fig, ax = plt.subplots(figsize=(9.0, 4.5), dpi=100)
        loads = [p.load for p in periods]
        ax.plot(xs, steps(loads), drawstyle="steps-post", color="black", linewidth=1.5, label=tr(lang, "ph.demand"))
        h = s.sla.headroom_pct
        if h:
            ax.plot(xs, steps([x * (1 + h / 100) for x in loads]), drawstyle="steps-post", color="grey", linestyle="--",
                    linewidth=1.0, label=tr(lang, "ph.demand_headroom", h=f"{h:g}"))
        ax.plot(xs, steps([p.capacity for p in periods]), drawstyle="steps-post", color="tab:blue", linewidth=2.5,
                label=tr(lang, "ph.capacity"))
        if ph.all_at_once is not None:
            ax.plot(xs, steps([p.capacity for p in ph.all_at_once.periods]), drawstyle="steps-post", color="tab:orange",
                    linestyle=":", linewidth=2.0, label=tr(lang, "ph.capacity_once", first=periods[0].label))
        for k, p in enumerate(periods):
            if p.bought:
                ax.annotate(tr(lang, "ph.bought", servers=servers_cell(p.bought)), (k + 0.5, p.capacity), xytext=(0, 5),
                            textcoords="offset points", ha="center", va="bottom", fontsize=8, color="tab:blue")
        ax.set_xticks([k + 0.5 for k in range(len(periods))], [p.label for p in periods])
        ax.set_xlim(0, len(periods))
        ax.set_ylim(0, max(max(p.capacity for p in periods), max(loads) * (1 + h / 100),
                           max((p.capacity for p in (ph.all_at_once.periods if ph.all_at_once else ())), default=0)) * 1.15)
        ax.set_xlabel(tr(lang, "ph.x"))
        ax.set_ylabel(tr(lang, "ph.y", unit=unit))
        ax.set_title(f"{tr(lang, 'ph.plot_title')}\n{s.name}", fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")  # the steps climb to the right: the lower right stays empty
        fig.tight_layout()
    return fig


def plot_phases(result: SolveResult, path: Path, lang: str = "en") -> None:
    """phase_figure written to `path` (fixed metadata: the same schedule gives the same bytes)."""
    import matplotlib
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(plot_rc()):
        fig = phase_figure(result, lang)
        fig.savefig(path, metadata=PNG_METADATA)
    plt.close(fig)


def has_phase_plot(phased: PhasedPlan | None) -> bool:
    """Whether the result has a schedule to plot."""
    return phased is not None and phased.schedule is not None
