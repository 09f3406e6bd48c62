"""Fit the efficiency factors of catalog/efficiency.yaml on catalog/calibration.csv and
catalog/calibration_added.csv.

Two stages. (1) Per card family, on dense-model rows: a grid search over (mbu, mfu_decode,
mfu_prefill, step_overhead_ms), restricted to physically plausible values, picks the point with the
least mean absolute log error over throughput and TPOT rows (the median absolute percentage error
is printed). TTFT rows are reported by `procure validate`
but not fitted: under load they measure queueing and the HTTP front end. A family with at least
MIN_ROWS rows gets its own fit; a family with fewer gets the pooled fit over all rows, so one or
two rows never set a family's factors alone. (2) One MoE adjustment for all cards (scales on MBU
and MFU, an added step overhead), on the MoE rows of every card with the family factors fixed, so
serving-stack immaturity on MoE models is charged to every vendor alike; then its prefill scale
alone on the MoE TTFT rows, which measure prefill through the queue (fixed-length benchmarks are
predicted with synchronized arrivals, see perf.serve_closed_loop). No per-row terms; ties go to the
first grid point.

    python benchmarks/fit_efficiency.py            # print the best factors and errors
    python benchmarks/fit_efficiency.py --write    # also rewrite the families in efficiency.yaml
"""

from __future__ import annotations

import itertools
import math
import statistics
import sys

import yaml

from optimizer import specs
from optimizer.calibration import CalibrationRow, load_rows, predict_row

MBU = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
MFU_DECODE = (0.3, 0.4, 0.5, 0.6, 0.7)
MFU_PREFILL = (0.3, 0.4, 0.5, 0.6, 0.7)
OVERHEAD_MS = (0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0)
MIN_ROWS = 3
MAX_ROUNDS = 6
FITTED_METRICS = ("output_tok_s", "output_tok_s_per_card", "tpot_ms")


# Adjustment grids run from no adjustment outward: on a tie (a factor the data cannot pin down)
# the fit keeps the mildest adjustment, not an extreme.
MBU_SCALE = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2)
MFU_SCALE = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05)
OVERHEAD_ADD_MS = (0.0, 2.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 50.0)


PREFILL_SCALE = (1.0, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.075, 0.05)


def fitted_rows() -> tuple[dict[str, list[CalibrationRow]], list[CalibrationRow], list[CalibrationRow]]:
    """Dense-model rows by card family, the MoE throughput/TPOT rows and the MoE TTFT rows of every card."""
    cards, models = specs.load_cards(), specs.load_models()
    dense: dict[str, list[CalibrationRow]] = {}
    moe: list[CalibrationRow] = []
    moe_ttft: list[CalibrationRow] = []
    for row in load_rows():
        if row.card_id not in cards or row.model_id not in models:
            continue
        is_moe = models[row.model_id].moe is not None
        if is_moe and row.metric == "ttft_ms":
            moe_ttft.append(row)
        elif row.metric not in FITTED_METRICS:
            continue
        elif is_moe:
            moe.append(row)
        else:
            dense.setdefault(cards[row.card_id].family, []).append(row)
    return dense, moe, moe_ttft


def fit_moe_prefill(rows: list[CalibrationRow], base: specs.Efficiency) -> tuple[float, float]:
    """The MoE prefill scale, on MoE TTFT rows (the only measurements of prefill), everything else fixed."""
    best: tuple[float, float] | None = None
    for scale in PREFILL_SCALE:
        eff = base.model_copy(update={"moe": base.moe.model_copy(update={"mfu_prefill_scale": scale})})
        s = mean_abs_log_error(rows, eff)
        if best is None or s < best[0] - 1e-9:
            best = (s, scale)
    assert best is not None
    eff = base.model_copy(update={"moe": base.moe.model_copy(update={"mfu_prefill_scale": best[1]})})
    return median_ape(rows, eff), best[1]


def fit_moe(rows: list[CalibrationRow], base: specs.Efficiency) -> tuple[float, dict[str, float]]:
    """One MoE adjustment for all cards, on top of the fitted family factors."""
    best: tuple[float, dict[str, float]] | None = None
    for mbu_s, mfu_s, add in itertools.product(MBU_SCALE, MFU_SCALE, OVERHEAD_ADD_MS):
        factors = {"mbu_scale": mbu_s, "mfu_scale": mfu_s, "step_overhead_ms_add": add}
        eff = base.model_copy(update={"moe": base.moe.model_copy(update=factors)})
        s = mean_abs_log_error(rows, eff)
        if best is None or s < best[0] - 1e-9:
            best = (s, factors)
    assert best is not None
    eff = base.model_copy(update={"moe": base.moe.model_copy(update=best[1])})
    return median_ape(rows, eff), best[1]


def mean_abs_log_error(rows: list[CalibrationRow], eff: specs.Efficiency) -> float:
    """Mean |ln(predicted / measured)|: symmetric in over- and under-prediction, and every row
    counts (a median could be bought by fitting half the rows and ignoring the rest)."""
    errs = [abs(math.log(p.predicted / p.row.value)) for p in (predict_row(r, eff) for r in rows) if p.predicted]
    return statistics.fmean(errs) if errs else float("inf")


def median_ape(rows: list[CalibrationRow], eff: specs.Efficiency) -> float:
    errs = [abs(e) for e in (predict_row(r, eff).error_pct for r in rows) if e is not None]
    return statistics.median(errs) if errs else float("inf")


