"""The solve report: Markdown for the committee and JSON for machines, functions of the result only.

Nothing here reads the clock: the same result renders to the same bytes. The wall time of the
solve goes to the terminal and to the JSON printed on stdout, not into the report files.

Page one carries the decision, its range, one row per bid (plan, cost, RMB per million output
tokens, break-even price when a comparison was made, top risk) and links to the plots; the detail,
a glossary, the assumptions and a provenance line (version, scenario and catalog hashes) follow.
`lang="zh"` gives the same report in Chinese with amounts in 万元.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimizer import units
from optimizer.plan.designs import output_tokens_per_s_of
from optimizer.plan.result import Design, Plan, SolveResult
from optimizer.report.format import DASH, money, ms, pct, table, unit_price
from optimizer.report.i18n import glossary, tr, word

if TYPE_CHECKING:
    from optimizer.analysis.compare import Comparison

THIN_FIT_ROWS = 5  # a family fitted on fewer calibration rows than this gets a warning in reports
LIFE_YEARS = 3  # the life over which a plan's cost is spread per output token (page one, footnote 1)
LIFE_S = LIFE_YEARS * 365 * 24 * 3600
SUPPLY_RISK_WORDS = ("grey-market", "banned", "not exportable", "not legally", "licence required", "restricted", "halted")


def _rmb(x: float) -> str:
    return money(x)


_AMOUNT = re.compile(r"RMB (\d{1,3}(?:,\d{3})*)(?![\d.,])")


def localize_amounts(text: str, lang: str) -> str:
    """Whole-RMB amounts the solver wrote into a sentence ('RMB 52,000,000'), in the report's unit."""
    if lang != "zh":
        return text
    return _AMOUNT.sub(lambda m: money(int(m.group(1).replace(",", "")), lang), text)


def _pct(headroom: float) -> str:
    return pct(headroom)


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
    per_mtok = rmb_per_million_output_tokens(plan)
    return {
        "rank": plan.rank,
        "cost_rmb": plan.cost_rmb,
        "capex_rmb": plan.capex_rmb,
        "energy_rmb": plan.cost_rmb - plan.capex_rmb,
        "gap_to_best_rmb": None if best is None else plan.cost_rmb - best,
        "servers": dict(sorted(plan.servers.items())),
        "cards": plan.cards,
        "served": round(plan.served, 3),
        "served_unit": result.scenario.workload.load.unit,
        "rmb_per_million_output_tokens": None if per_mtok is None else round(per_mtok, 4),
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
                "top_risk": top_risk(result, o.offer_id),
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
        "provenance": provenance(result),
    }
    if result.diagnosis:
        d = result.diagnosis
        out["diagnosis"] = {
            "binding": list(d.binding),
            "relaxations": list(d.relaxations),
            "offer_reasons": dict(sorted(d.offer_reasons.items())),
        }
    if result.single_vendor_plan is not None and result.mix_plan is not None:
        out["vendor_mix"] = {
            "min_saving_pct": s.constraints.mix_min_saving_pct,
            "cheapest_mix": plan_json(result.mix_plan, result),
            "best_single_vendor": plan_json(result.single_vendor_plan, result),
            "recommended": "mix" if result.plans and result.plans[0].servers == result.mix_plan.servers else "single_vendor",
        }
    if include_timing:
        out["solve_seconds"] = round(result.solve_seconds, 3)
    return out


# --------------------------------------------------------------------------------------------
# The decision


def recommendation(result: SolveResult, lang: str = "en") -> str:
    """The one-sentence answer: what to buy, total RMB, headroom against each SLA, and the range
    from the central estimate to the confidence the scenario asks for."""
    return decision(result, lang) + _range_sentence(result, lang)


