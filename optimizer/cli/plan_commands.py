"""`procure solve`, `compare` and `whatif`: options checked and parsed first (nothing is written
on bad input), one call into the pipeline, then the reports written and a summary printed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from optimizer.cli.app import (
    EXIT_INFEASIBLE,
    FormatOption,
    JsonResultOption,
    LangOption,
    ReportDirOption,
    check_lang,
    check_out,
    dump,
    make_dir,
    parse_formats,
    progress_for,
    run,
)

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
    out: ReportDirOption = Path("reports"),
    as_json: JsonResultOption = False,
    with_compare: Annotated[bool, typer.Option("--compare", help="Also write the bid comparison and link it.")] = False,
    whatif_budget: Annotated[
        str | None, typer.Option("--whatif-budget", help="Also run a budget sweep FROM:TO:STEPS (RMB) and link it.")
    ] = None,
    whatif_tpot: Annotated[str | None, typer.Option("--whatif-tpot", help="Also run a TPOT sweep (ms list) and link it.")] = None,
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
        from optimizer.problem import resolve
        from optimizer.report.solve_json import to_json
        from optimizer.scenario import load_scenario

        check_out(out)
        check_lang(lang)
        formats = parse_formats(fmt)
        options = parse_sweeps(whatif_budget, whatif_tpot, names=SOLVE_SWEEP_OPTIONS)
        catalog = load_catalog()
        scn = load_scenario(scenario, catalog)
        if sys.stderr.isatty():
            typer.echo(f"solving {scenario} ...", err=True)
        request = with_scenario_sweeps(options, scn.analysis)
        outcome = pipeline.run(
            resolve(scn, catalog), with_compare=with_compare or scn.analysis.compare, request=request or None, progress_for=progress_for,
        )
        facts = solve_facts(outcome.result)
        report = _write_solve(scenario, out, outcome, facts, lang, formats)
        typer.echo(dump(to_json(outcome.result, facts=facts, include_timing=True)) if as_json else _summary(outcome.result, facts, report))
        return 0 if outcome.result.plans else EXIT_INFEASIBLE

    run(body)


def _write_solve(scenario: Path, out: Path, outcome: Outcome, facts: SolveFacts, lang: str, formats: tuple[str, ...]) -> Path:
    """The solve report and the comparison / what-if reports it links; the path to show the user.
    `facts` are the result's: the comparison shares them, being over the same result."""
    from optimizer.report.solve_json import to_json
    from optimizer.report.solve_md import render

    result = outcome.result
    make_dir(out)
    links: list[tuple[str, str]] = []
    if outcome.comparison is not None:
        compare_md = _write_compare(scenario, out, outcome.comparison, facts, lang, formats)
        links.append(("Bid comparison with break-even prices", compare_md.name))
    if outcome.sweeps:
        whatif_md = _write_whatif(scenario, out, outcome.sweeps, result)
        links.append(("What-if sweeps", whatif_md.name))
    md_path = out / f"{scenario.stem}.md"
    json_path = out / f"{scenario.stem}.json"
    doc = to_json(result, facts=facts, include_timing=False)
    if "md" in formats:
        md_path.write_text(render(result, tuple(links), facts=facts, lang=lang, comparison=outcome.comparison), encoding="utf-8")
    if "json" in formats:
        json_path.write_text(dump(doc) + "\n", encoding="utf-8")

    def tables() -> dict[str, DataFrame]:
        from optimizer.report.export import bids_frame, plans_frame

        return {"bids": bids_frame(doc), "plans": plans_frame(doc)}

    _write_tables(tables, out, scenario.stem, formats)
    if "md" in formats:
        return md_path
    return json_path if "json" in formats else out


def _write_tables(tables: Callable[[], dict[str, DataFrame]], out: Path, stem: str, formats: tuple[str, ...]) -> list[Path]:
    """The csv / xlsx tables asked for (pandas is imported only then); each path is announced."""
    written = []
    for table_fmt in ("csv", "xlsx"):
        if table_fmt in formats:
            from optimizer.report.export import write_tables

            for path in write_tables(tables(), out, stem, table_fmt):
                typer.echo(f"wrote {path}", err=True)
                written.append(path)
    return written


def _summary(result: SolveResult, facts: SolveFacts, md_path: Path) -> str:
    from optimizer.report.decision import model_note, recommendation

    lines = [recommendation(result).replace("**", "")]
    note = model_note(result, facts=facts)
    if note:
        lines.append(f"  note: {note}")
    if result.diagnosis:
        lines += [f"  binding: {', '.join(result.diagnosis.binding)}"]
        lines += [f"  - {r}" for r in result.diagnosis.relaxations]
        lines += [f"  - {oid}: {r}" for oid, r in sorted(result.diagnosis.offer_reasons.items())]
    for o in result.per_offer:
        status = f"RMB {o.plan.cost_rmb:,}" if o.plan else f"cannot serve: {o.reason}"
        lines.append(f"  bid {o.offer_id}: {status}")
    lines.append(f"  {len(result.designs)} designs, solved in {result.solve_seconds:.2f} s; report: {md_path}")
    return "\n".join(lines)


