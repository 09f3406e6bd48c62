"""The solve result as JSON for machines: plans with their replicas, one entry per bid with its top
risk, the diagnosis, the engines, the central estimate and the provenance line."""

from __future__ import annotations

import dataclasses
from typing import Any

from optimizer.analysis.facts import SolveFacts
from optimizer.analysis.served import rmb_per_million_output_tokens
from optimizer.perf.evaluate import ReplicaPerf
from optimizer.plan.result import PhaseSchedule, Plan, SolveResult, Uncertainty, UnpricedBid
from optimizer.report.bids import top_risk
from optimizer.report.provenance import provenance_json

# The layout of the solve JSON: raised when a key is renamed or removed or its meaning changes (a key
# added is not a break). 2 (2026-12): replica rows carry `serving`, the document `latency_bands`, and
# `provenance` is an object (procure_version, scenario_sha256, catalog_sha256, catalog_files, overlay, line).
SCHEMA_VERSION = 2


def plan_rows(plan: Plan, context_tokens: int | None = None, checkpoint_precision: str | None = None) -> list[dict[str, Any]]:
    """One entry per replica group: its split, batch, predicted latencies, memory per card, and how
    its engine is launched (`serving`: what `procure export` turns into launch commands)."""
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
                "ttft_ms": None if g.design.ttft_ms is None else round(g.design.ttft_ms, 1),
                "tpot_ms": None if g.design.tpot_ms is None else round(g.design.tpot_ms, 2),
                "output_tokens_per_s": round(g.design.output_tokens_per_s * g.count, 1),
                "requests_per_s": round((g.design.requests_per_s or p.requests_per_s) * g.count, 3),
            },
            "at_central_estimate": {   # the same replicas with no model error drawn
                "ttft_ms": None if g.design.ttft_at_centre_ms is None else round(g.design.ttft_at_centre_ms, 1),
                "tpot_ms": None if g.design.tpot_at_centre_ms is None else round(g.design.tpot_at_centre_ms, 2),
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
            "serving": _serving(p, context_tokens, checkpoint_precision),
        })
    return rows


def _serving(p: ReplicaPerf, context_tokens: int | None, checkpoint_precision: str | None) -> dict[str, Any]:
    """The engine settings the prediction assumed: the running-request cap is the planned batch, the
    chunked-prefill budget the engine's on this card, the context the workload's longest request, and
    the format the model's own checkpoint is published in (weights in another format need a
    quantised checkpoint or the engine's online quantisation)."""
    spec = p.spec
    return {
        "engine": p.engine,
        "kv_precision": p.kv_precision,
        "checkpoint_precision": checkpoint_precision,
        "max_running_requests": p.batch,
        "chunked_prefill_tokens": p.prefill_budget or None,
        "context_tokens": context_tokens,
        "attention_dp": p.parallelism.attention_dp,
        "servers_spanned": p.servers_spanned,
        "cards_per_server": p.cards_per_server or None,
        "speculative": None if spec.method == "none" else {
            "method": spec.method, "draft_tokens": spec.verify_tokens, "accept_len": spec.accept_len,
        },
        # Lossy on the wire: a buyer should know the plan counts on it (ATOM sets it by itself on Llama).
        "quantized_allreduce": None if p.allreduce_codec == "none" else p.allreduce_codec,
    }


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
        "replicas": plan_rows(plan, result.scenario.workload.context_tokens, result.model.checkpoint_precision),
    }


def to_json(result: SolveResult, *, facts: SolveFacts, include_timing: bool) -> dict[str, Any]:
    s = result.scenario
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
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
                "central": _central_bid(result, o.offer_id),
                "spread": _spread_json(result.bid_spreads.get(o.offer_id)),
                "top_risk": top_risk(facts.offer(o.offer_id).risks),
            }
            for o in result.per_offer
        ],
        "uncertainty": _spread_json(result.uncertainty),
        "latency_bands": {   # the recommended plan's slowest replica, 10-90 % around its central estimate
            metric: {"p10": round(lo, 2), "p90": round(hi, 2)} for metric, (lo, hi) in sorted(facts.latency_bands.items())
        },
        "served_cost": _served_json(facts),
        "supply_risk": _supply_json(result),
        "unpriced_bids": [_unpriced_json(b, result) for b in result.unpriced_bids],
        "phases": _phases_json(result),
        "diagnosis": None,
        "confidence": s.sla.confidence,
        "engines": facts.engines,
        "central_estimate": None if result.central_plan is None else {
            "confidence": 0.5,
            "cost_rmb": result.central_plan.cost_rmb,
            "servers": dict(sorted(result.central_plan.servers.items())),
        },
        "provenance": provenance_json(facts.provenance),
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


