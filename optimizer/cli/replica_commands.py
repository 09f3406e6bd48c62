"""`procure predict` (one replica) and `procure validate` (published measurements)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from optimizer.cli import terminal
from optimizer.cli.app import EXIT_INFEASIBLE, JsonOption, dump, progress_for, run

if TYPE_CHECKING:
    from optimizer.calibration.predict_rows import Prediction
    from optimizer.calibration.rows import CalibrationRow
    from optimizer.catalog.bundle import Catalog


def register(app: typer.Typer) -> None:
    app.command()(predict)
    app.command()(validate)


def predict(
    model: Annotated[str, typer.Option(help="Model id (e.g. deepseek-r1) or path to a model spec YAML.")],
    card: Annotated[str, typer.Option(help="Card id (e.g. h200, ascend-910b2).")],
    precision: Annotated[str, typer.Option(help="Weight precision: bf16, fp16, fp8, int8, int4, fp4.")] = "bf16",
    kv_precision: Annotated[str, typer.Option(help="KV cache precision: bf16, fp16, fp8, int8.")] = "bf16",
    tp: Annotated[int, typer.Option(help="Tensor-parallel degree.")] = 1,
    pp: Annotated[int, typer.Option(help="Pipeline-parallel stages.")] = 1,
    ep: Annotated[int, typer.Option(help="Expert-parallel degree (MoE); > tp means data-parallel attention.")] = 1,
    batch: Annotated[str, typer.Option(help="Concurrent sequences of the replica, or 'max' (largest that fits).")] = "1",
    input_len: Annotated[int, typer.Option(help="Prompt tokens per request.")] = 1024,
    output_len: Annotated[int, typer.Option(help="Output tokens per request.")] = 256,
    max_seqs: Annotated[int | None, typer.Option(help="Engine cap on running sequences for --batch max.")] = None,
    engine: Annotated[str | None, typer.Option(help="Serving engine profile (procure engines in catalog/engines.yaml); "
                                                "default: the card family's mature 2026 engine.")] = None,
    spec_method: Annotated[str, typer.Option(help="Speculative decoding: none, mtp, eagle, eagle3, ngram.")] = "none",
    spec_accept_len: Annotated[float, typer.Option(help="Mean tokens emitted per decode step under speculation.")] = 1.0,
    as_json: JsonOption = False,
) -> None:
    """Predict memory, TTFT, TPOT and throughput of one replica, with 10-90 % bands.

    Example: procure predict --model llama-3.1-70b --card h200 --precision fp8 --tp 4 --batch 32
    """

    def body() -> int:
        from optimizer.calibration.bands import load_bands
        from optimizer.catalog.bundle import load_catalog
        from optimizer.cli.requests import evaluate_request, predict_request
        from optimizer.report.predict import predict_json, predict_table

        catalog = load_catalog()
        request = predict_request(
            catalog, model=model, card=card, precision=precision, kv_precision=kv_precision, tp=tp, pp=pp, ep=ep, batch=batch,
            input_len=input_len, output_len=output_len, max_seqs=max_seqs, engine=engine,
            spec_method=spec_method, spec_accept_len=spec_accept_len,
        )
        result = evaluate_request(catalog, request)
        bands = load_bands(catalog)
        typer.echo(dump(predict_json(result, bands)) if as_json else predict_table(result, request.card, request.model, bands))
        return 0 if result.fits else EXIT_INFEASIBLE

    run(body)


def validate(
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Predict every row of this CSV (calibration format); never fits on it.")] = None,
    cv: Annotated[bool, typer.Option(
        "--cv", metavar="", help="Leave-one-source-out: refit without each source, per family x engine x metric.")] = False,
    as_json: JsonOption = False,
    card: Annotated[str | None, typer.Option("--card", metavar="ID", help="Only rows measured on this card (with --cv: the "
                                             "cells of its family; the fit still uses every source).")] = None,
    family: Annotated[str | None, typer.Option("--family", metavar="FAMILY", help="Only rows of this card family, e.g. "
                                               "huawei-ascend (with --cv: its cells).")] = None,
) -> None:
    """Predict published measurements (the shipped calibration files, or --csv FILE) and print the errors.

    Example: procure validate --csv my_runs.csv --json
    """

    def body() -> int:
        from optimizer.calibration.csv_checks import checked_rows
        from optimizer.calibration.predict_rows import median_abs_error_pct, predict_all
        from optimizer.calibration.rows import DATASETS, load_rows
        from optimizer.catalog.bundle import load_catalog
        from optimizer.report.predict import validate_table

        catalog = load_catalog()
        families = _families_asked(catalog, card, family)
        rows, rejected = checked_rows(csv_file) if csv_file is not None else (load_rows(), [])
        for r in rejected:
            typer.echo(f"warning: {r.render(str(csv_file))}", err=True)
        if cv:
            typer.echo(_cv_text(rows, catalog, as_json, families))
            return 0
        rows = [r for r in rows if (card is None or r.card_id == card) and
                (families is None or (r.card_id in catalog.cards and catalog.cards[r.card_id].family in families))]
        preds = predict_all(rows)
        summaries = {"all": median_abs_error_pct(preds)}
        if csv_file is None:  # the shipped files: one summary per dataset as well
            summaries.update({name: median_abs_error_pct(preds, name) for name in DATASETS if any(p.row.dataset == name for p in preds)})
        if as_json:
            typer.echo(_validate_json(preds, summaries, load_catalog(), [r.to_json() for r in rejected]))
        else:
            text = validate_table(preds, summaries, markdown=sys.stdout.isatty())
            if rejected:
                text += f"\n{len(rejected)} rows not read: " + "; ".join(f"data row {r.row} ({r.column}: {r.problem})" for r in rejected)
            terminal.echo(text)
        return 0

    run(body)


def _validate_json(preds: list[Prediction], summaries: dict[str, dict[str, float]], catalog: Catalog,
                   rejected: list[dict[str, object]]) -> str:
    """The rows with their 10-90 % bands (only JSON shows them), and the rows of a --csv file that
    were not read (`rejected`: row, line, column, value, problem, fix)."""
    from optimizer.calibration.bands import load_bands
    from optimizer.calibration.predict_rows import prediction_band
    from optimizer.report.predict import validate_json

    bands = load_bands(catalog)
    doc = validate_json(preds, summaries, [prediction_band(bands, catalog, p) for p in preds])
    doc["rejected"] = rejected
    doc["summary"]["rejected"] = len(rejected)
    return dump(doc)


def _families_asked(catalog: Catalog, card: str | None, family: str | None) -> set[str] | None:
    """The card families --card / --family select (None: all), or exit 2 naming an unknown one."""
    from optimizer.errors import InputError, one_of

    if card is not None and card not in catalog.cards:
        raise InputError("--card", card, "is not a card in the catalog", one_of(card, catalog.cards))
    known = sorted({c.family for c in catalog.cards.values()})
    if family is not None and family not in known:
        raise InputError("--family", family, "is not a card family", one_of(family, known))
    picked = {catalog.cards[card].family} if card is not None else None
    if family is not None:
        picked = {family} if picked is None else picked & {family}
    return picked


def _cv_text(rows: list[CalibrationRow], catalog: Catalog, as_json: bool, families: set[str] | None = None) -> str:
    import dataclasses

    from optimizer.calibration.cv_report import cv_report
    from optimizer.report.predict import cv_table

    report = cv_report(rows, catalog, progress_for("leave-one-source-out"))
    if families is not None:
        report = dataclasses.replace(report, cells=[c for c in report.cells if c.family in families])
    if as_json:
        return dump(report.to_json())
    return cv_table([*report.cells]) + "\n\n" + report.overall_line()  # a new list: cv_table takes list[tuple], not list[CvCell]
