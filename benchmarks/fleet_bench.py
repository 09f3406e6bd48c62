"""Whole-process time of a fleet bought in phases (4 services x 8 periods x 3 offers, solved to
optimality) as a ratio to the single-service `procure solve scenarios/r1_chatbot.yaml`, measured in
the same run. Runs alternate (single, fleet, single, ...) so that machine load hits both alike;
medians are reported, and the ratio is taken run by run before its median. The fleet's report must
say "optimal" for the fleet and its schedule, or the run fails.

The fleet scenario is built here from shipped models and the bids of scenarios/enterprise_fleet.yaml
(H200, H20, 910B2): DeepSeek-R1 chat, Qwen2.5-72B RAG, Qwen3-8B classification and Llama-3.1-8B
summarisation, 8 quarters, +20 % load and -3 % prices a quarter, discounted at 2 % a quarter. No N+1
and no supply case: those are the shipped enterprise_fleet_phased.yaml's (timed with --scenario).

Target (issue 15): under 5 s whole process on 2 cores.

    python benchmarks/fleet_bench.py [--runs 5] [--scenario FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import yaml
from start_bench import wall  # the same timer (benchmarks/ is the script's own folder on sys.path)

REPO = Path(__file__).resolve().parents[1]
SINGLE = "scenarios/r1_chatbot.yaml"


def fleet_scenario() -> dict[str, object]:
    """enterprise_fleet.yaml's services and bids, a fourth service, and 8 quarters of phases."""
    doc = yaml.safe_load((REPO / "scenarios" / "enterprise_fleet.yaml").read_text(encoding="utf-8"))
    doc["name"], doc["description"] = "fleet_bench", "4 services x 8 periods x 3 offers (benchmarks/fleet_bench.py)"
    doc["services"].append({
        "name": "llama8b-summarise", "model": "llama-3.1-8b", "precisions": ["fp8", "bf16"],
        "workload": {"input_tokens": 3000, "output_tokens": 300, "load": {"requests_per_s": 5}},
        "sla": {"ttft_ms": 2000, "tpot_ms": 40},
    })
    doc["phases"] = {"periods": [f"q{i + 1}" for i in range(8)], "growth_pct": 20, "price_decline_pct": 3, "discount_rate_pct": 2}
    return doc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scenario", default=None, help="time this fleet file instead of the one built here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fleet = Path(args.scenario).resolve() if args.scenario else folder / "fleet_bench.yaml"
        if not args.scenario:
            fleet.write_text(yaml.safe_dump(fleet_scenario(), sort_keys=False, allow_unicode=True), encoding="utf-8")
        out = folder / "out"
        commands = {
            f"procure solve {SINGLE}": [sys.executable, "-m", "optimizer.cli", "solve", SINGLE, "--out", str(out)],
            f"procure solve {fleet.name} (fleet)": [sys.executable, "-m", "optimizer.cli", "solve", str(fleet), "--out", str(out)],
        }
        for cmd in commands.values():  # warm the file cache
            wall(cmd)
        doc = json.loads((out / f"{fleet.stem}.json").read_text(encoding="utf-8"))
        shape = (len(doc["services"]), len(doc["phases"]["schedule"]["periods"]), len({o for p in doc["phases"]["schedule"]["periods"]
                                                                                         for o in p["in_service"]}))
        assert doc["status"] == "optimal" and doc["phases"]["status"] == "optimal", (doc["status"], doc["phases"]["status"])
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(wall(cmd))
    single, multi = (times[n] for n in commands)
    print(f"fleet: {shape[0]} services x {shape[1]} periods, offers used {shape[2]} of 3; fleet and schedule optimal "
          f"(schedule RMB {doc['phases']['schedule']['discounted_rmb']:,} discounted)")
    for name in commands:
        print(f"{name:<50} median {statistics.median(times[name]):6.3f} s  (min {min(times[name]):.3f}, max {max(times[name]):.3f})")
    ratios = [m / s for m, s in zip(multi, single, strict=True)]
    print(f"fleet / single-service {'':<27} median {statistics.median(ratios):6.2f}x  (min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    main()
