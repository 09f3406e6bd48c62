"""The catalog is loaded once at the edge and handed down as a value: only catalog/, calibration/
(the fit and its rows read the shipped files), the CLI and the resolver (problem.py) call a catalog
loader; among the report modules only the catalog listings do."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "optimizer"
LOADERS = {
    "load_cards", "load_models", "load_precisions", "load_efficiency", "load_engines", "load_ecosystems",
    "get_card", "get_model", "get_precision", "get_engine", "default_engine", "engine_for_framework",
    "load_catalog", "catalog_dir", "model_path", "load_bands", "read_residuals",
}
ALLOWED = ("catalog/", "calibration/", "cli/", "cli.py", "problem.py", "report/catalog_lists.py")


def loader_calls(source: str) -> set[str]:
    """Catalog loaders the module imports by name and calls (methods of a Catalog value it was
    handed, such as `catalog.default_engine(...)`, are not loaders)."""
    tree = ast.parse(source)
    imported = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for a in node.names if a.name in LOADERS}
    return {node.func.id for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in imported}


def test_loader_calls_sees_imported_loaders_only():
    assert loader_calls("from x import load_cards\nload_cards()['h200']") == {"load_cards"}
    assert loader_calls("from x import get_model as gm\ngm('m')") == {"gm"}
    assert loader_calls("catalog.default_engine('ascend')") == set()


def test_only_the_edge_calls_catalog_loaders():
    offenders = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        rel = path.relative_to(PACKAGE_DIR).as_posix()
        if rel.startswith(ALLOWED):
            continue
        found = loader_calls(path.read_text(encoding="utf-8"))
        if found:
            offenders[rel] = sorted(found)
    assert offenders == {}, offenders
