"""The fleet report (several services on one purchase) as Markdown and JSON: what to buy, each
service's share of it (replicas, cards, latency with headroom, RMB attributed by the cards it uses),
what each would cost on a fleet of its own, and the saving from sharing; under supply cases, what
arrives in each and what the robustness costs against the fleet trusting every bid. Functions of
the result."""

from __future__ import annotations

from typing import Any

from optimizer.analysis.facts import Provenance
from optimizer.analysis.served import ServedCost, service_served_cost
from optimizer.plan.fleet_result import FleetPeriod, FleetPlan, FleetResult, FleetSchedule, FleetSupply, ServicePlan, VendorRule
from optimizer.plan.result import Plan, SolveResult
from optimizer.report.decision import supply_label
from optimizer.report.format import DASH, money, pct, table, unit_price
from optimizer.report.i18n import columns, tr, word
from optimizer.report.phases import schedule_verdict, servers_cell
from optimizer.report.provenance import provenance_json, provenance_line
from optimizer.report.reasons import localize_reason
from optimizer.report.shapes import plan_shape
from optimizer.report.solve_json import plan_rows

FLEET_SCHEMA_VERSION = 1


def _as_plan(result: FleetResult, svc: ServicePlan) -> Plan:
    assert result.plan is not None
    return Plan(1, 0, 0, {}, svc.groups, svc.served)


def _worst(svc: ServicePlan, metric: str) -> float | None:
    values = [getattr(g.design, metric) for g in svc.groups if getattr(g.design, metric) is not None]
    return max(values) if values else None


def _latency(value: float | None, target: float | None, digits: int) -> str:
    if value is None:
        return DASH
    shown = f"{value:,.{digits}f} ms"
    return shown if target is None else f"{shown} ({pct(1 - value / target)})"


def decision(result: FleetResult, lang: str = "en") -> str:
    if result.plan is None:
        return tr(lang, "fleet.none", why=localize_reason(result.diagnosis or "", lang))
    p = result.plan
    bought = tr(lang, "list_sep").join(
        tr(lang, "rec.fleet", n=n, oid=oid, cards=n * result.terms[oid].cards_per_server, card=result.terms[oid].card_id)
        for oid, n in p.servers.items())
    conf = result.standalone[0].scenario.sla.confidence
    text = tr(lang, "fleet.sentence", bought=bought, cost=money(p.cost_rmb, lang), status=word(lang, "status", result.status),
              n=len(p.services), conf=f"{conf:g}")
    alone = result.standalone_rmb
    if alone is not None:
        key = "fleet.saving" if alone > p.cost_rmb else "fleet.no_saving"
        text += tr(lang, key, saving=money(alone - p.cost_rmb, lang), alone=money(alone, lang))
        if not result.standalone_within_stock:
            text += tr(lang, "fleet.beyond_stock")
    mix = vendor_rule_sentence(result.vendor_rule, "fleet", lang)
    return f"{text} {mix}" if mix else text


def vendor_rule_sentence(rule: VendorRule | None, what: str, lang: str = "en") -> str:
    """The solve's vendor rule on a fleet or a schedule that mixes vendors at its cheapest ('' otherwise)."""
    if rule is None:
        return ""
    noun, pct = tr(lang, f"fleet.what.{what}"), f"{rule.min_saving_pct:g}"
    saving = "" if rule.saving_pct is None else f"{rule.saving_pct:.1f} %"
    if not rule.mix_kept:
        return tr(lang, "fleet.mix_declined", what=noun, mix=money(rule.mix_rmb, lang), saving=saving, min=pct)
    if rule.single_rmb is None:
        return tr(lang, "fleet.mix_only", what=noun)
    return tr(lang, "fleet.mix_kept", what=noun, single=money(rule.single_rmb, lang), saving=saving, min=pct)


def _servers(servers: dict[str, int], lang: str) -> str:
    return tr(lang, "list_sep").join(f"{n} × {oid}" for oid, n in sorted(servers.items()) if n) or DASH


