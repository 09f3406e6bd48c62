"""Bands judged on held-out sources: coverage of the 10-90 % band, its median width (high / low) and
the median error of the model's estimate, per metric and regime, each measurement's own source left
out of the pool its band comes from.

    python benchmarks/band_coverage.py [path/to/fit_residuals.csv]
"""

from __future__ import annotations

import sys
from pathlib import Path

from optimizer.calibration.bands import KNOWLEDGE, Bands
from optimizer.calibration.heldout import held_out, score
from optimizer.calibration.residuals import read_residuals
from optimizer.catalog.bundle import load_catalog


def main() -> None:
    catalog = load_catalog()
    root = Path(sys.argv[1]).parent if len(sys.argv) > 1 else catalog.root
    residuals = read_residuals(root, catalog.superseded_engines)
    judged = held_out(residuals, catalog.superseded_engines)   # every regime: strata count them all
    shipped = Bands(residuals, catalog.superseded_engines)
    for regime in ("closed", "saturated"):
        rows = [r for r in residuals if r.regime == regime]
        mine = [j for j in judged if j.regime == regime]
        print(f"{regime} regime ({len(rows)} measurements from {len({r.source for r in rows})} sources)")
        print(f"  {'metric':<14} {'rows':>5} {'10-90 % cover':>14} {'median width':>13} {'MdAPE':>10}")
        for metric, s in score(mine).items():
            print(f"  {metric:<14} {s.rows:>5} {s.coverage:>13.1%} {s.median_width:>12.2f}x {s.median_ape:>9.1%}")
        for stratum, s in score(mine, by="knowledge").items():
            if stratum != "all":
                print(f"  {stratum} (held out): {s.rows} rows, {s.coverage:.1%} covered, median width {s.median_width:.2f}x")
        scales = shipped.scales(regime)
        print("  shipped scales: " + "; ".join(f"{n} {x:.2f}" for n, x in zip(KNOWLEDGE, scales, strict=True)))


if __name__ == "__main__":
    main()
