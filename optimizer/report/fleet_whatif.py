"""`procure whatif` on a fleet (services:): each sweep's table, the sentence under it, its JSON and
its plot, and the what-if page that holds them.

The plots are the single-service sweep figure (sweep_plots.sweep_figure) of the sweep as it reads
there (as_sweep): a phases sweep draws the phased and the all-at-once totals; a delivered-share
sweep draws the robust cost, and the fleet trusting every bid is added as a dashed line. Functions
of the sweeps and the services' scenarios: the same sweeps give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from optimizer import units
from optimizer.analysis.fleet_whatif import FleetPhaseSweep, FleetShareSweep, FleetSweep
from optimizer.analysis.sweeps import Sweep, SweepPoint
from optimizer.analysis.sweeps_fleet import PHASE_AXES, PhasePoint, scenario_share
from optimizer.pipeline import FleetWhatIf
from optimizer.report.format import DASH, money, table
from optimizer.report.i18n import columns, tr, word
from optimizer.report.names import safe_part, unique
from optimizer.report.phases import servers_cell
from optimizer.report.sweep_plots import PNG_METADATA, sweep_figure, sweep_title
from optimizer.report.whatif_axes import held_fixed
from optimizer.scenario import Scenario


def as_sweep(sweep: FleetSweep) -> Sweep:
    """The sweep as the single-service figure and titles read it (no per-vendor series, no served load)."""
    if isinstance(sweep, FleetPhaseSweep):
        points: tuple[SweepPoint, ...] = tuple(
            PhasePoint(value=p.value, served=0.0, cost_rmb=p.discounted_rmb, winner=None, status=p.status, per_vendor={},
                       paid_rmb=p.paid_rmb, bought=p.bought, all_at_once_rmb=p.all_at_once_rmb,
                       all_at_once_status=p.all_at_once_status, all_at_once_bought=p.all_at_once_bought) for p in sweep.points)
        return Sweep(sweep.kind, sweep.value_key, tr("en", f"sw.x.{sweep.kind}"), "", points)
    shares = tuple(SweepPoint(value=p.value, served=0.0, cost_rmb=p.cost_rmb, winner=None, status=p.status, per_vendor={})
                   for p in sweep.points)
    return Sweep("delivered", sweep.value_key, tr("en", "sw.x.delivered", offer=sweep.supply), "", shares, supply=sweep.supply)


def fleet_sweep_title(sweep: FleetSweep, lang: str = "en") -> str:
    return sweep_title(as_sweep(sweep), lang)


def _status(status: str, other: str, lang: str) -> str:
    shown = word(lang, "status", status)
    return shown if other == status else f"{shown} / {word(lang, 'status', other)}"


def fleet_sweep_table(sweep: FleetSweep, scenarios: Sequence[Scenario], lang: str = "en") -> list[str]:
    """One row per swept value. A phases sweep: (growth: each service's load in the last period,) the
    phased schedule's discounted total and what it buys, buying all at once and what that buys, the
    saving, the status (phased / all at once when they differ). A delivered share: the fleet robust
    to it, the fleet trusting every bid, what the robustness costs, the servers it buys, the status."""
    if isinstance(sweep, FleetShareSweep):
        trust = sweep.trusting
        rows = [[f"{p.value:g}", money(p.cost_rmb, lang), money(trust.cost_rmb, lang),
                 money(None if p.cost_rmb is None or trust.cost_rmb is None else p.cost_rmb - trust.cost_rmb, lang),
                 servers_cell(p.servers), _status(p.status, p.status, lang)] for p in sweep.points]
        head = [tr(lang, "sw.x.delivered", offer=sweep.supply), *columns(lang, "fsw.dl.cols_phased" if sweep.phased else "fsw.dl.cols")]
        return table(head, "rrrrll", rows)
    ph = scenarios[0].phases
    periods = ph.periods if ph is not None else ("", "")
    loads = [tr(lang, "fsw.ph.load", name=s.name, last=periods[-1], unit=word(lang, "unit", s.workload.load.unit))
             for s in scenarios] if sweep.kind == "growth" else []
    head = [tr(lang, f"sw.x.{sweep.kind}"), *loads, *columns(lang, "fsw.ph.cols", first=periods[0])]
    body = []
    for p in sweep.points:
        shown = [f"{x:,.1f}" for x in p.last_loads] if loads else []
        body.append([f"{p.value:g}", *shown, money(p.discounted_rmb, lang), servers_cell(p.bought), money(p.all_at_once_rmb, lang),
                     servers_cell(p.all_at_once_bought), money(p.saving_rmb, lang), _status(p.status, p.all_at_once_status, lang)])
    return table(head, "r" + "r" * len(loads) + "rlrlrl", body)


def fleet_sweep_json(sweep: FleetSweep, scenarios: Sequence[Scenario]) -> dict[str, Any]:
    """One sweep's points, with what they are of (the services, the periods or whose delivery moves)."""
    names = [s.name for s in scenarios]
    out: dict[str, Any] = {"sweep": sweep.kind, "fleet": True, "services": names}
    if isinstance(sweep, FleetShareSweep):
        trust = sweep.trusting
        out.update({
            "supply": sweep.supply, "costs_are": "the phased schedule, discounted" if sweep.phased else "the fleet plan",
            "trusting": {"status": trust.status, "cost_rmb": trust.cost_rmb, "servers": dict(sorted(trust.servers.items()))},
            "points": [{"delivered_share": round(p.value, 4), "status": p.status, "cost_rmb": p.cost_rmb,
                        "servers": dict(sorted(p.servers.items())), "trusting_rmb": trust.cost_rmb,
                        "robustness_rmb": None if p.cost_rmb is None or trust.cost_rmb is None else p.cost_rmb - trust.cost_rmb}
                       for p in sweep.points],
        })
        return out
    ph = scenarios[0].phases
    out.update({
        "periods": list(ph.periods) if ph is not None else [], "priced_on": "capex, discounted to the first period",
        "own_loads": list(sweep.own_loads),
        "points": [{sweep.value_key: round(p.value, 4), "status": p.status, "cost_rmb": p.discounted_rmb, "discounted_rmb": p.discounted_rmb,
                    "paid_rmb": p.paid_rmb, "bought": dict(sorted(p.bought.items())), "all_at_once_rmb": p.all_at_once_rmb,
                    "all_at_once_status": p.all_at_once_status, "all_at_once_bought": dict(sorted(p.all_at_once_bought.items())),
                    "saving_rmb": p.saving_rmb, "last_period_loads": {n: round(x, 3) for n, x in zip(names, p.last_loads, strict=True)}}
                   for p in sweep.points],
    })
    return out


def _held_fixed(sweep: FleetPhaseSweep, scenario: Scenario, lang: str) -> str:
    """The phases a phases sweep holds fixed: periods, and the two numbers it does not move."""
    ph = scenario.phases
    return "" if ph is None else held_fixed(sweep.kind, ph, lang)


def fleet_axis_note(sweep: FleetSweep, scenarios: Sequence[Scenario], lang: str = "en") -> str:
    """The sentence under a sweep's table: what each point solves, what it holds fixed, the vendor rule."""
    shared = scenarios[0]
    if isinstance(sweep, FleetPhaseSweep):
        ph = shared.phases
        assert ph is not None
        text = tr(lang, "fsw.ph.note", conf=f"{shared.sla.confidence:g}", first=ph.periods[0], fixed=_held_fixed(sweep, shared, lang))
        if sweep.own_loads:
            text += tr(lang, "fsw.ph.own_loads", names=", ".join(sweep.own_loads))
        if sweep.kind == "decline" and ph.prices_rmb_per_server:
            text += tr(lang, "sw.ph.own_prices", offers=", ".join(sorted(ph.prices_rmb_per_server)))
        return text + tr(lang, "fsw.vendor")
    cases = shared.constraints.robust_to
    kind = "offer" if any(o.id == sweep.supply for o in shared.offers) else "vendor"
    own = next((c for c in cases if getattr(c, kind) == sweep.supply), None)
    case = tr(lang, "sw.dl.own_case", share=f"{own.delivered_share:g}") if own else tr(lang, "sw.dl.new_case")
    others = [c for c in cases if c is not own]
    text = tr(lang, "fsw.dl.note", who=sweep.supply, ls=f"{own.load_share:.0%}" if own else "100%",
              other=tr(lang, "fsw.dl.other") if others else "", case=case)
    if sweep.phased:
        text += tr(lang, "fsw.dl.phased")
    return text + tr(lang, "fsw.vendor")


CONTEXT_WIDTH = 90  # characters of a plot's subtitle line: the axes, narrowed by the legend beside them, centre it


def fleet_plot_context(scenarios: Sequence[Scenario], lang: str = "en") -> str:
    """The lines under a plot's title: the services and the confidence (wrapped to CONTEXT_WIDTH)."""
    import textwrap

    sep = "，" if lang == "zh" else ", "
    text = tr(lang, "fsw.context", n=len(scenarios), names=sep.join(s.name for s in scenarios), conf=f"{scenarios[0].sla.confidence:g}")
    # a service name is never split at its hyphens; Chinese breaks at its spaces (a CJK character is two columns wide)
    width = CONTEXT_WIDTH * 3 // 4 if lang == "zh" else CONTEXT_WIDTH
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)) or text


