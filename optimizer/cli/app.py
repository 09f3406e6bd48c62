"""The typer app and what every command shares: the error/exit-code runner, option types, and
checks of report formats and languages that run before any work (output folders: cli.output).

The commands live in plan_commands, replica_commands and catalog_commands; optimizer/cli/__init__.py
attaches them to `app` in the order `procure --help` lists them. Engine imports stay inside command
bodies so that `procure --help` and `procure predict` start without loading the solver.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from optimizer.catalog.overlay import OVERLAY_ENV, set_overlay
from optimizer.errors import InputError

app = typer.Typer(
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    no_args_is_help=True,
    help="procure: GPU procurement recommender for LLM inference.",
    epilog="Exit codes: 0 result; 3 diagnosis (infeasible, does not fit); 2 bad input (nothing written); "
    "1 internal error (rerun with --debug for the traceback); 130 interrupted (Ctrl-C; nothing written).",
)

def _flags_without_metavar() -> None:
    """Typer 0.2x prints '<bool>' after every on/off flag in help (even --help): a flag takes no
    value, so it shows none. Applied to the installed typer when it has the method, else a no-op."""
    core = getattr(typer, "core", None)
    option = getattr(core, "TyperOption", None)
    original = getattr(option, "display_type_rich", None)
    if option is None or original is None or getattr(original, "_procure", False):
        return

    def display_type_rich(self: typer.core.TyperOption, ctx: object) -> str | None:
        if getattr(self, "is_flag", False) and self.metavar is None:
            return None
        return original(self, ctx)

    display_type_rich._procure = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


_flags_without_metavar()

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
_debug = {"on": False}  # set by the callback, read by run(): the callback runs before every command

Progress = Callable[[int, int], None]

JsonOption = Annotated[bool, typer.Option("--json", metavar="", help="Print JSON instead of a table.")]
JsonResultOption = Annotated[bool, typer.Option("--json", metavar="", help="Print the JSON result on stdout.")]
ReportDirOption = Annotated[str, typer.Option(help="Directory for the report files (created if missing).")]
LangOption = Annotated[str, typer.Option("--lang", help="Report language: en, or zh (Chinese, amounts in 万元).")]
FormatOption = Annotated[
    str, typer.Option("--format", help="Files to write, comma-separated: md, json, csv, xlsx, html (csv: <scenario>_bids and "
                      "_plans tables; with compare, _compare; a fleet (services:): _services, _servers and, with phases:, "
                      "_periods; xlsx: one workbook with a sheet per table; html: the report as one page).")
]


def _version(value: bool) -> None:
    if value:
        from optimizer import __version__

        typer.echo(f"procure {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", metavar="", help="Show tracebacks of internal errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", metavar="", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    catalog: Annotated[
        str | None, typer.Option(
            "--catalog", metavar="DIR", show_default=False,
            help="Your catalog overlay: a folder like catalog/ (cards/*.yaml, models/*.yaml, engines.yaml, precisions.yaml, "
            "ecosystems.yaml, launch.yaml, load_profiles.yaml) whose entries add to or replace the shipped ones, by id or name; reports "
            "name it and its hash. Default: $PROCURE_CATALOG; none when unset.",
        ),
    ] = None,
) -> None:
    _debug["on"] = debug
    try:  # before any command loads the catalog: every loader then reads the overlay
        select_overlay(catalog, os.environ.get(OVERLAY_ENV))
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def select_overlay(option: str | None, env: str | None) -> None:
    """The overlay from --catalog, else from PROCURE_CATALOG (an empty variable is unset); the error
    names whichever of the two gave the path."""
    from optimizer.cli.output import path_option

    if option is not None:
        set_overlay(path_option(option, "--catalog", "catalog overlay folder"), "--catalog")
    elif env:
        set_overlay(path_option(env, OVERLAY_ENV, "catalog overlay folder"), OVERLAY_ENV)
    else:
        set_overlay(None)


def run(action: Callable[[], int | None]) -> None:
    """Run a command body; turn expected errors into a one-paragraph message and exit 2."""
    try:
        code = action()
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt:  # Ctrl-C: stop, never a result read from an interrupted solve; staged files are dropped
        typer.echo("interrupted: stopped before the end, nothing written", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if _debug["on"]:
            raise
        typer.echo(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code or 0)


def dump(data: object) -> str:
    """JSON as every command prints and writes it: sorted keys, so output is deterministic."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)


def parse_formats(text: str) -> tuple[str, ...]:
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
            import openpyxl  # noqa: F401  (the workbook is written with it)
        except ImportError:
            raise InputError("--format", text, "xlsx needs the openpyxl package", "pip install openpyxl, or use --format csv") from None
    return wanted


def check_lang(lang: str) -> None:
    if lang not in ("en", "zh"):
        raise InputError("--lang", lang, "is not a report language", "use --lang en or --lang zh")


def progress_for(label: str) -> Progress | None:
    """A progress line on a terminal; nothing when output is piped (tests, scripts)."""
    if not sys.stderr.isatty():
        return None

    import time

    started = time.monotonic()

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        eta = eta_text(time.monotonic() - started, done, total)
        sys.stderr.write(f"\r{label}: {done}/{total}{eta}\x1b[K{end}")  # \x1b[K: clear what a longer line left
        sys.stderr.flush()

    return show


def eta_text(elapsed_s: float, done: int, total: int) -> str:
    """', about 3 min 20 s left' from the pace so far ('' before the first step and at the end)."""
    if done <= 0 or done >= total:
        return ""
    left = round(elapsed_s / done * (total - done))
    minutes, seconds = divmod(left, 60)
    return f", about {minutes} min {seconds:02d} s left" if minutes else f", about {seconds} s left"
