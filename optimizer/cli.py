"""`procure` command line: a thin layer over the engine's plain Python functions.

Exit codes: 0 a result (a checked plan, a prediction of a replica that fits); 3 a diagnosis (no plan
meets the scenario, the replica does not fit in memory); 2 bad input, printed as one paragraph
`file:line: field: problem — fix` listing every problem of the file, nothing written; 1 an internal
error (a bug), with the traceback under `procure --debug ...`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from optimizer.errors import InputError

app = typer.Typer(
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    no_args_is_help=True,
    help="procure: GPU procurement recommender for LLM inference.",
    epilog="Exit codes: 0 result; 3 diagnosis (infeasible, does not fit); 2 bad input (nothing written); "
    "1 internal error (rerun with --debug for the traceback).",
)
model_app = typer.Typer(no_args_is_help=True, help="Model specs: import a Hugging Face config.json.")
app.add_typer(model_app, name="model")
cards_app = typer.Typer(no_args_is_help=True, help="Cards in the catalog: list (with filters) and show.")
models_app = typer.Typer(no_args_is_help=True, help="Model specs in the catalog: list and show.")
engines_app = typer.Typer(no_args_is_help=True, help="Serving-engine profiles in the catalog: list and show.")
app.add_typer(cards_app, name="cards")
app.add_typer(models_app, name="models")
app.add_typer(engines_app, name="engines")

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
_debug = {"on": False}


def _version(value: bool) -> None:
    if value:
        from optimizer import __version__

        typer.echo(f"procure {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    _debug["on"] = debug


def _run(action: Callable[[], int | None]) -> None:
    """Run a command body; turn expected errors into a one-paragraph message and exit 2."""
    try:
        code = action()
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if _debug["on"]:
            raise
        typer.echo(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code or 0)


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)


def _check_out(out: Path, option: str = "--out") -> None:
    """Refuse an --out that cannot become a folder, before any work (nothing is created yet)."""
    for p in (out, *out.parents):
        if p.exists():
            if not p.is_dir():
                what = "is a file" if p == out else f"is under {p}, which is a file"
                raise InputError(option, str(out), f"{what}, not a folder", "give a folder path (it is created if missing)")
            return


def _make_dir(out: Path, option: str = "--out") -> None:
    """Create the --out folder (and its parents) when the first report is written."""
    _check_out(out, option)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(option, str(out), f"cannot be created ({exc.strerror or exc})", "give a folder you can write to") from None


FormatOption = Annotated[
    str, typer.Option("--format", help="Files to write, comma-separated: md, json, csv, xlsx (csv/xlsx: <scenario>_bids and "
                      "_plans tables; with compare, _compare).")
]


def _formats(text: str) -> tuple[str, ...]:
    """Parse --format before any work: a comma list of md, json, csv, xlsx."""
    from optimizer.errors import one_of
    from optimizer.report.export import FORMATS

    wanted = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise InputError("--format", text, f"{bad[0]!r} is not an output format" if bad else "names no format",
                         one_of(bad[0] if bad else "", FORMATS) + " (comma-separated, e.g. --format md,csv)")
    if "xlsx" in wanted:
        try:
            import openpyxl  # noqa: F401  (pandas writes .xlsx through it)
        except ImportError:
            raise InputError("--format", text, "xlsx needs the openpyxl package", "pip install openpyxl, or use --format csv") from None
    return wanted


def _sweep_options(budget: str | None, tpot: str | None, ttft: str | None = None, load: str | None = None,
                   names: tuple[str, str, str, str] = ("--budget", "--tpot", "--ttft", "--load")) -> None:
    """Parse the sweep options once, so a bad one fails before any solve."""
    from optimizer.scenario import parse_list, parse_range

    if budget:
        parse_range(budget, names[0], hi=1e13)
    if tpot:
        parse_list(tpot, names[1], hi=1e7)
    if ttft:
        parse_list(ttft, names[2], hi=1e7)
    if load:
        parse_list(load, names[3], hi=1e9)


@app.command()
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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Predict memory, TTFT, TPOT and throughput of one replica, with 10-90 % bands.

    Example: procure predict --model llama-3.1-70b --card h200 --precision fp8 --tp 4 --batch 32
    """

    def body() -> int:
        from optimizer.catalog.records import get_card, get_model
        from optimizer.perf.evaluate import evaluate, evaluate_max_batch
        from optimizer.perf.replica import Parallelism
        from optimizer.report.predict import predict_json, predict_table

        m, c = get_model(model), get_card(card)
        par = Parallelism(tp=tp, pp=pp, ep=ep)
        if max_seqs is not None and max_seqs < 1:
            raise InputError("--max-seqs", str(max_seqs), "must be at least 1", "give the engine's cap on running sequences")
        if input_len + output_len > m.max_context:
            raise InputError(
                "--input-len/--output-len", f"{input_len}+{output_len}", f"exceeds the {m.max_context}-token context of {m.id}",
                "shorten the request",
            )
        if input_len < 0 or output_len < 1:
            raise InputError(
                "--input-len/--output-len", f"{input_len}/{output_len}", "must be >= 0 and >= 1", "give token counts"
            )
        from optimizer.catalog.efficiency import Speculative, get_engine

        if engine is not None:
            get_engine(engine)
        try:
            spec = Speculative(method=spec_method, accept_len=spec_accept_len)
        except ValueError:
            raise InputError(
                "--spec-method/--spec-accept-len", f"{spec_method}/{spec_accept_len}", "is not a speculative decoding setting",
                "use --spec-method none|mtp|eagle|eagle3|ngram and --spec-accept-len between 1 and 16",
            ) from None
        if batch == "max":
            result = evaluate_max_batch(
                m, c, precision, par, input_len, output_len, kv_precision, max_seqs, engine=engine, spec=spec
            )
        else:
            try:
                b = int(batch)
            except ValueError:
                raise InputError("--batch", batch, "is not an integer or 'max'", "use e.g. --batch 32 or --batch max") from None
            result = evaluate(m, c, precision, par, b, input_len, output_len, kv_precision, engine=engine, spec=spec)
        typer.echo(_dump(predict_json(result)) if as_json else predict_table(result, c, m))
        return 0 if result.fits else EXIT_INFEASIBLE

    _run(body)


