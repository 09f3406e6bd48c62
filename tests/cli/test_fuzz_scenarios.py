"""Fuzzing: the shipped scenarios, mutated (numbers to 0, -1, 1e30, inf, nan or strings; keys dropped
or given twice; wrong types; empty lists; values scaled), each end as a checked plan (the CLI's
exit 0), a diagnosis (exit 3) or a clean InputError (exit 2), never another exception (a defect).

No shipped scenario sets the keys added since the first round, so the mutants come in three parts,
each its own test (pytest-xdist runs them side by side):
- `shipped`: the shipped scenarios as they are (300 mutants);
- `second_round`: two bases built from the shipped ones that set speculative decoding, engines per
  scenario and per offer, headroom, N+1, owned offers, confidence and draws (360);
- `power_and_shape`: a base that sets the keys of the committee and fleet rounds: `offers[].server_power_w`,
  `objective.host_overhead_pct`, `objective.duty_cycle` (a TCO objective), `constraints.one_shape_per_offer`,
  `search.max_ep_servers`, `constraints.robust_to` (two supply cases) and `workload.daily_profile` (24 numbers),
  with a bid not yet priced among the offers (300);
- `fleet`: the enterprise fleet (`services:`) bought over two periods (`phases:`) with a supply case
  and daily profiles, solved by the fleet path (`pipeline.solve_fleet`, which checks its answer) (150).
In the last three, half the mutations aim at one of the part's keys, and each key must be reached at
least 20 times.

The engine runs in-process (load_scenario + solve, what `procure solve` does before writing) with a
small design space and, unless a base sets its own, 8 draws of the model's error (SMALL_DRAWS).
The figures (mutants, outcomes by class, defects, mutations that reached each key) print with
`python -m pytest -q -s -p no:cacheprovider -n0 tests/cli/test_fuzz_scenarios.py -k mutated`.
"""

from __future__ import annotations

import math
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SINGLE_SERVICE_SCENARIOS, load, resolved
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.catalog.bundle import load_catalog
from optimizer.errors import InputError
from optimizer.fleet_scenario import is_fleet_file, load_fleet
from optimizer.pipeline import solve, solve_fleet
from optimizer.problem import resolve

REPO = Path(__file__).resolve().parents[2]
SMALL_SEARCH = {"tp": [1, 2, 4, 8], "pp": [1], "batches": [16, 64], "ranked_plans": 2, "max_ep_servers": 4}
SMALL_DRAWS = 8   # the shipped scenarios' 24 draws of the model's error, fewer: robustness, not precision, is tested


def _shipped() -> dict[str, Any]:
    docs = {}
    for path in SINGLE_SERVICE_SCENARIOS:  # a fleet file (services:) takes another path through solve
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["search"] = dict(SMALL_SEARCH)
        doc.setdefault("sla", {}).setdefault("draws", SMALL_DRAWS)
        docs[path.stem] = doc
    return docs


SECOND_ROUND_KEYS = ("speculative", "engine", "headroom_pct", "n_plus_one", "owned", "confidence", "draws")
POWER_AND_SHAPE_KEYS = ("server_power_w", "host_overhead_pct", "duty_cycle", "one_shape_per_offer", "max_ep_servers", "robust_to",
                        "daily_profile")


def _with_new_keys(shipped: dict[str, Any]) -> dict[str, Any]:
    """Two shipped-like scenarios that set every key added since the first round."""
    chat = yaml.safe_load(yaml.safe_dump(shipped["r1_chatbot"]))  # DeepSeek-R1 (MTP modules), three vendors
    chat["name"] = "fuzz_r1_new_keys"
    chat["speculative"] = {"method": "mtp", "accept_len": 1.8, "draft_tokens": 2}
    chat["sla"].update(headroom_pct=20, confidence=0.9, draws=16)
    chat["constraints"].update(n_plus_one=True, mix_min_saving_pct=5)
    chat["offers"][0]["engine"] = "sglang"
    chat["offers"][1]["engine"] = "sglang-ascend"
    chat["offers"].append({"id": "h100-owned", "vendor": "Owned", "card": "h100-sxm", "owned": True, "available_servers": 2})
    llama = {
        "name": "fuzz_llama70b_new_keys", "model": "llama-3.1-70b", "precisions": ["fp8", "bf16"], "engine": "vllm",
        "speculative": {"method": "eagle3", "accept_len": 2.2, "draft_tokens": 4},
        "workload": {"input_tokens": 2000, "output_tokens": 500, "load": {"concurrent_users": 100}},
        "sla": {"ttft_ms": 2000, "tpot_ms": 50, "confidence": 0.5, "headroom_pct": 10, "draws": 12},
        "offers": [
            {"id": "h100-8x", "vendor": "NVIDIA partner", "card": "h100-sxm", "price_rmb_per_server": 1200000, "available_servers": 8},
            {"id": "l40s-8x", "vendor": "Other partner", "card": "l40s", "price_rmb_per_card": 60000, "server_base_rmb": 150000,
             "available_servers": 8},
            {"id": "a100-owned", "vendor": "Owned", "card": "a100-80g-sxm", "owned": True, "available_servers": 1},
        ],
        "constraints": {"n_plus_one": True},
        "search": dict(SMALL_SEARCH),
    }
    return {chat["name"]: chat, llama["name"]: llama}


