"""Fit the efficiency factors on published measurements, honestly: bounded least squares on the
log error of every row, partial pooling by Gaussian priors, and leave-one-source-out errors.

Parameters, all in link space (efficiency.FACTOR_LINKS): one pooled value per factor, one effect
per (card family, factor) and one per (engine, factor). A row's factors are
inverse link(pooled + family effect + engine effect). The objective is

    sum over rows of w_row x soft_l1(log(predicted / measured))   (robust: one odd row cannot drag a cell)
  + sum over effects of (effect / prior_sd)^2                     (shrinks thin families and engines; the
                                                                   s.d. may differ between family and engine
                                                                   effects: prior_sd_family, prior_sd_engine)
  + sum over factors of ((pooled - start) / PRIOR_SD_POOLED)^2     (a weak pull to stated values)

Row weights: a source with n rows weighs n^0.5 in all (w_row = n^-0.25 per row), so one large sweep
cannot outvote every other publication; TTFT rows weigh half (they measure queueing and the HTTP
front end as much as the GPU). Cross-validation refits with every row of one source left out and
predicts that source's rows: its own rows never enter the fit that predicts them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.sparse import lil_matrix

from optimizer.calibration.predict_rows import Prediction, predict_row
from optimizer.calibration.rows import CalibrationRow, metric_group, source_key
from optimizer.catalog.efficiency import FACTORS, Efficiency, FitEffects, GlobalFactors, engine_lineage, from_link, to_link
from optimizer.catalog.records import load_cards, load_models

PRIOR_SD_POOLED = 1.5
TTFT_WEIGHT = 0.5
FAILED_RESIDUAL = 3.0       # a row the trial factors cannot predict at all
SOFT_L1_SCALE = 0.3         # |log error| beyond ~30 % counts linearly, not quadratically
MOE_ONLY = {"expert_bw", "expert_mfu", "moe_layer_us"}
# Least-squares evaluations: a fold warm-started at the full fit stays in that fit's basin within a
# few (benchmarks/fit_basins.py); the full fit, and a fold from the prior centre, get this many
# (some folds from the prior centre use them all).
WARM_FOLD_EVALUATIONS = 12
CONVERGED_EVALUATIONS = 150


@dataclass(frozen=True)
class Layout:
    """Which parameter is where in the vector the optimiser moves."""

    families: tuple[str, ...]
    engines: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(FACTORS) * (1 + len(self.families) + len(self.engines))

    def pooled_index(self, k: int) -> int:
        return k

    def family_index(self, f: int, k: int) -> int:
        return len(FACTORS) * (1 + f) + k

    def engine_index(self, e: int, k: int) -> int:
        return len(FACTORS) * (1 + len(self.families) + e) + k


def fit_rows(rows: Iterable[CalibrationRow]) -> list[CalibrationRow]:
    """Rows the fit can use: model and card in the catalog, an engine profile, a modelled metric, and
    a split the source states (or one card that holds the model)."""
    cards, models = load_cards(), load_models()
    usable = [r for r in rows if r.model_id in models and r.card_id in cards and r.engine is not None and r.value > 0]
    return [r for r in usable if r.layout_stated or predict_row(r).predicted is not None]


def _layout(rows: list[CalibrationRow]) -> Layout:
    cards = load_cards()
    families = tuple(sorted({cards[r.card_id].family for r in rows}))
    engines = tuple(sorted({e for r in rows for e in engine_lineage(r.engine)}))
    return Layout(families, engines)


def efficiency_from_vector(x: np.ndarray, layout: Layout, base: Efficiency, counts: dict[str, int] | None = None) -> Efficiency:
    counts = counts or {}
    pooled = GlobalFactors(**{name: from_link(name, float(x[layout.pooled_index(k)])) for k, name in enumerate(FACTORS)})
    families = {
        fam: FitEffects(**{name: float(x[layout.family_index(f, k)]) for k, name in enumerate(FACTORS)}, rows=counts.get(fam, 0))
        for f, fam in enumerate(layout.families)
    }
    engines = {
        eng: FitEffects(**{name: float(x[layout.engine_index(e, k)]) for k, name in enumerate(FACTORS)}, rows=counts.get(eng, 0))
        for e, eng in enumerate(layout.engines)
    }
    return base.model_copy(update={"pooled": pooled, "families": families, "engines": engines})


def _start_vector(layout: Layout, base: Efficiency) -> np.ndarray:
    x = np.zeros(layout.size)
    for k, name in enumerate(FACTORS):
        x[layout.pooled_index(k)] = to_link(name, getattr(base.pooled, name))
        for f, fam in enumerate(layout.families):
            eff = base.families.get(fam)
            x[layout.family_index(f, k)] = getattr(eff, name) if eff else 0.0
        for e, eng in enumerate(layout.engines):
            eff = base.engines.get(eng)
            x[layout.engine_index(e, k)] = getattr(eff, name) if eff else 0.0
    return x


def row_weights(rows: list[CalibrationRow]) -> np.ndarray:
    per_source: dict[str, int] = {}
    for r in rows:
        per_source[source_key(r)] = per_source.get(source_key(r), 0) + 1
    w = np.array([per_source[source_key(r)] ** -0.25 for r in rows])
    w *= np.array([TTFT_WEIGHT if r.metric == "ttft_ms" else 1.0 for r in rows])
    # Normalised so the rows weigh as many as they are (mean square weight 1), and in units of the
    # noise a published run carries (log error SOFT_L1_SCALE), so the priors compete with data on
    # a likelihood scale.
    return w / math.sqrt(float(np.mean(w**2))) / SOFT_L1_SCALE


@dataclass(frozen=True)
class FitResult:
    efficiency: Efficiency
    predictions: list[Prediction]
    cost: float
    evaluations: int


def fit(
    rows: list[CalibrationRow], base: Efficiency, *, start: Efficiency | None = None, max_nfev: int = 60,
) -> FitResult:
    """Fit pooled values and family/engine effects on `rows` (fit_rows() first)."""
    layout = _layout(rows)
    cards, models = load_cards(), load_models()
    # The pooled values are pulled toward fixed stated values, not toward the last fit, so a refit
    # of the shipped file does not drift with each run.
    prior_centre = np.array([to_link(name, getattr(base.prior_pooled, name)) for name in FACTORS])
    x0 = _start_vector(layout, start or base)
    weights = row_weights(rows)
    n_rows, n_factors = len(rows), len(FACTORS)
    is_moe = [models[r.model_id].moe is not None for r in rows]
    counts: dict[str, int] = {}
    for r in rows:
        fam = cards[r.card_id].family
        counts[fam] = counts.get(fam, 0) + 1
        for e in engine_lineage(r.engine):
            counts[e] = counts.get(e, 0) + 1

    n_effects = len(layout.families) + len(layout.engines)
    # One s.d. per effect row (families first, then engines, as in the layout) and factor.
    family_sd = [base.prior_sd_family.get(name, base.prior_sd[name]) for name in FACTORS]
    engine_sd = [base.prior_sd_engine.get(name, base.prior_sd[name]) for name in FACTORS]
    prior_sd = np.array([family_sd] * len(layout.families) + [engine_sd] * len(layout.engines)).reshape(n_effects, n_factors)

    def residuals(x: np.ndarray) -> np.ndarray:
        eff = efficiency_from_vector(x, layout, base)
        out = np.empty(n_rows + n_effects * n_factors + n_factors)
        for i, row in enumerate(rows):
            p = predict_row(row, eff)
            err = p.log_error
            out[i] = weights[i] * _robust(FAILED_RESIDUAL if err is None else err)
        effects = x[n_factors:].reshape(n_effects, n_factors)
        out[n_rows:n_rows + n_effects * n_factors] = (effects / prior_sd).ravel()
        out[n_rows + n_effects * n_factors:] = (x[:n_factors] - prior_centre) / PRIOR_SD_POOLED
        return out

    sparsity = lil_matrix((n_rows + n_effects * n_factors + n_factors, layout.size), dtype=int)
    for i, row in enumerate(rows):
        f = layout.families.index(cards[row.card_id].family)
        lineage = [layout.engines.index(e) for e in engine_lineage(row.engine)]
        for k, name in enumerate(FACTORS):
            if name in MOE_ONLY and not is_moe[i]:
                continue
            sparsity[i, layout.pooled_index(k)] = 1
            sparsity[i, layout.family_index(f, k)] = 1
            for engine_i in lineage:
                sparsity[i, layout.engine_index(engine_i, k)] = 1
    for j in range(n_effects * n_factors):
        sparsity[n_rows + j, n_factors + j] = 1
    for k in range(n_factors):
        sparsity[n_rows + n_effects * n_factors + k, k] = 1

    solution = least_squares(
        residuals, x0, jac_sparsity=sparsity, loss="linear", x_scale=1.0,
        max_nfev=max_nfev, method="trf", diff_step=1e-3,
    )
    eff = efficiency_from_vector(solution.x, layout, base, counts)
    return FitResult(eff, [predict_row(r, eff) for r in rows], float(solution.cost), int(solution.nfev))


def _robust(err: float) -> float:
    """Soft-L1 on a row's log error, as a residual whose square is the loss: quadratic below
    SOFT_L1_SCALE, linear beyond. Applied to rows only (the priors stay Gaussian)."""
    c = SOFT_L1_SCALE
    return math.copysign(c * math.sqrt(2.0 * (math.sqrt(1.0 + (err / c) ** 2) - 1.0)), err)


def prior_centre(base: Efficiency) -> Efficiency:
    """A start that has seen no data: the pooled values at their stated priors, no family or
    engine effect. Folds started here (and run to convergence) cannot inherit a held-out source
    from the full fit, as folds warm-started at the full fit can."""
    return base.model_copy(update={"pooled": base.prior_pooled, "families": {}, "engines": {}})


def leave_one_source_out(
    rows: list[CalibrationRow], base: Efficiency, start: Efficiency, *, max_nfev: int = WARM_FOLD_EVALUATIONS,
    fitter: Callable[..., FitResult] = fit, progress: Callable[[int, int, str], None] | None = None,
    workers: int = 1, sources: Iterable[str] | None = None,
) -> list[Prediction]:
    """Out-of-sample prediction of every row: refit from `start` (the full fit: warm; prior_centre:
    cold) without the row's source, predict the left-out rows. `sources`: leave out and predict only
    these (a benchmark's sample); every source by default. `workers` > 1 runs the folds in
    processes (the default fitter only: a test's stand-in need not be importable)."""
    held_out = sorted({source_key(r) for r in rows} if sources is None else set(sources))
    folds = [([r for r in rows if source_key(r) != src], [r for r in rows if source_key(r) == src]) for src in held_out]
    out: list[Prediction] = []
    if workers > 1 and fitter is fit:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            jobs = [pool.submit(_held_out_predictions, train, held, base, start, max_nfev) for train, held in folds]
            for n, job in enumerate(jobs):
                if progress:
                    progress(n, len(held_out), held_out[n])
                out.extend(job.result())
    else:
        for n, (train, held) in enumerate(folds):
            if progress:
                progress(n, len(held_out), held_out[n])
            out.extend(_held_out_predictions(train, held, base, start, max_nfev, fitter))
    order = {(r.dataset, r.index): i for i, r in enumerate(rows)}
    return sorted(out, key=lambda p: order[(p.row.dataset, p.row.index)])


def _held_out_predictions(train: list[CalibrationRow], held: list[CalibrationRow], base: Efficiency, start: Efficiency,
                          max_nfev: int, fitter: Callable[..., FitResult] = fit) -> list[Prediction]:
    """One fold: fit on `train` from `start`, predict `held` (module level, so a process pool can run it)."""
    eff = fitter(train, base, start=start, max_nfev=max_nfev).efficiency
    return [predict_row(r, eff) for r in held]


def median_ape_by_metric(predictions: list[Prediction]) -> dict[str, float]:
    groups: dict[str, list[float]] = {}
    for p in predictions:
        if p.error_pct is not None:
            groups.setdefault(metric_group(p.row.metric), []).append(abs(p.error_pct))
    return {k: round(statistics.median(v), 1) for k, v in sorted(groups.items())}


def concordance(predictions: list[Prediction]) -> float:
    """Pairwise ranking concordance within each (metric, model) group: the share of row pairs
    whose predicted order matches the measured order."""
    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for p in predictions:
        if p.predicted is not None:
            groups.setdefault((p.row.metric, p.row.model_id), []).append((p.row.value, p.predicted))
    agree = total = 0
    for pts in groups.values():
        for i in range(len(pts)):
            for j in range(i + 1, len(pts)):
                dm, dp = pts[i][0] - pts[j][0], pts[i][1] - pts[j][1]
                if dm == 0:
                    continue
                total += 1
                agree += (dm > 0) == (dp > 0)
    return agree / total if total else math.nan
