"""`procure solve`, `compare` and `whatif`: options checked and parsed first (nothing is written
on bad input), one call into the pipeline, then the reports written and a summary printed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from optimizer.cli import terminal
from optimizer.cli.app import (
    EXIT_INFEASIBLE,
    FormatOption,
    JsonResultOption,
    LangOption,
    ReportDirOption,
    check_lang,
    dump,
    parse_formats,
    progress_for,
    run,
)
from optimizer.cli.output import Staging, out_folder, staged
from optimizer.cli.report_files import Tables, stem_of, write_html, write_tables

if TYPE_CHECKING:
    from pandas import DataFrame

    from optimizer.analysis import Comparison, Sweep
    from optimizer.analysis.facts import SolveFacts
    from optimizer.pipeline import Outcome
    from optimizer.plan.result import SolveResult


def register(app: typer.Typer) -> None:
    app.command()(solve)
    app.command()(compare)
    app.command()(whatif)


def solve(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (see scenarios/).")],
    out: ReportDirOption = "reports",
    as_json: JsonResultOption = False,
    with_compare: Annotated[bool, typer.Option("--compare", metavar="", help="Also write the bid comparison and link it.")] = False,
    whatif_budget: Annotated[
        str | None, typer.Option("--whatif-budget", metavar="FROM:TO:POINTS", help="Also run a budget sweep FROM:TO:POINTS (RMB) and link it.")
    ] = None,
    whatif_tpot: Annotated[str | None, typer.Option("--whatif-tpot", metavar="MS,MS,...",
                                 help="Also run a TPOT sweep (ms list) and link it.")] = None,
    lang: LangOption = "en",
    fmt: FormatOption = "md,json",
) -> None:
    """Find the cheapest plan that meets the scenario's SLAs; write reports/<scenario>.md and .json.

    Exit codes: 0 a plan, 3 infeasible (with the diagnosis), 2 bad input.

    Example: procure solve scenarios/r1_chatbot.yaml --compare --whatif-budget 1000000:20000000:20
    """

    def body() -> int:
        from optimizer import pipeline
        from optimizer.analysis.facts import solve_facts
        from optimizer.catalog.bundle import load_catalog
        from optimizer.cli.requests import SOLVE_SWEEP_OPTIONS, parse_sweeps, with_scenario_sweeps
        from optimizer.fleet_scenario import is_fleet_file
        from optimizer.problem import resolve
        from optimizer.report.solve_json import to_json
        from optimizer.scenario import load_scenario

        out_dir = out_folder(out)
        check_lang(lang)
        formats = parse_formats(fmt)
        options = parse_sweeps(whatif_budget, whatif_tpot, names=SOLVE_SWEEP_OPTIONS)
        catalog = load_catalog()
        if is_fleet_file(scenario):
            from optimizer.cli.fleet_commands import solve_fleet

            return solve_fleet(scenario, catalog, out_dir, lang, formats, as_json, compare=with_compare, sweeps=bool(options))
        scn = load_scenario(scenario, catalog)
        if sys.stderr.isatty():
            typer.echo(f"solving {scenario} ...", err=True)
        request = with_scenario_sweeps(options, scn.analysis)
        outcome = pipeline.run(
            resolve(scn, catalog), with_compare=with_compare or scn.analysis.compare, request=request or None, progress_for=progress_for,
        )
        facts = solve_facts(outcome.result)
        with staged(out_dir) as stage:
            report = _write_solve(scenario, stage, outcome, facts, lang, formats)
        typer.echo(dump(to_json(outcome.result, facts=facts, include_timing=True)) if as_json else _summary(outcome.result, facts, report))
        return 0 if outcome.result.plans else EXIT_INFEASIBLE

    run(body)


def _write_solve(scenario: Path, stage: Staging, outcome: Outcome, facts: SolveFacts, lang: str, formats: tuple[str, ...]) -> Path:
    """The solve report and the comparison / what-if reports it links; the path to show the user.
    `facts` are the result's: the comparison shares them, being over the same result."""
    from optimizer.report.i18n import tr
    from optimizer.report.solve_json import to_json
    from optimizer.report.solve_md import render
    from optimizer.report.whatif import sweep_pngs

    result = outcome.result
    stem = stem_of(scenario)
    links: list[tuple[str, str]] = []
    compare_tables: Tables = lambda: {}  # noqa: E731  (no comparison: no sheet)
    # every sweep run (by --whatif-* or the scenario's analysis section) is shown on page one, not only linked
    plots = sweep_pngs(stem, outcome.sweeps)
    if outcome.comparison is not None:
        compare_md, compare_tables = _write_compare(stem, stage, outcome.comparison, facts, lang, formats, own_tables=False, plots=plots)
        links.append((tr(lang, "link.compare"), compare_md.name))
    if outcome.sweeps:
        whatif_md = _write_whatif(stem, stage, outcome.sweeps, result, outcome.comparison, lang)
        links.append((tr(lang, "link.whatif"), whatif_md.name))
    md_path = stage.path(f"{stem}.md")
    json_path = stage.path(f"{stem}.json")
    doc = to_json(result, facts=facts, include_timing=False)
    phase_plot = _write_phase_plot(stem, stage, result, lang)
    md_text = render(result, tuple(links), facts=facts, lang=lang, comparison=outcome.comparison, plots=plots, phase_plot=phase_plot)
    if "md" in formats:
        md_path.write_text(md_text, encoding="utf-8")
    if "json" in formats:
        json_path.write_text(dump(doc) + "\n", encoding="utf-8")
    html_path = write_html(stage, stem, md_text, lang, formats)

    def tables() -> dict[str, DataFrame]:
        from optimizer.report.export import bids_frame, plans_frame, unpriced_frame

        unpriced = {"unpriced": unpriced_frame(doc)} if doc.get("unpriced_bids") else {}
        return {"bids": bids_frame(doc), "plans": plans_frame(doc), **unpriced, **compare_tables()}

    write_tables(tables, stage, stem, formats, lang, book=stem)
    if "md" in formats:
        return stage.final(md_path)
    if html_path is not None:
        return stage.final(html_path)
    return stage.final(json_path) if "json" in formats else stage.out