def supply_sentence(result: FleetResult, lang: str = "en") -> str:
    """The fleet under each supply case of constraints.robust_to (what arrives; each service, its
    replicas redeployed, still serves the share of its load the case requires) and what the
    robustness costs against the cheapest fleet trusting every bid ('' without cases or a plan)."""
    cases = result.standalone[0].scenario.constraints.robust_to
    if result.plan is None or not cases:
        return ""
    parts = []
    for outcome in result.plan.supply:
        case = cases[outcome.case]
        needs = tr(lang, "list_sep").join(
            tr(lang, "fleet.supply.need", name=svc.name, served=f"{svc.served:,.1f}",
               need=f"{case.load_share * alone.scenario.workload.load.amount:,.1f}", unit=word(lang, "unit", alone.scenario.workload.load.unit))
            for svc, alone in zip(outcome.services, result.standalone, strict=True))
        parts.append(tr(lang, "fleet.supply.case", label=supply_label(case, lang), arrived=_servers(outcome.delivered, lang), needs=needs))
    text = tr(lang, "fleet.supply.sentence", cases=tr(lang, "case_sep").join(parts))
    trusting = result.trusting_plan
    if trusting is None:
        return text
    extra = result.plan.cost_rmb - trusting.cost_rmb
    return text + tr(lang, "fleet.supply.cost" if extra > 0 else "fleet.supply.free", extra=money(extra, lang),
                     trusting=money(trusting.cost_rmb, lang), servers=_servers(trusting.servers, lang))


def phase_sentence(result: FleetResult, lang: str = "en") -> str:
    """The fleet's schedule, discounted, against buying everything in the first period, and the
    saving; then what it assumes (prices, lead time, N+1, supply cases, each service's loads)."""
    ph = result.phases
    if ph is None:
        return ""
    mix = vendor_rule_sentence(ph.vendor_rule, "schedule", lang)
    return schedule_verdict(ph, ph.spec, lang) + _phase_assumptions(result, lang) + (f" {mix}" if mix else "")


def _phase_assumptions(result: FleetResult, lang: str) -> str:
    shared = result.standalone[0].scenario
    assert result.phases is not None
    spec = result.phases.spec
    d = spec.price_decline_pct
    text = tr(lang, "ph.gap") + (tr(lang, "ph.prices.flat") if d == 0 else
                                 tr(lang, "ph.prices.decline" if d > 0 else "ph.prices.rise", d=f"{abs(d):g}"))
    if spec.prices_rmb_per_server:
        text += tr(lang, "ph.prices.given", offers=", ".join(sorted(spec.prices_rmb_per_server)))
    if spec.lead_time_periods:
        text += tr(lang, "ph.lead", lead=spec.lead_time_periods)
    if shared.constraints.n_plus_one:
        text += tr(lang, "ph.n_plus_one")
    if shared.constraints.robust_to:
        text += tr(lang, "fleet.ph.supply")
    own = result.phases.own_loads
    growth = "" if spec.growth_pct is None else tr(lang, "fleet.ph.growth", g=f"{spec.growth_pct:g}",
                                                   own=tr(lang, "fleet.ph.own", names=", ".join(own)) if own else "")
    tco = tr(lang, "ph.tco", years=f"{shared.objective.years:g}") if shared.objective.kind == "tco" else ""
    return text + tr(lang, "fleet.ph.sized", growth=growth) + tco


def phase_table(result: FleetResult, schedule: FleetSchedule, lang: str = "en") -> list[str]:
    """One row per period: each service's load, the servers bought and in service, the spend plain
    and discounted; a total row."""
    loads = "|".join(tr(lang, "fleet.ph.load_col", name=a.scenario.name, unit=word(lang, "unit", a.scenario.workload.load.unit))
                     for a in result.standalone)
    rows: list[list[object]] = [
        [p.label, *(f"{x:,.1f}" for x in p.loads), servers_cell(p.bought), servers_cell(p.in_service),
         "{} / {}".format(*p.cards(result.terms)), money(p.spend_rmb, lang), money(p.discounted_rmb, lang)] for p in schedule.periods
    ]
    k = len(result.standalone)
    rows.append([f"**{tr(lang, 'ph.total')}**", *([""] * k), servers_cell(schedule.servers), "", "",
                 f"**{money(schedule.spend_rmb, lang)}**", f"**{money(schedule.discounted_rmb, lang)}**"])
    return table(columns(lang, "fleet.ph.cols", loads=loads), "l" + "r" * k + "llrrr", rows)


