"""The solve report: Markdown for the committee and JSON for machines, functions of the result only.

Nothing here reads the clock: the same result renders to the same bytes. The wall time of the
solve goes to the terminal and to the JSON printed on stdout, not into the report files.
"""

from __future__ import annotations

import math
from typing import Any

from optimizer.designs import Design
from optimizer.efficiency import load_efficiency
from optimizer.scenario import offer_engine
from optimizer.solve import Plan, SolveResult
from optimizer.specs import load_cards

THIN_FIT_ROWS = 5  # a family fitted on fewer calibration rows than this gets a warning in reports


def _rmb(x: float) -> str:
    return f"RMB {x:,.0f}"


def _pct(headroom: float) -> str:
    return f"{round(headroom * 100) + 0:+d}%"  # + 0 turns -0 into 0


def _plan_rows(plan: Plan) -> list[dict[str, Any]]:
    rows = []
    for g in plan.groups:
        p = g.design.perf
        par = p.parallelism
        rows.append({
            "offer": g.design.offer_id,
            "role": g.design.role,
            "card": p.card_id,
            "precision": p.precision,
            "tp": par.tp,
            "pp": par.pp,
            "ep": par.ep,
            "dp": g.count,
            "cards_per_replica": par.cards,
            "batch": p.batch,
            "predicted": {
                "ttft_ms": None if g.design.role == "decode" else round(g.design.ttft_ms, 1),
                "tpot_ms": None if g.design.role == "prefill" else round(g.design.tpot_ms, 2),
                "output_tokens_per_s": round(g.design.output_tokens_per_s * g.count, 1),
                "requests_per_s": round((g.design.requests_per_s or p.requests_per_s) * g.count, 3),
            },
            "memory_gb_per_card": {
                "weights": round(p.memory.weights_gb, 2),
                "kv_cache": round(p.memory.kv_cache_gb, 2),
                "activations": round(p.memory.activations_gb, 2),
                "overhead": round(p.memory.overhead_gb, 2),
                "total": round(p.memory.total_gb, 2),
                "capacity": round(p.memory.capacity_gb, 2),
            },
            "bottleneck": p.bottleneck,
        })
    return rows


def plan_json(plan: Plan, result: SolveResult) -> dict[str, Any]:
    best = result.plans[0].cost_rmb if result.plans else None
    return {
        "rank": plan.rank,
        "cost_rmb": plan.cost_rmb,
        "capex_rmb": plan.capex_rmb,
        "gap_to_best_rmb": None if best is None else plan.cost_rmb - best,
        "servers": dict(sorted(plan.servers.items())),
        "cards": plan.cards,
        "served": round(plan.served, 3),
        "served_unit": result.scenario.workload.load.unit,
        "replicas": _plan_rows(plan),
    }


def to_json(result: SolveResult, *, include_timing: bool) -> dict[str, Any]:
    s = result.scenario
    out: dict[str, Any] = {
        "scenario": s.name,
        "model": result.model.id,
        "status": result.status,
        "objective_rmb": result.objective_rmb,
        "best_bound_rmb": result.best_bound_rmb,
        "designs_evaluated": len(result.designs),
        "plans": [plan_json(p, result) for p in result.plans],
        "bids": [
            {
                "offer": o.offer_id,
                "vendor": result.terms[o.offer_id].vendor,
                "card": result.terms[o.offer_id].card_id,
                "price_rmb_per_server": result.terms[o.offer_id].price_rmb_per_server,
                "price_kind": result.terms[o.offer_id].price_kind,
                "feasible": o.plan is not None,
                "cost_rmb": o.plan.cost_rmb if o.plan else None,
                "plan": plan_json(o.plan, result) if o.plan else None,
                "reason": o.reason,
            }
            for o in result.per_offer
        ],
        "diagnosis": None,
        "confidence": s.sla.confidence,
        "engines": engines_of(result),
        "central_estimate": None if result.central_plan is None else {
            "confidence": 0.5,
            "cost_rmb": result.central_plan.cost_rmb,
            "servers": dict(sorted(result.central_plan.servers.items())),
        },
    }
    if result.diagnosis:
        d = result.diagnosis
        out["diagnosis"] = {
            "binding": list(d.binding),
            "relaxations": list(d.relaxations),
            "offer_reasons": dict(sorted(d.offer_reasons.items())),
        }
    if include_timing:
        out["solve_seconds"] = round(result.solve_seconds, 3)
    return out