def fit(families: list[str], rows: list[CalibrationRow], base: specs.Efficiency) -> tuple[float, dict[str, float]]:
    """Best common factors for `families` on `rows`."""
    best: tuple[float, dict[str, float]] | None = None
    for mbu, mfu_d, mfu_p, ovh in itertools.product(MBU, MFU_DECODE, MFU_PREFILL, OVERHEAD_MS):
        factors = {"mbu": mbu, "mfu_decode": mfu_d, "mfu_prefill": mfu_p, "step_overhead_ms": ovh}
        trial = {f: base.families[f].model_copy(update=factors) for f in families}
        eff = base.model_copy(update={"families": {**base.families, **trial}})
        s = mean_abs_log_error(rows, eff)
        if best is None or s < best[0] - 1e-9:
            best = (s, factors)
    assert best is not None
    trial = {f: base.families[f].model_copy(update=best[1]) for f in families}
    return median_ape(rows, base.model_copy(update={"families": {**base.families, **trial}})), best[1]


def main() -> None:
    path = specs.catalog_dir() / "efficiency.yaml"
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    base = specs.load_efficiency()
    by_family, moe_rows, moe_ttft_rows = fitted_rows()
    all_rows = [r for rows in by_family.values() for r in rows]
    s_all, pooled = fit(sorted(base.families), all_rows, base)
    print(f"{'pooled':18s} n={len(all_rows):2d} median APE {s_all:5.1f}%  " + _fmt(pooled))
    for family in sorted(base.families):
        rows = by_family.get(family, [])
        if len(rows) >= MIN_ROWS:
            s, factors = fit([family], rows, base)
            ids = sorted({f"{r.model_id}@{r.card_id}" for r in rows})
            note = f"own fit on {len(rows)} calibration rows ({', '.join(ids)}); median APE {s:.1f}%"
        else:
            factors = pooled
            note = f"pooled fit on all {len(all_rows)} rows (this family has {len(rows)}, fewer than {MIN_ROWS})"
        print(f"{family:18s} n={len(rows):2d} {note[:60]}  " + _fmt(factors))
        doc["families"][family].update(factors)
        doc["families"][family]["fitted_on"] = note + edge_note(factors)
        base = base.model_copy(update={"families": {**base.families, family: base.families[family].model_copy(update=factors)}})
    # The decode adjustment and the prefill scale depend on each other (prefill shares the replica's
    # time): alternate until neither moves, starting from neutral values so the result does not
    # depend on what the file held.
    base = base.model_copy(update={"moe": base.moe.model_copy(update={"mfu_prefill_scale": 1.0})})
    previous = None
    for _ in range(MAX_ROUNDS):
        s_moe, moe = fit_moe(moe_rows, base)
        base = base.model_copy(update={"moe": base.moe.model_copy(update=moe)})
        s_pre, prefill_scale = fit_moe_prefill(moe_ttft_rows, base)
        base = base.model_copy(update={"moe": base.moe.model_copy(update={"mfu_prefill_scale": prefill_scale})})
        if (moe, prefill_scale) == previous:
            break
        previous = (moe, prefill_scale)
    ids = sorted({f"{r.model_id}@{r.card_id}" for r in moe_rows})
    note = f"{len(moe_rows)} MoE calibration rows of all cards ({', '.join(ids)}); median APE {s_moe:.1f}%"
    print(f"{'moe adjustment':18s} n={len(moe_rows):2d} " + _fmt(moe))
    print(f"{'moe prefill':18s} n={len(moe_ttft_rows):2d} mfu_prefill_scale={prefill_scale} (TTFT median APE {s_pre:.1f}%)")
    doc["moe"].update(moe, mfu_prefill_scale=prefill_scale)
    doc["moe"]["fitted_on"] = (
        note + f"; prefill scale on {len(moe_ttft_rows)} MoE TTFT rows, median APE {s_pre:.1f}%"
        + edge_note({**moe, "mfu_prefill_scale": prefill_scale})
    )
    if "--write" in sys.argv:
        header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
        path.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
        print(f"wrote {path}")


GRIDS = {
    "mbu": MBU, "mfu_decode": MFU_DECODE, "mfu_prefill": MFU_PREFILL, "step_overhead_ms": OVERHEAD_MS,
    "mbu_scale": MBU_SCALE, "mfu_scale": MFU_SCALE, "step_overhead_ms_add": OVERHEAD_ADD_MS,
    "mfu_prefill_scale": PREFILL_SCALE,
}


NEUTRAL = {"mbu_scale": 1.0, "mfu_scale": 1.0, "mfu_prefill_scale": 1.0, "step_overhead_ms_add": 0.0}  # no adjustment


def edge_note(factors: dict[str, float]) -> str:
    """Factors the fit pinned at the end of their grid: the data wanted a value beyond what this
    script treats as plausible, so predictions for that family are extrapolations."""
    edges = [
        f"{k}={v} ({'lowest' if v == min(GRIDS[k]) else 'highest'} tried)"
        for k, v in factors.items()
        if k in GRIDS and v in (min(GRIDS[k]), max(GRIDS[k])) and NEUTRAL.get(k) != v
    ]
    return f"; at the grid edge: {', '.join(edges)}" if edges else ""


def _fmt(factors: dict[str, float]) -> str:
    return " ".join(f"{k}={v}" for k, v in factors.items())


if __name__ == "__main__":
    main()
