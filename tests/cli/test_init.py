"""`procure init`: a commented starter scenario with a schema line, which loads and solves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "optimizer.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


def test_init_writes_a_starter_that_solves(tmp_path):
    r = _cli("init", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    scenario = tmp_path / "scenario.yaml"
    first = scenario.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./scenario.schema.json"
    schema = json.loads((tmp_path / "scenario.schema.json").read_text(encoding="utf-8"))
    assert "offers" in schema["properties"]
    solved = _cli("solve", str(scenario), "--out", str(tmp_path / "reports"), cwd=tmp_path)
    assert solved.returncode in (0, 3), solved.stdout + solved.stderr
    assert (tmp_path / "reports" / "scenario.md").exists()


def test_init_into_a_new_folder_with_a_name(tmp_path):
    r = _cli("init", "bids/mine.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "bids" / "mine.yaml").exists() and (tmp_path / "bids" / "scenario.schema.json").exists()
    assert "name: mine" in (tmp_path / "bids" / "mine.yaml").read_text(encoding="utf-8")


def test_init_never_overwrites(tmp_path):
    target = tmp_path / "scenario.yaml"
    target.write_text("mine\n", encoding="utf-8")
    r = _cli("init", cwd=tmp_path)
    assert r.returncode == 2
    assert "already exists" in r.stderr and "Traceback" not in r.stderr
    assert target.read_text(encoding="utf-8") == "mine\n"
    assert not (tmp_path / "scenario.schema.json").exists()


def test_init_keeps_a_different_schema_file(tmp_path):
    (tmp_path / "scenario.schema.json").write_text("{}\n", encoding="utf-8")
    r = _cli("init", cwd=tmp_path)
    assert r.returncode == 0 and "kept the existing" in r.stderr
    assert (tmp_path / "scenario.schema.json").read_text(encoding="utf-8") == "{}\n"