def _with_power_and_shape(shipped: dict[str, Any]) -> dict[str, Any]:
    """The three-vendor bid scenario under a TCO objective, with the committee round's keys set."""
    bids = yaml.safe_load(yaml.safe_dump(shipped["r1_bids_h200_910b_mi300x"]))
    bids["name"] = "fuzz_r1_power_and_shape"
    bids["objective"] = {"kind": "tco", "years": 4, "rmb_per_kwh": 0.8, "host_overhead_pct": 25, "duty_cycle": 0.6}
    bids.setdefault("constraints", {})["one_shape_per_offer"] = True
    bids["constraints"]["robust_to"] = [{"offer": bids["offers"][0]["id"], "delivered_share": 0.5},
                                        {"vendor": bids["offers"][2]["vendor"], "load_share": 0.5}]
    bids["workload"]["daily_profile"] = [0.1] * 9 + [1.0] * 9 + [0.1] * 6   # numbers, so scaling mutations reach them
    unpriced = {k: v for k, v in bids["offers"][2].items() if not k.startswith("price") and k != "server_base_rmb"}
    bids["offers"].append({**unpriced, "id": "unpriced-bid", "vendor": "Unpriced vendor", "price_kind": "unknown"})
    bids["offers"][0]["server_power_w"] = 10200  # the DGX H200 spec sheet's maximum
    bids["offers"][2]["server_power_w"] = 8000
    return {bids["name"]: bids}


FLEET_KEYS = ("phases", "robust_to", "daily_profile")


def _fleet() -> dict[str, Any]:
    """The shipped enterprise fleet, small search, over two periods, robust to half the H200 servers."""
    doc = yaml.safe_load((REPO / "scenarios" / "enterprise_fleet.yaml").read_text(encoding="utf-8"))
    doc["name"] = "fuzz_fleet"
    doc["search"] = dict(SMALL_SEARCH)
    for service in doc["services"]:
        service.setdefault("sla", {}).setdefault("draws", SMALL_DRAWS)
    doc["phases"] = {"periods": ["q1", "q2"], "growth_pct": 40, "price_decline_pct": 5}
    doc.setdefault("constraints", {})["robust_to"] = [{"offer": "h200-8x", "delivered_share": 0.5}]
    return {doc["name"]: doc}


SHIPPED = _shipped()
PARTS = {
    "shipped": (SHIPPED, (), 300),
    "second_round": (_with_new_keys(SHIPPED), SECOND_ROUND_KEYS, 360),
    "power_and_shape": (_with_power_and_shape(SHIPPED), POWER_AND_SHAPE_KEYS, 300),
    "fleet": (_fleet(), FLEET_KEYS, 150),
}
VALUES = [0, -1, 1e30, math.inf, -math.inf, math.nan, "abc", "", 1.5, 2, True, None, [], {}, [1], 10**12, "1e30", -0.0,
          "none", "mtp", "eagle", "mindie", "vllm-ascend", "tensorrt-llm", 16, 1.0, 0.99]
WORKDIR = Path(tempfile.mkdtemp(prefix="procure-fuzz-"))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


def _mutate(doc: Any, path: tuple[Any, ...], op: str, value: Any, factor: float) -> None:
    parent, key = _parent(doc, path), path[-1]
    if op == "drop":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif op == "empty":
        parent[key] = [] if isinstance(parent[key], list) else {} if isinstance(parent[key], dict) else ""
    elif op == "scale":  # a plausible edit: the same number, larger or smaller
        if isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):
            scaled = parent[key] * factor
            parent[key] = round(scaled) if isinstance(parent[key], int) else scaled
    elif op == "wrap":
        parent[key] = [parent[key]]
    else:
        parent[key] = value


