"""solve(): enumerate designs, solve the plan model, rank alternatives, diagnose infeasibility.
Returns a plain SolveResult; checking the plans and the companions is the pipeline's job."""

from __future__ import annotations

import dataclasses
import time

from optimizer.plan.confidence import DrawDesigns, sensible_shapes, size_over_draws
from optimizer.plan.designs import ShapeKey, cell_of, enumerate_designs, prune_dominated
from optimizer.plan.diagnose import diagnose
from optimizer.plan.model import load_demand
from optimizer.plan.optimize import solve_max_load, solve_min_cost
from optimizer.plan.rank import alternatives, best_per_offer
from optimizer.plan.result import Design, Diagnosis, OfferSummary, Plan, SolveResult, Status, Uncertainty
from optimizer.plan.terms import OfferTerms
from optimizer.problem import Problem
from optimizer.scenario import Scenario


def solve(problem: Problem) -> SolveResult:
    """Enumerate designs, solve the plan model, rank alternatives, diagnose infeasibility.
    The plans are not yet checked: pipeline.solve runs the checker on every one."""
    started = time.perf_counter()
    scenario, model, terms = problem.scenario, problem.model, problem.terms
    candidates, summaries = enumerate_designs(problem, prune=False)
    designs = prune_dominated(candidates, scenario)
    central_per_offer = tuple(best_per_offer(scenario, designs, terms, summaries))
    central_plan = _cheapest(scenario, designs, terms) if scenario.sla.confidence > 0.5 else None
    uncertainty: Uncertainty | None = None
    bid_spreads: dict[str, Uncertainty] = {}
    designs_at: DrawDesigns | None = None
    if scenario.sla.confidence > 0.5 and designs:
        shapes = sensible_shapes(candidates)
        designs_at = DrawDesigns(problem, shapes)
        designs, summaries, candidates, bid_spreads = _at_confidence(problem, designs_at, shapes, summaries, candidates)
    plans: list[Plan] = []
    status: Status = "infeasible"
    objective: int | None = None
    bound: int | None = None
    diagnosis: Diagnosis | None = None
    if designs and scenario.objective.kind == "max_load":
        status, best = solve_max_load(scenario, designs, terms, min_served=load_demand(scenario))
        if best is not None:
            plans.append(best)
            objective = bound = best.cost_rmb
    single: Plan | None = None
    mix: Plan | None = None
    if designs and scenario.objective.kind != "max_load":
        status, best, objective, bound = solve_min_cost(scenario, designs, terms)
        if best is not None:
            single = best_single_vendor(scenario, designs, terms, best)
            mix = best if single is not None else None
            best = vendor_rule(scenario, best, single)
            declined = mix is not None and best.servers != mix.servers
            # A declined mix is priced on its own (mix_plan); the ranked plans are then one-vendor
            # plans like the recommendation, so none undercuts it with a negative gap.
            ranked_in = one_vendor(scenario) if declined else scenario
            objective = best.cost_rmb
            plans.append(best)
            plans.extend(alternatives(ranked_in, designs, terms, best))
    per_offer = central_per_offer if designs_at is None else tuple(best_per_offer(scenario, designs, terms, summaries))
    if designs_at is not None:  # the spread of what is recommended (the bid(s) it buys from), else of the best answer
        bought = frozenset(o for o, n in plans[0].servers.items() if n and not terms[o].owned) if plans else frozenset()
        only = next(iter(bought)) if len(bought) == 1 else None
        if only in bid_spreads:
            uncertainty = bid_spreads[only]
        else:
            uncertainty = size_over_draws(problem, designs_at.only(bought) if bought else designs_at, offers=bought or None)
    trusting = _cheapest(trusting_every_bid(scenario), designs, terms) if plans and scenario.constraints.robust_to else None
    if status == "infeasible":  # a proof; a time-out ("unknown") is not diagnosed as infeasible
        diagnosis = diagnose(scenario, designs, terms, summaries)
    return SolveResult(
        problem=problem, scenario=scenario, model=model, status=status, objective_rmb=objective, best_bound_rmb=bound,
        solve_seconds=time.perf_counter() - started, designs=tuple(designs), candidates=tuple(candidates),
        plans=tuple(plans), per_offer=per_offer, diagnosis=diagnosis, terms=terms, summaries=summaries,
        single_vendor_plan=single, mix_plan=mix, uncertainty=uncertainty, central_plan=central_plan,
        central_per_offer=central_per_offer, bid_spreads=bid_spreads, trusting_plan=trusting,
    )


