"""Fuzzing: the shipped scenarios, mutated (numbers to 0, -1, 1e30, inf, nan or strings; keys dropped
or given twice; wrong types; empty lists; values scaled), each end as a checked plan (the CLI's
exit 0), a diagnosis (exit 3) or a clean InputError (exit 2), never another exception.

The engine runs in-process (load_scenario + solve, what `procure solve` does before writing) with a
small design space so that 500+ examples stay well under a minute.
"""

from __future__ import annotations

import math
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from conftest import load, resolved
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.errors import InputError
from optimizer.pipeline import solve

REPO = Path(__file__).resolve().parents[2]
SMALL_SEARCH = {"tp": [1, 2, 4, 8], "pp": [1], "batches": [16, 64], "ranked_plans": 2}


def _shipped() -> dict[str, Any]:
    docs = {}
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["search"] = dict(SMALL_SEARCH)
        docs[path.stem] = doc
    return docs


SCENARIOS = _shipped()
VALUES = [0, -1, 1e30, math.inf, -math.inf, math.nan, "abc", "", 1.5, 2, True, None, [], {}, [1], 10**12, "1e30", -0.0]
OUTCOMES: Counter[str] = Counter()
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
def mutated_scenarios(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(SCENARIOS)))
    doc = yaml.safe_load(yaml.safe_dump(SCENARIOS[name]))  # a deep copy
    for _ in range(draw(st.integers(1, 2))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
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
    return name, text


def outcome(path: Path) -> str:
    """'plan', 'diagnosis' or 'error' (bad input); anything else raises."""
    try:
        scenario = load(path)
        result = solve(resolved(scenario))
    except InputError as exc:
        assert str(exc) and exc.where, exc
        return "error"
    if result.plans:
        return "plan"
    assert result.diagnosis is not None, "an infeasible scenario without a diagnosis"
    return "diagnosis"


@settings(max_examples=600, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_scenarios())
def _fuzz(case: tuple[str, str]) -> None:
    name, text = case
    path = WORKDIR / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        OUTCOMES[outcome(path)] += 1
    except Exception as exc:
        raise AssertionError(f"{name}: {type(exc).__name__}: {exc}\n--- scenario ---\n{text}") from exc


def test_mutated_scenarios_end_in_a_plan_a_diagnosis_or_a_clean_error():
    OUTCOMES.clear()
    _fuzz()
    total = sum(OUTCOMES.values())
    print(f"\nfuzz outcomes over {total} examples: {dict(OUTCOMES)}")
    assert total >= 500
    assert set(OUTCOMES) == {"plan", "diagnosis", "error"}, OUTCOMES


def test_unmutated_scenarios_with_the_small_search_do_not_error():
    for name, doc in SCENARIOS.items():
        path = WORKDIR / f"{name}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
        assert outcome(path) in ("plan", "diagnosis"), name