def _chosen(sweep: FleetSweep, scenario: Scenario) -> tuple[float, float] | None:
    """The scenario's own value on the sweep's axes (x as swept, y in million RMB), when it is among
    the values swept (no extra solve is made for it)."""
    if isinstance(sweep, FleetPhaseSweep):
        ph = scenario.phases
        own = None if ph is None else getattr(ph, PHASE_AXES[sweep.kind][1])
        hit = [p.discounted_rmb for p in sweep.points if own is not None and p.value == own]
    else:
        own = scenario_share(scenario, sweep.supply)
        hit = [p.cost_rmb for p in sweep.points if p.value == own]
    return None if own is None or not hit or hit[0] is None else (float(own), units.to_millions(hit[0]))


def plot_fleet_sweep(sweep: FleetSweep, scenarios: Sequence[Scenario], path: Path, lang: str = "en") -> None:
    """The sweep's figure written to `path` (fixed metadata: the same sweep gives the same bytes)."""
    import matplotlib
    import matplotlib.pyplot as plt

    from optimizer.report.plot_font import plot_rc

    shared = scenarios[0]
    context = fleet_plot_context(scenarios, lang)
    if isinstance(sweep, FleetPhaseSweep):
        context += f"\n{_held_fixed(sweep, shared, lang)}"
    first = shared.phases.periods[0] if shared.phases else DASH
    with matplotlib.rc_context(plot_rc()):
        fig = sweep_figure(as_sweep(sweep), _chosen(sweep, shared), context, None, None, lang, first_period=first)
        if isinstance(sweep, FleetShareSweep):
            ax = fig.axes[0]
            names = {tr(lang, "sw.best"): tr(lang, "fsw.robust_phased" if sweep.phased else "fsw.robust"),
                     tr(lang, "sw.dl.chosen"): tr(lang, "sw.ph.chosen" if sweep.phased else "sw.dl.chosen")}
            for line in ax.get_lines():  # the single-service words for one plan, said of the fleet
                line.set_label(names.get(str(line.get_label()), line.get_label()))
            cost = sweep.trusting.cost_rmb
            if cost is not None:  # the same at every share: a level line, the gap to it what the robustness costs
                ax.axhline(units.to_millions(cost), color="tab:green", linestyle="--", linewidth=1.5,
                           label=tr(lang, "fsw.trusting", cost=money(cost, lang)))
            if sweep.phased:
                ax.set_ylabel(tr(lang, "sw.y.discounted"))
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
            fig.tight_layout()
        fig.savefig(path, metadata=PNG_METADATA)
    plt.close(fig)


