"""Launch files for the recommended plan of a solve (`procure export`): for each replica design, a
shell script that starts its engine with the plan's split, precision, KV dtype, running-request cap,
chunked-prefill budget, context, speculative decoding and multi-node flags; for a prefill/decode split
both roles and the router; and a README that says which servers run what and what the operator must
still supply (the weights, the addresses).

A function of the solve JSON and the launch templates only (catalog/launch.yaml): the numbers are the
report's numbers, and every option written is one the template lists as documented by the engine."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from optimizer.catalog.launch_templates import LaunchTemplate
from optimizer.report.names import safe_part

DEFAULT_PORT = {"sglang": 30000, "vllm": 8000, "atom": 8000, "trtllm": 8000, "mindie": 1025}
DIST_PORT = 5000          # the rendezvous port a multi-node replica's servers agree on (any free port)
ROUTER_PORT = 8000


@dataclass(frozen=True)
class LaunchFile:
    name: str
    text: str


@dataclass
class Command:
    """One engine launch: the arguments (option, value or None for a switch) and the notes the
    operator needs beside it."""

    args: list[tuple[str, str | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, t: LaunchTemplate, setting: str, value: object = None) -> bool:
        """Add the template's option for `setting`; False (nothing added) when the engine has none."""
        option = t.options.get(setting)
        if option is None:
            return False
        self.args.append((option, None if value is None else str(value)))
        return True


def _value(t: LaunchTemplate, setting: str, ours: str) -> str | None:
    """The engine's spelling of one of procure's values (None: the engine has no such value)."""
    return t.values.get(setting, {}).get(ours)


def _spec_steps(spec: Mapping[str, Any]) -> int:
    return max(1, int(spec["draft_tokens"]) - 1)


def _common(c: Command, t: LaunchTemplate, row: Mapping[str, Any], *, kv_option: bool = True) -> None:
    """Caps, context, KV dtype and weight format: the same meaning in every engine (`kv_option`
    False: the engine takes the KV dtype in a configuration file, not an option)."""
    s = row["serving"]
    if row["role"] != "prefill":   # a prefill instance's batch is its prompt queue, not a decode cap
        c.add(t, "running_cap", s["max_running_requests"])
    if s.get("chunked_prefill_tokens"):
        c.add(t, "prefill_budget", s["chunked_prefill_tokens"])
    if s.get("context_tokens"):
        c.add(t, "context", s["context_tokens"])
    if s["kv_precision"] != "bf16" and kv_option:
        kv = _value(t, "kv_dtype", s["kv_precision"])
        if kv is None or not c.add(t, "kv_dtype", kv):
            c.notes.append(f"the plan keeps the KV cache in {s['kv_precision']}; this engine has no documented option for it")
    weights, published = row["precision"], s.get("checkpoint_precision")
    if published is not None and weights != published:
        method = _value(t, "quantization", weights)
        if method is not None:
            c.add(t, "quantization", method)
        c.notes.append(f"weights in {weights}: MODEL_PATH must hold the model quantised to {weights} (its own checkpoint is "
                       f"{published})" + (f"; launched with {t.options['quantization']} {method}" if method else ""))


def _sglang(t: LaunchTemplate, row: Mapping[str, Any], engine: str) -> Command:
    s, c = row["serving"], Command()
    c.add(t, "model", "$MODEL_PATH")
    stage = max(row["tp"], row["ep"])
    c.add(t, "tp", stage)   # SGLang's tensor-parallel size counts every card of a pipeline stage
    if row["pp"] > 1:
        c.add(t, "pp", row["pp"])
    if s["attention_dp"] > 1:
        c.add(t, "dp", s["attention_dp"])
        c.add(t, "dp_attention")
    if row["ep"] > 1:
        c.add(t, "ep", row["ep"])
        if s["attention_dp"] > 1 and (a2a := _value(t, "moe_a2a", "deepep")):
            c.add(t, "moe_a2a", a2a)
    _common(c, t, row)
    _speculative(c, t, s.get("speculative"))
    if s["servers_spanned"] > 1:
        c.add(t, "nnodes", s["servers_spanned"])
        c.add(t, "node_rank", "$NODE_RANK")
        c.add(t, "dist_addr", f"$HEAD_ADDR:{DIST_PORT}")
    if row["role"] in ("prefill", "decode"):
        c.add(t, "pd_mode", row["role"])
        backend = _value(t, "pd_backend", engine)
        if backend:
            c.add(t, "pd_backend", backend)
    c.add(t, "host", "0.0.0.0")
    c.add(t, "port", "$PORT")
    return c


