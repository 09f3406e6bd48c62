"""What a fleet solve returns: plain data (the fleet model is plan.fleet, the checker check_fleet)."""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.plan.result import PhasedSaving, ReplicaGroup, ScheduleTotals, SolveResult, Status
from optimizer.plan.terms import OfferTerms
from optimizer.problem import DailyLoad
from optimizer.scenario_phases import Phases


@dataclass(frozen=True)
class ServicePlan:
    name: str
    groups: tuple[ReplicaGroup, ...]   # the service's replicas on the fleet's servers
    served: float                      # load it serves, in its own scenario's unit

    def cards_on(self, offer_id: str) -> int:
        return sum(g.design.cards * g.count for g in self.groups if g.design.offer_id == offer_id)


def cards_used(services: tuple[ServicePlan, ...], offer_id: str) -> int:
    """Cards of one offer that these services' replicas use."""
    return sum(s.cards_on(offer_id) for s in services)


@dataclass(frozen=True)
class FleetSupply:
    """The fleet under one supply case of constraints.robust_to: what arrives, and every service's
    replicas redeployed on it (its witness deployment)."""
    case: int                          # index in constraints.robust_to
    delivered: dict[str, int]          # offer id -> servers that arrive (offers with servers bought or in service)
    services: tuple[ServicePlan, ...]  # each service's replicas on what arrives, in the fleet's order


@dataclass(frozen=True)
class FleetPlan:
    cost_rmb: int
    capex_rmb: int
    servers: dict[str, int]
    services: tuple[ServicePlan, ...]
    supply: tuple[FleetSupply, ...] = ()  # one per supply case of constraints.robust_to

    def attributed_rmb(self, name: str, terms: dict[str, OfferTerms]) -> float:
        """The share of the fleet's cost a service carries: each offer's cost split by the cards its
        services' replicas use on it; an offer none of them uses (servers bought only so that a
        supply case holds) split as the rest is (the shares add up to the fleet's cost)."""
        return self._split(name, {oid: t.cost_rmb_per_server for oid, t in terms.items()})

    def spare_cards(self, terms: dict[str, OfferTerms]) -> dict[str, int]:
        """Offer id -> cards bought (or owned) that no service's replica uses while every bid delivers:
        the rest of a part-used server, and servers bought only so that a supply case holds; offers
        without spare cards are left out."""
        spare = {oid: terms[oid].cards_per_server * n - cards_used(self.services, oid) for oid, n in sorted(self.servers.items())}
        return {oid: k for oid, k in spare.items() if k > 0}

    def attributed_energy_rmb(self, name: str, terms: dict[str, OfferTerms]) -> float:
        """The part of attributed_rmb that is energy (TCO; 0 under capex): each offer's energy split
        the same way, by the cards each service's replicas use on it."""
        return self._split(name, {oid: t.energy_rmb_per_server for oid, t in terms.items()})

    def _split(self, name: str, per_server: dict[str, int]) -> float:
        svc = next(s for s in self.services if s.name == name)
        used = {oid: cards_used(self.services, oid) for oid in self.servers}
        total = sum(per_server[oid] * n for oid, n in self.servers.items())
        carried = sum(per_server[oid] * n for oid, n in self.servers.items() if used[oid])   # what the by-card shares sum to
        mine = sum(per_server[oid] * n * svc.cards_on(oid) / used[oid] for oid, n in self.servers.items() if used[oid])
        return mine * total / carried if carried else total / len(self.services)