def decision(result: SolveResult, lang: str = "en") -> str:
    """The recommendation without its range."""
    s = result.scenario
    if not result.plans:
        return tr(lang, "rec.none")
    p = result.plans[0]

    def fleet(owned: bool) -> str:
        return ", ".join(
            tr(lang, "rec.fleet", n=n, oid=oid, cards=n * result.terms[oid].cards_per_server, card=result.terms[oid].card_id)
            for oid, n in p.servers.items() if result.terms[oid].owned is owned
        )

    bought, kept = fleet(False), fleet(True)
    sep = tr(lang, "list_sep")
    buy = sep.join(x for x in (bought, tr(lang, "rec.owned", kept=kept) if kept else "") if x)
    worst_ttft = max(g.design.ttft_ms for g in p.groups)
    worst_tpot = max(g.design.tpot_ms for g in p.groups)
    heads: list[str] = []
    if s.sla.ttft_ms:
        heads.append(tr(lang, "rec.ttft", x=f"{worst_ttft:,.0f}", t=f"{s.sla.ttft_ms:g}", h=pct(1 - worst_ttft / s.sla.ttft_ms)))
    if s.sla.tpot_ms:
        heads.append(tr(lang, "rec.tpot", x=f"{worst_tpot:.1f}", t=f"{s.sla.tpot_ms:g}", h=pct(1 - worst_tpot / s.sla.tpot_ms)))
    load = s.workload.load
    unit = word(lang, "unit", load.unit)
    status, stat = word(lang, "status", result.status), word(lang, "stat", s.sla.statistic)
    if s.objective.kind == "max_load":
        shape = sep.join(f"{g.count} × {_shape(g.design)}" for g in p.groups)
        return tr(lang, "rec.max_load", shape=shape, buy=buy, served=f"{p.served:,.1f}", unit=unit, status=status,
                  cost=money(p.cost_rmb, lang), heads=sep.join(heads), stat=stat)
    heads.append(tr(lang, "rec.capacity", served=f"{p.served:,.1f}", unit=unit, amount=f"{load.amount:g}",
                    h=pct(p.served / load.amount - 1)))
    if bought:
        verb = tr(lang, "rec.buy_and_keep", bought=bought, kept=kept) if kept else tr(lang, "rec.buy", bought=bought)
    else:
        verb = tr(lang, "rec.keep_only", kept=kept)
    return tr(lang, "rec.sentence", verb=verb, cost=money(p.cost_rmb, lang), status=status, heads=sep.join(heads),
              stat=stat, conf=f"{s.sla.confidence:g}")


def vendor_mix_sentence(result: SolveResult, lang: str = "en") -> str:
    """When the cheapest plan mixes vendors: the best single-vendor plan beside it, and which one
    is recommended under constraints.mix_min_saving_pct ('' when no mix was cheapest)."""
    single, mix = result.single_vendor_plan, result.mix_plan
    if single is None or mix is None or not result.plans:
        return ""

    def fleet(p: Plan) -> str:
        return tr(lang, "list_sep").join(f"{n} × {oid}" for oid, n in sorted(p.servers.items()) if n)

    saving = f"{100.0 * (single.cost_rmb - mix.cost_rmb) / single.cost_rmb:.1f} %" if single.cost_rmb else "0 %"
    limit = f"{result.scenario.constraints.mix_min_saving_pct:g}"
    if result.plans[0].servers == mix.servers:
        return tr(lang, "rec.mix_kept", fleet=fleet(single), cost=money(single.cost_rmb, lang), saving=saving, min=limit)
    return tr(lang, "rec.mix_declined", fleet=fleet(mix), cost=money(mix.cost_rmb, lang), saving=saving, min=limit)


def _range_sentence(result: SolveResult, lang: str = "en") -> str:
    """The answer as a range: the plan at the central estimate beside the one at the confidence."""
    central, best = result.central_plan, result.plans[0] if result.plans else None
    if central is None or result.scenario.objective.kind == "max_load":
        return ""  # the most load a fleet serves is not a cost question
    if best is None:
        return tr(
            lang, "rec.range_central_only", n_central=sum(central.servers.values()), cost_central=money(central.cost_rmb, lang),
            conf=f"{result.scenario.sla.confidence:.0%}",
        )
    return tr(
        lang, "rec.range", n_central=sum(central.servers.values()), cost_central=money(central.cost_rmb, lang),
        n_best=sum(best.servers.values()), cost_best=money(best.cost_rmb, lang), conf=f"{result.scenario.sla.confidence:.0%}",
    )


