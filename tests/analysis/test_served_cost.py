"""The cost per token actually served under a daily load profile (optimizer/analysis/served.py),
worked by hand on stand-in plans, and the profile as a scenario key (a catalog name or 24 values)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import load, resolved

from optimizer.analysis.served import LIFE_S, served_cost, service_served_cost
from optimizer.errors import InputError
from optimizer.perf.replica import Parallelism
from optimizer.plan.result import Design, Plan, ReplicaGroup
from optimizer.problem import DailyLoad
from optimizer.scenario import Objective

REPO = Path(__file__).resolve().parents[2]
OFFICE_HOURS = DailyLoad("office_hours", (0.1,) * 9 + (1.0,) * 9 + (0.1,) * 6)


def _plan(cost_rmb: int, capex_rmb: int, tokens_per_s: float, replicas: int, capacity: float) -> Plan:
    perf = SimpleNamespace(parallelism=Parallelism(8, 1, 1), precision="fp8", batch=32, cards=8, output_tokens_per_s=tokens_per_s)
    design = Design(offer_id="h200-8x", perf=perf, ttft_ms=500.0, tpot_ms=40.0, capacity=capacity)  # type: ignore[arg-type]
    return Plan(1, cost_rmb, capex_rmb, {"h200-8x": replicas}, (ReplicaGroup(design, replicas),), capacity * replicas)


def test_office_hours_at_eighty_percent_of_capacity_by_hand():
    """Two replicas of 1,000 output tokens/s each, 40 users each (80 in all), RMB 3,000,000, for 64 users.
    100 %: 3,000,000 / (2,000 x 94,608,000 s / 1e6) = RMB 15.855 per million tokens.
    office_hours: (9 x 0.1 + 9 x 1 + 6 x 0.1) / 24 = 10.5 / 24 = 0.4375 of the peak on average;
    at the peak the plan runs at 64 / 80 = 0.8 of its capacity, so it serves 0.8 x 0.4375 = 0.35 of
    what it could: 15.855 / 0.35 = RMB 45.30 per million tokens served."""
    plan = _plan(3_000_000, 3_000_000, 1000.0, 2, 40.0)
    c = served_cost(plan, 64, OFFICE_HOURS, Objective())
    assert c is not None
    assert LIFE_S == 94_608_000
    assert c.rmb_per_million_at_full == pytest.approx(3_000_000 / (2000 * 94.608))
    assert c.mean_fraction_of_peak == pytest.approx(0.4375)
    assert c.utilisation_at_peak == pytest.approx(0.8)
    assert c.served_share == pytest.approx(0.35)
    assert c.rmb_per_million_served == pytest.approx(45.30, abs=0.01)
    assert c.energy_rmb is None and c.energy_rmb_power_follows_load is None  # capex objective: no energy


def test_tco_energy_if_power_followed_the_load_by_hand():
    """TCO RMB 4,000,000 of which capex 3,000,000: energy RMB 1,000,000 at a duty cycle of 0.5. At full
    power all hours it would be 2,000,000; following the load it is 2,000,000 x 0.35 = RMB 700,000."""
    plan = _plan(4_000_000, 3_000_000, 1000.0, 2, 40.0)
    objective = Objective(kind="tco", years=3, rmb_per_kwh=0.8, duty_cycle=0.5)
    c = served_cost(plan, 64, OFFICE_HOURS, objective)
    assert c is not None
    assert c.energy_rmb == pytest.approx(1_000_000)
    assert c.energy_rmb_power_follows_load == pytest.approx(700_000)


def test_a_fleet_service_carries_its_share_of_the_energy_by_hand():
    """A fleet of 2 TCO servers (price RMB 1,500,000 and energy RMB 500,000 each, RMB 4,000,000 in
    all): service A runs one 8-card replica, service B the other, so A carries half, RMB 2,000,000 of
    which energy 500,000 (FleetPlan.attributed_energy_rmb). A's replica (1,000 tokens/s, 40 users)
    serves 32 users in office hours: at peak 0.8, served share 0.8 x 0.4375 = 0.35; at duty cycle
    0.5, energy following the load is 500,000 / 0.5 x 0.35 = RMB 350,000. Under capex the same call
    gives no energy."""
    from optimizer.plan.fleet_result import FleetPlan, ServicePlan

    plan = _plan(4_000_000, 3_000_000, 1000.0, 1, 40.0)
    group = plan.groups[0]
    fleet = FleetPlan(4_000_000, 3_000_000, {"h200-8x": 2}, (ServicePlan("a", (group,), 40.0), ServicePlan("b", (group,), 40.0)))
    terms = {"h200-8x": SimpleNamespace(cost_rmb_per_server=2_000_000, energy_rmb_per_server=500_000)}
    assert fleet.attributed_rmb("a", terms) == pytest.approx(2_000_000)  # type: ignore[arg-type]
    energy = fleet.attributed_energy_rmb("a", terms)  # type: ignore[arg-type]
    assert energy == pytest.approx(500_000)
    objective = Objective(kind="tco", years=3, rmb_per_kwh=0.8, duty_cycle=0.5)
    c = service_served_cost((group,), 2_000_000, 32, 40.0, OFFICE_HOURS, objective, energy)
    assert c is not None and c.served_share == pytest.approx(0.35)
    assert c.energy_rmb == pytest.approx(500_000) and c.energy_rmb_power_follows_load == pytest.approx(350_000)
    capex = service_served_cost((group,), 2_000_000, 32, 40.0, OFFICE_HOURS, Objective(), 0.0)
    assert capex is not None and capex.energy_rmb is None


def test_a_plan_below_the_load_is_counted_at_full_use_and_no_profile_gives_nothing():
    plan = _plan(3_000_000, 3_000_000, 1000.0, 2, 40.0)
    flat = DailyLoad("flat", (1.0,) * 24)
    full = served_cost(plan, 100, flat, Objective())   # more load than capacity (a max-load plan): at most 100 %
    assert full is not None and full.utilisation_at_peak == 1.0
    assert full.rmb_per_million_served == pytest.approx(full.rmb_per_million_at_full)
    assert served_cost(plan, 64, None, Objective()) is None


def _scenario_with(tmp_path: Path, profile: object) -> Path:
    doc = yaml.safe_load((REPO / "scenarios" / "llama3_70b_single_user.yaml").read_text(encoding="utf-8"))
    doc["workload"]["daily_profile"] = profile
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_a_named_profile_and_24_values_resolve_once_with_the_problem(tmp_path: Path):
    named = resolved(load(_scenario_with(tmp_path, "office_hours")))
    assert named.daily_load is not None and named.daily_load.name == "office_hours"
    assert named.daily_load.mean_fraction_of_peak == pytest.approx(0.4375)
    own = resolved(load(_scenario_with(tmp_path, [0.5] * 12 + [1.0] * 12)))
    assert own.daily_load is not None and own.daily_load.name is None
    assert own.daily_load.mean_fraction_of_peak == pytest.approx(0.75)
    assert resolved(load(_scenario_with(tmp_path, None))).daily_load is None


@pytest.mark.parametrize(("profile", "words"), [
    ("weekends", "is not a load profile in the catalog"),
    ([1.0] * 23, "has 23 values; give 24"),
    ([0.0] * 24, "is zero at every hour"),
    ([1.2] + [1.0] * 23, "outside 0..1"),
])
def test_a_bad_profile_names_the_field_and_the_fix(tmp_path: Path, profile: object, words: str):
    with pytest.raises(InputError) as err:
        load(_scenario_with(tmp_path, profile))
    text = str(err.value)
    assert "workload.daily_profile" in text and words in text, text


def test_solve_reports_the_served_cost_in_json_and_on_page_one(tmp_path: Path):
    """The real command on a shipped scenario with office_hours: the JSON's figures agree with each
    other (served = full / (utilisation at peak x 0.4375)) and page one says it, in both languages."""
    from typer.testing import CliRunner

    from optimizer.cli import app

    path = _scenario_with(tmp_path, "office_hours")
    for lang in ("en", "zh"):
        result = CliRunner().invoke(app, ["solve", str(path), "--out", str(tmp_path / lang), "--lang", lang])
        assert result.exit_code == 0, result.output
    c = json.loads((tmp_path / "en" / "s.json").read_text(encoding="utf-8"))["served_cost"]
    assert c["profile"] == "office_hours" and c["mean_fraction_of_peak"] == 0.4375
    assert c["served_share"] == pytest.approx(c["utilisation_at_peak"] * 0.4375, abs=1e-4)
    assert c["rmb_per_million_output_tokens_served"] == pytest.approx(
        c["rmb_per_million_output_tokens_at_full_utilisation"] / c["served_share"], rel=1e-3)
    assert "Cost per token actually served: under the daily profile office_hours" in (tmp_path / "en" / "s.md").read_text(encoding="utf-8")
    assert "按实际服务量计的 token 成本" in (tmp_path / "zh" / "s.md").read_text(encoding="utf-8")
