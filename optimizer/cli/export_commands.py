"""`procure export`: launch files for the plan a solve recommended, read from its JSON report."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from optimizer.cli.app import run
from optimizer.cli.output import out_folder, staged
from optimizer.errors import InputError

REPLICA_KEYS = ("offer", "role", "card", "precision", "tp", "pp", "ep", "dp", "batch", "cards_per_replica", "predicted")
SERVING_KEYS = ("engine", "kv_precision", "max_running_requests", "attention_dp", "servers_spanned")


def register(app: typer.Typer) -> None:
    app.command()(export)


def export(
    report: Annotated[Path, typer.Argument(help="The JSON a solve wrote (reports/<scenario>.json).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the launch files (default: <scenario>_launch beside the report).")
    ] = None,
) -> None:
    """Write launch commands for each replica design of the recommended plan of a solve report.

    One script per design (SGLang, vLLM / vLLM-Ascend, ATOM, TensorRT-LLM; a config.json fragment for
    MindIE) with the plan's parallelism, precision, KV dtype, running-request cap, chunked-prefill
    budget, context, speculative decoding and multi-node options; for a prefill/decode split both roles
    and the router; a README saying which servers run what.

    Example: procure export reports/r1_chatbot.json --out launch/r1_chatbot
    """

    def body() -> int:
        from optimizer.catalog.launch_templates import load_launch_templates
        from optimizer.report.launch import export_files

        doc = read_report(report)
        from optimizer.report.names import safe_part

        folder = out_folder(str(out) if out is not None else str(report.parent / f"{safe_part(str(doc['scenario']))}_launch"))
        files = export_files(doc, load_launch_templates())
        with staged(folder) as stage:
            for f in files:
                stage.path(f.name).write_text(f.text, encoding="utf-8")
                if f.name.endswith(".sh"):
                    stage.path(f.name).chmod(0o755)
        return 0

    run(body)


def read_report(path: Path) -> dict[str, Any]:
    """A solve JSON with a plan to launch, or an InputError naming the field that is missing."""
    from optimizer.catalog.yaml_io import read_text

    where = str(path)
    try:
        doc = json.loads(read_text(path, "solve report (JSON)"))
    except json.JSONDecodeError as exc:
        raise InputError(where, f"line {exc.lineno}", f"is not JSON ({exc.msg})",
                         "pass the .json file `procure solve` wrote (reports/<scenario>.json)") from None
    if not isinstance(doc, dict) or "plans" not in doc or "scenario" not in doc:
        raise InputError(where, "plans", "is missing: this is not a solve report",
                         "pass the .json file `procure solve` wrote (reports/<scenario>.json), not a comparison or what-if")
    plans = doc["plans"]
    if not isinstance(plans, list) or not plans:
        raise InputError(where, "plans", f"is empty (status {doc.get('status')!r}): the scenario has no plan to launch",
                         "relax the scenario as its diagnosis says, solve it again, then export")
    for i, row in enumerate(plans[0].get("replicas") or []):
        _check_replica(where, i, row)
    if not plans[0].get("replicas"):
        raise InputError(where, "plans[0].replicas", "is empty", "pass a report written by `procure solve`")
    return doc


def _check_replica(where: str, i: int, row: object) -> None:
    field = f"plans[0].replicas[{i}]"
    if not isinstance(row, Mapping):
        raise InputError(where, field, "is not an object", "pass a report written by `procure solve`")
    missing = [k for k in REPLICA_KEYS if k not in row]
    serving = row.get("serving")
    if not isinstance(serving, Mapping):
        raise InputError(where, f"{field}.serving", "is missing (a report from an older procure)",
                         "solve the scenario again with this version, then export its JSON")
    missing += [f"serving.{k}" for k in SERVING_KEYS if k not in serving]
    if missing:
        raise InputError(where, field, f"lacks {', '.join(missing)}", "pass a report written by `procure solve`")
