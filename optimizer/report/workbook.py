"""One Excel workbook per report (`--format xlsx`): a sheet per table of optimizer.report.export,
headers and sheet names in the report's language, numbers stored as numbers.

- Counts (servers per plan rank, cards) are integers; latencies, load and power one decimal.
- Money: English keeps whole RMB (`#,##0`); Chinese shows 万元 (RMB / 10,000, `#,##0.0`, headers say
  万元), the unit of the Chinese report, so the workbook and the report carry the same figures. The
  price per million output tokens stays in yuan with two decimals in both languages, as in the reports
  (a small amount that 万元 would round away).
- Yes/No (是/否) for booleans, an empty cell for no value; bold, frozen and filtered header row;
  column widths fitted to the longest cell (a CJK character counts double).
- The same tables give the same bytes: openpyxl stamps the clock into docProps/core.xml and into each
  ZIP entry, so both are rewritten with a fixed date (the ZIP format's epoch).
"""

from __future__ import annotations

import datetime
import io
import unicodedata
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from optimizer.report.format import WAN
from optimizer.report.i18n import tr, word

if TYPE_CHECKING:
    from openpyxl import Workbook

Kind = Literal["text", "int", "money", "yuan", "decimal", "bool", "price_kind", "unit"]

# How each column of bids_frame / plans_frame is stored and shown; its header is i18n "xlsx.col.<name>".
KINDS: dict[str, Kind] = {
    "rank": "int", "gap_to_best_rmb": "money",
    "offer": "text", "vendor": "text", "card": "text", "price_kind": "price_kind", "price_rmb_per_server": "money",
    "feasible": "bool", "servers": "text", "cards": "int", "cost_rmb": "money", "capex_rmb": "money",
    "energy_rmb": "money", "rmb_per_million_output_tokens": "yuan", "served": "decimal", "served_unit": "unit",
    "designs": "text", "worst_ttft_ms": "decimal", "worst_tpot_ms": "decimal", "reason": "text", "top_risk": "text",
    "break_even_price_rmb_per_server": "money", "power_kw": "decimal",
    "servers_needed": "int", "central_servers": "int", "available_servers": "int",
    "central_cost_rmb": "money", "cost_rmb_p10": "money", "cost_rmb_p90": "money",
    # a fleet's tables (report.fleet_export)
    "service": "text", "model": "text", "load": "decimal", "attributed_rmb": "money", "rmb_per_million_output_tokens_served": "yuan",
    "alone_cost_rmb": "money", "servers_bought": "int", "period": "text", "bought": "text", "in_service": "text",
    "spend_rmb": "money", "discounted_rmb": "money", "spare_cards": "int", "cards_used": "int", "cards_in_service": "int",
}
_FORMATS: dict[Kind, str] = {"int": "#,##0", "yuan": "#,##0.00", "decimal": "#,##0.0"}
MAX_WIDTH = 60  # a long sentence (a reason, a risk) is clipped at this width rather than stretching its column
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a ZIP entry can hold
FIXED_DATE = datetime.datetime(*_EPOCH)
CORE_XML = "docProps/core.xml"


def number_format(kind: Kind, lang: str) -> str:
    """The Excel number format of a column ('General' for text)."""
    if kind == "money":
        return "#,##0.0" if lang == "zh" else "#,##0"
    return _FORMATS.get(kind, "General")


def is_missing(value: object) -> bool:
    """None, or the NaN / NA pandas puts in an empty cell."""
    return value is None or bool(pd.api.types.is_scalar(value) and pd.isna(value))