def recommendation(result: SolveResult) -> str:
    """The one-sentence answer: what to buy, total RMB, headroom against each SLA."""
    s = result.scenario
    if not result.plans:
        return "**No plan meets this scenario.** See the diagnosis below."
    p = result.plans[0]

    def fleet(owned: bool) -> str:
        return ", ".join(
            f"{n} × {oid} ({n * result.terms[oid].cards_per_server} × {result.terms[oid].card_id} in all)"
            for oid, n in p.servers.items() if result.terms[oid].owned is owned
        )

    bought, kept = fleet(False), fleet(True)
    buy = "; ".join(x for x in (bought, f"already owned: {kept}" if kept else "") if x)
    worst_ttft = max(g.design.ttft_ms for g in p.groups)
    worst_tpot = max(g.design.tpot_ms for g in p.groups)
    heads = []
    if s.sla.ttft_ms:
        heads.append(f"TTFT {worst_ttft:,.0f} ms vs {s.sla.ttft_ms:g} ms target ({_pct(1 - worst_ttft / s.sla.ttft_ms)} headroom)")
    if s.sla.tpot_ms:
        heads.append(f"TPOT {worst_tpot:.1f} ms vs {s.sla.tpot_ms:g} ms ({_pct(1 - worst_tpot / s.sla.tpot_ms)} headroom)")
    load = s.workload.load
    if s.objective.kind == "max_load":
        shape = "; ".join(f"{g.count} × {_shape(g.design)}" for g in p.groups)
        return (
            f"**Run {shape} on {buy}: serves {p.served:,.1f} {load.unit}, the most this fleet can within the SLAs** "
            f"({result.status}; cost {_rmb(p.cost_rmb)}). " + "; ".join(heads) + f" ({s.sla.statistic} latencies)."
        )
    heads.append(f"capacity {p.served:,.1f} {load.unit} vs {load.amount:g} needed ({_pct(p.served / load.amount - 1)})")
    verb = f"Buy {bought}" + (f" and use the {kept} already owned" if kept else "") if bought else f"Buy nothing: use the {kept} already owned"
    return (
        f"**{verb} for {_rmb(p.cost_rmb)}** ({result.status}). " + "; ".join(heads)
        + f" ({s.sla.statistic} latencies at confidence {s.sla.confidence:g})." + _range_sentence(result)
    )


def _range_sentence(result: SolveResult) -> str:
    """The answer as a range: the plan at the central estimate beside the one at the confidence."""
    central, best = result.central_plan, result.plans[0] if result.plans else None
    if central is None or best is None:
        return ""
    n_central, n_best = sum(central.servers.values()), sum(best.servers.values())
    return (
        f" Range: {n_central} server(s) for {_rmb(central.cost_rmb)} if the model's central estimate holds, "
        f"{n_best} for {_rmb(best.cost_rmb)} to meet the SLAs in {result.scenario.sla.confidence:.0%} of cases the "
        "model's held-out published runs suggest."
    )


def _shape(d: Design) -> str:
    par = d.perf.parallelism
    return f"TP{par.tp}/PP{par.pp}/EP{par.ep} {d.perf.precision} at batch {d.perf.batch} ({d.offer_id})"