def tco_split(result: SolveResult, plan: Plan, lang: str = "en") -> str:
    """Capex and energy of a plan under a TCO objective ('' otherwise)."""
    obj = result.scenario.objective
    if obj.kind != "tco":
        return ""
    return tr(
        lang, "rec.tco_split", total=money(plan.cost_rmb, lang), capex=money(plan.capex_rmb, lang),
        energy=money(plan.cost_rmb - plan.capex_rmb, lang), years=f"{obj.years:g}", pue=f"{obj.pue:g}",
        kwh=f"{obj.rmb_per_kwh:g}",
    )


# --------------------------------------------------------------------------------------------
# One row per bid


def rmb_per_million_output_tokens(plan: Plan) -> float | None:
    """Plan cost over the output tokens its replicas can produce in LIFE_YEARS at full utilisation."""
    tok_s = output_tokens_per_s_of([(g.design, g.count) for g in plan.groups])
    if tok_s <= 0:
        return None
    return plan.cost_rmb / units.to_millions(tok_s * LIFE_S)


def bid_risks(result: SolveResult, offer_id: str, lang: str = "en") -> list[str]:
    """What could go wrong with a bid, most serious first: supply (export control), a thin
    calibration, a price that is not a quote, no FP8 units, PCIe only, the software ecosystem.
    The same facts the Warnings section lists, ranked."""
    t = result.terms[offer_id]
    card = result.problem.catalog.cards[t.card_id]
    out = []
    export = card.export_control
    if any(w in export.lower() for w in SUPPLY_RISK_WORDS):
        out.append(tr(lang, "risk.export", text=export.split(". ")[0].rstrip(".") + "."))
    fam_rows, eng_rows, engine = _calibration_rows(result, offer_id)
    if fam_rows < THIN_FIT_ROWS or eng_rows < THIN_FIT_ROWS:
        out.append(tr(lang, "risk.thin", family=card.family, fam_rows=fam_rows, engine=engine, eng_rows=eng_rows))
    if t.price_kind != "quote":
        out.append(tr(lang, "risk.price", n="n" if t.price_kind == "estimate" else "", kind=word(lang, "kind", t.price_kind)))
    if "fp8" not in card.dense_tflops and "fp8" in result.scenario.precisions:
        out.append(tr(lang, "risk.no_fp8"))
    if card.scaleup.topology == "pcie":
        out.append(tr(lang, "risk.pcie"))
    eco = result.problem.catalog.ecosystems.get(card.family)
    if eco:
        out.append(tr(lang, "risk.ecosystem", text=eco.note))
    return out


def top_risk(result: SolveResult, offer_id: str, lang: str = "en") -> str:
    risks = bid_risks(result, offer_id, lang)
    return risks[0] if risks else tr(lang, "risk.none")


def _calibration_rows(result: SolveResult, offer_id: str) -> tuple[int, int, str]:
    card = result.problem.catalog.cards[result.terms[offer_id].card_id]
    eff = result.problem.catalog.efficiency
    engine = engines_of(result)[offer_id]
    fam, eng = eff.families.get(card.family), eff.engines.get(engine)
    return (fam.rows if fam else 0), (eng.rows if eng else 0), engine


