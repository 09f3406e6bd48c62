"""`procure solve` on a scenario with services: (several services on one purchase): the real
command on the shipped enterprise_fleet scenario, the report agreeing with its JSON, the fleet
checker catching a broken plan, and the fleet's own input rules."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from optimizer.check_fleet import verify_fleet
from optimizer.cli import app
from optimizer.plan.result import ReplicaGroup

REPO = Path(__file__).resolve().parents[2]
FLEET = REPO / "scenarios" / "enterprise_fleet.yaml"


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("fleet")
    done = CliRunner().invoke(app, ["solve", str(FLEET), "--out", str(out)])
    assert done.exit_code == 0, done.output
    return out, json.loads((out / "enterprise_fleet.json").read_text(encoding="utf-8")), done.output


def test_the_json_adds_up_and_page_one_says_the_same(solved):  # type: ignore[no-untyped-def]
    out, doc, terminal = solved
    assert doc["status"] == "optimal" and [s["name"] for s in doc["services"]] == ["r1-chat", "qwen72b-rag", "qwen3-8b-classify"]
    assert sum(s["attributed_rmb"] for s in doc["services"]) == pytest.approx(doc["cost_rmb"], abs=len(doc["services"]))
    assert doc["standalone_rmb"] == sum(s["alone"]["cost_rmb"] for s in doc["services"])
    assert doc["saving_rmb"] == doc["standalone_rmb"] - doc["cost_rmb"] and doc["saving_rmb"] >= 0
    for s in doc["services"]:
        assert s["served"] >= s["load"]["amount"]
    md = (out / "enterprise_fleet.md").read_text(encoding="utf-8")
    assert f"RMB {doc['cost_rmb']:,}" in md and f"saves RMB {doc['saving_rmb']:,}" in md
    assert f"RMB {doc['cost_rmb']:,}" in terminal


def test_the_same_input_gives_the_same_bytes(solved, tmp_path: Path):  # type: ignore[no-untyped-def]
    out, _, _ = solved
    done = CliRunner().invoke(app, ["solve", str(FLEET), "--out", str(tmp_path)])
    assert done.exit_code == 0
    for name in ("enterprise_fleet.md", "enterprise_fleet.json"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes()


def test_the_fleet_checker_catches_an_over_packed_server_and_an_under_served_service():
    from conftest import resolved

    from optimizer.catalog.bundle import load_catalog
    from optimizer.fleet_scenario import load_fleet
    from optimizer.pipeline import solve_fleet

    fleet = load_fleet(FLEET, load_catalog())
    problems = tuple(resolved(s) for s in fleet.services)
    result = solve_fleet(fleet.name, fleet.description, problems, tuple(s.name for s in fleet.services))
    plan = result.plan
    assert plan is not None and verify_fleet(plan, problems) == []
    first = plan.services[0]
    doubled = dataclasses.replace(first, groups=tuple(ReplicaGroup(g.design, g.count * 2) for g in first.groups))
    assert any("cards" in f for f in verify_fleet(dataclasses.replace(plan, services=(doubled, *plan.services[1:])), problems))
    starved = dataclasses.replace(plan.services[1], groups=())
    found = verify_fleet(dataclasses.replace(plan, services=(first, starved, *plan.services[2:])), problems)
    assert any(f.startswith("qwen72b-rag: serves 0.00") for f in found), found


def _broken(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(FLEET.read_text(encoding="utf-8"))
    edit(doc)
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("edit", "words"), [
    (lambda d: d.update(model="deepseek-r1"), "model: is a service's key, but the file lists services:"),
    (lambda d: d["services"][1].update(name="r1-chat"), "services.1.name: 'r1-chat' is also the name of service 0"),
    (lambda d: d["services"][2]["sla"].update(tpot_ms=-5), "services.2.sla.tpot_ms"),
    (lambda d: d["services"][0].update(modle="x"), "services.0.modle: is not a known key"),
    (lambda d: d.update(services=[]), "services: is not a list of services"),
    (lambda d: d.update(analysis={"compare": True}), "analysis: the comparison and sweeps are not available for several services yet"),
])
def test_a_bad_fleet_is_exit_2_naming_the_service_field(tmp_path: Path, edit, words: str):  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["solve", str(_broken(tmp_path, edit)), "--out", str(out)])
    assert done.exit_code == 2 and words in done.output, done.output
    assert not out.exists()


def test_the_comparison_is_refused_for_a_fleet_with_the_way_out(tmp_path: Path):
    done = CliRunner().invoke(app, ["solve", str(FLEET), "--out", str(tmp_path / "o"), "--compare"])
    assert done.exit_code == 2 and "not available for several services yet" in done.output


def test_a_shared_key_is_named_once_and_a_service_key_at_its_line(tmp_path: Path):
    def edit(d):  # type: ignore[no-untyped-def]
        d["offers"][0]["card"] = "h2OO"
        d["services"][2]["sla"]["tpot_ms"] = -5
    path = _broken(tmp_path, edit)
    done = CliRunner().invoke(app, ["solve", str(path), "--out", str(tmp_path / "o")])
    lines = path.read_text(encoding="utf-8").splitlines()
    tpot_line = next(i for i, line in enumerate(lines, 1) if "tpot_ms: -5" in line)
    assert done.exit_code == 2 and done.output.count("offers.0.card") == 1, done.output
    assert f"fleet.yaml:{tpot_line}: services.2.sla.tpot_ms" in done.output, done.output


def test_each_service_with_a_daily_profile_gives_its_cost_per_token_served(solved):  # type: ignore[no-untyped-def]
    """r1-chat (office_hours, mean 0.4375) and qwen3-8b-classify (flat): the served share is the load over
    the service's capacity times the profile's mean, the served figure the 100 % one over it; qwen72b-rag
    has no profile and no figure."""
    out, doc, _ = solved
    by_name = {s["name"]: s for s in doc["services"]}
    assert by_name["qwen72b-rag"]["served_cost"] is None
    for name, mean in (("r1-chat", 0.4375), ("qwen3-8b-classify", 1.0)):
        s, c = by_name[name], by_name[name]["served_cost"]
        assert c["mean_fraction_of_peak"] == mean
        assert c["served_share"] == pytest.approx(min(1.0, s["load"]["amount"] / s["served"]) * mean, abs=1e-3)
        full = c["rmb_per_million_output_tokens_at_full_utilisation"]
        assert c["rmb_per_million_output_tokens_served"] == pytest.approx(full / c["served_share"], rel=1e-3)
    md = (out / "enterprise_fleet.md").read_text(encoding="utf-8")
    assert f"RMB {by_name['r1-chat']['served_cost']['rmb_per_million_output_tokens_served']:.2f} per million output tokens served" in md


def test_under_tco_each_service_carries_its_share_of_the_energy(tmp_path: Path):
    """enterprise_fleet on its H200 offer alone under a TCO objective (duty cycle 0.6): the services' attributed RMB add up to
    the fleet's cost; a service's energy following the load is its energy / 0.6 x its served share."""
    doc = yaml.safe_load(FLEET.read_text(encoding="utf-8"))
    doc["objective"] = {"kind": "tco", "years": 3, "rmb_per_kwh": 0.8, "duty_cycle": 0.6}
    doc["offers"] = [o for o in doc["offers"] if o["id"] == "h200-8x"]  # one offer: energy shares follow cost shares
    path = tmp_path / "tco.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    done = CliRunner().invoke(app, ["solve", str(path), "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    out = json.loads((tmp_path / "tco.json").read_text(encoding="utf-8"))
    assert sum(s["attributed_rmb"] for s in out["services"]) == pytest.approx(out["cost_rmb"], abs=len(out["services"]))
    costs = [s["served_cost"] for s in out["services"] if s["served_cost"] is not None]
    assert costs and all(c["energy_rmb"] > 0 for c in costs)
    assert len(out["servers"]) == 1   # one offer bought: each service's energy is its attributed cost's energy share
    share = (out["cost_rmb"] - out["capex_rmb"]) / out["cost_rmb"]
    for s in (s for s in out["services"] if s["served_cost"] is not None):
        assert s["served_cost"]["energy_rmb"] == pytest.approx(s["attributed_rmb"] * share, abs=1)
    for c in costs:
        assert c["energy_rmb_if_power_follows_load"] == pytest.approx(c["energy_rmb"] / 0.6 * c["served_share"], rel=2e-3, abs=1)
    assert "Its energy would be" in (tmp_path / "tco.md").read_text(encoding="utf-8")