def _speculative(c: Command, t: LaunchTemplate, spec: Mapping[str, Any] | None) -> None:
    if not spec:
        return
    algorithm = _value(t, "spec_algorithm", spec["method"])
    if algorithm is None:
        c.notes.append(f"the plan assumes {spec['method']} speculative decoding (accept length {spec['accept_len']}); "
                       "this engine's template has no spelling for it")
        return
    if "spec_config" in t.options:
        config = {"method": algorithm, "num_speculative_tokens": _spec_steps(spec)}
        c.add(t, "spec_config", json.dumps(config, separators=(",", ":")))
        return
    c.add(t, "spec_algorithm", algorithm)
    c.add(t, "spec_steps", _spec_steps(spec))
    c.add(t, "spec_topk", 1)
    c.add(t, "spec_draft", spec["draft_tokens"])


def _vllm(t: LaunchTemplate, row: Mapping[str, Any], engine: str) -> Command:
    s, c = row["serving"], Command()
    c.add(t, "tp", row["tp"])
    if row["pp"] > 1:
        c.add(t, "pp", row["pp"])
    dp = s["attention_dp"]
    if dp > 1:
        c.add(t, "dp", dp)
    if row["ep"] > 1:
        if row["ep"] == row["tp"] * dp:
            c.add(t, "enable_ep")
        else:
            c.notes.append(f"vLLM's expert parallelism spans all TP x DP ranks ({row['tp'] * dp}); the plan's EP{row['ep']} "
                           "inside TP has no vLLM option, so the experts are tensor-sliced (the same memory per card)")
    _common(c, t, row)
    _speculative(c, t, s.get("speculative"))
    servers, per_server = s["servers_spanned"], s.get("cards_per_server") or 0
    if servers > 1:
        if dp > 1 and per_server and row["tp"] <= per_server and row["pp"] == 1:
            local = dp // servers
            c.add(t, "dp_local", local)
            c.add(t, "dp_address", "$HEAD_ADDR")
            c.add(t, "dp_rpc_port", DIST_PORT)
            c.add(t, "dp_start_rank", f"$((NODE_RANK * {local}))")
            c.notes.append("on servers 1.. of a replica add --headless (they run engine cores, not the API server)")
        else:
            c.notes.append(f"TP/PP across {servers} servers runs on a Ray cluster: `ray start --head` on server 0, "
                           "`ray start --address=$HEAD_ADDR:6379` on the others, then this command on server 0 only")
            c.add(t, "backend", "ray")
    if row["role"] in ("prefill", "decode"):
        connector = _value(t, "kv_transfer_config", engine)
        if connector:
            c.add(t, "kv_transfer_config", json.dumps({"kv_connector": connector, "kv_role": "kv_both"}, separators=(",", ":")))
        c.notes.append("vLLM ships no prefill/decode router, only example proxies (vllm-ascend: "
                       "examples/disaggregated_prefill_v1/load_balance_proxy_server_example.py)")
    c.add(t, "host", "0.0.0.0")
    c.add(t, "port", "$PORT")
    return c


