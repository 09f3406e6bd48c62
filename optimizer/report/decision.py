"""The answer in sentences: what to buy, for how much, with what headroom, the range from the central
estimate to the scenario's confidence, the vendor-mix rule, the TCO split and the model note."""

from __future__ import annotations

from optimizer import units
from optimizer.analysis.facts import SolveFacts
from optimizer.plan.result import Plan, SolveResult
from optimizer.report.format import DASH, money, pct, unit_price
from optimizer.report.i18n import tr, word
from optimizer.report.shapes import design_label
from optimizer.scenario import Sla, SupplyCase


def recommendation(result: SolveResult, lang: str = "en") -> str:
    """The one-sentence answer: what to buy, total RMB, headroom against each SLA, and the range
    from the central estimate to the confidence the scenario asks for."""
    return decision(result, lang) + range_sentence(result, lang)


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
    worst_ttft = max(g.design.ttft_ms or 0.0 for g in p.groups)
    worst_tpot = max(g.design.tpot_ms or 0.0 for g in p.groups)
    heads: list[str] = []
    if s.sla.ttft_ms:
        heads.append(tr(lang, "rec.ttft", x=f"{worst_ttft:,.0f}", t=f"{s.sla.ttft_ms:g}", h=pct(1 - worst_ttft / s.sla.ttft_ms)))
    if s.sla.tpot_ms:
        heads.append(tr(lang, "rec.tpot", x=f"{worst_tpot:.1f}", t=f"{s.sla.tpot_ms:g}", h=pct(1 - worst_tpot / s.sla.tpot_ms)))
    load = s.workload.load
    unit = word(lang, "unit", load.unit)
    status, stat = word(lang, "status", result.status), word(lang, "stat", s.sla.statistic)
    if s.objective.kind == "max_load":
        shape = sep.join(f"{g.count} × {design_label(g.design)}" for g in p.groups)
        return tr(lang, "rec.max_load", shape=shape, buy=buy, served=f"{p.served:,.1f}", unit=unit, status=status,
                  cost=money(p.cost_rmb, lang), heads=sep.join(heads), stat=stat)
    heads.append(tr(lang, "rec.capacity", served=f"{p.served:,.1f}", unit=unit, amount=f"{load.amount:g}",
                    h=pct(p.served / load.amount - 1)))
    if bought:
        verb = tr(lang, "rec.buy_and_keep", bought=bought, kept=kept) if kept else tr(lang, "rec.buy", bought=bought)
    else:
        verb = tr(lang, "rec.keep_only", kept=kept)
    return tr(lang, "rec.sentence", verb=verb, cost=money(p.cost_rmb, lang), status=status, heads=sep.join(heads),
              stat=stat, conf=f"{s.sla.confidence:g}") + sizing_policy(result, lang) + centre_margin(result, lang)


def sizing_policy(result: SolveResult, lang: str = "en") -> str:
    """What the plan was sized to beyond the load itself: a capacity margin and a spare server, said
    in the decision so nobody adds them a second time ('' when the scenario asks for neither)."""
    s = result.scenario
    parts = []
    if s.sla.headroom_pct:
        parts.append(tr(lang, "rec.policy_headroom", h=f"{s.sla.headroom_pct:g}",
                        need=f"{s.workload.load.amount * (1 + s.sla.headroom_pct / 100):,.1f}"))
    if s.constraints.n_plus_one:
        parts.append(tr(lang, "rec.policy_spare"))
    return tr(lang, "rec.policy", parts=tr(lang, "list_sep").join(parts)) if parts else ""


THIN_MARGIN = 0.05   # headroom to an SLA at the central estimate below which page one warns


def centre_margin(result: SolveResult, lang: str = "en") -> str:
    """The recommended plan at the model's own estimate: its latencies when it was sized under a
    draw of the model's error, and a warning when its headroom to an SLA there is under 5 %."""
    if not result.plans:
        return ""
    s, p = result.scenario, result.plans[0]
    sep = tr(lang, "list_sep")
    slowest = _slowest(p, s.sla, at_centre=True)
    margins = {name: 1 - x / t for name, (x, t) in slowest.items()}
    out = ""
    if any(g.design.draw is not None for g in p.groups) and margins:
        heads = []
        if "TTFT" in margins:
            heads.append(tr(lang, "rec.ttft", x=f"{slowest['TTFT'][0]:,.0f}", t=f"{s.sla.ttft_ms:g}", h=pct(margins["TTFT"])))
        if "TPOT" in margins:
            heads.append(tr(lang, "rec.tpot", x=f"{slowest['TPOT'][0]:.1f}", t=f"{s.sla.tpot_ms:g}", h=pct(margins["TPOT"])))
        out += tr(lang, "rec.centre", heads=sep.join(heads))
    thin = [name for name, m in margins.items() if m < THIN_MARGIN]
    if thin:
        out += tr(lang, "rec.thin_margin", what=sep.join(thin))
    return out


