"""The detail of a solve: the ranked plans, every split on a fixed fleet (most-load objective), and
why the recommended plan holds: memory and latency of each replica."""

from __future__ import annotations

from optimizer import units
from optimizer.plan.result import Design, Plan, SolveResult
from optimizer.report.format import DASH, money, ms, table
from optimizer.report.i18n import columns, tr, word
from optimizer.report.shapes import design_label, role_label
from optimizer.report.solve_json import plan_rows


def candidates_table(result: SolveResult, lang: str = "en") -> list[str]:
    """Every SLA-compliant split, ranked by the load it alone would serve on the offered servers:
    the answer to "which TP/PP/EP on this fleet?"."""
    unit = word(lang, "unit", result.scenario.workload.load.unit)
    found = []
    for d in result.candidates:
        t = result.terms[d.offer_id]
        replicas = t.available_servers * t.cards_per_server // d.cards
        if replicas:
            found.append((replicas * d.capacity, d, replicas))
    found.sort(key=lambda r: (-r[0], r[1].tpot_ms or 0.0, r[1].ttft_ms or 0.0, r[1].key))
    rows = [
        [design_label(d), d.cards, replicas, f"{served:,.1f}", ms(d.ttft_ms, 0), _plain(d.tpot_ms, 1), d.perf.bottleneck]
        for served, d, replicas in found
    ]
    return table(columns(lang, "splits.cols", unit=unit), "lrrrrrl", rows)


def ranked_table(result: SolveResult, lang: str = "en") -> list[str]:
    best = result.plans[0].cost_rmb
    rows = []
    for plan in result.plans:
        for i, row in enumerate(plan_rows(plan)):
            first = i == 0
            servers = ", ".join(f"{n} × {oid}" for oid, n in plan.servers.items()) if first else ""
            rows.append([
                plan.rank if first else "", f"{row['offer']} / {row['card']}", servers, plan.cards if first else "",
                f"{role_label(row['role'])}{row['tp']}/{row['pp']}/{row['ep']} × {row['dp']}", row["precision"], row["batch"],
                ms(row["predicted"]["ttft_ms"], 0), ms(row["predicted"]["tpot_ms"], 1),
                f"{row['predicted']['output_tokens_per_s']:,.0f}", money(plan.cost_rmb, lang) if first else "",
                (money(plan.cost_rmb - best, lang) if plan.rank > 1 else DASH) if first else "",
            ])
    return table(columns(lang, "ranked.cols"), "rlrrllrrrrrr", rows)


def _memory_line(design: Design, lang: str) -> str:
    m = design.perf.memory
    return tr(lang, "bd.memory", w=f"{m.weights_gb:.1f}", kv=f"{m.kv_cache_gb:.1f}", a=f"{m.activations_gb:.1f}",
              o=f"{m.overhead_gb:.1f}", t=f"{m.total_gb:.1f}", c=f"{m.capacity_gb:.1f}")


def breakdown(plan: Plan, lang: str = "en") -> list[str]:
    """Each replica group of the plan: memory per card, the decode step and where its time goes,
    prefill, TTFT and TPOT."""
    lines = []
    for g in plan.groups:
        p = g.design.perf
        d = p.decode
        if g.design.role != "colocated":
            lines += _pool_breakdown(g.design, g.count, lang)
            continue
        lines += [
            tr(lang, "bd.head", key=g.design.key, count=g.count, cards=p.cards, servers=p.servers_spanned,
               cp=p.compute_precision, kv=p.kv_precision),
            "",
            _memory_line(g.design, lang),
            tr(lang, "bd.decode", s=f"{units.s_to_ms(d.total_s):.1f}", m=f"{units.s_to_ms(d.memory_s):.1f}", c=f"{units.s_to_ms(d.compute_s):.1f}",
               x=f"{units.s_to_ms(d.communication_s):.1f}", o=f"{units.s_to_ms(d.overhead_s):.1f}", b=word(lang, "bn", p.bottleneck)),
            tr(lang, "bd.prefill", p=f"{units.s_to_ms(p.prefill_s):.0f}", ttft=_plain(g.design.ttft_ms, 0), tpot=_plain(g.design.tpot_ms, 1),
               tok=f"{p.output_tokens_per_s:,.0f}"),
            *([tr(lang, "bd.quantized_allreduce", codec=p.allreduce_codec.upper(), engine=p.engine)]
              if p.allreduce_codec != "none" else []),
            "",
        ]
    return lines


def _pool_breakdown(design: Design, count: int, lang: str = "en") -> list[str]:
    """A prefill or decode replica of a disaggregated plan."""
    p = design.perf
    head = tr(lang, "bd.pool_head", key=design.key, count=count, role=design.role, cards=p.cards, servers=p.servers_spanned,
              cp=p.compute_precision)
    rate = design.requests_per_s or 0.0
    if design.role == "prefill":
        busy = rate * p.prefill_occupancy_s
        what = tr(lang, "bd.pool_prefill", p=f"{units.s_to_ms(p.prefill_s):.0f}", b=word(lang, "bn", p.prefill.bottleneck), busy=f"{busy:.0%}",
                  ttft=ms(design.ttft_ms, 0), rate=f"{rate:.2f}")
    else:
        d = p.decode
        what = tr(lang, "bd.pool_decode", batch=p.batch, s=f"{units.s_to_ms(d.total_s):.1f}", m=f"{units.s_to_ms(d.memory_s):.1f}",
                  c=f"{units.s_to_ms(d.compute_s):.1f}", x=f"{units.s_to_ms(d.communication_s):.1f}", o=f"{units.s_to_ms(d.overhead_s):.1f}",
                  b=word(lang, "bn", p.bottleneck), rate=f"{rate:.2f}")
    return [head, "", _memory_line(design, lang), what, ""]


def _plain(value: float | None, digits: int) -> str:
    """A latency without thousands separators (as these tables print it); '—' when there is none."""
    return DASH if value is None else f"{value:.{digits}f}"
