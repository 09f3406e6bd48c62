"""optimizer.report.fleet_export through the real `procure solve --format csv,xlsx` on the shipped
phased enterprise fleet with N+1 off (about 2 s): the rows add up to the JSON (the RMB attributed
to the services and the servers' cost to the fleet's cost, each period's spend to the schedule's
totals), the workbook holds the same numbers, and the same input gives the same bytes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from optimizer.cli import app

REPO = Path(__file__).resolve().parents[2]
PHASED = REPO / "scenarios" / "enterprise_fleet_phased.yaml"
FLEET = REPO / "scenarios" / "enterprise_fleet.yaml"
TABLES = ("services", "servers", "periods")


def _solve(scenario: Path, out: Path, formats: str = "md,json,csv,xlsx") -> None:
    done = CliRunner().invoke(app, ["solve", str(scenario), "--out", str(out), "--format", formats])
    assert done.exit_code == 0, done.output


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("exports")
    doc = yaml.safe_load(PHASED.read_text(encoding="utf-8"))
    doc["constraints"]["n_plus_one"] = False
    scenario = folder / "phased.yaml"
    scenario.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    for run in ("a", "b"):
        _solve(scenario, folder / run)
    return folder, json.loads((folder / "a" / "phased.json").read_text(encoding="utf-8"))


def test_the_services_and_servers_add_up_to_the_fleets_cost(solved):  # type: ignore[no-untyped-def]
    folder, doc = solved
    services = _rows(folder / "a" / "phased_services.csv")
    assert [r["service"] for r in services] == [s["name"] for s in doc["services"]]
    assert sum(int(r["attributed_rmb"]) for r in services) == pytest.approx(doc["cost_rmb"], abs=len(services))
    for row, svc in zip(services, doc["services"], strict=True):
        assert float(row["served"]) == svc["served"] and int(row["cards"]) == svc["cards"]
        assert float(row["worst_tpot_ms"]) == svc["worst_tpot_ms"] and row["served_unit"] == svc["load"]["unit"]
        assert row["designs"].startswith(f"{svc['replicas'][0]['dp']} x {svc['replicas'][0]['offer']}: ")
        cost = svc["served_cost"]
        assert row["rmb_per_million_output_tokens_served"] == ("" if cost is None else str(cost["rmb_per_million_output_tokens_served"]))
    servers = _rows(folder / "a" / "phased_servers.csv")
    assert {r["offer"]: int(r["servers_bought"]) for r in servers} == doc["servers"]
    assert sum(int(r["cost_rmb"]) for r in servers) == doc["cost_rmb"]
    # every card bought either runs a service's replica or is spare
    assert sum(int(r["cards"]) - int(r["spare_cards"]) for r in servers) == sum(svc["cards"] for svc in doc["services"])


def test_the_periods_add_up_to_the_schedule(solved):  # type: ignore[no-untyped-def]
    folder, doc = solved
    schedule = doc["phases"]["schedule"]
    periods = _rows(folder / "a" / "phased_periods.csv")
    assert [r["period"] for r in periods] == [p["period"] for p in schedule["periods"]]
    assert sum(int(r["spend_rmb"]) for r in periods) == schedule["spend_rmb"]
    assert sum(int(r["discounted_rmb"]) for r in periods) == schedule["discounted_rmb"]
    md = (folder / "a" / "phased.md").read_text(encoding="utf-8")
    for row, period in zip(periods, schedule["periods"], strict=True):
        assert {s["name"]: float(row[f"load:{s['name']}"]) for s in period["services"]} == {s["name"]: s["load"] for s in period["services"]}
        assert f"| {row['cards_used']} / {row['cards_in_service']} |" in md  # page one's cards column


def test_the_workbook_holds_the_same_numbers(solved):  # type: ignore[no-untyped-def]
    folder, doc = solved
    wb = openpyxl.load_workbook(folder / "a" / "phased.xlsx")
    assert wb.sheetnames == ["Services", "Servers bought", "Purchase schedule"]
    services = list(wb["Services"].iter_rows(values_only=True))
    head = services[0]
    assert head[:3] == ("Service", "Model", "Load") and "RMB attributed" in head
    attributed = head.index("RMB attributed")
    assert sum(r[attributed] for r in services[1:]) == pytest.approx(doc["cost_rmb"], abs=len(services))
    periods = list(wb["Purchase schedule"].iter_rows(values_only=True))
    assert periods[0][1] == "Load of r1-chat (concurrent users)"
    spend = periods[0].index("Spend (RMB)")
    assert sum(r[spend] for r in periods[1:]) == doc["phases"]["schedule"]["spend_rmb"]


def test_the_same_input_gives_the_same_bytes(solved):  # type: ignore[no-untyped-def]
    folder, _ = solved
    names = [*(f"phased_{t}.csv" for t in TABLES), "phased.xlsx"]
    for name in names:
        assert (folder / "a" / name).read_bytes() == (folder / "b" / name).read_bytes(), name


def test_a_fleet_without_phases_has_no_periods_and_an_html_page(tmp_path: Path):
    _solve(FLEET, tmp_path, "csv,html")
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["enterprise_fleet.html", "enterprise_fleet_servers.csv", "enterprise_fleet_services.csv"]
    assert "<table>" in (tmp_path / "enterprise_fleet.html").read_text(encoding="utf-8")