def latency_band_sentence(result: SolveResult, facts: SolveFacts, lang: str = "en") -> str:
    """The recommended plan's latencies as ranges: the 10-90 % band of its slowest replica at the
    central estimate ('' without a plan)."""
    b = facts.latency_bands
    if not b:
        return ""
    parts = []
    if "ttft_ms" in b:
        parts.append(f"TTFT {b['ttft_ms'][0]:,.0f} – {b['ttft_ms'][1]:,.0f} ms")
    if "tpot_ms" in b:
        parts.append(f"TPOT {b['tpot_ms'][0]:,.1f} – {b['tpot_ms'][1]:,.1f} ms")
    return tr(lang, "rec.latency_band", parts=tr(lang, "list_sep").join(parts))


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


def range_sentence(result: SolveResult, lang: str = "en") -> str:
    """The answer as a range: the plan at the central estimate beside the one at the confidence."""
    central, best = result.central_plan, result.plans[0] if result.plans else None
    if central is None or result.scenario.objective.kind == "max_load":
        return ""  # the most load a fleet serves is not a cost question
    if best is None:
        return tr(
            lang, "rec.range_central_only", n_central=sum(central.servers.values()), cost_central=money(central.cost_rmb, lang),
            conf=f"{result.scenario.sla.confidence:.0%}",
        )
    u = result.uncertainty
    if u is None:
        return ""
    spread = {"conf": f"{u.confidence:.0%}", "draws": u.draws,
              "low": DASH if u.cost_rmb.p10 is None else money(u.cost_rmb.p10, lang),
              "high": DASH if u.cost_rmb.p90 is None else money(u.cost_rmb.p90, lang)}
    if central.servers == best.servers:
        return tr(lang, "rec.range_same", **spread)
    return tr(
        lang, "rec.range", n_central=sum(central.servers.values()), cost_central=money(central.cost_rmb, lang),
        n_best=sum(best.servers.values()), cost_best=money(best.cost_rmb, lang), **spread,
    ) + _why_dear(result, central.cost_rmb, best, lang)


DEAR = 2.0   # a plan at the confidence this many times the central one gets its binding SLA named


def _why_dear(result: SolveResult, central_rmb: int, best: Plan, lang: str) -> str:
    """Where the plan at the confidence costs DEAR x the central one or more, the SLA with the least
    headroom in its replicas at the confidence: the target that decides the price."""
    if central_rmb <= 0 or best.cost_rmb < DEAR * central_rmb:
        return ""
    sla = result.scenario.sla
    slowest = _slowest(best, sla, at_centre=False)
    if not slowest:
        return ""
    name, (x, t) = max(slowest.items(), key=lambda kv: kv[1][0] / kv[1][1])
    return tr(lang, "rec.range_dear", conf=f"{sla.confidence:.0%}", ratio=f"{best.cost_rmb / central_rmb:.1f}", sla=name,
              x=f"{x:,.0f}" if name == "TTFT" else f"{x:.1f}", t=f"{t:g}", flag=name.lower())


def _slowest(p: Plan, sla: Sla, *, at_centre: bool) -> dict[str, tuple[float, float]]:
    """Per latency target the scenario sets, (the plan's slowest replica, the target): at the model's
    own estimate, or under the draw the plan was sized for."""
    ttft = max(((g.design.ttft_at_centre_ms if at_centre else g.design.ttft_ms) or 0.0 for g in p.groups), default=0.0)
    tpot = max(((g.design.tpot_at_centre_ms if at_centre else g.design.tpot_ms) or 0.0 for g in p.groups), default=0.0)
    return {name: (x, t) for name, x, t in (("TTFT", ttft, sla.ttft_ms), ("TPOT", tpot, sla.tpot_ms)) if t and x}