def fleet_sweep_stems(stem: str, sweeps: Sequence[FleetSweep]) -> list[str]:
    """Each sweep's file stem, as the single-service what-if names them: <stem>_whatif_<kind>, a
    delivered share with whose (made safe), a second of the same name numbered."""
    used: set[str] = set()
    return [unique(f"{stem}_whatif_{s.kind}" + (f"_{safe_part(s.supply)}" if isinstance(s, FleetShareSweep) else ""), used)
            for s in sweeps]


def render_fleet_sweeps(stem: str, whatif: FleetWhatIf, out: Path, lang: str = "en") -> str:
    """Write one PNG per sweep into `out`; return the Markdown page that shows them with their tables."""
    scenarios = whatif.scenarios
    lines = [f"# {tr(lang, 'sw.h1', name=stem)}", ""]
    for sweep, name in zip(whatif.sweeps, fleet_sweep_stems(stem, whatif.sweeps), strict=True):
        plot_fleet_sweep(sweep, scenarios, out / f"{name}.png", lang)
        title = fleet_sweep_title(sweep, lang)
        lines += [f"## {title}", "", *fleet_sweep_table(sweep, scenarios, lang), "", fleet_axis_note(sweep, scenarios, lang), "",
                  f"![{title}]({name}.png)", ""]
    return "\n".join(lines)
