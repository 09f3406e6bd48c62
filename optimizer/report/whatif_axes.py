"""The what-if page's parts for the sweeps of buying in phases (growth, price decline, discount rate)
and of supply risk (delivered share): the phases table, the JSON of a phases point, the sentence
under each table, the second line of a plot's title, and where the scenario's own answer sits.

Functions of the sweep and the solve result only: the same sweep renders to the same bytes.
"""

from __future__ import annotations

from typing import Any

from optimizer import units
from optimizer.analysis.sweeps import Sweep, SweepPoint
from optimizer.analysis.sweeps_fleet import PHASE_AXES, PhasePoint, scenario_share
from optimizer.plan.result import SolveResult
from optimizer.report.format import DASH, money, table
from optimizer.report.i18n import columns, tr, word
from optimizer.report.phases import servers_cell
from optimizer.scenario_phases import Phases

NEW_AXES = (*PHASE_AXES, "delivered")


def is_phase_sweep(sweep: Sweep) -> bool:
    return sweep.kind in PHASE_AXES


def phase_points(sweep: Sweep) -> list[PhasePoint]:
    return [p for p in sweep.points if isinstance(p, PhasePoint)]


def phase_table(sweep: Sweep, result: SolveResult, lang: str = "en") -> list[str]:
    """One row per swept value: the last period's load, the phased schedule's discounted total and
    what it buys, buying all at once and what that buys, the saving, the status, then each vendor's
    own phased total."""
    periods = result.scenario.phases.periods if result.scenario.phases else ("", "")
    vendors = list(sweep.points[0].per_vendor) if sweep.points else []
    unit = word(lang, "unit", sweep.served_unit)
    head = [tr(lang, f"sw.x.{sweep.kind}"), *columns(lang, "sw.ph.cols", last=periods[-1], first=periods[0], unit=unit),
            *[tr(lang, "sw.ph.alone", vendor=v) for v in vendors]]
    rows = []
    for p in phase_points(sweep):
        status = word(lang, "status", p.status)
        if p.all_at_once_status != p.status:
            status += f" / {word(lang, 'status', p.all_at_once_status)}"
        rows.append([
            f"{p.value:g}", f"{p.last_load:,.1f}", money(p.cost_rmb, lang), servers_cell(p.bought), money(p.all_at_once_rmb, lang),
            servers_cell(p.all_at_once_bought), money(p.saving_rmb, lang), status,
            *[money(p.per_vendor[v], lang) for v in vendors],
        ])
    return table(head, "rrrlrlrl" + "r" * len(vendors), rows)


def phase_point_json(p: SweepPoint) -> dict[str, Any]:
    """A phases point's own keys (beside those every point has: cost_rmb is the discounted total)."""
    if not isinstance(p, PhasePoint):
        return {}
    return {
        "last_period_load": round(p.last_load, 3), "discounted_rmb": p.cost_rmb, "paid_rmb": p.paid_rmb,
        "bought": dict(sorted(p.bought.items())), "all_at_once_rmb": p.all_at_once_rmb, "all_at_once_status": p.all_at_once_status,
        "all_at_once_bought": dict(sorted(p.all_at_once_bought.items())), "saving_rmb": p.saving_rmb,
    }


def axis_json(sweep: Sweep, result: SolveResult) -> dict[str, Any]:
    """A new axis sweep's own keys: the periods and what the totals are (phases), or whose delivery moves."""
    ph = result.scenario.phases
    if is_phase_sweep(sweep) and ph is not None:
        return {"periods": list(ph.periods), "priced_on": "capex, discounted to the first period",
                "per_vendor_is": "each vendor's own phased schedule, discounted"}
    if sweep.kind == "delivered" and sweep.supply:
        return {"supply": sweep.supply}
    return {}


def _pct(v: float, lang: str) -> str:
    return f"{v:g}{'' if lang == 'zh' else ' '}%"


def phase_context(sweep: Sweep, result: SolveResult, lang: str = "en") -> str:
    """The phases a plot's title names: periods, and the numbers the sweep holds fixed ('' for other sweeps)."""
    ph = result.scenario.phases
    if not is_phase_sweep(sweep) or ph is None:
        return ""
    return held_fixed(sweep.kind, ph, lang)


def held_fixed(kind: str, ph: Phases, lang: str = "en") -> str:
    """The periods, and the phase numbers a `kind` sweep (growth, decline, discount) does not move."""
    per = tr(lang, "sw.ph.per")
    parts = []
    if kind != "growth":
        parts.append(tr(lang, "sw.ph.growth", v=f"{ph.growth_pct:g}") + per if ph.growth_pct is not None else tr(lang, "sw.ph.load"))
    if kind != "decline":
        parts.append(tr(lang, "sw.ph.decline", v=f"{ph.price_decline_pct:g}") + per)
    if kind != "discount":
        parts.append(tr(lang, "sw.ph.discount", v=f"{ph.discount_rate_pct:g}") + per)
    sep = "，" if lang == "zh" else ", "
    return tr(lang, "sw.ph.context", n=len(ph.periods), first=ph.periods[0], last=ph.periods[-1], parts=sep.join(parts))


def axis_note(sweep: Sweep, result: SolveResult, lang: str = "en") -> str:
    """The sentence under a new axis sweep's table: what each point solves and what it holds fixed."""
    s = result.scenario
    if is_phase_sweep(sweep) and s.phases is not None:
        ph = s.phases
        text = tr(lang, "sw.ph.note", conf=f"{s.sla.confidence:g}", first=ph.periods[0], fixed=phase_context(sweep, result, lang))
        if sweep.kind == "growth" and ph.load is not None:
            load = s.workload.load
            text += tr(lang, "sw.ph.growth_replaces", load=f"{load.amount:g}", unit=word(lang, "unit", load.unit))
        if sweep.kind == "decline" and ph.prices_rmb_per_server:
            text += tr(lang, "sw.ph.own_prices", offers=", ".join(sorted(ph.prices_rmb_per_server)))
        return text
    if sweep.kind == "delivered" and sweep.supply:
        kind = "offer" if any(o.id == sweep.supply for o in s.offers) else "vendor"
        own = next((c for c in s.constraints.robust_to if getattr(c, kind) == sweep.supply), None)
        case = tr(lang, "sw.dl.own_case", share=f"{own.delivered_share:g}") if own else tr(lang, "sw.dl.new_case")
        ls = f"{own.load_share:.0%}" if own else "100%"
        return tr(lang, "sw.dl.note", who=sweep.supply, ls=ls, pct=f"{s.constraints.mix_min_saving_pct:g}", case=case)
    return ""


def chosen_on_axis(sweep: Sweep, result: SolveResult) -> tuple[float, float] | None:
    """Where the scenario's own answer sits on a new axis sweep (x as swept, y in million RMB): its
    phased schedule at its own growth, decline or rate; its plan at its own delivered share (1
    without a case). None when the scenario gives no such value (phases.load instead of a growth)."""
    s = result.scenario
    if is_phase_sweep(sweep):
        ph, found = s.phases, result.phases
        if ph is None or found is None or found.schedule is None:
            return None
        x = getattr(ph, PHASE_AXES[sweep.kind][1])
        return None if x is None else (float(x), units.to_millions(found.schedule.discounted_rmb))
    if sweep.kind == "delivered" and sweep.supply and result.plans:
        return scenario_share(s, sweep.supply), units.to_millions(result.plans[0].cost_rmb)
    return None


def first_period(result: SolveResult) -> str:
    ph = result.scenario.phases
    return ph.periods[0] if ph else DASH
