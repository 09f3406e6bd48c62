"""One replica, end to end: memory, prefill, decode step and the serving queue, as a ReplicaPerf."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optimizer import units
from optimizer.arch import kv_bytes_per_token
from optimizer.catalog.bundle import Catalog
from optimizer.catalog.efficiency import AllreduceCodec, Efficiency, Factors, Speculative
from optimizer.catalog.records import Card, ModelSpec
from optimizer.errors import InvalidParallelism
from optimizer.perf.comm import quantized_allreduce
from optimizer.perf.memory import MemoryBreakdown, max_batch, memory_breakdown
from optimizer.perf.replica import Parallelism, Replica, make_replica
from optimizer.perf.serving import prefill_occupancy, serve_burst, serve_closed_loop
from optimizer.perf.step import StepBreakdown, decode_step, prefill_step


@dataclass(frozen=True)
class ReplicaPerf:
    model_id: str
    card_id: str
    precision: str
    compute_precision: str
    kv_precision: str
    parallelism: Parallelism
    batch: int
    input_len: int
    output_len: int
    servers_spanned: int
    memory: MemoryBreakdown
    kv_bytes_per_token: float
    prefill: StepBreakdown
    decode: StepBreakdown
    ttft_s: float
    tpot_s: float
    output_tokens_per_s: float
    requests_per_s: float
    prefill_occupancy_s: float      # whole-replica time one prompt costs when prompts keep coming
    engine: str = ""
    accept_len: float = 1.0
    family: str = ""            # the card's efficiency family, for the error band
    prefill_budget: int = 0     # the engine's chunked-prefill token budget on this card (its launch flag)
    spec: Speculative = field(default_factory=Speculative, compare=False)  # speculative decoding, as launched
    cards_per_server: int = 0   # the offer's server size the replica was placed on
    model_class: str = "dense"  # dense | moe, for the error band
    allreduce_codec: AllreduceCodec = "none"  # the codec its tensor-parallel all-reduces were timed with (perf.comm)
    factors: Factors | None = field(default=None, compare=False)

    @property
    def fits(self) -> bool:
        return self.memory.fits

    @property
    def prefill_s(self) -> float:
        return self.prefill.total_s

    @property
    def cards(self) -> int:
        return self.parallelism.cards

    @property
    def bottleneck(self) -> str:
        return self.decode.bottleneck

    @property
    def decode_token_s(self) -> float:
        """Time per emitted token of one sequence with no prefill in between (step / accept_len)."""
        return self.decode.total_s / self.accept_len


def evaluate(
    catalog: Catalog, model: ModelSpec, card: Card, precision_name: str, par: Parallelism, batch: int,
    input_len: int, output_len: int, kv_precision: str = "bf16", efficiency: Efficiency | None = None,
    context_len: int | None = None, arrivals: str = "random", *, engine: str | None = None,
    spec: Speculative | None = None, cards_per_server: int | None = None, burst_requests: int | None = None,
) -> ReplicaPerf:
    """Evaluate one replica design serving `batch` concurrent requests of one shape.

    `efficiency` defaults to the catalog's fitted factors (the fit passes trial factors); `engine`
    defaults to the card family's mature engine. `context_len` sizes the KV memory (the longest
    context a request may reach; default input + output); decode traffic uses the average context,
    input + output / 2. `arrivals`: see serve_closed_loop. `burst_requests`: all of them arrive
    at once and at most `batch` run together (serve_burst)."""
    if batch < 1:
        raise InvalidParallelism("--batch", str(batch), "must be at least 1", "use a positive batch or 'max'")
    r = make_replica(
        catalog, model, card, precision_name, par, kv_precision, engine=engine, efficiency=efficiency, spec=spec,
        cards_per_server=cards_per_server,
    )
    return evaluate_replica(r, batch, input_len, output_len, context_len, arrivals, burst_requests)


def evaluate_replica(
    r: Replica, batch: int, input_len: int, output_len: int, context_len: int | None = None,
    arrivals: str = "random", burst_requests: int | None = None, exponential_lengths: bool = False,
    users: int | None = None, prompts: int | None = None,
) -> ReplicaPerf:
    """`batch` requests run at once; `users` (default `batch`) is the closed loop's concurrency: users
    beyond the running batch wait for a slot (serve_closed_loop). `prompts`: a benchmark run of that
    many requests per replica, opening with all users at once (None: steady state)."""
    context = context_len or input_len + output_len
    mem = memory_breakdown(r, batch, context)
    pre = prefill_step(r, input_len)
    dec = decode_step(r, batch, input_len + output_len / 2)
    occupancy = prefill_occupancy(r, input_len, pre, queued=burst_requests or batch)
    emitted = r.spec.emitted_per_step
    front_end = units.ms_to_s(r.factors.ttft_overhead_ms)
    if burst_requests is not None:
        context_avg = input_len + output_len / 2
        serving = serve_burst(
            pre.total_s, occupancy, dec.total_s, burst_requests, batch, output_len,
            tokens_per_step=emitted, front_end_s=front_end, front_end_pace_s=units.ms_to_s(r.factors.front_end_pace_ms),
            wave_pack=wave_shape(r, batch, input_len)[1],
            step_at=(lambda b: decode_step(r, b, context_avg).total_s) if exponential_lengths else None,
        )
    else:
        mixed, pack, wave_steps = wave_shape(r, batch, input_len)
        serving = serve_closed_loop(
            pre.total_s, occupancy, dec.total_s, batch, output_len, arrivals,
            tokens_per_step=emitted, front_end_s=front_end, mixed_prefill_steps=mixed, wave_share=r.factors.wave_share,
            users=users, wave_pack=pack, wave_steps=wave_steps, prompts=prompts,
        )
    return ReplicaPerf(
        model_id=r.model.id,
        card_id=r.card.id,
        precision=r.precision_name,
        compute_precision=r.compute,
        kv_precision=r.kv_precision,
        parallelism=r.par,
        batch=batch,
        input_len=input_len,
        output_len=output_len,
        servers_spanned=math.ceil(r.par.cards / r.server_cards),
        memory=mem,
        kv_bytes_per_token=kv_bytes_per_token(r.model, r.kv_bytes),
        prefill=pre,
        decode=dec,
        ttft_s=serving.ttft_s,
        tpot_s=serving.tpot_s,
        output_tokens_per_s=serving.output_tokens_per_s,
        requests_per_s=serving.requests_per_s,
        prefill_occupancy_s=occupancy,
        engine=r.engine_id,
        accept_len=emitted,
        family=r.card.family,
        prefill_budget=r.prefill_budget,
        spec=r.spec,
        cards_per_server=r.server_cards,
        model_class="moe" if r.model.moe else "dense",
        allreduce_codec=quantized.codec if (quantized := quantized_allreduce(r, r.par.tp)) else "none",
        factors=r.factors,
    )


def wave_shape(r: Replica, batch: int, input_len: int) -> tuple[int, int, int]:
    """How an engine takes a wave of `batch` prompts: (decode steps a mixed engine's prompt is chunked
    over, prompts that finish together in one prefill step, steps a mixed engine spreads the wave
    over). Each attention group (data-parallel rank) has its own token budget and prefills its share
    of the wave at the same time as the others, so a prefill-first step finishes budget / prompt
    prompts in every group at once; a mixed engine carries budget tokens of prompts per step and
    group alongside its decodes."""
    prompt = max(1, input_len)
    groups = r.par.attention_dp
    per_group = math.ceil(batch / groups)
    if r.engine.prefill_mode == "mixed":
        return math.ceil(prompt / r.prefill_budget), groups, math.ceil(per_group * prompt / r.prefill_budget)
    return 0, max(1, r.prefill_budget // prompt) * groups, 0


def evaluate_max_batch(
    catalog: Catalog, model: ModelSpec, card: Card, precision_name: str, par: Parallelism, input_len: int,
    output_len: int, kv_precision: str = "bf16", max_running_seqs: int | None = None,
    efficiency: Efficiency | None = None, *, engine: str | None = None, spec: Speculative | None = None,
) -> ReplicaPerf:
    """Evaluate at the largest batch whose KV cache fits (at least 1, so a design that does not
    fit still gets its breakdown with fits = False)."""
    r = make_replica(catalog, model, card, precision_name, par, kv_precision, engine=engine, efficiency=efficiency, spec=spec)
    b = max_batch(r, input_len + output_len, max_running_seqs)
    return evaluate_replica(r, max(1, b), input_len, output_len)