def _write_phase_plot(stem: str, stage: Staging, result: SolveResult, lang: str) -> str | None:
    """The plot of buying in phases, <stem>_phases.png, when the result has a schedule; its name for
    page one's link. An earlier run's plot goes when this one has none."""
    from optimizer.report.phases import has_phase_plot, plot_phases

    name = f"{stem}_phases.png"
    stage.owns(name)
    if not has_phase_plot(result.phases):
        return None
    plot_phases(result, stage.path(name), lang)
    return name


def _summary(result: SolveResult, facts: SolveFacts, md_path: Path) -> str:
    """The terminal's answer, wrapped to the terminal's width (COLUMNS; 100 when unknown): the
    recommendation, the model note, any diagnosis, and each bid at the confidence beside its central
    estimate."""
    import shutil
    import textwrap

    from optimizer.report.decision import model_note, recommendation

    width = min(max(shutil.get_terminal_size((100, 24)).columns, 60), 160)
    lines = [recommendation(result).replace("**", "")]
    note = model_note(result, facts=facts)
    if note:
        lines.append(f"  note: {note}")
    if result.diagnosis:
        lines += [f"  binding: {', '.join(result.diagnosis.binding)}"]
        lines += [f"  - {r}" for r in result.diagnosis.relaxations]
        lines += [f"  - {oid}: {r}" for oid, r in sorted(result.diagnosis.offer_reasons.items())]
    central = {o.offer_id: o.plan for o in result.central_per_offer}
    for o in result.per_offer:
        status = f"RMB {o.plan.cost_rmb:,}" if o.plan else f"cannot serve: {o.reason}"
        centre = central.get(o.offer_id)
        if result.central_plan is not None and centre is not None and (o.plan is None or centre.cost_rmb != o.plan.cost_rmb):
            status += f" (central estimate RMB {centre.cost_rmb:,})"
        lines.append(f"  bid {o.offer_id}: {status}")
    for b in result.unpriced_bids:
        if b.plan is None:
            lines.append(f"  unpriced bid {b.offer_id}: cannot serve: {b.reason}")
            continue
        beyond = f" (more than the {b.available_servers} offered)" if b.servers > b.available_servers else ""
        be = "" if b.break_even_rmb_per_server is None else (
            f"; matches the recommendation at up to RMB {b.break_even_rmb_per_server:,} a server" if b.break_even_rmb_per_server > 0
            else "; costs more at any price")
        need = "hardware already owned serves the load" if not b.servers else f"needs {b.servers} server{'s' if b.servers > 1 else ''}"
        lines.append(f"  unpriced bid {b.offer_id}: {need}{beyond}{be}")
    lines.append(f"  {len(result.designs)} designs, solved in {result.solve_seconds:.2f} s; report: {md_path}")
    wrapped = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip(" ")))
        wrapped += textwrap.wrap(line, width, subsequent_indent=indent + "  ", break_on_hyphens=False,
                                 break_long_words=False) or [line]
    return "\n".join(wrapped)


