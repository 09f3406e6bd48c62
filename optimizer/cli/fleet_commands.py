"""`procure solve` and `procure whatif` on a scenario with services: (several services on one
purchase). plan_commands hands a fleet file here; as there, options are checked before any work,
one call goes into the pipeline, then the files are written and a summary printed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from optimizer.cli.app import EXIT_INFEASIBLE, dump, progress_for
from optimizer.cli.output import staged
from optimizer.cli.report_files import stem_of, write_html, write_tables
from optimizer.errors import InputError

if TYPE_CHECKING:
    from pandas import DataFrame

    from optimizer.catalog.bundle import Catalog
    from optimizer.pipeline import SweepRequest


def solve_fleet(scenario: Path, catalog: Catalog, out_dir: Path, lang: str, formats: tuple[str, ...], as_json: bool, *,
                compare: bool, sweeps: bool) -> int:
    """`procure solve` on a fleet: one purchase for every service; md, json, html, and csv / xlsx tables."""
    from optimizer import pipeline
    from optimizer.analysis.facts import fleet_provenance
    from optimizer.fleet_scenario import load_fleet
    from optimizer.problem import resolve
    from optimizer.report import fleet as fleet_report

    if compare:
        raise InputError("--compare", "(with services:)", "the bid comparison is not available for several services yet",
                         "solve one service's own scenario (without services:) for its comparison")
    if sweeps:
        raise InputError("--whatif-budget/--whatif-tpot", "(with services:)", "budget and TPOT sweeps are of one service's plan",
                         f"run procure whatif {scenario} with --growth, --price-decline, --discount (with phases:) or "
                         "--delivered-share for the fleet's sweeps, or solve one service's own scenario (without services:) for its own")
    fleet = load_fleet(scenario, catalog)
    if fleet.shared.analysis.compare or fleet.shared.analysis.budget_sweep_rmb or fleet.shared.analysis.tpot_sweep_ms:
        raise InputError(str(scenario), "analysis", "the comparison and sweeps are not available for several services yet",
                         "remove the analysis section, or solve each service's own scenario")
    if sys.stderr.isatty():
        typer.echo(f"solving {scenario} ({len(fleet.services)} services) ...", err=True)
    problems = tuple(resolve(s, catalog) for s in fleet.services)
    result = pipeline.solve_fleet(fleet.name, fleet.description, problems, tuple(s.name for s in fleet.services))
    provenance = fleet_provenance(result.standalone)
    doc = fleet_report.to_json(result, provenance)
    stem = stem_of(scenario)
    with staged(out_dir) as stage:
        md_path = stage.path(f"{stem}.md")
        plot: str | None = f"{stem}_phases.png"
        stage.owns(f"{stem}_phases.png")
        pages = {"md", "html"} & set(formats)
        if pages and result.phases is not None and result.phases.schedule is not None:
            from optimizer.report.fleet_plot import plot_fleet_phases

            plot_fleet_phases(result, stage.path(f"{stem}_phases.png"), lang)
        else:
            plot = None
        md_text = fleet_report.render(result, provenance, lang, phase_plot=plot)
        if "md" in formats:
            md_path.write_text(md_text, encoding="utf-8")
        json_path = stage.path(f"{stem}.json")
        if "json" in formats:
            json_path.write_text(dump(doc) + "\n", encoding="utf-8")
        html_path = write_html(stage, stem, md_text, lang, formats)

        def tables() -> dict[str, DataFrame]:
            from optimizer.report.fleet_export import fleet_tables

            return fleet_tables(doc, result.terms)

        if {"csv", "xlsx"} & set(formats):
            from optimizer.report.fleet_export import load_columns

            write_tables(tables, stage, stem, formats, lang, book=stem, extra=load_columns(doc, lang))
        first = md_path if "md" in formats else html_path if html_path is not None else json_path if "json" in formats else None
        shown = stage.final(first) if first is not None else stage.out
    if as_json:
        typer.echo(dump(doc))
    else:
        typer.echo(fleet_report.decision(result).replace("**", "") + f"\n  report: {shown}")
    return 0 if result.plan is not None else EXIT_INFEASIBLE


def whatif_fleet(scenario: Path, catalog: Catalog, out_dir: Path, lang: str, options: SweepRequest, delivered: list[str] | None,
                 as_json: bool) -> int:
    """`procure whatif` on a fleet: the sweeps (already parsed; the single-service axes refused by
    the caller) checked against the fleet, each point the fleet re-solved; the what-if page, its
    plots, and the tables on the terminal (or the JSON)."""
    from optimizer import pipeline
    from optimizer.cli.requests import fleet_sweep_request
    from optimizer.fleet_scenario import load_fleet
    from optimizer.problem import resolve
    from optimizer.report.fleet_whatif import fleet_sweep_json, fleet_sweep_table, fleet_sweep_title, render_fleet_sweeps

    fleet = load_fleet(scenario, catalog)
    request = fleet_sweep_request(options, fleet.services, delivered)
    if sys.stderr.isatty():
        typer.echo(f"solving {scenario} ({len(fleet.services)} services) ...", err=True)
    problems = tuple(resolve(s, catalog) for s in fleet.services)
    found = pipeline.fleet_sweeps(fleet.name, problems, tuple(s.name for s in fleet.services), request, progress_for)
    stem = stem_of(scenario)
    with staged(out_dir) as stage:
        md = stage.path(f"{stem}_whatif.md")
        md.write_text(render_fleet_sweeps(stem, found, stage.dir, lang), encoding="utf-8")
        stage.owns(f"{stem}_whatif_*.png")   # the plots of this what-if page, as a set
        page = stage.final(md)
    if as_json:
        docs = [fleet_sweep_json(s, found.scenarios) for s in found.sweeps]
        typer.echo(dump(docs[0] if len(docs) == 1 else docs))
    else:
        from optimizer.cli import terminal

        lines = [line for s in found.sweeps
                 for line in (fleet_sweep_title(s, lang), "\n".join(fleet_sweep_table(s, found.scenarios, lang)), "")]
        terminal.echo("\n".join([*lines, f"report: {page}"]))
    return 0
