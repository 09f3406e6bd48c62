"""Model error as a committee should read it: one shared shock per cell, drawn many times.

A cell is a card family x serving engine x model class (dense | moe). Its error is shared by every
design of the cell (they run the same kernels on the same hardware under the same engine), and a
published run's errors move together, so a draw is one `Shock` per cell: multipliers on the
predicted throughput, TPOT, and the two parts of TTFT: the prefill, and the wait in front of it,
whose errors differ (a design far from saturation is not charged a queue it does not have).

A draw takes one uniform rank u per cell and reads every part at it (calibration.bands: pooled,
symmetric held-out errors), in the direction in which a bad day is bad for all of them at once:
latencies at the u-quantile of their errors, throughput at the (1 - u)-quantile. The centre
(confidence 0.5) is u = 0.5: the model's own estimate, whose systematic error per family and engine
is the fit's effect. Ranks are stratified ((k + 1/2) / K for k < K) and shuffled per cell with a
generator seeded from the cell's name, so draws are reproducible to the byte and independent between
cells.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field

from optimizer.calibration.bands import Bands, CellErrors

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


def shock_at(errors: CellErrors, u: float) -> Shock:
    """The shock at rank u (0 < u < 1): latencies at their u-quantile error, throughput at 1 - u;
    the measured value is predicted x exp(-error)."""
    return Shock(
        throughput=math.exp(-errors.error_at("throughput", 1 - u)),
        tpot=math.exp(-errors.error_at("tpot", u)),
        prefill=math.exp(-errors.error_at("prefill", u)),
        queue=math.exp(-errors.error_at("queue", u)),
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
            self._cells[cell] = (self.bands.errors(cell.family, cell.engine), ranks(cell, self.draws, self.seed))
        return self._cells[cell]

    def worse_order(self, cell: Cell) -> list[int]:
        """The cell's draws from its best day to its worst (rank u falling: every latency multiplier
        rises and the throughput multiplier falls along it)."""
        _, us = self._cell(cell)
        return sorted(range(len(us)), key=lambda k: -us[k])

    def shock(self, cell: Cell, draw: int | None) -> Shock:
        """Draw number `draw` (0-based) of the cell; None: the centre (the model's own estimate)."""
        if draw is None:
            return NO_SHOCK
        errors, us = self._cell(cell)
        return shock_at(errors, us[draw])
