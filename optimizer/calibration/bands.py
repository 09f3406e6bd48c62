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

The pooled errors are then scaled per knowledge stratum (KNOWLEDGE: the engine measured on the card
family by some source, in any regime; the engine never measured there; the family never measured).
A stratum's scale is earned on held-out sources: each measurement's |e| over the 0.8 quantile of
the pool without its source, the stratum judged without that source too, and the scale is the 0.8
quantile of those ratios (Bands.scales). A stratum with fewer than MIN_STRATUM_ROWS such
measurements takes the regime's scale times STATED_WIDENING, an assumption; superseded engine lines
scale only themselves, as they pool. The same scale multiplies every quantile, so the draws
(calibration.draws) read the distribution the bands print.

Why (benchmarks/band_coverage.py; each measurement's source is left out of the pool, the strata
and the scales that judge it, so the scales are cross-validated inside each fold; 2026-12-03
residuals, closed loop, 497 measurements from 25 sources):
- pooled and centred: per-cell quantiles, and folding a cell's median error into the estimate,
  transfer badly between sources (coverage of a 10-90 % band 48-53 %, median errors up from 41 %
  to 47 %); signed (asymmetric) pooled quantiles cover 71.0 % against 74.0 % symmetric;
- scaled, because the pool of the other sources is narrower than a new source's errors (a
  source's rows miss together): unscaled, with the stated widenings alone, the band covers
  74.0 % at a median width of 1.78x; scaled, 77.7 % at 1.90x (throughput 77.2 %, TPOT 76.0 %,
  TTFT 80.3 %). Shipped scales 1.09 / 1.30 / 1.63: only the first is earned (428 held-out rows);
  19 current-engine rows held out as never measured, none as a family never measured, so the
  other two are 1.09 x 1.2 and x 1.5;
- strata rather than one scale for every row (75.5 % at 1.87x): rows whose engine no other source
  measured are the worst predicted, mostly one 2025 source's SGLang 0.4 and vLLM V0 lines;
- saturated runs (SCALED_REGIMES) keep the stated widenings: 79.3 % at 2.73x; scaled, 81.7 % at
  4.15x, because with 16 sources leaving one large sweep out of a fold moves its scale 1.0-1.6.
  Plans read the closed loop only;
- each source weighing n^0.5 for its n rows in a pool, as in the fit (source_weights): with every
  row weighing alike, the large well-predicted sweeps set the pool for everyone (71.4 % overall at
  2.29x, 2026-12-02 fit, unscaled). The scale counts measurements alike, as coverage does.
After calibration_2026f (2026-12-03 refit, 551 closed-loop measurements from 28 sources) the scaled
bands covered 77.9 % at 2.07x, scales 1.10 / 1.30 / 1.63: the 54 new MI300X/MI355X rows, missed more than
most, widen the pool; the figures above are the fit's before them. With EP all-to-alls charged only
under data-parallel attention (perf.comm, refits of 2026-12-03): 77.0 % at 1.99x, scales 1.12 / 1.29 / 1.61,
then, after a change to two rows' predictions that moved the held-out folds, 78.9 % at 2.11x, 1.08 / 1.28 / 1.59.
With AMD's quantized all-reduce on the 45 rows that launch it (2026-12-04 refit): 78.8 % at 1.98x, 1.11 / 1.30 / 1.62;
with rows predicted at their mean drawn lengths (2026-12-04 refit): 77.5 % at 1.96x, 1.09 / 1.28 / 1.61; with
calibration_2026g and card memory as drivers report it (2026-12-04 refit, 771 closed-loop measurements from 38
sources): 79.9 % at 1.80x, 0.96 / 1.01 / 1.46 (the second earned on 73 held-out rows).
A cell's systematic error is the fit's family and engine effect, already in the estimate.
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
KNOWLEDGE = ("engine measured on the card family", "engine never measured on this card family", "card family never measured")
SCALE_COVERAGE = 0.8      # the band the scales are calibrated on: 10-90 %
# A 0.8 quantile of fewer ratios moves by a whole row's ratio with one row: below this many held-out
# measurements a stratum takes its regime's scale, widened by a stated factor.
MIN_STRATUM_ROWS = 20
STATED_WIDENING = (1.0, 1.2, 1.5)   # per KNOWLEDGE stratum: an assumption, used only where data are too few
SCALED_REGIMES = ("closed",)   # saturated runs: too few sources for held-out scales (module docstring)
MIN_EDGE = 0.01           # a pool edge below a 1 % error is noise: ratios over it would explode
SCALE_RANGE = (0.5, 10.0)   # a few lucky or wild rows neither collapse a band nor make it meaningless
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