def phase_section(result: FleetResult, lang: str = "en", plot: str | None = None) -> list[str]:
    """The schedule's sentence, its table and, when written beside the report, its plot."""
    if result.phases is None:
        return []
    lines = [f"## {tr(lang, 'ph.h')}", "", phase_sentence(result, lang), ""]
    if result.phases.schedule is not None:
        lines += [*phase_table(result, result.phases.schedule, lang), ""]
    if plot:
        lines += [f"![{tr(lang, 'ph.plot_title')}]({plot})", "", tr(lang, "fleet.ph.plot_note"), ""]
    return lines


def services_table(result: FleetResult, lang: str = "en") -> list[str]:
    assert result.plan is not None
    head = [tr(lang, f"fleet.col.{k}") for k in ("service", "model", "load", "replicas", "cards", "ttft", "tpot", "capacity",
                                                   "attributed", "alone")]
    rows = []
    for svc, alone in zip(result.plan.services, result.standalone, strict=True):
        s = alone.scenario
        load = s.workload.load
        cards = sum(g.design.cards * g.count for g in svc.groups)
        own = alone.plans[0].cost_rmb if alone.plans else None
        rows.append([
            svc.name, alone.model.id, f"{load.amount:g} {word(lang, 'unit', load.unit)}", plan_shape(_as_plan(result, svc)), cards,
            _latency(_worst(svc, "ttft_ms"), s.sla.ttft_ms, 0), _latency(_worst(svc, "tpot_ms"), s.sla.tpot_ms, 1),
            f"{svc.served:,.1f} ({pct(svc.served / load.amount - 1)})", money(result.plan.attributed_rmb(svc.name, result.terms), lang),
            money(own, lang) if own is not None else DASH,
        ])
    return table(head, "llllrrrrrr", rows)


def served_lines(result: FleetResult, lang: str = "en") -> list[str]:
    """Each service with a daily profile: its cost per token actually served, over the RMB attributed to it."""
    if result.plan is None:
        return []
    out = []
    for k, svc in enumerate(result.plan.services):
        c = _served_cost(result, result.plan, svc, k)
        if c is not None:
            words = tr(lang, "fleet.served", profile=c.profile or tr(lang, "served.own_profile"), mean=f"{c.mean_fraction_of_peak:.0%}",
                       share=f"{c.served_share:.0%}", served=unit_price(c.rmb_per_million_served, lang),
                       full=unit_price(c.rmb_per_million_at_full, lang))
            if c.energy_rmb is not None and c.energy_rmb_power_follows_load is not None:
                words += tr(lang, "served.energy", follows=money(c.energy_rmb_power_follows_load, lang), energy=money(c.energy_rmb, lang))
            out.append(f"- **{svc.name}**: {words}")
    return out


def _served_cost(result: FleetResult, plan: FleetPlan, svc: ServicePlan, k: int) -> ServedCost | None:
    """Service k's cost per token served, over the RMB (and, under TCO, the energy) attributed to it."""
    scenario = result.standalone[k].scenario
    return service_served_cost(svc.groups, plan.attributed_rmb(svc.name, result.terms), scenario.workload.load.amount, svc.served,
                               result.daily_load(k), scenario.objective, plan.attributed_energy_rmb(svc.name, result.terms))


def alone_table(result: FleetResult, lang: str = "en") -> list[str]:
    head = [tr(lang, f"fleet.col.{k}") for k in ("service", "plan_alone", "servers", "alone")]
    rows = []
    for alone in result.standalone:
        name = alone.scenario.name
        if not alone.plans:
            reason = alone.diagnosis.binding[0] if alone.diagnosis and alone.diagnosis.binding else ""
            rows.append([name, tr(lang, "bids.cannot", reason=localize_reason(reason, lang)), DASH, DASH])
            continue
        p = alone.plans[0]
        servers = tr(lang, "list_sep").join(f"{n} × {oid}" for oid, n in p.servers.items())
        rows.append([name, plan_shape(p), servers, money(p.cost_rmb, lang)])
    return table(head, "llll", rows)


