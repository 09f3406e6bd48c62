"""The scenario file: model, workload, SLAs, server offers, constraints and objective.

Strict pydantic schema with units in the keys; `procure schema scenario` exports it as JSON Schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, ValidationError, WithJsonSchema, field_validator, model_validator

from optimizer.catalog.bundle import Catalog
from optimizer.catalog.efficiency import Speculative
from optimizer.catalog.records import (
    IntMax1_000_000,
    IntMax1_000_000_000,
    IntMax10_000_000_000,
    IntMax64,
    IntMax100,
    IntMax100_000,
    IntMax100_000_000,
    IntMax128,
    IntMax1024,
    Max1e7,
    Max1e9,
    Max1e13,
    Max50,
    Max1000,
    ModelSpec,
    PrecisionName,
    Strict,
    a_day,
    read_yaml,
)
from optimizer.catalog.validation import problems_of
from optimizer.catalog.yaml_io import Lines
from optimizer.errors import InputError, Problem, one_of
from optimizer.scenario_checks import MAX_OFFERS, Label, check_size, engine_card_problems, owned_price_problems, speculative_problems
from optimizer.scenario_phases import Phases, phase_problems
from optimizer.sweep_ranges import parse_range

KvPrecision = Literal["bf16", "fp16", "fp8", "int8"]
Fraction = Annotated[float, Field(gt=0, lt=1)]

# Physical ranges: a value outside them is a typo (or 1e30), not a procurement.
WholeRmb = IntMax10_000_000_000     # one price: whole yuan, at most RMB 10 billion
RmbTotal = Max1e13                  # a budget
Servers = IntMax100_000
LoadAmount = Max1e9
Users = IntMax1_000_000_000
Tokens = IntMax100_000_000
Millis = Max1e7                     # an SLA: under three hours


class Load(Strict):
    """Exactly one of: concurrent users, requests per second, output tokens per second."""

    concurrent_users: Users | None = None
    requests_per_s: LoadAmount | None = None
    output_tokens_per_s: LoadAmount | None = None

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


def _daily_profile(value: object) -> str | list[float]:
    """A profile name (checked against the catalog by load_scenario) or 24 hourly fractions of the
    peak, with one message for either mistake (not one per member of a union)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        hours = [float(v) for v in value]
        if not all(0 <= v <= 1 for v in hours):  # NaN fails too
            raise ValueError("holds a value outside 0..1; give each hour's load as a share of the peak (the busiest hour is 1)")
        return a_day(hours)
    raise ValueError("is neither a profile name nor a list of numbers; give a name such as office_hours, or 24 hourly "
                     "fractions of the peak from 00:00")


DailyProfile = Annotated[
    str | list[float], PlainValidator(_daily_profile),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1},
                                                   "minItems": 24, "maxItems": 24}]}),
]


class Workload(Strict):
    input_tokens: Tokens = Field(description="mean prompt length")
    output_tokens: Tokens = Field(description="mean output length")
    input_tokens_p90: Tokens | None = Field(None, description="p90 prompt length, used by p90/p99 SLAs")
    max_context_tokens: Tokens | None = Field(
        None, description="longest context a request may reach; KV memory is sized for it (default input + output)"
    )
    load: Load
    daily_profile: DailyProfile | None = Field(
        None, description="how the load varies over a day, for the cost per token actually served: a profile name "
        "from catalog/load_profiles.yaml (flat, office_hours) or 24 hourly fractions of the peak from 00:00; the plan "
        "is sized for the peak either way",
    )

    @model_validator(mode="after")
    def _context_holds_a_request(self) -> Workload:
        if self.max_context_tokens is not None and self.max_context_tokens < self.input_tokens + self.output_tokens:
            raise ValueError("max_context_tokens is shorter than input_tokens + output_tokens")
        if self.input_tokens_p90 is not None and self.input_tokens_p90 < self.input_tokens:
            raise ValueError("input_tokens_p90 is below the mean input_tokens (a p90 is at least the mean)")
        return self

    @property
    def context_tokens(self) -> int:
        return self.max_context_tokens or self.input_tokens + self.output_tokens


