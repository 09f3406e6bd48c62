"""Where the held-out error estimate comes from: the fit's basin, or the folds' warm start.

Fits the calibration rows from the prior centre (fit.prior_centre: no data seen) and from the
shipped fit, prints both fits' objective, evaluations and in-sample error, then leaves out every
STEP-th source (sorted by name) four ways: warm-started at the shipped fit (12 evaluations, as
fit_efficiency.py), the same run to convergence (150 evaluations), started at the prior centre
(150, as fit_efficiency.py --cold), and warm-started at the from-scratch fit (12). When the first
two agree, the short warm start is not cutting a fold off before it converges; when the last two
agree and differ from the first, the folds' start is not the leak: the basin is.

    python benchmarks/fit_basins.py [STEP]     # STEP 6 (6 of 36 sources): about 25 min on 2 cores
"""

from __future__ import annotations

import sys
import time

from optimizer.calibration import fit as F
from optimizer.calibration.predict_rows import Prediction
from optimizer.calibration.rows import CalibrationRow, load_rows, source_key
from optimizer.catalog.efficiency import Efficiency, load_efficiency


def summary(predictions: list[Prediction]) -> str:
    errors = {k: v for k, v in F.median_ape_by_metric(predictions).items() if k != "prefill_tok_s_per_card"}
    return " / ".join(f"{k} {v:.1f} %" for k, v in errors.items()) + f", concordance {F.concordance(predictions):.3f}"


def held_out_on_sample(rows: list[CalibrationRow], base: Efficiency, starts: dict[str, tuple[Efficiency, int]],
                       step: int) -> tuple[list[str], dict[str, list[Prediction]]]:
    """The sample (every `step`-th source, sorted by name) and, per named (start, evaluations), the
    leave-one-source-out predictions of its rows."""
    sources = sorted({source_key(r) for r in rows})[::step]
    return sources, {
        name: F.leave_one_source_out(rows, base, start, max_nfev=evaluations, workers=2, sources=sources)
        for name, (start, evaluations) in starts.items()
    }


def main() -> None:
    step = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    base = load_efficiency()
    rows = F.fit_rows(load_rows())
    started = time.perf_counter()
    shipped = F.fit(rows, base, max_nfev=F.CONVERGED_EVALUATIONS)
    scratch = F.fit(rows, base, start=F.prior_centre(base), max_nfev=F.CONVERGED_EVALUATIONS)
    print(f"full fits in {time.perf_counter() - started:.0f} s")
    for name, result in (("the shipped fit", shipped), ("the prior centre", scratch)):
        print(f"  from {name}: objective {result.cost:.1f} after {result.evaluations} evaluations; in sample {summary(result.predictions)}")
    starts = {
        "warm at the shipped fit": (shipped.efficiency, F.WARM_FOLD_EVALUATIONS),
        "warm at the shipped fit, converged": (shipped.efficiency, F.CONVERGED_EVALUATIONS),
        "from the prior centre": (F.prior_centre(base), F.CONVERGED_EVALUATIONS),
        "warm at the from-scratch fit": (scratch.efficiency, F.WARM_FOLD_EVALUATIONS),
    }
    sources, out = held_out_on_sample(rows, base, starts, step)
    print(f"leaving out {len(sources)} of {len(set(map(source_key, rows)))} sources (every {step}th), median absolute error:")
    for name, predictions in out.items():
        print(f"  folds {name:36s} {summary(predictions)}")


if __name__ == "__main__":
    main()
