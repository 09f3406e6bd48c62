"""Why a scenario has no plan: the binding constraint families (CP-SAT assumptions) and the
smallest single relaxation that would work, in words."""

from __future__ import annotations

from optimizer import units
from optimizer.plan.model import active_families, build_plan_model
from optimizer.plan.optimize import extract_plan, restrict_to_offer, run, solve_designs, status_of
from optimizer.plan.result import Design, Diagnosis, OfferSummary, Plan, has_plan
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario


def diagnose(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], summaries: dict[str, OfferSummary]
) -> Diagnosis:
    reasons = {oid: "; ".join(s.reasons) for oid, s in summaries.items() if s.reasons}
    if not designs:
        excluded = [oid for oid, s in summaries.items() if any("vendor rules" in r for r in s.reasons)]
        if len(excluded) == len(summaries):
            vendors = sorted({t.vendor for t in terms.values()})
            return Diagnosis(
                ("vendor rules",), (f"every offer's vendor is excluded: allow at least one of {', '.join(vendors)}",), reasons
            )
        return Diagnosis(("no design meets memory and the SLAs",), tuple(_sla_relaxations(scenario, summaries)), reasons)
    v = build_plan_model(scenario, designs, terms, with_assumptions=True)
    _, solver = run(v)
    names = {lit.index: fam for fam, lit in v.enforce.items()}
    binding = tuple(sorted(names[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in names))
    text = relaxation_text(scenario, designs, terms)
    return Diagnosis(binding or ("load",), (text,) if text else (), reasons)


def relaxation_text(
    scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], only_offer: str | None = None
) -> str:
    """Smallest single relaxation that makes the scenario feasible, in words (`only_offer`: for
    that bid alone, with hardware already owned)."""
    designs, terms = restrict_to_offer(designs, terms, only_offer)
    options = []
    for family in active_families(scenario):  # relaxing a limit the scenario does not set changes nothing
        code, solver, v = solve_designs(scenario, designs, terms, relax=frozenset({family}))
        if not has_plan(status_of(code)):
            continue
        plan = extract_plan(solver, v, designs, terms, 0)
        options.append(_describe_relaxation(family, plan, scenario, terms))
    if not options:
        relax_all = frozenset(active_families(scenario))
        code, solver, v = solve_designs(scenario, designs, terms, relax=relax_all)
        if has_plan(status_of(code)):
            plan = extract_plan(solver, v, designs, terms, 0)
            need = ", ".join(f"{n} x {o}" for o, n in plan.servers.items())
            options.append(f"only relaxing several limits at once works: {need} servers, RMB {plan.cost_rmb:,}")
    return "; or ".join(options)


def _describe_relaxation(family: str, plan: Plan, scenario: Scenario, terms: dict[str, OfferTerms]) -> str:
    need = ", ".join(f"{n} x {o} (available {terms[o].available_servers})" for o, n in plan.servers.items())
    if family == "availability":
        return f"more servers than offered: {need}, RMB {plan.cost_rmb:,}"
    if family == "budget":
        return f"a budget of RMB {plan.cost_rmb:,} (cap {scenario.constraints.budget_rmb:,.0f}) would suffice: {need}"
    if family == "max_servers":
        return f"allowing {sum(plan.servers.values())} servers (cap {scenario.constraints.max_servers}) would suffice"
    if family == "power":
        kw = units.w_to_kw(sum((terms[o].power_w_per_server or 0) * n for o, n in plan.servers.items()))
        return f"a power cap of {kw:,.1f} kW (cap {scenario.constraints.power_cap_kw:g}) would suffice"
    if family == "headroom":
        return f"dropping sla.headroom_pct ({scenario.sla.headroom_pct:g} %) would suffice: {need}, RMB {plan.cost_rmb:,}"
    if family == "one_shape":
        return f"allowing several replica designs per offer (constraints.one_shape_per_offer) would suffice: {need}, RMB {plan.cost_rmb:,}"
    if family == "n_plus_one":
        return f"dropping constraints.n_plus_one (a spare server's worth of capacity) would suffice: {need}, RMB {plan.cost_rmb:,}"
    if family == "robust":
        return f"dropping constraints.robust_to (trusting every bid to deliver) would suffice: {need}, RMB {plan.cost_rmb:,}"
    return f"a mixed fleet would work: {need}, RMB {plan.cost_rmb:,}"


def _sla_relaxations(scenario: Scenario, summaries: dict[str, OfferSummary]) -> list[str]:
    sla = scenario.sla
    out = []
    ttfts = [s.best_ttft_ms for s in summaries.values() if s.best_ttft_ms is not None]
    tpots = [s.best_tpot_ms for s in summaries.values() if s.best_tpot_ms is not None]
    if sla.ttft_ms is not None and ttfts and min(ttfts) > sla.ttft_ms:
        out.append(f"TTFT ≤ {sla.ttft_ms:g} ms is unreachable: the fastest design reaches {min(ttfts):.0f} ms")
    if sla.tpot_ms is not None and tpots and min(tpots) > sla.tpot_ms:
        out.append(f"TPOT ≤ {sla.tpot_ms:g} ms is unreachable: the fastest design reaches {min(tpots):.1f} ms")
    if not ttfts:
        out.append("the model fits no offer's cards in any allowed split: add larger-memory cards, lower precision, or allow multi-server replicas")
    if not out:
        out.append("each SLA is reachable alone but no design meets both at once: relax one of them")
    return out