class Sla(Strict):
    ttft_ms: Millis | None = None
    tpot_ms: Millis | None = None
    statistic: Literal["mean", "p90", "p99"] = Field(
        "mean", description="mean, or a percentile (TTFT: p90 prompt length and an exponential queue tail)"
    )
    confidence: Annotated[float, Field(ge=0.5, le=0.99)] = Field(
        0.8, description="the plan recommended is the cheapest plan at this quantile of its cost over the model's "
        "cross-validated error (exactly, for a purchase from one bid; over the draws, for one from several; 0.5: the "
        "central estimate; 0.8: four days in five need no more)",
    )
    draws: Annotated[int, Field(ge=8, le=400)] = Field(
        24, description="draws of the model's error (one shared shock per card family x engine x model class each)",
    )
    headroom_pct: Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)] = Field(
        0, description="plan capacity at least the load x (1 + headroom_pct / 100): room for growth and peaks",
    )


class Offer(Strict):
    """A vendor's bid: servers of one card type at a price, with limited availability."""

    id: Label
    vendor: Label
    card: str
    cards_per_server: IntMax128 | None = Field(None, description="default: the catalog's cards_per_server")
    # Whole yuan: plan costs are summed in whole RMB (and checked against the prices).
    price_rmb_per_server: WholeRmb | None = None
    price_rmb_per_card: WholeRmb | None = None
    server_base_rmb: Annotated[int, Field(ge=0, le=10**10)] = Field(
        0, description="chassis, CPUs, NICs when priced per card"
    )
    use_catalog_price: Literal["low", "mid", "high"] | None = Field(
        None, description="price the cards from the catalog range (no bid); the report labels it"
    )
    price_kind: Literal["quote", "range", "estimate", "catalog", "unknown"] = Field(
        "quote", description="what the price is; unknown: no price yet (give none): the bid is sized on its own and the "
        "report gives the servers it needs and the most it can cost per server and still win",
    )
    price_note: str = ""
    available_servers: Servers
    owned: bool = Field(False, description="already bought: costs nothing, quantity fixed to available_servers")
    engine: str | None = Field(None, description="serving engine on this offer (catalog/engines.yaml); default: the scenario's")
    server_power_w: Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)] | None = Field(
        None, description="the server's wall power at full load, W (vendor spec sheet: cards, CPUs, NICs, fans); "
        "default: cards x card TDP x (1 + objective.host_overhead_pct / 100)",
    )

    @model_validator(mode="after")
    def _one_price(self) -> Offer:
        ways = [self.price_rmb_per_server is not None, self.price_rmb_per_card is not None, self.use_catalog_price is not None]
        if self.price_kind == "unknown":
            if any(ways) or self.owned:
                raise ValueError("price_kind unknown is a bid with no price yet: give no price (and it cannot be owned), "
                                 "or give the price with its kind")
            return self
        if not self.owned and sum(ways) != 1:
            raise ValueError("give exactly one of price_rmb_per_server, price_rmb_per_card, use_catalog_price "
                             "(or price_kind: unknown for a bid not yet priced)")
        return self

    @property
    def unpriced(self) -> bool:
        return self.price_kind == "unknown"


MAX_SUPPLY_CASES = 16  # each case adds a copy of the replica variables to the plan model


class SupplyCase(Strict):
    """A supply shortfall the plan must survive: of the servers bought from one offer (or from every
    offer of one vendor), only `delivered_share` arrive (rounded down; 0: none, e.g. an export
    licence withdrawn); the servers that do arrive, and every other offer's, must still serve
    `load_share` of the load within the SLAs, the replicas redeployed as needed."""

    name: Label | None = Field(None, description="what the report calls this case (default: from the offer or vendor)")
    offer: Label | None = Field(None, description="the offer id whose delivery may fall short")
    vendor: Label | None = Field(None, description="or a vendor: every offer it bid (owned hardware is never affected)")
    delivered_share: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = Field(
        0.0, description="share of the servers bought that arrive (0: none)")
    load_share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = Field(
        1.0, description="share of the load that must still be served in this case (1: all of it)")

    @model_validator(mode="after")
    def _one_target(self) -> SupplyCase:
        if (self.offer is None) == (self.vendor is None):
            raise ValueError("give exactly one of offer (an offer id) or vendor (a vendor name)")
        return self

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        who = f"offer {self.offer}" if self.offer else f"vendor {self.vendor}"
        return f"{who} delivers {self.delivered_share:.0%}"


