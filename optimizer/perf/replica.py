"""One replica resolved once: the split (Parallelism), the card and the server it sits in (cards
per server from the offer), precision, engine profile and fitted factors (the Replica context
every perf function takes), and the validation of a design."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from optimizer import units
from optimizer.arch import ParamCounts, count_params
from optimizer.catalog.bundle import Catalog
from optimizer.catalog.efficiency import (
    NO_SPECULATION,
    AllreduceCodec,
    Efficiency,
    EngineProfile,
    Factors,
    ServingDefaults,
    Speculative,
)
from optimizer.catalog.records import Card, ModelSpec, Precision
from optimizer.errors import InvalidParallelism, UnsupportedPrecision

KV_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0}


@dataclass(frozen=True)
class Parallelism:
    tp: int = 1
    pp: int = 1
    ep: int = 1

    @property
    def stage_width(self) -> int:
        """Cards per pipeline stage."""
        return max(self.tp, self.ep)

    @property
    def cards(self) -> int:
        return self.stage_width * self.pp

    @property
    def attention_dp(self) -> int:
        """Data-parallel attention groups per stage (1 unless ep > tp)."""
        return max(1, self.ep // self.tp)

    def routed_share(self, num_experts: int) -> float:
        """Share of the routed experts' weights one card of a stage holds (and reads when every
        expert is touched): ceil(E / ep) expert slots per EP rank, each TP-sliced when ep < tp. An EP
        width that does not divide the experts holds redundant copies in the spare slots (SGLang
        --ep-num-redundant-experts, vLLM --num-redundant-experts: EPLB), e.g. EP24 for 256 experts
        has 11 slots per card, 264 in all; a dividing width is 1 / stage width exactly."""
        if num_experts <= 0:
            return 1.0 / self.stage_width
        return math.ceil(num_experts / self.ep) / num_experts * self.ep / self.stage_width


@dataclass(frozen=True)
class Replica:
    """Everything one replica's timing depends on, resolved once: the model, the card and the
    server it sits in (cards per server come from the offer, not the catalog card), the weight
    format, the parallel split, the engine and its fitted factors, speculative decoding."""

    model: ModelSpec
    card: Card
    precision_name: str
    precision: Precision
    compute: str
    kv_precision: str
    par: Parallelism
    engine_id: str
    engine: EngineProfile
    factors: Factors
    defaults: ServingDefaults
    params: ParamCounts
    stage: Stage
    running_cap: int        # the engine's running-sequence cap on this card
    prefill_budget: int     # the engine's chunked-prefill token budget on this card
    spec: Speculative = NO_SPECULATION
    cards_per_server: int = 0  # 0: the catalog card's
    allreduce_codec: AllreduceCodec = "none"  # "int4": large all-reduces quantized (QuickReduce), as the launch sets or the engine chooses
    # Batch-independent steps (perf.step keeps its StepBreakdowns here; typed Any so the context
    # does not import the module that fills it).
    memo: dict[object, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def server_cards(self) -> int:
        return self.cards_per_server or self.card.cards_per_server

    @property
    def scaleup_cards(self) -> int:
        """Cards one scale-up link reaches: the offer's server, or a switched domain wider than the
        catalog server (GB200 NVL72: 72 GPUs over NVLink, 4 per compute tray) when the offer keeps
        the catalog's server size."""
        s = self.card.scaleup
        if s.topology == "switch" and s.domain_cards > self.card.cards_per_server and self.server_cards == self.card.cards_per_server:
            return s.domain_cards
        return self.server_cards

    @property
    def kv_bytes(self) -> float:
        return KV_BYTES[self.kv_precision]

    @property
    def peak_flops(self) -> float:
        return units.tflops_to_flops(self.card.dense_tflops[self.compute])  # type: ignore[index]  # compute: a key of dense_tflops, as a str

    @property
    def attention_flops_peak(self) -> float:
        """Attention kernels (FlashAttention, FlashMLA) run in 16-bit even under FP8 weights."""
        tflops = self.card.dense_tflops
        return units.tflops_to_flops(tflops.get("bf16") or tflops.get("fp16") or tflops[self.compute])  # type: ignore[index]  # compute: a key of dense_tflops, as a str

    @property
    def mem_bw(self) -> float:
        return units.gbs_to_bytes_per_s(self.card.mem_bw_gbs)


def compute_precision_for(card: Card, precision_name: str, precision: Precision) -> str:
    """The compute units that run this weight format on this card, or UnsupportedPrecision."""
    for compute in precision.compute:
        if compute in card.dense_tflops:
            return compute
    have = ", ".join(sorted(card.dense_tflops)) or "none published"
    if precision_name == "fp8" and "fp8" not in card.dense_tflops:
        fix = (
            f"{card.name} has no FP8 units: run the checkpoint as bf16/fp16 (twice the weight memory)"
            " or int8 (W8A8) where the card has INT8 units"
        )
    else:
        fix = f"choose a precision this card computes natively ({have}) or int4 weight-only"
    raise UnsupportedPrecision("--precision", precision_name, f"cannot run on {card.id}", fix)