def _write_compare(scenario: Path, out: Path, comparison: Comparison, facts: SolveFacts, lang: str, formats: tuple[str, ...]) -> Path:
    """The comparison in each format asked for; the path of its Markdown (or first file written).
    `facts`: those of the comparison's result."""
    from optimizer.report.whatif import compare_json, render_compare

    make_dir(out)
    md = out / f"{scenario.stem}_compare.md"
    written = []
    if "md" in formats:
        md.write_text(render_compare(comparison, lang, facts=facts), encoding="utf-8")
        written.append(md)
    doc = compare_json(comparison, facts=facts)
    if "json" in formats:
        path = out / f"{scenario.stem}_compare.json"
        path.write_text(dump(doc) + "\n", encoding="utf-8")
        written.append(path)

    def tables() -> dict[str, DataFrame]:
        from optimizer.report.export import bids_frame

        return {"compare": bids_frame(doc)}

    written += _write_tables(tables, out, scenario.stem, formats)
    return written[0] if written else md


def compare(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML with the bids to compare.")],
    out: ReportDirOption = Path("reports"),
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

        check_out(out)
        check_lang(lang)
        formats = parse_formats(fmt)
        catalog = load_catalog()
        comparison = pipeline.compare(resolve(load_scenario(scenario, catalog), catalog), progress_for("break-even prices"))
        facts = solve_facts(comparison.result)
        md = _write_compare(scenario, out, comparison, facts, lang, formats)
        if as_json:
            typer.echo(dump(compare_json(comparison, facts=facts)))
        else:
            typer.echo("\n".join([*compare_table(comparison), "", why_winner(comparison), f"report: {md}"]))
        return 0 if comparison.winner else EXIT_INFEASIBLE

    run(body)


def _write_whatif(scenario: Path, out: Path, sweeps: list[Sweep], result: SolveResult) -> Path:
    from optimizer.report.whatif import render_sweeps

    make_dir(out)
    md = out / f"{scenario.stem}_whatif.md"
    md.write_text(render_sweeps(scenario.stem, sweeps, out, result), encoding="utf-8")
    return md


def whatif(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
    budget: Annotated[str | None, typer.Option(help="Budget sweep FROM:TO:STEPS in RMB: most load served at each budget.")] = None,
    tpot: Annotated[str | None, typer.Option(help="TPOT targets in ms, e.g. 30,50,80: cheapest plan at each.")] = None,
    ttft: Annotated[str | None, typer.Option(help="TTFT targets in ms, e.g. 500,1000,2000.")] = None,
    load: Annotated[str | None, typer.Option(help="Loads in the scenario's unit, e.g. 100,200,400: cost curve per vendor.")] = None,
    price: Annotated[list[str] | None, typer.Option(help="OFFER=FROM:TO:STEPS: the winner as that bid's server price moves.")] = None,
    out: Annotated[Path, typer.Option(help="Directory for the Markdown and PNG files.")] = Path("reports"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: one sweep object, or a list for several.")] = False,
) -> None:
    """Budget, SLA, load and price sweeps with tables, Markdown and PNG plots (reports/<scenario>_whatif.md).

    Example: procure whatif scenarios/r1_bids_h200_910b_mi300x.yaml --budget 1000000:20000000:20 --tpot 30,50,80
    """

    def body() -> int:
        from optimizer import pipeline
        from optimizer.catalog.bundle import load_catalog
        from optimizer.cli.requests import parse_sweeps, with_price_sweeps
        from optimizer.problem import resolve
        from optimizer.report.whatif import sweep_json, sweep_table
        from optimizer.scenario import load_scenario

        check_out(out)
        options = parse_sweeps(budget, tpot, ttft, load)
        catalog = load_catalog()
        scn = load_scenario(scenario, catalog)
        request = with_price_sweeps(options, scn, price)
        problem = resolve(scn, catalog)
        result = pipeline.solve(problem)
        sweeps = pipeline.sweeps(problem, request, result, progress_for)
        md = _write_whatif(scenario, out, sweeps, result)
        if as_json:
            docs = [sweep_json(s) for s in sweeps]
            typer.echo(dump(docs[0] if len(docs) == 1 else docs))
        else:
            lines = [line for s in sweeps for line in (f"{s.kind} sweep", "\n".join(sweep_table(s)), "")]
            typer.echo("\n".join([*lines, f"report: {md}"]))
        return 0

    run(body)