def _atom(t: LaunchTemplate, row: Mapping[str, Any], engine: str) -> Command:
    s, c = row["serving"], Command()
    c.add(t, "model", "$MODEL_PATH")
    c.add(t, "tp", row["tp"])   # as in vLLM, whose argument names ATOM follows: attention TP per data-parallel rank
    if s["attention_dp"] > 1:
        c.add(t, "dp", s["attention_dp"])
        c.add(t, "dp_attention")
    if row["ep"] > 1:
        c.add(t, "enable_ep")
    _common(c, t, row)
    spec = s.get("speculative")
    if spec and (algorithm := _value(t, "spec_algorithm", spec["method"])):
        c.add(t, "spec_algorithm", algorithm)
        c.add(t, "spec_draft", _spec_steps(spec))
    elif spec:
        c.notes.append(f"the plan assumes {spec['method']} speculative decoding; this ATOM release has no option for it")
    if codec := s.get("quantized_allreduce"):
        c.notes.append(f"the prediction counts on {codec.upper()} all-reduces, which ATOM's model runner turns on by itself "
                       f"for this model (AITER_QUICK_REDUCE_QUANTIZATION={codec.upper()}, over the environment: "
                       "atom/model_engine/model_runner.py); they are lossy on the wire, so check output quality")
    if s["servers_spanned"] > 1 or row["pp"] > 1 or row["role"] != "colocated":
        c.notes.append("this ATOM release documents single-server serving only; the plan's multi-server or split layout "
                       "needs SGLang with the ATOM backend (engine sglang-atom)")
    c.add(t, "host", "0.0.0.0")
    c.add(t, "port", "$PORT")
    return c


def _trtllm(t: LaunchTemplate, row: Mapping[str, Any], engine: str) -> tuple[Command, dict[str, Any]]:
    """trtllm-serve takes the split on its command line and the rest in an LLM-API YAML file."""
    s, c = row["serving"], Command()
    c.add(t, "model", "$MODEL_PATH")
    c.add(t, "backend", "pytorch")
    c.add(t, "tp", max(row["tp"], row["ep"]))
    if row["pp"] > 1:
        c.add(t, "pp", row["pp"])
    if row["ep"] > 1:
        c.add(t, "ep", row["ep"])
    _common(c, t, row, kv_option=False)
    extra: dict[str, Any] = {}
    if s["attention_dp"] > 1:
        extra["enable_attention_dp"] = True
    kv = _value(t, "kv_dtype", s["kv_precision"]) if s["kv_precision"] != "bf16" else None
    if kv:
        extra["kv_cache_config"] = {"dtype": kv}
    spec = s.get("speculative")
    if spec and (decoding := _value(t, "spec_algorithm", spec["method"])):
        extra["speculative_config"] = {"decoding_type": decoding, "num_nextn_predict_layers": _spec_steps(spec)}
    if s["servers_spanned"] > 1:
        c.notes.append(f"a replica over {s['servers_spanned']} servers is started by MPI or Slurm across them "
                       "(one rank per GPU), not by one command per server")
    c.add(t, "host", "0.0.0.0")
    c.add(t, "port", "$PORT")
    return c, extra


def _mindie(t: LaunchTemplate, row: Mapping[str, Any]) -> dict[str, Any]:
    """MindIE reads a config.json: the plan's values at the key paths the template names."""
    s = row["serving"]
    per_server = s.get("cards_per_server") or row["cards_per_replica"]
    settings: dict[str, Any] = {
        "model": "$MODEL_PATH", "world_size": min(row["cards_per_replica"], per_server), "ep": row["ep"],
        "running_cap": s["max_running_requests"], "prefill_budget": s.get("chunked_prefill_tokens"),
        "context": s.get("context_tokens"), "multi_node": s["servers_spanned"] > 1,
    }
    return {t.options[k]: v for k, v in settings.items() if k in t.options and v is not None}


def _shell(command: str, args: list[tuple[str, str | None]]) -> str:
    """The command with one option per line; $VARS and $((…)) stay unquoted so the shell expands them."""
    def word(v: str) -> str:
        return f'"{v}"' if "$" in v and '"' not in v else shlex.quote(v)
    lines = [command] + [f"{opt} {word(v)}" if v is not None else opt for opt, v in args]
    return " \\\n  ".join(lines)


def _design_label(row: Mapping[str, Any]) -> str:
    par = f"TP{row['tp']}" + (f" PP{row['pp']}" if row["pp"] > 1 else "") + (f" EP{row['ep']}" if row["ep"] > 1 else "")
    return f"{row['precision']} {par}, batch {row['batch']}"


