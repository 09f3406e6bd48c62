"""Solver speed: for every shipped scenario and a scaled catalog, the design count, the wall time of
`procure solve` as a whole process (start-up included), the CP-SAT solve of the plan model alone,
and a brute-force search of the same plan space, measured in one run.

Brute force: every purchase (servers per offer within availability), cheapest first; a purchase is
feasible when the replicas that fit its cards can cover the load (exact, by enumerating replica
counts per design). It stops at BRUTE_LIMIT_S and then prints "> limit".

    python benchmarks/solve_bench.py
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
import time
from pathlib import Path

import yaml

from optimizer.catalog.bundle import load_catalog
from optimizer.plan.designs import enumerate_designs
from optimizer.plan.model import build_plan_model, capacity_units, load_demand
from optimizer.plan.optimize import new_solver
from optimizer.plan.result import Design
from optimizer.plan.terms import OfferTerms
from optimizer.problem import resolve
from optimizer.scenario import Scenario, load_scenario

BRUTE_LIMIT_S = 10.0
MAX_PURCHASES = 2_000_000


class Timeout(Exception):
    pass


def brute_force(designs: list[Design], terms: dict[str, OfferTerms], demand: int, deadline: float) -> int | None:
    offers = sorted(terms)
    ranges = [range(terms[o].available_servers + 1) for o in offers]
    if math.prod(len(r) for r in ranges) > MAX_PURCHASES:
        raise Timeout  # cannot even list the purchases within the limit
    purchases = sorted(itertools.product(*ranges), key=lambda v: sum(terms[o].cost_rmb_per_server * n for o, n in zip(offers, v)))
    for vec in purchases:
        if time.perf_counter() > deadline:
            raise Timeout
        if _covers(designs, terms, dict(zip(offers, vec)), demand, deadline):
            return sum(terms[o].cost_rmb_per_server * n for o, n in zip(offers, vec))
    return None


def _covers(designs: list[Design], terms: dict[str, OfferTerms], servers: dict[str, int], demand: int, deadline: float) -> bool:
    best = 0
    for oid, n in servers.items():
        if n == 0:
            continue
        own = [d for d in designs if d.offer_id == oid]
        cards = n * terms[oid].cards_per_server
        best_o = _best_fill(own, cards, terms[oid].cards_per_server * (n - 1), deadline)
        if best_o is None:
            return False  # a bought server would stand idle
        best += best_o
    return best >= demand


def _best_fill(own: list[Design], cards: int, min_used: int, deadline: float) -> int | None:
    best = None
    bounds = [range(cards // d.cards + 1) for d in own]
    for counts in itertools.product(*bounds):
        if time.perf_counter() > deadline:
            raise Timeout
        used = sum(c * d.cards for c, d in zip(counts, own))
        if min_used < used <= cards:
            cap = sum(c * capacity_units(d) for c, d in zip(counts, own))
            best = cap if best is None else max(best, cap)
    return best


def bench(name: str, scenario: Scenario, path: Path | None) -> None:
    problem = resolve(scenario, load_catalog())
    designs, _ = enumerate_designs(problem)
    terms = problem.terms
    start = time.perf_counter()
    v = build_plan_model(scenario, designs, terms)
    code = new_solver().solve(v.model)
    cp_s = time.perf_counter() - start
    proc = ""
    if path is not None:
        proc = f"{_process_seconds(path):6.2f}"
        if scenario.analysis.compare or scenario.analysis.budget_sweep_rmb or scenario.analysis.tpot_sweep_ms:
            # The scenario also asks for a comparison and sweeps: time the solve alone as well.
            plain = Path("/tmp/procure-bench") / path.name
            plain.parent.mkdir(parents=True, exist_ok=True)
            doc = yaml.safe_load(path.read_text())
            doc.pop("analysis")
            plain.write_text(yaml.safe_dump(doc, allow_unicode=True))
            proc = f"{_process_seconds(plain):.2f} ({proc.strip()} with its analysis)"
    start = time.perf_counter()
    try:
        brute_force(designs, terms, load_demand(scenario), start + BRUTE_LIMIT_S)
        bf = time.perf_counter() - start
        bf_txt, ratio = f"{bf:8.3f}", f"{bf / cp_s:8.1f}x"
    except Timeout:
        bf_txt, ratio = f"> {BRUTE_LIMIT_S:.0f} s", f"> {BRUTE_LIMIT_S / cp_s:.0f}x"
    print(f"{name:36s} {len(designs):7d} {proc:>26s} {cp_s:9.3f} {bf_txt:>9s} {ratio:>9s}  {code.name.lower()}")


def _process_seconds(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "optimizer.cli", "solve", str(path), "--out", "/tmp/procure-bench"], capture_output=True)
    return time.perf_counter() - start


def scaled(base: Scenario, offers: int, cards_target: int) -> Scenario:
    """`offers` copies of the base bids at spread prices, availability summing to ~cards_target."""
    new = []
    for i in range(offers):
        o = base.offers[i % len(base.offers)]
        price = (o.price_rmb_per_server or 1_000_000) * (0.9 + 0.2 * ((i * 37) % 100) / 100)
        per = max(1, math.ceil(cards_target / 8 / offers))
        new.append(o.model_copy(update={
            "id": f"{o.id}-{i:03d}", "price_rmb_per_server": round(price), "price_rmb_per_card": None,
            "server_base_rmb": 0, "use_catalog_price": None, "available_servers": per,
        }))
    return base.model_copy(update={"offers": new, "name": f"{base.name}-scaled"})


def main() -> None:
    start = time.perf_counter()
    for _ in range(5):
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    print(f"baseline: a bare `python -c pass` takes {(time.perf_counter() - start) / 5:.3f} s on this machine now")
    print(f"{'scenario':36s} {'designs':>7s} {'process s':>26s} {'cp-sat s':>9s} {'brute s':>9s} {'ratio':>9s}  status")
    for path in sorted(Path("scenarios").glob("*.yaml")):
        bench(path.stem, load_scenario(path, load_catalog()), path)
    base = load_scenario(Path("scenarios/r1_offline_batch.yaml"), load_catalog())
    for cards in (256, 1024):
        big = scaled(base, 100, cards)
        load = base.workload.load.model_copy(update={"output_tokens_per_s": 20000 * cards / 256})
        big = big.model_copy(update={"workload": base.workload.model_copy(update={"load": load})})
        bench(f"100 offers, up to {cards} cards", big, None)


if __name__ == "__main__":
    main()