def bid_table(result: SolveResult, lang: str = "en", comparison: Comparison | None = None) -> list[str]:
    """Page one's table: one row per bid with its own best plan. With a comparison, a break-even
    column; under a TCO objective, capex, energy and TCO columns."""
    s = result.scenario
    tco = s.objective.kind == "tco"
    head = [tr(lang, f"bids.col.{k}") for k in ("bid", "vendor", "card", "price", "plan", "servers")]
    align = "lllrlr"
    if tco:
        head += [tr(lang, "bids.col.capex"), tr(lang, "bids.col.energy", years=f"{s.objective.years:g}"), tr(lang, "bids.col.tco")]
        align += "rrr"
    else:
        head.append(tr(lang, "bids.col.cost"))
        align += "r"
    head.append(tr(lang, "bids.col.per_mtok"))
    align += "r"
    rows_by_offer = {r.offer_id: r for r in comparison.rows} if comparison is not None else {}
    if comparison is not None:
        head.append(tr(lang, "bids.col.break_even"))
        align += "r"
    head.append(tr(lang, "bids.col.risk"))
    align += "l"
    rows = []
    for o in result.per_offer:
        t = result.terms[o.offer_id]
        row: list[object] = [o.offer_id, t.vendor, t.card_id, money(t.price_rmb_per_server, lang)]
        if o.plan is None:
            row += [tr(lang, "bids.cannot", reason=localize_amounts(o.reason or "", lang)), DASH]
            row += [DASH] * (3 if tco else 1) + [DASH]
        else:
            row += [plan_shape(o.plan), f"{o.plan.servers.get(o.offer_id, 0)} / {o.plan.cards}"]
            if tco:
                row += [money(o.plan.capex_rmb, lang), money(o.plan.cost_rmb - o.plan.capex_rmb, lang), money(o.plan.cost_rmb, lang)]
            else:
                row.append(money(o.plan.cost_rmb, lang))
            row.append(unit_price(rmb_per_million_output_tokens(o.plan), lang))
        if comparison is not None:
            row.append(break_even_cell(comparison, o.offer_id, lang) if o.offer_id in rows_by_offer else DASH)
        row.append(top_risk(result, o.offer_id, lang))
        rows.append(row)
    return table(head, align, rows)


def break_even_cell(comparison: Comparison, offer_id: str, lang: str = "en") -> str:
    row = next(r for r in comparison.rows if r.offer_id == offer_id)
    if row.plan is None:
        return DASH
    if offer_id == comparison.winner:
        return tr(lang, "winner")
    if row.break_even_rmb_per_server is not None:
        return tr(lang, "bids.be_bid", be=money(row.break_even_rmb_per_server, lang), price=money(row.price_rmb_per_server, lang))
    return row.break_even_note or DASH


def bid_notes(lang: str = "en", with_break_even: bool = False) -> list[str]:
    notes = [tr(lang, "bids.note.per_mtok")]
    if with_break_even:
        notes += ["", tr(lang, "bids.note.break_even")]
    return notes


def default_plots(result: SolveResult, links: Sequence[tuple[str, str]], stem: str | None = None) -> list[tuple[str, str]]:
    """The what-if PNGs the scenario's analysis section makes `procure solve` write beside the
    report, as (key, relative path): found from the what-if report's link, or from `stem` (the
    scenario file's stem) when given."""
    a = result.scenario.analysis
    prefix = f"{stem}_whatif" if stem else next((path[: -len(".md")] for _, path in links if path.endswith("_whatif.md")), None)
    if prefix is None:
        return []
    out = []
    if a.budget_sweep_rmb:
        out += [("plot.budget", f"{prefix}_budget.png"), ("plot.budget_pareto", f"{prefix}_budget_pareto.png")]
    if a.tpot_sweep_ms:
        out.append(("plot.tpot", f"{prefix}_tpot.png"))
    return out


def plot_lines(plots: Sequence[tuple[str, str]], lang: str = "en") -> list[str]:
    """Markdown images; a title that is a message key is translated."""
    if not plots:
        return []
    lines = [tr(lang, "plots.intro"), ""]
    for title, path in plots:
        text = tr(lang, title) if title.startswith("plot.") else title
        lines += [f"![{text}]({path})", ""]
    return lines


# --------------------------------------------------------------------------------------------
# Detail


