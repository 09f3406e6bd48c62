"""Enumerate replica designs for each offer and keep those that fit memory and meet the SLAs.

A design is one replica: card x precision x TP x PP x EP x batch. For each (offer, precision, TP,
PP, EP) only the batch with the most capacity that still meets the SLAs is kept: capacity grows with
batch while latency does too, so the largest SLA-compliant batch dominates the smaller ones.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping

from optimizer import units
from optimizer.calibration.draws import NO_SHOCK, Cell, Shock
from optimizer.catalog.records import ModelSpec
from optimizer.errors import InputError
from optimizer.perf.disagg import decode_pool, kv_transfer_s, prefill_pool
from optimizer.perf.evaluate import ReplicaPerf
from optimizer.perf.memory import max_batch
from optimizer.perf.replica import Parallelism, Replica, check_parallelism, compute_precision_for
from optimizer.plan.result import ROLES, Design, OfferSummary
from optimizer.problem import OfferView, Problem
from optimizer.scenario import Scenario

PERCENTILE_TAIL = {"mean": None, "p90": 0.90, "p99": 0.99}


def pool_of(d: Design) -> tuple[str, str]:
    """The prefill/decode pool a split replica belongs to: its card family and engine. A prompt's KV
    cache moves from a prefill replica to a decode replica of the same pool only: no 2026 engine hands
    a KV cache to another engine or vendor's stack."""
    return d.perf.family, d.perf.engine


def _paired(groups: list[tuple[Design, int]], value: Callable[[Design], float]) -> float:
    """Colocated replicas' values, plus, in each pool, the weaker of its prefill and decode sides."""
    colocated = 0.0
    pools: dict[tuple[str, str], dict[str, float]] = {}
    for d, n in groups:
        if d.role == "colocated":
            colocated += value(d) * n
        else:
            side = pools.setdefault(pool_of(d), {"prefill": 0.0, "decode": 0.0})
            side[d.role] += value(d) * n
    return colocated + sum(min(side["prefill"], side["decode"]) for _, side in sorted(pools.items()))


def served_by(groups: list[tuple[Design, int]]) -> float:
    """Load a set of replicas serves: colocated replicas each serve their capacity; prefill and
    decode replicas of one pool (pool_of) serve as much as the weaker of its two sides."""
    return _paired(groups, lambda d: d.capacity)


def output_tokens_per_s_of(groups: list[tuple[Design, int]]) -> float:
    return _paired(groups, lambda d: d.output_tokens_per_s)


def _ep_options(model: ModelSpec, tp: int, cps: int, pp: int = 1, max_servers: int = 8) -> list[int]:
    """EP widths to search at this TP: 1, the TP doubled while it divides the experts, and, for a
    replica of one pipeline stage, every whole number of servers up to max_servers (a width that
    does not divide the experts holds redundant copies in its spare slots: Parallelism.routed_share),
    each a multiple of the TP. Pipelined replicas keep the doubling widths: the search stays small,
    and a wide EP group already spans servers without a pipeline."""
    if model.moe is None:
        return [1]
    experts = model.moe.num_routed_experts
    options = {1}
    ep = tp
    while ep <= max_servers * cps and ep <= experts:
        if ep > 1 and experts % ep == 0:
            options.add(ep)
        ep *= 2
    if pp == 1:
        options.update(k * cps for k in range(1, max_servers + 1) if k * cps >= tp and (k * cps) % tp == 0 and k * cps <= experts)
    return sorted(options)


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


def latency_at_statistic(perf: ReplicaPerf, perf_tail: ReplicaPerf | None, statistic: str,
                         shock: Shock = NO_SHOCK) -> tuple[float, float]:
    """(TTFT ms, TPOT ms) at the SLA's statistic, under a model-error shock.

    TTFT is its prefill part plus its queueing wait (everything after the prefill), each with its
    own error multiplier. Mean: the model's means. Percentile p: the prompt is the p90 prompt
    (perf_tail) and the wait, taken as exponentially distributed, is scaled by ln(1 / (1 - p)); TPOT
    is that of the longer prompt (its decode shares steps with the same interference)."""
    tail = PERCENTILE_TAIL[statistic]
    p = perf if tail is None else perf_tail or perf
    wait = max(0.0, p.ttft_s - p.prefill_s) * (1.0 if tail is None else math.log(1 / (1 - tail)))
    ttft = p.prefill_s * shock.prefill + wait * shock.queue
    tpot = perf.tpot_s if tail is None else max(perf.tpot_s, p.tpot_s)
    return units.s_to_ms(ttft), units.s_to_ms(tpot * shock.tpot)


