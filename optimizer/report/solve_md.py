"""The solve report in Markdown for the committee: a layout of the result and its facts.

Nothing here reads the clock or the catalog: the same result and facts render to the same bytes.
The wall time of the solve goes to the terminal and to the JSON printed on stdout, not into the
report files.

Page one carries the decision, its range, one row per bid (plan, cost, RMB per million output
tokens, break-even price when a comparison was made, top risk) and links to the plots; the detail,
a glossary, the assumptions and a provenance line (version, scenario and catalog hashes) follow.
`lang="zh"` gives the same report in Chinese with amounts in 万元.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from optimizer.analysis.facts import SolveFacts
from optimizer.plan.result import SolveResult
from optimizer.report.bids import bid_notes, bid_table
from optimizer.report.caveats import assumptions, warnings, weights_table
from optimizer.report.decision import (
    decision,
    latency_band_sentence,
    power_basis,
    range_sentence,
    served_sentence,
    supply_sentence,
    tco_split,
    vendor_mix_sentence,
)
from optimizer.report.format import money
from optimizer.report.i18n import glossary, tr, word
from optimizer.report.phases import phase_section
from optimizer.report.plan_detail import breakdown, candidates_table, ranked_table
from optimizer.report.provenance import provenance_line
from optimizer.report.reasons import localize_reason
from optimizer.report.unpriced import unpriced_table

if TYPE_CHECKING:
    from optimizer.analysis.compare import Comparison


def default_plots(result: SolveResult, links: Sequence[tuple[str, str]], stem: str | None = None) -> list[tuple[str, str]]:
    """The what-if PNGs the scenario's analysis section makes `procure solve` write beside the
    report, as (key, relative path): found from the what-if report's link, or from `stem` (the
    scenario file's stem) when given."""
    a = result.scenario.analysis
    prefix = f"{stem}_whatif" if stem else next((path[: -len(".md")] for _, path in links if path.endswith("_whatif.md")), None)
    if prefix is None:
        return []
    out = []
    if a.budget_sweep_rmb:
        out += [("plot.budget", f"{prefix}_budget.png"), ("plot.budget_pareto", f"{prefix}_budget_pareto.png")]
    if a.tpot_sweep_ms:
        out.append(("plot.tpot", f"{prefix}_tpot.png"))
    return out


def plot_lines(plots: Sequence[tuple[str, str]], lang: str = "en") -> list[str]:
    """Markdown images; a title that is a message key is translated."""
    if not plots:
        return []
    lines = [tr(lang, "plots.intro"), ""]
    for title, path in plots:
        text = tr(lang, title) if title.startswith("plot.") else title
        lines += [f"![{text}]({path})", ""]
    return lines


def _page_one(result: SolveResult, facts: SolveFacts, lang: str, comparison: Comparison | None,
              phase_plot: str | None = None) -> list[str]:
    """The decision, its range, the TCO split, the vendor-mix rule, buying in phases and the bid table."""
    s = result.scenario
    lines = [decision(result, lang), ""]
    span = range_sentence(result, lang).strip()
    if span:
        lines += [span, ""]
    band = latency_band_sentence(result, facts, lang)
    if band:
        lines += [band, ""]
    if result.plans and s.objective.kind == "tco":
        lines += [tco_split(result, result.plans[0], lang), ""]
    supply = supply_sentence(result, lang)
    if supply:
        lines += [supply, ""]
    served = served_sentence(facts, lang)
    if served:
        lines += [served, ""]
    if result.plans and (s.objective.kind == "tco" or s.constraints.power_cap_kw is not None):
        lines += [power_basis(result, sorted(o for o, n in result.plans[0].servers.items() if n), lang), ""]
    mix = vendor_mix_sentence(result, lang)
    if mix:
        lines += [mix, ""]
    lines += phase_section(result, lang, phase_plot)
    lines += [f"## {tr(lang, 'h.bids')}", "", tr(lang, "bids.intro"), "", *bid_table(result, lang, comparison, facts=facts), ""]
    return [*lines, *bid_notes(lang, comparison is not None, ranged=result.uncertainty is not None), "", *unpriced_table(result, lang)]


def _plans(result: SolveResult, lang: str) -> list[str]:
    """Ranked plans and why the first holds (and every split, under a most-load objective)."""
    if not result.plans:
        return []
    lines = [
        f"## {tr(lang, 'h.ranked')}",
        "",
        tr(lang, "ranked.status", status=word(lang, "status", result.status), objective=money(result.objective_rmb or 0, lang),
           bound=money(result.best_bound_rmb or 0, lang), n=len(result.designs)),
        "",
        *ranked_table(result, lang),
        "",
        f"## {tr(lang, 'h.why')}",
        "",
        *breakdown(result.plans[0], lang),
    ]
    if result.scenario.objective.kind == "max_load":
        lines += [f"## {tr(lang, 'h.splits')}", "", *candidates_table(result, lang), ""]
    return lines


def _diagnosis(result: SolveResult, lang: str) -> list[str]:
    d = result.diagnosis
    if not d:
        return []
    lines = [f"## {tr(lang, 'h.diagnosis')}", "", tr(lang, "diag.binding", binding=", ".join(localize_reason(b, lang) for b in d.binding)), ""]
    lines += [f"- {localize_reason(r, lang)}" for r in d.relaxations]
    lines += [f"- {oid}: {localize_reason(r, lang)}" for oid, r in sorted(d.offer_reasons.items())]
    return [*lines, ""]


def render(
    result: SolveResult, links: tuple[tuple[str, str], ...] = (), *, facts: SolveFacts, lang: str = "en",
    comparison: Comparison | None = None, plots: Sequence[tuple[str, str]] | None = None, phase_plot: str | None = None,
) -> str:
    """The Markdown report; `facts` are the result's (analysis.facts.solve_facts); `links` (title,
    relative path) point to comparison and what-if reports made in the same run. `comparison` (the
    same scenario's bid comparison) adds the break-even column to the bid table; `plots` (title or
    message key, relative path) are the PNGs to show on page one, by default those of the
    scenario's analysis section when a what-if report is linked; `phase_plot` (relative path) is the
    plot of buying in phases, shown in its section of page one."""
    s = result.scenario
    tr(lang, "h.report", name="")  # an unknown language fails before any work
    lines = [f"# {tr(lang, 'h.report', name=s.name)}", "", s.description or "", "", f"## {tr(lang, 'h.recommendation')}", ""]
    lines += _page_one(result, facts, lang, comparison, phase_plot)
    shown = default_plots(result, links) if plots is None else list(plots)
    if shown:
        lines += [f"## {tr(lang, 'h.plots')}", "", *plot_lines(shown, lang)]
    if links:
        lines += [f"## {tr(lang, 'h.further')}", "", *[f"- [{title}]({path})" for title, path in links], ""]
    lines += _plans(result, lang)
    lines += _diagnosis(result, lang)
    lines += [f"## {tr(lang, 'h.weights')}", "", *weights_table(facts, lang), ""]
    lines += [f"## {tr(lang, 'h.warnings')}", "", *warnings(result, facts, lang), ""]
    lines += [f"## {tr(lang, 'h.glossary')}", "", *glossary(lang), ""]
    lines += [f"## {tr(lang, 'h.assumptions')}", "", *assumptions(result, facts, lang), ""]
    lines += [provenance_line(facts.provenance, lang), ""]
    return "\n".join(lines)
