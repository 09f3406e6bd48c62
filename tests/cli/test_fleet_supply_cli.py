"""A fleet with supply cases (constraints.robust_to): the real command on the enterprise fleet with its
H200 vendor delivering half, the report agreeing with its JSON and with our own arithmetic of what
arrives, and the fleet checker catching a broken witness deployment."""

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
H200_VENDOR = "NVIDIA partner (H200)"


def _robust_file(folder: Path) -> Path:
    """enterprise_fleet.yaml with the H200 bid under its own vendor name, that vendor delivering half."""
    doc = yaml.safe_load(FLEET.read_text(encoding="utf-8"))
    h200 = next(o for o in doc["offers"] if o["id"] == "h200-8x")
    h200["vendor"] = H200_VENDOR
    doc["constraints"]["robust_to"] = [{"vendor": H200_VENDOR, "delivered_share": 0.5}]
    path = folder / "robust_fleet.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("robust")
    path = _robust_file(folder)
    done = CliRunner().invoke(app, ["solve", str(path), "--out", str(folder / "out")])
    assert done.exit_code == 0, done.output
    doc = json.loads((folder / "out" / "robust_fleet.json").read_text(encoding="utf-8"))
    return path, doc, (folder / "out" / "robust_fleet.md").read_text(encoding="utf-8")


def test_each_case_arrives_by_our_arithmetic_and_every_service_keeps_its_load(solved):  # type: ignore[no-untyped-def]
    _, doc, md = solved
    (case,) = doc["supply"]
    h200 = doc["servers"].get("h200-8x", 0)
    expected = {oid: (n // 2 if oid == "h200-8x" else n) for oid, n in doc["servers"].items()}  # half of the H200 servers, rounded down
    assert case["arrive"] == expected and case["delivered_share"] == 0.5
    for svc, plan in zip(case["services"], doc["services"], strict=True):
        assert svc["name"] == plan["name"] and svc["required"] == plan["load"]["amount"] and svc["served"] >= svc["required"]
    trusting = doc["trusting"]
    assert doc["robustness_rmb"] == doc["cost_rmb"] - trusting["cost_rmb"] >= 0
    assert "Supply risk: the fleet still meets every service's SLAs" in md and f"vendor {H200_VENDOR} delivers 50%" in md
    if h200:
        assert f"{expected['h200-8x']} × h200-8x" in md
    if doc["robustness_rmb"] > 0:
        assert f"costs RMB {doc['robustness_rmb']:,} more than the cheapest fleet that trusts every bid" in md
        assert f"RMB {trusting['cost_rmb']:,}" in md


def test_the_fleet_checker_catches_a_broken_witness(solved):  # type: ignore[no-untyped-def]
    from conftest import resolved

    from optimizer.catalog.bundle import load_catalog
    from optimizer.fleet_scenario import load_fleet
    from optimizer.pipeline import solve_fleet

    path, _, _ = solved
    fleet = load_fleet(path, load_catalog())
    problems = tuple(resolved(s) for s in fleet.services)
    result = solve_fleet(fleet.name, fleet.description, problems, tuple(s.name for s in fleet.services))
    plan = result.plan
    assert plan is not None and verify_fleet(plan, problems) == []
    (outcome,) = plan.supply
    starved = dataclasses.replace(outcome, services=(outcome.services[0], dataclasses.replace(outcome.services[1], groups=()),
                                                     *outcome.services[2:]))
    found = verify_fleet(dataclasses.replace(plan, supply=(starved,)), problems)
    assert any("qwen72b-rag serves 0.00" in f for f in found), found
    swollen = dataclasses.replace(outcome, services=tuple(dataclasses.replace(s, groups=tuple(ReplicaGroup(g.design, g.count * 8)
                                                                                            for g in s.groups)) for s in outcome.services))
    assert any("server(s) arrive" in f for f in verify_fleet(dataclasses.replace(plan, supply=(swollen,)), problems))
    lying = dataclasses.replace(outcome, delivered={oid: n + 1 for oid, n in outcome.delivered.items()})
    assert any("the case gives" in f for f in verify_fleet(dataclasses.replace(plan, supply=(lying,)), problems))
    assert any("deployment(s)" in f for f in verify_fleet(dataclasses.replace(plan, supply=()), problems))
    # a server no replica and no supply case needs is bought for nothing, even with supply cases
    for oid in ("h200-8x", "h20-8x"):
        extra = dataclasses.replace(plan, servers={**plan.servers, oid: plan.servers.get(oid, 0) + 1})
        assert any(f.startswith(f"{oid}:") and "no supply case needs the last server" in f for f in verify_fleet(extra, problems)), oid


def test_servers_bought_for_a_supply_case_stay_spare_not_filled_with_replicas(tmp_path: Path):
    """The phased enterprise fleet without phases and N+1: the H200 vendor may deliver half, so the
    fleet buys more servers than the fleet trusting every bid. Those cards stay spare (spare_cards, and
    page one says so) instead of running replicas of whichever service packs cheapest: each service's
    replicas are no more than its own load needs (dropping its smallest replica would leave it short of
    its load with headroom)."""
    doc = yaml.safe_load((REPO / "scenarios" / "enterprise_fleet_phased.yaml").read_text(encoding="utf-8"))
    del doc["phases"]
    doc["constraints"]["n_plus_one"] = False
    path = tmp_path / "rob.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    done = CliRunner().invoke(app, ["solve", str(path), "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    out = json.loads((tmp_path / "rob.json").read_text(encoding="utf-8"))
    spare = out["spare_cards"]
    assert spare, "this fleet buys servers only for its supply case"
    trusting = out["trusting"]["servers"]
    assert sum(out["servers"].values()) > sum(trusting.values())   # servers bought for the case
    md = (tmp_path / "rob.md").read_text(encoding="utf-8")
    assert "Spare while every bid delivers" in md
    headroom = {s["name"]: 1 + s["sla"].get("headroom_pct", 0) / 100 for s in doc["services"]}
    for s in out["services"]:
        need = s["load"]["amount"] * headroom[s["name"]]
        assert s["served"] >= s["load"]["amount"]
        if s["load"]["unit"] == "concurrent users":   # a replica's capacity is its batch
            smallest = min(r["batch"] for r in s["replicas"])
        elif len(s["replicas"]) == 1:                  # one group: its capacity shared by its replicas
            smallest = s["served"] / s["replicas"][0]["dp"]
        else:
            continue
        assert s["served"] - smallest < need, s["name"]