def _write_compare(
    stem: str, stage: Staging, comparison: Comparison, facts: SolveFacts, lang: str, formats: tuple[str, ...], *, own_tables: bool = True,
    plots: list[tuple[str, str]] | None = None,
) -> tuple[Path, Tables]:
    """The comparison in each format asked for; the path of its Markdown (or first file written)
    and its table. `own_tables`: write the table too (csv, and its own workbook <stem>_compare.xlsx);
    `procure solve` puts it in its workbook instead. `facts`: those of the comparison's result.
    `plots`: the PNGs of the sweeps `procure solve` ran beside it; without them, those of the
    scenario's analysis section by the names `procure solve` gives them (from the scenario file's
    stem, not its `name`)."""
    from optimizer.report.solve_md import default_plots
    from optimizer.report.whatif import compare_json, render_compare

    md = stage.path(f"{stem}_compare.md")
    written = []
    shown = default_plots(comparison.result, (), stem=stem) if plots is None else plots
    md_text = render_compare(comparison, lang, shown, facts=facts)
    if "md" in formats:
        md.write_text(md_text, encoding="utf-8")
        written.append(stage.final(md))
    if own_tables:  # a standalone comparison; inside a solve, the solve's page holds it by link
        page = write_html(stage, f"{stem}_compare", md_text, lang, formats)
        written += [stage.final(page)] if page is not None else []
    doc = compare_json(comparison, facts=facts)
    if "json" in formats:
        path = stage.path(f"{stem}_compare.json")
        path.write_text(dump(doc) + "\n", encoding="utf-8")
        written.append(stage.final(path))

    def tables() -> dict[str, DataFrame]:
        from optimizer.report.export import bids_frame

        return {"compare": bids_frame(doc)}

    if own_tables:
        written += write_tables(tables, stage, stem, formats, lang, book=f"{stem}_compare")
    return (written[0] if written else stage.final(md)), tables


def compare(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML with the bids to compare.")],
    out: ReportDirOption = "reports",
    as_json: JsonResultOption = False,
    lang: LangOption = "en",
    fmt: FormatOption = "md,json",
) -> None:
    """One row per bid with its own best plan, the winner, and each losing bid's break-even price.

    Writes reports/<scenario>_compare.md and .json.

    Example: procure compare scenarios/r1_bids_h200_910b_mi300x.yaml
    """

    def body() -> int:
        from optimizer import pipeline
        from optimizer.analysis.facts import solve_facts
        from optimizer.catalog.bundle import load_catalog
        from optimizer.problem import resolve
        from optimizer.report.whatif import compare_json, compare_table, why_winner
        from optimizer.scenario import load_scenario

        out_dir = out_folder(out)
        check_lang(lang)
        formats = parse_formats(fmt)
        catalog = load_catalog()
        comparison = pipeline.compare(resolve(load_scenario(scenario, catalog), catalog), progress_for("break-even prices"))
        facts = solve_facts(comparison.result)
        with staged(out_dir) as stage:
            md, _ = _write_compare(stem_of(scenario), stage, comparison, facts, lang, formats)
        if as_json:
            typer.echo(dump(compare_json(comparison, facts=facts)))
        else:
            terminal.echo("\n".join([*compare_table(comparison), "", why_winner(comparison), f"report: {md}"]))
        return 0 if comparison.winner else EXIT_INFEASIBLE

    run(body)


def _write_whatif(stem: str, stage: Staging, sweeps: list[Sweep], result: SolveResult, comparison: Comparison | None = None,
                  lang: str = "en") -> Path:
    """The what-if report and its PNGs; `comparison` (when made) puts each bid's break-even price on its price sweep."""
    from optimizer.report.whatif import render_sweeps

    md = stage.path(f"{stem}_whatif.md")
    break_even = {r.offer_id: (r.break_even_rmb_per_server, r.break_even_note) for r in comparison.rows} if comparison else None
    md.write_text(render_sweeps(stem, sweeps, stage.dir, result, break_even, lang), encoding="utf-8")
    stage.owns(f"{stem}_whatif_*.png")   # the plots of this what-if report, as a set
    return stage.final(md)


