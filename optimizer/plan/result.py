"""What a solve returns: plans, per-offer outcomes, the diagnosis, the status. Plain records with
no solver in them, so the checker and the reports can read them without the CP-SAT model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from optimizer.catalog.records import ModelSpec
from optimizer.perf.evaluate import ReplicaPerf
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario

if TYPE_CHECKING:
    from optimizer.problem import Problem

# optimal / feasible: a plan (proved cheapest, or the best found in the time limit); infeasible:
# proved to have none; unknown: the solver ran out of time before finding a plan or proving there
# is none (never diagnosed as infeasible).
Status = Literal["optimal", "feasible", "infeasible", "unknown"]
Role = Literal["colocated", "prefill", "decode"]   # prefill/decode: the pools of a disaggregated fleet
ROLES: tuple[Role, ...] = ("colocated", "prefill", "decode")
STATUSES: tuple[Status, ...] = ("optimal", "feasible", "infeasible", "unknown")


def has_plan(status: Status) -> bool:
    return status in ("optimal", "feasible")


@dataclass(frozen=True)
class Design:
    offer_id: str
    perf: ReplicaPerf
    ttft_ms: float | None   # at the SLA statistic (mean or percentile); None: a decode replica has no TTFT
    tpot_ms: float | None   # None: a prefill replica emits no tokens after the first
    capacity: float         # load this replica serves, in the scenario's load unit
    role: Role = "colocated"
    requests_per_s: float | None = None  # prefill/decode replicas: their pool rate (colocated: perf's)
    draw: int | None = None  # the draw of the model's error it was sized under; None: the central estimate
    central_ttft_ms: float | None = None  # the same replica at the model's own estimate (None: as ttft_ms)
    central_tpot_ms: float | None = None

    @property
    def ttft_at_centre_ms(self) -> float | None:
        return self.ttft_ms if self.central_ttft_ms is None else self.central_ttft_ms

    @property
    def tpot_at_centre_ms(self) -> float | None:
        return self.tpot_ms if self.central_tpot_ms is None else self.central_tpot_ms

    @property
    def cards(self) -> int:
        return self.perf.cards

    @property
    def key(self) -> str:
        p = self.perf
        par = p.parallelism
        key = f"{self.offer_id}/{p.precision}/tp{par.tp}/pp{par.pp}/ep{par.ep}/b{p.batch}"
        return key if self.role == "colocated" else f"{key}/{self.role}"

    @property
    def output_tokens_per_s(self) -> float:
        """Output tokens/s this replica enables (a prefill or decode replica: with its counterpart)."""
        if self.role == "colocated":
            return self.perf.output_tokens_per_s
        return (self.requests_per_s or 0.0) * self.perf.output_len


@dataclass
class OfferSummary:
    """What the enumeration learnt about one offer: for the diagnosis and the bid table."""

    offer_id: str
    designs: int = 0
    reasons: list[str] = field(default_factory=list)   # why it has no design, the binding reason first
    notes: list[str] = field(default_factory=list)     # precisions skipped on this card: beside the reason, never it
    precisions_run: int = 0                            # listed precisions the card can run
    best_ttft_ms: float | None = None       # fastest any fitting design reaches (batch 1)
    best_tpot_ms: float | None = None
    fitting_shapes: int = 0


@dataclass(frozen=True)
class ReplicaGroup:
    design: Design
    count: int


@dataclass(frozen=True)
class SupplyOutcome:
    """A plan under one supply case (constraints.robust_to): what arrives and how it is redeployed."""
    case: int                          # index in constraints.robust_to
    delivered: dict[str, int]          # offer id -> servers that arrive (offers with servers bought)
    groups: tuple[ReplicaGroup, ...]   # the replicas run on them
    served: float                      # load they serve, scenario unit


@dataclass(frozen=True)
class Plan:
    rank: int
    cost_rmb: int
    capex_rmb: int
    servers: dict[str, int]
    groups: tuple[ReplicaGroup, ...]
    served: float                     # load served, scenario unit
    supply: tuple[SupplyOutcome, ...] = ()  # one per supply case of constraints.robust_to

    @property
    def cards(self) -> int:
        return sum(g.design.cards * g.count for g in self.groups)


@dataclass(frozen=True)
class PhasePeriod:
    """One period of a phased schedule (scenario.phases): what is bought, what serves, what it costs."""
    label: str
    load: float                        # the period's load, scenario unit (before the headroom)
    bought: dict[str, int]             # offer id -> servers bought in this period
    in_service: dict[str, int]         # offer id -> servers serving in this period (owned ones included)
    groups: tuple[ReplicaGroup, ...]   # the replicas run on them
    capacity: float                    # load those replicas serve, scenario unit
    spend_rmb: int                     # price of the servers bought in this period
    discounted_rmb: int                # the same spend discounted to the first period


class PeriodSpend(Protocol):
    @property
    def bought(self) -> dict[str, int]: ...
    @property
    def spend_rmb(self) -> int: ...
    @property
    def discounted_rmb(self) -> int: ...


class ScheduleTotals:
    """What a schedule of periods adds up to (a phased schedule of one service or of a fleet)."""
    periods: Sequence[PeriodSpend]

    @property
    def spend_rmb(self) -> int:
        return sum(p.spend_rmb for p in self.periods)

    @property
    def discounted_rmb(self) -> int:
        return sum(p.discounted_rmb for p in self.periods)

    @property
    def servers(self) -> dict[str, int]:
        """Offer id -> servers bought over all periods."""
        out: dict[str, int] = {}
        for p in self.periods:
            for oid, n in p.bought.items():
                out[oid] = out.get(oid, 0) + n
        return dict(sorted(out.items()))


class PhasedSaving:
    """What phasing saves against buying everything at once (a phased plan of one service or of a fleet)."""
    schedule: ScheduleTotals | None
    all_at_once: ScheduleTotals | None

    @property
    def saving_rmb(self) -> int | None:
        """Discounted; None when one of the two has no schedule."""
        if self.schedule is None or self.all_at_once is None:
            return None
        return self.all_at_once.discounted_rmb - self.schedule.discounted_rmb


@dataclass(frozen=True)
class PhaseSchedule(ScheduleTotals):
    """Purchases over the periods of scenario.phases, and the deployment in each."""
    periods: tuple[PhasePeriod, ...]


@dataclass(frozen=True)
class PhasedPlan(PhasedSaving):
    """scenario.phases solved: the cheapest schedule (discounted) and, beside it, every purchase made
    in the first period. A schedule is None when none meets every period within the limits."""
    status: Status                                # of the phased schedule
    schedule: PhaseSchedule | None
    best_bound_rmb: int | None                    # CP-SAT's bound on the discounted cost
    all_at_once_status: Status
    all_at_once: PhaseSchedule | None
    unit_prices_rmb: dict[str, tuple[int, ...]]   # offer id -> price per server in each period, undiscounted
    unit_discounted_rmb: dict[str, tuple[int, ...]]  # the same discounted (what the model minimises)


@dataclass(frozen=True)
class OfferOutcome:
    offer_id: str
    plan: Plan | None
    reason: str | None


@dataclass(frozen=True)
class UnpricedBid:
    """A bid with no price yet, sized on its own (analysis.unpriced): what it needs, never bought."""
    offer_id: str
    vendor: str
    card_id: str
    available_servers: int             # the bid's stock (the sizing may exceed it: the report says so)
    plan: Plan | None                  # its own plan at the scenario's confidence; its cost is nominal, never shown
    central_servers: int | None        # its servers at the central estimate
    reason: str | None                 # why it cannot serve, when it cannot
    break_even_rmb_per_server: int | None  # the most a server may cost for it to cost no more than the recommended plan

    @property
    def servers(self) -> int:
        return 0 if self.plan is None else self.plan.servers.get(self.offer_id, 0)


@dataclass(frozen=True)
class Diagnosis:
    binding: tuple[str, ...]
    relaxations: tuple[str, ...]
    offer_reasons: dict[str, str]


@dataclass(frozen=True)
class Spread:
    """A quantity at the 10, 50 and 90 % quantiles over the draws (None: no plan at that quantile)."""

    p10: int | None
    p50: int | None
    p90: int | None


@dataclass(frozen=True)
class Uncertainty:
    confidence: float
    draws: int
    chosen_draw: int
    cost_rmb: Spread
    servers: Spread
    without_plan: int          # draws under which no plan serves the load


@dataclass(frozen=True)
class SolveResult:
    problem: Problem                  # what was solved: the scenario resolved against the catalog
    scenario: Scenario
    model: ModelSpec
    status: Status                    # optimal | feasible | infeasible | unknown (time-out)
    objective_rmb: int | None
    best_bound_rmb: int | None
    solve_seconds: float
    designs: tuple[Design, ...]       # non-dominated designs given to CP-SAT
    candidates: tuple[Design, ...]    # every SLA-compliant design before pruning
    plans: tuple[Plan, ...]
    per_offer: tuple[OfferOutcome, ...]
    diagnosis: Diagnosis | None
    terms: dict[str, OfferTerms]
    summaries: dict[str, OfferSummary]
    single_vendor_plan: Plan | None = None  # best one-vendor plan when the cheapest plan mixes vendors
    mix_plan: Plan | None = None            # that cheapest vendor mix (recommended only if it saves enough)
    central_plan: Plan | None = None  # the plan at the central estimate, for the headline range (None at confidence 0.5)
    uncertainty: Uncertainty | None = None            # the whole answer's spread over draws (None at confidence 0.5)
    central_per_offer: tuple[OfferOutcome, ...] = ()  # each bid's own plan at the central estimate
    bid_spreads: dict[str, Uncertainty] = field(default_factory=dict)  # each bid's own spread; its designs sit at its chosen draw
    trusting_plan: Plan | None = None  # with constraints.robust_to: the cheapest plan trusting every bid to deliver
    unpriced_bids: tuple[UnpricedBid, ...] = ()  # bids with price_kind unknown, each sized on its own (pipeline.solve)
    phases: PhasedPlan | None = None  # with scenario.phases: the purchase schedule, checked (pipeline.solve)
