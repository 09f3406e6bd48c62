"""Catalog commands: `cards|models|engines list|show`, `schema`, `init` and `model import`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from optimizer.cli.app import JsonOption, dump, run
from optimizer.cli.output import check_folder, path_option, staged
from optimizer.errors import InputError


def register(app: typer.Typer) -> None:
    """Top-level commands first, then the groups, in the order `procure --help` lists them."""
    app.command()(schema)
    app.command()(init)
    model_app = typer.Typer(no_args_is_help=True, help="Model specs: import a Hugging Face config.json.")
    model_app.command("import")(model_import)
    app.add_typer(model_app, name="model")
    for name, help_text, list_command, show_command in (
        ("cards", "Cards in the catalog: list (with filters) and show.", cards_list, cards_show),
        ("models", "Model specs in the catalog: list and show.", models_list, models_show),
        ("engines", "Serving-engine profiles in the catalog: list and show.", engines_list, engines_show),
    ):
        group = typer.Typer(no_args_is_help=True, help=help_text)
        group.command("list")(list_command)
        group.command("show")(show_command)
        app.add_typer(group, name=name)


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
        typer.echo(dump(scenario_json_schema()))
        return 0

    run(body)


def init(
    path: Annotated[str, typer.Argument(help="Where to write the starter scenario.")] = "scenario.yaml",
) -> None:
    """Write a commented starter scenario (and its JSON Schema beside it, for editors).

    The first line points editors with a YAML language server at scenario.schema.json.

    Example: procure init my_bids.yaml && procure solve my_bids.yaml
    """

    def body() -> int:
        from optimizer.report.starter import SCHEMA_NAME, starter_text
        from optimizer.scenario import scenario_json_schema

        target = path_option(path, "PATH", "file path, e.g. procure init my_scenario.yaml")
        if target.is_dir():
            raise InputError(str(target), "(file)", "is a folder", f"give a file path, e.g. procure init {target / 'scenario.yaml'}")
        if target.exists() or target.is_symlink():
            raise InputError(str(target), "(file)", "already exists; procure init never overwrites a file",
                             "give a new path, e.g. procure init my_scenario.yaml")
        if target.suffix not in (".yaml", ".yml"):
            raise InputError(str(target), "(file name)", "is not a .yaml file", f"e.g. procure init {target.with_suffix('.yaml').name}")
        schema_path = target.parent / SCHEMA_NAME
        if schema_path.exists() and not schema_path.is_file():
            raise InputError(str(schema_path), "(file)", "is in the way: procure init writes the scenario's JSON Schema there",
                             "rename or move it, or give a path in another folder")
        check_folder(target.parent, "PATH")
        text = dump(scenario_json_schema()) + "\n"
        wrote = [str(target)]
        with staged(target.parent, "PATH") as stage:  # both files or neither
            stage.path(target.name).write_text(starter_text(target.name, target.stem), encoding="utf-8")
            if not schema_path.exists():
                stage.path(SCHEMA_NAME).write_text(text, encoding="utf-8")
                wrote.append(str(schema_path))
        if len(wrote) == 1 and schema_path.read_text(encoding="utf-8", errors="replace") != text:  # someone's edited copy: keep it
            typer.echo(f"kept the existing {schema_path} (it differs; refresh it with procure schema scenario > {schema_path})", err=True)
        typer.echo(f"wrote {', '.join(wrote)}; edit the offers, then: procure solve {target}")
        return 0

    run(body)


def _print_list(kind: str, rows: list[dict[str, object]], as_json: bool) -> int:
    """JSON, a rich table on a terminal, or aligned plain text when piped (deterministic)."""
    from optimizer.report.catalog_lists import LIST_COLUMNS, plain_table, rich_table

    if as_json:
        typer.echo(dump(rows))
    elif not (sys.stdout.isatty() and rich_table(f"procure {kind}", LIST_COLUMNS[kind], rows)):
        typer.echo(plain_table(LIST_COLUMNS[kind], rows))
    return 0


def _print_show(kind: str, record_id: str, as_json: bool) -> int:
    from optimizer.report.catalog_lists import show_record, show_text

    data = show_record(kind, record_id)
    typer.echo(dump(data) if as_json else show_text(data))
    return 0


def cards_list(
    vendor: Annotated[str | None, typer.Option(help="Only cards whose vendor contains this (case-insensitive), e.g. huawei.")] = None,
    min_mem_gb: Annotated[float | None, typer.Option("--min-mem-gb", help="Only cards with at least this memory (GB).")] = None,
    fp8: Annotated[bool, typer.Option("--fp8", metavar="", help="Only cards with FP8 units.")] = False,
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

    run(body)


def cards_show(card_id: Annotated[str, typer.Argument(help="Card id, e.g. h200.")], as_json: JsonOption = False) -> None:
    """Every field of one card with its sources, and the calibration rows that back it."""
    run(lambda: _print_show("cards", card_id, as_json))


def models_list(as_json: JsonOption = False) -> None:
    """Model specs with derived parameter counts and the calibration rows that back each."""

    def body() -> int:
        from optimizer.report.catalog_lists import model_rows

        return _print_list("models", model_rows(), as_json)

    run(body)


def models_show(model_id: Annotated[str, typer.Argument(help="Model id, e.g. deepseek-r1.")], as_json: JsonOption = False) -> None:
    """Every field of one model spec, its derived parameter counts and calibration rows."""
    run(lambda: _print_show("models", model_id, as_json))


def engines_list(as_json: JsonOption = False) -> None:
    """Serving-engine profiles with versions, era, batching and the calibration rows measured under each."""

    def body() -> int:
        from optimizer.report.catalog_lists import engine_rows

        return _print_list("engines", engine_rows(), as_json)

    run(body)


def engines_show(engine_id: Annotated[str, typer.Argument(help="Engine profile id, e.g. sglang.")], as_json: JsonOption = False) -> None:
    """Every field of one engine profile with its sources and calibration rows."""
    run(lambda: _print_show("engines", engine_id, as_json))


def model_import(
    config: Annotated[Path, typer.Argument(help="A Hugging Face config.json.")],
    model_id: Annotated[str, typer.Option("--id", help="Id for the new spec (lower-case).")],
    source: Annotated[str | None, typer.Option(help="Where the config comes from (URL).")] = None,
    date: Annotated[str, typer.Option(metavar="YYYY-MM-DD", help="Date of the source (required: every spec is dated).")] = "unknown",
    published_params_b: Annotated[float | None, typer.Option(help="Published total parameters (billions).")] = None,
    out: Annotated[str | None, typer.Option(help="Write the spec here instead of stdout.")] = None,
) -> None:
    """Turn a Hugging Face config.json (dense, GQA, MLA, MoE) into a model spec YAML.

    Example: procure model import config.json --id my-model --out catalog/models/my-model.yaml
    """

    def body() -> int:
        from optimizer import units
        from optimizer.arch import count_params
        from optimizer.catalog.hf_import import read_config, spec_from_config, spec_to_yaml

        out_file = _check_import_options(model_id, date, published_params_b, out)
        cfg = read_config(config)
        spec = spec_from_config(
            cfg, model_id, source=source or str(config), date=date,
            published_total_params_b=published_params_b, where=str(config),
        )
        text = spec_to_yaml(spec)
        if out_file is not None:
            with staged(out_file.parent) as stage:
                stage.path(out_file.name).write_text(text, encoding="utf-8")
            total = units.to_billions(count_params(spec).total)
            typer.echo(f"wrote {out_file} ({total:.2f}B parameters derived from the architecture)")
        else:
            typer.echo(text, nl=False)
        return 0

    run(body)


def _check_import_options(model_id: str, date: str, published_params_b: float | None, out: str | None) -> Path | None:
    """The options of `procure model import`, checked before the config is read; the --out file."""
    import math

    from optimizer.catalog.records import ID_PATTERN

    if not ID_PATTERN.match(model_id):
        raise InputError("--id", model_id, "ids are lower-case letters, digits, '.' and '-'",
                         f"e.g. --id {''.join(c for c in model_id.lower() if c.isalnum() or c in '.-') or 'my-model'}")
    _check_date(date)
    if published_params_b is not None and not (math.isfinite(published_params_b) and 0 < published_params_b <= 1e6):
        raise InputError("--published-params-b", f"{published_params_b:g}", "must be a positive number of billions (at most 1e6)",
                         "e.g. --published-params-b 671")
    if out is None:
        return None
    out_file = path_option(out, "--out", "file path, e.g. --out my-model.yaml")
    if out_file.is_dir():
        raise InputError("--out", str(out_file), "is a folder", f"give a file path, e.g. {out_file / (model_id + '.yaml')}")
    check_folder(out_file.parent)
    return out_file


def _check_date(date: str) -> None:
    """YYYY, YYYY-MM or YYYY-MM-DD naming a real day (the pattern alone accepts 2025-02-30)."""
    import datetime

    from optimizer.catalog.records import DATE_PATTERN

    if date == "unknown":
        raise InputError("--date", date, "every model spec needs the date of its source", "pass --date YYYY-MM-DD")
    try:
        if not DATE_PATTERN.match(date):
            raise ValueError(date)
        parts = [int(x) for x in date.split("-")]
        datetime.date(parts[0], *[*parts[1:], 1, 1][:2])
    except ValueError:
        raise InputError("--date", date, "is not a date YYYY, YYYY-MM or YYYY-MM-DD", "e.g. --date 2025-01-20") from None