def render(result: FleetResult, provenance: Provenance, lang: str = "en", phase_plot: str | None = None) -> str:
    tr(lang, "h.report", name="")  # an unknown language fails before any work
    lines = [f"# {tr(lang, 'h.fleet', name=result.name)}", "", result.description, "", f"## {tr(lang, 'h.recommendation')}", "",
             decision(result, lang), ""]
    supply = supply_sentence(result, lang)
    if supply:
        lines += [supply, ""]
    lines += phase_section(result, lang, phase_plot)
    if result.plan is not None:
        intro = tr(lang, "fleet.services_intro")
        if result.standalone[0].scenario.constraints.n_plus_one:
            intro += " " + tr(lang, "fleet.n_plus_one_rule")
        lines += [f"## {tr(lang, 'h.services')}", "", intro, "", *services_table(result, lang), ""]
        spare = result.plan.spare_cards(result.terms)
        if spare:
            cards = tr(lang, "list_sep").join(tr(lang, "fleet.spare_item", n=n, offer=oid) for oid, n in spare.items())
            why = "fleet.spare" if result.standalone[0].scenario.constraints.robust_to else "fleet.spare_whole"
            lines += [tr(lang, why, cards=cards), ""]
        served = served_lines(result, lang)
        if served:
            lines += [tr(lang, "fleet.served_intro"), "", *served, ""]
    lines += [f"## {tr(lang, 'h.alone')}", "", tr(lang, "fleet.alone_intro"), "", *alone_table(result, lang), "",
              f"## {tr(lang, 'h.packing')}", "", tr(lang, "fleet.packing"), "", provenance_line(provenance, lang), ""]
    return "\n".join(lines)


def to_json(result: FleetResult, provenance: Provenance) -> dict[str, Any]:
    p = result.plan
    return {
        "schema_version": FLEET_SCHEMA_VERSION,
        "scenario": result.name,
        "status": result.status,
        "objective_rmb": result.objective_rmb,
        "best_bound_rmb": result.best_bound_rmb,
        "servers": None if p is None else dict(sorted(p.servers.items())),
        "cost_rmb": None if p is None else p.cost_rmb,
        "capex_rmb": None if p is None else p.capex_rmb,
        "spare_cards": None if p is None else p.spare_cards(result.terms),
        "vendor_rule": _vendor_rule_json(result.vendor_rule),
        "services": [_service_json(result, alone, svc) for alone, svc in
                     zip(result.standalone, p.services if p else (None,) * len(result.standalone), strict=True)],
        "standalone_rmb": result.standalone_rmb,
        "saving_rmb": None if p is None or result.standalone_rmb is None else result.standalone_rmb - p.cost_rmb,
        "standalone_within_stock": result.standalone_within_stock,
        "diagnosis": result.diagnosis,
        "supply": None if p is None else [_supply_json(result, outcome) for outcome in p.supply],
        "trusting": _trusting_json(result.trusting_plan),
        "robustness_rmb": None if p is None or result.trusting_plan is None else p.cost_rmb - result.trusting_plan.cost_rmb,
        "phases": _phases_json(result),
        "provenance": provenance_json(provenance),
    }


def _supply_json(result: FleetResult, outcome: FleetSupply) -> dict[str, Any]:
    case = result.standalone[0].scenario.constraints.robust_to[outcome.case]
    return {
        "case": case.label, "delivered_share": case.delivered_share, "load_share": case.load_share,
        "arrive": dict(sorted(outcome.delivered.items())),
        "services": [{"name": svc.name, "required": case.load_share * alone.scenario.workload.load.amount, "served": round(svc.served, 3),
                      "replicas": plan_rows(Plan(1, 0, 0, {}, svc.groups, svc.served))}
                     for svc, alone in zip(outcome.services, result.standalone, strict=True)],
    }