class Constraints(Strict):
    budget_rmb: RmbTotal | None = None
    vendors_allowed: list[str] | None = None
    vendors_excluded: list[str] = []
    single_vendor: bool = False
    max_servers: Servers | None = None
    power_cap_kw: Max1e7 | None = None
    tp_across_servers: bool = Field(False, description="allow a TP group to span servers (over the NIC)")
    multi_server_replicas: bool = Field(True, description="allow PP/EP replicas that span servers")
    n_plus_one: bool = Field(False, description="the load is still served with any one server down (whichever "
                             "server of whichever offer fails, under any placement of the replicas)")
    one_shape_per_offer: bool = Field(False, description="run one replica design per offer (and per prefill/decode "
                                      "role): one launch configuration per server type, at some cost")
    mix_min_saving_pct: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = Field(
        5, description="recommend a fleet from several vendors only when it saves more than this against the best "
        "single-vendor plan (which the report always shows)",
    )
    robust_to: list[SupplyCase] = Field(
        [], max_length=MAX_SUPPLY_CASES, description="supply shortfalls the plan must survive (an offer or a vendor "
        "delivering only part of what is bought); the report gives the cost of this robustness",
    )


class Objective(Strict):
    kind: Literal["capex", "tco", "max_load"] = Field(
        "capex", description="capex or tco: cheapest plan covering the load; max_load: most load the offers "
        "(e.g. hardware already owned) can serve within the SLAs and limits, the load being a floor",
    )
    years: Max50 | None = None
    rmb_per_kwh: Max1000 | None = None
    pue: Annotated[float, Field(ge=1, le=3, allow_inf_nan=False)] = 1.3
    host_overhead_pct: Annotated[float, Field(ge=0, le=300, allow_inf_nan=False)] = Field(
        0, description="what a server draws beyond its cards' TDP, in % of it (CPUs, memory, NICs, fans), for offers "
        "without server_power_w; 0: card TDP only",
    )
    duty_cycle: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = Field(
        1.0, description="share of the hours the fleet draws that power, for the energy of a tco objective (1: always at full load)",
    )

    @model_validator(mode="after")
    def _tco_inputs(self) -> Objective:
        if self.kind == "tco" and (self.years is None or self.rmb_per_kwh is None):
            raise ValueError("a tco objective needs years and rmb_per_kwh")
        return self


class Search(Strict):
    """The design space. Defaults cover what serving engines deploy."""

    tp: list[IntMax1024] = Field([1, 2, 4, 8, 16], min_length=1, max_length=64)
    pp: list[IntMax1024] = Field([1, 2, 4], min_length=1, max_length=64)
    batches: list[IntMax1_000_000] = Field(
        [1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512], min_length=1, max_length=256
    )
    ranked_plans: IntMax100 = 5
    # Default 8: DeepSeek's own decode instances span 18 nodes (EP144; deepseek-ai/open-infra-index,
    # "Day 6", 2025-03-01) and SGLang's 96 x H100 deployment decodes across 9 nodes (LMSYS blog
    # 2025-05-05, large-scale EP); 8 servers reach EP64, 4 of DeepSeek's 256 experts per card.
    max_ep_servers: IntMax64 = Field(
        8, description="Largest expert-parallel replica, in servers, all its pipeline stages included (MoE models; 8 = EP64 on 8-card servers)",
    )

    @model_validator(mode="after")
    def _no_repeats(self) -> Search:
        for name in ("tp", "pp", "batches"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"search.{name} lists a value more than once")
        return self


class Analysis(Strict):
    """Reports `procure solve` also writes and links (the same as its --compare / --whatif-* options)."""

    compare: bool = False
    budget_sweep_rmb: str | None = Field(None, description="FROM:TO:POINTS in RMB")
    tpot_sweep_ms: list[Millis] | None = Field(None, min_length=1, max_length=200)