def _shape(d: Design) -> str:
    par = d.perf.parallelism
    return f"TP{par.tp}/PP{par.pp}/EP{par.ep} {d.perf.precision} at batch {d.perf.batch} ({d.offer_id})"


def _cols(lang: str, key: str, **kw: object) -> list[str]:
    return tr(lang, key, **kw).split("|")


def _candidates_table(result: SolveResult, lang: str = "en") -> list[str]:
    """Every SLA-compliant split, ranked by the load it alone would serve on the offered servers:
    the answer to "which TP/PP/EP on this fleet?"."""
    unit = word(lang, "unit", result.scenario.workload.load.unit)
    found = []
    for d in result.candidates:
        t = result.terms[d.offer_id]
        replicas = t.available_servers * t.cards_per_server // d.cards
        if replicas:
            found.append((replicas * d.capacity, d, replicas))
    found.sort(key=lambda r: (-r[0], r[1].tpot_ms, r[1].ttft_ms, r[1].key))
    rows = [
        [_shape(d), d.cards, replicas, f"{served:,.1f}", f"{d.ttft_ms:,.0f}", f"{d.tpot_ms:.1f}", d.perf.bottleneck]
        for served, d, replicas in found
    ]
    return table(_cols(lang, "splits.cols", unit=unit), "lrrrrrl", rows)


def _ranked_table(result: SolveResult, lang: str = "en") -> list[str]:
    best = result.plans[0].cost_rmb
    rows = []
    for plan in result.plans:
        for i, row in enumerate(_plan_rows(plan)):
            first = i == 0
            servers = ", ".join(f"{n} × {oid}" for oid, n in plan.servers.items()) if first else ""
            rows.append([
                plan.rank if first else "", f"{row['offer']} / {row['card']}", servers, plan.cards if first else "",
                f"{_role_label(row['role'])}{row['tp']}/{row['pp']}/{row['ep']} × {row['dp']}", row["precision"], row["batch"],
                ms(row["predicted"]["ttft_ms"], 0), ms(row["predicted"]["tpot_ms"], 1),
                f"{row['predicted']['output_tokens_per_s']:,.0f}", money(plan.cost_rmb, lang) if first else "",
                (money(plan.cost_rmb - best, lang) if plan.rank > 1 else DASH) if first else "",
            ])
    return table(_cols(lang, "ranked.cols"), "rlrrllrrrrrr", rows)


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
    return ms(value, digits)


def _memory_line(design: Design, lang: str) -> str:
    m = design.perf.memory
    return tr(lang, "bd.memory", w=f"{m.weights_gb:.1f}", kv=f"{m.kv_cache_gb:.1f}", a=f"{m.activations_gb:.1f}",
              o=f"{m.overhead_gb:.1f}", t=f"{m.total_gb:.1f}", c=f"{m.capacity_gb:.1f}")


def _breakdown(result: SolveResult, plan: Plan, lang: str = "en") -> list[str]:
    lines = []
    for g in plan.groups:
        p = g.design.perf
        d = p.decode
        if g.design.role != "colocated":
            lines += _pool_breakdown(result, g.design, g.count, lang)
            continue
        lines += [
            tr(lang, "bd.head", key=g.design.key, count=g.count, cards=p.cards, servers=p.servers_spanned,
               cp=p.compute_precision, kv=p.kv_precision),
            "",
            _memory_line(g.design, lang),
            tr(lang, "bd.decode", s=f"{units.s_to_ms(d.total_s):.1f}", m=f"{units.s_to_ms(d.memory_s):.1f}", c=f"{units.s_to_ms(d.compute_s):.1f}",
               x=f"{units.s_to_ms(d.communication_s):.1f}", o=f"{units.s_to_ms(d.overhead_s):.1f}", b=word(lang, "bn", p.bottleneck)),
            tr(lang, "bd.prefill", p=f"{units.s_to_ms(p.prefill_s):.0f}", ttft=f"{g.design.ttft_ms:.0f}", tpot=f"{g.design.tpot_ms:.1f}",
               tok=f"{p.output_tokens_per_s:,.0f}"),
            "",
        ]
    return lines


