"""`procure solve` and `procure schema`, run as real subprocesses on every shipped scenario.

A scenario whose file name contains 'infeasible' (or whose file says `# expect: diagnosis`) is
expected to exit 3 with a diagnosis; every other one exits 0 with ranked plans. Each scenario's report
files must match the committed reports/ byte for byte; two scenarios are solved twice besides, and
their two runs must match each other.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, SHIPPED_SCENARIOS, SINGLE_SERVICE_SCENARIOS

SCENARIOS = SHIPPED_SCENARIOS  # a fleet (services:) writes its own layout: its JSON is checked in test_fleet_cli.py
EXIT_OK, EXIT_BAD_INPUT, EXIT_INFEASIBLE = 0, 2, 3


def _expected_exit(path: Path) -> int:
    """A scenario named *infeasible*, or whose file says `# expect: diagnosis`, answers with a diagnosis."""
    said = "# expect: diagnosis" in path.read_text(encoding="utf-8")
    return EXIT_INFEASIBLE if "infeasible" in path.stem or said else EXIT_OK


@pytest.fixture(scope="module")
def solve_into(procure, tmp_path_factory):  # type: ignore[no-untyped-def]
    """`solve_into(scenario, run)` solves once per (scenario, run) into its own directory and
    returns (directory, CliResult). Run "json" passes --json; run "again" does not."""
    done = {}

    def run(path: Path, which: str):  # type: ignore[no-untyped-def]
        if (path, which) not in done:
            out = tmp_path_factory.mktemp(f"{path.stem}-{which}")
            flags = ("--json",) if which == "json" else ()
            done[path, which] = out, procure("solve", str(path), "--out", str(out), *flags, expect=_expected_exit(path))
        return done[path, which]

    return run


def test_there_are_shipped_scenarios():
    assert SCENARIOS, "scenarios/*.yaml is empty"
    assert len(BYTE_STABLE) == 2, "a scenario solved twice was renamed: name it in BYTE_STABLE"


@pytest.mark.parametrize("path", SINGLE_SERVICE_SCENARIOS, ids=lambda p: p.stem)
def test_scenario_solves_with_the_expected_exit_and_json(solve_into, path):
    _, result = solve_into(path, "json")
    out = json.loads(result.stdout)
    shown = result.shown()
    assert out["status"] in {"optimal", "feasible", "infeasible"}, shown
    assert isinstance(out["solve_seconds"], float) and out["solve_seconds"] >= 0, shown
    price = {b["offer"]: b["price_rmb_per_server"] for b in out["bids"]}
    if _expected_exit(path) == EXIT_INFEASIBLE:
        assert out["status"] == "infeasible", shown
        assert out["plans"] == [], shown
        d = out["diagnosis"]
        assert d is not None and d["binding"], shown
        assert d["relaxations"] or d["offer_reasons"], shown
        return
    assert out["status"] in {"optimal", "feasible"}, shown
    assert out["diagnosis"] is None, shown
    assert out["plans"], shown
    assert [p["rank"] for p in out["plans"]] == list(range(1, len(out["plans"]) + 1)), shown
    costs = [p["cost_rmb"] for p in out["plans"]]
    assert costs == sorted(costs), shown
    assert out["objective_rmb"] == costs[0], shown
    for plan in out["plans"]:
        assert plan["servers"] and all(isinstance(n, int) and n > 0 for n in plan["servers"].values()), plan
        assert plan["capex_rmb"] == sum(price[oid] * n for oid, n in plan["servers"].items()), plan
        assert plan["replicas"], plan
        for row in plan["replicas"]:
            assert row["offer"] in plan["servers"], row
            assert isinstance(row["card"], str) and isinstance(row["precision"], str), row
            for key in ("tp", "pp", "ep", "dp", "batch"):
                assert isinstance(row[key], int) and row[key] >= 1, (key, row)
            # A prefill replica has no TPOT and a decode replica no TTFT of its own (null).
            expected = {"colocated": ("ttft_ms", "tpot_ms"), "prefill": ("ttft_ms",), "decode": ("tpot_ms",)}[row["role"]]
            for key in ("ttft_ms", "tpot_ms"):
                if key in expected:
                    assert row["predicted"][key] > 0 and row["at_central_estimate"][key] > 0, (key, row)
                else:
                    assert row["predicted"][key] is None and row["at_central_estimate"][key] is None, (key, row)
            assert row["predicted"]["output_tokens_per_s"] > 0, row


# Every scenario's fresh solve must equal the committed report (test_committed_reports_are_up_to_date
# below): a file another process wrote at another time, the stronger proof of byte stability. Two
# scenarios are also solved twice here, the flagship with its draws and a fleet, so that a run-to-run
# difference is told apart from a report left stale; solving every scenario twice cost 50 s of the suite.
BYTE_STABLE = [p for p in SCENARIOS if p.stem in ("r1_chatbot", "enterprise_fleet")]


@pytest.mark.parametrize("path", BYTE_STABLE, ids=lambda p: p.stem)
def test_same_scenario_gives_byte_identical_reports(solve_into, path):
    first, _ = solve_into(path, "json")
    second, _ = solve_into(path, "again")
    for suffix in (".md", ".json"):
        a, b = first / f"{path.stem}{suffix}", second / f"{path.stem}{suffix}"
        assert a.read_bytes() == b.read_bytes(), f"{path.stem}{suffix} differs between two solves"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_committed_reports_are_up_to_date(solve_into, path):
    fresh, _ = solve_into(path, "json")
    for suffix in (".md", ".json"):
        committed = REPO_ROOT / "reports" / f"{path.stem}{suffix}"
        stale = f"reports/{path.stem}{suffix} is stale: run procure solve scenarios/{path.name}"
        assert committed.is_file(), stale
        assert (fresh / f"{path.stem}{suffix}").read_bytes() == committed.read_bytes(), stale


# --------------------------------------------------------------------------------------------
# Bad input: exit 2, one paragraph naming the file and the field


def _base() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((REPO_ROOT / "scenarios" / "r1_chatbot.yaml").read_text(encoding="utf-8"))


def _unknown_card() -> str:
    raw = _base()
    raw["offers"][0]["card"] = "h999"
    return yaml.safe_dump(raw)


def _negative_price() -> str:
    raw = _base()
    raw["offers"][0]["price_rmb_per_server"] = -1_500_000
    return yaml.safe_dump(raw)


def _unknown_key() -> str:
    raw = _base()
    raw["colour"] = "blue"
    return yaml.safe_dump(raw)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (_unknown_card, "offers.0.card"),
        (_negative_price, "offers.0.price_rmb_per_server"),
        (lambda: "name: [unclosed\nmodel: deepseek-r1\n", "not valid YAML"),
        (_unknown_key, "colour"),
    ],
    ids=["unknown-card", "negative-price", "malformed-yaml", "unknown-key"],
)
def test_bad_scenario_exits_2_with_one_paragraph(procure, tmp_path, make, field):
    path = tmp_path / "bad.yaml"
    path.write_text(make(), encoding="utf-8")
    result = procure("solve", str(path), "--out", str(tmp_path / "out"), expect=EXIT_BAD_INPUT)
    text = result.stderr.strip()
    assert text.startswith("error: "), result.shown()
    assert str(path) in text and field in text, result.shown()
    assert "\n\n" not in text, result.shown()
    assert "Traceback" not in result.stderr + result.stdout, result.shown()
    assert not (tmp_path / "out").exists(), "no report is written for bad input"


def test_schema_scenario_prints_json_schema(procure):
    out = json.loads(procure("schema", "scenario", expect=EXIT_OK).stdout)
    assert {"name", "model", "workload", "sla", "offers"} <= set(out["properties"]), sorted(out["properties"])
    assert "offers" in out["required"]


def test_schema_unknown_exits_2(procure):
    result = procure("schema", "catalog", expect=EXIT_BAD_INPUT)
    assert result.stderr.startswith("error: "), result.shown()


def test_lang_zh_writes_a_chinese_report_with_wan_rmb(procure, tmp_path):
    """--lang zh: the same plan, amounts in 万元 (RMB / 10,000)."""
    en, zh = tmp_path / "en", tmp_path / "zh"
    procure("solve", "scenarios/llama3_70b_single_user.yaml", "--out", str(en), expect=0)
    procure("solve", "scenarios/llama3_70b_single_user.yaml", "--out", str(zh), "--lang", "zh", expect=0)
    cost = json.loads((en / "llama3_70b_single_user.json").read_text(encoding="utf-8"))["plans"][0]["cost_rmb"]
    text = (zh / "llama3_70b_single_user.md").read_text(encoding="utf-8")
    assert f"{cost / 10_000:,.1f} 万元" in text


def test_unknown_report_language_is_bad_input_and_writes_nothing(procure, tmp_path):
    result = procure("solve", "scenarios/llama3_70b_single_user.yaml", "--out", str(tmp_path / "x"), "--lang", "fr", expect=2)
    assert "--lang" in result.stdout + result.stderr
    assert not (tmp_path / "x").exists()


def test_the_terminal_answer_fits_the_terminal_and_gives_each_bid_its_central_estimate(procure, tmp_path, monkeypatch):
    """At 80 columns no line of the summary is wider (a path longer than a line stays whole), and
    every bid whose plan at the confidence costs more than at the central estimate says both (and
    only those: a bid that buys the same at both ends says it once)."""
    monkeypatch.setenv("COLUMNS", "80")
    out = procure("solve", "scenarios/r1_chatbot.yaml", "--out", str(tmp_path), expect=EXIT_OK).stdout
    lines = out.splitlines()
    assert len(lines) > 5 and all(len(line) <= 80 or " " not in line.strip() for line in lines), out
    bids = {line.split(":")[0].removeprefix("  bid "): line for line in lines if line.startswith("  bid ")}
    doc = json.loads((tmp_path / "r1_chatbot.json").read_text(encoding="utf-8"))
    dearer = {b["offer"]: b["cost_rmb"] > b["central"]["cost_rmb"] for b in doc["bids"]}
    assert set(bids) == set(dearer) and len(bids) == 3, out
    assert all(("(central estimate RMB " in bids[o]) == d for o, d in dearer.items()), out
    assert any(dearer.values()), out


def test_a_plan_that_counts_on_a_quantized_all_reduce_says_so(procure, tmp_path):
    """Llama-3.1-70B on an MI300X bid runs ATOM, which quantizes Llama's large all-reduces to INT4 by
    itself (engines.yaml): the plan's tensor-parallel replicas say so in `serving`; its TP1 replicas (no
    all-reduce) and the H20 bid's (SGLang on NVIDIA, no quantized all-reduce) do not."""
    doc = yaml.safe_load((REPO_ROOT / "scenarios" / "llama3_70b_single_user.yaml").read_text(encoding="utf-8"))
    doc["offers"] = [o for o in doc["offers"] if o["id"] == "h20-8x"] + [{
        "id": "mi300x-8x", "vendor": "AMD partner", "card": "mi300x", "price_rmb_per_server": 2_000_000,
        "price_kind": "quote", "price_note": "test", "available_servers": 2,
    }]
    path = tmp_path / "amd_llama.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    procure("solve", str(path), "--out", str(tmp_path / "o"), expect=0)
    out = json.loads((tmp_path / "o" / "amd_llama.json").read_text(encoding="utf-8"))
    said = {b["offer"]: {(r["serving"]["engine"], r["tp"] > 1, r["serving"]["quantized_allreduce"]) for r in b["plan"]["replicas"]}
            for b in out["bids"] if b["feasible"]}
    assert ("atom", True, "int4") in said["mi300x-8x"]
    assert said["mi300x-8x"] <= {("atom", True, "int4"), ("atom", False, None)}
    assert said["h20-8x"] == {("sglang", True, None)}


