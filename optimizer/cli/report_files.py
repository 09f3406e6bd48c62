"""The files every report command writes the same way: the file stem from the scenario's, the html
page, and the csv / xlsx tables (plan_commands and fleet_commands both write them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.cli.output import Staging

if TYPE_CHECKING:
    from pandas import DataFrame

    from optimizer.report.workbook import Columns

Tables = Callable[[], "dict[str, DataFrame]"]  # built only when a csv or xlsx file is asked for


def stem_of(scenario: Path) -> str:
    """The scenario file's stem as the stem of every file written for it (made safe: names.safe_part)."""
    from optimizer.report.names import safe_part

    return safe_part(scenario.stem)


def write_html(stage: Staging, stem: str, md_text: str, lang: str, formats: tuple[str, ...]) -> Path | None:
    """`--format html`: the report as one self-contained page, the plots written beside it embedded."""
    if "html" not in formats:
        return None
    from optimizer.report.html import to_html

    images = {p.name: p.read_bytes() for p in sorted(stage.dir.glob("*.png"))}
    path = stage.path(f"{stem}.html")
    path.write_text(to_html(md_text, images, title=f"procure: {stem}", lang=lang), encoding="utf-8")
    return path


def write_tables(tables: Tables, stage: Staging, stem: str, formats: tuple[str, ...], lang: str, book: str,
                 extra: Columns | None = None) -> list[Path]:
    """The tables asked for (pandas is imported only then): one <stem>_<table>.csv each, and one
    workbook <book>.xlsx with a sheet each; each path is announced. `extra`: the workbook's columns
    that the tables name themselves (report.workbook.Columns)."""
    written: list[Path] = []
    if "csv" in formats:
        from optimizer.report.export import write_csv

        written += write_csv(tables(), stage.dir, stem)
    if "xlsx" in formats:
        from optimizer.report.workbook import write_workbook

        written.append(write_workbook(tables(), stage.dir / f"{book}.xlsx", lang, extra))
    return [stage.final(path) for path in written]
