"""The bad-input corpus (tests/bad_inputs/): every case through the real `procure` command.

Each case must exit with its code (2: bad input, 3: a diagnosis, 130: interrupted, 0: handled),
name its word in the message, show no traceback and write nothing to --out on exit 2 or 130.
Optional keys: `overlay` (files replacing shipped catalog files: the case runs in a subprocess
whose PYTHONPATH puts a patched copy of the catalog first), `interrupt` (Ctrl-C is pressed when
this text shows on the terminal: a subprocess with stderr on a pseudo-terminal), `writes` (the
exact file names --out must hold afterwards) and `absent` (paths that must not exist afterwards).
The others run in-process through typer's CliRunner (same command, same exit codes, much faster).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import load, run_interrupted
from typer.testing import CliRunner

from optimizer.cli import app

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "bad_inputs"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "case.yaml").is_file())


def _fill(text: str, folder: Path, out: Path) -> str:
    return text.replace("{dir}", str(folder)).replace("{out}", str(out)).replace("{repo}", str(REPO))


def _args(case: dict, folder: Path, out: Path) -> list[str]:
    return [_fill(a, folder, out) for a in case["args"]]


def _run_overlaid(args: list[str], case: dict, folder: Path, tmp: Path) -> tuple[int, str]:
    pkg = tmp / "pkg"
    shutil.copytree(REPO / "catalog", pkg / "catalog")
    for target, source in case["overlay"].items():
        shutil.copyfile(folder / source, pkg / "catalog" / target)
    env = {**os.environ, "PYTHONPATH": str(pkg)}
    proc = subprocess.run([sys.executable, "-m", "optimizer.cli", *args], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 60
    kinds = {yaml.safe_load((c / "case.yaml").read_text())["args"][0] for c in CASES}
    assert {"solve", "predict", "model", "whatif", "compare"} <= kinds


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_bad_input(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    case = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    work = tmp_path / "case"
    shutil.copytree(folder, work)
    out = tmp_path / "out"
    args = _args(case, work, out)
    monkeypatch.chdir(tmp_path)
    if case.get("interrupt"):
        if not hasattr(os, "openpty"):
            pytest.skip("Ctrl-C cases need a pseudo-terminal (POSIX)")
        code, stdout, shown = run_interrupted(args, case["interrupt"], tmp_path)
        text = stdout + shown
    elif case.get("overlay"):
        code, text = _run_overlaid(args, case, work, tmp_path)
    else:
        result = CliRunner().invoke(app, args, prog_name="procure")
        code, text = result.exit_code, result.output
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), text
    shown = f"procure {' '.join(args)}\nexit {code}\n{text}"
    assert code == case["exit"], shown
    assert case["word"] in text, shown
    assert "Traceback" not in text and "internal error" not in text, shown
    if code in (2, 130):
        assert ("error: " if code == 2 else "interrupted") in text, shown
        assert not out.exists(), f"wrote {sorted(out.rglob('*'))} on exit {code}\n{shown}"
        assert not (tmp_path / "reports").exists(), shown
    if "writes" in case:  # exactly these files, each a plain name inside --out
        assert sorted(p.name for p in out.iterdir()) == sorted(case["writes"]), shown
    for path in case.get("absent", []):
        assert not Path(_fill(path, work, out)).exists(), f"{path} was written\n{shown}"


def test_out_into_a_missing_folder_is_created(tmp_path: Path):
    out = tmp_path / "a" / "b"
    result = CliRunner().invoke(app, [
        "model", "import", str(REPO / "tests" / "fixtures" / "hf_configs" / "llama-3.1-8b.json"),
        "--id", "x-model", "--date", "2025-01-01", "--out", str(out / "x.yaml"),
    ])
    assert result.exit_code == 0, result.output
    assert (out / "x.yaml").is_file()


def test_version():
    from optimizer import __version__

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_a_model_path_resolves_against_the_scenario_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):

    (tmp_path / "scn" / "models").mkdir(parents=True)
    shutil.copyfile(REPO / "catalog" / "models" / "llama-3.1-8b.yaml", tmp_path / "scn" / "models" / "mine.yaml")
    text = (REPO / "scenarios" / "r1_chatbot.yaml").read_text(encoding="utf-8").replace("model: deepseek-r1", "model: models/mine.yaml")
    (tmp_path / "scn" / "s.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # not the scenario's folder
    scenario = load(Path("scn/s.yaml"))
    assert Path(scenario.model).is_absolute() and Path(scenario.model).name == "mine.yaml"


def test_internal_errors_exit_1_with_the_traceback_under_debug(monkeypatch: pytest.MonkeyPatch):
    from optimizer.catalog.bundle import Catalog

    def boom(*a, **k):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    monkeypatch.setattr(Catalog, "card", boom)
    plain = CliRunner().invoke(app, ["predict", "--model", "llama-3.1-8b", "--card", "h100-sxm"])
    assert plain.exit_code == 1 and "internal error" in plain.output and "--debug" in plain.output
    debug = CliRunner().invoke(app, ["--debug", "predict", "--model", "llama-3.1-8b", "--card", "h100-sxm"])
    assert debug.exit_code == 1 and isinstance(debug.exception, RuntimeError)
