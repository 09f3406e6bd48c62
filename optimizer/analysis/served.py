"""What an output token costs: over the tokens a plan could produce at 100 % utilisation (page
one's bid table), and over the tokens it actually serves when the load follows a daily profile.

A plan is sized for the peak. Over a day it serves `served_share` of what it could:

    served_share = utilisation_at_peak x mean_fraction_of_peak
    utilisation_at_peak = the scenario's load / the plan's capacity (at most 1)

so the cost per million tokens served is the 100 % figure divided by `served_share`: the tokens of
an hour are taken to scale with its load (its requests are that share of the peak's). Under a TCO
objective the energy is reported twice: the objective's own figure (the servers draw full power for
`objective.duty_cycle` of the hours) and the figure if power followed the load, a lower bound
because servers draw power when idle (the catalog has no idle-power data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optimizer import units
from optimizer.plan.designs import output_tokens_per_s_of
from optimizer.plan.result import Plan, ReplicaGroup
from optimizer.problem import DailyLoad
from optimizer.scenario import Objective

LIFE_YEARS = 3  # the life over which a plan's cost is spread per output token (page one, footnote 1)
LIFE_S = LIFE_YEARS * 365 * 24 * 3600


def rmb_per_million_output_tokens(plan: Plan) -> float | None:
    """Plan cost over the output tokens its replicas can produce in LIFE_YEARS at full utilisation."""
    tok_s = output_tokens_per_s_of([(g.design, g.count) for g in plan.groups])
    if tok_s <= 0:
        return None
    return plan.cost_rmb / units.to_millions(tok_s * LIFE_S)


@dataclass(frozen=True)
class ServedCost:
    profile: str | None                  # the catalog profile's name; None: the scenario's own 24 values
    description: str                     # the catalog profile's description ('' for the scenario's own values)
    description_zh: str | None
    mean_fraction_of_peak: float         # of the daily profile
    utilisation_at_peak: float           # the scenario's load over the plan's capacity
    served_share: float                  # of the tokens the plan could produce over a day
    rmb_per_million_at_full: float       # 100 % utilisation (the bid table's figure)
    rmb_per_million_served: float
    energy_rmb: float | None             # TCO: the objective's energy (full power for its duty cycle); else None
    energy_rmb_power_follows_load: float | None  # TCO: the same energy if power followed the load (a lower bound)


def served_cost(plan: Plan, load: float, daily: DailyLoad | None, objective: Objective) -> ServedCost | None:
    """The cost per token at the served utilisation of a plan sized for `load` (the scenario's, in
    its unit); None without a daily profile or for a plan that produces no tokens."""
    full = rmb_per_million_output_tokens(plan)
    if daily is None or full is None or plan.served <= 0:
        return None
    return _at_utilisation(full, load, plan.served, daily, objective, float(plan.cost_rmb - plan.capex_rmb))


def service_served_cost(groups: Sequence[ReplicaGroup], attributed_rmb: float, load: float, served: float,
                        daily: DailyLoad | None, objective: Objective, attributed_energy_rmb: float) -> ServedCost | None:
    """One service of a fleet: the same figures over the RMB attributed to it (under TCO its capex
    and its share of the energy, both split by the cards its replicas use) and its own replicas."""
    tok_s = output_tokens_per_s_of([(g.design, g.count) for g in groups])
    if daily is None or tok_s <= 0 or served <= 0:
        return None
    full = attributed_rmb / units.to_millions(tok_s * LIFE_S)
    return _at_utilisation(full, load, served, daily, objective, attributed_energy_rmb)


def _at_utilisation(full: float, load: float, served: float, daily: DailyLoad, objective: Objective, energy_rmb: float) -> ServedCost:
    """The 100 % figure `full` at the served share (load over capacity at the peak, times the profile's
    mean) and, under TCO, `energy_rmb` (the objective's, full power for its duty cycle) beside the
    energy if power followed the load."""
    at_peak = min(1.0, load / served)
    share = at_peak * daily.mean_fraction_of_peak
    energy = follows = None
    if objective.kind == "tco":
        energy, follows = energy_rmb, energy_rmb / objective.duty_cycle * share
    return ServedCost(daily.name, daily.description, daily.description_zh, daily.mean_fraction_of_peak, at_peak, share, full,
                      full / share, energy, follows)
