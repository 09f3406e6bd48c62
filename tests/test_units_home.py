"""optimizer/units.py is the only home of unit conversions: no bare 1e3 / 1e6 / 1e9 / 1e12,
`/ 1000` or `* 1000` anywhere else in optimizer/, except the few literals below that are not
conversions."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "optimizer"
BARE = re.compile(r"\b1e(3|6|9|12)\b|[/*] ?1_?000\b")
NOT_CONVERSIONS = (  # (regex on the line, why it is not a unit conversion)
    (re.compile(r"Bounded\(1e\d+\)"), "an input bound of the schema (largest value a field accepts)"),
    (re.compile(r"\bhi(: float)? ?= ?1e\d+"), "an input bound of a sweep option"),
    (re.compile(r"published_params_b <= 1e6|at most 1e6"), "an input bound of --published-params-b"),
)


def bare_conversions(root: Path = PACKAGE_DIR) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "units.py" and path.parent == root:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if BARE.search(code) and not any(rx.search(code) for rx, _ in NOT_CONVERSIONS):
                found.append(f"{path.relative_to(root.parent)}:{n}: {line.strip()}")
    return found


def test_no_bare_unit_conversions_outside_units():
    assert bare_conversions() == [], "use (or add) a function of optimizer/units.py"


def test_the_grep_sees_a_bare_conversion(tmp_path: Path):
    (tmp_path / "step.py").write_text("ms = step_s * 1e3\nkw = watts / 1000\nok = Bounded(1e6)\n", encoding="utf-8")
    assert len(bare_conversions(tmp_path)) == 2
