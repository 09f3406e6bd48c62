"""Independent checker: re-verifies a plan without the CP-SAT model.

It recomputes each replica's performance from the performance model, prices from the scenario's
offers, and checks every rule in plain Python. A plan the solver returns that fails here is a bug.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from optimizer import units
from optimizer.bands import quantile_factor
from optimizer.perf import evaluate_replica, kv_transfer_s, make_replica
from optimizer.scenario import Scenario, offer_engine
from optimizer.specs import ModelSpec, load_cards

if TYPE_CHECKING:
    from optimizer.solve import Plan

TOLERANCE = 1e-6


class PlanCheckError(AssertionError):
    """The solver returned a plan that breaks a rule: a bug, never bad input."""


def offer_price_rmb(scenario: Scenario, offer_id: str) -> float:
    """Price of one server of an offer, straight from the scenario (and catalog for catalog prices)."""
    offer = next(o for o in scenario.offers if o.id == offer_id)
    if offer.owned:
        return 0.0
    card = load_cards()[offer.card]
    cps = offer.cards_per_server or card.cards_per_server
    if offer.price_rmb_per_server is not None:
        return float(offer.price_rmb_per_server)
    if offer.price_rmb_per_card is not None:
        return offer.price_rmb_per_card * cps + offer.server_base_rmb
    assert card.price_rmb_per_card is not None and offer.use_catalog_price is not None
    per_card = getattr(card.price_rmb_per_card, f"{offer.use_catalog_price}_rmb")
    return per_card * cps + offer.server_base_rmb


def verify_plan(plan: Plan, scenario: Scenario, model: ModelSpec) -> list[str]:
    """Every rule the plan breaks, in words (empty when the plan is sound)."""
    problems: list[str] = []
    cards = load_cards()
    offers = {o.id: o for o in scenario.offers}
    w, sla, c = scenario.workload, scenario.sla, scenario.constraints
    served = {"colocated": 0.0, "prefill": 0.0, "decode": 0.0}
    used_cards: dict[str, int] = {}
    for group in plan.groups:
        d, p = group.design, group.design.perf
        offer = offers.get(d.offer_id)
        if offer is None:
            problems.append(f"{d.key}: offer {d.offer_id} is not in the scenario")
            continue
        card = cards[offer.card]
        cps = offer.cards_per_server or card.cards_per_server
        engine = offer_engine(scenario, offer, card.family)
        replica = make_replica(
            model, card, p.precision, p.parallelism, scenario.kv_precision, engine=engine,
            spec=scenario.speculative, cards_per_server=cps,
        )
        fresh = evaluate_replica(replica, p.batch, w.input_tokens, w.output_tokens, context_len=w.context_tokens)
        conf = _confidence(scenario, card.family, engine, "moe" if model.moe else "dense", 1 if d.role == "prefill" else p.batch)
        if not fresh.memory.fits:
            problems.append(f"{d.key}: needs {fresh.memory.total_gb:.1f} GB per card, {fresh.memory.capacity_gb:.1f} usable")
        if p.precision not in scenario.precisions:
            problems.append(f"{d.key}: precision {p.precision} is not allowed by the scenario")
        if d.role != "colocated":
            rate = _check_pool(d, fresh, replica, conf, scenario, problems)
            served[d.role] += group.count * (rate if w.load.requests_per_s is not None else rate * w.output_tokens)
        elif sla.statistic == "mean":
            ttft_ms, tpot_ms = units.s_to_ms(fresh.ttft_s) * conf[0], units.s_to_ms(fresh.tpot_s) * conf[1]
            if sla.ttft_ms is not None and ttft_ms > sla.ttft_ms + TOLERANCE:
                problems.append(f"{d.key}: TTFT {ttft_ms:.1f} ms at confidence {sla.confidence:g} > {sla.ttft_ms:g} ms")
            if sla.tpot_ms is not None and tpot_ms > sla.tpot_ms + TOLERANCE:
                problems.append(f"{d.key}: TPOT {tpot_ms:.1f} ms at confidence {sla.confidence:g} > {sla.tpot_ms:g} ms")
        elif (sla.ttft_ms is not None and d.ttft_ms > sla.ttft_ms + TOLERANCE) or (
            sla.tpot_ms is not None and d.tpot_ms > sla.tpot_ms + TOLERANCE
        ):
            problems.append(f"{d.key}: {sla.statistic} latency over the SLA")
        if p.parallelism.tp > cps and not c.tp_across_servers:
            problems.append(f"{d.key}: TP {p.parallelism.tp} spans servers of {cps} cards")
        if p.parallelism.cards > cps and not c.multi_server_replicas:
            problems.append(f"{d.key}: replica spans servers but multi_server_replicas is false")
        if d.role == "colocated":
            served["colocated"] += group.count * _capacity(fresh, scenario, conf[2])
        used_cards[d.offer_id] = used_cards.get(d.offer_id, 0) + group.count * p.parallelism.cards
    if (served["prefill"] or served["decode"]) and not scenario.disaggregation:
        problems.append("prefill/decode replicas, but the scenario does not allow disaggregation")
    total = served["colocated"] + min(served["prefill"], served["decode"])
    if total + TOLERANCE < w.load.amount:
        problems.append(f"serves {total:.2f} {w.load.unit}, the load is {w.load.amount:g}")
    cost = 0.0
    power_w = 0.0
    vendors = set()
    for oid, n in plan.servers.items():
        offer = offers[oid]
        card = cards[offer.card]
        cps = offer.cards_per_server or card.cards_per_server
        if n > offer.available_servers:
            problems.append(f"{oid}: {n} servers bought, {offer.available_servers} available")
        if used_cards.get(oid, 0) > n * cps:
            problems.append(f"{oid}: replicas use {used_cards[oid]} cards, {n} servers hold {n * cps}")
        if n and not offer.owned and used_cards.get(oid, 0) <= (n - 1) * cps:
            problems.append(f"{oid}: {n} servers bought but replicas use only {used_cards.get(oid, 0)} cards (a server stands idle)")
        if c.power_cap_kw is not None and n:
            if card.tdp_w is None:
                problems.append(f"{oid}: TDP unknown, cannot be shown within the power cap")
            else:
                power_w += n * cps * card.tdp_w
        if offer.vendor in c.vendors_excluded or (c.vendors_allowed is not None and offer.vendor not in c.vendors_allowed):
            problems.append(f"{oid}: vendor {offer.vendor} is not allowed")
        if n:
            vendors.add(offer.vendor)
        cost += n * offer_price_rmb(scenario, oid)
        if scenario.objective.kind == "tco" and card.tdp_w is not None:
            o = scenario.objective
            assert o.years is not None and o.rmb_per_kwh is not None
            cost += n * round(card.tdp_w * cps / 1000 * o.pue * 24 * 365 * o.years * o.rmb_per_kwh)
    for oid in used_cards:
        if oid not in plan.servers:
            problems.append(f"{oid}: replicas placed but no server bought")
    if c.power_cap_kw is not None and power_w > c.power_cap_kw * 1000 + TOLERANCE:
        problems.append(f"power {power_w / 1000:.1f} kW exceeds the cap {c.power_cap_kw:g} kW")
    if c.single_vendor and len(vendors) > 1:
        problems.append(f"single_vendor, but the plan buys from {sorted(vendors)}")
    if c.max_servers is not None and sum(plan.servers.values()) > c.max_servers:
        problems.append(f"{sum(plan.servers.values())} servers > max_servers {c.max_servers}")
    if abs(round(cost) - plan.cost_rmb) > len(plan.servers):  # prices are rounded to the yuan per offer
        problems.append(f"cost adds up to RMB {cost:,.0f}, the plan says {plan.cost_rmb:,}")
    capex = sum(n * offer_price_rmb(scenario, oid) for oid, n in plan.servers.items())
    if c.budget_rmb is not None and round(capex) > math.floor(c.budget_rmb):
        problems.append(f"purchase RMB {capex:,.0f} exceeds the budget RMB {c.budget_rmb:,.0f}")
    return problems


def _confidence(scenario: Scenario, family: str, engine: str, model_class: str, concurrency: int) -> tuple[float, float, float]:
    """(TTFT, TPOT, throughput) multipliers at the scenario's confidence, from the error bands.
    Repeats designs.confidence_factors on purpose: the checker shares no code with the plan model."""
    q = scenario.sla.confidence
    return (
        max(1.0, quantile_factor(family, engine, model_class, "ttft_ms", q, upper=True, concurrency=concurrency)),
        max(1.0, quantile_factor(family, engine, model_class, "tpot_ms", q, upper=True, concurrency=concurrency)),
        min(1.0, quantile_factor(family, engine, model_class, "output_tok_s", q, upper=False, concurrency=concurrency)),
    )


def _check_pool(d, fresh, replica, conf, scenario: Scenario, problems: list[str]) -> float:  # type: ignore[no-untyped-def]
    """A prefill or decode replica: its SLA and its request rate, recomputed. A prefill replica
    runs at most MAX_PREFILL_UTILIZATION busy; its TTFT adds the M/D/1 wait at the utilisation
    the design claims and the KV hand-over."""
    sla, w = scenario.sla, scenario.workload
    claimed = d.requests_per_s or 0.0
    if d.role == "prefill":
        rho = claimed / conf[2] * fresh.prefill_occupancy_s
        transfer = kv_transfer_s(replica, w.input_tokens)
        tail = {"mean": None, "p90": 0.90, "p99": 0.99}[sla.statistic]
        factor = 1.0 if tail is None else math.log(1 / (1 - tail))
        if rho >= 1:
            problems.append(f"{d.key}: prefill replica over-subscribed (utilisation {rho:.2f})")
            return 0.0
        front_end = units.ms_to_s(replica.factors.ttft_overhead_ms)
        ttft_ms = units.s_to_ms(fresh.prefill_s + factor * rho / (2 * (1 - rho)) * fresh.prefill_occupancy_s + transfer + front_end) * conf[0]
        if sla.ttft_ms is not None and ttft_ms > sla.ttft_ms + TOLERANCE:
            problems.append(f"{d.key}: TTFT {ttft_ms:.1f} ms > {sla.ttft_ms:g} ms")
        return claimed
    token_ms = units.s_to_ms(fresh.decode.total_s) / fresh.accept_len * conf[1]
    if sla.tpot_ms is not None and token_ms > sla.tpot_ms + TOLERANCE:
        problems.append(f"{d.key}: TPOT {token_ms:.1f} ms > {sla.tpot_ms:g} ms")
    return fresh.batch * fresh.accept_len / (max(1, w.output_tokens - 1) * fresh.decode.total_s) * conf[2]


def _capacity(perf, scenario: Scenario, throughput_factor: float) -> float:  # type: ignore[no-untyped-def]
    load = scenario.workload.load
    if load.concurrent_users is not None:
        return float(perf.batch)
    rate = perf.requests_per_s if load.requests_per_s is not None else perf.output_tokens_per_s
    return rate * throughput_factor


def assert_plan_valid(plan: Plan, scenario: Scenario, model: ModelSpec) -> None:
    problems = verify_plan(plan, scenario, model)
    if problems:
        raise PlanCheckError(f"plan rank {plan.rank} fails the independent check: " + "; ".join(problems))