def test_a_recommended_plan_that_counts_on_a_quantized_all_reduce_says_so_in_the_report_and_launch(procure, tmp_path):
    """With the MI300X bid alone the plan above is the recommendation: the report's breakdown of it and
    the launch script of its TP4 replica say that the timing counts on ATOM's own INT4 all-reduce and
    that it is lossy; the TP1 replicas' scripts, which have no all-reduce, do not."""
    doc = yaml.safe_load((REPO_ROOT / "scenarios" / "llama3_70b_single_user.yaml").read_text(encoding="utf-8"))
    doc["offers"] = [{
        "id": "mi300x-8x", "vendor": "AMD partner", "card": "mi300x", "price_rmb_per_server": 2_000_000,
        "price_kind": "quote", "price_note": "test", "available_servers": 2,
    }]
    path = tmp_path / "amd_only.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    procure("solve", str(path), "--out", str(tmp_path / "o"), expect=0)
    plan = json.loads((tmp_path / "o" / "amd_only.json").read_text(encoding="utf-8"))["plans"][0]
    codecs = [r["serving"]["quantized_allreduce"] for r in plan["replicas"]]
    assert "int4" in codecs
    report = (tmp_path / "o" / "amd_only.md").read_text(encoding="utf-8")
    assert report.count("AITER_QUICK_REDUCE_QUANTIZATION=INT4") == codecs.count("int4")
    assert "lossy" in report
    procure("export", str(tmp_path / "o" / "amd_only.json"), "--out", str(tmp_path / "launch"), expect=0)
    scripts = sorted((tmp_path / "launch").glob("*.sh"))
    noted = ["AITER_QUICK_REDUCE_QUANTIZATION=INT4" in f.read_text(encoding="utf-8") for f in scripts]
    assert noted == [c == "int4" for c in codecs]
