"""Imports inside optimizer/ point one way, folder by folder:

    catalog < perf < calibration < plan (and check) < analysis < pipeline < report < cli

and the rule that keeps the checker independent: check never imports plan.model or plan.solve
(nor anything that does). Top-level modules are assigned to a layer in TOP_LEVEL.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = "optimizer"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE
LAYERS = ("catalog", "perf", "calibration", "plan", "analysis", "pipeline", "report", "cli")
FOLDERS = ("catalog", "perf", "calibration", "plan", "analysis", "report", "cli")  # a folder is its own layer
TOP_LEVEL = {  # top-level module -> layer
    "__init__": "catalog", "units": "catalog", "errors": "catalog", "arch": "catalog", "scenario": "catalog",
    "sweep_ranges": "catalog", "scenario_checks": "catalog", "scenario_phases": "catalog",
    "check": "plan", "problem": "plan", "pipeline": "pipeline", "fleet_scenario": "catalog", "check_fleet": "plan",
}
# The checker re-verifies a plan without the solver: it may see plan.result (and what that
# needs), never the CP-SAT model, the solves, or what runs them.
CHECK_NEVER_SEES = ("plan.model", "plan.optimize", "plan.solve", "plan.rank", "plan.diagnose", "plan.fleet", "plan.phases",
                    "plan.fleet_phases")


def modules_of(root: Path) -> list[str]:
    """Dotted module names under `root` relative to it: 'pipeline', 'perf.step', 'plan.__init__'."""
    return sorted(".".join(p.relative_to(root).with_suffix("").parts) for p in root.rglob("*.py"))


MODULES = modules_of(PACKAGE_DIR)


def _resolve(root: Path, parts: list[str]) -> str:
    """The module a dotted path inside the package names: a file, else the package's __init__."""
    if not parts:
        return "__init__"
    if (root.joinpath(*parts[:-1]) / f"{parts[-1]}.py").exists():
        return ".".join(parts)
    if (root.joinpath(*parts) / "__init__.py").exists():
        return ".".join([*parts, "__init__"])
    return ".".join(parts)


@functools.cache   # every closure re-reads the same files: parsed once, the cycle check took 11 s, now well under 1
def internal_imports(module: str, root: Path = PACKAGE_DIR, package: str = PACKAGE) -> frozenset[str]:
    """Modules of the package that `module` imports, anywhere in the file (also inside functions
    and under TYPE_CHECKING: a type is a dependency too)."""
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module.split(".")[:-1]  # the folder the module sits in
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == package:
                    found.add(_resolve(root, parts[1:]))
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = here[: len(here) - (node.level - 1)] + ([] if node.module is None else node.module.split("."))
            elif node.module and node.module.split(".")[0] == package:
                base = node.module.split(".")[1:]
            else:
                continue
            for a in node.names:  # `from optimizer.perf import step`: the name may be a module
                sub = [*base, a.name]
                is_module = (root.joinpath(*base) / f"{a.name}.py").exists() or (root.joinpath(*sub) / "__init__.py").exists()
                found.add(_resolve(root, sub if is_module else base))
    found.discard(module)
    return frozenset(found)


def layer_of(module: str) -> str:
    head = module.split(".")[0]
    if head in FOLDERS:
        return head
    if module in TOP_LEVEL:
        return TOP_LEVEL[module]
    pytest.fail(f"optimizer/{module}.py is not assigned to a layer: add it to TOP_LEVEL in tests/test_layers.py ({' < '.join(LAYERS)})")


def upward_imports(module: str, root: Path = PACKAGE_DIR, package: str = PACKAGE) -> dict[str, str]:
    rank = LAYERS.index(layer_of(module))
    return {
        imported: layer_of(imported)
        for imported in internal_imports(module, root, package)
        if LAYERS.index(layer_of(imported)) > rank
    }


def closure(module: str, root: Path = PACKAGE_DIR, package: str = PACKAGE) -> set[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        for imported in internal_imports(todo.pop(), root, package):
            if imported not in seen and root.joinpath(*imported.split(".")).with_suffix(".py").exists():
                seen.add(imported)
                todo.append(imported)
    return seen


def test_package_has_modules():
    assert {"catalog.records", "perf.step", "plan.result", "check", "pipeline", "cli.app"} <= set(MODULES)


def test_import_parser_sees_function_level_imports():
    """The cli modules import the engine inside command bodies; the parser must find those."""
    found = set().union(*(internal_imports(m) for m in MODULES if m.startswith("cli.")))
    assert {"errors", "report.predict", "catalog.records", "calibration.rows", "catalog.hf_import", "pipeline"} <= found


def test_layer_of_known_modules():
    assert layer_of("report.predict") == "report"
    assert layer_of("calibration.rows") == "calibration"
    assert layer_of("plan.solve") == "plan"
    assert layer_of("check") == "plan"


@pytest.mark.parametrize("module", MODULES)
def test_no_upward_imports(module: str):
    upward = upward_imports(module)
    assert upward == {}, f"optimizer/{module} ({layer_of(module)} layer) imports higher layers: {upward}"


def test_check_never_imports_plan_model_or_plan_solve():
    """check never imports plan.model or plan.solve: directly it sees plan.result only, and
    nothing it reaches imports the solver either."""
    direct = {m for m in internal_imports("check") if m.startswith("plan.")}
    assert direct <= {"plan.result"}, direct
    reached = closure("check")
    assert not reached & set(CHECK_NEVER_SEES), sorted(reached & set(CHECK_NEVER_SEES))


def test_the_fleet_checker_never_imports_the_fleet_model():
    """check_fleet reuses check's rules and reads plan.fleet_result, never the fleet model or a solver."""
    direct = {m for m in internal_imports("check_fleet") if m.startswith("plan.")}
    assert direct <= {"plan.result", "plan.fleet_result"}, direct
    reached = closure("check_fleet")
    assert not reached & set(CHECK_NEVER_SEES), sorted(reached & set(CHECK_NEVER_SEES))


def test_no_import_cycles():
    """No module reaches itself through imports (today's check <-> solve circle, for one)."""
    cyclic = [m for m in MODULES if m in closure(m)]
    assert cyclic == []


def _synthetic_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "fakepkg"
    for name, text in files.items():
        path = root.joinpath(*name.split(".")).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_layer_check_fails_on_an_upward_import(tmp_path: Path):
    """The scanner is not vacuous: a perf module that imports the report layer (inside a function,
    the way cli imports) is reported, and a downward import is not."""
    root = _synthetic_package(tmp_path, {
        "__init__": "",
        "perf.__init__": "",
        "perf.step": "def f():\n    from fakepkg.report.render import render\n    return render\n",
        "report.__init__": "",
        "report.render": "from fakepkg.perf import step\n\ndef render():\n    return step\n",
    })
    assert upward_imports("perf.step", root, "fakepkg") == {"report.render": "report"}
    assert upward_imports("report.render", root, "fakepkg") == {}


def test_check_rule_fails_on_a_solver_import(tmp_path: Path):
    """A checker that reaches plan.solve through another module breaks the rule."""
    root = _synthetic_package(tmp_path, {
        "__init__": "",
        "check": "from fakepkg.plan.result import Plan\n",
        "plan.__init__": "",
        "plan.result": "from fakepkg.plan import solve\n",
        "plan.solve": "",
    })
    assert "plan.solve" in closure("check", root, "fakepkg")