ShapeKey = tuple[str, str, Parallelism, str]   # offer id, precision, split, role


def shape_of(d: Design) -> ShapeKey:
    return d.offer_id, d.perf.precision, d.perf.parallelism, d.role


def cell_of(problem: Problem, view: OfferView) -> Cell:
    return Cell(view.family, view.engine_id, problem.model_class)


def capacity_of(perf: ReplicaPerf, scenario: Scenario, throughput_factor: float = 1.0) -> float:
    load = scenario.workload.load
    if load.concurrent_users is not None:
        return float(perf.batch)
    if load.requests_per_s is not None:
        return perf.requests_per_s * throughput_factor
    return perf.output_tokens_per_s * throughput_factor


def sla_slack(ttft_ms: float, tpot_ms: float, scenario: Scenario) -> float:
    """How far the tighter SLA is exceeded, as a fraction of it (<= 0: both met; -1: no SLA)."""
    sla = scenario.sla
    ratios = [x / t for x, t in ((ttft_ms, sla.ttft_ms), (tpot_ms, sla.tpot_ms)) if t is not None]
    return max(ratios) - 1 if ratios else -1.0


def largest_feasible(lo: int, hi: int, slack: Callable[[int], float], slack_lo: float, slack_hi: float | None) -> int:
    """The largest whole batch in [lo, hi) whose slack is <= 0, given slack(lo) <= 0 and hi
    infeasible (slack_hi None: hi cannot even be evaluated, e.g. beyond the memory cap). Latency is
    close to affine in the batch between two grid points, so a secant guess usually lands next to
    the boundary; the guess and its neighbour settle it, and steps alternate with bisection so the
    search always halves."""
    secant = True
    while hi - lo > 1:
        if secant and slack_hi is not None and slack_hi > slack_lo:
            guess = lo + int((hi - lo) * -slack_lo / (slack_hi - slack_lo))
        else:
            guess = (lo + hi) // 2
        guess = min(max(guess, lo + 1), hi - 1)
        s = slack(guess)
        if s <= 0:
            lo, slack_lo = guess, s
            if secant and guess + 1 < hi:
                s1 = slack(guess + 1)
                if s1 > 0:
                    return guess
                lo, slack_lo = guess + 1, s1
        else:
            hi, slack_hi = guess, s
            if secant and guess - 1 > lo:
                s0 = slack(guess - 1)
                if s0 <= 0:
                    return guess - 1
                hi, slack_hi = guess - 1, s0
        secant = not secant
    return lo


Draws = int | None | Mapping[str, int]   # one draw for every offer, or a draw per offer id (absent: the centre)


Sized = dict[tuple[object, ...], tuple[list[Design], OfferSummary]]   # by card, server size, engine, draw, shapes


def enumerate_designs(
    problem: Problem, *, prune: bool = True, draw: Draws = None, shapes: frozenset[ShapeKey] | None = None,
    only: frozenset[str] | None = None, sized: Sized | None = None,
) -> tuple[list[Design], dict[str, OfferSummary]]:
    """SLA-compliant designs of every allowed offer under a draw of the model's error (None: the
    central estimate; a mapping: each offer at its own draw); with `prune`, only the non-dominated
    ones (what the plan model needs); without, every TP/PP/EP split (what a report ranks).
    `shapes`: only these splits (a draw sizes the shapes that are sensible at the central
    estimate, nothing else). `only`: these offers alone. `sized`: bids already sized, shared by
    the calls given the same dict. Replica evaluations are memoised by the problem's evaluator,
    shared with its variants."""
    designs: list[Design] = []
    summaries: dict[str, OfferSummary] = {}
    sized = {} if sized is None else sized
    for view in problem.offers:
        if only is not None and view.id not in only:
            continue
        summary = OfferSummary(view.id)
        summaries[view.id] = summary
        if view.excluded_by:
            summary.reasons.append(view.excluded_by)
            continue
        own_draw = draw.get(view.id) if isinstance(draw, Mapping) else draw
        own_shapes = None if shapes is None else frozenset(s[1:] for s in shapes if s[0] == view.id)
        # Bids of the same card, server size and engine have the same designs: size them once.
        key = (view.card.id, view.cards_per_server, view.engine_id, own_draw, own_shapes)
        if key in sized:
            first, done = sized[key]
            own = [dataclasses.replace(d, offer_id=view.id) for d in first]
            summary = summaries[view.id] = dataclasses.replace(
                done, offer_id=view.id, reasons=list(done.reasons), notes=list(done.notes))
        else:
            own = _offer_designs(problem, view, summary, own_draw, shapes)
            sized[key] = (own, summary)
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
        designs, key=lambda d: (d.offer_id, d.role, d.cards, -d.capacity, order[d.perf.precision], d.tpot_ms or 0.0, d.ttft_ms or 0.0, d.key)
    )
    kept: list[Design] = []
    best: dict[tuple[str, str, int], float] = {}
    for d in ranked:
        if d.capacity > best.get((d.offer_id, d.role, d.cards), -1.0):
            kept.append(d)
            best[(d.offer_id, d.role, d.cards)] = d.capacity
    order_in = {o.id: i for i, o in enumerate(scenario.offers)}
    return sorted(kept, key=lambda d: (order_in[d.offer_id], d.role != "colocated", d.cards, d.key))


