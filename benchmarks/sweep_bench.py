"""What-if speed: a 20-point budget sweep of the R1 bid scenario (target < 10 s on 2 cores), with
the median time per sweep point, plus the bid comparison (break-even bisections) and a TPOT sweep.
Each budget point is 1 + vendors lexicographic max-load solves (two CP-SAT solves each).

    python benchmarks/sweep_bench.py
"""

from __future__ import annotations

import itertools
import statistics
import subprocess
import sys
import time
from pathlib import Path

from optimizer import analysis as whatif
from optimizer.catalog.bundle import load_catalog
from optimizer.problem import resolve
from optimizer.scenario import load_scenario

SCENARIO = Path("scenarios/r1_bids_h200_910b_mi300x.yaml")


def main() -> None:
    catalog = load_catalog()
    scenario = resolve(load_scenario(SCENARIO, catalog), catalog)
    stamps: list[float] = []
    start = time.perf_counter()
    sweep = whatif.budget_sweep(scenario, whatif.parse_range("1000000:20000000:20", "budget"), lambda i, n: stamps.append(time.perf_counter()))
    total = time.perf_counter() - start
    # The first interval includes design enumeration; the per-point median excludes it.
    per_point = [b - a for a, b in itertools.pairwise(stamps)]
    solves_per_point = 2 * (1 + len(sweep.points[0].per_vendor))
    print(f"budget sweep, 20 points: {total:.2f} s in all (target < 10 s)")
    print(f"  per point: median {statistics.median(per_point) * 1e3:.1f} ms "
          f"({solves_per_point} CP-SAT solves each: median {statistics.median(per_point) / solves_per_point * 1e3:.2f} ms per solve)")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "optimizer.cli", "whatif", str(SCENARIO), "--budget", "1000000:20000000:20",
                    "--out", "/tmp/procure-sweep-bench"], check=True, capture_output=True)
    print(f"  the same as one `procure whatif --budget` process (start-up, solve, plots): {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    comparison = whatif.compare(scenario)
    print(f"bid comparison with break-even bisection: {time.perf_counter() - start:.2f} s (winner {comparison.winner})")
    start = time.perf_counter()
    whatif.sla_sweep(scenario, "tpot", [30, 40, 50, 60, 80])
    print(f"TPOT sweep, 5 points (designs re-enumerated per point): {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
