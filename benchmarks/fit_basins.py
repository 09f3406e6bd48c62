"""Where the held-out error estimate comes from: the fit's basin, or the folds' warm start.

Fits the calibration rows from the prior centre (fit.prior_centre: no data seen) and from the
shipped fit, prints both fits' objective and in-sample error, then leaves out every STEP-th source
(sorted by name) three ways: warm-started at the shipped fit (12 evaluations, as
fit_efficiency.py), started at the prior centre (150 evaluations, as fit_efficiency.py --cold),
and warm-started at the from-scratch fit (12 evaluations). When the last two agree and differ from
the first, the folds' start is not the leak: the basin is.

    python benchmarks/fit_basins.py [STEP]     # STEP 6 (6 of 36 sources): about 18 min on 2 cores
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor

from optimizer.calibration import fit as F
from optimizer.calibration.predict_rows import Prediction
from optimizer.calibration.rows import load_rows, source_key
from optimizer.catalog.efficiency import load_efficiency


def summary(predictions: list[Prediction]) -> str:
    errors = {k: v for k, v in F.median_ape_by_metric(predictions).items() if k != "prefill_tok_s_per_card"}
    return " / ".join(f"{k} {v:.1f} %" for k, v in errors.items()) + f", concordance {F.concordance(predictions):.3f}"


def main() -> None:
    step = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    base = load_efficiency()
    rows = F.fit_rows(load_rows())
    started = time.perf_counter()
    shipped = F.fit(rows, base, max_nfev=F.CONVERGED_EVALUATIONS)
    scratch = F.fit(rows, base, start=F.prior_centre(base), max_nfev=F.CONVERGED_EVALUATIONS)
    print(f"full fits in {time.perf_counter() - started:.0f} s")
    print(f"  from the shipped fit: objective {shipped.cost:.1f}; in sample {summary(shipped.predictions)}")
    print(f"  from the prior centre: objective {scratch.cost:.1f}; in sample {summary(scratch.predictions)}")
    sources = sorted({source_key(r) for r in rows})[::step]
    starts = {
        "warm at the shipped fit": (shipped.efficiency, F.WARM_FOLD_EVALUATIONS),
        "from the prior centre": (F.prior_centre(base), F.CONVERGED_EVALUATIONS),
        "warm at the from-scratch fit": (scratch.efficiency, F.WARM_FOLD_EVALUATIONS),
    }
    out: dict[str, list[Prediction]] = {name: [] for name in starts}
    with ProcessPoolExecutor(max_workers=2) as pool:
        jobs = []
        for src in sources:
            train = [r for r in rows if source_key(r) != src]
            held = [r for r in rows if source_key(r) == src]
            for name, (start, evaluations) in starts.items():
                jobs.append((name, pool.submit(F.held_out_predictions, train, held, base, start, evaluations)))
        for name, job in jobs:
            out[name].extend(job.result())
    print(f"leaving out {len(sources)} of {len(set(map(source_key, rows)))} sources (every {step}th), median absolute error:")
    for name, predictions in out.items():
        print(f"  folds {name:30s} {summary(predictions)}")


if __name__ == "__main__":
    main()
