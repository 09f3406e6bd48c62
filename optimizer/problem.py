"""The scenario resolved once against the catalog: the model, one view per offer (card, server
size, engine, price terms, vendor rule), the error bands and the evaluator that owns the replica
caches. Designs, the plan model, the checker, analysis and the pipeline take a `Problem`; none of
them goes back to the catalog loaders.

A variant of the scenario (the central estimate, a sweep point, a price) is `with_scenario()`: the
same catalog, model, bands and evaluator, so no replica is evaluated twice within one run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.calibration.bands import Bands, load_bands
from optimizer.calibration.draws import ErrorModel
from optimizer.catalog.bundle import Catalog
from optimizer.catalog.efficiency import EngineProfile
from optimizer.catalog.records import Card, ModelSpec, Precision
from optimizer.perf.evaluate import ReplicaPerf, evaluate_replica
from optimizer.perf.replica import Parallelism, Replica, make_replica
from optimizer.plan.terms import OfferTerms, offer_cards_per_server, offer_terms
from optimizer.scenario import Offer, Scenario

PerfKey = tuple[object, ...]


@dataclass
class Evaluator:
    """Replica evaluations memoised for one run: every design enumeration, the central-estimate
    companion and the sweeps of one `procure` command share it. `evaluations` counts the replica
    evaluations actually computed (a cache miss)."""

    perf: dict[PerfKey, ReplicaPerf] = field(default_factory=dict)
    replicas: dict[PerfKey, Replica] = field(default_factory=dict)
    evaluations: int = 0

    def replica(self, catalog: Catalog, model: ModelSpec, card: Card, precision: str, par: Parallelism,
                kv_precision: str, engine: str, scenario: Scenario, cards_per_server: int) -> Replica:
        key = (model.id, card.id, precision, par, kv_precision, engine, scenario.speculative, cards_per_server)
        if key not in self.replicas:
            self.replicas[key] = make_replica(
                catalog, model, card, precision, par, kv_precision, engine=engine, spec=scenario.speculative,
                cards_per_server=cards_per_server,
            )
        return self.replicas[key]

    def run(self, r: Replica, batch: int, input_len: int, output_len: int, context_len: int) -> ReplicaPerf:
        key = (r.model.id, r.card.id, r.precision_name, r.par, r.engine_id, r.spec, r.cards_per_server, batch,
               input_len, output_len, r.kv_precision, context_len)
        if key not in self.perf:
            self.evaluations += 1
            self.perf[key] = evaluate_replica(r, batch, input_len, output_len, context_len=context_len)
        return self.perf[key]


@dataclass(frozen=True)
class OfferView:
    """One bid as the rest of the pipeline sees it, with every catalog default applied."""

    offer: Offer
    card: Card
    cards_per_server: int
    engine_id: str
    engine: EngineProfile
    terms: OfferTerms
    excluded_by: str | None     # the vendor rule that excludes the offer, in words; None: allowed

    @property
    def id(self) -> str:
        return self.offer.id

    @property
    def family(self) -> str:
        return self.card.family


@dataclass(frozen=True)
class DailyLoad:
    """The scenario's daily load shape, resolved: a catalog profile by name, or the scenario's own 24 values."""

    name: str | None                     # the catalog profile's name; None: the scenario's own values
    hourly_fraction_of_peak: tuple[float, ...]
    description: str = ""
    description_zh: str | None = None

    @property
    def mean_fraction_of_peak(self) -> float:
        return sum(self.hourly_fraction_of_peak) / len(self.hourly_fraction_of_peak)


@dataclass(frozen=True)
class Problem:
    scenario: Scenario
    catalog: Catalog
    model: ModelSpec
    offers: tuple[OfferView, ...]          # in the scenario's order
    terms: dict[str, OfferTerms]           # offer id -> the integers the plan model prices with
    bands: Bands
    errors: ErrorModel                     # the draws of the model's error the plans are sized under
    evaluator: Evaluator = field(compare=False)
    daily_load: DailyLoad | None = None    # workload.daily_profile, resolved; None: not given
    unpriced: tuple[Offer, ...] = ()       # bids with price_kind unknown: sized on their own, never bought

    @property
    def model_class(self) -> str:
        return "moe" if self.model.moe else "dense"

    def offer(self, offer_id: str) -> OfferView:
        return next(v for v in self.offers if v.id == offer_id)

    def precision(self, name: str) -> Precision:
        return self.catalog.precision(name)

    def replica(self, view: OfferView, precision: str, par: Parallelism) -> Replica:
        return self.evaluator.replica(self.catalog, self.model, view.card, precision, par, self.scenario.kv_precision,
                                      view.engine_id, self.scenario, view.cards_per_server)

    def run(self, r: Replica, batch: int, input_len: int) -> ReplicaPerf:
        """One replica at `batch` concurrent requests of the scenario's workload, memoised."""
        w = self.scenario.workload
        return self.evaluator.run(r, batch, input_len, w.output_tokens, w.context_tokens)

    def with_scenario(self, scenario: Scenario) -> Problem:
        """The same catalog, model, bands and evaluator under a variant of the scenario (another
        confidence, SLA, load, budget or price): its offers are resolved again, its replica
        evaluations are shared."""
        errors = self.errors if scenario.sla.draws == self.errors.draws else ErrorModel(self.bands, scenario.sla.draws)
        return _resolved(scenario, self.catalog, self.model, self.bands, errors, self.evaluator)