def _trusting_json(plan: FleetPlan | None) -> dict[str, Any] | None:
    return None if plan is None else {"cost_rmb": plan.cost_rmb, "servers": dict(sorted(plan.servers.items()))}


def _service_json(result: FleetResult, alone: SolveResult, svc: ServicePlan | None) -> dict[str, Any]:
    s = alone.scenario
    out: dict[str, Any] = {
        "name": s.name, "model": alone.model.id, "load": {"amount": s.workload.load.amount, "unit": s.workload.load.unit},
        "alone": None if not alone.plans else {"cost_rmb": alone.plans[0].cost_rmb, "servers": dict(sorted(alone.plans[0].servers.items()))},
    }
    if svc is not None and result.plan is not None:
        out.update({
            "served": round(svc.served, 3), "cards": sum(g.design.cards * g.count for g in svc.groups),
            "attributed_rmb": round(result.plan.attributed_rmb(svc.name, result.terms)),
            "worst_ttft_ms": _round(_worst(svc, "ttft_ms"), 1), "worst_tpot_ms": _round(_worst(svc, "tpot_ms"), 2),
            "replicas": plan_rows(_as_plan(result, svc)),
            "served_cost": _served_json(_served_cost(result, result.plan, svc, result.standalone.index(alone))),
        })
    return out


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def _served_json(c: ServedCost | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"profile": c.profile, "mean_fraction_of_peak": round(c.mean_fraction_of_peak, 4), "served_share": round(c.served_share, 6),
            "rmb_per_million_output_tokens_at_full_utilisation": round(c.rmb_per_million_at_full, 4),
            "rmb_per_million_output_tokens_served": round(c.rmb_per_million_served, 4),
            "energy_rmb": None if c.energy_rmb is None else round(c.energy_rmb),
            "energy_rmb_if_power_follows_load": None if c.energy_rmb_power_follows_load is None else round(c.energy_rmb_power_follows_load)}


def _phases_json(result: FleetResult) -> dict[str, Any] | None:
    ph = result.phases
    if ph is None:
        return None
    return {
        "status": ph.status, "best_bound_rmb": ph.best_bound_rmb, "schedule": _schedule_json(result, ph.schedule),
        "all_at_once_status": ph.all_at_once_status, "all_at_once": _schedule_json(result, ph.all_at_once), "saving_rmb": ph.saving_rmb,
        "vendor_rule": _vendor_rule_json(ph.vendor_rule),
    }


def _vendor_rule_json(rule: VendorRule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {"mix_rmb": rule.mix_rmb, "single_vendor_rmb": rule.single_rmb, "min_saving_pct": rule.min_saving_pct,
            "saving_pct": None if rule.saving_pct is None else round(rule.saving_pct, 3), "mix_kept": rule.mix_kept}


def _schedule_json(result: FleetResult, schedule: FleetSchedule | None) -> dict[str, Any] | None:
    if schedule is None:
        return None
    return {"spend_rmb": schedule.spend_rmb, "discounted_rmb": schedule.discounted_rmb, "servers": schedule.servers,
            "periods": [_period_json(result, p) for p in schedule.periods]}


def _period_json(result: FleetResult, period: FleetPeriod) -> dict[str, Any]:
    cases = result.standalone[0].scenario.constraints.robust_to
    return {
        "period": period.label, "bought": dict(sorted(period.bought.items())), "in_service": dict(sorted(period.in_service.items())),
        "spend_rmb": period.spend_rmb, "discounted_rmb": period.discounted_rmb,
        "cards_used": period.cards(result.terms)[0], "cards_in_service": period.cards(result.terms)[1],
        "services": [{"name": svc.name, "load": round(load, 6), "capacity": round(svc.served, 3),
                      "replicas": plan_rows(Plan(1, 0, 0, {}, svc.groups, svc.served))}
                     for svc, load in zip(period.services, period.loads, strict=True)],
        "supply": [{"case": cases[c.case].label, "arrive": dict(sorted(c.delivered.items())),
                    "served": {svc.name: round(svc.served, 3) for svc in c.services}} for c in period.supply],
    }
