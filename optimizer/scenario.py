"""The scenario file: model, workload, SLAs, server offers, constraints and objective.

Strict pydantic schema with units in the keys; `procure schema scenario` exports it as JSON Schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, model_validator

from optimizer.efficiency import Speculative, default_engine, load_engines
from optimizer.errors import InputError
from optimizer.specs import (
    PositiveFinite,
    PositiveInt,
    PrecisionName,
    Strict,
    get_model,
    load_cards,
    parse_record,
)

KvPrecision = Literal["bf16", "fp16", "fp8", "int8"]
Fraction = Annotated[float, Field(gt=0, lt=1)]


class Load(Strict):
    """Exactly one of: concurrent users, requests per second, output tokens per second."""

    concurrent_users: PositiveInt | None = None
    requests_per_s: PositiveFinite | None = None
    output_tokens_per_s: PositiveFinite | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Load:
        given = [v for v in (self.concurrent_users, self.requests_per_s, self.output_tokens_per_s) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of concurrent_users, requests_per_s, output_tokens_per_s")
        return self

    @property
    def unit(self) -> str:
        if self.concurrent_users is not None:
            return "concurrent users"
        return "requests/s" if self.requests_per_s is not None else "output tokens/s"

    @property
    def amount(self) -> float:
        return float(self.concurrent_users or self.requests_per_s or self.output_tokens_per_s or 0)


class Workload(Strict):
    input_tokens: PositiveInt = Field(description="mean prompt length")
    output_tokens: PositiveInt = Field(description="mean output length")
    input_tokens_p90: PositiveInt | None = Field(None, description="p90 prompt length, used by p90/p99 SLAs")
    max_context_tokens: PositiveInt | None = Field(
        None, description="longest context a request may reach; KV memory is sized for it (default input + output)"
    )
    load: Load

    @model_validator(mode="after")
    def _context_holds_a_request(self) -> Workload:
        if self.max_context_tokens is not None and self.max_context_tokens < self.input_tokens + self.output_tokens:
            raise ValueError("max_context_tokens is shorter than input_tokens + output_tokens")
        return self

    @property
    def context_tokens(self) -> int:
        return self.max_context_tokens or self.input_tokens + self.output_tokens


class Sla(Strict):
    ttft_ms: PositiveFinite | None = None
    tpot_ms: PositiveFinite | None = None
    statistic: Literal["mean", "p90", "p99"] = Field(
        "mean", description="mean, or a percentile (TTFT: p90 prompt length and an exponential queue tail)"
    )
    confidence: Annotated[float, Field(ge=0.5, le=0.99)] = Field(
        0.8, description="designs must meet the SLAs at this quantile of the model's cross-validated error "
        "(0.5: the central estimate; 0.8: four times in five)",
    )


class Offer(Strict):
    """A vendor's bid: servers of one card type at a price, with limited availability."""

    id: str
    vendor: str
    card: str
    cards_per_server: PositiveInt | None = Field(None, description="default: the catalog's cards_per_server")
    price_rmb_per_server: PositiveFinite | None = None
    price_rmb_per_card: PositiveFinite | None = None
    server_base_rmb: Annotated[float, Field(ge=0)] = Field(0, description="chassis, CPUs, NICs when priced per card")
    use_catalog_price: Literal["low", "mid", "high"] | None = Field(
        None, description="price the cards from the catalog range (no bid); the report labels it"
    )
    price_kind: Literal["quote", "range", "estimate", "catalog"] = "quote"
    price_note: str = ""
    available_servers: PositiveInt
    owned: bool = Field(False, description="already bought: costs nothing, quantity fixed to available_servers")
    engine: str | None = Field(None, description="serving engine on this offer (catalog/engines.yaml); default: the scenario's")

    @model_validator(mode="after")
    def _one_price(self) -> Offer:
        ways = [self.price_rmb_per_server is not None, self.price_rmb_per_card is not None, self.use_catalog_price is not None]
        if not self.owned and sum(ways) != 1:
            raise ValueError("give exactly one of price_rmb_per_server, price_rmb_per_card, use_catalog_price")
        return self


class Constraints(Strict):
    budget_rmb: PositiveFinite | None = None
    vendors_allowed: list[str] | None = None
    vendors_excluded: list[str] = []
    single_vendor: bool = False
    max_servers: PositiveInt | None = None
    power_cap_kw: PositiveFinite | None = None
    tp_across_servers: bool = Field(False, description="allow a TP group to span servers (over the NIC)")
    multi_server_replicas: bool = Field(True, description="allow PP/EP replicas that span servers")