def _pool_breakdown(result: SolveResult, design: Design, count: int, lang: str = "en") -> list[str]:
    """A prefill or decode replica of a disaggregated plan."""
    p = design.perf
    head = tr(lang, "bd.pool_head", key=design.key, count=count, role=design.role, cards=p.cards, servers=p.servers_spanned,
              cp=p.compute_precision)
    rate = design.requests_per_s or 0.0
    if design.role == "prefill":
        busy = rate * p.prefill_occupancy_s
        what = tr(lang, "bd.pool_prefill", p=f"{units.s_to_ms(p.prefill_s):.0f}", b=word(lang, "bn", p.prefill.bottleneck), busy=f"{busy:.0%}",
                  ttft=f"{design.ttft_ms:,.0f}", rate=f"{rate:.2f}")
    else:
        d = p.decode
        what = tr(lang, "bd.pool_decode", batch=p.batch, s=f"{units.s_to_ms(d.total_s):.1f}", m=f"{units.s_to_ms(d.memory_s):.1f}",
                  c=f"{units.s_to_ms(d.compute_s):.1f}", x=f"{units.s_to_ms(d.communication_s):.1f}", o=f"{units.s_to_ms(d.overhead_s):.1f}",
                  b=word(lang, "bn", p.bottleneck), rate=f"{rate:.2f}")
    return [head, "", _memory_line(design, lang), what, ""]


def _weights_check(result: SolveResult, lang: str = "en") -> list[str]:
    """Can the weights alone fit? Cards needed per precision, before any KV cache: the first test a
    proposal must pass (seed 002's 16 x 910B2 at BF16 and seed 004's one 4090 fail it)."""
    from optimizer.arch import count_params

    eff = result.problem.catalog.efficiency.defaults
    total = count_params(result.model).total
    cards = result.problem.catalog.cards
    rows = []
    for oid, t in result.terms.items():
        card = cards[t.card_id]
        usable = card.mem_gb * eff.usable_mem_fraction - eff.runtime_overhead_gb
        for prec in result.scenario.precisions:
            weights_gb = units.bytes_to_gb(total * result.problem.catalog.precision(prec).bytes_per_param)
            runs = any(c in card.dense_tflops for c in result.problem.catalog.precision(prec).compute)
            n_cards = math.ceil(weights_gb / usable)
            need = tr(lang, "weights.need", cards=n_cards, servers=math.ceil(n_cards / t.cards_per_server))
            rows.append([oid, prec, f"{weights_gb:,.0f} GB", f"{usable:.1f} GB", need if runs else tr(lang, "weights.unsupported")])
    return table(_cols(lang, "weights.cols"), "llrrr", rows)


def engines_of(result: SolveResult) -> dict[str, str]:
    """The engine profile each offer is planned with."""
    return {v.id: v.engine_id for v in result.problem.offers}


def model_note(result: SolveResult, lang: str = "en") -> str:
    """One line: which engine profiles and what the confidence band does to the answer."""
    s = result.scenario
    engines = ", ".join(f"{oid}: {eng}" for oid, eng in engines_of(result).items())
    spec = "" if not s.speculative.active else tr(lang, "note.spec", method=s.speculative.method, accept=f"{s.speculative.accept_len:g}")
    central = result.central_plan
    best = result.plans[0] if result.plans else None
    if central is not None and best is not None and s.objective.kind != "max_load":
        buy = ", ".join(f"{n} × {oid}" for oid, n in central.servers.items())
        span = tr(lang, "note.span", buy=buy, central=money(central.cost_rmb, lang), conf=f"{s.sla.confidence:g}",
                  best=money(best.cost_rmb, lang))
    else:
        span = ""
    return tr(lang, "note.model", engines=engines, spec=spec, conf=f"{s.sla.confidence:g}", span=span)