def trusting_every_bid(scenario: Scenario) -> Scenario:
    """The scenario without its supply cases: the plan that trusts every bid to deliver, against
    which the report prices the robustness."""
    return scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"robust_to": []})})


def vendors_of(plan: Plan, terms: dict[str, OfferTerms]) -> set[str]:
    """Vendors the plan buys from (hardware already owned is no new contract)."""
    return {terms[oid].vendor for oid, n in plan.servers.items() if n and not terms[oid].owned}


def best_single_vendor(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms], best: Plan) -> Plan | None:
    """The cheapest plan buying from one vendor, when the cheapest plan mixes vendors (None when
    it does not, or when no single vendor can serve the load)."""
    if len(vendors_of(best, terms)) <= 1:
        return None
    _, plan, _, _ = solve_min_cost(one_vendor(scenario), designs, terms, rank=0)
    return plan


def one_vendor(scenario: Scenario) -> Scenario:
    """The scenario bought from one vendor (constraints.single_vendor)."""
    return scenario.model_copy(update={"constraints": scenario.constraints.model_copy(update={"single_vendor": True})})


def vendor_rule(scenario: Scenario, best: Plan, single: Plan | None) -> Plan:
    """The plan to recommend: a mix of vendors must earn its second contract by saving more than
    constraints.mix_min_saving_pct against the best single-vendor plan."""
    if single is not None and mix_saving_pct(best, single) <= scenario.constraints.mix_min_saving_pct:
        return dataclasses.replace(single, rank=1)
    return best


def mix_saving_pct(mix: Plan, single: Plan) -> float:
    """What the mix saves against the best single-vendor plan, in % of the latter."""
    return 100.0 * (single.cost_rmb - mix.cost_rmb) / single.cost_rmb if single.cost_rmb else 0.0


def _cheapest(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms]) -> Plan | None:
    """The plan of these designs under the scenario's objective and its vendor rule (the central
    estimate's, beside the plan at the confidence: together they bracket the answer, so both ends
    follow the same rule)."""
    if scenario.objective.kind == "max_load":
        return solve_max_load(scenario, designs, terms, min_served=load_demand(scenario))[1]
    best = solve_min_cost(scenario, designs, terms)[1]
    if best is None:
        return None
    return vendor_rule(scenario, best, best_single_vendor(scenario, designs, terms, best))


def _at_confidence(
    problem: Problem, designs_at: DrawDesigns, shapes: frozenset[ShapeKey], summaries: dict[str, OfferSummary],
    candidates: list[Design],
) -> tuple[list[Design], dict[str, OfferSummary], list[Design], dict[str, Uncertainty]]:
    """Each bid sized at its own quantile draw (a purchase from one bid then meets the SLAs in
    `confidence` of its cell's draws): the designs the plan model gets, the summaries, the
    candidates a report ranks, and each bid's spread. A fleet already owned is ranked split by
    split (every split, at its draw); a purchase needs only the sensible shapes, and bids without
    any keep the central estimate's reasons."""
    scenario = problem.scenario
    sized = {shape[0] for shape in shapes}
    spreads = {
        v.id: size_over_draws(problem, designs_at.offer(v.id), only_offer=v.id,
                              worse_order=problem.errors.worse_order(cell_of(problem, v)))
        for v in problem.offers if v.id in sized
    }
    own_draw = {oid: u.chosen_draw for oid, u in spreads.items()}
    every = scenario.objective.kind == "max_load"
    drawn, drawn_summaries = enumerate_designs(problem, prune=False, draw=own_draw, shapes=None if every else shapes)
    summaries = {oid: drawn_summaries[oid] if oid in sized else s for oid, s in summaries.items()}
    designs = prune_dominated([d for d in drawn if d.offer_id in sized], scenario)
    return designs, summaries, drawn if every else candidates, spreads
