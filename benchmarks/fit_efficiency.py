"""Fit catalog/efficiency.yaml on every shipped calibration file and write the cross-validated
residuals the error bands use (catalog/fit_residuals.csv). The fit itself is optimizer/fit.py.

    python benchmarks/fit_efficiency.py            # fit, leave-one-source-out, print the errors
    python benchmarks/fit_efficiency.py --write    # also rewrite efficiency.yaml and fit_residuals.csv
    python benchmarks/fit_efficiency.py --cold     # folds from the prior centre, 150 evaluations each
                                                   # (no start that saw the held-out source; slow)
"""

from __future__ import annotations

import sys
import time

import yaml

from optimizer.calibration import fit as F
from optimizer.calibration.residuals import ResidualRow, write_residuals
from optimizer.calibration.rows import DATASETS, concurrency_per_replica, load_rows, metric_group, source_key
from optimizer.catalog.efficiency import FACTORS, FitEffects, load_efficiency, load_engines
from optimizer.catalog.records import catalog_dir, load_cards, load_models


def main() -> None:
    started = time.perf_counter()
    base = load_efficiency()
    rows = F.fit_rows(load_rows())
    full = F.fit(rows, base, max_nfev=F.CONVERGED_EVALUATIONS)
    print(f"fit on {len(rows)} rows from {len({source_key(r) for r in rows})} sources in {time.perf_counter() - started:.0f} s")
    print("in-sample median APE:", F.median_ape_by_metric(full.predictions), f"concordance {F.concordance(full.predictions):.3f}")

    def progress(n: int, total: int, src: str) -> None:
        print(f"  cv {n + 1}/{total}: leaving out {src[:90]}", file=sys.stderr, flush=True)

    cold = "--cold" in sys.argv
    start, evaluations = (F.prior_centre(base), F.CONVERGED_EVALUATIONS) if cold else (full.efficiency, F.WARM_FOLD_EVALUATIONS)
    print(f"folds start from the {'prior centre' if cold else 'full fit'}, at most {evaluations} evaluations each")
    cv = F.leave_one_source_out(rows, base, start, max_nfev=evaluations, progress=progress, workers=2)
    print("leave-one-source-out median APE:", F.median_ape_by_metric(cv), f"concordance {F.concordance(cv):.3f}")
    superseded = {name for name, profile in load_engines().items() if profile.superseded}
    recent = [p for p in cv if p.row.engine not in superseded]
    print(f"  of which 2025-H2/2026 engines ({len(recent)} rows):", F.median_ape_by_metric(recent),
          f"concordance {F.concordance(recent):.3f}")
    if "--write" not in sys.argv:
        return
    path = catalog_dir() / "efficiency.yaml"
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    eff = full.efficiency
    doc["pooled"] = {k: round(float(getattr(eff.pooled, k)), 6) for k in FACTORS}
    doc["families"] = {f: _effects(e) for f, e in sorted(eff.families.items())}
    doc["engines"] = {e: _effects(v) for e, v in sorted(eff.engines.items())}
    doc["fit"] = {
        "method": "scipy least_squares (trf) on soft-L1 log errors, Gaussian priors on family and engine effects; "
        "leave-one-source-out cross-validation",
        "rows": len(rows),
        "sources": len({source_key(r) for r in rows}),
        "files": [f"catalog/{d}.csv" for d in DATASETS if (catalog_dir() / f"{d}.csv").exists()],
        "in_sample_median_ape": F.median_ape_by_metric(full.predictions),
        "cv_median_ape": F.median_ape_by_metric(cv),
    }
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    path.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=130), encoding="utf-8")
    cards, models = load_cards(), load_models()
    write_residuals(catalog_dir(), (
        ResidualRow(r.dataset, r.index, source_key(r), cards[r.card_id].family, r.engine or "",
                    "moe" if models[r.model_id].moe else "dense", metric_group(r.metric), r.mode,
                    concurrency_per_replica(r), p_in.log_error, p_cv.log_error)
        for p_in, p_cv in zip(full.predictions, cv)
        if (r := p_in.row) is not None and p_in.log_error is not None and p_cv.log_error is not None
    ))
    print(f"wrote {path} and catalog/fit_residuals.csv")


def _effects(e: FitEffects) -> dict[str, float]:
    return {**{k: round(float(getattr(e, k)), 5) for k in FACTORS}, "rows": e.rows}


if __name__ == "__main__":
    main()