@dataclass(frozen=True)
class FleetPeriod:
    """One period of a fleet's purchase schedule (phases:): what is bought, what serves each service."""
    label: str
    loads: tuple[float, ...]             # each service's load in the period, its own unit (before headroom), in the fleet's order
    bought: dict[str, int]               # offer id -> servers bought in this period
    in_service: dict[str, int]           # offer id -> servers serving in this period (owned ones included)
    services: tuple[ServicePlan, ...]    # each service's replicas on them (served: its capacity in the period)
    spend_rmb: int                       # price of the servers bought in this period
    discounted_rmb: int                  # the same discounted to the first period
    supply: tuple[FleetSupply, ...] = ()  # one witness per supply case: the period's servers in service that arrive, redeployed

    def cards(self, terms: dict[str, OfferTerms]) -> tuple[int, int]:
        """(cards the services' replicas use, cards in service) in this period."""
        used = sum(cards_used(self.services, oid) for oid in self.in_service)
        return used, sum(terms[oid].cards_per_server * n for oid, n in self.in_service.items())


@dataclass(frozen=True)
class FleetSchedule(ScheduleTotals):
    """A fleet's purchases over the periods, and each service's deployment in each."""
    periods: tuple[FleetPeriod, ...]


@dataclass(frozen=True)
class VendorRule:
    """The solve's vendor rule applied to a fleet or a schedule whose cheapest answer buys from
    several vendors: that mix must save more than constraints.mix_min_saving_pct against the best
    one-vendor answer (None there: no single vendor serves every service)."""
    mix_rmb: int                 # the cheapest answer, mixing vendors (discounted for a schedule)
    single_rmb: int | None       # the best one-vendor answer
    min_saving_pct: float
    mix_kept: bool

    @property
    def saving_pct(self) -> float | None:
        return None if not self.single_rmb else 100.0 * (self.single_rmb - self.mix_rmb) / self.single_rmb


@dataclass(frozen=True)
class FleetPhased(PhasedSaving):
    """phases: for a fleet: the cheapest schedule (discounted) and, beside it, every purchase in the
    first period; a schedule is None when none serves every service in every period within the limits."""
    status: Status
    schedule: FleetSchedule | None
    best_bound_rmb: int | None            # CP-SAT's bound on the discounted cost
    all_at_once_status: Status
    all_at_once: FleetSchedule | None
    spec: Phases                          # the shared phases: (periods, growth, prices, lead time, discounting)
    own_loads: tuple[str, ...] = ()       # the services that give their own phases_load
    vendor_rule: VendorRule | None = None  # the phased schedule's, when its cheapest mixes vendors


@dataclass(frozen=True)
class FleetResult:
    name: str
    description: str
    status: Status
    objective_rmb: int | None
    best_bound_rmb: int | None
    plan: FleetPlan | None
    standalone: tuple[SolveResult, ...]   # each service solved on a fleet of its own (same offers), checked
    terms: dict[str, OfferTerms]
    diagnosis: str | None                 # why no fleet serves every service, when none does
    trusting_plan: FleetPlan | None = None  # with constraints.robust_to: the cheapest fleet trusting every bid to deliver
    phases: FleetPhased | None = None       # with phases: the fleet's purchase schedule
    daily_loads: tuple[DailyLoad | None, ...] = ()  # each service's workload.daily_profile, resolved (for its cost per token served)
    vendor_rule: VendorRule | None = None   # when the cheapest fleet mixes vendors: the rule's verdict

    def daily_load(self, k: int) -> DailyLoad | None:
        """Service k's daily load profile, resolved with its problem (None: not given)."""
        return self.daily_loads[k] if k < len(self.daily_loads) else None

    @property
    def standalone_rmb(self) -> int | None:
        """What the services cost on fleets of their own, together (None when one of them has no plan)."""
        costs = [r.plans[0].cost_rmb if r.plans else None for r in self.standalone]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    @property
    def standalone_within_stock(self) -> bool:
        """Whether the separate fleets could be bought together: each alone may use a bid's whole stock."""
        bought: dict[str, int] = {}
        for r in self.standalone:
            for oid, n in (r.plans[0].servers.items() if r.plans else ()):
                bought[oid] = bought.get(oid, 0) + n
        return all(n <= self.terms[oid].available_servers for oid, n in bought.items() if oid in self.terms)