class Scenario(Strict):
    name: Label
    description: str = ""
    model: Label = Field(description="catalog model id or path to a model spec YAML")
    precisions: list[PrecisionName] = Field(min_length=1, description="allowed weight formats, preferred first")
    kv_precision: KvPrecision = "bf16"
    workload: Workload
    sla: Sla
    offers: list[Offer] = Field(min_length=1, max_length=MAX_OFFERS)
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
    phases: Phases | None = Field(
        None, description="buy in phases: a load per period, prices that may fall, deliveries per period; the report "
        "gives the cheapest schedule (discounted) against buying everything in the first period",
    )
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

    @field_validator("offers")
    @classmethod
    def _a_priced_bid(cls, offers: list[Offer]) -> list[Offer]:
        if all(o.unpriced for o in offers):
            raise ValueError("every offer is a bid with no price yet (price_kind: unknown): give at least one bid its price "
                             "(or list hardware already owned); the unpriced bids are measured against its plan")
        return offers

    def supply_affected(self, case: SupplyCase) -> list[str]:
        """The ids of the offers a supply case cuts (owned hardware is already there: never)."""
        return [o.id for o in self.offers if not o.owned and not o.unpriced and (o.id == case.offer or o.vendor == case.vendor)]


def _reference_problems(raw: dict[str, Any], lines: Lines, catalog: Catalog) -> list[Problem]:
    """Unknown card, engine and vendor ids and unusable catalog prices, read from the raw data so
    they are reported together with the schema's errors."""
    problems: list[Problem] = []
    engines, cards = catalog.engines, catalog.cards
    raw_offers = raw.get("offers")
    offers = raw_offers if isinstance(raw_offers, list) else []

    def engine_problem(loc: tuple[Any, ...], value: object) -> None:
        if isinstance(value, str) and value not in engines:
            problems.append(Problem(".".join(map(str, loc)), f"{value!r} is not an engine profile",
                                    one_of(value, engines), lines.get(loc)))

    engine_problem(("engine",), raw.get("engine"))
    workload = raw.get("workload")
    profile = workload.get("daily_profile") if isinstance(workload, dict) else None
    if isinstance(profile, str) and profile not in catalog.load_profiles:
        problems.append(Problem("workload.daily_profile", f"{profile!r} is not a load profile in the catalog",
                                f"{one_of(profile, catalog.load_profiles)}, or give 24 hourly fractions of the peak from 00:00",
                                lines.get(("workload", "daily_profile"))))
    vendors = set()
    for i, offer in enumerate(offers):
        if not isinstance(offer, dict):
            continue
        if isinstance(offer.get("vendor"), str):
            vendors.add(offer["vendor"])
        engine_problem(("offers", i, "engine"), offer.get("engine"))
        card = offer.get("card")
        problems += engine_card_problems(i, offer, raw.get("engine"), catalog, lines)
        if isinstance(card, str) and card not in cards:
            problems.append(Problem(f"offers.{i}.card", f"{card!r} is not a card in the catalog", one_of(card, cards),
                                    lines.get(("offers", i, "card"))))
        elif isinstance(card, str) and offer.get("use_catalog_price") and cards[card].price_rmb_per_card is None:
            problems.append(Problem(f"offers.{i}.use_catalog_price", f"the catalog has no price for {card}",
                                    "give price_rmb_per_server or price_rmb_per_card from a quote",
                                    lines.get(("offers", i, "use_catalog_price"))))
    raw_constraints = raw.get("constraints")
    constraints = raw_constraints if isinstance(raw_constraints, dict) else {}
    raw_objective = raw.get("objective")
    needs_power = [why for why, on in (
        ("a tco objective counts energy at TDP", isinstance(raw_objective, dict) and raw_objective.get("kind") == "tco"),
        ("a power cap counts every server at TDP", constraints.get("power_cap_kw") is not None),
    ) if on]
    for i, offer in enumerate(offers):
        card = offer.get("card") if isinstance(offer, dict) else None
        stated = isinstance(offer, dict) and offer.get("server_power_w") is not None
        if needs_power and not stated and isinstance(card, str) and card in cards and cards[card].tdp_w is None:
            problems.append(Problem(
                f"offers.{i}.card", f"{card} has no published TDP (tdp_w: null in the catalog) and {' and '.join(needs_power)}",
                "give the offer's server_power_w from the vendor's spec sheet, drop this offer, use objective kind capex "
                f"without constraints.power_cap_kw, or put a copy of the shipped catalog/cards/{card}.yaml with tdp_w from a "
                "datasheet in your overlay DIR/cards/ and run procure --catalog DIR ... (the installed catalog is package data, "
                "not yours to edit)", lines.get(("offers", i, "card")),
            ))
    offer_ids = {o["id"]: o for o in offers if isinstance(o, dict) and isinstance(o.get("id"), str)}  # an id mutated to a list is not a key
    raw_cases = constraints.get("robust_to")
    for j, case in enumerate(raw_cases if isinstance(raw_cases, list) else []):
        if not isinstance(case, dict):
            continue
        oid, vendor = case.get("offer"), case.get("vendor")
        if isinstance(oid, str) and oid not in offer_ids:
            problems.append(Problem(f"constraints.robust_to.{j}.offer", f"{oid!r} is not an offer of this scenario",
                                    one_of(oid, list(offer_ids)), lines.get(("constraints", "robust_to", j, "offer"))))
        elif isinstance(oid, str) and offer_ids[oid].get("owned") is True:
            problems.append(Problem(f"constraints.robust_to.{j}.offer", f"{oid!r} is hardware already owned: it cannot fail to arrive",
                                    "name an offer being bought, or drop this case", lines.get(("constraints", "robust_to", j, "offer"))))
        elif isinstance(oid, str) and offer_ids[oid].get("price_kind") == "unknown":
            problems.append(Problem(f"constraints.robust_to.{j}.offer", f"{oid!r} is a bid with no price yet: it is never bought",
                                    "name an offer being bought, or drop this case", lines.get(("constraints", "robust_to", j, "offer"))))
        if isinstance(vendor, str) and vendors and vendor not in vendors:
            problems.append(Problem(f"constraints.robust_to.{j}.vendor", f"{vendor!r} is not the vendor of any offer",
                                    one_of(vendor, vendors), lines.get(("constraints", "robust_to", j, "vendor"))))
        elif isinstance(vendor, str) and not any(isinstance(o, dict) and o.get("vendor") == vendor and o.get("owned") is not True
                                                 and o.get("price_kind") != "unknown" for o in offers):
            problems.append(Problem(f"constraints.robust_to.{j}.vendor", f"{vendor!r} has no offer being bought (only owned or unpriced ones)",
                                    "name a vendor whose bid may be bought, or drop this case", lines.get(("constraints", "robust_to", j, "vendor"))))
    for key in ("vendors_allowed", "vendors_excluded"):
        listed = constraints.get(key)
        for j, vendor in enumerate(listed if isinstance(listed, list) else []):
            if isinstance(vendor, str) and vendors and vendor not in vendors:
                problems.append(Problem(f"constraints.{key}.{j}", f"{vendor!r} is not the vendor of any offer",
                                        one_of(vendor, vendors), lines.get(("constraints", key, j))))
    raw_analysis = raw.get("analysis")
    analysis = raw_analysis if isinstance(raw_analysis, dict) else {}
    sweep = analysis.get("budget_sweep_rmb")
    if isinstance(sweep, str):
        try:
            parse_range(sweep, "analysis.budget_sweep_rmb")
        except InputError as exc:
            problems.append(Problem("analysis.budget_sweep_rmb", f"{sweep!r} {exc.problem}", exc.fix,
                                    lines.get(("analysis", "budget_sweep_rmb"))))
    return problems


