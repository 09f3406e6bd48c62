"""Whole-process time of `procure solve scenarios/r1_chatbot.yaml` against two floors measured in the
same run: a bare interpreter (`python -c pass`) and the import of OR-Tools' CP-SAT, which every solve
needs. Runs alternate (bare, floor, solve, bare, ...) so that machine load hits all of them alike;
medians are reported, and each ratio is taken run by run before its median.

Targets: restructure step 2, solve <= 1.6 x the CP-SAT import floor; performance model v3, with its
draws of the model's error, no slower than before them.

    python benchmarks/start_bench.py [--runs 7] [--scenario scenarios/r1_chatbot.yaml]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--scenario", default="scenarios/r1_chatbot.yaml")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as out:
        commands = {
            "bare interpreter": [sys.executable, "-c", "pass"],
            "CP-SAT import floor": [sys.executable, "-c", "import ortools.sat.python.cp_model"],
            f"procure solve {args.scenario}": [sys.executable, "-m", "optimizer.cli", "solve", args.scenario, "--out", out],
        }
        for cmd in commands.values():  # warm the file cache
            wall(cmd)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(wall(cmd))
    names = list(commands)
    solve = times[names[2]]
    for name in names:
        print(f"{name:<45} median {statistics.median(times[name]):6.3f} s  (min {min(times[name]):.3f}, max {max(times[name]):.3f})")
    for floor in names[:2]:
        ratios = [s / f for s, f in zip(solve, times[floor], strict=True)]
        print(f"solve / {floor:<37} median {statistics.median(ratios):6.2f}x  (min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    main()
