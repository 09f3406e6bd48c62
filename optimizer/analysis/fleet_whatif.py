"""What-if sweeps of a fleet (a scenario with services:, several services on one purchase). The
single-service sweeps of the same axes are analysis.sweeps_fleet (named for the purchase, not for
services:); this module moves the same numbers in every service's scenario and re-solves the fleet.

Each point re-solves the fleet over the services' designs, each service's sized at its confidence by
its own solve, as pipeline.solve_fleet has them; only the fleet's purchase is solved again, and each
answer is checked independently (check_fleet; a failure is a bug).

- growth, price decline, discount rate (a fleet with phases:): the fleet's phased schedule and its
  all-at-once one (plan.fleet_phases.solve_fleet_phases). The number moves in every service's
  scenario, the phases being shared; a service that gives its own phases_load keeps it, as the fleet
  file reads (growth_pct grows the loads of the services without their own), so a growth sweep
  needs one service whose load grows.
- delivered share: the supply case of an offer or a vendor (constraints.robust_to, shared) moved as
  analysis.sweeps_fleet.with_delivered_share moves it, in every service's scenario, against the
  cheapest fleet trusting every bid (all supply cases dropped, as the fleet report prices the
  robustness). Without phases, the fleet plan (plan.fleet.recommend_fleet); with phases, the
  phased schedule, the case holding in every period on the servers in service, as the solve has it.

Vendor rule: each point is what the fleet solve would answer at that value: the cheapest fleet or
schedule under the solve's vendor rule (plan.fleet.recommend_fleet, plan.fleet_phases.solve_fleet_phases:
a mix of vendors must save more than constraints.mix_min_saving_pct against the best one-vendor
answer), within the hard vendor rules the fleet model holds (vendors_allowed / vendors_excluded
through the terms, single_vendor as a constraint); a point at the scenario's own value is the
solve's own answer.

What holds along each axis for the least spend (mix_min_saving_pct 0: the vendor rule can move a
point from a mix to one vendor and back; the arguments of analysis.sweeps_fleet, for every
service's load at once: the prices, budget and caps are shared): more growth never lowers the phased total nor the
all-at-once one; a steeper price decline or a higher discount rate never raises the phased total
and leaves buying all at once where it is; a lower delivered share never lowers the robust cost,
and at share 1, the case dropped, the robust fleet is the trusting one when the scenario has no
other case.

No per-vendor series: each point is one fleet solve (seconds with phases), and a vendor alone is a
fleet of its own, which the fleet report already prices at the scenario's values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from optimizer.analysis.common import Progress
from optimizer.analysis.sweeps_fleet import PHASE_AXES, SHARE_DECIMALS, with_delivered_share, with_phase_value
from optimizer.check import PlanCheckError
from optimizer.check_fleet import verify_fleet, verify_fleet_phases
from optimizer.errors import InputError
from optimizer.plan.fleet import ServiceDesigns, recommend_fleet
from optimizer.plan.fleet_phases import solve_fleet_phases
from optimizer.plan.fleet_result import FleetPhased
from optimizer.plan.result import Status
from optimizer.plan.solve import trusting_every_bid
from optimizer.problem import Problem
from optimizer.scenario import Scenario


@dataclass(frozen=True)
class FleetPhasePoint:
    """One value of a phases sweep of a fleet: its phased schedule and buying all at once (discounted
    totals in whole RMB, in the first period's money; None: no schedule)."""

    value: float
    status: Status                                       # the phased schedule's
    discounted_rmb: int | None
    paid_rmb: int | None                                 # the phased schedule's spend, undiscounted
    bought: dict[str, int]                               # offer id -> servers bought over the periods
    all_at_once_rmb: int | None                          # every server bought in the first period (discounted = paid)
    all_at_once_status: Status
    all_at_once_bought: dict[str, int]
    last_loads: tuple[float, ...]                        # each service's load in the last period (its own unit), fleet order

    @property
    def saving_rmb(self) -> int | None:
        """What phasing saves against buying all at once (None: one of the two has no schedule)."""
        if self.discounted_rmb is None or self.all_at_once_rmb is None:
            return None
        return self.all_at_once_rmb - self.discounted_rmb


@dataclass(frozen=True)
class FleetSharePoint:
    """One delivered share: the fleet robust to it (with phases, its schedule's discounted total)."""

    value: float
    status: Status
    cost_rmb: int | None
    servers: dict[str, int]                              # offer id -> servers bought (with phases, over the periods)


@dataclass(frozen=True)
class FleetTrusting:
    """The cheapest fleet trusting every bid to deliver (with phases, its schedule): the same at every share."""

    status: Status
    cost_rmb: int | None
    servers: dict[str, int]


@dataclass(frozen=True)
class FleetPhaseSweep:
    kind: str                                            # a key of PHASE_AXES: growth | decline | discount
    services: tuple[str, ...]
    points: tuple[FleetPhasePoint, ...]
    own_loads: tuple[str, ...] = ()                      # services keeping their own phases_load (a growth sweep leaves them)

    @property
    def value_key(self) -> str:
        return PHASE_AXES[self.kind][2]


@dataclass(frozen=True)
class FleetShareSweep:
    supply: str                                          # the offer id or vendor whose delivery moves
    services: tuple[str, ...]
    points: tuple[FleetSharePoint, ...]
    trusting: FleetTrusting
    phased: bool                                         # the costs are the phased schedule's, discounted
    kind: str = field(default="delivered", init=False)
    value_key: str = field(default="delivered_share", init=False)


FleetSweep = FleetPhaseSweep | FleetShareSweep


def own_loads(scenarios: tuple[Scenario, ...]) -> tuple[str, ...]:
    """The services that give their own loads per period (a fleet's shared phases never list loads,
    so a service's phases.load is its own phases_load)."""
    return tuple(s.name for s in scenarios if s.phases is not None and s.phases.load is not None)


def check_fleet_phase_axis(scenarios: tuple[Scenario, ...], kind: str) -> None:
    """Bad input unless the fleet buys in phases and, for growth, one service's load follows it."""
    option = PHASE_AXES[kind][0]
    if scenarios[0].phases is None:
        raise InputError(option, "(scenario without phases:)", f"{option} sweeps the fleet's schedule of buying in phases, and this "
                         "fleet buys all at once", "add a phases: section to the scenario (periods and growth_pct; see "
                         "scenarios/enterprise_fleet_phased.yaml), or use --delivered-share for a single purchase")
    if kind == "growth" and len(own_loads(scenarios)) == len(scenarios):
        raise InputError(option, "(every service gives phases_load)", "moves phases.growth_pct, which grows the loads of the "
                         "services without their own phases_load, and every service here gives its own",
                         "drop phases_load from a service whose load should grow, or sweep --price-decline or --discount")


def _with_phase_value(svc: ServiceDesigns, kind: str, value: float) -> ServiceDesigns:
    """The service with one shared phases number moved; a growth rate leaves a service's own loads alone."""
    phases = svc.scenario.phases
    if kind == "growth" and phases is not None and phases.load is not None:
        return svc
    return dataclasses.replace(svc, scenario=with_phase_value(svc.scenario, kind, value))


def _problems(problems: tuple[Problem, ...], services: list[ServiceDesigns]) -> tuple[Problem, ...]:
    return tuple(p.with_scenario(s.scenario) for p, s in zip(problems, services, strict=True))


def _checked_phases(services: list[ServiceDesigns], problems: tuple[Problem, ...]) -> FleetPhased:
    found = solve_fleet_phases(services, problems[0].terms)
    bad = verify_fleet_phases(found, _problems(problems, services))
    if bad:
        raise PlanCheckError("the fleet's schedule fails the independent check: " + "; ".join(bad))
    return found


def fleet_phase_sweep(services: list[ServiceDesigns], problems: tuple[Problem, ...], kind: str, values: list[float],
                      progress: Progress | None = None) -> FleetPhaseSweep:
    """The fleet's phased schedule and buying all at once as growth, price decline or discount rate
    moves (`kind`: a key of PHASE_AXES). `services`: each service's designs (its solve's) and
    scenario; `problems`: the services' problems, in the same order."""
    scenarios = tuple(s.scenario for s in services)
    check_fleet_phase_axis(scenarios, kind)
    points = []
    for i, value in enumerate(values):
        moved = [_with_phase_value(s, kind, value) for s in services]
        found = _checked_phases(moved, problems)
        sched, once = found.schedule, found.all_at_once
        last = tuple(s.scenario.phases.loads(s.scenario.workload.load.amount)[-1] for s in moved if s.scenario.phases is not None)
        points.append(FleetPhasePoint(
            value=value, status=found.status, discounted_rmb=sched.discounted_rmb if sched else None,
            paid_rmb=sched.spend_rmb if sched else None, bought=sched.servers if sched else {},
            all_at_once_rmb=once.discounted_rmb if once else None, all_at_once_status=found.all_at_once_status,
            all_at_once_bought=once.servers if once else {}, last_loads=last,
        ))
        if progress:
            progress(i + 1, len(values))
    return FleetPhaseSweep(kind, tuple(s.name for s in services), tuple(points), own_loads(scenarios) if kind == "growth" else ())


def _fleet_cost(services: list[ServiceDesigns], problems: tuple[Problem, ...]) -> tuple[Status, int | None, dict[str, int]]:
    """The cheapest fleet (with phases, its schedule's discounted total and servers bought), checked."""
    if services[0].scenario.phases is not None:
        found = _checked_phases(services, problems)
        if found.schedule is None:
            return found.status, None, {}
        return found.status, found.schedule.discounted_rmb, found.schedule.servers
    status, plan, _, _, _ = recommend_fleet(services, problems[0].terms)
    if plan is None:
        return status, None, {}
    bad = verify_fleet(plan, _problems(problems, services))
    if bad:
        raise PlanCheckError("the fleet plan fails the independent check: " + "; ".join(bad))
    return status, plan.cost_rmb, dict(plan.servers)


def fleet_share_sweep(services: list[ServiceDesigns], problems: tuple[Problem, ...], who: str, shares: list[float],
                      progress: Progress | None = None) -> FleetShareSweep:
    """The fleet robust to only `shares` of `who`'s servers arriving (an offer id or a vendor; each
    share rounded to SHARE_DECIMALS), and the fleet trusting every bid, solved once."""
    trusting = FleetTrusting(*_fleet_cost([dataclasses.replace(s, scenario=trusting_every_bid(s.scenario)) for s in services], problems))
    points = []
    for i, share in enumerate(shares):
        value = round(share, SHARE_DECIMALS)
        moved = [dataclasses.replace(s, scenario=with_delivered_share(s.scenario, who, value)) for s in services]
        points.append(FleetSharePoint(value, *_fleet_cost(moved, problems)))
        if progress:
            progress(i + 1, len(shares))
    return FleetShareSweep(who, tuple(s.name for s in services), tuple(points), trusting, services[0].scenario.phases is not None)
