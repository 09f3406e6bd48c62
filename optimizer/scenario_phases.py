"""The scenario's `phases:` key: buying in phases (a schedule of purchases over periods) for one
service, and the checks that need the rest of the file (offer ids, owned and unpriced bids, the
objective, the lead time).

The per-period numbers are derived here, once, so the plan model and the report read the same
loads and prices: `Phases.loads` (the load per period) and `Phases.prices` (an offer's price per
server per period before discounting).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from optimizer.catalog.records import IntMax10_000_000_000, Max1e9, Strict
from optimizer.catalog.yaml_io import Lines
from optimizer.errors import Problem, one_of
from optimizer.scenario_checks import Label

MIN_PERIODS, MAX_PERIODS = 2, 16  # each period adds a copy of the replica variables to the phased model

PeriodServers = Annotated[int, Field(ge=0, le=100_000)]


class Phases(Strict):
    """Buy in phases: a load per period (or a growth rate), prices that may fall, deliveries that may
    be capped per period and take `lead_time_periods` to serve, spend discounted per period."""

    periods: list[Label] = Field(description=f"the periods' names in order ({MIN_PERIODS} to {MAX_PERIODS}), e.g. "
                                 "[2027Q1, 2027Q2, 2027Q3, 2027Q4]", json_schema_extra={"minItems": MIN_PERIODS, "maxItems": MAX_PERIODS})
    load: list[Max1e9] | None = Field(
        None, description="the load in each period, in the workload's load unit (one per period); or give growth_pct")
    growth_pct: Annotated[float, Field(gt=-100, le=1000, allow_inf_nan=False)] | None = Field(
        None, description="load growth per period in %, compounding from workload.load in the first period; or give load")
    price_decline_pct: Annotated[float, Field(gt=-100, lt=100, allow_inf_nan=False)] = Field(
        0, description="every offer's price falls by this % each period, compounding (negative: prices rise)")
    prices_rmb_per_server: dict[Label, list[IntMax10_000_000_000]] = Field(
        {}, description="offer id -> its price per server in each period (whole RMB), instead of price_decline_pct")
    available: dict[Label, list[PeriodServers]] = Field(
        {}, description="offer id -> servers it can deliver in each period (its available_servers still caps the total); "
        "default: up to available_servers in total, in any period")
    lead_time_periods: Annotated[int, Field(ge=0, le=MAX_PERIODS - 1)] = Field(
        0, description="a server bought in period p serves from period p + lead_time_periods")
    discount_rate_pct: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = Field(
        0, description="discount rate per period in %: spend in period p (from 0) weighs 1 / (1 + rate)^p")

    @field_validator("periods")
    @classmethod
    def _periods(cls, periods: list[str]) -> list[str]:
        if not MIN_PERIODS <= len(periods) <= MAX_PERIODS:
            raise ValueError(f"names {len(periods)} period(s); give {MIN_PERIODS} to {MAX_PERIODS} (one period is buying all at once)")
        if len(set(periods)) != len(periods):
            raise ValueError("names a period more than once; give each period its own name")
        return periods

    @field_validator("load")
    @classmethod
    def _one_load_per_period(cls, load: list[float] | None, info: ValidationInfo) -> list[float] | None:
        n = len(info.data.get("periods") or [])
        if load is not None and n and len(load) != n:
            raise ValueError(f"gives {len(load)} value(s) for {n} periods; give one load per period")
        return load

    @field_validator("prices_rmb_per_server", "available")
    @classmethod
    def _one_per_period(cls, table: dict[str, list[int]], info: ValidationInfo) -> dict[str, list[int]]:
        n = len(info.data.get("periods") or [])
        for oid, values in table.items():
            if n and len(values) != n:
                raise ValueError(f"{oid} gives {len(values)} value(s) for {n} periods; give one per period")
        return table

    @model_validator(mode="after")
    def _load_or_growth(self) -> Phases:
        if (self.load is None) == (self.growth_pct is None):
            raise ValueError("give exactly one of load (one value per period) or growth_pct (per period)")
        return self

    def loads(self, first: float) -> list[float]:
        """The load in each period, in the workload's unit (`first`: workload.load)."""
        if self.load is not None:
            return [float(x) for x in self.load]
        assert self.growth_pct is not None
        return [first * (1 + self.growth_pct / 100) ** p for p in range(len(self.periods))]

    def prices(self, offer_id: str, first_rmb: float) -> list[int]:
        """An offer's price per server in each period, whole RMB, before discounting (`first_rmb`: its bid)."""
        if offer_id in self.prices_rmb_per_server:
            return list(self.prices_rmb_per_server[offer_id])
        return [round(first_rmb * (1 - self.price_decline_pct / 100) ** p) for p in range(len(self.periods))]

    def discount(self, period: int) -> float:
        """The weight of spend in period `period` (from 0): 1 / (1 + rate)^period."""
        return float(1 / (1 + self.discount_rate_pct / 100) ** period)


