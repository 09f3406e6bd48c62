"""`procure export`: the real command on shipped solve reports, and its refusals (exit 2, one
paragraph naming the file and the field, nothing written)."""

from __future__ import annotations

import json
import os

import yaml
from conftest import REPO_ROOT

REPORTS = REPO_ROOT / "reports"


def test_export_of_the_split_plan_writes_both_roles_and_the_router(procure, tmp_path):
    out = tmp_path / "launch"
    result = procure("export", str(REPORTS / "r1_pd_split.json"), "--out", str(out), expect=0)
    doc = json.loads((REPORTS / "r1_pd_split.json").read_text(encoding="utf-8"))
    rows = doc["plans"][0]["replicas"]
    names = sorted(p.name for p in out.iterdir())
    # a router only for an engine whose launch template has one; otherwise the README says what to put in front
    routed = yaml.safe_load((REPO_ROOT / "catalog" / "launch.yaml").read_text(encoding="utf-8"))
    engine = rows[0]["serving"]["engine"]
    has_router = any(engine in t.get("engines", []) and t.get("router") for t in routed.values() if isinstance(t, dict))
    assert names == sorted([f"{i:02d}_{r['offer']}_{r['role']}.sh" for i, r in enumerate(rows, 1)] + ["README.md"]
                           + (["router.sh"] if has_router else []))
    if not has_router:
        assert f"no router command for `{engine}`" in (out / "README.md").read_text(encoding="utf-8")
    assert all(os.access(out / n, os.X_OK) for n in names if n.endswith(".sh"))
    assert result.stderr.count("wrote ") == len(names)
    for i, r in enumerate(rows, 1):  # each script launches its replica's role
        assert f"--disaggregation-mode {r['role']}" in (out / f"{i:02d}_{r['offer']}_{r['role']}.sh").read_text(encoding="utf-8")
    assert {r["role"] for r in rows} == {"prefill", "decode"}


def test_export_twice_gives_the_same_bytes(procure, tmp_path):
    for d in ("a", "b"):
        procure("export", str(REPORTS / "r1_chatbot.json"), "--out", str(tmp_path / d), expect=0)
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    assert a == {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}


def test_export_refuses_an_infeasible_report(procure, tmp_path):
    result = procure("export", str(REPORTS / "r1_tight_sla_infeasible.json"), "--out", str(tmp_path / "x"), expect=2)
    assert "plans" in result.stderr and "no plan to launch" in result.stderr
    assert not (tmp_path / "x").exists()


def test_export_refuses_a_comparison_and_non_json(procure, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = procure("export", str(bad), "--out", str(tmp_path / "x"), expect=2)
    assert str(bad) in result.stderr and "is not JSON" in result.stderr
    compare = next(REPORTS.glob("*_compare.json"), None)
    if compare is not None:
        result = procure("export", str(compare), "--out", str(tmp_path / "x"), expect=2)
        assert "not a solve report" in result.stderr
    assert not (tmp_path / "x").exists()


def test_export_refuses_a_report_from_before_the_serving_block(procure, tmp_path):
    doc = json.loads((REPORTS / "r1_chatbot.json").read_text(encoding="utf-8"))
    del doc["plans"][0]["replicas"][0]["serving"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc), encoding="utf-8")
    result = procure("export", str(old), "--out", str(tmp_path / "x"), expect=2)
    assert "plans[0].replicas[0].serving" in result.stderr and "solve the scenario again" in result.stderr


def test_reports_carry_their_schema_version():
    """Solve and comparison JSON say which layout they follow (the export reads the solve's)."""
    from optimizer.report.solve_json import SCHEMA_VERSION

    solve_doc = json.loads((REPORTS / "r1_chatbot.json").read_text(encoding="utf-8"))
    compare_doc = json.loads((REPORTS / "r1_bids_h200_910b_mi300x_compare.json").read_text(encoding="utf-8"))
    assert solve_doc["schema_version"] == compare_doc["schema_version"] == SCHEMA_VERSION == 2


def test_provenance_is_structured_with_its_line():
    doc = json.loads((REPORTS / "r1_chatbot.json").read_text(encoding="utf-8"))
    p = doc["provenance"]
    assert set(p) == {"procure_version", "scenario_sha256", "catalog_sha256", "catalog_files", "overlay", "line"}
    last = (REPORTS / "r1_chatbot.md").read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    assert p["line"] == last and p["scenario_sha256"] in last and p["catalog_sha256"] in last and p["overlay"] is None
