"""Rendering of `procure predict` and `procure validate`: functions of their results only (the
bands come in computed; nothing here reads the catalog)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from optimizer import units
from optimizer.calibration.bands import Bands, replica_bands
from optimizer.calibration.predict_rows import Prediction
from optimizer.calibration.rows import CalibrationRow
from optimizer.catalog.records import Card, ModelSpec
from optimizer.perf.evaluate import ReplicaPerf
from optimizer.perf.step import StepBreakdown


def _r(x: float, nd: int = 3) -> float:
    return round(x, nd)


def _step_json(step: StepBreakdown) -> dict[str, Any]:
    return {
        "memory_ms": _r(units.s_to_ms(step.memory_s)),
        "compute_ms": _r(units.s_to_ms(step.compute_s)),
        "communication_ms": _r(units.s_to_ms(step.communication_s)),
        "overhead_ms": _r(units.s_to_ms(step.overhead_s)),
        "total_ms": _r(units.s_to_ms(step.total_s)),
        "bottleneck": step.bottleneck,
    }


def predict_json(p: ReplicaPerf, bands: Bands) -> dict[str, Any]:
    m = p.memory
    return {
        "model": p.model_id,
        "card": p.card_id,
        "precision": p.precision,
        "compute_precision": p.compute_precision,
        "kv_precision": p.kv_precision,
        "tp": p.parallelism.tp,
        "pp": p.parallelism.pp,
        "ep": p.parallelism.ep,
        "cards": p.cards,
        "servers_spanned": p.servers_spanned,
        "batch": p.batch,
        "input_len": p.input_len,
        "output_len": p.output_len,
        "fits": p.fits,
        "memory_gb_per_card": {
            "weights": _r(m.weights_gb),
            "kv_cache": _r(m.kv_cache_gb),
            "activations": _r(m.activations_gb),
            "overhead": _r(m.overhead_gb),
            "total": _r(m.total_gb),
            "capacity": _r(m.capacity_gb),
        },
        "kv_bytes_per_token": _r(p.kv_bytes_per_token, 1),
        "prefill_ms": _r(units.s_to_ms(p.prefill_s)),
        "ttft_ms": _r(units.s_to_ms(p.ttft_s)),
        "tpot_ms": _r(units.s_to_ms(p.tpot_s)),
        "decode_step": _step_json(p.decode),
        "prefill": _step_json(p.prefill),
        "output_tokens_per_s": _r(p.output_tokens_per_s, 1),
        "requests_per_s": _r(p.requests_per_s, 4),
        "bottleneck": p.bottleneck,
        "engine": p.engine,
        "band_10_90": {
            metric: {"low": _r(lo), "high": _r(hi)} for metric, (lo, hi) in replica_bands(bands, p).items()
        },
    }


def predict_table(p: ReplicaPerf, card: Card, model: ModelSpec, replica_band: Bands) -> str:
    m, d = p.memory, p.decode
    par = p.parallelism
    bands = replica_bands(replica_band, p)
    fit = "fits" if p.fits else "DOES NOT FIT"
    lines = [
        f"{model.name} on {p.cards} x {card.name} ({p.precision}, KV {p.kv_precision}), "
        f"TP{par.tp} PP{par.pp} EP{par.ep}, batch {p.batch}, {p.input_len} in / {p.output_len} out",
        "",
        f"memory per card ({fit}):",
        f"  weights      {m.weights_gb:9.2f} GB",
        f"  KV cache     {m.kv_cache_gb:9.2f} GB   ({p.kv_bytes_per_token:,.0f} bytes/token, whole model)",
        f"  activations  {m.activations_gb:9.2f} GB",
        f"  overhead     {m.overhead_gb:9.2f} GB",
        f"  total        {m.total_gb:9.2f} GB   of {m.capacity_gb:.2f} GB usable (the card's {card.mem_gb:g} GB: "
        f"{card.mem_capacity_gb:.1f} GB {'as its driver reports them' if card.driver_mem_mib else 'read as GiB'})",
        "",
        f"prefill (one prompt alone)   {units.s_to_ms(p.prefill_s):9.2f} ms   bound by {p.prefill.bottleneck}",
        f"decode step                  {units.s_to_ms(d.total_s):9.2f} ms   = operators {units.s_to_ms(d.busy_s):.2f} "
        f"(memory {units.s_to_ms(d.memory_s):.2f}, compute {units.s_to_ms(d.compute_s):.2f}, each operator on its roofline)"
        f" + comm {units.s_to_ms(d.communication_s):.2f} + overhead {units.s_to_ms(d.overhead_s):.2f}",
        f"bottleneck                   {p.bottleneck}",
        f"TTFT (at this load)          {units.s_to_ms(p.ttft_s):9.2f} ms   (10-90 %: {bands['ttft_ms'][0]:,.0f} - {bands['ttft_ms'][1]:,.0f})",
        f"TPOT (at this load)          {units.s_to_ms(p.tpot_s):9.2f} ms   (10-90 %: {bands['tpot_ms'][0]:,.1f} - {bands['tpot_ms'][1]:,.1f})",
        f"output throughput            {p.output_tokens_per_s:9.1f} tokens/s   ({p.requests_per_s:.3f} requests/s; 10-90 %: "
        f"{bands['output_tokens_per_s'][0]:,.0f} - {bands['output_tokens_per_s'][1]:,.0f})",
        f"engine profile               {p.engine}" + (f", speculative decoding at {p.accept_len:g} tokens/step" if p.accept_len > 1 else ""),
        "bands: where the measured value fell in 80 % of published runs held out of the fit (leave-one-source-out, "
        "pooled over cards and engines; wider for a card family or engine no published run measured)",
    ]
    return "\n".join(lines)


def validate_json(
    preds: list[Prediction], summaries: dict[str, dict[str, float]], ranges: Sequence[tuple[float, float] | None],
) -> dict[str, Any]:
    """One object per data row (0-based, in file order) with the prediction and its band in the
    row's metric and units (`ranges`, one per prediction: calibration.bands.prediction_band), then
    the summary per metric and per dataset."""
    if len(ranges) != len(preds):
        raise ValueError(f"{len(ranges)} bands for {len(preds)} predictions")
    rows = []
    inside = banded = 0
    for p, rng in zip(preds, ranges):
        r = p.row
        if rng is not None:
            banded += 1
            inside += rng[0] <= r.value <= rng[1]
        rows.append({
            "row": r.index, "dataset": r.dataset, "status": "skipped" if p.predicted is None else "predicted",
            "reason": p.skipped, "metric": r.metric, "measured": r.value,
            "predicted": None if p.predicted is None else _r(p.predicted),
            "low": None if rng is None else _r(rng[0]), "high": None if rng is None else _r(rng[1]),
            "error_pct": None if p.error_pct is None else _r(p.error_pct, 1),
            "engine": r.engine, "framework": r.framework, "mode": r.mode,
            "speculative": None if not r.spec.active else {"method": r.spec.method, "accept_len": _r(r.spec.accept_len, 2)},
            "model_id": r.model_id, "card_id": r.card_id, "precision": r.precision, "cards": r.cards,
            "tp": r.tp, "pp": r.pp, "ep": r.ep, "batch": r.batch, "input_len": r.input_len, "output_len": r.output_len,
            "mean_input_len": r.mean_input_len, "mean_output_len": r.mean_output_len, "batch_used": p.batch_used,
        })
    return {
        "rows": rows,
        "summary": {
            "median_abs_error_pct": {k: _r(v, 1) for k, v in summaries["all"].items()},
            "by_dataset": {name: {k: _r(v, 1) for k, v in s.items()} for name, s in summaries.items() if name != "all"},
            "predicted": sum(p.predicted is not None for p in preds),
            "skipped": sum(p.predicted is None for p in preds),
            "band_coverage": None if not banded else _r(inside / banded, 3),
        },
    }


def cv_table(cells: list[tuple[str, str, str, int, float | None, float | None]]) -> str:
    """Per card family x engine x metric: rows, in-sample and leave-one-source-out median APE."""
    head = f"{'family':<18} {'engine':<17} {'metric':<13} {'rows':>4} {'in-sample':>10} {'cv (LOSO)':>10}"
    lines = [head, "-" * len(head)]
    for fam, eng, metric, n, ins, cv in cells:
        fmt = lambda v: "—" if v is None else f"{v:9.1f}%"  # noqa: E731
        lines.append(f"{fam:<18} {eng:<17} {metric:<13} {n:>4} {fmt(ins):>10} {fmt(cv):>10}")
    return "\n".join(lines)


def validate_table(preds: list[Prediction], summaries: dict[str, dict[str, float]], *, markdown: bool = False) -> str:
    """Every row's prediction and error, then the median errors: aligned plain text, or with
    `markdown` a Markdown table (which a terminal shows as a table that fits its width)."""
    if markdown:
        return "\n".join([*_validate_markdown(preds), *_validate_summary(preds, summaries)])
    head = (
        f"{'model':<14} {'card':<13} {'prec':<5} {'tp':>2} {'batch':>5} {'in/out':>11} {'metric':<12} "
        f"{'measured':>10} {'predicted':>10} {'error':>8}  framework"
    )
    lines = [head, "-" * len(head)]
    for p in preds:
        r = p.row
        pred = "skipped" if p.predicted is None else f"{p.predicted:10.2f}"
        err = "" if p.error_pct is None else f"{p.error_pct:+7.1f}%"
        lines.append(
            f"{r.model_id[:14]:<14} {r.card_id[:13]:<13} {r.precision:<5} {r.tp:>2} {r.batch:>5} "
            f"{_lengths(r):>11} {r.metric:<12} {r.value:10.2f} {pred:>10} {err:>8}  {r.framework[:28]}"
            + (f"  ({p.skipped})" if p.skipped else "")
        )
    return "\n".join([*lines, *_validate_summary(preds, summaries)])


def _validate_markdown(preds: list[Prediction]) -> list[str]:
    lines = ["| model | card | prec | tp | batch | in/out | metric | measured | predicted | error | framework |",
             "|---|---|---|---:|---:|---:|---|---:|---:|---:|---|"]
    for p in preds:
        r = p.row
        pred = f"skipped: {p.skipped}" if p.predicted is None else f"{p.predicted:.2f}"
        err = "" if p.error_pct is None else f"{p.error_pct:+.1f}%"
        lines.append(f"| {r.model_id} | {r.card_id} | {r.precision} | {r.tp} | {r.batch} | {_lengths(r)} | {r.metric} | "
                     f"{r.value:.2f} | {pred} | {err} | {r.framework[:40].replace('|', '/')} |")
    return lines


def _lengths(r: CalibrationRow) -> str:
    """The lengths a row is predicted at: its mean drawn ones, marked ~, when its client drew them
    below the nominal (calibration.rows.parse_length_share)."""
    if r.length_share == 1.0:
        return f"{r.input_len}/{r.output_len}"
    return f"~{r.mean_input_len}/{r.mean_output_len}"


def _validate_summary(preds: list[Prediction], summaries: dict[str, dict[str, float]]) -> list[str]:
    lines = [""]
    if any(p.row.length_share != 1.0 for p in preds):
        lines.append("~ lengths: the mean of the lengths the row's benchmark client drew (a stated range ratio), as predicted")
    for name, summary in summaries.items():
        where = "all rows" if name == "all" else f"{name}.csv"
        lines.append(f"median absolute error ({where}): " + ", ".join(f"{k} {v:.1f}%" for k, v in summary.items()))
    n_pred = sum(p.predicted is not None for p in preds)
    lines.append(f"{n_pred} rows predicted, {len(preds) - n_pred} skipped")
    return lines
