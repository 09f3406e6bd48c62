"""Enumerate replica designs for each offer and keep those that fit memory and meet the SLAs.

A design is one replica: card x precision x TP x PP x EP x batch. For each (offer, precision, TP,
PP, EP) only the batch with the most capacity that still meets the SLAs is kept: capacity grows with
batch while latency does too, so the largest SLA-compliant batch dominates the smaller ones.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

from optimizer import units
from optimizer.catalog.records import ModelSpec
from optimizer.errors import InputError
from optimizer.perf.disagg import decode_pool, kv_transfer_s, prefill_pool
from optimizer.perf.evaluate import ReplicaPerf
from optimizer.perf.memory import max_batch
from optimizer.perf.replica import Parallelism, Replica, check_parallelism, compute_precision_for
from optimizer.plan.result import Design, OfferSummary
from optimizer.problem import OfferView, Problem
from optimizer.scenario import Scenario

PERCENTILE_TAIL = {"mean": None, "p90": 0.90, "p99": 0.99}


def served_by(groups: list[tuple[Design, int]]) -> float:
    """Load a set of replicas serves: colocated replicas each serve their capacity; prefill and
    decode replicas serve as much as the weaker of the two pools."""
    total = {"colocated": 0.0, "prefill": 0.0, "decode": 0.0}
    for d, n in groups:
        total[d.role] += d.capacity * n
    return total["colocated"] + min(total["prefill"], total["decode"])


def output_tokens_per_s_of(groups: list[tuple[Design, int]]) -> float:
    total = {"colocated": 0.0, "prefill": 0.0, "decode": 0.0}
    for d, n in groups:
        total[d.role] += d.output_tokens_per_s * n
    return total["colocated"] + min(total["prefill"], total["decode"])


def _ep_options(model: ModelSpec, tp: int, cps: int) -> list[int]:
    if model.moe is None:
        return [1]
    options = [1]
    ep = tp
    while ep <= 4 * cps and ep <= model.moe.num_routed_experts:
        if ep > 1 and model.moe.num_routed_experts % ep == 0:
            options.append(ep)
        ep *= 2
    return options


def _placement_problem(par: Parallelism, cps: int, scenario: Scenario) -> str | None:
    if par.tp > cps and not scenario.constraints.tp_across_servers:
        return "TP group larger than a server (tp_across_servers is false)"
    if par.cards > cps:
        if not scenario.constraints.multi_server_replicas:
            return "replica spans servers (multi_server_replicas is false)"
        if par.cards % cps:
            return "replica does not fill whole servers"
    elif cps % par.cards:
        return "replica does not pack into a server"
    return None


def latency_at_statistic(perf: ReplicaPerf, perf_tail: ReplicaPerf | None, statistic: str) -> tuple[float, float]:
    """(TTFT ms, TPOT ms) at the SLA's statistic.

    Mean: the model's means. Percentile p: the prompt is the p90 prompt (perf_tail) and the queueing
    wait, taken as exponentially distributed, is scaled by ln(1 / (1 - p)); TPOT is that of the
    longer prompt (its decode shares steps with the same interference)."""
    tail = PERCENTILE_TAIL[statistic]
    if tail is None:
        return units.s_to_ms(perf.ttft_s), units.s_to_ms(perf.tpot_s)
    p = perf_tail or perf
    wait = max(0.0, p.ttft_s - p.prefill_s)
    ttft = p.prefill_s + wait * math.log(1 / (1 - tail))
    return units.s_to_ms(ttft), units.s_to_ms(max(perf.tpot_s, p.tpot_s))


@dataclass(frozen=True)
class ConfidenceFactors:
    """Multipliers on the model's central predictions at the scenario's `sla.confidence`: latencies
    up (the upper quantile of the cross-validated error of the design's cell), throughput down."""

    ttft: float
    tpot: float
    throughput: float


def confidence_factors(problem: Problem, view: OfferView, concurrency: int) -> ConfidenceFactors:
    """At `concurrency` requests per replica: the band's errors grow with the queue."""
    q = problem.scenario.sla.confidence
    kind, family, engine, factor = problem.model_class, view.family, view.engine_id, problem.bands.quantile_factor
    return ConfidenceFactors(
        ttft=max(1.0, factor(family, engine, kind, "ttft_ms", q, upper=True, concurrency=concurrency)),
        tpot=max(1.0, factor(family, engine, kind, "tpot_ms", q, upper=True, concurrency=concurrency)),
        throughput=min(1.0, factor(family, engine, kind, "output_tok_s", q, upper=False, concurrency=concurrency)),
    )


ConfidenceAt = Callable[[int], ConfidenceFactors]


def capacity_of(perf: ReplicaPerf, scenario: Scenario, throughput_factor: float = 1.0) -> float:
    load = scenario.workload.load
    if load.concurrent_users is not None:
        return float(perf.batch)
    if load.requests_per_s is not None:
        return perf.requests_per_s * throughput_factor
    return perf.output_tokens_per_s * throughput_factor


def meets_sla(ttft_ms: float, tpot_ms: float, scenario: Scenario) -> bool:
    sla = scenario.sla
    return (sla.ttft_ms is None or ttft_ms <= sla.ttft_ms) and (sla.tpot_ms is None or tpot_ms <= sla.tpot_ms)


def enumerate_designs(problem: Problem, *, prune: bool = True) -> tuple[list[Design], dict[str, OfferSummary]]:
    """SLA-compliant designs of every allowed offer; with `prune`, only the non-dominated ones
    (what the plan model needs); without, every TP/PP/EP split (what a report ranks). Replica
    evaluations are memoised by the problem's evaluator, shared with its variants."""
    designs: list[Design] = []
    summaries: dict[str, OfferSummary] = {}
    for view in problem.offers:
        summary = OfferSummary(view.id)
        summaries[view.id] = summary
        if view.excluded_by:
            summary.reasons.append(view.excluded_by)
            continue
        own = _offer_designs(problem, view, summary)
        if prune:
            own = prune_dominated(own, problem.scenario)
        summary.designs = len(own)
        designs.extend(own)
    return designs, summaries


def prune_dominated(designs: list[Design], scenario: Scenario) -> list[Design]:
    """Drop a design when another of the same offer uses as many cards and serves at least as much:
    packing and price depend only on the card count, so the cheapest plan never needs it. Ties keep
    the precision listed first in the scenario (the checkpoint's own format first, usually), then
    the lower TPOT, then the lower TTFT: at equal cost and load, the faster design."""
    order: dict[str, int] = {p: i for i, p in enumerate(scenario.precisions)}
    ranked = sorted(
        designs, key=lambda d: (d.offer_id, d.role, d.cards, -d.capacity, order[d.perf.precision], d.tpot_ms, d.ttft_ms, d.key)
    )
    kept: list[Design] = []
    best: dict[tuple[str, str, int], float] = {}
    for d in ranked:
        if d.capacity > best.get((d.offer_id, d.role, d.cards), -1.0):
            kept.append(d)
            best[(d.offer_id, d.role, d.cards)] = d.capacity
    order_in = {o.id: i for i, o in enumerate(scenario.offers)}
    return sorted(kept, key=lambda d: (order_in[d.offer_id], d.role != "colocated", d.cards, d.key))


def _offer_designs(problem: Problem, view: OfferView, summary: OfferSummary) -> list[Design]:
    scenario, model, card, cps = problem.scenario, problem.model, view.card, view.cards_per_server
    conf = functools.partial(confidence_factors, problem, view)
    out: list[Design] = []
    for precision_name in scenario.precisions:
        try:
            compute_precision_for(card, precision_name, problem.precision(precision_name))
        except InputError as exc:
            summary.notes.append(f"{precision_name}: {exc.fix}")
            continue
        summary.precisions_run += 1
        for tp in scenario.search.tp:
            for pp in scenario.search.pp:
                for ep in _ep_options(model, tp, cps):
                    par = Parallelism(tp=tp, pp=pp, ep=ep)
                    try:
                        check_parallelism(model, par)
                    except InputError:
                        continue
                    if _placement_problem(par, cps, scenario):
                        continue
                    r = problem.replica(view, precision_name, par)
                    best = _best_batch(problem, r, conf, summary)
                    if best is not None:
                        out.append(Design(view.id, *best))
                    if scenario.disaggregation:
                        out.extend(_pd_designs(problem, r, conf, view.id))
    if not out:
        tried = [p for p in scenario.precisions if not any(n.startswith(f"{p}:") for n in summary.notes)]
        summary.reasons.append(_no_design_reason(summary, scenario))
        if summary.notes and tried:
            summary.reasons.append(f"note: {'; '.join(summary.notes)} ({', '.join(tried)} tried)")
    return out


def _best_batch(
    problem: Problem, r: Replica, conf: ConfidenceAt, summary: OfferSummary,
) -> tuple[ReplicaPerf, float, float, float] | None:
    scenario = problem.scenario
    w = scenario.workload
    b_max = max_batch(r, w.context_tokens)
    if b_max < 1:
        return None
    summary.fitting_shapes += 1
    batches = sorted(b for b in set(scenario.search.batches) if b <= b_max)
    if not batches:
        return None

    def at(batch: int) -> tuple[ReplicaPerf, float, float]:
        perf = problem.run(r, batch, w.input_tokens)
        tail = problem.run(r, batch, w.input_tokens_p90) if scenario.sla.statistic != "mean" and w.input_tokens_p90 else None
        ttft, tpot = latency_at_statistic(perf, tail, scenario.sla.statistic)
        factors = conf(batch)
        return perf, ttft * factors.ttft, tpot * factors.tpot

    first = at(batches[0])
    summary.best_ttft_ms = first[1] if summary.best_ttft_ms is None else min(summary.best_ttft_ms, first[1])
    summary.best_tpot_ms = first[2] if summary.best_tpot_ms is None else min(summary.best_tpot_ms, first[2])
    if not meets_sla(first[1], first[2], scenario):
        return None
    # Latency grows with batch, so the SLA-compliant batches are a prefix: bisect the grid for its
    # end, then the whole batches between that grid point and the next (or the memory/engine cap).
    best, lo, hi = first, 0, len(batches)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        trial = at(batches[mid])
        if meets_sla(trial[1], trial[2], scenario):
            best, lo = trial, mid
        else:
            hi = mid
    lo_b, hi_b = batches[lo], batches[lo + 1] if lo + 1 < len(batches) else b_max + 1
    while hi_b - lo_b > 1:
        mid = (lo_b + hi_b) // 2
        trial = at(mid)
        if meets_sla(trial[1], trial[2], scenario):
            best, lo_b = trial, mid
        else:
            hi_b = mid
    perf, ttft, tpot = best
    return perf, ttft, tpot, capacity_of(perf, scenario, conf(perf.batch).throughput)


def _pd_designs(problem: Problem, r: Replica, conf: ConfidenceAt, offer_id: str) -> list[Design]:
    """A prefill replica (one prompt at a time, utilisation chosen so TTFT with queueing and the KV
    hand-over meets the SLA) and a decode replica (the largest batch whose step meets the TPOT SLA),
    both at the scenario's confidence."""
    scenario = problem.scenario
    w, sla = scenario.workload, scenario.sla
    b_max = max_batch(r, w.context_tokens)
    if b_max < 1:
        return []
    out = []
    single = problem.run(r, 1, w.input_tokens)
    transfer = kv_transfer_s(r, w.input_tokens)
    tail = PERCENTILE_TAIL[sla.statistic]
    wait_factor = 1.0 if tail is None else math.log(1 / (1 - tail))
    one = conf(1)  # a prefill replica runs one prompt at a time
    budget = None if sla.ttft_ms is None else units.ms_to_s(sla.ttft_ms) / one.ttft
    pool = prefill_pool(single, transfer, budget, wait_factor)
    if pool is not None:
        out.append(Design(offer_id, single, units.s_to_ms(pool.ttft_s) * one.ttft, 0.0,
                          _pool_capacity(pool.requests_per_s * one.throughput, scenario), "prefill",
                          pool.requests_per_s * one.throughput))
    batches = sorted(b for b in set(scenario.search.batches) if b <= b_max)

    def meets(b: int) -> bool:
        tpot_ms = units.s_to_ms(decode_pool(problem.run(r, b, w.input_tokens)).tpot_s) * conf(b).tpot
        return sla.tpot_ms is None or tpot_ms <= sla.tpot_ms

    # The decode step grows with the batch: bisect the grid, then the whole batches up to the next
    # grid point (or the cap), for the largest batch meeting TPOT.
    lo, hi = -1, len(batches)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if meets(batches[mid]) else (lo, mid)
    if lo >= 0:
        lo_b, hi_b = batches[lo], batches[lo + 1] if lo + 1 < len(batches) else b_max + 1
        while hi_b - lo_b > 1:
            mid = (lo_b + hi_b) // 2
            lo_b, hi_b = (mid, hi_b) if meets(mid) else (lo_b, mid)
        perf = problem.run(r, lo_b, w.input_tokens)
        dec, at = decode_pool(perf), conf(perf.batch)
        out.append(Design(offer_id, perf, 0.0, units.s_to_ms(dec.tpot_s) * at.tpot,
                          _pool_capacity(dec.requests_per_s * at.throughput, scenario), "decode",
                          dec.requests_per_s * at.throughput))
    return out


def _pool_capacity(requests_per_s: float, scenario: Scenario) -> float:
    """A pool's rate in the scenario's load unit (requests/s or output tokens/s)."""
    load = scenario.workload.load
    return requests_per_s if load.requests_per_s is not None else requests_per_s * scenario.workload.output_tokens


def _no_design_reason(summary: OfferSummary, scenario: Scenario) -> str:
    if summary.precisions_run == 0:
        return "no listed precision runs on this card: " + "; ".join(summary.notes)
    if summary.fitting_shapes == 0:
        return "the model does not fit in memory in any allowed TP/PP/EP split and precision"
    parts = []
    sla = scenario.sla
    if sla.ttft_ms is not None and summary.best_ttft_ms is not None and summary.best_ttft_ms > sla.ttft_ms:
        parts.append(f"TTFT ≤ {sla.ttft_ms:g} ms is unreachable: its fastest design reaches {summary.best_ttft_ms:.0f} ms")
    if sla.tpot_ms is not None and summary.best_tpot_ms is not None and summary.best_tpot_ms > sla.tpot_ms:
        parts.append(f"TPOT ≤ {sla.tpot_ms:g} ms is unreachable: its fastest design reaches {summary.best_tpot_ms:.1f} ms")
    return "; ".join(parts) or "no design meets both SLAs at once"
