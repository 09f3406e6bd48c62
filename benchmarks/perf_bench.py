"""Performance-model speed: replica evaluations per second in-process, and the wall time of one
`procure predict` process against a bare `python -c pass` measured in the same run.

    python benchmarks/perf_bench.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from optimizer.catalog.bundle import load_catalog
from optimizer.perf.evaluate import evaluate
from optimizer.perf.replica import Parallelism

CASES = [
    ("deepseek-r1", "h200", "fp8", Parallelism(tp=8, ep=8)),
    ("llama-3.1-70b", "h100-sxm", "bf16", Parallelism(tp=4)),
    ("qwen3-235b-a22b", "mi300x", "fp8", Parallelism(tp=4, ep=4)),
    ("qwen2.5-7b", "rtx-4090", "int4", Parallelism(tp=1)),
]


def evals_per_second(seconds: float = 2.0) -> float:
    catalog = load_catalog()
    prepared = [(catalog.model(m), catalog.card(c), p, par) for m, c, p, par in CASES]
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for model, card, precision, par in prepared:
            for batch in (1, 16, 64, 256):
                evaluate(catalog, model, card, precision, par, batch, 2000, 500)
                n += 1
    return n / (time.perf_counter() - start)


def process_seconds(cmd: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    rate = evals_per_second()
    print(f"replica evaluations per second (one core, in-process): {rate:,.0f}   (target >= 10,000)")
    base = process_seconds([sys.executable, "-c", "pass"])
    predict = process_seconds([sys.executable, "-m", "optimizer.cli", "predict", "--model", "llama-3.1-70b",
                               "--card", "h200", "--precision", "fp8", "--tp", "4", "--batch", "32", "--json"])
    print(f"python -c pass:               {base:.3f} s (median of 5)")
    print(f"procure predict (one process): {predict:.3f} s (median of 5) = {predict / base:.1f}x bare start-up   (target < 1 s)")


if __name__ == "__main__":
    main()
