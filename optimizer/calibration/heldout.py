"""How the bands and the centred estimate do on sources they have not seen.

Each residual is a published measurement's leave-one-source-out log error e = ln(predicted /
measured). Its band is built from every other source's residuals (the row's own source left out of
the pool too, and of the held-out scales: Bands.scales runs its own leave-one-source-out inside the
remaining sources), exactly as the draws build a cell's errors: the measurement lies inside the
10-90 % band when Q(0.1) <= e <= Q(0.9), and the band's width is exp(Q(0.9) - Q(0.1)) (high / low).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from optimizer.calibration.bands import KNOWLEDGE, Bands, part_of
from optimizer.calibration.residuals import Residual

LOW, HIGH = 0.1, 0.9


@dataclass(frozen=True)
class HeldOut:
    metric: str
    inside: bool
    width: float            # high / low of the 10-90 % band
    ape: float              # |predicted / measured - 1| of the model's own estimate
    knowledge: str = ""     # its bands.KNOWLEDGE stratum without its source ("" : engine measured on the family)
    regime: str = "closed"


def held_out(residuals: tuple[Residual, ...], superseded: frozenset[str] = frozenset()) -> list[HeldOut]:
    """One judgement per residual, its source left out of the pool its band is built from. Pass
    every regime's residuals, as the product reads them: which engines a source measured counts
    in any regime (Bands.knowledge)."""
    out = []
    by_source: dict[str, Bands] = {}
    for r in residuals:
        if r.source not in by_source:
            by_source[r.source] = Bands(tuple(x for x in residuals if x.source != r.source), superseded)
        errors = by_source[r.source].errors(r.family, r.engine, r.regime)
        lo, hi = (errors.error_at(part_of(r.metric, r.concurrency), u) for u in (LOW, HIGH))
        out.append(HeldOut(r.metric, lo <= r.log_error <= hi, math.exp(hi - lo), abs(math.exp(r.log_error) - 1),
                           errors.why, r.regime))
    return out


@dataclass(frozen=True)
class Score:
    rows: int
    coverage: float
    median_width: float
    median_ape: float


def score(judged: Iterable[HeldOut], by: Literal["metric", "knowledge"] = "metric") -> dict[str, Score]:
    """Per metric (or per knowledge stratum: by="knowledge") and over all: coverage of the 10-90 %
    band, its median width, median errors."""
    groups: dict[str, list[HeldOut]] = {}
    for j in judged:
        key = j.metric if by == "metric" else j.knowledge or KNOWLEDGE[0]
        groups.setdefault(key, []).append(j)
        groups.setdefault("all", []).append(j)
    return {
        metric: Score(len(js), sum(j.inside for j in js) / len(js), statistics.median(j.width for j in js),
                      statistics.median(j.ape for j in js))
        for metric, js in sorted(groups.items())
    }
