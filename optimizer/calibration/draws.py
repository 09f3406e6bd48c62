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

Besides the K sampled draws, a draw may sit at an exact quantile of a cell's answer (`quantile_draw`):
where every design shares one cell, the answer worsens along the cell's rank, so the plan that meets
the SLAs on a share q of the cell's days is the plan sized at rank u = 1 - q, not at the nearest
sampled rank below it (1 - 19.5 / 24 = 0.1875 for q = 0.8 at 24 draws, which sizes for 81.25 % of
days). Such draws are numbered after the sampled ones, by q in thousandths.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field

from optimizer.calibration.bands import Bands, CellErrors

DEFAULT_DRAWS = 24
QUANTILE_STEPS = 1000   # a quantile draw's q is kept in thousandths (confidence is at most 0.99)


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

    def quantile_draw(self, q: float) -> int:
        """The draw at exactly the q-quantile of a cell's answer (a share q of its days are no worse)."""
        steps = round(q * QUANTILE_STEPS)
        if not 0 < steps < QUANTILE_STEPS:
            raise ValueError(f"a quantile draw needs 0 < q < 1, got {q}")
        return self.draws + steps

    def quantile_of(self, draw: int) -> float | None:
        """The q of a quantile draw; None for a sampled one."""
        return (draw - self.draws) / QUANTILE_STEPS if draw >= self.draws else None

    def rank(self, cell: Cell, draw: int) -> float:
        """The rank u of the cell's draw (u falls as the day worsens: a quantile draw q sits at 1 - q)."""
        q = self.quantile_of(draw)
        return self._cell(cell)[1][draw] if q is None else 1 - q

    def describe(self, draw: int | None) -> str:
        """How a report names the draw a design was sized under."""
        if draw is None:
            return "the central estimate"
        q = self.quantile_of(draw)
        return f"draw {draw + 1} of {self.draws}" if q is None else f"the {q:.1%} quantile of the model's error"

    def shock(self, cell: Cell, draw: int | None) -> Shock:
        """Draw number `draw` (0-based, or a quantile draw) of the cell; None: the centre (the model's own estimate)."""
        if draw is None:
            return NO_SHOCK
        return shock_at(self._cell(cell)[0], self.rank(cell, draw))