class Objective(Strict):
    kind: Literal["capex", "tco", "max_load"] = Field(
        "capex", description="capex or tco: cheapest plan covering the load; max_load: most load the offers "
        "(e.g. hardware already owned) can serve within the SLAs and limits, the load being a floor",
    )
    years: PositiveFinite | None = None
    rmb_per_kwh: PositiveFinite | None = None
    pue: Annotated[float, Field(ge=1, le=3)] = 1.3

    @model_validator(mode="after")
    def _tco_inputs(self) -> Objective:
        if self.kind == "tco" and (self.years is None or self.rmb_per_kwh is None):
            raise ValueError("a tco objective needs years and rmb_per_kwh")
        return self


class Search(Strict):
    """The design space. Defaults cover what serving engines deploy."""

    tp: list[PositiveInt] = [1, 2, 4, 8, 16]
    pp: list[PositiveInt] = [1, 2, 4]
    batches: list[PositiveInt] = [1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
    ranked_plans: PositiveInt = 5


class Analysis(Strict):
    """Reports `procure solve` also writes and links (the same as its --compare / --whatif-* options)."""

    compare: bool = False
    budget_sweep_rmb: str | None = Field(None, description="FROM:TO:STEPS in RMB")
    tpot_sweep_ms: list[PositiveFinite] | None = Field(None, min_length=1)


class Scenario(Strict):
    name: str
    description: str = ""
    model: str = Field(description="catalog model id or path to a model spec YAML")
    precisions: list[PrecisionName] = Field(min_length=1, description="allowed weight formats, preferred first")
    kv_precision: KvPrecision = "bf16"
    workload: Workload
    sla: Sla
    offers: list[Offer] = Field(min_length=1)
    constraints: Constraints = Constraints()
    objective: Objective = Objective()
    search: Search = Search()
    disaggregation: bool = Field(
        False, description="also consider prefill/decode disaggregation: separate prefill and decode replicas, "
        "sized separately, the KV cache of each prompt moved over the NIC (needs a load in requests/s or tokens/s)",
    )
    engine: str | None = Field(
        None, description="serving engine profile (catalog/engines.yaml); default: each card family's mature 2026 engine"
    )
    speculative: Speculative = Field(
        Speculative(), description="speculative decoding: method none|mtp|eagle|eagle3|ngram, accept_len (tokens per step)"
    )
    analysis: Analysis = Analysis()
    sources: list[str] = Field([], description="where the scenario's numbers come from")

    @model_validator(mode="after")
    def _unique_precisions(self) -> Scenario:
        if len(set(self.precisions)) != len(self.precisions):
            raise ValueError("precisions are listed more than once")
        return self

    @model_validator(mode="after")
    def _unique_offer_ids(self) -> Scenario:
        ids = [o.id for o in self.offers]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"offer ids must be unique, repeated: {sorted(dup)}")
        return self


def load_scenario(path: Path) -> Scenario:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), "(file)", f"cannot be read ({exc.strerror})", "check the path") from exc
    except yaml.YAMLError as exc:
        raise InputError(str(path), "(file)", f"is not valid YAML ({exc})", "fix the syntax") from exc
    scenario: Scenario = parse_record(Scenario, raw, str(path))  # type: ignore[assignment]
    model = get_model(scenario.model)
    if scenario.disaggregation and scenario.workload.load.concurrent_users is not None:
        raise InputError(
            str(path), "disaggregation", "a prefill/decode split is sized in requests/s, not concurrent users",
            "give workload.load as requests_per_s or output_tokens_per_s, or set disaggregation: false",
        )
    if scenario.workload.context_tokens > model.max_context:
        raise InputError(
            str(path), "workload", f"a request reaches {scenario.workload.context_tokens} tokens, {model.id} handles {model.max_context}",
            "shorten the prompt or answer, or pick a longer-context model",
        )
    engines = load_engines()
    for where, engine in [("engine", scenario.engine), *((f"offers.{i}.engine", o.engine) for i, o in enumerate(scenario.offers))]:
        if engine is not None and engine not in engines:
            raise InputError(str(path), where, f"{engine!r} is not an engine profile", f"use one of: {', '.join(engines)}")
    cards = load_cards()
    for i, offer in enumerate(scenario.offers):
        if offer.card not in cards:
            raise InputError(
                str(path), f"offers.{i}.card", f"{offer.card!r} is not a card in the catalog",
                f"use one of: {', '.join(sorted(cards))}",
            )
        card = cards[offer.card]
        if offer.use_catalog_price and card.price_rmb_per_card is None:
            raise InputError(
                str(path), f"offers.{i}.use_catalog_price", f"the catalog has no price for {offer.card}",
                "give price_rmb_per_server or price_rmb_per_card from a quote",
            )
    return scenario


def offer_engine(scenario: Scenario, offer: Offer, card_family: str) -> str:
    """The engine an offer runs: its own, the scenario's, or the family's mature default."""
    return offer.engine or scenario.engine or default_engine(card_family)


def scenario_json_schema() -> dict[str, object]:
    return Scenario.model_json_schema()
