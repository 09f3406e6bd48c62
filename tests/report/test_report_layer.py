"""Report modules lay out a result and its facts: none of them reads the catalog or the resolved
problem, or builds facts itself (the catalog listings are the one exception: listing the catalog is
their job). And none is so long that it hides a second model of something."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPORT_DIR = Path(__file__).resolve().parents[2] / "optimizer" / "report"
EXEMPT = {"catalog_lists.py"}
MAX_LINES = 450
# Modules that hand out the catalog or load it.
CATALOG_MODULES = ("optimizer.catalog.bundle", "optimizer.catalog.yaml_io", "optimizer.problem")
# Loaders, the Catalog value, and the functions that turn a result into facts (the pipeline's job).
FORBIDDEN_NAMES = {
    "Catalog", "load_catalog", "catalog_dir", "load_cards", "load_models", "load_precisions", "load_efficiency",
    "load_engines", "load_ecosystems", "get_card", "get_model", "get_precision", "get_engine", "default_engine",
    "load_bands", "prediction_band",
    "solve_facts", "offer_facts", "bid_risks", "weights_rows", "usable_gb_per_card", "calibration_of", "provenance_of",
}
FORBIDDEN_ATTRIBUTES = {"catalog", "problem"}  # result.problem.catalog...: the resolved inputs, not facts


def catalog_reads(source: str) -> list[str]:
    """Every way `source` reaches the catalog, the resolved problem or a fact builder."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(CATALOG_MODULES):
                found.append(f"imports {node.module}")
            found += [f"imports {a.name}" for a in node.names if a.name in FORBIDDEN_NAMES]
        elif isinstance(node, ast.Import):
            found += [f"imports {a.name}" for a in node.names if a.name.startswith(CATALOG_MODULES)]
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            found.append(f"reads .{node.attr} (line {node.lineno})")
    return found


def report_modules() -> list[Path]:
    return sorted(p for p in REPORT_DIR.glob("*.py") if p.name not in EXEMPT)


def test_the_detector_sees_each_way_in():
    assert catalog_reads("def f(result):\n    return result.problem.catalog.cards['h200']") == [
        "reads .catalog (line 2)", "reads .problem (line 2)",
    ]
    assert catalog_reads("from optimizer.catalog.records import load_cards, Card") == ["imports load_cards"]
    assert catalog_reads("from optimizer.catalog.bundle import Catalog") == ["imports optimizer.catalog.bundle", "imports Catalog"]
    assert catalog_reads("import optimizer.problem") == ["imports optimizer.problem"]
    assert catalog_reads("from optimizer.analysis.facts import solve_facts") == ["imports solve_facts"]
    assert catalog_reads("from optimizer.analysis.facts import SolveFacts\ndef f(facts): return facts.offers") == []


def test_there_are_report_modules_to_check():
    names = {p.name for p in report_modules()}
    assert {"solve_md.py", "solve_json.py", "bids.py", "whatif.py", "predict.py"} <= names, names
    assert "render.py" not in names, "the solve report is split by what it lays out"


@pytest.mark.parametrize("path", report_modules(), ids=lambda p: p.name)
def test_no_report_module_reads_the_catalog(path):
    assert catalog_reads(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", sorted(REPORT_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_report_module_is_over_the_line_budget(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name}: {lines} lines"
