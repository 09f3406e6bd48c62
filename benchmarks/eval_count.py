"""Replica evaluations of one `procure solve` (the solve at the confidence, the central estimate
beside it, the draws) and how many were computed more than once (target 0: the evaluator memoises
them for the whole run).

    python benchmarks/eval_count.py [scenarios/r1_chatbot.yaml]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from optimizer import pipeline
from optimizer import problem as problem_mod
from optimizer.catalog.bundle import load_catalog
from optimizer.perf.evaluate import ReplicaPerf
from optimizer.perf.replica import Replica
from optimizer.problem import resolve
from optimizer.scenario import load_scenario


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "scenarios/r1_chatbot.yaml")
    seen: Counter[tuple[object, ...]] = Counter()
    real = problem_mod.evaluate_replica

    def counted(r: Replica, batch: int, input_len: int, output_len: int, context_len: int | None = None) -> ReplicaPerf:
        seen[(r.model.id, r.card.id, r.precision_name, r.par, r.engine_id, r.cards_per_server, batch, input_len,
              output_len, context_len)] += 1
        return real(r, batch, input_len, output_len, context_len=context_len)

    problem_mod.evaluate_replica = counted  # type: ignore[assignment]
    catalog = load_catalog()
    pipeline.solve(resolve(load_scenario(path, catalog), catalog))
    repeated = sum(n - 1 for n in seen.values() if n > 1)
    print(f"{path}: {sum(seen.values())} replica evaluations, {len(seen)} distinct, {repeated} repeated")


if __name__ == "__main__":
    main()
