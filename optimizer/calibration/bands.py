"""Error bands: how far out of sample the model has been seen to miss.

`catalog/fit_residuals.csv` (calibration.residuals) holds each calibration row's leave-one-source-out
log error e = ln(predicted / measured); the measured value is predicted x exp(-e). The bands are
read from those errors, pooled over every cell, per metric part and regime:

- throughput and TPOT; TTFT split by the requests a replica held at once, because its error is the
  prefill's when nothing queues (<= 4), the queue's when much does (> 16), a mix in between;
- closed loop (what plans are sized for) apart from saturated runs (bursts, prefill/decode
  instances), whose errors differ;
- symmetric around the model's own estimate: the quantile u of e is +-Q|e|(|2u - 1|);
- each source weighing n^0.5 for its n rows, as in the fit (source_weights).

Why pooled and centred (benchmarks/band_coverage.py, each measurement's source left out of the pool
that judges it): per-cell quantiles, and folding a cell's median error into the estimate, transfer
badly between sources (coverage of a 10-90 % band 49-53 %, median errors up from 41 % to 47 %);
pooled symmetric bands with each source weighing n^0.5 cover 73.7 % (throughput), 73.2 % (TPOT) and
75.5 % (TTFT) of 497 closed-loop measurements from 25 sources, 74.0 % overall, median width 1.78 /
1.76 / 3.28x (2026-12-03 refit: decode attention's own MFU, the front end's pace apart from its
latency). With every row weighing alike, the large well-predicted sweeps set
the band for everyone: 71.4 % overall at 2.29x (2026-12-02 fit). A cell's systematic error is the fit's family and engine effect,
already in the estimate. A card family no published run measured gets the pooled errors widened by
WIDEN_FAMILY_UNSEEN, an engine never measured on the family by WIDEN_ENGINE_UNSEEN. Pools per
knowledge stratum (cell measured by another source / family only) instead of the two constants
were judged the same way and cover less (71.7 % overall; 43 % where only the family was measured).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from optimizer import units
from optimizer.calibration.residuals import REGIMES, Residual, read_residuals
from optimizer.catalog.bundle import Catalog
from optimizer.perf.evaluate import ReplicaPerf

QUEUE_FREE_CONCURRENCY = 4   # at most this many requests per replica: TTFT is its prefill
QUEUED_CONCURRENCY = 16      # more: TTFT is mostly the wait in the queue
MIN_PART_ROWS = 8            # fewer pooled rows in a TTFT part: use every TTFT row of the regime
WIDEN_FAMILY_UNSEEN = 1.5
WIDEN_ENGINE_UNSEEN = 1.2
NO_RESIDUALS = ((math.log(2.0), 1.0),)   # no residuals shipped: a factor of 2 either way
SOURCE_WEIGHT_POWER = 0.5  # a source's rows weigh n^-0.5 each in a pool (see source_weights)
PARTS = ("throughput", "tpot", "prefill", "ttft", "queue")


def _quantile(pairs: Sequence[tuple[float, float]], q: float) -> float:
    """Weighted, linearly interpolated quantile of (value, weight) pairs sorted by value: the i-th
    value sits at the weight before it over the weight of all but the last, so equal weights give
    numpy's default quantile."""
    if len(pairs) == 1:
        return pairs[0][0]
    span = sum(w for _, w in pairs[:-1])
    below = 0.0
    for (v0, w0), (v1, _) in itertools.pairwise(pairs):
        lo, hi = below / span, (below + w0) / span
        if q <= hi:
            return v0 + (v1 - v0) * ((q - lo) / (hi - lo) if hi > lo else 0.0)
        below += w0
    return pairs[-1][0]


def source_weights(rows: Sequence[Residual]) -> dict[str, float]:
    """Each row's weight in a pool: a source of n rows weighs n^0.5 in all (n^-0.5 a row), as in the
    fit (calibration.fit.row_weights), so one large sweep cannot set the band for every other source."""
    n: dict[str, int] = {}
    for r in rows:
        n[r.source] = n.get(r.source, 0) + 1
    return {src: k ** -SOURCE_WEIGHT_POWER for src, k in n.items()}


def part_of(metric: str, concurrency: int) -> str:
    """The error part a metric at a concurrency per replica is judged on."""
    if metric == "tpot_ms":
        return "tpot"
    if metric == "ttft_ms":
        if concurrency <= QUEUE_FREE_CONCURRENCY:
            return "prefill"
        return "queue" if concurrency > QUEUED_CONCURRENCY else "ttft"
    return "throughput"  # output tok/s, per card or per system, and prefill tok/s