Pool = dict[str, tuple[tuple[float, float], ...]]   # part -> (|e|, weight), sorted by |e|


@dataclass(frozen=True)
class CellErrors:
    """The error distributions one cell is judged with: |e| per part, sorted, the held-out scale
    of its knowledge stratum, and the stratum's name when the engine or family was never measured."""

    magnitudes: Pool
    scale: float
    why: str = ""

    def error_at(self, part: str, u: float) -> float:
        """The u-quantile (0 < u < 1) of the part's log error: symmetric around 0, so 0 at the median."""
        if u == 0.5:
            return 0.0
        mags = self.magnitudes.get(part) or NO_RESIDUALS
        a = _quantile(mags, abs(2 * u - 1)) * self.scale
        return a if u >= 0.5 else -a

    def factors(self, part: str, coverage: float) -> tuple[float, float]:
        """(low, high) multipliers on a prediction holding the measured value at this coverage."""
        a = self.error_at(part, 0.5 + coverage / 2)
        return math.exp(-a), math.exp(a)


@dataclass(frozen=True)
class Band:
    """Multiplicative band: measured values are expected between predicted x low_factor and
    predicted x high_factor at the stated coverage; `rows` is how many held-out measurements of
    the family back it, `widened` names the stratum when the engine or family was never measured."""

    low_factor: float
    high_factor: float
    rows: int
    widened: str

    def apply(self, predicted: float) -> tuple[float, float]:
        return predicted * self.low_factor, predicted * self.high_factor