def power_basis(result: SolveResult, offer_ids: list[str], lang: str = "en") -> str:
    """One sentence: the power per server each figure uses (stated wall power, or card TDP plus the
    host overhead) and, under a TCO objective, the duty cycle and PUE of its energy."""
    s = result.scenario
    offers = {o.id: o for o in s.offers}
    overhead = s.objective.host_overhead_pct
    parts = []
    for oid in offer_ids:
        o, t = offers[oid], result.terms[oid]
        if t.power_w_per_server is None:
            parts.append(tr(lang, "power.unknown", oid=oid))
            continue
        kw = f"{units.w_to_kw(t.power_w_per_server):,.1f}"
        if o.server_power_w is not None:
            parts.append(tr(lang, "power.stated", oid=oid, kw=kw))
        else:  # the card's TDP, from the terms' power (cards x TDP x (1 + overhead)): the report reads no catalog
            tdp = t.power_w_per_server / t.cards_per_server / (1 + overhead / 100)
            parts.append(tr(lang, "power.cards", oid=oid, kw=kw, n=t.cards_per_server, tdp=f"{tdp:.0f}", h=f"{overhead:g}"))
    text = tr(lang, "power.sentence", parts=tr(lang, "list_sep").join(parts))
    if any(offers[oid].server_power_w is None for oid in offer_ids) and not s.objective.host_overhead_pct:
        text += tr(lang, "power.card_only")
    if s.objective.kind == "tco":
        text += tr(lang, "power.duty", duty=f"{s.objective.duty_cycle:.0%}", pue=f"{s.objective.pue:g}")
    return text


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


def served_sentence(facts: SolveFacts, lang: str = "en") -> str:
    """The cost per token actually served under the daily profile ('' without one)."""
    c = facts.served
    if c is None:
        return ""
    described = (c.description_zh if lang == "zh" else None) or c.description
    profile = tr(lang, "served.own_profile") if c.profile is None else tr(lang, "served.named", name=c.profile, description=described)
    text = tr(lang, "served.sentence", profile=profile, mean=f"{c.mean_fraction_of_peak:.0%}", at_peak=f"{c.utilisation_at_peak:.0%}",
              share=f"{c.served_share:.0%}", served=unit_price(c.rmb_per_million_served, lang), full=unit_price(c.rmb_per_million_at_full, lang))
    if c.energy_rmb is not None and c.energy_rmb_power_follows_load is not None:
        text += tr(lang, "served.energy", follows=money(c.energy_rmb_power_follows_load, lang), energy=money(c.energy_rmb, lang))
    return text


def supply_sentence(result: SolveResult, lang: str = "en") -> str:
    """The plan under each supply case of constraints.robust_to (what arrives; it still serves the
    share of the load the case requires) and what the robustness costs against the plan that trusts
    every bid, or under a most-load objective what that plan would serve ('' without cases or a plan)."""
    s = result.scenario
    if not result.plans or not s.constraints.robust_to:
        return ""
    plan, load = result.plans[0], s.workload.load
    unit = word(lang, "unit", load.unit)
    cases = []
    for outcome in plan.supply:
        case = s.constraints.robust_to[outcome.case]
        arrived = tr(lang, "list_sep").join(f"{n} × {oid}" for oid, n in sorted(outcome.delivered.items()) if n) or DASH
        cases.append(tr(lang, "supply.case", label=supply_label(case, lang), arrived=arrived,
                        need=f"{case.load_share * load.amount:,.1f}", unit=unit))
    text = tr(lang, "supply.sentence", cases=tr(lang, "case_sep").join(cases))
    trusting = result.trusting_plan
    if trusting is None:
        return text
    servers = tr(lang, "list_sep").join(f"{n} × {oid}" for oid, n in sorted(trusting.servers.items()) if n)
    if s.objective.kind == "max_load":
        return text + tr(lang, "supply.load", served=f"{trusting.served:,.1f}", mine=f"{plan.served:,.1f}", unit=unit,
                         servers=servers, trusting=money(trusting.cost_rmb, lang))
    extra = plan.cost_rmb - trusting.cost_rmb
    key = "supply.cost" if extra > 0 else "supply.free"
    return text + tr(lang, key, extra=money(extra, lang), trusting=money(trusting.cost_rmb, lang), servers=servers)


def supply_label(case: SupplyCase, lang: str = "en") -> str:
    """A supply case as the report names it: its own name, else who delivers what share."""
    if case.name:
        return case.name
    who = tr(lang, "supply.offer", oid=case.offer) if case.offer else tr(lang, "supply.vendor", vendor=case.vendor)
    return tr(lang, "supply.label", who=who, share=f"{case.delivered_share:.0%}")


def model_note(result: SolveResult, lang: str = "en", *, facts: SolveFacts) -> str:
    """One line: which engine profiles and what the confidence band does to the answer."""
    s = result.scenario
    engines = ", ".join(f"{oid}: {eng}" for oid, eng in facts.engines.items())
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
