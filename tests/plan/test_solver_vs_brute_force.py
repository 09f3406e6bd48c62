"""CP-SAT's optimum equals brute-force enumeration on small random plan instances.

Instances are built without the performance model: stand-in designs with integer capacities on
1-3 offers (4- or 8-card servers, 1-4 available, two vendors), sometimes with a budget cap, a
single-vendor rule or a server cap. The brute force tries every purchase and every replica mix.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

import pytest
from ortools.sat.python import cp_model
from plan_factories import RMB_100K, BruteForce, brute_force, plan_scenario, stand_in_design, terms_of

from optimizer.plan.optimize import solve_designs
from optimizer.plan.result import Design
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario

SEEDS = range(60)
VENDORS = ("vendor-a", "vendor-b")


@dataclass(frozen=True)
class Instance:
    scenario: Scenario
    designs: list[Design]
    terms: dict[str, OfferTerms]

    def describe(self) -> str:
        offers = "; ".join(
            f"{t.offer_id}: {t.vendor} {t.available_servers} x {t.cards_per_server} cards at {t.price_rmb_per_server:,}"
            for t in self.terms.values()
        )
        designs = "; ".join(f"{d.offer_id} {d.cards} cards serve {d.capacity:g}" for d in self.designs)
        c = self.scenario.constraints
        return (
            f"demand {self.scenario.workload.load.amount:g} users | {offers} | {designs} | "
            f"budget {c.budget_rmb} single_vendor {c.single_vendor} max_servers {c.max_servers}"
        )


def random_instance(seed: int) -> Instance:
    rng = random.Random(seed)
    terms: dict[str, OfferTerms] = {}
    designs: list[Design] = []
    for k in range(rng.choice([1, 2, 2, 3, 3])):
        oid = f"offer-{k}"
        cps = rng.choice([8, 4])
        terms[oid] = terms_of(
            oid, vendor=rng.choice(VENDORS), cards_per_server=cps, price_rmb=rng.randint(1, 20) * RMB_100K,
            available=rng.randint(1, 4),
        )
        sizes = [c for c in (1, 2, 4, 8) if c <= cps] + ([16] if cps == 8 and rng.random() < 0.4 else [])
        for i, cards in enumerate(sorted(rng.sample(sizes, rng.randint(1, min(4, len(sizes)))))):
            capacity = rng.randint(1, min(50, 4 * cards))  # a few users per card, as real replicas serve
            designs.append(stand_in_design(oid, cards, capacity, batch=i + 1))
    scenario = plan_scenario(
        terms, rng.randint(1, 120),
        budget_rmb=rng.randint(1, 60) * RMB_100K if rng.random() < 0.3 else None,
        single_vendor=rng.random() < 0.3,
        max_servers=rng.randint(1, 6) if rng.random() < 0.15 else None,
    )
    return Instance(scenario, designs, terms)


@cache
def solved(seed: int) -> tuple[Instance, BruteForce]:
    inst = random_instance(seed)
    return inst, brute_force(inst.scenario, inst.designs, inst.terms)


@pytest.mark.parametrize("seed", SEEDS)
def test_cp_sat_optimum_equals_brute_force(seed):
    inst, bf = solved(seed)
    code, solver, v = solve_designs(inst.scenario, inst.designs, inst.terms)
    shown = f"seed {seed}: {inst.describe()}\nbrute force {bf.cost_rmb} via {bf.purchases}"
    if bf.cost_rmb is None:
        assert code == cp_model.INFEASIBLE, f"CP-SAT found {solver.status_name(code)}, brute force nothing\n{shown}"
        return
    assert code == cp_model.OPTIMAL, f"CP-SAT status {solver.status_name(code)}\n{shown}"
    assert round(solver.objective_value) == bf.cost_rmb, shown
    bought = {oid: int(solver.value(x)) for oid, x in v.servers.items() if solver.value(x)}
    assert bought in bf.purchases, f"CP-SAT bought {bought}, not a cheapest feasible purchase\n{shown}"


def _needs_two_offers(inst: Instance, bf: BruteForce) -> bool:
    """Every cheapest purchase buys from at least two offers."""
    return bf.cost_rmb is not None and all(len(p) >= 2 for p in bf.purchases)


def _availability_binds(inst: Instance, bf: BruteForce) -> bool:
    """Lifting availability alone makes the scenario cheaper (or feasible): the offers the cheapest
    unlimited plan would use run out."""
    code, solver, _ = solve_designs(inst.scenario, inst.designs, inst.terms, relax=frozenset({"availability"}))
    if code != cp_model.OPTIMAL:
        return False
    return bf.cost_rmb is None or round(solver.objective_value) < bf.cost_rmb


def test_instances_cover_feasible_infeasible_mixed_and_availability_limited_cases():
    """The comparison above means something only if the instances exercise each kind of optimum."""
    cases = [solved(seed) for seed in SEEDS]
    feasible = [c for c in cases if c[1].cost_rmb is not None]
    infeasible = [c for c in cases if c[1].cost_rmb is None]
    mixed = [c for c in cases if _needs_two_offers(*c)]
    limited = [c for c in feasible if _availability_binds(*c)]
    budgeted = [c for c in feasible if c[0].scenario.constraints.budget_rmb is not None]
    single = [c for c in feasible if c[0].scenario.constraints.single_vendor and len(c[0].terms) > 1]
    counts = {
        "feasible": len(feasible), "infeasible": len(infeasible), "mixed": len(mixed),
        "availability-limited": len(limited), "budget-capped": len(budgeted), "single-vendor": len(single),
    }
    assert len(feasible) >= 30, counts
    assert len(infeasible) >= 3, counts
    assert len(mixed) >= 5, counts
    assert len(limited) >= 5, counts
    assert len(budgeted) >= 3, counts
    assert len(single) >= 3, counts
