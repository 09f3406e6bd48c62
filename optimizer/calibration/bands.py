"""Error bands: how far out of sample the model has been seen to miss, per cell.

`catalog/fit_residuals.csv` (calibration.residuals) holds each calibration row's leave-one-source-out
log error ln(predicted / measured) with its cell: card family, engine, model class (dense | moe)
and metric group. A prediction's band at quantile q is predicted x exp(-Q_{1-q}) .. where Q is the
quantile of the errors of its cell, shrunk toward the pooled errors of the metric:

    cell weight = n / (n + SHRINK_ROWS),

and widened where the cell is thin or the prediction extrapolates: an engine never measured on
that family, a family measured only on dense models predicting an MoE model, a family never
measured at all. The 10-90 % band is the default; `sla.confidence` picks the quantile designs must
meet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optimizer import units
from optimizer.calibration.residuals import REGIMES, Residual, read_residuals
from optimizer.calibration.rows import Prediction, concurrency_per_replica
from optimizer.catalog.bundle import Catalog
from optimizer.perf.evaluate import ReplicaPerf

SHRINK_ROWS = 10
WIDEN_ENGINE_UNSEEN_ON_FAMILY = 1.4
WIDEN_CLASS_UNSEEN_ON_FAMILY = 1.5
WIDEN_FAMILY_UNSEEN = 2.0
METRIC_GROUPS = ("output_tok_s", "tpot_ms", "ttft_ms")


def _quantile(values: list[float], q: float) -> float:
    """Linear-interpolated quantile (numpy's default), of a non-empty list."""
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass(frozen=True)
class Band:
    """Multiplicative band: measured values are expected between predicted x low_factor and
    predicted x high_factor at the stated coverage; `rows` backs the cell, `widened` says why
    it was widened."""

    low_factor: float
    high_factor: float
    rows: int
    widened: str

    def apply(self, predicted: float) -> tuple[float, float]:
        return predicted * self.low_factor, predicted * self.high_factor


CONCURRENCY_BUCKETS = (4, 16, 64)   # upper edges: 1-4, 5-16, 17-64, above
MIN_BUCKET_ROWS = 15                # fewer pooled rows in a bucket: use every bucket


def _bucket(concurrency: int) -> int:
    return next((i for i, edge in enumerate(CONCURRENCY_BUCKETS) if concurrency <= edge), len(CONCURRENCY_BUCKETS))


def _group(metric: str) -> str:
    return "output_tok_s" if metric.startswith("output_tok_s") or metric.startswith("prefill") else metric


BandKey = tuple[str, str, str, str, float, str, int]


@dataclass(frozen=True)
class Bands:
    """The cross-validated residuals and what the bands of one catalog need of it (which engine
    lines are superseded). Bands are memoised on the value: it is frozen, so they cannot go stale."""

    residuals: tuple[Residual, ...]
    superseded: frozenset[str] = frozenset()
    _memo: dict[BandKey, Band] = field(default_factory=dict, compare=False, repr=False)

    def band(
        self, family: str, engine: str, model_class: str, metric: str, coverage: float = 0.8, mode: str = "closed",
        concurrency: int = 1,
    ) -> Band:
        """Central `coverage` band (0.8 = 10-90 %) for one prediction of `metric` in a run of `mode`
        (closed loop by default: what plans are sized for) at `concurrency` requests per replica:
        errors grow with the queue, so closed-loop residuals are pooled within a concurrency bucket."""
        regime = REGIMES.get(mode, "closed")
        bucket = _bucket(concurrency) if regime == "closed" else -1
        key = (family, engine, model_class, _group(metric), round(coverage, 6), regime, bucket)
        if key not in self._memo:
            self._memo[key] = self._band(*key)
        return self._memo[key]

    def quantile_factor(
        self, family: str, engine: str, model_class: str, metric: str, confidence: float, *, upper: bool,
        concurrency: int = 1,
    ) -> float:
        """The factor on a prediction at which the measured value stays below (upper) or above
        (lower) it with probability `confidence`: a design meets a latency SLA at confidence q when
        predicted x upper factor is within it. confidence 0.5: the median error."""
        b = self.band(family, engine, model_class, metric, coverage=max(2 * confidence - 1, 0.0) or 1e-9,
                      concurrency=concurrency)
        return b.high_factor if upper else b.low_factor

    def _band(self, family: str, engine: str, model_class: str, metric: str, coverage: float, regime: str,
              bucket: int) -> Band:
        own_line_superseded = engine in self.superseded
        same_metric = [r for r in self.residuals if r.metric == metric and (own_line_superseded or not r.superseded)]
        residuals = [r for r in same_metric if r.regime == regime] or same_metric
        in_bucket = [r for r in residuals if bucket < 0 or _bucket(r.concurrency) == bucket]
        if len(in_bucket) >= MIN_BUCKET_ROWS:
            residuals = in_bucket
        if not residuals:
            return Band(0.5, 2.0, 0, "no cross-validated residuals shipped")
        q_lo, q_hi = (1 - coverage) / 2, 1 - (1 - coverage) / 2
        pooled = [r.log_error for r in residuals]
        cell = [r.log_error for r in residuals if (r.family, r.engine, r.model_class) == (family, engine, model_class)]
        w = len(cell) / (len(cell) + SHRINK_ROWS)
        # Errors are ln(predicted / measured): the measured value is predicted x exp(-error).
        hi = w * (-_quantile(cell, q_lo) if cell else 0.0) + (1 - w) * -_quantile(pooled, q_lo)
        lo = w * (-_quantile(cell, q_hi) if cell else 0.0) + (1 - w) * -_quantile(pooled, q_hi)
        widen, why = 1.0, []
        fam_rows = [r for r in residuals if r.family == family]
        if not fam_rows:
            widen, why = WIDEN_FAMILY_UNSEEN, ["card family never measured"]
        else:
            if not any(r.engine == engine for r in fam_rows):
                widen *= WIDEN_ENGINE_UNSEEN_ON_FAMILY
                why.append(f"{engine} never measured on this family")
            if not any(r.model_class == model_class for r in fam_rows):
                widen *= WIDEN_CLASS_UNSEEN_ON_FAMILY
                why.append(f"family measured on no {model_class} model")
        centre = (hi + lo) / 2
        half = (hi - lo) / 2 * widen
        return Band(math.exp(centre - half), math.exp(centre + half), len(cell), "; ".join(why))


def load_bands(catalog: Catalog) -> Bands:
    """The bands of a catalog: its shipped residuals, with its superseded engine lines marked."""
    superseded = catalog.superseded_engines
    return Bands(read_residuals(catalog.root, superseded), superseded)


def replica_bands(bands: Bands, p: ReplicaPerf) -> dict[str, tuple[float, float]]:
    """10-90 % bands of a replica's TTFT, TPOT (ms) and output tokens/s, from the cross-validated
    errors of its card family, engine and model class at its concurrency."""
    values = {"ttft_ms": units.s_to_ms(p.ttft_s), "tpot_ms": units.s_to_ms(p.tpot_s), "output_tokens_per_s": p.output_tokens_per_s}
    metric_of = {"ttft_ms": "ttft_ms", "tpot_ms": "tpot_ms", "output_tokens_per_s": "output_tok_s"}
    return {
        key: bands.band(p.family, p.engine, p.model_class, metric_of[key], concurrency=p.batch).apply(value)
        for key, value in values.items()
    }


def prediction_band(bands: Bands, catalog: Catalog, p: Prediction) -> tuple[float, float] | None:
    """10-90 % band of a calibration row's prediction in the row's own metric and units."""
    if p.predicted is None or p.row.engine is None:
        return None
    card, model = catalog.cards[p.row.card_id], catalog.models[p.row.model_id]
    b = bands.band(card.family, p.row.engine, "moe" if model.moe else "dense", p.row.metric, mode=p.row.mode,
                   concurrency=concurrency_per_replica(p.row))
    return b.apply(p.predicted)
