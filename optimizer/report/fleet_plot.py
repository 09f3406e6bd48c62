"""The fleet's purchase schedule drawn: one panel per service, its demand and the capacity its
replicas have in each period, phased and all at once, and a last panel of the cards in service
against the cards the replicas use, as steps (a period holds its value for its whole length). A
function of the result; the same schedule gives the same PNG bytes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from optimizer.plan.fleet_result import FleetResult
from optimizer.report.i18n import tr, word
from optimizer.report.plot_font import plot_rc
from optimizer.report.sweep_plots import PNG_METADATA


def fleet_phase_figure(result: FleetResult, lang: str = "en") -> Any:
    """Returned open, for the caller to save and close."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ph = result.phases
    assert ph is not None and ph.schedule is not None
    periods = ph.schedule.periods
    xs = list(range(len(periods) + 1))
    once = ph.all_at_once.periods if ph.all_at_once is not None else None

    steps = _steps
    names = [s.name for s in periods[0].services]
    with matplotlib.rc_context(plot_rc()):
        fig, axes = plt.subplots(len(names) + 1, 1, figsize=(9.0, 2.4 * (len(names) + 1) + 0.8), dpi=100, sharex=True, squeeze=False)
        for k, name in enumerate(names):
            ax = axes[k][0]
            unit = word(lang, "unit", result.standalone[k].scenario.workload.load.unit)
            loads = [p.loads[k] for p in periods]
            ax.plot(xs, steps(loads), drawstyle="steps-post", color="black", linewidth=1.5, label=tr(lang, "ph.demand"))
            ax.plot(xs, steps([p.services[k].served for p in periods]), drawstyle="steps-post", color="tab:blue", linewidth=2.5,
                    label=tr(lang, "ph.capacity"))
            top = max(max(loads), max(p.services[k].served for p in periods))
            if once is not None and any(a.services[k].served != b.services[k].served for a, b in zip(once, periods, strict=True)):
                ax.plot(xs, steps([p.services[k].served for p in once]), drawstyle="steps-post", color="tab:orange", linestyle=":",
                        linewidth=2.0, label=tr(lang, "ph.capacity_once", first=periods[0].label))
                top = max(top, max(p.services[k].served for p in once))
            ax.set_ylim(0, top * 1.15)
            ax.set_ylabel(f"{name}\n({unit})", fontsize=8)
            ax.grid(True, alpha=0.3)
            if k == 0:
                ax.legend(fontsize=8, loc="lower right")  # the steps climb to the right: the lower right stays empty
        _cards_panel(axes[-1][0], result, xs, lang)
        bottom = axes[-1][0]
        bottom.set_xticks([k + 0.5 for k in range(len(periods))], [p.label for p in periods])
        bottom.set_xlim(0, len(periods))
        bottom.set_xlabel(tr(lang, "ph.x"))
        fig.suptitle(f"{tr(lang, 'ph.plot_title')}\n{result.name}", fontsize=10)
        fig.tight_layout()
    return fig


def _steps(values: Sequence[float]) -> list[float]:
    """A period's value held to its end: the last one repeated (matplotlib's steps-post)."""
    return [*values, values[-1]]


def _cards_panel(ax: Any, result: FleetResult, xs: list[int], lang: str) -> None:
    """The cards in service, phased and all at once, against the cards every service's replicas use:
    the gap is hardware paid for before it serves (each service runs what covers its own load)."""
    ph = result.phases
    assert ph is not None and ph.schedule is not None
    used = [p.cards(result.terms)[0] for p in ph.schedule.periods]
    have = [p.cards(result.terms)[1] for p in ph.schedule.periods]
    ax.plot(xs, _steps(used), drawstyle="steps-post", color="black", linewidth=1.5, label=tr(lang, "fleet.ph.cards_used"))
    ax.plot(xs, _steps(have), drawstyle="steps-post", color="tab:blue", linewidth=2.5, label=tr(lang, "fleet.ph.cards_phased"))
    top = max(have + used)
    if ph.all_at_once is not None:
        once = [p.cards(result.terms)[1] for p in ph.all_at_once.periods]
        ax.plot(xs, _steps(once), drawstyle="steps-post", color="tab:orange", linestyle=":", linewidth=2.0,
                label=tr(lang, "fleet.ph.cards_once", first=ph.schedule.periods[0].label))
        top = max(top, *once)
    ax.set_ylim(0, top * 1.15)
    ax.set_ylabel(tr(lang, "fleet.ph.cards_axis"), fontsize=8)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")


def plot_fleet_phases(result: FleetResult, path: Path, lang: str = "en") -> None:
    import matplotlib
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(plot_rc()):
        fig = fleet_phase_figure(result, lang)
        fig.savefig(path, metadata=PNG_METADATA)
    plt.close(fig)
