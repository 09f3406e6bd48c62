"""One formatting vocabulary for every report: money, milliseconds, percentages and Markdown tables.

Pure string functions (no clock, no locale): the same numbers give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

DASH = "—"
WAN = 10_000  # 1 万 = 10,000


def rmb(x: float | None) -> str:
    """'RMB 4,500,000' (whole yuan); '—' for no amount."""
    return DASH if x is None else f"RMB {x:,.0f}"


def wan_rmb(x: float | None) -> str:
    """'450.0 万元' (RMB / 10,000, one decimal); '—' for no amount."""
    return DASH if x is None else f"{x / WAN:,.1f} 万元"


def money(x: float | None, lang: str = "en") -> str:
    """An amount in the report's language: RMB in English, 万元 in Chinese."""
    return wan_rmb(x) if lang == "zh" else rmb(x)


_AMOUNT = re.compile(r"RMB (\d{1,3}(?:,\d{3})*)(?![\d.,])")


def localize_amounts(text: str, lang: str) -> str:
    """Whole-RMB amounts the solver wrote into a sentence ('RMB 52,000,000'), in the report's unit."""
    if lang != "zh":
        return text
    return _AMOUNT.sub(lambda m: money(int(m.group(1).replace(",", "")), lang), text)


def unit_price(x: float | None, lang: str = "en") -> str:
    """A small price (per million tokens), two decimals, always in yuan: 'RMB 2.08' / '2.08 元'."""
    if x is None:
        return DASH
    return f"{x:,.2f} 元" if lang == "zh" else f"RMB {x:,.2f}"


def ms(value: float | None, digits: int) -> str:
    """Milliseconds with thousands separators; '—' when the replica has no such latency."""
    return DASH if value is None else f"{value:,.{digits}f}"


def pct(headroom: float) -> str:
    """A signed whole percentage: '+28%', '-3%', '0%'."""
    return f"{round(headroom * 100) + 0:+d}%"  # + 0 turns -0 into 0


def cell(value: object) -> str:
    """A table cell: `|` escaped, line breaks as <br>, surrounding blanks dropped."""
    text = "" if value is None else str(value)
    text = text.replace("\\|", "|").replace("|", "\\|")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
    return text.strip()


def table(header: Sequence[str], align: str, rows: Iterable[Sequence[object]]) -> list[str]:
    """A Markdown table. `align` has one letter per column: 'l' left, 'r' right. Every cell (the
    header's too) goes through `cell`, so no value can break the table."""
    if len(align) != len(header):
        raise ValueError(f"{len(header)} columns but alignment {align!r}")
    rule = {"l": "---", "r": "---:"}
    lines = [_row(header), "|" + "|".join(rule[a] for a in align) + "|"]
    for r in rows:
        if len(r) != len(header):
            raise ValueError(f"a row of {len(r)} cells under {len(header)} columns")
        lines.append(_row(r))
    return lines


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(cell(c) for c in cells) + " |"
