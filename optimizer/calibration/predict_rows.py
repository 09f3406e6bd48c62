"""A calibration row predicted by the performance model, in the row's own metric and units: the
system the row measured (replicas, dies, engine caps, a prefill/decode split) rebuilt from its typed
columns (calibration.rows), and its 10-90 % band."""

from __future__ import annotations

import dataclasses
import math
import re
import statistics
from dataclasses import dataclass

from optimizer import units
from optimizer.calibration.bands import Bands
from optimizer.calibration.rows import CalibrationRow, concurrency_per_replica, load_rows, metric_group
from optimizer.catalog.bundle import Catalog, load_catalog
from optimizer.catalog.efficiency import Efficiency, load_efficiency
from optimizer.catalog.records import Card, ModelSpec, load_cards, load_models
from optimizer.errors import InputError
from optimizer.perf.disagg import decode_pool, kv_transfer_s
from optimizer.perf.evaluate import ReplicaPerf, evaluate_replica
from optimizer.perf.memory import max_batch
from optimizer.perf.replica import Parallelism, Replica, make_replica
from optimizer.perf.serving import opening_wait

METRICS = ("output_tok_s", "output_tok_s_per_card", "tpot_ms", "ttft_ms", "prefill_tok_s_per_card")


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

    @property
    def log_error(self) -> float | None:
        if self.predicted is None or self.predicted <= 0:
            return None
        return math.log(self.predicted / self.row.value)



def _die_card(card: Card) -> Card:
    """One die of a multi-die package, for rows whose tp/ep count dies: memory, bandwidth and
    peaks split evenly; a server holds dies_per_package x as many."""
    n = card.dies_per_package
    return card.model_copy(update={
        "mem_gb": card.mem_gb / n, "mem_bw_gbs": card.mem_bw_gbs / n,
        "dense_tflops": {k: v / n for k, v in card.dense_tflops.items()},
        "cards_per_server": card.cards_per_server * n, "nic_gbps_per_card": card.nic_gbps_per_card / n,
        "dies_per_package": 1,
    })



def predict_row(row: CalibrationRow, efficiency: Efficiency | None = None) -> Prediction:
    cards, models = load_cards(), load_models()
    if row.model_id not in models:
        return Prediction(row, None, skipped=f"model {row.model_id} not in catalog")
    if row.card_id not in cards:
        return Prediction(row, None, skipped=f"card {row.card_id} not in catalog")
    if row.metric not in METRICS:
        return Prediction(row, None, skipped=f"metric {row.metric} not modelled")
    if row.engine is None:
        return Prediction(row, None, skipped=f"framework {row.framework!r} maps to no engine profile")
    model, card = models[row.model_id], cards[row.card_id]
    units_per_card = 1
    if row.counts_dies and card.dies_per_package > 1:
        units_per_card, card = card.dies_per_package, _die_card(card)
    try:
        if not row.layout_stated and _weights_overflow(row, model, card, efficiency or load_efficiency()):
            return Prediction(row, None, skipped="parallel layout not stated and the model does not fit one card")
        value, batch = _predict(row, model, card, row.cards * units_per_card, units_per_card, efficiency or load_efficiency())
    except InputError as exc:
        return Prediction(row, None, skipped=f"cannot run: {exc.problem}")
    return Prediction(row, value, batch_used=batch)


def _with_limits(row: CalibrationRow, r: Replica) -> Replica:
    """The replica under the running cap and prefill budget the row's launch flags state."""
    if row.running_cap is None and row.prefill_budget is None:
        return r
    return dataclasses.replace(
        r, running_cap=row.running_cap or r.running_cap, prefill_budget=row.prefill_budget or r.prefill_budget, memo={},
    )


def _weights_overflow(row: CalibrationRow, model: ModelSpec, card: Card, eff: Efficiency) -> bool:
    """True when one sequence does not fit the row's (defaulted) split: the source's real layout is
    unknown, so the row says nothing the model can check."""
    par = Parallelism(tp=row.tp, pp=row.pp, ep=row.ep)
    r = make_replica(load_catalog(), model, card, row.precision, par, row.kv_precision, engine=row.engine, efficiency=eff)
    return max_batch(r, row.input_len + row.output_len) == 0   # the longest request the client can draw