def _splits(problem: Problem, view: OfferView, summary: OfferSummary) -> list[tuple[str, Parallelism]]:
    """Every (precision, split) this offer can run and place, in search order; a precision the card
    cannot compute is noted on the summary."""
    scenario, model, card, cps = problem.scenario, problem.model, view.card, view.cards_per_server
    out: list[tuple[str, Parallelism]] = []
    for precision_name in scenario.precisions:
        try:
            compute_precision_for(card, precision_name, problem.precision(precision_name))
        except InputError as exc:
            summary.notes.append(f"{precision_name}: {exc.fix}")
            continue
        summary.precisions_run += 1
        for tp in scenario.search.tp:
            for pp in scenario.search.pp:
                for ep in _ep_options(model, tp, cps, pp, scenario.search.max_ep_servers):
                    par = Parallelism(tp=tp, pp=pp, ep=ep)
                    try:
                        check_parallelism(model, par)
                    except InputError:
                        continue
                    if par.ep > 1 and par.cards > scenario.search.max_ep_servers * cps:
                        continue  # an expert-parallel replica on more servers than search.max_ep_servers
                    if _engine_layout_problem(par, cps, view) is None and not _placement_problem(par, cps, scenario):
                        out.append((precision_name, par))
    return out


def _engine_layout_problem(par: Parallelism, cps: int, view: OfferView) -> str | None:
    """A layout the offer's engine cannot launch (catalog/engines.yaml: max_servers_per_replica)."""
    most = view.engine.max_servers_per_replica
    if most is not None and par.cards > most * cps:
        return f"{view.engine_id} runs a replica on at most {most} server(s)"
    return None


def _offer_designs(
    problem: Problem, view: OfferView, summary: OfferSummary, draw: int | None, shapes: frozenset[ShapeKey] | None,
) -> list[Design]:
    scenario = problem.scenario
    shock = problem.errors.shock(cell_of(problem, view), draw)
    out: list[Design] = []
    if shapes is None:
        splits = _splits(problem, view, summary)
    else:  # a draw sizes the shapes it is given, in a fixed order
        order: dict[str, int] = {p: i for i, p in enumerate(scenario.precisions)}
        splits = sorted({(p, par) for oid, p, par, _ in shapes if oid == view.id},
                        key=lambda sp: (order[sp[0]], sp[1].tp, sp[1].pp, sp[1].ep))
        summary.precisions_run = len({p for p, _ in splits})   # each ran at the central estimate
    for precision_name, par in splits:
        wanted = {role for role in ROLES if shapes is None or (view.id, precision_name, par, role) in shapes}
        r = problem.replica(view, precision_name, par)
        best = _best_batch(problem, r, shock, summary) if "colocated" in wanted else None
        if best is not None:
            perf, ttft, tpot, capacity, centre = best
            out.append(Design(view.id, perf, ttft, tpot, capacity, draw=draw, central_ttft_ms=centre[0], central_tpot_ms=centre[1]))
        if scenario.disaggregation and wanted - {"colocated"} and "pd-disaggregation" in view.engine.features:
            out.extend(d for d in _pd_designs(problem, r, shock, view.id, draw) if d.role in wanted)
    if not out:
        tried = [p for p in scenario.precisions if not any(n.startswith(f"{p}:") for n in summary.notes)]
        reason = _no_design_reason(summary, scenario)
        # A draw's reason is the confidence's, not the central estimate's: say so.
        summary.reasons.append(reason if draw is None else f"at confidence {scenario.sla.confidence:.0%}: {reason}")
        if summary.notes and tried:
            summary.reasons.append(f"note: {'; '.join(summary.notes)} ({', '.join(tried)} tried)")
    return out