def whatif(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
    budget: Annotated[str | None, typer.Option(help="Budget sweep FROM:TO:POINTS in RMB: most load served at each budget.")] = None,
    tpot: Annotated[str | None, typer.Option(help="TPOT targets in ms, e.g. 30,50,80: cheapest plan at each.")] = None,
    ttft: Annotated[str | None, typer.Option(help="TTFT targets in ms, e.g. 500,1000,2000.")] = None,
    load: Annotated[str | None, typer.Option(help="Loads in the scenario's unit, e.g. 100,200,400: cost curve per vendor.")] = None,
    price: Annotated[list[str] | None, typer.Option(help="OFFER=FROM:TO:POINTS: the winner as that bid's server price moves.")] = None,
    growth: Annotated[str | None, typer.Option(metavar="FROM:TO:POINTS", help="Load growth in % per period (scenario with phases:): "
                                               "the phased schedule's discounted total and buying all at once.")] = None,
    price_decline: Annotated[str | None, typer.Option("--price-decline", metavar="FROM:TO:POINTS",
                                                      help="Price decline in % per period (scenario with phases:).")] = None,
    discount: Annotated[str | None, typer.Option(metavar="FROM:TO:POINTS",
                                                 help="Discount rate in % per period (scenario with phases:).")] = None,
    delivered_share: Annotated[list[str] | None, typer.Option(
        "--delivered-share", metavar="OFFER_OR_VENDOR=FROM:TO:POINTS",
        help="Share (0 to 1) of that offer's or vendor's servers that arrive: the plan robust to it, cost and winner.")] = None,
    out: Annotated[str, typer.Option(help="Directory for the Markdown and PNG files (created if missing).")] = "reports",
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Print JSON: one sweep object, or a list for several.")] = False,
    lang: LangOption = "en",
) -> None:
    """Budget, SLA, load, price, growth, price-decline, discount and delivered-share sweeps with tables,
    Markdown and PNG plots (reports/<scenario>_whatif.md).

    Example: procure whatif scenarios/r1_bids_h200_910b_mi300x.yaml --budget 1000000:20000000:20 --tpot 30,50,80

    Example: procure whatif scenarios/r1_phased_2027.yaml --growth 0:60:4 --discount 0:10:6 --delivered-share h200-8x=0:1:5

    A scenario with services: (a fleet) has the growth, price-decline and discount sweeps (with
    phases:) and the delivered-share sweep, each point the whole fleet re-solved.

    Example: procure whatif scenarios/enterprise_fleet_phased.yaml --growth 20:60:3
    """

    def body() -> int:
        from optimizer import pipeline
        from optimizer.catalog.bundle import load_catalog
        from optimizer.cli.requests import (
            parse_phase_sweeps,
            parse_sweeps,
            refuse_single_service_axes,
            with_price_sweeps,
            with_scenario_axes,
        )
        from optimizer.fleet_scenario import is_fleet_file
        from optimizer.problem import resolve
        from optimizer.report.sweep_plots import sweep_title
        from optimizer.report.whatif import sweep_json, sweep_rows
        from optimizer.scenario import load_scenario

        out_dir = out_folder(out)
        check_lang(lang)
        fleet = is_fleet_file(scenario)
        if fleet:  # before the options are parsed: an axis a fleet lacks is refused whatever its value
            refuse_single_service_axes(str(scenario), {"--budget": budget, "--tpot": tpot, "--ttft": ttft, "--load": load, "--price": price})
        options = parse_phase_sweeps(parse_sweeps(budget, tpot, ttft, load), growth, price_decline, discount)
        catalog = load_catalog()
        if fleet:
            from optimizer.cli.fleet_commands import whatif_fleet

            return whatif_fleet(scenario, catalog, out_dir, lang, options, delivered_share, as_json)
        scn = load_scenario(scenario, catalog)
        request = with_price_sweeps(with_scenario_axes(options, scn, delivered_share), scn, price)
        problem = resolve(scn, catalog)
        result = pipeline.solve(problem)
        sweeps = pipeline.sweeps(problem, request, result, progress_for)
        # a price plot shows where the bid would win: the comparison's break-even prices, only when asked for
        comparison = pipeline.compare(problem, progress_for("break-even prices"), result) if request.prices else None
        with staged(out_dir) as stage:
            md = _write_whatif(stem_of(scenario), stage, sweeps, result, comparison, lang)
        if as_json:
            docs = [sweep_json(s, result) for s in sweeps]
            typer.echo(dump(docs[0] if len(docs) == 1 else docs))
        else:
            lines = [line for s in sweeps for line in (sweep_title(s, lang), "\n".join(sweep_rows(s, result, lang)), "")]
            terminal.echo("\n".join([*lines, f"report: {md}"]))
        return 0

    run(body)