def _predict(
    row: CalibrationRow, model: ModelSpec, card: Card, units_total: int, units_per_card: int, eff: Efficiency
) -> tuple[float, int]:
    par = Parallelism(tp=row.tp, pp=row.pp, ep=row.ep)
    r = _with_limits(row, make_replica(
        load_catalog(), model, card, row.precision, par, row.kv_precision, engine=row.engine, efficiency=eff, spec=row.spec,
        allreduce_codec=row.allreduce_codec,
    ))
    replicas = max(1, units_total // par.cards)
    per_replica = max(1, math.ceil(row.batch / replicas))
    context = row.mean_input_len + row.mean_output_len
    if row.mode == "prefill-only":
        perf = evaluate_replica(r, 1, row.mean_input_len, 1)
        return row.mean_input_len / perf.prefill_occupancy_s * replicas / units_total * units_per_card, 1
    if row.mode in ("decode-only", "pd"):
        return _predict_split(row, r, units_total, units_per_card, eff)
    if row.mode == "burst":
        running = max(1, min(per_replica, max_batch(r, context)))
        perf = evaluate_replica(
            r, running, row.mean_input_len, row.mean_output_len, burst_requests=per_replica,
            exponential_lengths=row.lengths == "conversation",
        )
    else:
        # More users than the replica can run (engine cap or KV cache): the others wait for a slot.
        running = max(1, min(per_replica, max_batch(r, context)))
        prompts = math.ceil(row.prompts / replicas) if row.prompts else None
        perf = evaluate_replica(
            r, running, row.mean_input_len, row.mean_output_len, arrivals=row.arrivals, users=per_replica, prompts=prompts,
        )
    return _metric(perf, row.metric, replicas, units_total, units_per_card), perf.batch


def _metric(perf: ReplicaPerf, metric: str, replicas: int, units_total: int, units_per_card: int) -> float:
    if metric == "tpot_ms":
        return units.s_to_ms(perf.tpot_s)
    if metric == "ttft_ms":
        return units.s_to_ms(perf.ttft_s)
    system = perf.output_tokens_per_s * replicas
    return system / units_total * units_per_card if metric == "output_tok_s_per_card" else system


def _predict_split(row: CalibrationRow, r: Replica, units_total: int, units_per_card: int, eff: Efficiency) -> tuple[float, int]:
    """A prefill/decode split: one decode instance of the row's tp/ep at its share of the batch;
    the cards beyond it (if any) are prefill instances of one server each."""
    decode_cards = r.par.cards
    decode_replicas = max(1, units_total // decode_cards) if row.mode == "decode-only" else 1
    per_replica = max(1, math.ceil(row.batch / decode_replicas))
    # The decode instance runs what its cap and KV cache admit; the other users wait for a slot.
    running = max(1, min(per_replica, max_batch(r, row.mean_input_len + row.mean_output_len)))
    perf = evaluate_replica(r, running, row.mean_input_len, row.mean_output_len)
    pool = decode_pool(perf)
    slot_wait = (per_replica - running) / pool.requests_per_s
    if row.metric == "tpot_ms":
        return units.s_to_ms(pool.tpot_s), per_replica
    if row.metric.startswith("output_tok_s"):
        system = pool.requests_per_s * row.mean_output_len * decode_replicas
        return (system / units_total * units_per_card if row.metric == "output_tok_s_per_card" else system), per_replica
    # TTFT: prompts queue at the prefill instances, then the KV moves over.
    prefill_units = max(units_total - decode_cards * decode_replicas, r.server_cards)
    server = r.server_cards
    tp = server if r.model.attention.num_heads % server == 0 else 1
    pre_par = Parallelism(tp=tp, ep=server if r.model.moe and r.model.moe.num_routed_experts % server == 0 else 1)
    pre = make_replica(load_catalog(), r.model, r.card, r.precision_name, pre_par, row.kv_precision, engine=row.engine,
                       efficiency=eff, allreduce_codec=row.allreduce_codec)
    single = evaluate_replica(pre, 1, row.mean_input_len, 1)
    instances = max(1, prefill_units // pre_par.cards)
    occupancy = single.prefill_occupancy_s
    fixed = single.prefill_s + kv_transfer_s(pre, row.mean_input_len) + units.ms_to_s(pre.factors.ttft_overhead_ms)
    wait = _prefill_pool_wait(row, instances, occupancy, pool.requests_per_s * decode_replicas, pool.tpot_s)
    return units.s_to_ms(fixed + wait + slot_wait), per_replica


_REQUEST_RATE = re.compile(r"request[-_ ]rate\W{0,3}(\d+(?:\.\d+)?)(?:\s*/\s*s)?", re.I)


def _prefill_pool_wait(row: CalibrationRow, instances: int, occupancy: float, decode_rate: float, tpot: float) -> float:
    """Wait of a prompt at a split system's prefill instances.

    Fixed lengths (synchronized) and no request-rate cap: the decode batch finishes and returns in
    waves, all of a wave's prompts queued at once, (queued - 1) / 2 prefills each. Otherwise prompts
    arrive at the rate the closed loop sustains (the decode pool's, or a stated --request-rate cap,
    which also breaks the waves up): an M/D/1 queue per instance while the prefill pool keeps up;
    when it cannot (utilisation near 1) the users who are not decoding wait in front of it, and by
    Little's law a request's cycle users / rate minus its decode time is that wait.

    Without a rate cap a run of `prompts` requests opens with `batch` of them at once: they queue
    at the prefill instances as one wave whatever the arrivals are later (serving.opening_wait)."""
    stated = _REQUEST_RATE.search(f"{row.framework} {row.notes}")
    rate_cap = float(stated.group(1)) if stated else None
    wave = max(row.batch / instances - 1, 0.0) / 2 * occupancy
    if rate_cap is None and (row.arrivals == "synchronized" or row.mode == "decode-only"):
        return wave
    steady = _steady_pool_wait(row, instances, occupancy, decode_rate, tpot, rate_cap)
    return steady if rate_cap else opening_wait(steady, max(wave, steady), row.batch, row.prompts)


def _steady_pool_wait(
    row: CalibrationRow, instances: int, occupancy: float, decode_rate: float, tpot: float, rate_cap: float | None,
) -> float:
    rate = min(decode_rate, rate_cap) if rate_cap else decode_rate
    capacity = instances / occupancy
    rho = rate / capacity
    if rho < 0.95:
        return rho / (2 * (1 - rho)) * occupancy
    served = min(rate, capacity)
    return max(row.batch / served - (row.mean_output_len - 1) * tpot, 0.95 / (2 * 0.05) * occupancy)


def predict_all(rows: list[CalibrationRow] | None = None, efficiency: Efficiency | None = None) -> list[Prediction]:
    return [predict_row(r, efficiency) for r in (rows if rows is not None else load_rows())]


def median_abs_error_pct(predictions: list[Prediction], dataset: str | None = None) -> dict[str, float]:
    """Median absolute percentage error per metric (throughput metrics pooled), over one dataset
    or all."""
    groups: dict[str, list[float]] = {}
    for p in predictions:
        if p.error_pct is None or (dataset is not None and p.row.dataset != dataset):
            continue
        groups.setdefault(metric_group(p.row.metric), []).append(abs(p.error_pct))
    return {k: statistics.median(v) for k, v in sorted(groups.items())}



def prediction_band(bands: Bands, catalog: Catalog, p: Prediction) -> tuple[float, float] | None:
    """10-90 % band of a calibration row's prediction in the row's own metric and units."""
    if p.predicted is None or p.row.engine is None:
        return None
    card, model = catalog.cards[p.row.card_id], catalog.models[p.row.model_id]
    b = bands.band(card.family, p.row.engine, "moe" if model.moe else "dense", p.row.metric, mode=p.row.mode,
                   concurrency=concurrency_per_replica(p.row))
    return b.apply(p.predicted)