def offer_engine(scenario: Scenario, offer: Offer, catalog: Catalog, family: str) -> str:
    """The engine an offer runs: its own, the scenario's, or the family's mature default."""
    return offer.engine or scenario.engine or catalog.default_engine(family)


def vendor_rule(scenario: Scenario, offer: Offer) -> str | None:
    c = scenario.constraints
    if offer.vendor in c.vendors_excluded or (c.vendors_allowed is not None and offer.vendor not in c.vendors_allowed):
        return f"vendor {offer.vendor!r} is excluded by the scenario's vendor rules"
    return None


def _view(scenario: Scenario, catalog: Catalog, offer: Offer) -> OfferView:
    card = catalog.cards[offer.card]
    engine_id = offer_engine(scenario, offer, catalog, card.family)
    return OfferView(
        offer=offer, card=card, cards_per_server=offer_cards_per_server(offer, card), engine_id=engine_id,
        engine=catalog.engine(engine_id), terms=offer_terms(offer, card, scenario.objective),
        excluded_by=vendor_rule(scenario, offer),
    )


def _resolved(scenario: Scenario, catalog: Catalog, model: ModelSpec, bands: Bands, errors: ErrorModel,
              evaluator: Evaluator) -> Problem:
    views = tuple(_view(scenario, catalog, o) for o in scenario.offers if not o.unpriced)
    return Problem(scenario, catalog, model, views, {v.id: v.terms for v in views}, bands, errors, evaluator,
                   daily_load=daily_load(scenario, catalog), unpriced=tuple(o for o in scenario.offers if o.unpriced))


def daily_load(scenario: Scenario, catalog: Catalog) -> DailyLoad | None:
    profile = scenario.workload.daily_profile
    if profile is None:
        return None
    if isinstance(profile, str):  # load_scenario has checked the name against the catalog
        named = catalog.load_profiles[profile]
        return DailyLoad(profile, tuple(named.hourly_fraction_of_peak), named.description, named.description_zh)
    return DailyLoad(None, tuple(profile))


def resolve(scenario: Scenario, catalog: Catalog) -> Problem:
    """The scenario (checked by load_scenario) resolved against the catalog, once."""
    bands = load_bands(catalog)
    model = catalog.model(scenario.model, where="model")
    return _resolved(scenario, catalog, model, bands, ErrorModel(bands, scenario.sla.draws), Evaluator())
