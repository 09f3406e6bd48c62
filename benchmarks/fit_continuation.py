"""Does a continuation from the prior centre find one fit, whatever its schedule?

Fits the calibration rows twice from the prior centre (fit.prior_centre: no data seen), each time
in two stages: first with every effect's prior s.d. multiplied by a factor (0.3: effects held
tight, the pooled values settle first; 3: effects free), then, from where that stage ended, with
the stated priors. Prints each schedule's objective, evaluations and in-sample error, and the
effects that decide where attention and GEMM efficiency live on AMD, then leaves out every STEP-th
source (as fit_basins.py) with folds warm-started where each schedule ended (12 evaluations). A
start-independent fit would end at one objective and one placement whatever the schedule.

    python benchmarks/fit_continuation.py [STEP]     # STEP 6: about 15 min on 2 cores
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor

from fit_basins import held_out_on_sample, summary

from optimizer.calibration import fit as F
from optimizer.calibration.rows import load_rows
from optimizer.catalog.efficiency import Efficiency, load_efficiency

SCHEDULES = (0.3, 3.0)
SHOWN = (("family", "amd-cdna4"), ("engine", "atom"), ("family", "nvidia-hopper"), ("engine", "sglang"))
FACTORS_SHOWN = ("mfu_attention", "mfu_prefill", "mfu_decode", "expert_mfu")


def with_prior_width(base: Efficiency, factor: float) -> Efficiency:
    """`base` with every effect's prior s.d. multiplied by `factor` (the pooled prior is unchanged)."""
    return base.model_copy(update={
        name: {k: v * factor for k, v in getattr(base, name).items()}
        for name in ("prior_sd", "prior_sd_family", "prior_sd_engine")
    })


def effect_lines(eff: Efficiency) -> list[str]:
    out = []
    for kind, name in SHOWN:
        effects = (eff.families if kind == "family" else eff.engines)[name]
        out.append(f"    {kind} {name:14s} " + "  ".join(f"{k} {getattr(effects, k):+.2f}" for k in FACTORS_SHOWN))
    return out


def continuation(factor: float) -> tuple[str, Efficiency]:
    base = load_efficiency()
    rows = F.fit_rows(load_rows())
    started = time.perf_counter()
    first = F.fit(rows, with_prior_width(base, factor), start=F.prior_centre(base), max_nfev=F.CONVERGED_EVALUATIONS)
    final = F.fit(rows, base, start=first.efficiency, max_nfev=F.CONVERGED_EVALUATIONS)
    lines = [
        f"effect priors x{factor} first ({first.evaluations} evaluations), then as stated: objective {final.cost:.1f} "
        f"after {final.evaluations} more evaluations, {time.perf_counter() - started:.0f} s; in sample {summary(final.predictions)}",
    ]
    lines.extend(effect_lines(final.efficiency))
    return "\n".join(lines), final.efficiency


def main() -> None:
    step = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    base = load_efficiency()
    rows = F.fit_rows(load_rows())
    print("\n".join(["shipped effects:", *effect_lines(base)]))
    with ProcessPoolExecutor(max_workers=2) as pool:
        ends = list(pool.map(continuation, SCHEDULES))
    for text, _ in ends:
        print(text)
    starts = {f"effect priors x{factor} first": (end, F.WARM_FOLD_EVALUATIONS) for factor, (_, end) in zip(SCHEDULES, ends, strict=True)}
    sources, held = held_out_on_sample(rows, base, starts, step)
    print(f"leaving out {len(sources)} sources (every {step}th), folds warm-started where each schedule ended:")
    for name, predictions in held.items():
        print(f"  {name}: {summary(predictions)}")


if __name__ == "__main__":
    main()
