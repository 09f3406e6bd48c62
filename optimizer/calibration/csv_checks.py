"""`procure validate --csv FILE`: a user's measurements checked before any row is parsed or predicted.

- Structural problems are bad input (exit 2, nothing predicted): a file that is not UTF-8 text or is
  larger than the cap (read with the cap whatever size it reports), an empty file, a header without
  the required columns or with a column twice, a header and no data row, or no row that can be used.
  A byte-order mark (Excel's "CSV UTF-8") is read as the start of the file, not of `model_id`.
- Row problems skip that row with the reason, reported by data row (0-based, as `validate --json`
  numbers rows), line, column and fix: a row with fewer or more fields than the header; a `value`
  that is not a positive finite number within the physical range (0 would divide, NaN and 1e308
  would be scored); `cards`/`tp`/`pp`/`ep`/`batch`/`output_len` that are not whole numbers >= 1
  (`input_len` >= 0). Empty counts take the format's defaults, as for the shipped files.

The rows that pass are parsed exactly as the shipped files are (calibration.rows).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from optimizer.calibration import rows as calibration_rows
from optimizer.calibration.rows import CalibrationRow
from optimizer.catalog.yaml_io import decode, read_bytes
from optimizer.errors import InputError, Problem

REQUIRED = ("model_id", "card_id", "precision", "cards", "tp", "metric", "value", "framework")
OPTIONAL = ("pp", "ep", "batch", "input_len", "output_len", "source", "notes")  # empty or absent: the defaults
MAX_VALUE = 1_000_000_000.0  # no throughput (tokens/s), TPOT or TTFT (ms) of a measured system comes near
# column -> (smallest, largest) whole number; an empty cell takes the format's default
COUNTS = {
    "cards": (1, 100_000), "tp": (1, 1024), "pp": (1, 1024), "ep": (1, 100_000), "batch": (1, 10_000_000),
    "input_len": (0, 100_000_000), "output_len": (1, 100_000_000),
}


@dataclass(frozen=True)
class RejectedRow:
    """A data row that is not predicted, and why."""

    row: int        # 0-based data row, as validate --json numbers rows
    line: int       # line of the file where the row starts
    column: str
    value: str
    problem: str
    fix: str

    def render(self, where: str) -> str:
        return f"{where}:{self.line}: data row {self.row}, {self.column}: {self.problem} — {self.fix} (row skipped)"

    def to_json(self) -> dict[str, object]:
        return {"row": self.row, "line": self.line, "column": self.column, "value": self.value, "problem": self.problem,
                "fix": self.fix}


def _count_problem(column: str, text: str) -> tuple[str, str] | None:
    lo, hi = COUNTS[column]
    if not text.strip():
        return None
    try:
        x = float(text)
    except ValueError:
        return f"{text!r} is not a number", f"give a whole number from {lo} to {hi:,}"
    if not math.isfinite(x) or x != round(x) or not lo <= x <= hi:
        return f"{text!r} is not a whole number from {lo} to {hi:,}", f"give the run's {column} as a whole number"
    return None


def _value_problem(text: str) -> tuple[str, str] | None:
    fix = "give the measured value in the metric's unit (tokens/s or ms), a positive finite number"
    try:
        x = float(text)
    except ValueError:
        return (f"{text!r} is not a number" if text.strip() else "is empty"), fix
    if not math.isfinite(x) or x <= 0:
        return f"{text!r} is not a positive finite number", fix
    if x > MAX_VALUE:
        return f"{text!r} is beyond any measured system (at most {MAX_VALUE:g})", fix
    return None


def _row_problem(r: dict[str | None, object], width: int) -> tuple[str, str, str, str] | None:
    """(column, value, problem, fix) of the first problem of a row, or None."""
    if None in r:  # more fields than the header
        tail = r[None]
        extra = [str(x) for x in tail] if isinstance(tail, list) else []
        return ("(row)", ",".join(extra), f"has {width + len(extra)} fields, the header has {width}",
                "quote fields that contain commas, or remove the extra fields")
    missing = [k for k, v in r.items() if v is None]
    if missing:
        return ("(row)", "", f"has {width - len(missing)} fields, the header has {width} (no {', '.join(map(str, missing))})",
                "complete the row (empty fields are written as ,,)")
    cells = {str(k): str(v) for k, v in r.items()}
    found = _value_problem(cells["value"])
    if found:
        return ("value", cells["value"], *found)
    for column in COUNTS:
        found = _count_problem(column, cells.get(column, ""))
        if found:
            return (column, cells[column], *found)
    return None


def checked_rows(path: Path) -> tuple[list[CalibrationRow], list[RejectedRow]]:
    """The rows of a calibration-format CSV that can be predicted, and the rows skipped with why."""
    where = str(path)
    text = decode(read_bytes(path, "calibration CSV"), where, "calibration CSV")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in reader.fieldnames or []]
    except csv.Error as exc:
        raise InputError(where, "(header)", f"is not CSV ({exc})", "save the file as CSV", line=1) from None
    if not header:
        raise InputError(where, "(file)", "is empty", "start from the header of catalog/calibration.csv")
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if missing or repeated:
        problem = f"lacks the columns {missing}" if missing else f"names the columns {repeated} more than once"
        raise InputError(where, "(header)", problem, f"use the calibration CSV header: {','.join(REQUIRED + OPTIONAL)}", line=1)
    good: list[CalibrationRow] = []
    rejected: list[RejectedRow] = []
    line = reader.line_num + 1
    try:
        for index, r in enumerate(reader):
            found = _row_problem(r, len(header))
            if found is None:
                cells = {c: "" for c in OPTIONAL} | {str(k): str(v) for k, v in r.items()}
                try:
                    good.append(calibration_rows._row(cells, path.stem, index))
                except (KeyError, ValueError, TypeError) as exc:  # a check above missed something: still the row's problem
                    found = ("(row)", "", f"cannot be read ({exc})", "fix the row")
            if found is not None:
                rejected.append(RejectedRow(index, line, *found))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(where, "(file)", f"is not CSV ({exc})", "save the file as CSV", line=line) from None
    if not good:
        if not rejected:
            raise InputError(where, "(file)", "has a header but no data rows", "add one row per measurement under the header",
                             line=2)
        raise InputError.of(where, [Problem(f"data row {r.row}, {r.column}", r.problem, r.fix, r.line) for r in rejected])
    return good, rejected