def _header(doc: Mapping[str, Any], row: Mapping[str, Any], index: int, total: int, t: LaunchTemplate) -> list[str]:
    s, pred, central = row["serving"], row["predicted"], row.get("at_central_estimate") or {}
    servers = s["servers_spanned"]
    out = [
        f"procure export: {doc['scenario']} ({doc['model']}), design {index} of {total}: {row['offer']} {row['role']}",
        f"{_design_label(row)} on {row['cards_per_replica']} x {row['card']}; run {row['dp']} replica(s) of it, "
        f"{servers} server(s) each.",
        f"Engine {s['engine']}: {t.version}; options as documented in {t.provenance.source} ({t.provenance.date}).",
    ]
    def latencies(d: Mapping[str, Any]) -> str:
        return ", ".join(f"{name} {d[key]:,} ms" for name, key in (("TTFT", "ttft_ms"), ("TPOT", "tpot_ms")) if d.get(key) is not None)
    if latencies(pred):
        out.append(f"Predicted at confidence {doc.get('confidence')}: {latencies(pred)}"
                   + (f"; at the central estimate {latencies(central)}." if latencies(central) else "."))
    if servers > 1:
        out.append(f"On each of a replica's {servers} servers: NODE_RANK=0..{servers - 1} HEAD_ADDR=<server 0's address> "
                   "bash this-file")
    return out


def _script(doc: Mapping[str, Any], row: Mapping[str, Any], index: int, total: int, t: LaunchTemplate,
            command: Command) -> str:
    s = row["serving"]
    lines = ["#!/usr/bin/env bash", *(f"# {h}" for h in _header(doc, row, index, total, t))]
    lines += [f"# note: {n}" for n in [*command.notes, *t.notes]]
    lines += ["set -euo pipefail",
              f': "${{MODEL_PATH:?set MODEL_PATH to the {doc["model"]} weights in {row["precision"]}}}"']
    if s["servers_spanned"] > 1:
        lines += [': "${HEAD_ADDR:?set HEAD_ADDR to the address of server 0 of this replica}"',
                  f': "${{NODE_RANK:?set NODE_RANK to this server\'s index in the replica, 0..{s["servers_spanned"] - 1}}}"']
    lines.append(f'PORT="${{PORT:-{DEFAULT_PORT[t.style]}}}"')
    extra = t.extra_args.get(s["engine"], [])
    args = [*command.args, *_pairs(extra)]
    lines.append("exec " + _shell(t.command, args))  # a positional model path is part of the template's command
    return "\n".join(lines) + "\n"


def _pairs(extra: list[str]) -> list[tuple[str, str | None]]:
    """["--device", "npu", "--flag"] as (option, value) pairs."""
    out: list[tuple[str, str | None]] = []
    for word in extra:
        if word.startswith("-"):
            out.append((word, None))
        elif out and out[-1][1] is None:
            out[-1] = (out[-1][0], word)
    return out


def _router(doc: Mapping[str, Any], rows: list[Mapping[str, Any]], t: LaunchTemplate) -> LaunchFile | None:
    """The router in front of a split plan: one URL per prefill and decode replica."""
    r = t.router
    if r is None:
        return None
    port = DEFAULT_PORT[t.style]
    args: list[tuple[str, str | None]] = [(r.options["pd"], None)]
    for role, key in (("prefill", "prefill"), ("decode", "decode")):
        n = sum(row["dp"] for row in rows if row["role"] == role)
        for k in range(1, n + 1):
            args.append((r.options[key], f"http://${role.upper()}_{k}:{port}"))
    args += [(r.options["host"], "0.0.0.0"), (r.options["port"], str(ROUTER_PORT))]
    head = [f"procure export: {doc['scenario']}: the router of the prefill/decode split (one URL per replica).",
            "Set PREFILL_1.. and DECODE_1.. to the address of server 0 of each prefill and decode replica.",
            f"Options as documented in {r.provenance.source} ({r.provenance.date})."]
    text = "\n".join(["#!/usr/bin/env bash", *(f"# {h}" for h in head), "set -euo pipefail", "exec " + _shell(r.command, args)])
    return LaunchFile("router.sh", text + "\n")


