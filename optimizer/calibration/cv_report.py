"""The cross-validation report of `procure validate --cv`: in-sample and leave-one-source-out
median absolute errors per card family x engine x metric, and over all rows.

A pure function of the rows: it refits once per source but writes and prints nothing; the CLI
prints the JSON data or the table (report.predict.cv_table) with the overall line.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from optimizer.calibration import fit as fit_mod
from optimizer.calibration.predict_rows import Prediction, predict_row
from optimizer.calibration.rows import CalibrationRow, metric_group
from optimizer.catalog.bundle import Catalog


class CvCell(NamedTuple):
    """One card family x engine x metric; a tuple, so report.predict.cv_table reads it as is."""

    family: str
    engine: str
    metric: str
    rows: int
    in_sample_median_ape: float | None
    cv_median_ape: float | None


@dataclass(frozen=True)
class CvReport:
    cells: list[CvCell]
    in_sample: dict[str, float]  # median absolute % error per metric group, all rows
    cv: dict[str, float]
    cv_concordance: float  # share of row pairs whose predicted order matches the measured order

    def overall(self) -> dict[str, object]:
        return {"in_sample": self.in_sample, "cv": self.cv, "cv_concordance": self.cv_concordance}

    def to_json(self) -> dict[str, object]:
        return {"cells": [cell._asdict() for cell in self.cells], "overall": self.overall()}

    def overall_line(self) -> str:
        """The line under the table (dicts shown as Python prints them, as the CLI always has)."""
        return f"all rows: in-sample {self.in_sample}; leave-one-source-out {self.cv}; concordance {self.cv_concordance}"


def cv_report(rows: list[CalibrationRow], catalog: Catalog, progress: Callable[[int, int], None] | None = None) -> CvReport:
    """Fit-eligible rows predicted with the catalog's fitted factors (in-sample) and by refits that
    leave each row's source out (cross-validated), summarised per cell."""
    base = catalog.efficiency
    used = fit_mod.fit_rows(rows)
    inside = [predict_row(r, base) for r in used]
    cv = fit_mod.leave_one_source_out(
        used, base, base, progress=(lambda n, total, src: progress(n, total)) if progress else None,
    )
    return CvReport(
        cells=_cells(inside, cv, catalog),
        in_sample=fit_mod.median_ape_by_metric(inside),
        cv=fit_mod.median_ape_by_metric(cv),
        cv_concordance=round(fit_mod.concordance(cv), 3),
    )


def _cells(inside: list[Prediction], cv: list[Prediction], catalog: Catalog) -> list[CvCell]:
    """Absolute errors grouped by card family x engine x metric group, as medians, sorted."""
    cards = catalog.cards
    errors: dict[tuple[str, str, str], tuple[list[float], list[float]]] = {}
    for p_in, p_cv in zip(inside, cv):
        r = p_in.row
        key = (cards[r.card_id].family, r.engine or "", metric_group(r.metric))
        a, b = errors.setdefault(key, ([], []))
        if p_in.error_pct is not None:
            a.append(abs(p_in.error_pct))
        if p_cv.error_pct is not None:
            b.append(abs(p_cv.error_pct))
    return [
        CvCell(fam, eng, metric, len(a), statistics.median(a) if a else None, statistics.median(b) if b else None)
        for (fam, eng, metric), (a, b) in sorted(errors.items())
    ]