@app.command()
def validate(
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Predict every row of this CSV (calibration format); never fits on it.")] = None,
    cv: Annotated[bool, typer.Option("--cv", help="Leave-one-source-out: refit without each source, per family x engine x metric.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Predict published measurements (the shipped calibration files, or --csv FILE) and print the errors.

    Example: procure validate --csv my_runs.csv --json
    """

    def body() -> int:
        from optimizer.calibration.rows import DATASETS, load_rows, median_abs_error_pct, predict_all
        from optimizer.report.predict import validate_json, validate_table

        rows = load_rows(csv_file) if csv_file is not None else load_rows()
        if cv:
            typer.echo(_cv_report(rows, as_json))
            return 0
        preds = predict_all(rows)
        summaries = {"all": median_abs_error_pct(preds)}
        if csv_file is None:
            summaries.update({name: median_abs_error_pct(preds, name) for name in DATASETS})
        typer.echo(_dump(validate_json(preds, summaries)) if as_json else validate_table(preds, summaries))
        return 0

    _run(body)


def _cv_report(rows: list[Any], as_json: bool) -> str:
    """In-sample and leave-one-source-out errors per card family x engine x metric."""
    import statistics

    from optimizer.calibration import fit as fit_mod
    from optimizer.calibration.rows import metric_group, predict_row
    from optimizer.catalog.efficiency import load_efficiency
    from optimizer.catalog.records import load_cards
    from optimizer.report.predict import cv_table

    base = load_efficiency()
    used = fit_mod.fit_rows(rows)
    inside = [predict_row(r, base) for r in used]
    progress = _progress("leave-one-source-out")
    cv = fit_mod.leave_one_source_out(
        used, base, base, progress=(lambda n, total, src: progress(n, total)) if progress else None,
    )
    cards = load_cards()
    cells: dict[tuple[str, str, str], tuple[list[float], list[float]]] = {}
    for p_in, p_cv in zip(inside, cv):
        r = p_in.row
        key = (cards[r.card_id].family, r.engine or "", metric_group(r.metric))
        a, b = cells.setdefault(key, ([], []))
        if p_in.error_pct is not None:
            a.append(abs(p_in.error_pct))
        if p_cv.error_pct is not None:
            b.append(abs(p_cv.error_pct))
    table = [
        (fam, eng, metric, len(a), statistics.median(a) if a else None, statistics.median(b) if b else None)
        for (fam, eng, metric), (a, b) in sorted(cells.items())
    ]
    overall = {"in_sample": fit_mod.median_ape_by_metric(inside), "cv": fit_mod.median_ape_by_metric(cv),
               "cv_concordance": round(fit_mod.concordance(cv), 3)}
    if as_json:
        keys = ("family", "engine", "metric", "rows", "in_sample_median_ape", "cv_median_ape")
        return _dump({"cells": [dict(zip(keys, c)) for c in table], "overall": overall})
    return cv_table(table) + (
        f"\n\nall rows: in-sample {overall['in_sample']}; leave-one-source-out {overall['cv']};"
        f" concordance {overall['cv_concordance']}"
    )


@app.command()
def solve(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (see scenarios/).")],
    out: Annotated[Path, typer.Option(help="Directory for the report files.")] = Path("reports"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON result on stdout.")] = False,
    with_compare: Annotated[bool, typer.Option("--compare", help="Also write the bid comparison and link it.")] = False,
    whatif_budget: Annotated[
        str | None, typer.Option("--whatif-budget", help="Also run a budget sweep FROM:TO:STEPS (RMB) and link it.")
    ] = None,
    whatif_tpot: Annotated[str | None, typer.Option("--whatif-tpot", help="Also run a TPOT sweep (ms list) and link it.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: en, or zh (Chinese, amounts in 万元).")] = "en",
    fmt: FormatOption = "md,json",
) -> None:
    """Find the cheapest plan that meets the scenario's SLAs; write reports/<scenario>.md and .json.

    Exit codes: 0 a plan, 3 infeasible (with the diagnosis), 2 bad input.

    Example: procure solve scenarios/r1_chatbot.yaml --compare --whatif-budget 1000000:20000000:20
    """

    def body() -> int:
        from optimizer import pipeline
        from optimizer.report.render import render, to_json
        from optimizer.scenario import load_scenario

        _check_out(out)
        _check_lang(lang)
        formats = _formats(fmt)
        _sweep_options(whatif_budget, whatif_tpot, names=("--whatif-budget", "--whatif-tpot", "", ""))
        scn = load_scenario(scenario)
        if sys.stderr.isatty():
            typer.echo(f"solving {scenario} ...", err=True)
        wanted = scn.analysis
        budget_range = whatif_budget or wanted.budget_sweep_rmb
        tpot_list = whatif_tpot or (",".join(f"{x:g}" for x in wanted.tpot_sweep_ms) if wanted.tpot_sweep_ms else None)
        request = _sweep_request(scn, budget=budget_range, tpot=tpot_list) if budget_range or tpot_list else None
        outcome = pipeline.run(scn, with_compare=with_compare or wanted.compare, request=request, progress_for=_progress)
        result = outcome.result
        _make_dir(out)
        links: list[tuple[str, str]] = []
        if outcome.comparison is not None:
            compare_md = _write_compare(scenario, out, outcome.comparison, lang, formats)
            links.append(("Bid comparison with break-even prices", compare_md.name))
        if request:
            whatif_md = _write_whatif(scenario, out, outcome.sweeps, result)
            links.append(("What-if sweeps", whatif_md.name))
        md_path = out / f"{scenario.stem}.md"
        json_path = out / f"{scenario.stem}.json"
        doc = to_json(result, include_timing=False)
        if "md" in formats:
            md_path.write_text(render(result, tuple(links), lang=lang, comparison=outcome.comparison), encoding="utf-8")
        if "json" in formats:
            json_path.write_text(_dump(doc) + "\n", encoding="utf-8")
        for table_fmt in ("csv", "xlsx"):
            if table_fmt in formats:
                from optimizer.report.export import bids_frame, plans_frame, write_tables

                tables = {"bids": bids_frame(doc), "plans": plans_frame(doc)}
                for written in write_tables(tables, out, scenario.stem, table_fmt):
                    typer.echo(f"wrote {written}", err=True)
        if "md" not in formats:
            md_path = json_path if "json" in formats else out
        if as_json:
            typer.echo(_dump(to_json(result, include_timing=True)))
        else:
            typer.echo(_summary(result, md_path))
        return 0 if result.plans else EXIT_INFEASIBLE

    _run(body)


def _summary(result: Any, md_path: Path) -> str:
    from optimizer.report.render import model_note, recommendation

    lines = [recommendation(result).replace("**", "")]
    note = model_note(result)
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


def _progress(label: str) -> Callable[[int, int], None] | None:
    """A progress line on a terminal; nothing when output is piped (tests, scripts)."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        sys.stderr.write(f"\r{label}: {done}/{total}{end}")
        sys.stderr.flush()

    return show


def _check_lang(lang: str) -> None:
    if lang not in ("en", "zh"):
        raise InputError("--lang", lang, "is not a report language", "use --lang en or --lang zh")


def _write_compare(scenario: Path, out: Path, comparison: Any, lang: str, formats: tuple[str, ...] = ("md", "json")) -> Path:
    """The comparison in each format asked for; the path of its Markdown (or first file written)."""
    from optimizer.report.whatif import compare_json, render_compare

    _make_dir(out)
    md = out / f"{scenario.stem}_compare.md"
    written = []
    if "md" in formats:
        md.write_text(render_compare(comparison, lang), encoding="utf-8")
        written.append(md)
    doc = compare_json(comparison)
    if "json" in formats:
        path = out / f"{scenario.stem}_compare.json"
        path.write_text(_dump(doc) + "\n", encoding="utf-8")
        written.append(path)
    for table_fmt in ("csv", "xlsx"):
        if table_fmt in formats:
            from optimizer.report.export import bids_frame, write_tables

            for path in write_tables({"compare": bids_frame(doc)}, out, scenario.stem, table_fmt):
                typer.echo(f"wrote {path}", err=True)
                written.append(path)
    return written[0] if written else md


@app.command()
def compare(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML with the bids to compare.")],
    out: Annotated[Path, typer.Option(help="Directory for the report files.")] = Path("reports"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON result on stdout.")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Report language: en, or zh (Chinese, amounts in 万元).")] = "en",
    fmt: FormatOption = "md,json",
) -> None:
    """One row per bid with its own best plan, the winner, and each losing bid's break-even price.

    Writes reports/<scenario>_compare.md and .json.

    Example: procure compare scenarios/r1_bids_h200_910b_mi300x.yaml
    """

    def body() -> int:
        from optimizer.report.whatif import compare_json, compare_table, why_winner

        _check_out(out)
        _check_lang(lang)
        formats = _formats(fmt)
        from optimizer import pipeline
        from optimizer.scenario import load_scenario

        comparison = pipeline.compare(load_scenario(scenario), _progress("break-even prices"))
        md = _write_compare(scenario, out, comparison, lang, formats)
        if as_json:
            typer.echo(_dump(compare_json(comparison)))
        else:
            typer.echo("\n".join([*compare_table(comparison), "", why_winner(comparison), f"report: {md}"]))
        return 0 if comparison.winner else EXIT_INFEASIBLE

    _run(body)


def _sweep_request(
    scn: Any, *, budget: str | None = None, tpot: str | None = None, ttft: str | None = None,
    load: str | None = None, price: list[str] | None = None,
) -> Any:
    """The sweeps asked for, every option read before the first solve, so bad input fails at once."""
    from optimizer.analysis import with_server_price
    from optimizer.pipeline import SweepRequest
    from optimizer.scenario import parse_list, parse_range

    prices = []
    for spec in price or []:
        offer, _, rng = spec.partition("=")
        if not rng:
            raise InputError("--price", spec, "is not OFFER=FROM:TO:STEPS", "e.g. --price atlas-910b2-8x=500000:1500000:11")
        with_server_price(scn, offer, 1)  # an unknown or owned offer is bad input
        prices.append((offer, [float(round(v)) for v in parse_range(rng, "--price", hi=1e10)]))  # whole yuan
    request = SweepRequest(
        budgets=parse_range(budget, "--budget", hi=1e13) if budget else None,
        tpots=parse_list(tpot, "--tpot", hi=1e7) if tpot else None,
        ttfts=parse_list(ttft, "--ttft", hi=1e7) if ttft else None,
        loads=parse_list(load, "--load", hi=1e9) if load else None,
        prices=prices,
    )
    if not request:
        raise InputError("procure whatif", "(options)", "no sweep asked for", "give --budget, --tpot, --ttft, --load or --price")
    return request


def _write_whatif(scenario: Path, out: Path, sweeps: list[Any], result: Any) -> Path:
    from optimizer.report.whatif import render_sweeps

    _make_dir(out)
    md = out / f"{scenario.stem}_whatif.md"
    md.write_text(render_sweeps(scenario.stem, sweeps, out, result), encoding="utf-8")
    return md


@app.command()
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
        from optimizer.report.whatif import sweep_json, sweep_table

        _check_out(out)
        _sweep_options(budget, tpot, ttft, load)
        from optimizer import pipeline
        from optimizer.scenario import load_scenario

        scn = load_scenario(scenario)
        request = _sweep_request(scn, budget=budget, tpot=tpot, ttft=ttft, load=load, price=price)
        result = pipeline.solve(scn)
        sweeps = pipeline.sweeps(scn, request, result, _progress)
        md = _write_whatif(scenario, out, sweeps, result)
        if as_json:
            docs = [sweep_json(s) for s in sweeps]
            typer.echo(_dump(docs[0] if len(docs) == 1 else docs))
        else:
            for s in sweeps:
                typer.echo(f"{s.kind} sweep")
                typer.echo("\n".join(sweep_table(s)))
                typer.echo("")
            typer.echo(f"report: {md}")
        return 0

    _run(body)


@app.command()
def schema(
    what: Annotated[str, typer.Argument(help="Which schema: scenario.")] = "scenario",
) -> None:
    """Print the JSON Schema of a scenario file (for editors).

    Example: procure schema scenario > scenario.schema.json
    """

    def body() -> int:
        from optimizer.scenario import scenario_json_schema

        if what != "scenario":
            raise InputError("schema", what, "is not a known schema", "use: procure schema scenario")
        typer.echo(_dump(scenario_json_schema()))
        return 0

    _run(body)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter scenario.")] = Path("scenario.yaml"),
) -> None:
    """Write a commented starter scenario (and its JSON Schema beside it, for editors).

    The first line points editors with a YAML language server at scenario.schema.json.

    Example: procure init my_bids.yaml && procure solve my_bids.yaml
    """

    def body() -> int:
        from optimizer.report.starter import SCHEMA_NAME, starter_text
        from optimizer.scenario import scenario_json_schema

        if path.exists():
            raise InputError(str(path), "(file)", "already exists; procure init never overwrites a file",
                             "give a new path, e.g. procure init my_scenario.yaml")
        if path.suffix not in (".yaml", ".yml"):
            raise InputError(str(path), "(file name)", "is not a .yaml file", f"e.g. procure init {path.with_suffix('.yaml').name}")
        _make_dir(path.parent, "PATH")
        schema_path = path.parent / SCHEMA_NAME
        path.write_text(starter_text(path.name, path.stem), encoding="utf-8")
        wrote = [str(path)]
        text = _dump(scenario_json_schema()) + "\n"
        if not schema_path.exists():
            schema_path.write_text(text, encoding="utf-8")
            wrote.append(str(schema_path))
        elif schema_path.read_text(encoding="utf-8", errors="replace") != text:
            typer.echo(f"kept the existing {schema_path} (it differs; refresh it with procure schema scenario > {schema_path})", err=True)
        typer.echo(f"wrote {', '.join(wrote)}; edit the offers, then: procure solve {path}")
        return 0

    _run(body)


def _print_list(kind: str, rows: list[dict[str, Any]], as_json: bool) -> int:
    """JSON, a rich table on a terminal, or aligned plain text when piped (deterministic)."""
    from optimizer.report.catalog_lists import LIST_COLUMNS, plain_table, rich_table

    if as_json:
        typer.echo(_dump(rows))
    elif not (sys.stdout.isatty() and rich_table(f"procure {kind}", LIST_COLUMNS[kind], rows)):
        typer.echo(plain_table(LIST_COLUMNS[kind], rows))
    return 0


def _print_show(kind: str, record_id: str, as_json: bool) -> int:
    from optimizer.report.catalog_lists import show_record, show_text

    data = show_record(kind, record_id)
    typer.echo(_dump(data) if as_json else show_text(data))
    return 0


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@cards_app.command("list")
def cards_list(
    vendor: Annotated[str | None, typer.Option(help="Only cards whose vendor contains this (case-insensitive), e.g. huawei.")] = None,
    min_mem_gb: Annotated[float | None, typer.Option("--min-mem-gb", help="Only cards with at least this memory (GB).")] = None,
    fp8: Annotated[bool, typer.Option("--fp8", help="Only cards with FP8 units.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Cards with memory, bandwidth, BF16 TFLOPS, FP8, TDP and the calibration rows that back each.

    Example: procure cards list --vendor nvidia --min-mem-gb 96 --fp8
    """

    def body() -> int:
        import math

        from optimizer.report.catalog_lists import card_rows

        if min_mem_gb is not None and not (math.isfinite(min_mem_gb) and min_mem_gb >= 0):
            raise InputError("--min-mem-gb", f"{min_mem_gb:g}", "must be a finite number of GB, at least 0", "e.g. --min-mem-gb 80")
        return _print_list("cards", card_rows(vendor, min_mem_gb, fp8), as_json)

    _run(body)


@cards_app.command("show")
def cards_show(card_id: Annotated[str, typer.Argument(help="Card id, e.g. h200.")], as_json: JsonOption = False) -> None:
    """Every field of one card with its sources, and the calibration rows that back it."""
    _run(lambda: _print_show("cards", card_id, as_json))


@models_app.command("list")
def models_list(as_json: JsonOption = False) -> None:
    """Model specs with derived parameter counts and the calibration rows that back each."""

    def body() -> int:
        from optimizer.report.catalog_lists import model_rows

        return _print_list("models", model_rows(), as_json)

    _run(body)


@models_app.command("show")
def models_show(model_id: Annotated[str, typer.Argument(help="Model id, e.g. deepseek-r1.")], as_json: JsonOption = False) -> None:
    """Every field of one model spec, its derived parameter counts and calibration rows."""
    _run(lambda: _print_show("models", model_id, as_json))


@engines_app.command("list")
def engines_list(as_json: JsonOption = False) -> None:
    """Serving-engine profiles with versions, era, batching and the calibration rows measured under each."""

    def body() -> int:
        from optimizer.report.catalog_lists import engine_rows

        return _print_list("engines", engine_rows(), as_json)

    _run(body)


@engines_app.command("show")
def engines_show(engine_id: Annotated[str, typer.Argument(help="Engine profile id, e.g. sglang.")], as_json: JsonOption = False) -> None:
    """Every field of one engine profile with its sources and calibration rows."""
    _run(lambda: _print_show("engines", engine_id, as_json))


@model_app.command("import")
def model_import(
    config: Annotated[Path, typer.Argument(help="A Hugging Face config.json.")],
    model_id: Annotated[str, typer.Option("--id", help="Id for the new spec (lower-case).")],
    source: Annotated[str | None, typer.Option(help="Where the config comes from (URL).")] = None,
    date: Annotated[str, typer.Option(help="Date of the source, YYYY-MM-DD.")] = "unknown",
    published_params_b: Annotated[float | None, typer.Option(help="Published total parameters (billions).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the spec here instead of stdout.")] = None,
) -> None:
    """Turn a Hugging Face config.json (dense, GQA, MLA, MoE) into a model spec YAML.

    Example: procure model import config.json --id my-model --out catalog/models/my-model.yaml
    """

    def body() -> int:
        from optimizer import units
        from optimizer.arch import count_params
        from optimizer.catalog.hf_import import read_config, spec_from_config, spec_to_yaml

        _import_options(model_id, date, published_params_b, out)
        cfg = read_config(config)
        spec = spec_from_config(
            cfg, model_id, source=source or str(config), date=date,
            published_total_params_b=published_params_b, where=str(config),
        )
        text = spec_to_yaml(spec)
        if out:
            _make_dir(out.parent)
            out.write_text(text, encoding="utf-8")
            total = units.to_billions(count_params(spec).total)
            typer.echo(f"wrote {out} ({total:.2f}B parameters derived from the architecture)")
        else:
            typer.echo(text, nl=False)
        return 0

    _run(body)


def _import_options(model_id: str, date: str, published_params_b: float | None, out: Path | None) -> None:
    """The options of `procure model import`, checked before the config is read."""
    import datetime
    import math

    from optimizer.catalog.records import DATE_PATTERN, ID_PATTERN

    if not ID_PATTERN.match(model_id):
        raise InputError("--id", model_id, "ids are lower-case letters, digits, '.' and '-'",
                         f"e.g. --id {''.join(c for c in model_id.lower() if c.isalnum() or c in '.-') or 'my-model'}")
    if date == "unknown":
        raise InputError("--date", date, "every model spec needs the date of its source", "pass --date YYYY-MM-DD")
    try:
        if not DATE_PATTERN.match(date):
            raise ValueError(date)
        parts = [int(x) for x in date.split("-")]
        datetime.date(parts[0], *[*parts[1:], 1, 1][:2])
    except ValueError:
        raise InputError("--date", date, "is not a date YYYY, YYYY-MM or YYYY-MM-DD", "e.g. --date 2025-01-20") from None
    if published_params_b is not None and not (math.isfinite(published_params_b) and 0 < published_params_b <= 1e6):
        raise InputError("--published-params-b", f"{published_params_b:g}", "must be a positive number of billions (at most 1e6)",
                         "e.g. --published-params-b 671")
    if out is not None:
        if out.is_dir():
            raise InputError("--out", str(out), "is a folder", f"give a file path, e.g. {out / (model_id + '.yaml')}")
        _check_out(out.parent)


def main() -> None:
    app(prog_name="procure")


if __name__ == "__main__":
    main()
