"""The sweep syntax of scenario `analysis:` fields and CLI options: FROM:TO:POINTS ranges and comma
lists, bounded so a sweep stays a table a person reads."""

from __future__ import annotations

import math

from optimizer.errors import InputError

MAX_SWEEP_POINTS = 200  # a sweep is read as a table; more points only cost time


def parse_range(text: str, what: str, hi: float = 1e13) -> list[float]:
    """'FROM:TO:POINTS' -> POINTS evenly spaced values (inclusive), each at most `hi`."""
    try:
        lo, top, steps = text.split(":")
        a, b, n = float(lo), float(top), int(steps)
    except ValueError:
        raise InputError(what, text, "is not FROM:TO:POINTS", "e.g. 1000000:20000000:20") from None
    if n < 1 or n > MAX_SWEEP_POINTS or a < 0 or b < a or not (math.isfinite(a) and math.isfinite(b)):
        raise InputError(
            what, text, f"needs 0 <= FROM <= TO and 1 <= POINTS <= {MAX_SWEEP_POINTS}", "e.g. 1000000:20000000:20"
        )
    if b > hi:
        raise InputError(what, text, f"TO exceeds {hi:g}, beyond any real procurement", f"give values of at most {hi:g}")
    return [a] if n == 1 else [a + (b - a) * i / (n - 1) for i in range(n)]


def parse_list(text: str, what: str, hi: float = 1e9) -> list[float]:
    """'30,50,80' -> positive finite numbers, each at most `hi`."""
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(what, text, "is not a comma-separated list of numbers", "e.g. 30,50,80") from None
    if not values or len(values) > MAX_SWEEP_POINTS or any(v <= 0 or not math.isfinite(v) for v in values):
        raise InputError(what, text, f"needs 1 to {MAX_SWEEP_POINTS} positive numbers", "e.g. 30,50,80")
    if max(values) > hi:
        raise InputError(what, text, f"has a value above {hi:g}, beyond the physical range", f"give values of at most {hi:g}")
    return values


# The new axes' bounds, those of the scenario fields they move (scenario_phases.Phases and
# scenario.SupplyCase), except that a delivered share of 1 is allowed: every server arrives, the
# case is dropped. name -> (lowest, lowest allowed itself, highest, highest allowed itself, example)
AXIS_BOUNDS: dict[str, tuple[float, bool, float, bool, str]] = {
    "growth": (-100.0, False, 1000.0, True, "0:60:7"),
    "price_decline": (-100.0, False, 100.0, False, "0:20:5"),
    "discount": (0.0, True, 100.0, True, "0:10:6"),
    "delivered_share": (0.0, True, 1.0, True, "0:1:5"),
}


def parse_axis_range(text: str, what: str, axis: str) -> list[float]:
    """'FROM:TO:POINTS' on one of AXIS_BOUNDS' axes (negative FROM allowed where the axis allows it)."""
    lo, lo_in, hi, hi_in, example = AXIS_BOUNDS[axis]
    try:
        first, top, steps = text.split(":")
        a, b, n = float(first), float(top), int(steps)
    except ValueError:
        raise InputError(what, text, "is not FROM:TO:POINTS", f"e.g. {what} {example}") from None
    if n < 1 or n > MAX_SWEEP_POINTS or b < a or not (math.isfinite(a) and math.isfinite(b)):
        raise InputError(what, text, f"needs FROM <= TO and 1 <= POINTS <= {MAX_SWEEP_POINTS}", f"e.g. {what} {example}")
    if a < lo or (a == lo and not lo_in) or b > hi or (b == hi and not hi_in):
        span = f"{lo:g} {'<=' if lo_in else '<'} value {'<=' if hi_in else '<'} {hi:g}"
        raise InputError(what, text, f"is out of range: the sweep needs {span}", f"e.g. {what} {example}")
    return [a] if n == 1 else [a + (b - a) * i / (n - 1) for i in range(n)]
