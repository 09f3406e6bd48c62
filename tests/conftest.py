"""Shared test helpers: run the real `procure` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def is_fleet_scenario(path: Path) -> bool:
    """A shipped scenario with services: (several services on one purchase; its own report layout)."""
    import yaml

    return "services" in (yaml.safe_load(path.read_text(encoding="utf-8")) or {})


SHIPPED_SCENARIOS = sorted((REPO_ROOT / "scenarios").glob("*.yaml"))
SINGLE_SERVICE_SCENARIOS = [p for p in SHIPPED_SCENARIOS if not is_fleet_scenario(p)]


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def shown(self) -> str:
        return (
            f"procure {' '.join(self.args)}\nexit code {self.code}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


def _run(*args: str, expect: int, env: dict[str, str] | None = None) -> CliResult:
    # The caller's PROCURE_CATALOG must not reach a run (the committed reports are of the shipped
    # catalog); a test that wants an overlay passes it in `env`.
    full_env = {k: v for k, v in os.environ.items() if k != "PROCURE_CATALOG"} | (env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "optimizer.cli", *args],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False, env=full_env,
    )
    result = CliResult(tuple(args), proc.returncode, proc.stdout, proc.stderr)
    assert result.code == expect, f"expected exit {expect}\n{result.shown()}"
    return result


@pytest.fixture(scope="session")
def procure():
    """`procure(*args, expect=0, env=None)` runs the CLI from the repository root (with `env` added to
    the environment) and asserts the exit code, showing the command's output when it differs."""
    return _run


def load(path: Path):  # type: ignore[no-untyped-def]
    """A scenario file read and checked against the shipped catalog (what the CLI does first)."""
    from optimizer.catalog.bundle import load_catalog
    from optimizer.scenario import load_scenario

    return load_scenario(Path(path), load_catalog())


def resolved(scenario):  # type: ignore[no-untyped-def]
    """The scenario resolved against the shipped catalog: the Problem the pipeline takes."""
    from optimizer.catalog.bundle import load_catalog
    from optimizer.problem import resolve

    return resolve(scenario, load_catalog())


def _read_until(fd: int, needle: bytes, seconds: float) -> bytes:
    """What a pseudo-terminal shows until `needle` appears (or the child closes it)."""
    import os
    import select
    import time

    seen, deadline = b"", time.monotonic() + seconds
    while needle not in seen:
        ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            raise AssertionError(f"no {needle!r} within {seconds} s; the terminal showed {seen[-500:]!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


def run_interrupted(args: list[str], when: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run `procure ARGS` with stderr on a pseudo-terminal (so it shows the progress lines a user
    sees), press Ctrl-C (SIGINT) once `when` appears there; (exit code, stdout, what the terminal
    showed)."""
    import os
    import signal

    master, slave = os.openpty()
    # A shell starts background jobs with Ctrl-C ignored, and Python keeps an ignored SIGINT: the child
    # gets the disposition of a user's terminal whatever launched the suite.
    proc = subprocess.Popen([sys.executable, "-m", "optimizer.cli", *args], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(slave)
    try:
        shown = _read_until(master, when.encode(), 120)
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=120)
        shown += _read_until(master, b"interrupted", 10)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return proc.returncode, stdout.decode("utf-8", "replace"), shown.decode("utf-8", "replace")