def _model_problems(scenario: Scenario, model: ModelSpec, raw: dict[str, Any], lines: Lines, catalog: Catalog) -> list[Problem]:
    """Checks that need the model: context length, and search lists the model cannot run."""
    problems: list[Problem] = []
    if scenario.workload.context_tokens > model.max_context:
        problems.append(Problem(
            "workload", f"a request reaches {scenario.workload.context_tokens} tokens, {model.id} handles {model.max_context}",
            "shorten the prompt or answer, or pick a longer-context model", lines.get(("workload",)),
        ))
    raw_search = raw.get("search")
    given = raw_search if isinstance(raw_search, dict) else {}
    a = model.attention
    if "tp" in given:
        bad = [t for t in scenario.search.tp
               if a.num_heads % t or (a.kind == "gqa" and a.num_kv_heads % t and t % a.num_kv_heads)]
        if bad:
            ok = [t for t in (1, 2, 4, 8, 16, 32, 64) if not (a.num_heads % t or (a.kind == "gqa" and a.num_kv_heads % t and t % a.num_kv_heads))]
            problems.append(Problem(
                "search.tp", f"{bad} cannot split the {a.num_heads} attention heads ({a.num_kv_heads} KV heads) of {model.id}",
                f"use TP degrees such as {ok}", lines.get(("search", "tp")),
            ))
        if not scenario.constraints.tp_across_servers:
            cards = catalog.cards
            largest = max((o.cards_per_server or cards[o.card].cards_per_server for o in scenario.offers if o.card in cards),
                          default=0)
            if largest and min(scenario.search.tp) > largest:
                problems.append(Problem(
                    "search.tp", f"every TP degree exceeds the largest server ({largest} cards) and tp_across_servers is false",
                    f"add a TP of at most {largest}, or set constraints.tp_across_servers: true", lines.get(("search", "tp")),
                ))
    if "pp" in given and max(scenario.search.pp) > model.num_layers:
        problems.append(Problem("search.pp", f"a PP of {max(scenario.search.pp)} exceeds the {model.num_layers} layers of {model.id}",
                                f"use PP degrees of at most {model.num_layers}", lines.get(("search", "pp"))))
    return problems