def _warnings(result: SolveResult, lang: str = "en") -> list[str]:
    cards = result.problem.catalog.cards
    out = [f"- {model_note(result, lang)}"]
    for oid, t in result.terms.items():
        card = cards[t.card_id]
        fam_rows, eng_rows, engine = _calibration_rows(result, oid)
        if fam_rows < THIN_FIT_ROWS or eng_rows < THIN_FIT_ROWS:
            out.append(tr(lang, "warn.thin", oid=oid, family=card.family, fam_rows=fam_rows, engine=engine, eng_rows=eng_rows))
        if "fp8" not in card.dense_tflops and "fp8" in result.scenario.precisions:
            out.append(tr(lang, "warn.no_fp8", oid=oid, card=card.name))
        if card.scaleup.topology == "pcie":
            out.append(tr(lang, "warn.pcie", oid=oid, card=card.name))
        if t.price_kind != "quote":
            out.append(tr(lang, "warn.price", oid=oid, n="n" if t.price_kind == "estimate" else "", kind=word(lang, "kind", t.price_kind)))
        out.append(tr(lang, "warn.export", oid=oid, text=card.export_control))
    return out


def _assumptions(result: SolveResult, lang: str = "en") -> list[str]:
    eff = result.problem.catalog.efficiency
    cards = result.problem.catalog.cards
    s = result.scenario
    lines = [
        tr(lang, "asm.model", name=result.model.name, source=result.model.provenance.source),
        f"- {model_note(result, lang)}",
        tr(lang, "asm.workload", inp=s.workload.input_tokens, out=s.workload.output_tokens, ctx=s.workload.context_tokens,
           amount=f"{s.workload.load.amount:g}", unit=word(lang, "unit", s.workload.load.unit)),
        tr(lang, "asm.serving"),
        tr(lang, "asm.limits", usable=f"{eff.defaults.usable_mem_fraction:.0%}", overhead=f"{eff.defaults.runtime_overhead_gb:g}",
           source=eff.defaults.provenance.source),
    ]
    engines = engines_of(result)
    for oid in sorted(result.terms):
        card = cards[result.terms[oid].card_id]
        f = eff.resolve(card.family, engines[oid])
        lines.append(tr(
            lang, "asm.card", oid=oid, card=card.name, mem=f"{card.mem_gb:g}", bw=f"{card.mem_bw_gbs:,.0f}",
            tflops=", ".join(f"{k} {v:g}" for k, v in sorted(card.dense_tflops.items())),
            source=card.provenance["specs"].source, date=card.provenance["specs"].date, family=card.family, engine=engines[oid],
            mbu=f"{f.mbu:.2f}", mfu_d=f"{f.mfu_decode:.2f}", mfu_p=f"{f.mfu_prefill:.2f}", ebw=f"{f.expert_bw:.2f}",
            step=f"{f.step_overhead_ms:.1f}", moe=f"{f.moe_layer_us:.0f}", fe=f"{f.ttft_overhead_ms:.0f}",
            rows=eff.fit.rows, sources=eff.fit.sources, method=eff.fit.method,
        ))
    for o in s.offers:
        if o.price_note:
            lines.append(tr(lang, "asm.price", oid=o.id, note=o.price_note))
    lines += [tr(lang, "asm.source", src=src) for src in s.sources]
    return lines


