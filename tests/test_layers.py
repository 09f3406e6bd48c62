"""Imports inside optimizer/ point one way: specs < perf < solve < report < cli."""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

import pytest

PACKAGE = "optimizer"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE
LAYERS = ("specs", "perf", "solve", "report", "cli")
RULES = (  # (glob on the module name, layer); first match wins
    ("__init__", "specs"), ("units", "specs"), ("errors", "specs"), ("specs", "specs"), ("params", "specs"),
    ("hf_import", "specs"), ("efficiency", "specs"), ("bands", "specs"), ("yaml_io", "specs"),
    ("perf", "perf"), ("calibration", "perf"), ("fit", "perf"),
    ("scenario*", "solve"), ("designs*", "solve"), ("solve*", "solve"), ("check*", "solve"), ("whatif*", "solve"),
    ("report*", "report"),
    ("cli", "cli"),
)
MODULES = sorted(p.stem for p in PACKAGE_DIR.glob("*.py"))


def internal_imports(module: str) -> set[str]:
    """Names of optimizer modules that `module` imports, anywhere in the file (also inside functions)."""
    tree = ast.parse((PACKAGE_DIR / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE:
                    found.add(parts[1] if len(parts) > 1 else "__init__")
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: `from . import x` or `from .x import y`
                base = [] if node.module is None else node.module.split(".")
            elif node.module and node.module.split(".")[0] == PACKAGE:
                base = node.module.split(".")[1:]
            else:
                continue
            if base:
                found.add(base[0])
            else:  # `from optimizer import perf`: the names are modules (or package attributes)
                found.update(a.name if (PACKAGE_DIR / f"{a.name}.py").exists() else "__init__" for a in node.names)
    found.discard(module)
    return found


def layer_of(module: str) -> str:
    for pattern, layer in RULES:
        if fnmatch(module, pattern):
            return layer
    imports = internal_imports(module)
    if imports:
        pytest.fail(
            f"optimizer/{module}.py is not assigned to a layer and imports {sorted(imports)}: "
            "classify it in RULES of tests/test_layers.py (specs < perf < solve < report < cli)"
        )
    return "specs"


def test_package_has_modules():
    assert {"specs", "perf", "cli"} <= set(MODULES)


def test_import_parser_sees_function_level_imports():
    """cli.py imports the engine inside command bodies; the parser must find those."""
    assert {"errors", "perf", "report_predict", "specs", "calibration", "hf_import"} <= internal_imports("cli")


def test_layer_of_known_modules():
    assert layer_of("report_predict") == "report"
    assert layer_of("calibration") == "perf"
    assert layer_of("solve_cpsat") == "solve"


@pytest.mark.parametrize("module", MODULES)
def test_no_upward_imports(module: str):
    rank = LAYERS.index(layer_of(module))
    upward = {
        imported: layer_of(imported)
        for imported in internal_imports(module)
        if LAYERS.index(layer_of(imported)) > rank
    }
    assert upward == {}, f"optimizer/{module}.py ({LAYERS[rank]} layer) imports higher layers: {upward}"