def _candidates_table(result: SolveResult) -> list[str]:
    """Every SLA-compliant split, ranked by the load it alone would serve on the offered servers:
    the answer to "which TP/PP/EP on this fleet?"."""
    unit = result.scenario.workload.load.unit
    rows = []
    for d in result.candidates:
        t = result.terms[d.offer_id]
        replicas = t.available_servers * t.cards_per_server // d.cards
        if replicas:
            rows.append((replicas * d.capacity, d, replicas))
    rows.sort(key=lambda r: (-r[0], r[1].tpot_ms, r[1].ttft_ms, r[1].key))
    lines = [
        f"| split | cards per replica | replicas | {unit} served | TTFT ms | TPOT ms | bottleneck |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for served, d, replicas in rows:
        lines.append(
            f"| {_shape(d)} | {d.cards} | {replicas} | {served:,.1f} | {d.ttft_ms:,.0f} | {d.tpot_ms:.1f} | {d.perf.bottleneck} |"
        )
    return lines


def _ranked_table(result: SolveResult) -> list[str]:
    lines = [
        "| rank | offer / card | servers | cards | TP/PP/EP × DP | precision | batch | TTFT ms | TPOT ms | tokens/s | cost | gap to best |",
        "|---:|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    best = result.plans[0].cost_rmb
    for plan in result.plans:
        for i, row in enumerate(_plan_rows(plan)):
            first = i == 0
            servers = ", ".join(f"{n} × {oid}" for oid, n in plan.servers.items()) if first else ""
            lines.append(
                f"| {plan.rank if first else ''} | {row['offer']} / {row['card']} | {servers} | "
                f"{plan.cards if first else ''} | {_role_label(row['role'])}{row['tp']}/{row['pp']}/{row['ep']} × {row['dp']} | "
                f"{row['precision']} | {row['batch']} | {_ms(row['predicted']['ttft_ms'], 0)} | "
                f"{_ms(row['predicted']['tpot_ms'], 1)} | "
                f"{row['predicted']['output_tokens_per_s']:,.0f} | {_rmb(plan.cost_rmb) if first else ''} | "
                f"{(_rmb(plan.cost_rmb - best) if plan.rank > 1 else '—') if first else ''} |"
            )
    return lines


def plan_shape(plan: Plan) -> str:
    """'2 × TP8/PP1/EP1 fp8 b16; 1 × prefill: TP4/PP2/EP8 fp8 b1': what runs on the fleet."""
    return "; ".join(
        f"{g.count} × {_role_label(g.design.role)}TP{g.design.perf.parallelism.tp}/PP{g.design.perf.parallelism.pp}"
        f"/EP{g.design.perf.parallelism.ep} {g.design.perf.precision} b{g.design.perf.batch}"
        for g in plan.groups
    )


def _role_label(role: str) -> str:
    return "" if role == "colocated" else f"{role}: "


def _ms(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _breakdown(result: SolveResult, plan: Plan) -> list[str]:
    lines = []
    for g in plan.groups:
        p = g.design.perf
        m, d = p.memory, p.decode
        if g.design.role != "colocated":
            lines += _pool_breakdown(result, g.design, g.count)
            continue
        lines += [
            f"**{g.design.key}** × {g.count} — {p.cards} cards per replica over {p.servers_spanned} server(s), "
            f"compute in {p.compute_precision}, KV cache {p.kv_precision}",
            "",
            f"- memory per card: weights {m.weights_gb:.1f} GB + KV {m.kv_cache_gb:.1f} GB + activations "
            f"{m.activations_gb:.1f} GB + runtime {m.overhead_gb:.1f} GB = {m.total_gb:.1f} GB of {m.capacity_gb:.1f} GB usable",
            f"- decode step {d.total_s * 1e3:.1f} ms = max(memory {d.memory_s * 1e3:.1f}, compute {d.compute_s * 1e3:.1f}) "
            f"+ communication {d.communication_s * 1e3:.1f} + overhead {d.overhead_s * 1e3:.1f} ms — **{p.bottleneck}-bound**",
            f"- prefill of one prompt {p.prefill_s * 1e3:.0f} ms; TTFT with queueing {g.design.ttft_ms:.0f} ms; "
            f"TPOT with prefill interference {g.design.tpot_ms:.1f} ms; {p.output_tokens_per_s:,.0f} output tokens/s per replica",
            "",
        ]
    return lines


def _pool_breakdown(result: SolveResult, design: Design, count: int) -> list[str]:
    """A prefill or decode replica of a disaggregated plan."""
    p, m = design.perf, design.perf.memory
    head = (
        f"**{design.key}** × {count} — {design.role} replica, {p.cards} cards over {p.servers_spanned} server(s), "
        f"compute in {p.compute_precision}"
    )
    memory = (
        f"- memory per card: weights {m.weights_gb:.1f} GB + KV {m.kv_cache_gb:.1f} GB + activations {m.activations_gb:.1f} GB "
        f"+ runtime {m.overhead_gb:.1f} GB = {m.total_gb:.1f} GB of {m.capacity_gb:.1f} GB usable"
    )
    rate = design.requests_per_s or 0.0
    if design.role == "prefill":
        busy = rate * p.prefill_occupancy_s
        what = (
            f"- prefill of one prompt {p.prefill_s * 1e3:.0f} ms ({p.prefill.bottleneck}-bound); run {busy:.0%} busy so that TTFT with "
            f"queueing and the KV hand-over to a decode replica is {design.ttft_ms:,.0f} ms; {rate:.2f} prompts/s per replica"
        )
    else:
        d = p.decode
        what = (
            f"- decode only, batch {p.batch}: step {d.total_s * 1e3:.1f} ms = max(memory {d.memory_s * 1e3:.1f}, compute "
            f"{d.compute_s * 1e3:.1f}) + communication {d.communication_s * 1e3:.1f} + overhead {d.overhead_s * 1e3:.1f} ms "
            f"(no prefills in between) — **{p.bottleneck}-bound**; {rate:.2f} requests/s per replica"
        )
    return [head, "", memory, what, ""]


def _bids(result: SolveResult) -> list[str]:
    unit = result.scenario.workload.load.unit
    lines = [
        f"| offer | vendor | card | price / server | price kind | best plan | {unit} served | cost | gap to winner |",
        "|---|---|---|---:|---|---|---:|---:|---:|",
    ]
    winner = result.plans[0].cost_rmb if result.plans else None
    for o in result.per_offer:
        t = result.terms[o.offer_id]
        if o.plan:
            plan_txt = f"{o.plan.servers.get(o.offer_id, 0)} servers: {plan_shape(o.plan)}"
            gap = _rmb(o.plan.cost_rmb - winner) if winner is not None else "—"
            cost = _rmb(o.plan.cost_rmb)
        else:
            plan_txt, cost, gap = f"cannot serve: {o.reason}", "—", "—"
        served = f"{o.plan.served:,.1f}" if o.plan else "—"
        lines.append(
            f"| {o.offer_id} | {t.vendor} | {t.card_id} | {_rmb(t.price_rmb_per_server)} | {t.price_kind} | {plan_txt} | {served} | {cost} | {gap} |"
        )
    return lines


def _weights_check(result: SolveResult) -> list[str]:
    """Can the weights alone fit? Cards needed per precision, before any KV cache: the first test a
    proposal must pass (seed 002's 16 x 910B2 at BF16 and seed 004's one 4090 fail it)."""
    from optimizer.params import count_params
    from optimizer.specs import get_precision

    eff = load_efficiency().defaults
    total = count_params(result.model).total
    cards = load_cards()
    lines = ["| offer | precision | weights | usable per card | cards needed for weights alone |", "|---|---|---:|---:|---:|"]
    for oid, t in result.terms.items():
        card = cards[t.card_id]
        usable = card.mem_gb * eff.usable_mem_fraction - eff.runtime_overhead_gb
        for prec in result.scenario.precisions:
            weights_gb = total * get_precision(prec).bytes_per_param / 1e9
            runs = any(c in card.dense_tflops for c in get_precision(prec).compute)
            need = f"≥ {math.ceil(weights_gb / usable)} ({math.ceil(math.ceil(weights_gb / usable) / t.cards_per_server)} server(s))"
            lines.append(f"| {oid} | {prec} | {weights_gb:,.0f} GB | {usable:.1f} GB | {need if runs else 'not supported on this card'} |")
    return lines


def engines_of(result: SolveResult) -> dict[str, str]:
    """The engine profile each offer is planned with."""
    cards = load_cards()
    return {o.id: offer_engine(result.scenario, o, cards[o.card].family) for o in result.scenario.offers}


def model_note(result: SolveResult) -> str:
    """One line: which engine profiles and what the confidence band does to the answer."""
    s = result.scenario
    engines = ", ".join(f"{oid}: {eng}" for oid, eng in engines_of(result).items())
    spec = "" if not s.speculative.active else f", {s.speculative.method} speculative decoding at {s.speculative.accept_len:g} tokens/step"
    central = result.central_plan
    best = result.plans[0] if result.plans else None
    if central is not None and best is not None and s.objective.kind != "max_load":
        buy = ", ".join(f"{n} × {oid}" for oid, n in central.servers.items())
        span = (
            f" At the central estimate the cheapest plan is {buy} for {_rmb(central.cost_rmb)};"
            f" at confidence {s.sla.confidence:g} {_rmb(best.cost_rmb)}."
        )
    else:
        span = ""
    return (
        f"Performance model: engine profiles {engines}{spec}; designs meet the SLAs at confidence {s.sla.confidence:g} of the "
        "leave-one-source-out error band of their card family, engine and model class (a band says where the measured value "
        "fell in 80 % of held-out published runs)." + span
    )


def _warnings(result: SolveResult) -> list[str]:
    cards = load_cards()
    out = [f"- {model_note(result)}"]
    eff = load_efficiency()
    engines = engines_of(result)
    for oid, t in result.terms.items():
        card = cards[t.card_id]
        fam, eng = eff.families.get(card.family), eff.engines.get(engines[oid])
        fam_rows, eng_rows = (fam.rows if fam else 0), (eng.rows if eng else 0)
        if fam_rows < THIN_FIT_ROWS or eng_rows < THIN_FIT_ROWS:
            out.append(
                f"- {oid}: thin calibration ({card.family}: {fam_rows} rows, {engines[oid]}: {eng_rows} rows); "
                "its factors sit near the pooled values and its band is wide."
            )
        if "fp8" not in card.dense_tflops and "fp8" in result.scenario.precisions:
            out.append(f"- {oid}: {card.name} has no FP8 units; the FP8 checkpoint runs as INT8 (W8A8) or BF16 (twice the memory).")
        if card.scaleup.topology == "pcie":
            out.append(f"- {oid}: {card.name} has no NVLink-class link; tensor parallelism goes over PCIe.")
        if t.price_kind != "quote":
            out.append(f"- {oid}: price is a{'n' if t.price_kind == 'estimate' else ''} {t.price_kind}, not a firm quote.")
        out.append(f"- {oid}: export control — {card.export_control}")
    return out


def _assumptions(result: SolveResult) -> list[str]:
    eff = load_efficiency()
    cards = load_cards()
    s = result.scenario
    lines = [
        f"- Model: {result.model.name}, {result.model.provenance.source}.",
        f"- {model_note(result)}",
        f"- Workload: {s.workload.input_tokens} prompt + {s.workload.output_tokens} output tokens per request; KV memory sized "
        f"for {s.workload.context_tokens} tokens; load {s.workload.load.amount:g} {s.workload.load.unit}.",
        "- Serving model: continuous batching with prefill priority; a replica at concurrency b serves "
        "1 / (prefill + (O−1)·step/b) requests/s; TTFT adds half a step and an M/D/1 wait for the other users' prefills.",
        f"- Engine limits: {eff.defaults.usable_mem_fraction:.0%} of memory usable, {eff.defaults.runtime_overhead_gb:g} GB "
        f"runtime overhead per card ({eff.defaults.provenance.source}).",
    ]
    engines = engines_of(result)
    for oid in sorted(result.terms):
        card = cards[result.terms[oid].card_id]
        f = eff.resolve(card.family, engines[oid])
        lines.append(
            f"- {oid} ({card.name}): {card.mem_gb:g} GB, {card.mem_bw_gbs:,.0f} GB/s, dense TFLOPS "
            + ", ".join(f"{k} {v:g}" for k, v in sorted(card.dense_tflops.items()))
            + f" ({card.provenance['specs'].source}, {card.provenance['specs'].date}); factors for {card.family} × {engines[oid]}: "
            f"MBU {f.mbu:.2f}, MFU decode {f.mfu_decode:.2f}, prefill {f.mfu_prefill:.2f}, expert-stream share {f.expert_bw:.2f}, "
            f"{f.step_overhead_ms:.1f} ms per step + {f.moe_layer_us:.0f} µs per MoE layer, {f.ttft_overhead_ms:.0f} ms front end "
            f"(fitted on {eff.fit.rows} published rows from {eff.fit.sources} sources; {eff.fit.method})."
        )
    for o in s.offers:
        if o.price_note:
            lines.append(f"- Price of {o.id}: {o.price_note}")
    lines += [f"- Source: {src}" for src in s.sources]
    return lines


def render(result: SolveResult, links: tuple[tuple[str, str], ...] = ()) -> str:
    """The Markdown report; `links` (title, relative path) point to comparison and what-if reports
    made in the same run."""
    s = result.scenario
    lines = [f"# procure report: {s.name}", "", s.description or "", "", "## Recommendation", "", recommendation(result), ""]
    if result.plans:
        lines += [
            "## Ranked plans",
            "",
            f"Status {result.status}; objective {_rmb(result.objective_rmb or 0)}, best bound {_rmb(result.best_bound_rmb or 0)}; "
            f"{len(result.designs)} replica designs met memory and the SLAs.",
            "",
            *_ranked_table(result),
            "",
            "## Why: memory and latency of the recommended plan",
            "",
            *_breakdown(result, result.plans[0]),
        ]
        if s.objective.kind == "max_load":
            lines += ["## Every split on this fleet", "", *_candidates_table(result), ""]
    if result.diagnosis:
        d = result.diagnosis
        lines += ["## Diagnosis", "", f"Binding: {', '.join(d.binding)}.", ""]
        lines += [f"- {r}" for r in d.relaxations]
        lines += [f"- {oid}: {r}" for oid, r in sorted(d.offer_reasons.items())]
        lines.append("")
    lines += ["## Bids", "", *_bids(result), "", "## Do the weights fit at all?", "", *_weights_check(result), ""]
    lines += ["## Warnings", "", *_warnings(result), "", "## Assumptions and sources", "", *_assumptions(result), ""]
    if links:
        lines += ["## Further analysis", "", *[f"- [{title}]({path})" for title, path in links], ""]
    return "\n".join(lines)