@dataclass(frozen=True)
class Bands:
    """The cross-validated residuals and which engine lines are superseded; pools, scales and cell
    errors are memoised on the value (it is frozen, so they cannot go stale)."""

    residuals: tuple[Residual, ...]
    superseded: frozenset[str] = frozenset()
    _errors: dict[tuple[str, str, str], CellErrors] = field(default_factory=dict, compare=False, repr=False)
    _pools: dict[tuple[str, str | None, bool], Pool] = field(default_factory=dict, compare=False, repr=False)
    _scales: dict[tuple[str, bool], tuple[float, ...]] = field(default_factory=dict, compare=False, repr=False)
    _measured_by: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def errors(self, family: str, engine: str, regime: str = "closed") -> CellErrors:
        key = (family, engine, regime)
        if key not in self._errors:
            k = self.knowledge(family, engine)
            old = engine in self.superseded
            why = KNOWLEDGE[k] if k else ""   # a band says why only when it is wider than a measured cell's
            self._errors[key] = CellErrors(self._pool(regime, None, old), self.scales(regime, old)[k], why)
        return self._errors[key]

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

    def knowledge(self, family: str, engine: str, without: str | None = None) -> int:
        """Index into KNOWLEDGE: whether a published source other than `without` measured the
        engine on the card family, or only the family, or neither, in any regime (each measurement
        informs the fitted effects the estimate carries)."""
        if not self._measured_by:
            found: dict[tuple[str, ...], set[str]] = {}
            for r in self.residuals:
                found.setdefault((r.family, r.engine), set()).add(r.source)
                found.setdefault((r.family,), set()).add(r.source)
            self._measured_by.update((k, frozenset(v)) for k, v in found.items())
        if self._measured_by.get((family, engine), frozenset()) - {without}:
            return 0
        return 1 if self._measured_by.get((family,), frozenset()) - {without} else 2

    def scales(self, regime: str, with_superseded: bool = False) -> tuple[float, ...]:
        """Per KNOWLEDGE stratum, the multiplier on the pooled errors that makes the 10-90 % band
        hold SCALE_COVERAGE of held-out measurements: each measurement's |e| over the 0.8 quantile
        of the pool without its source, the stratum's SCALE_COVERAGE quantile of those ratios (the
        stratum judged as it was without that source). A stratum of fewer than MIN_STRATUM_ROWS
        takes its whole regime's ratio times its STATED_WIDENING; a less-known stratum is never
        sharper than a better-known one; scales stay within SCALE_RANGE, and a row no other source
        measured the part of is not judged. Superseded engine lines are judged, like their pools,
        only for a superseded engine (an old release measured once is not evidence of how a current
        engine transfers), and never more sharply than current engines."""
        key = (regime, with_superseded)
        if key not in self._scales:
            self._scales[key] = self._held_out_scales(regime, with_superseded)
        return self._scales[key]

    def _held_out_scales(self, regime: str, with_superseded: bool) -> tuple[float, ...]:
        rows = [r for r in self.residuals if r.regime == regime and (with_superseded or not r.superseded)]
        if regime not in SCALED_REGIMES or len({r.source for r in rows}) < 2:
            return STATED_WIDENING   # nothing to hold out: the pooled errors, stated widenings
        ratios: list[list[float]] = [[] for _ in KNOWLEDGE]
        for r in rows:
            others = self._pool(regime, r.source, with_superseded)[part_of(r.metric, r.concurrency)]
            if not others:   # no other source measured this part: nothing to judge the row against
                continue
            edge = max(_quantile(others, SCALE_COVERAGE), MIN_EDGE)
            ratios[self.knowledge(r.family, r.engine, without=r.source)].append(abs(r.log_error) / edge)
        whole = _ratio_quantile([x for stratum in ratios for x in stratum])
        out: list[float] = []
        for stratum, widen in zip(ratios, STATED_WIDENING, strict=True):
            scale = _ratio_quantile(stratum) if len(stratum) >= MIN_STRATUM_ROWS else whole * widen
            floor = max(SCALE_RANGE[0], out[-1]) if out else SCALE_RANGE[0]   # less known: never sharper
            out.append(min(max(scale, floor), SCALE_RANGE[1]))
        if with_superseded:   # an old release line is never judged more precisely than current engines
            out = [max(a, b) for a, b in zip(out, self.scales(regime, False), strict=True)]
        return tuple(out)

    def _pool(self, regime: str, without: str | None, with_superseded: bool) -> Pool:
        """The regime's |e| per part, sorted, each weighted by its source (source_weights), the rows
        of `without` left out; superseded engine lines only for a superseded engine, or when
        nothing current remains."""
        key = (regime, without, with_superseded)
        if key in self._pools:
            return self._pools[key]
        regime_rows = [r for r in self.residuals if r.regime == regime and r.source != without]
        current = [r for r in regime_rows if with_superseded or not r.superseded] or regime_rows
        weight = source_weights(current)
        parts: dict[str, tuple[tuple[float, float], ...]] = {}
        for part in PARTS:
            rows = [r for r in current if part_of(r.metric, r.concurrency) == part]
            if part in ("prefill", "ttft", "queue") and len(rows) < MIN_PART_ROWS:
                rows = [r for r in current if r.metric == "ttft_ms"]
            parts[part] = tuple(sorted((abs(r.log_error), weight[r.source]) for r in rows))
        self._pools[key] = parts
        return parts


def _ratio_quantile(ratios: list[float]) -> float:
    """SCALE_COVERAGE quantile of held-out ratios, each measurement weighing alike (coverage is
    judged per measurement); no ratios: 1."""
    if not ratios:
        return 1.0
    return _quantile(tuple((x, 1.0) for x in sorted(ratios)), SCALE_COVERAGE)


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