def _supply_json(result: SolveResult) -> dict[str, Any] | None:
    """The recommended plan under each supply case of constraints.robust_to, and the plan trusting
    every bid (null without cases or a plan)."""
    s = result.scenario
    if not result.plans or not s.constraints.robust_to:
        return None
    plan, trusting = result.plans[0], result.trusting_plan
    cases = []
    for outcome in plan.supply:
        case = s.constraints.robust_to[outcome.case]
        cases.append({
            "name": case.label, "offer": case.offer, "vendor": case.vendor, "delivered_share": case.delivered_share,
            "load_share": case.load_share, "servers_arriving": dict(sorted(outcome.delivered.items())),
            "served": round(outcome.served, 3), "required": round(case.load_share * s.workload.load.amount, 3),
            "replicas": plan_rows(dataclasses.replace(plan, groups=outcome.groups)),
        })
    return {
        "cases": cases,
        "trusting_every_bid": None if trusting is None else {"cost_rmb": trusting.cost_rmb, "servers": dict(sorted(trusting.servers.items()))},
        "robustness_cost_rmb": None if trusting is None else plan.cost_rmb - trusting.cost_rmb,
    }


def _phases_json(result: SolveResult) -> dict[str, Any] | None:
    """scenario.phases solved: the schedule and the all-at-once one per period, both totals (spend in
    whole RMB, plain and discounted to the first period), the saving, and the prices per period
    (null without phases)."""
    s, ph = result.scenario, result.phases
    if ph is None or s.phases is None:
        return None
    return {
        "periods": list(s.phases.periods), "load_unit": s.workload.load.unit,
        "lead_time_periods": s.phases.lead_time_periods, "discount_rate_pct": s.phases.discount_rate_pct,
        "priced_on": "capex",
        "status": ph.status, "best_bound_rmb": ph.best_bound_rmb,
        "schedule": _schedule_json(ph.schedule, s.sla.headroom_pct),
        "all_at_once_status": ph.all_at_once_status,
        "all_at_once": _schedule_json(ph.all_at_once, s.sla.headroom_pct),
        "saving_rmb": ph.saving_rmb,
        "prices_rmb_per_server": {oid: list(v) for oid, v in sorted(ph.unit_prices_rmb.items())},
        "discounted_prices_rmb_per_server": {oid: list(v) for oid, v in sorted(ph.unit_discounted_rmb.items())},
    }


def _schedule_json(schedule: PhaseSchedule | None, headroom_pct: float) -> dict[str, Any] | None:
    if schedule is None:
        return None
    return {
        "spend_rmb": schedule.spend_rmb, "discounted_rmb": schedule.discounted_rmb, "servers": schedule.servers,
        "periods": [{
            "period": p.label, "load": round(p.load, 3), "required": round(p.load * (1 + headroom_pct / 100), 3),
            "bought": dict(sorted(p.bought.items())), "in_service": dict(sorted(p.in_service.items())),
            "capacity": round(p.capacity, 3), "spend_rmb": p.spend_rmb, "discounted_spend_rmb": p.discounted_rmb,
            "replicas": [{"design": g.design.key, "count": g.count} for g in p.groups],
        } for p in schedule.periods],
    }


def _unpriced_json(b: UnpricedBid, result: SolveResult) -> dict[str, Any]:
    """A bid with no price: the servers and replicas it needs on its own, never its nominal cost."""
    return {
        "offer": b.offer_id, "vendor": b.vendor, "card": b.card_id, "feasible": b.plan is not None, "reason": b.reason,
        "servers": b.servers if b.plan else None, "central_servers": b.central_servers, "available_servers": b.available_servers,
        "replicas": plan_rows(b.plan) if b.plan else None,
        "break_even_rmb_per_server": b.break_even_rmb_per_server,
    }


def _served_json(facts: SolveFacts) -> dict[str, Any] | None:
    """The recommended plan's cost per million output tokens at the utilisation the daily profile
    gives (null without workload.daily_profile)."""
    c = facts.served
    if c is None:
        return None
    return {
        "profile": c.profile, "mean_fraction_of_peak": round(c.mean_fraction_of_peak, 4),
        "utilisation_at_peak": round(c.utilisation_at_peak, 6), "served_share": round(c.served_share, 6),
        "rmb_per_million_output_tokens_at_full_utilisation": round(c.rmb_per_million_at_full, 4),
        "rmb_per_million_output_tokens_served": round(c.rmb_per_million_served, 4),
        "energy_rmb": None if c.energy_rmb is None else round(c.energy_rmb),
        "energy_rmb_if_power_follows_load": None if c.energy_rmb_power_follows_load is None else round(c.energy_rmb_power_follows_load),
    }


def _spread_json(u: Uncertainty | None) -> dict[str, Any] | None:
    """The 10/50/90 % quantiles of cost and servers over the draws of the model's error."""
    if u is None:
        return None
    return {
        "confidence": u.confidence, "draws": u.draws, "draws_without_plan": u.without_plan,
        "cost_rmb": {"p10": u.cost_rmb.p10, "p50": u.cost_rmb.p50, "p90": u.cost_rmb.p90},
        "servers": {"p10": u.servers.p10, "p50": u.servers.p50, "p90": u.servers.p90},
    }


def _central_bid(result: SolveResult, offer_id: str) -> dict[str, Any] | None:
    """A bid's own plan at the central estimate (None when it has none there either)."""
    row = next((o for o in result.central_per_offer if o.offer_id == offer_id), None)
    if row is None or row.plan is None:
        return None if row is None else {"servers": None, "cost_rmb": None, "reason": row.reason}
    return {"servers": sum(row.plan.servers.values()), "cost_rmb": row.plan.cost_rmb, "reason": None}
