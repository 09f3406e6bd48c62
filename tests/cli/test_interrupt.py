"""Ctrl-C (issue 17, item 1): an interrupt stops the command with exit 130 and writes nothing; an
interrupted CP-SAT search is never read as "nothing fits".

The real `procure whatif` runs in a subprocess whose stderr is a pseudo-terminal, so it prints the
progress lines a user sees; SIGINT is sent once the budget sweep is under way. (The bad-input corpus
has more cases of this kind: `interrupt:` in a case.yaml.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run_interrupted

from optimizer.plan.optimize import new_solver

REPO = Path(__file__).resolve().parents[2]
BIDS = REPO / "scenarios" / "r1_bids_h200_910b_mi300x.yaml"


def test_cp_sat_leaves_ctrl_c_to_python():
    """CP-SAT's default catches SIGINT and ends the search as at a time limit: a sweep would read
    the cut-short solve as 'nothing fits'. Every solver procure makes leaves SIGINT to Python."""
    assert new_solver().parameters.catch_sigint_signal is False


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_ctrl_c_in_the_middle_of_a_sweep_exits_130_and_writes_nothing(tmp_path: Path):
    out = tmp_path / "out"
    loads = ",".join(str(50 * i) for i in range(1, 201))
    code, stdout, shown = run_interrupted(
        ["whatif", str(BIDS), "--budget", "1000000:40000000:200", "--load", loads, "--out", str(out)], "budget sweep: ", tmp_path,
    )
    assert code == 130, (code, shown[-2000:])
    assert "budget sweep: 200/200" not in shown  # it was stopped mid-sweep
    assert "interrupted" in shown and "Traceback" not in shown, shown[-2000:]
    assert stdout == "", stdout  # no table of a half-run sweep
    assert not out.exists(), sorted(out.rglob("*"))
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_point_without_a_proof_is_unknown_not_infeasible(monkeypatch: pytest.MonkeyPatch):
    """A solve cut short (time limit) has no plan and no proof: the sweep says 'unknown'."""
    from conftest import load, resolved

    from optimizer.analysis import sweeps

    monkeypatch.setattr(sweeps, "solve_min_cost", lambda *a, **k: ("unknown", None, None, None))
    sweep = sweeps.load_sweep(resolved(load(BIDS)), [100.0])
    assert [p.status for p in sweep.points] == ["unknown"]