def load_scenario(path: Path, catalog: Catalog) -> Scenario:
    """Read and check a scenario file against the catalog; every problem found is reported at once
    (one InputError). A model given as a path is read relative to the scenario file."""
    where = str(path)
    raw, lines = read_scenario_file(path)
    scenario, problems = validated(raw, lines, catalog, path)
    if problems:
        raise InputError.of(where, sorted(problems, key=lambda p: p.line or 0))
    assert scenario is not None
    return scenario


def read_scenario_file(path: Path) -> tuple[dict[str, Any], Lines]:
    """The scenario file's mapping and the line of each value; an empty file, another YAML type or
    a bid table beyond MAX_OFFERS is an InputError here."""
    where = str(path)
    raw, lines = read_yaml(path)
    if raw is None:
        raise InputError(where, "(file)", "is empty", "start from a file in scenarios/")
    if not isinstance(raw, dict):
        raise InputError(where, "(top level)", f"is a {type(raw).__name__}, not a mapping of keys to values",
                         "start from a file in scenarios/ (name:, model:, workload:, ...)")
    check_size(raw, lines, where)
    return raw, lines


def validated(raw: dict[str, Any], lines: Lines, catalog: Catalog, path: Path, *, fleet: bool = False) -> tuple[Scenario | None, list[Problem]]:
    """The scenario a mapping read from `path` describes, checked against the catalog, and every
    problem found (the scenario is None when there is any). A model path resolves against the file's
    folder. `fleet`: a service of a fleet (its phases may come with supply cases: the fleet schedule is sized for them)."""
    where, base_dir = str(path), path.parent
    problems: list[Problem] = owned_price_problems(raw, lines)
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems += problems_of(exc, Scenario, lines)
    except RecursionError:
        raise InputError(where, "(file)", "is nested too deeply", "start from a file in scenarios/") from None
    problems += _reference_problems(raw, lines, catalog)
    problems += phase_problems(raw, lines, fleet=fleet)
    model: ModelSpec | None = None
    ref = raw.get("model")
    if isinstance(ref, str):
        try:
            model = catalog.model(ref, where="model", base_dir=base_dir)
        except InputError as exc:
            if exc.where == "model":  # not found: blame the scenario's key
                problems.append(Problem("model", f"{ref!r} {exc.problem}", exc.fix, lines.get(("model",))))
            elif problems:  # the model file itself is bad: name it, with its first problem
                first = exc.problems[0]
                problems.append(Problem(
                    "model", f"the model spec {exc.where} is invalid ({len(exc.problems)} problem(s); first: "
                    f"{first.field}: {first.problem})", "fix the model spec file", lines.get(("model",)),
                ))
            else:
                raise
    if scenario is not None and model is not None:
        problems += _model_problems(scenario, model, raw, lines, catalog)
        problems += speculative_problems(scenario.speculative, scenario.engine, scenario.offers, model, lines, catalog)
        if scenario.disaggregation and scenario.workload.load.concurrent_users is not None:
            problems.append(Problem(
                "disaggregation", "a prefill/decode split is sized in requests/s, not concurrent users",
                "give workload.load as requests_per_s or output_tokens_per_s, or set disaggregation: false",
                lines.get(("disaggregation",)),
            ))
    if problems or scenario is None or not isinstance(ref, str):
        return None, problems
    file = catalog.model_file(ref, base_dir)
    if file is not None:  # later lookups (solve, sweeps) must find the same file from any directory
        scenario = scenario.model_copy(update={"model": str(file.resolve())})
    return scenario, problems


def scenario_json_schema() -> dict[str, object]:
    return Scenario.model_json_schema()
