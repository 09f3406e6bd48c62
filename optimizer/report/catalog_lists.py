"""`procure cards|models|engines list|show`: catalog records as rows (for tables and JSON), each
with how many shipped calibration rows back it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from optimizer import units
from optimizer.arch import count_params
from optimizer.calibration.rows import load_rows
from optimizer.catalog.efficiency import load_engines
from optimizer.catalog.records import load_cards, load_models
from optimizer.errors import InputError, one_of

KINDS = ("cards", "models", "engines")


def calibration_counts() -> dict[str, Counter[str]]:
    """Shipped calibration rows per card_id, model_id and engine profile (rows whose framework maps
    to no profile count for their card and model only)."""
    rows = load_rows()
    return {
        "cards": Counter(r.card_id for r in rows),
        "models": Counter(r.model_id for r in rows),
        "engines": Counter(r.engine for r in rows if r.engine),
    }


def calibration_status(card_rows: int, family_rows: int) -> str:
    """How far the model's factors for a card rest on published runs: its own ('measured'), other cards
    of its family's ('family'), or none: the pooled prior, the widest band ('unmeasured')."""
    if card_rows:
        return "measured"
    return "family" if family_rows else "unmeasured"


def family_counts() -> Counter[str]:
    """Shipped calibration rows per card family (the unit the fit's family effects are learned on)."""
    cards = load_cards()
    return Counter(cards[r.card_id].family for r in load_rows() if r.card_id in cards)


def card_rows(vendor: str | None = None, min_mem_gb: float | None = None, fp8: bool = False) -> list[dict[str, Any]]:
    counts = calibration_counts()["cards"]
    by_family = family_counts()
    out = []
    for cid, c in sorted(load_cards().items()):
        if vendor is not None and vendor.lower() not in c.vendor.lower():
            continue
        if min_mem_gb is not None and c.mem_gb < min_mem_gb:
            continue
        if fp8 and "fp8" not in c.dense_tflops:
            continue
        out.append({
            "id": cid, "name": c.name, "vendor": c.vendor, "family": c.family, "mem_gb": c.mem_gb,
            "mem_bw_gbs": c.mem_bw_gbs, "bf16_tflops": c.dense_tflops.get("bf16"), "fp8": "fp8" in c.dense_tflops,
            "tdp_w": c.tdp_w, "cards_per_server": c.cards_per_server, "calibration_rows": counts.get(cid, 0),
            "family_rows": by_family.get(c.family, 0),
            "calibration": calibration_status(counts.get(cid, 0), by_family.get(c.family, 0)),
        })
    return out


def model_rows() -> list[dict[str, Any]]:
    counts = calibration_counts()["models"]
    out = []
    for mid, m in sorted(load_models().items()):
        p = count_params(m)
        out.append({
            "id": mid, "name": m.name, "kind": "moe" if m.moe else "dense", "attention": m.attention.kind,
            "total_params_b": round(units.to_billions(p.total), 2), "active_params_b": round(units.to_billions(p.active), 2),
            "layers": m.num_layers, "max_context": m.max_context, "checkpoint_precision": m.checkpoint_precision,
            "calibration_rows": counts.get(mid, 0),
        })
    return out


def engine_rows() -> list[dict[str, Any]]:
    counts = calibration_counts()["engines"]
    return [
        {"id": eid, "name": e.name, "versions": e.versions, "era": e.era, "parent": e.parent, "superseded": e.superseded,
         "prefill_mode": e.prefill_mode, "max_running_seqs": e.max_running_seqs, "default_for": list(e.default_for),
         "calibration_rows": counts.get(eid, 0)}
        for eid, e in sorted(load_engines().items())
    ]


LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "cards": ("id", "vendor", "family", "mem_gb", "mem_bw_gbs", "bf16_tflops", "fp8", "tdp_w", "cards_per_server",
              "calibration_rows", "family_rows", "calibration"),
    "models": ("id", "kind", "attention", "total_params_b", "active_params_b", "layers", "max_context", "calibration_rows"),
    "engines": ("id", "name", "versions", "era", "parent", "prefill_mode", "max_running_seqs", "calibration_rows"),
}


def show_record(kind: str, record_id: str) -> dict[str, Any]:
    """The full catalog record of one card, model or engine, plus its calibration row count."""
    loaders: dict[str, Callable[[], dict[str, Any]]] = {"cards": load_cards, "models": load_models, "engines": load_engines}
    records = loaders[kind]()
    if record_id not in records:
        raise InputError(f"procure {kind} show", record_id, f"is not in the catalog's {kind}", one_of(record_id, records))
    data: dict[str, Any] = {"id": record_id, **records[record_id].model_dump(mode="json")}
    if kind == "models":
        p = count_params(records[record_id])
        data["derived_params_b"] = {"total": round(units.to_billions(p.total), 3), "active": round(units.to_billions(p.active), 3)}
    data["calibration_rows"] = calibration_counts()[kind].get(record_id, 0)
    if kind == "cards":
        family_rows = family_counts().get(records[record_id].family, 0)
        data["family_rows"] = family_rows
        data["calibration"] = calibration_status(data["calibration_rows"], family_rows)
    return data


def cell_text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def plain_table(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """Aligned plain text (for pipes: deterministic, no colour, no box characters)."""
    cells = [[cell_text(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def show_text(data: dict[str, Any], indent: int = 0) -> str:
    """A record as indented `key: value` lines."""
    lines = []
    pad = "  " * indent
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            lines.append(show_text(value, indent + 1))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{pad}{key}:")
            lines += [show_text(v, indent + 1) for v in value]
        elif isinstance(value, list):
            lines.append(f"{pad}{key}: {', '.join(cell_text(v) for v in value) or '-'}")
        else:
            lines.append(f"{pad}{key}: {cell_text(value)}")
    return "\n".join(line for line in lines if line)


def rich_table(title: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> bool:
    """Print a rich table on the terminal; False when rich is not installed (then print plain text)."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - typer ships rich
        return False
    table = Table(title=title)
    cells = [[cell_text(r.get(c)) for c in columns] for r in rows]
    for i, c in enumerate(columns):  # values are never cut; a long header wraps instead
        width = max((len(row[i]) for row in cells), default=1)
        table.add_column(c, justify="right" if c in NUMERIC else "left", no_wrap=True, min_width=width)
    for row in cells:
        table.add_row(*row)
    Console().print(table, crop=False)
    return True


NUMERIC = {"mem_gb", "mem_bw_gbs", "bf16_tflops", "tdp_w", "cards_per_server", "calibration_rows", "family_rows", "total_params_b",
           "active_params_b", "layers", "max_context", "max_running_seqs"}