@dataclass(frozen=True)
class CellErrors:
    """The error distributions one cell is judged with: |e| per part, sorted, and the widening."""

    magnitudes: dict[str, tuple[tuple[float, float], ...]]   # part -> (|e|, weight), sorted by |e|
    widen: float
    why: str = ""

    def error_at(self, part: str, u: float) -> float:
        """The u-quantile (0 < u < 1) of the part's log error: symmetric around 0."""
        mags = self.magnitudes.get(part) or NO_RESIDUALS
        a = _quantile(mags, abs(2 * u - 1)) * self.widen
        return a if u >= 0.5 else -a

    def factors(self, part: str, coverage: float) -> tuple[float, float]:
        """(low, high) multipliers on a prediction holding the measured value at this coverage."""
        a = self.error_at(part, 0.5 + coverage / 2)
        return math.exp(-a), math.exp(a)


@dataclass(frozen=True)
class Band:
    """Multiplicative band: measured values are expected between predicted x low_factor and
    predicted x high_factor at the stated coverage; `rows` is how many held-out measurements of
    the family back it, `widened` says why it was widened."""

    low_factor: float
    high_factor: float
    rows: int
    widened: str

    def apply(self, predicted: float) -> tuple[float, float]:
        return predicted * self.low_factor, predicted * self.high_factor


@dataclass(frozen=True)
class Bands:
    """The cross-validated residuals and which engine lines are superseded; the pooled error
    distributions are memoised on the value (it is frozen, so they cannot go stale)."""

    residuals: tuple[Residual, ...]
    superseded: frozenset[str] = frozenset()
    _memo: dict[tuple[str, str, str], CellErrors] = field(default_factory=dict, compare=False, repr=False)

    def errors(self, family: str, engine: str, regime: str = "closed") -> CellErrors:
        key = (family, engine, regime)
        if key not in self._memo:
            self._memo[key] = self._errors(family, engine, regime)
        return self._memo[key]

    def band(
        self, family: str, engine: str, model_class: str, metric: str, coverage: float = 0.8, mode: str = "closed",
        concurrency: int = 1,
    ) -> Band:
        """Central `coverage` band (0.8 = 10-90 %) for one prediction of `metric` in a run of `mode`
        (closed loop by default: what plans are sized for) at `concurrency` requests per replica."""
        errors = self.errors(family, engine, REGIMES.get(mode, "closed"))
        low, high = errors.factors(part_of(metric, concurrency), coverage)
        rows = sum(r.family == family and r.model_class == model_class for r in self.residuals)
        return Band(low, high, rows, errors.why)

    def _errors(self, family: str, engine: str, regime: str) -> CellErrors:
        current = [r for r in self.residuals if r.regime == regime and (engine in self.superseded or not r.superseded)]
        if not current:
            current = [r for r in self.residuals if r.regime == regime]
        weight = source_weights(current)
        parts: dict[str, tuple[tuple[float, float], ...]] = {}
        for part in PARTS:
            rows = [r for r in current if part_of(r.metric, r.concurrency) == part]
            if part in ("prefill", "ttft", "queue") and len(rows) < MIN_PART_ROWS:
                rows = [r for r in current if r.metric == "ttft_ms"]
            parts[part] = tuple(sorted((abs(r.log_error), weight[r.source]) for r in rows))
        family_rows = [r for r in self.residuals if r.family == family]
        if not family_rows:
            return CellErrors(parts, WIDEN_FAMILY_UNSEEN, "card family never measured")
        if not any(r.engine == engine for r in family_rows):
            return CellErrors(parts, WIDEN_ENGINE_UNSEEN, f"{engine} never measured on this family")
        return CellErrors(parts, 1.0)


def load_bands(catalog: Catalog) -> Bands:
    """The bands of a catalog: its shipped residuals, with its superseded engine lines marked."""
    superseded = catalog.superseded_engines
    return Bands(read_residuals(catalog.root, superseded), superseded)


def replica_bands(bands: Bands, p: ReplicaPerf) -> dict[str, tuple[float, float]]:
    """10-90 % bands of a replica's TTFT, TPOT (ms) and output tokens/s at its concurrency."""
    values = {"ttft_ms": units.s_to_ms(p.ttft_s), "tpot_ms": units.s_to_ms(p.tpot_s), "output_tokens_per_s": p.output_tokens_per_s}
    metric_of = {"ttft_ms": "ttft_ms", "tpot_ms": "tpot_ms", "output_tokens_per_s": "output_tok_s"}
    return {
        key: bands.band(p.family, p.engine, p.model_class, metric_of[key], concurrency=p.batch).apply(value)
        for key, value in values.items()
    }
