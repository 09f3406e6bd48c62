"""Model error as a committee should read it: one shared shock per cell, drawn many times.

A cell is a card family x serving engine x model class (dense | moe). Its systematic error is shared
by every design of the cell, and one published run's errors move together, so a draw is one
`Shock` per cell: multipliers on the predicted throughput, TPOT, and the two parts of TTFT (the
prefill, and the queueing wait in front of it, whose errors differ: a design far from saturation is
not charged a queue it does not have).

The errors of a metric in a cell are the cross-validated log errors e = ln(predicted / measured) of
the cell's held-out published runs, shrunk toward the pooled errors of the metric (cell weight
n / (n + SHRINK_ROWS), as the bands), and widened where the cell is unmeasured. The measured value
is predicted x exp(-e). A draw takes one uniform rank u per cell and reads every metric at it, in the
direction in which a bad day is bad for all of them at once: latencies at the u-quantile of their
errors, throughput at the (1 - u)-quantile. The centre (confidence 0.5) is u = 0.5: the cell's median
error folded into the estimate, so the central estimate is unbiased.

Ranks are stratified ((k + 1/2) / K for k < K) and shuffled per cell with a generator seeded from
the cell's name, so draws are reproducible to the byte and independent between cells.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field

from optimizer.calibration.bands import SHRINK_ROWS, Bands, _quantile
from optimizer.calibration.residuals import Residual

QUEUE_FREE_CONCURRENCY = 4   # runs with at most this many requests per replica: TTFT is prefill
QUEUED_CONCURRENCY = 16      # runs with more: TTFT is mostly the queueing wait
MIN_ROWS = 5                 # fewer pooled rows in a regime: use every closed-loop TTFT row
UNMEASURED_WIDEN = 1.5       # spread of a cell no published run backs, around the pooled median
DEFAULT_DRAWS = 24


@dataclass(frozen=True)
class Shock:
    """Multipliers on one design's central predictions (the model's own numbers)."""

    throughput: float = 1.0
    tpot: float = 1.0
    prefill: float = 1.0
    queue: float = 1.0


NO_SHOCK = Shock()


@dataclass(frozen=True)
class Cell:
    family: str
    engine: str
    model_class: str

    @property
    def name(self) -> str:
        return f"{self.family}/{self.engine}/{self.model_class}"


@dataclass(frozen=True)
class CellErrors:
    """The error quantile functions of one cell, per metric part, after shrinkage and widening."""

    throughput: tuple[tuple[float, ...], tuple[float, ...], float]   # (cell errors, pooled errors, cell weight)
    tpot: tuple[tuple[float, ...], tuple[float, ...], float]
    prefill: tuple[tuple[float, ...], tuple[float, ...], float]
    queue: tuple[tuple[float, ...], tuple[float, ...], float]
    widen: float
    rows: int

    def at(self, u: float) -> Shock:
        """The shock at rank u (0 < u < 1): latencies at their u-quantile error, throughput at 1 - u."""
        return Shock(
            throughput=math.exp(-self._q(self.throughput, 1 - u)),
            tpot=math.exp(-self._q(self.tpot, u)),
            prefill=math.exp(-self._q(self.prefill, u)),
            queue=math.exp(-self._q(self.queue, u)),
        )

    def _q(self, part: tuple[tuple[float, ...], tuple[float, ...], float], u: float) -> float:
        cell, pooled, w = part
        if not pooled:
            return 0.0
        centre = w * (_quantile(list(cell), 0.5) if cell else 0.0) + (1 - w) * _quantile(list(pooled), 0.5)
        value = w * (_quantile(list(cell), u) if cell else 0.0) + (1 - w) * _quantile(list(pooled), u)
        return centre + (value - centre) * self.widen


def _part(residuals: list[Residual], cell: Cell, metric: str, keep: object = None) -> tuple[tuple[float, ...], tuple[float, ...], float]:
    pooled = [r for r in residuals if r.metric == metric and (keep is None or keep(r))]  # type: ignore[operator]
    if metric == "ttft_ms" and len(pooled) < MIN_ROWS:
        pooled = [r for r in residuals if r.metric == metric]
    own = [r.log_error for r in pooled if (r.family, r.engine, r.model_class) == (cell.family, cell.engine, cell.model_class)]
    return tuple(own), tuple(r.log_error for r in pooled), len(own) / (len(own) + SHRINK_ROWS)


def cell_errors(bands: Bands, cell: Cell) -> CellErrors:
    """The cell's error distributions from the bands' residuals: closed-loop runs of current engine
    lines (a superseded line's errors only for that line itself)."""
    own_line_superseded = cell.engine in bands.superseded
    closed = [r for r in bands.residuals if r.regime == "closed" and (own_line_superseded or not r.superseded)]
    measured = any(r.family == cell.family for r in closed)
    return CellErrors(
        throughput=_part(closed, cell, "output_tok_s"),
        tpot=_part(closed, cell, "tpot_ms"),
        prefill=_part(closed, cell, "ttft_ms", lambda r: r.concurrency <= QUEUE_FREE_CONCURRENCY),
        queue=_part(closed, cell, "ttft_ms", lambda r: r.concurrency > QUEUED_CONCURRENCY),
        widen=1.0 if measured else UNMEASURED_WIDEN,
        rows=sum((r.family, r.engine, r.model_class) == (cell.family, cell.engine, cell.model_class) for r in closed),
    )


def ranks(cell: Cell, draws: int, seed: int = 0) -> list[float]:
    """Stratified ranks in (0, 1), shuffled by a generator seeded from the cell and `seed`."""
    digest = hashlib.sha256(f"{seed}:{cell.name}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    us = [(k + 0.5) / draws for k in range(draws)]
    rng.shuffle(us)
    return us


@dataclass(frozen=True)
class ErrorModel:
    """The draws of one run: `draws` shocks per cell (and the centre), memoised per cell."""

    bands: Bands
    draws: int = DEFAULT_DRAWS
    seed: int = 0
    _cells: dict[Cell, tuple[CellErrors, list[float]]] = field(default_factory=dict, compare=False, repr=False)

    def _cell(self, cell: Cell) -> tuple[CellErrors, list[float]]:
        if cell not in self._cells:
            self._cells[cell] = (cell_errors(self.bands, cell), ranks(cell, self.draws, self.seed))
        return self._cells[cell]

    def errors(self, cell: Cell) -> CellErrors:
        return self._cell(cell)[0]

    def shock(self, cell: Cell, draw: int | None) -> Shock:
        """Draw number `draw` (0-based) of the cell; None: the centre (every metric at its median)."""
        errors, us = self._cell(cell)
        return errors.at(0.5 if draw is None else us[draw])