# --------------------------------------------------------------------------------------------
# Provenance


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def scenario_hash(result: SolveResult) -> str:
    """Short sha256 of the scenario as solved, with its model spec in place of a model path (so the
    hash does not depend on where the files sit)."""
    doc = json.loads(result.scenario.model_dump_json())
    doc["model"] = json.loads(result.model.model_dump_json())
    return _sha(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8"))


def catalog_hash(root: Path) -> tuple[str, int]:
    """Short sha256 over the catalog's files (sorted relative paths and their bytes) and the count."""
    files = sorted(
        p for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.relative_to(root).parts and p.suffix != ".pyc"
    )
    h = hashlib.sha256()
    for p in files:
        rel = p.relative_to(root).as_posix().encode("utf-8")
        data = p.read_bytes()
        h.update(len(rel).to_bytes(8, "big") + rel + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()[:12], len(files)


def procure_version() -> str:
    try:
        return metadata.version("procure")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def provenance(result: SolveResult, lang: str = "en") -> str:
    """'Provenance: procure 0.1.0; scenario sha256 …; catalog sha256 … (58 files).' No timestamp."""
    cat, files = catalog_hash(result.problem.catalog.root)
    return tr(lang, "provenance", version=procure_version(), scenario=scenario_hash(result), catalog=cat, files=files)


# --------------------------------------------------------------------------------------------
# The report


def render(
    result: SolveResult, links: tuple[tuple[str, str], ...] = (), *, lang: str = "en",
    comparison: Comparison | None = None, plots: Sequence[tuple[str, str]] | None = None,
) -> str:
    """The Markdown report; `links` (title, relative path) point to comparison and what-if reports
    made in the same run. `comparison` (the same scenario's bid comparison) adds the break-even
    column to the bid table; `plots` (title or message key, relative path) are the PNGs to show on
    page one, by default those of the scenario's analysis section when a what-if report is linked."""
    s = result.scenario
    tr(lang, "h.report", name="")  # an unknown language fails before any work
    lines = [f"# {tr(lang, 'h.report', name=s.name)}", "", s.description or "", "", f"## {tr(lang, 'h.recommendation')}", ""]
    lines += [decision(result, lang), ""]
    span = _range_sentence(result, lang).strip()
    if span:
        lines += [span, ""]
    if result.plans and s.objective.kind == "tco":
        lines += [tco_split(result, result.plans[0], lang), ""]
    mix = vendor_mix_sentence(result, lang)
    if mix:
        lines += [mix, ""]
    lines += [f"## {tr(lang, 'h.bids')}", "", tr(lang, "bids.intro"), "", *bid_table(result, lang, comparison), ""]
    lines += [*bid_notes(lang, comparison is not None), ""]
    shown = default_plots(result, links) if plots is None else list(plots)
    if shown:
        lines += [f"## {tr(lang, 'h.plots')}", "", *plot_lines(shown, lang)]
    if links:
        lines += [f"## {tr(lang, 'h.further')}", "", *[f"- [{title}]({path})" for title, path in links], ""]
    if result.plans:
        lines += [
            f"## {tr(lang, 'h.ranked')}",
            "",
            tr(lang, "ranked.status", status=word(lang, "status", result.status), objective=money(result.objective_rmb or 0, lang),
               bound=money(result.best_bound_rmb or 0, lang), n=len(result.designs)),
            "",
            *_ranked_table(result, lang),
            "",
            f"## {tr(lang, 'h.why')}",
            "",
            *_breakdown(result, result.plans[0], lang),
        ]
        if s.objective.kind == "max_load":
            lines += [f"## {tr(lang, 'h.splits')}", "", *_candidates_table(result, lang), ""]
    if result.diagnosis:
        d = result.diagnosis
        lines += [f"## {tr(lang, 'h.diagnosis')}", "", tr(lang, "diag.binding", binding=", ".join(d.binding)), ""]
        lines += [f"- {localize_amounts(r, lang)}" for r in d.relaxations]
        lines += [f"- {oid}: {localize_amounts(r, lang)}" for oid, r in sorted(d.offer_reasons.items())]
        lines.append("")
    lines += [f"## {tr(lang, 'h.weights')}", "", *_weights_check(result, lang), ""]
    lines += [f"## {tr(lang, 'h.warnings')}", "", *_warnings(result, lang), ""]
    lines += [f"## {tr(lang, 'h.glossary')}", "", *glossary(lang), ""]
    lines += [f"## {tr(lang, 'h.assumptions')}", "", *_assumptions(result, lang), ""]
    lines += [provenance(result, lang), ""]
    return "\n".join(lines)