def check_parallelism(model: ModelSpec, par: Parallelism) -> None:
    """Raise InvalidParallelism for a split the model cannot run."""
    a = model.attention
    for name, value in (("--tp", par.tp), ("--pp", par.pp), ("--ep", par.ep)):
        if value < 1:
            raise InvalidParallelism(name, str(value), "must be at least 1", "use 1, 2, 4, 8, ...")
    if a.num_heads % par.tp:
        raise InvalidParallelism(
            "--tp", str(par.tp), f"does not divide the {a.num_heads} attention heads of {model.id}",
            "use a TP that divides the head count",
        )
    if a.kind == "gqa" and a.num_kv_heads % par.tp and par.tp % a.num_kv_heads:
        raise InvalidParallelism(
            "--tp", str(par.tp), f"neither divides nor is a multiple of the {a.num_kv_heads} KV heads",
            "use a TP that divides the KV head count or is a multiple of it",
        )
    if par.pp > model.num_layers:
        raise InvalidParallelism("--pp", str(par.pp), f"exceeds the {model.num_layers} layers", "lower --pp")
    if par.ep > 1:
        if model.moe is None:
            raise InvalidParallelism("--ep", str(par.ep), f"{model.id} is dense (no experts)", "use --ep 1")
        if par.ep > model.moe.num_routed_experts:
            raise InvalidParallelism(
                "--ep", str(par.ep), f"exceeds the {model.moe.num_routed_experts} routed experts",
                "use an EP of at most the expert count",
            )
        if par.ep % par.tp and par.tp % par.ep:
            raise InvalidParallelism(
                "--ep", str(par.ep), f"and --tp {par.tp} must divide one another",
                "use EP = TP, a multiple of TP (data-parallel attention) or a divisor of TP",
            )


def make_replica(
    catalog: Catalog, model: ModelSpec, card: Card, precision_name: str, par: Parallelism, kv_precision: str = "bf16",
    *, engine: str | None = None, efficiency: Efficiency | None = None, spec: Speculative | None = None,
    cards_per_server: int | None = None, allreduce_codec: AllreduceCodec | None = None,
) -> Replica:
    """Resolve a design once: precision on this card, split, engine profile and fitted factors
    (the catalog's, unless `efficiency` overrides them: the fit tries other factors).
    `engine` None: the card family's default engine (engines.yaml `default_for`). `allreduce_codec`
    None: what the engine does by itself on this model (ATOM quantizes Llama's all-reduces)."""
    precision = catalog.precision(precision_name)
    compute = compute_precision_for(card, precision_name, precision)
    check_parallelism(model, par)
    if kv_precision not in KV_BYTES:
        raise UnsupportedPrecision(
            "--kv-precision", kv_precision, "is not a KV cache format", f"use one of {', '.join(KV_BYTES)}"
        )
    efficiency = efficiency or catalog.efficiency
    engine_id = engine or catalog.default_engine(card.family)
    profile = catalog.engine(engine_id)
    running_cap, prefill_budget = profile.limits_for(card.mem_capacity_gb, card.family)
    if allreduce_codec is None:
        allreduce_codec = "int4" if model.hf_model_type in profile.int4_allreduce_model_types else "none"
    return Replica(
        model=model, card=card, precision_name=precision_name, precision=precision, compute=compute,
        kv_precision=kv_precision, par=par, engine_id=engine_id, engine=profile,
        factors=efficiency.resolve(card.family, engine_id), defaults=efficiency.defaults,
        params=params_of(model), stage=_heaviest_stage(model, par.pp),
        running_cap=running_cap, prefill_budget=prefill_budget,
        spec=spec or NO_SPECULATION, cards_per_server=cards_per_server or 0, allreduce_codec=allreduce_codec,
    )


_PARAMS: dict[int, tuple[ModelSpec, ParamCounts]] = {}


def params_of(model: ModelSpec) -> ParamCounts:
    """Parameter counts, cached by identity (hashing a model spec walks every field); the entry
    keeps the model alive so its id cannot be reused."""
    hit = _PARAMS.get(id(model))
    if hit is None or hit[0] is not model:
        hit = _PARAMS[id(model)] = (model, count_params(model))
    return hit[1]


@dataclass(frozen=True)
class Stage:
    """Weight and layer counts of the heaviest pipeline stage."""

    layers: int
    moe_layers: int
    nonrouted_params: float   # attention, dense FFN, shared experts, router, norms (TP-split)
    routed_params: float      # routed experts (spread over the stage width)
    head_params: float        # embedding and/or LM head on this stage (vocab-parallel over TP)


def _heaviest_stage(model: ModelSpec, pp: int) -> Stage:
    p = params_of(model)
    layers = math.ceil(model.num_layers / pp)
    share = layers / model.num_layers
    routed = p.routed_expert_total * share
    nonrouted = (p.layer_params_total - p.routed_expert_total + p.norms) * share
    head = p.embedding + p.lm_head if pp == 1 else max(p.embedding, p.lm_head)
    moe_layers = min(p.moe_layers, math.ceil(p.moe_layers * share)) if p.moe_layers else 0
    return Stage(layers, moe_layers, nonrouted, routed, head)
