"""Predict every published measurement in catalog/calibration.csv and report the errors.

A row describes a whole measured system: `cards` cards running replicas of `tp x pp` (or
`max(tp, ep) x pp`) cards, `batch` concurrent requests split evenly over the replicas. Rows whose
notes say OFFLINE-MAX or BURST queue all requests at once: the running batch is then what the
engine admits and the KV cache holds, so they are predicted at the maximum batch.
"""

from __future__ import annotations

import csv
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from optimizer.errors import InputError
from optimizer.perf import Parallelism, ReplicaPerf, evaluate, evaluate_max_batch
from optimizer.specs import Card, Efficiency, ModelSpec, catalog_dir, load_cards, load_efficiency, load_models

METRICS = ("output_tok_s", "output_tok_s_per_card", "tpot_ms", "ttft_ms")


@dataclass(frozen=True)
class CalibrationRow:
    model_id: str
    card_id: str
    precision: str
    cards: int
    tp: int
    pp: int
    ep: int
    batch: int
    input_len: int
    output_len: int
    metric: str
    value: float
    framework: str
    source: str
    notes: str
    dataset: str = "calibration"   # file stem: the reference set, or rows added by the project

    @property
    def saturated(self) -> bool:
        return "OFFLINE-MAX" in self.notes or "BURST" in self.notes

    @property
    def arrivals(self) -> str:
        """Fixed-length closed-loop benchmarks (every prompt and output the same length) move in
        synchronized waves; see perf.serve_closed_loop."""
        return "synchronized" if "range_ratio 1" in self.notes else "random"

    @property
    def kv_precision(self) -> str:
        # FP8 runs of TensorRT-LLM and SGLang store the KV cache in FP8 as well (row notes).
        return "fp8" if self.precision == "fp8" and "FP8 KV" in self.notes else "bf16"


@dataclass(frozen=True)
class Prediction:
    row: CalibrationRow
    predicted: float | None
    skipped: str | None = None
    batch_used: int | None = None

    @property
    def error_pct(self) -> float | None:
        if self.predicted is None:
            return None
        return 100.0 * (self.predicted - self.row.value) / self.row.value


def _int(text: str, default: int) -> int:
    return round(float(text)) if text.strip() else default


DATASETS = ("calibration", "calibration_added")


def load_rows(path: Path | None = None) -> list[CalibrationRow]:
    """Rows of one file, or of every dataset: `calibration.csv` (the reference set, as received)
    and `calibration_added.csv` (rows the project added, each with its source)."""
    if path is None:
        return [row for name in DATASETS for row in load_rows(catalog_dir() / f"{name}.csv")]
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        for n, r in enumerate(csv.DictReader(fh), start=2):
            try:
                rows.append(
                    CalibrationRow(
                        model_id=r["model_id"], card_id=r["card_id"], precision=r["precision"],
                        cards=_int(r["cards"], 1), tp=_int(r["tp"], 1), pp=_int(r["pp"], 1),
                        ep=_int(r["ep"], 1), batch=_int(r["batch"], 1),
                        input_len=_int(r["input_len"], 0), output_len=_int(r["output_len"], 1),
                        metric=r["metric"], value=float(r["value"]), framework=r["framework"],
                        source=r["source"], notes=r["notes"], dataset=path.stem,
                    )
                )
            except (KeyError, ValueError) as exc:
                raise InputError(str(path), f"line {n}", f"cannot be read ({exc})", "fix the row") from exc
    return rows


def predict_row(row: CalibrationRow, efficiency: Efficiency | None = None) -> Prediction:
    cards, models = load_cards(), load_models()
    if row.model_id not in models:
        return Prediction(row, None, skipped=f"model {row.model_id} not in catalog")
    if row.card_id not in cards:
        return Prediction(row, None, skipped=f"card {row.card_id} not in catalog")
    if row.metric not in METRICS:
        return Prediction(row, None, skipped=f"metric {row.metric} not modelled")
    model, card = models[row.model_id], cards[row.card_id]
    par = Parallelism(tp=row.tp, pp=row.pp, ep=row.ep)
    replicas = max(1, row.cards // par.cards)
    try:
        perf = _predict_perf(row, model, card, par, replicas, efficiency or load_efficiency())
    except InputError as exc:
        return Prediction(row, None, skipped=f"cannot run: {exc.problem}")
    value = _metric(perf, row.metric, replicas, row.cards)
    return Prediction(row, value, batch_used=perf.batch)


def _predict_perf(
    row: CalibrationRow, model: ModelSpec, card: Card, par: Parallelism, replicas: int, efficiency: Efficiency
) -> ReplicaPerf:
    if row.saturated:
        engine = efficiency.engine_for(row.framework)
        cap = engine.max_running_seqs if engine else None
        cap = min(cap, math.ceil(row.batch / replicas)) if cap else math.ceil(row.batch / replicas)
        return evaluate_max_batch(
            model, card, row.precision, par, row.input_len, row.output_len, row.kv_precision, cap, efficiency
        )
    per_replica = max(1, math.ceil(row.batch / replicas))
    return evaluate(
        model, card, row.precision, par, per_replica, row.input_len, row.output_len, row.kv_precision, efficiency,
        arrivals=row.arrivals,
    )


def _metric(perf: ReplicaPerf, metric: str, replicas: int, cards: int) -> float:
    if metric == "tpot_ms":
        return perf.tpot_s * 1e3
    if metric == "ttft_ms":
        return perf.ttft_s * 1e3
    system = perf.output_tokens_per_s * replicas
    return system / cards if metric == "output_tok_s_per_card" else system


def predict_all(rows: list[CalibrationRow] | None = None, efficiency: Efficiency | None = None) -> list[Prediction]:
    return [predict_row(r, efficiency) for r in (rows if rows is not None else load_rows())]


def median_abs_error_pct(predictions: list[Prediction], dataset: str | None = None) -> dict[str, float]:
    """Median absolute percentage error per metric (throughput metrics pooled), over one dataset
    or all."""
    groups: dict[str, list[float]] = {}
    for p in predictions:
        if p.error_pct is None or (dataset is not None and p.row.dataset != dataset):
            continue
        key = "output_tok_s" if p.row.metric.startswith("output_tok_s") else p.row.metric
        groups.setdefault(key, []).append(abs(p.error_pct))
    return {k: statistics.median(v) for k, v in sorted(groups.items())}
