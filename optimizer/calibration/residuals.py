"""`catalog/fit_residuals.csv`: each calibration row's leave-one-source-out log error, written by
the fit (benchmarks/fit_efficiency.py --write) and read by the error bands. The one module that
knows the file's columns.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

RESIDUALS_FILE = "fit_residuals.csv"
COLUMNS = ("dataset", "row", "source", "family", "engine", "model_class", "metric", "mode", "concurrency",
           "in_sample_log_error", "cv_log_error")

# Residuals are pooled within a regime: closed-loop serving (what plans are sized for) or
# saturated runs (bursts, offline max, prefill/decode split instances), whose errors differ.
REGIMES = {"closed": "closed", "burst": "saturated", "pd": "saturated", "decode-only": "saturated", "prefill-only": "saturated"}


@dataclass(frozen=True)
class Residual:
    family: str
    engine: str
    model_class: str
    metric: str
    log_error: float
    regime: str = "closed"
    concurrency: int = 1        # requests one replica held at once
    superseded: bool = False    # measured with an engine release line a newer profile replaces
    source: str = ""            # the publication (leave-one-source-out folds the bands are judged on)


@dataclass(frozen=True)
class ResidualRow:
    """One line of the file, as the fit writes it."""

    dataset: str
    row: int
    source: str
    family: str
    engine: str
    model_class: str
    metric: str
    mode: str
    concurrency: int
    in_sample_log_error: float
    cv_log_error: float


def read_residuals(catalog_root: Path, superseded: frozenset[str]) -> tuple[Residual, ...]:
    """The shipped residuals (none when the file is absent: bands then fall back to a wide default)."""
    path = catalog_root / RESIDUALS_FILE
    if not path.exists():
        return ()
    with path.open(newline="", encoding="utf-8") as fh:
        return tuple(
            Residual(r["family"], r["engine"], r["model_class"], r["metric"], float(r["cv_log_error"]),
                     REGIMES.get(r.get("mode", "closed"), "closed"), int(r.get("concurrency") or 1),
                     r["engine"] in superseded, r.get("source", ""))
            for r in csv.DictReader(fh)
        )


def write_residuals(catalog_root: Path, rows: Iterable[ResidualRow]) -> Path:
    path = catalog_root / RESIDUALS_FILE
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([r.dataset, r.row, r.source, r.family, r.engine, r.model_class, r.metric, r.mode, r.concurrency,
                        f"{r.in_sample_log_error:.5f}", f"{r.cv_log_error:.5f}"])
    return path