def phase_problems(raw: dict[str, Any], lines: Lines, *, fleet: bool = False) -> list[Problem]:
    """What `phases:` asks that the rest of the file rules out, read from the raw data so it is
    reported with the schema's problems: offer ids that are not offers, owned or unpriced offers given
    prices or deliveries, a most-load objective, supply cases (for one service; a fleet's schedule is
    sized for them: `fleet`), and a lead time that leaves the first period with nothing to serve it."""
    phases = raw.get("phases")
    if not isinstance(phases, dict):
        return []
    raw_offers = raw.get("offers")
    offers = {o["id"]: o for o in (raw_offers if isinstance(raw_offers, list) else []) if isinstance(o, dict) and isinstance(o.get("id"), str)}
    ids = list(offers)
    problems: list[Problem] = []
    for key in ("prices_rmb_per_server", "available"):
        table = phases.get(key)
        for oid in table if isinstance(table, dict) else {}:
            where = ("phases", key, oid)
            if oid not in offers:
                problems.append(Problem(".".join(map(str, where)), f"{oid!r} is not an offer of this scenario", one_of(oid, ids),
                                        lines.get(where)))
            elif offers[oid].get("owned") is True:
                problems.append(Problem(".".join(map(str, where)), f"{oid!r} is hardware already owned: it is neither "
                                        "priced nor delivered again", f"drop {oid} from phases.{key}", lines.get(where)))
            elif offers[oid].get("price_kind") == "unknown":
                problems.append(Problem(".".join(map(str, where)), f"{oid!r} has no price yet (price_kind unknown): it is "
                                        "never bought, in any period", f"drop {oid} from phases.{key}, or give the offer its price",
                                        lines.get(where)))
    objective = raw.get("objective")
    if isinstance(objective, dict) and objective.get("kind") == "max_load":
        problems.append(Problem("phases", "a most-load objective has no purchase to schedule (it serves the most load "
                                "with what it has)", "use objective kind capex or tco with phases, or drop phases",
                                lines.get(("phases",))))
    constraints = raw.get("constraints")
    if isinstance(constraints, dict) and constraints.get("robust_to") and not fleet:
        problems.append(Problem("phases", "a phased schedule is not sized for the supply cases of constraints.robust_to",
                                "drop phases or constraints.robust_to (solve the scenario once with each)", lines.get(("phases",))))
    problems += _lead_problems(phases, offers, lines)
    return problems


def _lead_problems(phases: dict[str, Any], offers: dict[Any, Any], lines: Lines) -> list[Problem]:
    """A lead time of a period or more leaves the first period to hardware already owned; with none,
    its load cannot be served. A lead time of the whole horizon buys nothing that ever serves."""
    lead, periods = phases.get("lead_time_periods"), phases.get("periods")
    if not isinstance(lead, int) or isinstance(lead, bool) or lead <= 0:
        return []
    where = ("phases", "lead_time_periods")
    if isinstance(periods, list) and lead >= len(periods):
        return [Problem(".".join(where), f"{lead} period(s) of lead time: nothing bought in the {len(periods)} periods would "
                        "serve before they end", f"give a lead time below {len(periods)}, or add periods", lines.get(where))]
    if not any(o.get("owned") is True for o in offers.values()):
        return [Problem(".".join(where), f"with {lead} period(s) of lead time, nothing serves the first period's load: no "
                        "hardware is owned and nothing bought arrives in time",
                        "give lead_time_periods: 0 (or list the hardware already owned as an offer with owned: true)",
                        lines.get(where))]
    return []