def cell_value(value: object, kind: Kind, lang: str) -> object:
    """The value a cell stores: ints for counts, 万元 for money in Chinese, words for booleans, price
    kinds and units in the report's language, None (an empty cell) for no value."""
    if is_missing(value):
        return None
    if kind == "int":
        return int(value)  # type: ignore[call-overload]  # pandas turns an int column with a gap into floats
    if kind == "money":
        amount = float(value)  # type: ignore[arg-type]
        return amount / WAN if lang == "zh" else (int(amount) if amount.is_integer() else amount)
    if kind in ("yuan", "decimal"):
        return float(value)  # type: ignore[arg-type]
    if kind == "bool":
        return tr(lang, "xlsx.yes" if value else "xlsx.no")
    if kind == "price_kind":
        return word(lang, "kind", str(value))
    if kind == "unit":
        return word(lang, "unit", str(value))
    return str(value)


Columns = Mapping[str, tuple[Kind, str]]  # columns a table names itself (a service's load): name -> (kind, header)


def header(name: str, lang: str, extra: Columns | None = None) -> str:
    return extra[name][1] if extra and name in extra else tr(lang, f"xlsx.col.{name}")


def kind_of(name: str, extra: Columns | None = None) -> Kind:
    return extra[name][0] if extra and name in extra else KINDS[name]


def sheet_rows(frame: pd.DataFrame, lang: str, extra: Columns | None = None) -> list[list[object]]:
    """The header row then one row per record, as the cells store them."""
    kinds = [kind_of(name, extra) for name in frame.columns]
    rows: list[list[object]] = [[header(name, lang, extra) for name in frame.columns]]
    for record in frame.itertuples(index=False, name=None):
        rows.append([cell_value(v, k, lang) for v, k in zip(record, kinds)])
    return rows


def display_width(text: str) -> int:
    """Columns a text takes on screen: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def shown(value: object, fmt: str) -> str:
    """The text a cell shows under its number format (enough to size its column)."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        decimals = len(fmt.partition(".")[2]) if "." in fmt else 0
        return f"{value:,.{decimals}f}"
    return str(value)


def column_width(cells: list[str]) -> int:
    """A column's width in characters: its widest cell plus a margin (the bold header needs it)."""
    return min(max((display_width(c) for c in cells), default=0) + 2, MAX_WIDTH)


def sheet_name(table: str, lang: str) -> str:
    return tr(lang, f"xlsx.sheet.{table}")[:31]  # Excel's limit


def build_workbook(tables: dict[str, pd.DataFrame], lang: str, extra: Columns | None = None) -> Workbook:
    """A workbook with one formatted sheet per table, in the order given (`extra`: columns not in KINDS)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "procure"
    wb.properties.created = wb.properties.modified = FIXED_DATE
    for table, frame in tables.items():
        ws = wb.create_sheet(sheet_name(table, lang))
        rows = sheet_rows(frame, lang, extra)
        formats = [number_format(kind_of(name, extra), lang) for name in frame.columns]
        for row in rows:
            ws.append(row)
        for col, fmt in enumerate(formats, start=1):
            letter = get_column_letter(col)
            ws.column_dimensions[letter].width = column_width([str(rows[0][col - 1]), *(shown(r[col - 1], fmt) for r in rows[1:])])
            if fmt != "General":
                for (c,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                    c.number_format = fmt
        for c in ws[1]:
            c.font = Font(bold=True)
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
    return wb


def stable_bytes(wb: Workbook) -> bytes:
    """The .xlsx file's bytes with the clock taken out: save() stamps docProps/core.xml's `modified`
    and every ZIP entry with the time, so the archive is written again with the fixed date."""
    from openpyxl.xml.functions import tostring

    raw = io.BytesIO()
    wb.save(raw)
    wb.properties.modified = FIXED_DATE
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16  # rw-r--r--, whatever the umask
            dst.writestr(entry, core if info.filename == CORE_XML else src.read(info.filename))
    return out.getvalue()


def write_workbook(tables: dict[str, pd.DataFrame], path: Path, lang: str, extra: Columns | None = None) -> Path:
    """Write the tables as one workbook at `path`; the path."""
    path.write_bytes(stable_bytes(build_workbook(tables, lang, extra)))
    return path
