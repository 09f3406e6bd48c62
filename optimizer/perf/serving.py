"""Serving: the queue in front of one replica (closed loop of concurrent users, or a burst), and
the whole-replica time one prompt's prefill costs when prompts keep coming."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

from optimizer.arch import attention_flops_per_token
from optimizer.perf.replica import Replica
from optimizer.perf.step import StepBreakdown


def prefill_occupancy(r: Replica, input_len: int, single: StepBreakdown, queued: int = 1) -> float:
    """Whole-replica time one prompt's prefill costs when prompts keep arriving.

    Prompts in different pipeline stages or attention groups overlap, so the work spreads over all
    the replica's cards: the prompt's total FLOPs / (cards x peak x MFU). Weight reads and per-step
    overhead are shared by the overlapping prompts (divided by the lanes), and by the prompts one
    prefill step packs under the engine's token budget when `queued` prompts wait (up to
    budget / prompt length of them); collectives scale with tokens and are only divided by the
    lanes. Never more than the prompt alone; equal to it on one card with one prompt."""
    model, par = r.model, r.par
    p = r.params
    tokens = float(max(1, input_len))
    lanes = par.pp * par.attention_dp
    packed = max(1, min(queued, r.prefill_budget // max(1, input_len)))
    routed_active = p.moe_layers * p.experts_per_token * p.expert
    dense_params = p.active - p.embedding - p.lm_head - routed_active
    flops = 2 * dense_params * tokens + 2 * p.lm_head + attention_flops_per_token(model, tokens / 2, prefill=True) * tokens
    flops += 2 * routed_active * tokens / r.factors.expert_mfu  # grouped expert GEMMs at their own share of the MFU
    spread = flops / (par.cards * r.peak_flops * r.factors.mfu_prefill)
    occupancy = max(spread, single.memory_s / (lanes * packed)) + single.communication_s / lanes + single.overhead_s / (lanes * packed)
    return min(single.total_s, occupancy)


@dataclass(frozen=True)
class ServingEstimate:
    ttft_s: float
    tpot_s: float
    output_tokens_per_s: float
    requests_per_s: float


def serve_closed_loop(
    prefill_s: float, occupancy_s: float, step_s: float, batch: int, output_len: int, arrivals: str = "random",
    *, tokens_per_step: float = 1.0, front_end_s: float = 0.0, mixed_prefill_steps: int = 0, wave_share: float = 1.0,
    users: int | None = None, wave_pack: int = 1, wave_steps: int = 0, prompts: int | None = None,
) -> ServingEstimate:
    """Steady state of a closed loop of `users` (default `batch`) on one replica with continuous
    batching that runs at most `batch` requests at once (the engine's running cap or the KV cache).

    Per request the replica spends `occupancy_s` of whole-replica time on its prefill (less than
    `prefill_s` when prompts in different pipeline stages or attention groups overlap; see
    prefill_occupancy) plus (O - 1) / tokens_per_step decode steps shared by the batch, so
        requests/s = 1 / (occupancy_s + (O - 1) / tokens_per_step x step_s / batch).
    A new request waits for the decode step in flight (half a step) and for the other users'
    prefills: an M/D/1 queue at the arrival rate of the other batch - 1 users. An engine that
    mixes prefill chunks into decode steps (`mixed_prefill_steps` > 0) also waits for the decode
    work of those steps. `front_end_s` (HTTP, tokenizer, admission) adds to TTFT and to each user's
    cycle without occupying the replica. By Little's law a request lives batch / (requests/s);
    what is not TTFT is spread over its O - 1 later tokens, which is the TPOT a user sees with
    prefills interleaved. At batch 1 TTFT = prefill + front end and TPOT = step / tokens_per_step.

    Users beyond the running cap wait for a slot: the replica stays full, so the rate is the
    running batch's, and by Little's law the users - batch waiting spend (users - batch) / rate
    each before their prefill starts (added to TTFT, not TPOT).

    `arrivals="synchronized"`: every request has the same prompt and output length (a fixed-length
    benchmark), so a closed loop moves in waves: the batch's requests finish together and their
    successors arrive together, and a request waits on average for (batch - 1) / 2 prefills. An
    engine packs up to `wave_pack` queued prompts into one prefill step (its token budget over the
    prompt length) and a prompt's first token comes when its whole step ends: (pack - 1) / 2
    prefills more. A mixed engine (`wave_steps` > 0) spreads the wave's prompts over `wave_steps`
    steps, each also carrying a decode step of the running batch: a prompt waits for half of them.
    `arrivals="clustered"` (lengths within a narrow random range): a share `wave_share` of that wave
    wait, the rest the random-arrival wait (a fitted factor: how far the waves survive the spread).

    `prompts`: a benchmark that issues this many requests in all (None: a service in steady state)
    starts its `batch` first requests at once on an idle replica: they wait the wave wait whatever
    the arrivals, and the mean TTFT over the run is batch / prompts of the way from the steady wait
    to the wave wait (opening_wait). The opening wave does not change the steady rate or TPOT.
    """
    users = max(users or batch, batch)
    decode_steps = max(output_len - 1, 0) / tokens_per_step
    per_request = occupancy_s + decode_steps * step_s / batch
    pack = max(1, min(wave_pack, batch))
    wave_wait = ((batch - 1) + (pack - 1)) / 2 * occupancy_s + max(wave_steps - 1, 0) / 2 * step_s
    rho = min(occupancy_s * (batch - 1) / batch / per_request, 0.999)
    random_wait = step_s / 2 + rho / (2 * (1 - rho)) * occupancy_s
    if batch <= 1:
        wait = 0.0
    elif arrivals == "synchronized":
        wait = wave_wait
    elif arrivals == "clustered":
        wait = wave_share * wave_wait + (1 - wave_share) * random_wait
    else:
        wait = random_wait
    opening = opening_wait(wait, wave_wait, batch, prompts) - wait if batch > 1 else 0.0
    wait += mixed_prefill_steps * step_s if batch > 1 else 0.0
    engine_ttft = prefill_s + wait
    lifetime = batch * per_request
    tpot = max(step_s / tokens_per_step, (lifetime - engine_ttft) / max(output_len - 1, 1)) if decode_steps else step_s
    rate = batch / (lifetime + front_end_s)
    slot_wait = (users - batch) / rate
    return ServingEstimate(engine_ttft + opening + front_end_s + slot_wait, tpot, rate * output_len, rate)


def opening_wait(steady_s: float, wave_s: float, batch: int, prompts: int | None) -> float:
    """Mean wait before prefill over a benchmark run of `prompts` requests whose first `batch` arrive
    together on an idle replica (closed-loop clients open every connection at once): those wait
    `wave_s` (the wave wait of serve_closed_loop), the rest `steady_s`. None: steady state only."""
    if not prompts:
        return steady_s
    share = min(1.0, batch / prompts)
    return share * wave_s + (1.0 - share) * steady_s


def serve_burst(
    prefill_s: float, occupancy_s: float, step_s: float, requests: int, running: int, output_len: int,
    *, tokens_per_step: float = 1.0, front_end_s: float = 0.0, front_end_pace_s: float = 0.0,
    step_at: Callable[[int], float] | None = None, wave_pack: int = 1,
) -> ServingEstimate:
    """All `requests` issued at once to one replica that runs at most `running` at a time (the
    engine's cap, or what the KV cache holds). They are served in waves of `running`: a wave's
    prompts are prefilled one after another, then decode together; the next wave starts when the
    slots free. Mean TTFT counts the waves waited; throughput is output tokens over the makespan.
    Prompts packed `wave_pack` to a prefill step (budget / prompt length, per attention group) get
    their first token when their step ends (serve_closed_loop). The burst's requests also pass the
    front end process one at a time (`front_end_pace_s` each, _in_wave_wait): when that is slower than
    the prefill, it paces the wave. `front_end_s` is each request's own latency outside the GPU (HTTP,
    tokenizer, admission), most of which overlaps between requests, so it is not the pace.

    `step_at` (given for conversation datasets such as ShareGPT, whose output lengths are roughly
    exponential with mean O): the last wave's batch thins as requests finish, k e^(-t/O) left after
    t tokens, and the longest of k lasts O x H_k tokens (H_k = ln k + 0.577). The wave spends
    O x ln 2 tokens at each halving of the batch, k, k/2, ..., 1, and 0.577 O at one sequence;
    `step_at(b)` times a step at batch b (MoE steps are far from affine in b: experts touched)."""
    running = max(1, min(running, requests))
    waves = math.ceil(requests / running)
    decode_steps = max(output_len - 1, 0) / tokens_per_step
    wave_s = running * occupancy_s + decode_steps * step_s
    last_wave_s = wave_s
    if step_at is not None and running > 1:
        levels = [running]
        while levels[-1] > 1:
            levels.append(max(1, levels[-1] // 2))
        tail_tokens = sum(math.log(a / b) * step_at(a) for a, b in itertools.pairwise(levels)) + 0.5772 * step_at(1)
        last_wave_s = running * occupancy_s + decode_steps * tail_tokens
    pack = max(1, min(wave_pack, running))
    in_wave_wait = _in_wave_wait(running, pack, occupancy_s, front_end_pace_s)
    ttft = front_end_s + prefill_s + in_wave_wait + (waves - 1) / 2 * wave_s
    makespan = (waves - 1) * wave_s + last_wave_s + prefill_s - occupancy_s
    tokens = max(output_len - 1, 1)
    stall = max(0.0, running * occupancy_s - in_wave_wait - prefill_s)  # later prompts' prefills a request waits out
    if step_at is not None:
        # A benchmark averages (latency - TTFT) / tokens over requests; with exponential lengths the
        # short answers weigh heavily: E[1/o] = (ln O - 0.577) / O, so the prefill stall counts that many times.
        stall *= max(1.0, math.log(tokens) - 0.5772)
    tpot = (stall + decode_steps * step_s) / tokens if decode_steps else step_s
    tpot = max(tpot, step_s / tokens_per_step)
    rate = requests / makespan
    return ServingEstimate(ttft, tpot, rate * output_len, rate)


def _in_wave_wait(prompts: int, pack: int, occupancy_s: float, front_end_pace_s: float) -> float:
    """Mean wait of `prompts` arriving together before their prefill ends: they pass the front end
    (one process: HTTP, tokenizer, admission) one at a time, `front_end_pace_s` each, then the replica's
    prefill steps, `pack` prompts a step at `occupancy_s` each; the slower of the two stages sets the
    pace: (prompts - 1) / 2 of its time, plus (pack - 1) / 2 prompts more for a packed step."""
    return max(((prompts - 1) + (pack - 1)) / 2 * occupancy_s, (prompts - 1) / 2 * front_end_pace_s)