@st.composite
def mutated_scenarios(draw: st.DrawFn, bases: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, str, frozenset[str]]:
    name = draw(st.sampled_from(sorted(bases)))
    doc = yaml.safe_load(yaml.safe_dump(bases[name]))  # a deep copy
    touched: set[str] = set()
    for _ in range(draw(st.integers(1, 2))):
        paths = _paths(doc)
        if not paths:
            break
        present = [k for k in keys if any(k in p for p in paths)]
        if present and draw(st.booleans()):  # half the mutations aim at one of the part's keys, each key alike
            key = draw(st.sampled_from(present))
            paths = [p for p in paths if key in p]
        path = draw(st.sampled_from(paths))
        touched.update(k for k in keys if k in path)
        op = draw(st.sampled_from(["set", "set", "drop", "empty", "wrap", *["scale"] * 6]))
        _mutate(doc, path, op, draw(st.sampled_from(VALUES)), draw(st.sampled_from([0.001, 0.5, 0.9, 1.2, 2.0, 10.0, 1000.0])))
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    if draw(st.integers(0, 5)) == 0:  # a key given twice
        lines = text.splitlines(keepends=True)
        keyed = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("-")]
        if keyed:
            i = draw(st.sampled_from(keyed))
            lines.insert(i + 1, lines[i])
            text = "".join(lines)
            touched.update(k for k in keys if lines[i].lstrip(" -").startswith(f"{k}:"))
    return name, text, frozenset(touched)


def outcome(path: Path) -> str:
    """'plan', 'diagnosis' or 'error' (bad input); anything else raises."""
    try:
        if is_fleet_file(path):
            return _fleet_outcome(path)
        scenario = load(path)
        result = solve(resolved(scenario))
    except InputError as exc:
        assert str(exc) and exc.where, exc
        return "error"
    if result.plans:
        return "plan"
    assert result.diagnosis is not None, "an infeasible scenario without a diagnosis"
    return "diagnosis"


def _fleet_outcome(path: Path) -> str:
    """A fleet file as `procure solve` takes it: every service resolved, the fleet solved and checked."""
    catalog = load_catalog()
    fleet = load_fleet(path, catalog)
    result = solve_fleet(fleet.name, fleet.description, tuple(resolve(s, catalog) for s in fleet.services),
                         tuple(s.name for s in fleet.services))
    if result.plan is not None:
        return "plan"
    assert result.diagnosis, "a fleet without a plan and without a diagnosis"
    return "diagnosis"


def run_part(part: str) -> tuple[Counter[str], Counter[str], list[str]]:
    """Outcomes by class, mutations that reached each key, and defects, for one part's mutants."""
    bases, keys, examples = PARTS[part]
    outcomes: Counter[str] = Counter()
    reached: Counter[str] = Counter()
    defects: list[str] = []

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated_scenarios(bases, keys))
    def fuzz(case: tuple[str, str, frozenset[str]]) -> None:
        name, text, touched = case
        path = WORKDIR / f"{part}_{name}.yaml"
        path.write_text(text, encoding="utf-8")
        reached.update(touched)
        try:
            outcomes[outcome(path)] += 1
        except Exception as exc:  # a defect: recorded, the run goes on, the test fails listing them all
            outcomes["defect"] += 1
            defects.append(f"{name}: {type(exc).__name__}: {exc}\n--- scenario ---\n{text}")

    fuzz()
    return outcomes, reached, defects


@pytest.mark.parametrize("part", sorted(PARTS))
def test_mutated_scenarios_end_in_a_plan_a_diagnosis_or_a_clean_error(part: str):
    outcomes, reached, defects = run_part(part)
    _, keys, examples = PARTS[part]
    classes = ", ".join(f"{k} {outcomes[k]}" for k in ("plan", "diagnosis", "error"))
    print(f"\nfuzz {part}: {sum(outcomes.values())} mutants; outcomes: {classes}; defects {len(defects)}; "
          f"mutations reaching its keys: {', '.join(f'{k} {reached[k]}' for k in keys) or '-'}")
    assert not defects, f"{len(defects)} defects; the first:\n{defects[0]}"
    assert sum(outcomes.values()) >= 0.9 * examples
    assert {"plan", "error"} <= set(outcomes) <= {"plan", "diagnosis", "error"}, outcomes
    if part == "shipped":  # two shipped scenarios are infeasible as they stand
        assert outcomes["diagnosis"] > 0, outcomes
    assert all(reached[k] >= 20 for k in keys), reached


def test_unmutated_scenarios_with_the_small_search_do_not_error():
    for part, (bases, _, _) in PARTS.items():
        for name, doc in bases.items():
            path = WORKDIR / f"{part}_{name}.yaml"
            path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
            assert outcome(path) in ("plan", "diagnosis"), name
