"""What-if sweeps on the axes of buying in phases and of supply risk (issue 15, item 5).

- growth, price decline, discount rate: scenario.phases re-solved (plan.phases.solve_phases) over
  the solve's designs at each value, as page one's schedule is: the discounted total of the phased
  schedule and of buying everything in the first period, and each vendor's own phased schedule.
  The phase model depends on the loads and prices only, never on which designs qualify, so the
  designs are the solve's (sized at its confidence) at every point. Like page one's schedule, a
  phased schedule follows the vendor rule (plan.phases: a mix must save more than
  mix_min_saving_pct against the best one-vendor schedule); each vendor's own schedule is in the
  table beside it.
- delivered share: one supply case (constraints.robust_to) of an offer or a vendor, its
  delivered_share moved and the plan re-solved at each value, the vendor rule applied as solve
  applies it (analysis.sweeps._cost_point).

What holds along each axis for the least spend (mix_min_saving_pct 0) and for each vendor's own
schedule, every other number fixed (tests/analysis/test_sweeps_new_axes.py); under the vendor rule
a recommendation may move the other way, as the delivered-share tests construct:
- growth: each period's load is workload.load x (1 + g)^p, non-decreasing in g for every p; a
  schedule serving the larger loads serves the smaller ones (same prices, caps and budget), so more
  growth never lowers the phased total, nor the all-at-once one.
- price decline: each period's price is round(bid x (1 - d)^p), non-increasing in d, and so is its
  discounted price; which schedules are feasible does not depend on prices, except the budget (on
  the money paid), which only loosens. Every schedule costs no more, so a steeper decline never
  raises the phased total. Buying all at once pays first-period prices, which no decline touches:
  that total stays where it is (offers priced per period in phases.prices_rmb_per_server keep
  their prices).
- discount rate: spend in period p weighs 1 / (1 + r)^p, non-increasing in r, and the budget is on
  the money paid: a higher rate never raises the phased total; the all-at-once total (weight 1)
  stays where it is.
- delivered share: of the servers of the cut offers, floor(s x bought) arrive, non-decreasing in s;
  a plan that survives the smaller share survives the larger one, so a lower share never lowers
  the least cost, nor any vendor's own. The recommended plan's cost under the vendor rule is not
  monotone: a lower share may make a single vendor's plan dear enough that a cheaper mix earns
  its second contract (the tests construct one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.analysis.common import Progress, restrict, vendors_of
from optimizer.analysis.sweeps import Sweep, SweepPoint, _context, _cost_point, short_reason
from optimizer.check import assert_phases_valid
from optimizer.errors import InputError, one_of
from optimizer.plan.phases import solve_phases
from optimizer.plan.result import Design, OfferSummary, PhasedPlan, PhaseSchedule
from optimizer.plan.terms import OfferTerms
from optimizer.problem import Problem
from optimizer.scenario import Scenario, SupplyCase
from optimizer.scenario_phases import Phases

# sweep kind -> (the CLI option, the field of scenario.phases it moves, the JSON key of the swept value)
PHASE_AXES: dict[str, tuple[str, str, str]] = {
    "growth": ("--growth", "growth_pct", "growth_pct"),
    "decline": ("--price-decline", "price_decline_pct", "price_decline_pct"),
    "discount": ("--discount", "discount_rate_pct", "discount_rate_pct"),
}
SHARE_DECIMALS = 4  # a swept share is rounded to 4 decimals, as a scenario writes it (0.3333 is 3333/10000)
NO_SCHEDULE = "no schedule serves every period"
NO_PROOF = "time-out: no schedule found, no proof there is none"


@dataclass(frozen=True)
class PhasePoint(SweepPoint):
    """A phases sweep's point. cost_rmb: the phased schedule's discounted total (whole RMB, in the
    first period's money); served: its capacity in the last period; winner: the offers it buys,
    by spend; per_vendor: each vendor's own phased total (discounted)."""

    last_load: float = 0.0                                        # the load in the last period
    paid_rmb: int | None = None                                   # the phased schedule's spend, undiscounted
    bought: dict[str, int] = field(default_factory=dict)          # offer id -> servers bought over the periods
    all_at_once_rmb: int | None = None                            # everything bought in the first period (discounted = paid)
    all_at_once_status: str = "infeasible"
    all_at_once_bought: dict[str, int] = field(default_factory=dict)

    @property
    def saving_rmb(self) -> int | None:
        """What phasing saves against buying all at once, discounted (None: one of them has no schedule)."""
        if self.cost_rmb is None or self.all_at_once_rmb is None:
            return None
        return self.all_at_once_rmb - self.cost_rmb


def phases_of(scenario: Scenario, kind: str) -> Phases:
    """scenario.phases, which a phases sweep needs (bad input without it)."""
    option = PHASE_AXES[kind][0]
    if scenario.phases is None:
        raise InputError(option, "(scenario without phases:)", f"{option} sweeps the schedule of buying in phases, and this "
                         "scenario buys all at once", "add a phases: section to the scenario (periods, and load or growth_pct; "
                         "see scenarios/r1_phased_2027.yaml), or use --load or --price for a single purchase")
    return scenario.phases


def with_phase_value(scenario: Scenario, kind: str, value: float) -> Scenario:
    """The scenario with one phases number moved. A growth rate replaces a list of loads per period
    (the load then compounds from workload.load)."""
    phases = phases_of(scenario, kind)
    update: dict[str, object] = {PHASE_AXES[kind][1]: value}
    if kind == "growth":
        update["load"] = None
    return scenario.model_copy(update={"phases": phases.model_copy(update=update)})


def phase_sweep(
    problem: Problem, kind: str, values: list[float], progress: Progress | None = None, designs: list[Design] | None = None,
    summaries: dict[str, OfferSummary] | None = None,
) -> Sweep:
    """The phased schedule and buying all at once as growth, price decline or discount rate moves
    (`kind`: a key of PHASE_AXES), each schedule checked independently (a failure is a bug).
    `designs` and `summaries`: the solve's (without them, the central estimate's)."""
    scenario = problem.scenario
    phases_of(scenario, kind)
    designs, terms = _context(problem, designs)
    points: list[SweepPoint] = []
    for i, value in enumerate(values):
        scn = with_phase_value(scenario, kind, value)
        point, found = phase_point(scn, value, designs, terms, summaries)
        assert_phases_valid(found, problem.with_scenario(scn))
        points.append(point)
        if progress:
            progress(i + 1, len(values))
    option, _, key = PHASE_AXES[kind]
    return Sweep(kind, key, f"{option.removeprefix('--')} (% per period)", scenario.workload.load.unit, tuple(points))


def phase_point(
    scenario: Scenario, value: float, designs: list[Design], terms: dict[str, OfferTerms],
    summaries: dict[str, OfferSummary] | None = None,
) -> tuple[PhasePoint, PhasedPlan]:
    """One point: scenario.phases solved over `designs`, and each vendor's own schedule (a vendor
    with no schedule gets a short reason)."""
    found = solve_phases(scenario, designs, terms)
    per_vendor: dict[str, float | None] = {}
    why_not: dict[str, str] = {}
    for vendor, offers in vendors_of(scenario).items():
        own_designs, own_terms = restrict(designs, terms, offers)
        own = solve_phases(scenario, own_designs, own_terms)
        per_vendor[vendor] = None if own.schedule is None else float(own.schedule.discounted_rmb)
        if own.schedule is None:
            why_not[vendor] = (short_reason(scenario, designs, terms, offers, summaries) if not any(d.offer_id in offers for d in designs)
                               else NO_PROOF if own.status == "unknown" else NO_SCHEDULE)
    sched, once = found.schedule, found.all_at_once
    point = PhasePoint(
        value=value, served=sched.periods[-1].capacity if sched else 0.0, cost_rmb=sched.discounted_rmb if sched else None,
        winner=_by_spend(sched, found.unit_discounted_rmb), status=found.status, per_vendor=per_vendor, why_not=why_not,
        last_load=found_last_load(scenario), paid_rmb=sched.spend_rmb if sched else None,
        bought=sched.servers if sched else {}, all_at_once_rmb=once.discounted_rmb if once else None,
        all_at_once_status=found.all_at_once_status, all_at_once_bought=once.servers if once else {},
    )
    return point, found


def found_last_load(scenario: Scenario) -> float:
    """The load in the last period of scenario.phases."""
    assert scenario.phases is not None
    return scenario.phases.loads(scenario.workload.load.amount)[-1]


def _by_spend(schedule: PhaseSchedule | None, discounted: dict[str, tuple[int, ...]]) -> str | None:
    """The offers a schedule buys from, by discounted spend ('+' between several), as winner_of names a plan's."""
    if schedule is None:
        return None
    spend: dict[str, int] = {}
    for p, period in enumerate(schedule.periods):
        for oid, n in period.bought.items():
            spend[oid] = spend.get(oid, 0) + discounted[oid][p] * n
    ranked = sorted(spend, key=lambda o: (-spend[o], o))
    return " + ".join(ranked) if ranked else None


# --------------------------------------------------------------------------------------------
# Delivered share


def supply_subject(scenario: Scenario, who: str) -> str:
    """'offer' or 'vendor': what `who` names for --delivered-share (bad input when neither is being bought)."""
    offers = {o.id: o for o in scenario.offers}
    if who in offers:
        if offers[who].owned:
            raise InputError("--delivered-share", who, "is hardware already owned: it cannot fail to arrive",
                             "name an offer being bought, or its vendor")
        if offers[who].unpriced:
            raise InputError("--delivered-share", who, "is a bid with no price yet (price_kind: unknown): it is never bought",
                             "name an offer being bought, or give it a price in the scenario")
        return "offer"
    buyable = vendors_of(scenario)
    if who in buyable:
        return "vendor"
    names = [o.id for o in scenario.offers if not o.owned and not o.unpriced] + list(buyable)
    raise InputError("--delivered-share", who, "is neither an offer being bought nor the vendor of one",
                     f"give OFFER_OR_VENDOR=FROM:TO:POINTS: {one_of(who, names)}")


def with_delivered_share(scenario: Scenario, who: str, share: float) -> Scenario:
    """The scenario whose supply case for `who` (an offer id or a vendor) delivers `share` of the
    servers bought: the scenario's own case for it moved (its load_share kept), else a case added
    (the whole load still served). A share of 1 drops the case: every server arrives."""
    kind = supply_subject(scenario, who)
    cases = list(scenario.constraints.robust_to)
    at = next((k for k, c in enumerate(cases) if getattr(c, kind) == who), None)
    share = round(share, SHARE_DECIMALS)
    if share >= 1:
        cases = [c for k, c in enumerate(cases) if k != at]
    elif at is not None:
        cases[at] = cases[at].model_copy(update={"delivered_share": share})
    else:
        cases.append(SupplyCase.model_validate({kind: who, "delivered_share": share}))
    return scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"robust_to": cases})})


def scenario_share(scenario: Scenario, who: str) -> float:
    """The share the scenario itself gives `who` (1: it has no case for it, every server arrives)."""
    kind = supply_subject(scenario, who)
    return next((c.delivered_share for c in scenario.constraints.robust_to if getattr(c, kind) == who), 1.0)


def delivered_share_sweep(
    problem: Problem, who: str, shares: list[float], progress: Progress | None = None, designs: list[Design] | None = None,
    summaries: dict[str, OfferSummary] | None = None,
) -> Sweep:
    """The cheapest plan, its winner under the vendor rule and each vendor's own plan as the share
    of `who`'s servers that arrive moves (each share rounded to SHARE_DECIMALS)."""
    scenario = problem.scenario
    kind = supply_subject(scenario, who)
    designs, terms = _context(problem, designs)
    points = []
    for i, share in enumerate(shares):
        value = round(share, SHARE_DECIMALS)
        points.append(_cost_point(with_delivered_share(scenario, who, value), value, designs, terms, summaries))
        if progress:
            progress(i + 1, len(shares))
    return Sweep("delivered", "delivered_share", f"share of {kind} {who} delivered", scenario.workload.load.unit, tuple(points),
                 supply=who)