def export_files(doc: Mapping[str, Any], templates: Mapping[str, LaunchTemplate]) -> list[LaunchFile]:
    """Every file of the export of a solve JSON's recommended plan (plans[0]), README last."""
    by_engine = {e: t for t in templates.values() for e in t.engines}
    rows = doc["plans"][0]["replicas"]
    files: list[LaunchFile] = []
    readme_rows = []
    for i, row in enumerate(rows, 1):
        engine = row["serving"]["engine"]
        t = by_engine.get(engine)
        role = "serve" if row["role"] == "colocated" else row["role"]
        stem = f"{i:02d}_{safe_part(str(row['offer']))}_{role}"
        if t is None:
            files.append(LaunchFile(f"{stem}.settings.json", json.dumps(row["serving"], indent=2, sort_keys=True) + "\n"))
            readme_rows.append((i, row, f"{stem}.settings.json", f"no launch template for {engine}: the settings to apply"))
            continue
        if t.style == "mindie":
            config = _mindie(t, row)
            files.append(LaunchFile(f"{stem}.config.json", json.dumps(config, indent=2, sort_keys=True) + "\n"))
            readme_rows.append((i, row, f"{stem}.config.json", f"{t.command}: set these keys in its config.json"))
            continue
        extra_yaml: dict[str, Any] = {}
        if t.style == "sglang":
            command = _sglang(t, row, engine)
        elif t.style == "vllm":
            command = _vllm(t, row, engine)
        elif t.style == "atom":
            command = _atom(t, row, engine)
        else:
            command, extra_yaml = _trtllm(t, row, engine)
            if extra_yaml:
                name = f"{stem}.extra.yaml"
                files.append(LaunchFile(name, _yaml(extra_yaml)))
                command.add(t, "extra_options", f"$(dirname \"$0\")/{name}")
        files.append(LaunchFile(f"{stem}.sh", _script(doc, row, i, len(rows), t, command)))
        readme_rows.append((i, row, f"{stem}.sh", f"{t.version}"))
    split = [r for r in rows if r["role"] in ("prefill", "decode")]
    if split:
        t = by_engine.get(split[0]["serving"]["engine"])
        router = _router(doc, split, t) if t is not None else None
        if router is not None:
            files.append(router)
    router_engine = None if not split or any(f.name == "router.sh" for f in files) else split[0]["serving"]["engine"]
    files.append(LaunchFile("README.md", _readme(doc, readme_rows, split_router=any(f.name == "router.sh" for f in files),
                                                 no_router_for=router_engine)))
    return files


def _yaml(data: Mapping[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(dict(data), sort_keys=True, default_flow_style=False)


def _readme(doc: Mapping[str, Any], rows: list[tuple[int, Mapping[str, Any], str, str]], *, split_router: bool,
            no_router_for: str | None = None) -> str:
    plan = doc["plans"][0]
    servers = ", ".join(f"{n} x {offer}" for offer, n in sorted(plan["servers"].items()) if n)
    lines = [
        f"# Launch files: {doc['scenario']}",
        "",
        f"The recommended plan of `{doc['scenario']}` ({doc['model']}): {servers}, RMB {plan['cost_rmb']:,}. "
        "Each design below has one file; run it on every server of each of its replicas.",
        "",
        "| # | offer | role | design | replicas | servers each | file | engine |",
        "|---:|---|---|---|---:|---:|---|---|",
    ]
    for i, row, name, engine in rows:
        lines.append(f"| {i} | {row['offer']} | {row['role']} | {_design_label(row)} | {row['dp']} | "
                     f"{row['serving']['servers_spanned']} | `{name}` | {engine} |")
    lines += [
        "",
        "Before launching: set `MODEL_PATH` to the weights in the precision each file names, and for a replica over "
        "several servers `HEAD_ADDR` (its server 0) and `NODE_RANK` (0, 1, … on each server). `PORT` has the engine's "
        "default. The running-request cap is the batch the plan was sized at: raising it trades TPOT for throughput.",
    ]
    if split_router:
        lines += ["", "`router.sh` starts the router of the prefill/decode split; clients send requests to it."]
    elif no_router_for:
        lines += ["", f"The plan splits prefill and decode, but procure has no router command for `{no_router_for}` "
                      "(catalog/launch.yaml): put the engine's own prefill/decode proxy in front of the replicas, one URL "
                      "per prefill and decode replica, and send requests to it."]
    prov = doc.get("provenance")
    lines += ["", str(prov.get("line", "") if isinstance(prov, Mapping) else prov or ""), ""]
    return "\n".join(lines)
