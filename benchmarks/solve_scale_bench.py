"""Solve speed with many bids: a generated table of 100 bids and one of 300 (over every catalog card,
several bidders per card), each solved by `procure solve` as a whole process, against the import
floor (`python -c "import ortools.sat.python.cp_model"`) measured in the same run. Runs alternate
(floor, 100 bids, 300 bids, floor, ...) so that machine load hits all of them alike; medians are
reported, each as a ratio to the floor, with the solver status read from `--json`.

Targets (issue "restructure, step 2"): 100 bids within 5x the floor and proven optimal, 300 bids
within 15x and optimal.

    python benchmarks/solve_scale_bench.py [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CARDS = REPO / "catalog" / "cards"
SIZES = (100, 300)
TARGETS = {100: 5.0, 300: 15.0}
RMB_PER_GB = 1500  # a card without a catalog price is priced by its memory (a stand-in, not a quote)
FLOOR = [sys.executable, "-c", "import ortools.sat.python.cp_model"]

# The r1_chatbot service (DeepSeek-R1, chat turns, TTFT <= 2 s, TPOT <= 50 ms) at a load that takes
# several bids to cover, so the solver has to mix offers rather than pick one.
SERVICE = {
    "model": "deepseek-r1",
    "precisions": ["fp8", "int8", "bf16"],
    "kv_precision": "bf16",
    "workload": {"input_tokens": 2000, "output_tokens": 800, "max_context_tokens": 4096,
                 "load": {"concurrent_users": 1500}},
    "sla": {"ttft_ms": 2000, "tpot_ms": 50, "statistic": "mean"},
    "constraints": {"multi_server_replicas": True, "tp_across_servers": False},
}


def card_prices() -> dict[str, tuple[int, int]]:
    """Card id -> (RMB per card, cards per server): the middle of the catalog range, or the stand-in."""
    out = {}
    for path in sorted(CARDS.glob("*.yaml")):
        card = yaml.safe_load(path.read_text(encoding="utf-8"))
        price = card.get("price_rmb_per_card")
        per_card = (price["low_rmb"] + price["high_rmb"]) / 2 if price else card["mem_gb"] * RMB_PER_GB
        out[card["id"]] = (round(per_card), int(card["cards_per_server"]))
    return out


def bid_table(n: int, seed: int = 0) -> dict:
    """n bids, round-robin over the cards, each from one of n/4 vendors at 0.85-1.25 x the card's
    price plus a server base, 2-12 servers available. Seeded: the same n gives the same file."""
    rng = random.Random(seed)
    cards = card_prices()
    ids = sorted(cards)
    vendors = [f"vendor-{v:02d}" for v in range(max(2, n // 4))]
    offers = []
    for i in range(n):
        card = ids[i % len(ids)]
        per_card, cps = cards[card]
        price = per_card * cps * rng.uniform(0.85, 1.25) + rng.choice((100_000, 150_000, 200_000))
        offers.append({
            "id": f"bid-{i:03d}-{card}", "vendor": rng.choice(vendors), "card": card,
            "price_rmb_per_server": round(price, -3), "price_kind": "quote",
            "available_servers": rng.randint(2, 12),
        })
    return {"name": f"scale_{n}_bids", "description": f"{n} generated bids (solve_scale_bench)", **SERVICE, "offers": offers}


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    return time.perf_counter() - start, proc


def solve_cmd(path: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "optimizer.cli", "solve", str(path), "--out", str(out), "--json"]


def status_of(proc: subprocess.CompletedProcess[str]) -> str:
    try:
        return str(json.loads(proc.stdout)["status"])
    except (ValueError, KeyError, TypeError):
        return f"no JSON (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (medians are reported)")
    parser.add_argument("--keep", type=Path, help="write the generated bid tables and reports here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="procure-scale-") as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        files = {}
        for n in SIZES:
            files[n] = where / f"scale_{n}_bids.yaml"
            files[n].write_text(yaml.safe_dump(bid_table(n), sort_keys=False, allow_unicode=True), encoding="utf-8")
        floor: list[float] = []
        took: dict[int, list[float]] = {n: [] for n in SIZES}
        status: dict[int, str] = {}
        for _ in range(args.runs):
            floor.append(timed(FLOOR)[0])
            for n in SIZES:
                seconds, proc = timed(solve_cmd(files[n], where))
                took[n].append(seconds)
                status[n] = status_of(proc)
        base = statistics.median(floor)
        print(f"import floor: median {base:.2f} s over {args.runs} runs")
        for n in SIZES:
            t = statistics.median(took[n])
            ratio = t / base
            verdict = "ok" if ratio <= TARGETS[n] and status[n] == "optimal" else "MISSED"
            print(f"{n:4d} bids: median {t:6.2f} s = {ratio:5.1f}x the floor (target <= {TARGETS[n]:g}x), "
                  f"status {status[n]}  [{verdict}]")


if __name__ == "__main__":
    main()