def _best_batch(
    problem: Problem, r: Replica, shock: Shock, summary: OfferSummary,
) -> tuple[ReplicaPerf, float, float, float, tuple[float, float]] | None:
    """The largest batch meeting the SLAs under the shock: its perf, TTFT and TPOT (shocked), its
    capacity, and (TTFT, TPOT) of the same replica at the model's own estimate."""
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
        ttft, tpot = latency_at_statistic(perf, tail, scenario.sla.statistic, shock)
        return perf, ttft, tpot

    first = at(batches[0])
    summary.best_ttft_ms = first[1] if summary.best_ttft_ms is None else min(summary.best_ttft_ms, first[1])
    summary.best_tpot_ms = first[2] if summary.best_tpot_ms is None else min(summary.best_tpot_ms, first[2])
    if sla_slack(first[1], first[2], scenario) > 0:
        return None
    # Latency grows with batch, so the SLA-compliant batches are a prefix: bisect the grid for its
    # end, then the whole batches between that grid point and the next (or the memory/engine cap).
    best, lo, hi = first, 0, len(batches)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        trial = at(batches[mid])
        if sla_slack(trial[1], trial[2], scenario) <= 0:
            best, lo = trial, mid
        else:
            hi = mid
    def slack(b: int) -> float:
        trial = at(b)
        return sla_slack(trial[1], trial[2], scenario)

    top = batches[lo + 1] if lo + 1 < len(batches) else b_max + 1
    batch = largest_feasible(batches[lo], top, slack, sla_slack(best[1], best[2], scenario),
                             None if top > b_max else slack(top))
    perf, ttft, tpot = at(batch)
    tail = problem.run(r, batch, w.input_tokens_p90) if scenario.sla.statistic != "mean" and w.input_tokens_p90 else None
    return perf, ttft, tpot, capacity_of(perf, scenario, shock.throughput), latency_at_statistic(perf, tail, scenario.sla.statistic)


def _pd_designs(problem: Problem, r: Replica, shock: Shock, offer_id: str, draw: int | None) -> list[Design]:
    """A prefill replica (one prompt at a time, utilisation chosen so TTFT with queueing and the KV
    hand-over meets the SLA) and a decode replica (the largest batch whose step meets the TPOT SLA),
    both under the draw's shock. A prefill replica's wait is counted in its own prefill occupancy,
    so the prefill error scales its whole TTFT."""
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
    budget = None if sla.ttft_ms is None else units.ms_to_s(sla.ttft_ms) / shock.prefill
    pool = prefill_pool(single, transfer, budget, wait_factor)
    if pool is not None:
        rate = pool.requests_per_s * shock.throughput
        out.append(Design(offer_id, single, units.s_to_ms(pool.ttft_s) * shock.prefill, None,
                          _pool_capacity(rate, scenario), "prefill", rate, draw, central_ttft_ms=units.s_to_ms(pool.ttft_s)))
    batches = sorted(b for b in set(scenario.search.batches) if b <= b_max)

    def slack(b: int) -> float:
        tpot_ms = units.s_to_ms(decode_pool(problem.run(r, b, w.input_tokens)).tpot_s) * shock.tpot
        return -1.0 if sla.tpot_ms is None else tpot_ms / sla.tpot_ms - 1

    def meets(b: int) -> bool:
        return slack(b) <= 0

    # The decode step grows with the batch: bisect the grid, then the whole batches up to the next
    # grid point (or the cap), for the largest batch meeting TPOT.
    lo, hi = -1, len(batches)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if meets(batches[mid]) else (lo, mid)
    if lo >= 0:
        top = batches[lo + 1] if lo + 1 < len(batches) else b_max + 1
        lo_b = largest_feasible(batches[lo], top, slack, slack(batches[lo]), None if top > b_max else slack(top))
        dec = decode_pool(problem.run(r, lo_b, w.input_tokens))
        rate = dec.requests_per_s * shock.throughput
        out.append(Design(offer_id, problem.run(r, lo_b, w.input_tokens), None, units.s_to_ms(dec.tpot_s) * shock.tpot,
                          _pool_capacity(rate, scenario), "decode", rate, draw, central_tpot_ms=units.s_to_ms(dec.tpot_s)))
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
