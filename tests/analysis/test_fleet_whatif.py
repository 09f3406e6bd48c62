"""optimizer.analysis.fleet_whatif: a fleet's sweeps on small edits of the shipped enterprise fleets
(the phased one without N+1, which solves in about 2 s; the one without phases in about 1 s).

What must hold, from the module's arguments: more growth never lowers the phased total nor the
all-at-once one; a higher delivered share never raises the robust cost, and at share 1 (the case
dropped, no other case) it is the trusting fleet's; the point at the scenario's own value is the
fleet solve's own answer."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from conftest import resolved

from optimizer import pipeline
from optimizer.analysis.fleet_whatif import FleetPhaseSweep, FleetShareSweep, check_fleet_phase_axis
from optimizer.catalog.bundle import load_catalog
from optimizer.errors import InputError
from optimizer.fleet_scenario import load_fleet

REPO = Path(__file__).resolve().parents[2]
PHASED = REPO / "scenarios" / "enterprise_fleet_phased.yaml"
FLEET = REPO / "scenarios" / "enterprise_fleet.yaml"
H200_VENDOR = "NVIDIA partner (H200)"


def _fleet(tmp_path: Path, source: Path, edit=None):  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    if "phases" in doc:
        doc["constraints"]["n_plus_one"] = False  # ~2 s a solve instead of ~12 s; the sweeps do not depend on it
    if edit:
        edit(doc)
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    fleet = load_fleet(path, load_catalog())
    return fleet, tuple(resolved(s) for s in fleet.services), tuple(s.name for s in fleet.services)


def non_decreasing(values: list[int | None]) -> bool:
    known = [v for v in values if v is not None]
    return len(known) == len(values) and all(a <= b for a, b in pairwise(known))


def test_the_detector_sees_a_total_that_falls_and_one_missing():
    assert non_decreasing([1, 2, 2]) and not non_decreasing([1, 3, 2]) and not non_decreasing([1, None, 3])


@pytest.fixture(scope="module")
def phased(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The phased fleet (N+1 off) swept over growth and the H200 vendor's share, and solved as `procure solve` does."""
    fleet, problems, names = _fleet(tmp_path_factory.mktemp("phased"), PHASED)
    request = pipeline.SweepRequest(growth=[20.0, 40.0, 60.0], delivered=[(H200_VENDOR, [0.5, 1.0])])
    found = pipeline.fleet_sweeps(fleet.name, problems, names, request)
    solved = pipeline.solve_fleet(fleet.name, fleet.description, problems, names)
    return found, solved


def test_more_growth_never_lowers_the_phased_total_nor_buying_all_at_once(phased):  # type: ignore[no-untyped-def]
    found, _ = phased
    growth = found.sweeps[0]
    assert isinstance(growth, FleetPhaseSweep) and [p.value for p in growth.points] == [20.0, 40.0, 60.0]
    assert non_decreasing([p.discounted_rmb for p in growth.points]), growth.points
    assert non_decreasing([p.all_at_once_rmb for p in growth.points]), growth.points
    assert growth.points[0].discounted_rmb < growth.points[-1].discounted_rmb  # the sweep moves something
    for p in growth.points:  # each service's last-quarter load is its first grown three quarters
        assert p.last_loads == pytest.approx(tuple(s.workload.load.amount * (1 + p.value / 100) ** 3 for s in found.scenarios))
        assert p.saving_rmb is not None and p.saving_rmb >= 0


def test_the_scenarios_own_growth_and_share_give_the_fleet_solves_schedule(phased):  # type: ignore[no-untyped-def]
    """At growth 40 % and the H200 vendor delivering half (the file's own numbers), the sweeps re-solve
    exactly the solve's schedule: the same discounted totals, phased and all at once."""
    found, solved = phased
    ph = solved.phases
    assert ph is not None and ph.schedule is not None and ph.all_at_once is not None
    at_40 = found.sweeps[0].points[1]
    assert (at_40.discounted_rmb, at_40.all_at_once_rmb) == (ph.schedule.discounted_rmb, ph.all_at_once.discounted_rmb)
    share = found.sweeps[1]
    assert isinstance(share, FleetShareSweep) and share.phased
    assert share.points[0].cost_rmb == ph.schedule.discounted_rmb


def test_a_phased_fleet_trusting_every_bid_is_the_share_of_one(phased):  # type: ignore[no-untyped-def]
    found, _ = phased
    share = found.sweeps[1]
    assert isinstance(share, FleetShareSweep)
    half, whole = share.points
    assert whole.cost_rmb == share.trusting.cost_rmb and whole.servers == share.trusting.servers
    assert half.cost_rmb is not None and whole.cost_rmb is not None and half.cost_rmb > whole.cost_rmb


def test_a_higher_delivered_share_never_raises_the_fleets_cost_and_one_is_trusting_every_bid(tmp_path: Path):
    """enterprise_fleet (no phases, no supply case of its own): a case is added for the H200 bid."""
    fleet, problems, names = _fleet(tmp_path, FLEET)
    request = pipeline.SweepRequest(delivered=[("h200-8x", [0.25, 0.5, 0.75, 1.0])])
    (share,) = pipeline.fleet_sweeps(fleet.name, problems, names, request).sweeps
    assert isinstance(share, FleetShareSweep) and not share.phased
    costs = [p.cost_rmb for p in share.points]
    assert non_decreasing(costs[::-1]), share.points
    assert costs[-1] == share.trusting.cost_rmb and costs[0] is not None and costs[0] > costs[-1]
    assert all(p.status == "optimal" for p in share.points)


def test_a_service_with_its_own_loads_keeps_them_as_growth_moves(tmp_path: Path):
    def own(doc):  # type: ignore[no-untyped-def]
        doc["services"][2]["phases_load"] = [20, 20, 25, 25]
    fleet, problems, names = _fleet(tmp_path, PHASED, own)
    (growth,) = pipeline.fleet_sweeps(fleet.name, problems, names, pipeline.SweepRequest(growth=[0.0, 30.0])).sweeps
    assert isinstance(growth, FleetPhaseSweep) and growth.own_loads == ("qwen3-8b-classify",)
    assert [p.last_loads[2] for p in growth.points] == [25.0, 25.0]
    assert [p.last_loads[0] for p in growth.points] == pytest.approx([300.0, 300.0 * 1.3 ** 3])


def test_a_growth_sweep_needs_phases_and_a_service_that_grows(tmp_path: Path):
    fleet, _, _ = _fleet(tmp_path, FLEET)
    with pytest.raises(InputError, match="--growth sweeps the fleet's schedule of buying in phases"):
        check_fleet_phase_axis(fleet.services, "growth")

    def all_own(doc):  # type: ignore[no-untyped-def]
        for svc in doc["services"]:
            svc["phases_load"] = [10, 20, 30, 40]
    phased, _, _ = _fleet(tmp_path, PHASED, all_own)
    with pytest.raises(InputError, match="every service here gives its own"):
        check_fleet_phase_axis(phased.services, "growth")
    check_fleet_phase_axis(phased.services, "discount")  # the prices still move: no error
