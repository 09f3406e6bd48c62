"""What the answer rests on: can the weights fit at all, the warnings per bid, and the assumptions
with their sources (model, workload, serving model, each card's numbers and fitted factors)."""

from __future__ import annotations

from optimizer.analysis.facts import SolveFacts
from optimizer.plan.result import SolveResult
from optimizer.report.decision import model_note
from optimizer.report.format import table
from optimizer.report.i18n import columns, tr, word


def weights_table(facts: SolveFacts, lang: str = "en") -> list[str]:
    """Can the weights alone fit? Cards needed per precision, before any KV cache: the first test a
    proposal must pass (seed 002's 16 x 910B2 at BF16 and seed 004's one 4090 fail it)."""
    rows = []
    for w in facts.weights:
        need = tr(lang, "weights.need", cards=w.cards, servers=w.servers) if w.supported else tr(lang, "weights.unsupported")
        rows.append([w.offer_id, w.precision, f"{w.weights_gb:,.0f} GB", f"{w.usable_gb:.1f} GB", need])
    return table(columns(lang, "weights.cols"), "llrrr", rows)


def warnings(result: SolveResult, facts: SolveFacts, lang: str = "en") -> list[str]:
    """The model note, then per bid: thin calibration, no FP8, PCIe only, a price that is not a
    quote (those of its risks that apply), and its export-control note in full, whether or not the
    supply is at risk."""
    out = [f"- {model_note(result, lang, facts=facts)}"]
    for o in facts.offers:
        codes = {r.code for r in o.risks}
        t = result.terms[o.offer_id]
        cal = o.calibration
        if "thin_calibration" in codes and cal.family_rows == 0:   # never silence: the whole family is a prior
            out.append(tr(lang, "warn.unmeasured", oid=o.offer_id, family=cal.family, engine=cal.engine, eng_rows=cal.engine_rows))
        elif "thin_calibration" in codes:
            out.append(tr(lang, "warn.thin", oid=o.offer_id, family=cal.family, fam_rows=cal.family_rows, engine=cal.engine,
                          eng_rows=cal.engine_rows))
        if "no_fp8" in codes:
            out.append(tr(lang, "warn.no_fp8", oid=o.offer_id, card=o.card_name))
        if "pcie_only" in codes:
            out.append(tr(lang, "warn.pcie", oid=o.offer_id, card=o.card_name))
        if "price_not_quote" in codes:
            out.append(tr(lang, "warn.price", oid=o.offer_id, n="n" if t.price_kind == "estimate" else "",
                          kind=word(lang, "kind", t.price_kind)))
        out.append(tr(lang, "warn.export", oid=o.offer_id, text=(lang == "zh" and o.export_control_zh) or o.export_control))
    return out


def assumptions(result: SolveResult, facts: SolveFacts, lang: str = "en") -> list[str]:
    s = result.scenario
    limits = facts.memory_defaults
    lines = [
        tr(lang, "asm.model", name=result.model.name, source=result.model.provenance.source),
        f"- {model_note(result, lang, facts=facts)}",
        tr(lang, "asm.workload", inp=s.workload.input_tokens, out=s.workload.output_tokens, ctx=s.workload.context_tokens,
           amount=f"{s.workload.load.amount:g}", unit=word(lang, "unit", s.workload.load.unit)),
        tr(lang, "asm.serving"),
        tr(lang, "asm.limits", usable=f"{limits.usable_fraction:.0%}", overhead=f"{limits.runtime_overhead_gb:g}", source=limits.source),
    ]
    fit = facts.fit
    for o in sorted(facts.offers, key=lambda o: o.offer_id):
        f = o.factors
        lines.append(tr(
            lang, "asm.card", oid=o.offer_id, card=o.card_name, mem=f"{o.mem_gb:g}", bw=f"{o.mem_bw_gbs:,.0f}",
            tflops=", ".join(f"{k} {v:g}" for k, v in o.dense_tflops),
            source=o.specs_source, date=o.specs_date, family=o.family, engine=o.engine,
            mbu=f"{f.mbu:.2f}", mfu_d=f"{f.mfu_decode:.2f}", mfu_a=f"{f.mfu_attention:.2f}", mfu_p=f"{f.mfu_prefill:.2f}", ebw=f"{f.expert_bw:.2f}",
            step=f"{f.step_overhead_ms:.1f}", moe=f"{f.moe_layer_us:.0f}", fe=f"{f.ttft_overhead_ms:.0f}", pace=f"{f.front_end_pace_ms:.0f}",
            rows=fit.rows, sources=fit.sources, method=fit.method,
        ))
    for offer in s.offers:
        if offer.price_note:
            lines.append(tr(lang, "asm.price", oid=offer.id, note=offer.price_note))
    lines += [tr(lang, "asm.source", src=src) for src in s.sources]
    return lines
