"""Efficiency factors and serving-engine profiles: the one resolver `resolve(family, engine)`.

A factor is an achieved fraction of a datasheet peak (or a fixed cost) for one operator class,
per card family x serving engine. They are fitted (optimizer/fit.py) with partial pooling: in link
space (logit for fractions, log for times) a factor is

    global value + family effect + engine effect,

each effect shrunk toward 0 by a Gaussian prior, so a family or engine with few measured rows sits
near the pooled value instead of at the edge of a grid, and a family or engine never measured gets
the pooled value exactly (and a wide error band, see optimizer/calibration/bands.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, model_validator

from optimizer import units
from optimizer.catalog.overlay import catalog_dir, overlay_dir
from optimizer.catalog.records import (
    Fraction,
    NonNegativeFinite,
    PositiveFinite,
    PositiveInt,
    Provenance,
    Strict,
    _read_yaml,
    merged_mapping,
)
from optimizer.catalog.validation import parse_record
from optimizer.errors import InputError

# Fitted factors and their link functions. Fractions live in (0, 1): logit; times are positive: log.
FACTOR_LINKS: dict[str, str] = {
    "mbu": "logit",              # weights and KV streamed from HBM in decode
    "mfu_decode": "logit",       # dense and expert GEMMs in decode (many tokens per weight)
    "mfu_attention": "logit",    # decode attention kernels (FlashMLA, paged attention) where compute-bound: share of the 16-bit peak
    "mfu_prefill": "logit",      # GEMMs and attention in prefill
    "expert_bw": "logit",        # grouped expert GEMMs with few tokens per expert: share of `mbu` they reach
    "expert_mfu": "logit",       # grouped expert GEMMs with many tokens per expert: share of the GEMM MFU they reach
    "step_overhead_ms": "log",   # per decode step: launch, scheduler, sampling
    "moe_layer_us": "log",       # per MoE layer per step: routing, token permutation, grouped-GEMM set-up
    "ttft_overhead_ms": "log",   # per request, outside the GPU: HTTP, tokenizer, scheduler admission
    "front_end_pace_ms": "log",  # per request, one at a time in the front end process: how fast a burst is handed over
    "wave_share": "logit",       # closed loops with narrow length spread: how much of the wave wait survives
}
FACTORS = tuple(FACTOR_LINKS)


def to_link(name: str, value: float) -> float:
    if FACTOR_LINKS[name] == "logit":
        value = min(max(value, 1e-12), 1.0 - 1e-12)  # a stated 1.0 (full peak) stays finite
        return math.log(value / (1.0 - value))
    return math.log(value)


def from_link(name: str, x: float) -> float:
    if FACTOR_LINKS[name] == "logit":
        return 1.0 / (1.0 + math.exp(-x))
    return math.exp(x)


@dataclass(frozen=True)
class Factors:
    """Resolved factors of one (card family, engine) cell."""

    mbu: float
    mfu_decode: float
    mfu_attention: float
    mfu_prefill: float
    expert_bw: float
    expert_mfu: float
    step_overhead_ms: float
    moe_layer_us: float
    ttft_overhead_ms: float
    front_end_pace_ms: float
    wave_share: float
    collective_latency_us: float
    link_efficiency: float
    quantized_allreduce: QuantizedAllreduce | None = None  # the family's quantized all-reduce, where one exists


# --------------------------------------------------------------------------------------------
# Catalog records


class ServingDefaults(Strict):
    usable_mem_fraction: Fraction
    runtime_overhead_gb: NonNegativeFinite
    max_running_seqs: PositiveInt = Field(description="cap when no engine is named")
    max_batched_tokens: PositiveInt
    nic_latency_us: NonNegativeFinite
    activation_bytes: PositiveFinite
    provenance: Provenance


AllreduceCodec = Literal["none", "int4"]


class QuantizedAllreduceGroup(Strict):
    """One group size: `ratio_from_mib` holds (message size in MiB, time as a share of the plain
    all-reduce's) points in rising size; a message takes the share of the largest point not above
    it, and one smaller than the first point takes the plain path (the engine's switch-over size)."""

    cards: PositiveInt
    ratio_from_mib: list[tuple[PositiveFinite, Fraction]] = Field(min_length=1)

    @model_validator(mode="after")
    def _sizes_rise(self) -> QuantizedAllreduceGroup:
        sizes = [mib for mib, _ in self.ratio_from_mib]
        if sizes != sorted(set(sizes)):
            raise ValueError(f"ratio_from_mib sizes must rise, each once (got {sizes})")
        return self


class QuantizedAllreduce(Strict):
    """An all-reduce that quantizes its payload on the wire (AMD QuickReduce, in aiter and vLLM's ROCm
    build), measured per group size; group sizes it has no entry for take the plain path."""

    codec: Literal["int4"]
    groups: list[QuantizedAllreduceGroup] = Field(min_length=1)
    provenance: Provenance

    @model_validator(mode="after")
    def _one_entry_per_group_size(self) -> QuantizedAllreduce:
        cards = [g.cards for g in self.groups]
        if len(cards) != len(set(cards)):
            raise ValueError(f"groups: each group size once (got cards {cards})")
        return self

    def time_ratio(self, cards: int, message_bytes: float) -> float:
        """Time of one all-reduce of `message_bytes` among `cards` as a share of the plain one's."""
        ratio = 1.0
        for g in self.groups:
            if g.cards != cards:
                continue
            for mib, share in g.ratio_from_mib:
                if units.mib_to_bytes(mib) > message_bytes:
                    break
                ratio = share
        return ratio


class LinkFactors(Strict):
    """Collectives per card family: not fitted (the calibration rows cannot separate them from the
    step overhead); stated values with the reason in the file."""

    collective_latency_us: NonNegativeFinite
    link_efficiency: Fraction
    note: str
    quantized_allreduce: QuantizedAllreduce | None = None


class FitEffects(Strict):
    """Link-space effects of one family or engine (0 = the pooled value)."""

    mbu: float = 0.0
    mfu_decode: float = 0.0
    mfu_attention: float = 0.0
    mfu_prefill: float = 0.0
    expert_bw: float = 0.0
    expert_mfu: float = 0.0
    step_overhead_ms: float = 0.0
    moe_layer_us: float = 0.0
    ttft_overhead_ms: float = 0.0
    front_end_pace_ms: float = 0.0
    wave_share: float = 0.0
    rows: int = Field(0, ge=0, description="calibration rows measured on this family or engine")


class GlobalFactors(Strict):
    mbu: Fraction
    mfu_decode: Fraction
    mfu_attention: Fraction
    mfu_prefill: Fraction
    expert_bw: Fraction
    expert_mfu: Fraction = 0.8
    step_overhead_ms: PositiveFinite
    moe_layer_us: PositiveFinite
    ttft_overhead_ms: PositiveFinite
    front_end_pace_ms: PositiveFinite
    wave_share: Fraction = 0.5


class FitRecord(Strict):
    """What the fit did, structured: the data it saw and how well it did in and out of sample."""

    method: str
    rows: int = Field(ge=0)
    sources: int = Field(ge=0)
    files: list[str]
    in_sample_median_ape: dict[str, float]
    cv_median_ape: dict[str, float]


class Efficiency(Strict):
    defaults: ServingDefaults
    links: dict[str, LinkFactors]
    prior_sd: dict[str, PositiveFinite] = Field(description="link-space s.d. of a family or engine effect")
    prior_sd_family: dict[str, PositiveFinite] = Field(
        default_factory=dict, description="per factor, the s.d. of a card family's effect where it differs from prior_sd "
        "(the per-step overhead: the family keeps only what is hardware, the engine the rest)",
    )
    prior_sd_engine: dict[str, PositiveFinite] = Field(
        default_factory=dict, description="per factor, the s.d. of an engine's effect where it differs from prior_sd",
    )
    prior_pooled: GlobalFactors = Field(description="stated values the pooled factors are weakly pulled toward")
    pooled: GlobalFactors
    families: dict[str, FitEffects]
    engines: dict[str, FitEffects]
    fit: FitRecord

    _resolved: dict[tuple[str, str | None], Factors] = PrivateAttr(default_factory=dict)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Efficiency:
        """A copy with other factors must not inherit this record's resolved factors."""
        copy = super().model_copy(update=update, deep=deep)
        copy._resolved = {}
        return copy

    def resolve(self, family: str, engine: str | None) -> Factors:
        """Factors of one card family under one engine; an unknown family or engine gets the pooled
        value (its effect is 0). Cached on the record (it is frozen, so they cannot go stale)."""
        key = (family, engine)
        if key not in self._resolved:
            self._resolved[key] = _resolve(self, family, engine)
        return self._resolved[key]


def engine_lineage(engine: str | None) -> tuple[str, ...]:
    """The engine and its parent profile (SGLang 0.4 and SGLang on Ascend descend from SGLang):
    a variant's effect is its parent's plus its own, so it borrows the parent's data."""
    if engine is None:
        return ()
    profiles = load_engines()
    parent = profiles[engine].parent if engine in profiles else None
    return (engine, parent) if parent else (engine,)


def _resolve(eff: Efficiency, family: str, engine: str | None) -> Factors:
    fam = eff.families.get(family)
    engines = [eff.engines[e] for e in engine_lineage(engine) if e in eff.engines]
    values = {}
    for name in FACTORS:
        x = to_link(name, getattr(eff.pooled, name))
        x += getattr(fam, name) if fam else 0.0
        x += sum(getattr(e, name) for e in engines)
        values[name] = from_link(name, x)
    link = eff.links.get(family) or eff.links["pooled"]
    return Factors(**values, collective_latency_us=link.collective_latency_us, link_efficiency=link.link_efficiency,
                   quantized_allreduce=link.quantized_allreduce)


class SmallGpuLimits(Strict):
    """Defaults an engine lowers on cards with less memory (vLLM V1: 256 sequences and a 2,048-token
    budget below 70 GiB, and on A100 whatever its memory)."""

    below_gb: PositiveFinite
    families: list[str] = Field(default_factory=list, description="card families that always get these limits")
    max_running_seqs: PositiveInt
    chunked_prefill_tokens: PositiveInt


class EngineProfile(Strict):
    """What a serving engine does by default (catalog/engines.yaml)."""

    name: str
    versions: str
    era: str
    match: list[str] = Field(min_length=1)
    parent: str | None = Field(None, description="the profile this one is a variant of (era, hardware port)")
    superseded: bool = Field(False, description="an older release line a newer profile replaces (its errors do not "
                             "widen the bands of current engines)")
    max_running_seqs: PositiveInt
    chunked_prefill_tokens: PositiveInt
    small_gpu: SmallGpuLimits | None = Field(None, description="lower defaults the engine picks on smaller cards")
    prefill_mode: Literal["prefill-first", "mixed"]
    mem_reserved_gb: PositiveFinite | None = Field(
        None, description="memory the engine keeps back for activations, graphs and runtime; the rest holds weights "
        "and KV (SGLang 0.5); null = the catalog default fraction and runtime overhead",
    )
    kv_free_fraction: Fraction | None = Field(
        None, description="share of the memory left after weights, activations and runtime that the KV cache takes "
        "(TensorRT-LLM's free_gpu_memory_fraction); null = the catalog's share of the whole card (vLLM's "
        "gpu_memory_utilization) or mem_reserved_gb",
    )
    graph_capture: bool
    features: list[str] = Field(description="what the engine can run: a prefill/decode split needs pd-disaggregation")
    max_servers_per_replica: PositiveInt | None = Field(
        None, description="most servers one replica may span under this engine (null: no limit), for a release that "
        "documents single-server serving only")
    default_for: list[str]
    runs_on: list[str] = Field(min_length=1, description="card families the engine has a backend for")
    ep_token_exchange: Literal["data-parallel-attention", "always"] = Field(
        "data-parallel-attention", description="when expert parallelism dispatches and combines tokens all-to-all: "
        "only with data-parallel attention (vLLM, ATOM: with tensor-parallel attention the layer's all-reduce combines "
        "the experts), or whenever EP > 1 (vLLM-Ascend's MC2 / all-to-all, and OmniInfer on it)",
    )
    int4_allreduce_model_types: list[str] = Field(
        default_factory=list, description="config.json model_types on which the engine quantizes its all-reduces to INT4 "
        "by itself (ATOM on Llama), as if the launch set AITER_QUICK_REDUCE_QUANTIZATION=INT4",
    )
    provenance: Provenance

    def limits_for(self, mem_gb: float, family: str) -> tuple[int, int]:
        """(running-sequence cap, prefill token budget) on a card of this memory and family."""
        small = self.small_gpu
        if small is not None and (mem_gb < small.below_gb or family in small.families):
            return small.max_running_seqs, small.chunked_prefill_tokens
        return self.max_running_seqs, self.chunked_prefill_tokens


class Speculative(Strict):
    """Speculative decoding: each step verifies `draft_tokens` tokens per sequence (the token the
    model would emit anyway plus draft_tokens - 1 drafted ones) and emits `accept_len` on average.
    accept_len 1 is no speculation."""

    method: Literal["none", "mtp", "eagle", "eagle3", "ngram"] = "none"
    accept_len: float = Field(1.0, ge=1.0, le=16.0, allow_inf_nan=False)
    draft_tokens: PositiveInt | None = Field(
        None, description="tokens verified per sequence per step; default: accept_len rounded up, plus one"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Speculative:
        if self.method == "none" and (self.accept_len != 1.0 or self.draft_tokens is not None):
            raise ValueError("method none (no speculative decoding) emits one token per step: it takes no accept_len "
                             "above 1 and no draft_tokens; name the method (mtp, eagle, eagle3, ngram) or drop them")
        if self.draft_tokens is not None and self.accept_len > self.draft_tokens:
            raise ValueError(f"accept_len {self.accept_len:g} exceeds draft_tokens {self.draft_tokens}: a step cannot "
                             "emit more tokens than it verifies; raise draft_tokens or lower accept_len")
        return self

    @property
    def active(self) -> bool:
        return self.method != "none" and self.accept_len > 1.0

    @property
    def verify_tokens(self) -> int:
        if not self.active:
            return 1
        return self.draft_tokens or math.ceil(self.accept_len) + 1

    @property
    def emitted_per_step(self) -> float:
        return self.accept_len if self.active else 1.0


NO_SPECULATION = Speculative()


# --------------------------------------------------------------------------------------------
# Loading


def load_efficiency() -> Efficiency:
    """The shipped fit (never overlaid: the factors are the project's)."""
    return _efficiency(overlay_dir())


@lru_cache(maxsize=4)
def _efficiency(overlay: Path | None) -> Efficiency:
    # One record per overlay although the file is the shipped one: a record caches factors resolved
    # through the engine profiles' parents, which an overlay's engines.yaml may change.
    path = catalog_dir() / "efficiency.yaml"
    return parse_record(Efficiency, _read_yaml(path), str(path))


def load_engines() -> dict[str, EngineProfile]:
    """The shipped profiles, then the overlay's engines.yaml: a name in both takes the overlay's
    profile (keeping its place: the first profile that matches a framework or claims a family wins)."""
    return _engines(overlay_dir())


@lru_cache(maxsize=4)
def _engines(overlay: Path | None) -> dict[str, EngineProfile]:
    profiles, source = merged_mapping("engines.yaml", EngineProfile, overlay)
    for name, profile in profiles.items():
        if profile.parent is not None and profile.parent not in profiles:
            raise InputError(f"{source[name]}:{name}", "parent", f"{profile.parent!r} is not a profile",
                             "name a profile of the shipped engines.yaml or of the overlay's")
    return profiles


def engine_for_framework(framework: str) -> str | None:
    """The profile id a benchmark's framework string maps to (first match in file order), or None."""
    text = framework.strip().lower()
    for engine_id, profile in load_engines().items():
        if any(re.search(pattern, text) for pattern in profile.match):
            return engine_id
    return None
