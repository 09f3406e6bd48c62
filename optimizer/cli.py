"""`procure` command line: a thin layer over the engine's plain Python functions.

Expected errors (bad input) print one paragraph `where: field: problem — fix` and exit 2; bugs
keep their traceback behind --debug.
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
    add_completion=False,
    no_args_is_help=True,
    help="procure: GPU procurement recommender for LLM inference.",
)
model_app = typer.Typer(no_args_is_help=True, help="Model specs: import a Hugging Face config.json.")
app.add_typer(model_app, name="model")

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
_debug = {"on": False}


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False) -> None:
    _debug["on"] = debug


def _run(action: Callable[[], int | None]) -> None:
    """Run a command body; turn expected errors into a one-paragraph message and exit 2."""
    try:
        code = action()
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if _debug["on"]:
            raise
        typer.echo(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code or 0)


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)


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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Predict memory, TTFT, TPOT and throughput of one replica.

    Example: procure predict --model llama-3.1-70b --card h200 --precision fp8 --tp 4 --batch 32
    """

    def body() -> int:
        from optimizer import perf as perf_mod
        from optimizer.report_predict import predict_json, predict_table
        from optimizer.specs import get_card, get_model

        m, c = get_model(model), get_card(card)
        par = perf_mod.Parallelism(tp=tp, pp=pp, ep=ep)
        if input_len < 0 or output_len < 1:
            raise InputError(
                "--input-len/--output-len", f"{input_len}/{output_len}", "must be >= 0 and >= 1", "give token counts"
            )
        if batch == "max":
            result = perf_mod.evaluate_max_batch(m, c, precision, par, input_len, output_len, kv_precision, max_seqs)
        else:
            try:
                b = int(batch)
            except ValueError:
                raise InputError("--batch", batch, "is not an integer or 'max'", "use e.g. --batch 32 or --batch max") from None
            result = perf_mod.evaluate(m, c, precision, par, b, input_len, output_len, kv_precision)
        typer.echo(_dump(predict_json(result)) if as_json else predict_table(result, c, m))
        return 0

    _run(body)


@app.command()
def validate(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Predict every published measurement in catalog/calibration.csv and print the errors.

    Example: procure validate
    """

    def body() -> int:
        from optimizer.calibration import median_abs_error_pct, predict_all
        from optimizer.report_predict import validate_json, validate_table

        preds = predict_all()
        summary = median_abs_error_pct(preds)
        typer.echo(_dump(validate_json(preds, summary)) if as_json else validate_table(preds, summary))
        return 0

    _run(body)


@app.command()
def solve(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (see scenarios/).")],
    out: Annotated[Path, typer.Option(help="Directory for the report files.")] = Path("reports"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON result on stdout.")] = False,
) -> None:
    """Find the cheapest plan that meets the scenario's SLAs; write reports/<scenario>.md and .json.

    Exit codes: 0 a plan, 3 infeasible (with the diagnosis), 2 bad input.

    Example: procure solve scenarios/r1_chatbot.yaml
    """

    def body() -> int:
        from optimizer.report import render, to_json
        from optimizer.scenario import load_scenario
        from optimizer.solve import solve as run_solve

        scn = load_scenario(scenario)
        if sys.stderr.isatty():
            typer.echo(f"solving {scenario} ...", err=True)
        result = run_solve(scn)
        out.mkdir(parents=True, exist_ok=True)
        md_path = out / f"{scenario.stem}.md"
        json_path = out / f"{scenario.stem}.json"
        md_path.write_text(render(result), encoding="utf-8")
        json_path.write_text(_dump(to_json(result, include_timing=False)) + "\n", encoding="utf-8")
        if as_json:
            typer.echo(_dump(to_json(result, include_timing=True)))
        else:
            typer.echo(_summary(result, md_path))
        return 0 if result.plans else EXIT_INFEASIBLE

    _run(body)


def _summary(result: Any, md_path: Path) -> str:
    from optimizer.report import recommendation

    lines = [recommendation(result).replace("**", "")]
    if result.diagnosis:
        lines += [f"  binding: {', '.join(result.diagnosis.binding)}"]
        lines += [f"  - {r}" for r in result.diagnosis.relaxations]
        lines += [f"  - {oid}: {r}" for oid, r in sorted(result.diagnosis.offer_reasons.items())]
    for o in result.per_offer:
        status = f"RMB {o.plan.cost_rmb:,}" if o.plan else f"cannot serve: {o.reason}"
        lines.append(f"  bid {o.offer_id}: {status}")
    lines.append(f"  {len(result.designs)} designs, solved in {result.solve_seconds:.2f} s; report: {md_path}")
    return "\n".join(lines)


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
        from optimizer.hf_import import read_config, spec_from_config, spec_to_yaml
        from optimizer.params import count_params

        if date == "unknown":
            raise InputError("--date", date, "every model spec needs the date of its source", "pass --date YYYY-MM-DD")
        cfg = read_config(config)
        spec = spec_from_config(
            cfg, model_id, source=source or str(config), date=date,
            published_total_params_b=published_params_b, where=str(config),
        )
        text = spec_to_yaml(spec)
        if out:
            out.write_text(text, encoding="utf-8")
            total = count_params(spec).total / 1e9
            typer.echo(f"wrote {out} ({total:.2f}B parameters derived from the architecture)")
        else:
            typer.echo(text, nl=False)
        return 0

    _run(body)


def main() -> None:
    app(prog_name="procure")


if __name__ == "__main__":
    sys.exit(main())
