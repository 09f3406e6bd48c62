"""More bad input: each exits 2 with one paragraph naming the place and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((REPO / "scenarios" / "r1_chatbot.yaml").read_text())


def _write(tmp_path: Path, **changes) -> Path:  # type: ignore[no-untyped-def]
    doc = {**BASE, **changes}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"precisions": []}, "precisions"),
        ({"precisions": ["fp8", "fp8"]}, "more than once"),
        ({"workload": {**BASE["workload"], "input_tokens": 200000}}, "workload"),
        ({"workload": {**BASE["workload"], "max_context_tokens": 100}}, "max_context_tokens"),
        ({"analysis": {"tpot_sweep_ms": []}}, "tpot_sweep_ms"),
    ],
)
def test_bad_scenarios_exit_2(procure, tmp_path, changes, field):
    res = procure("solve", str(_write(tmp_path, **changes)), "--out", str(tmp_path / "out"), expect=2)
    assert field in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert str(tmp_path / "s.yaml") in res.stderr


@pytest.mark.parametrize(
    "args, word",
    [
        (["--max-seqs", "0", "--batch", "max"], "--max-seqs"),
        (["--input-len", "200000"], "context"),
    ],
)
def test_bad_predict_options_exit_2(procure, args, word):
    res = procure("predict", "--model", "deepseek-r1", "--card", "h200", "--precision", "fp8", "--tp", "8", *args, expect=2)
    assert word in res.stderr and "Traceback" not in res.stderr


def test_oversized_sweep_exits_2(procure, tmp_path):
    res = procure("whatif", str(REPO / "scenarios" / "r1_chatbot.yaml"), "--budget", "1:10000000:100000000",
                  "--out", str(tmp_path), expect=2)
    assert "POINTS" in res.stderr
