"""A feasible/infeasible pair for each constraint family, and what an infeasible solve says.

Plan-model pairs use stand-in designs (tests/plan_factories.py); the vendor rule and TP placement
act during design enumeration, so their pairs use real scenarios of llama-3.1-8b on H200 and L40S.
"""

from __future__ import annotations

import re

import pytest
from conftest import resolved
from ortools.sat.python import cp_model
from plan_factories import RMB_100K, plan_scenario, stand_in_design, terms_of

from optimizer import pipeline
from optimizer.plan import designs as designs_mod
from optimizer.plan import optimize
from optimizer.plan.result import Diagnosis
from optimizer.scenario import Objective, Scenario


def _objective(scenario, designs, terms) -> int | None:
    """Cheapest cost, or None when the plan model is infeasible (any other status fails)."""
    code, solver, _ = optimize.solve_designs(scenario, designs, terms)
    assert code in (cp_model.OPTIMAL, cp_model.INFEASIBLE), solver.status_name(code)
    return round(solver.objective_value) if code == cp_model.OPTIMAL else None


def _full_servers(offer_id: str, users_per_server: int):  # type: ignore[no-untyped-def]
    """One 8-card design serving `users_per_server` users: a server per replica."""
    return [stand_in_design(offer_id, 8, users_per_server)]


# --------------------------------------------------------------------------------------------
# Plan-model constraints


def _two_offer_case():  # type: ignore[no-untyped-def]
    """30 users; offer a: 20 users per 8-card replica at RMB 900k per 8-card server (2 available);
    offer b: 12 users per 4-card replica at RMB 500k per 4-card server (1 available).
    Cheapest: 1 x a + 1 x b (32 users) = RMB 1.4M; 2 x a (40 users) costs 1.8M, b alone serves 12."""
    terms = {
        "a": terms_of("a", vendor="vendor-a", cards_per_server=8, price_rmb=9 * RMB_100K, available=2),
        "b": terms_of("b", vendor="vendor-b", cards_per_server=4, price_rmb=5 * RMB_100K, available=1),
    }
    designs = [stand_in_design("a", 8, 20), stand_in_design("b", 4, 12)]
    return terms, designs, 30


def test_two_offer_case_optimum_is_derived_by_hand():
    terms, designs, users = _two_offer_case()
    assert _objective(plan_scenario(terms, users), designs, terms) == 14 * RMB_100K


def test_budget_at_the_optimum_is_feasible_one_yuan_less_is_not():
    terms, designs, users = _two_offer_case()
    best = 14 * RMB_100K
    assert _objective(plan_scenario(terms, users, budget_rmb=best), designs, terms) == best
    assert _objective(plan_scenario(terms, users, budget_rmb=best - 1), designs, terms) is None


def test_budget_can_force_a_dearer_shape_off_the_table():
    """Without b the plan needs 2 x a (RMB 1.8M); a budget of 1.7M leaves only the mix."""
    terms, designs, users = _two_offer_case()
    assert _objective(plan_scenario(terms, users, budget_rmb=17 * RMB_100K), designs, terms) == 14 * RMB_100K
    only_a = {"a": terms["a"]}
    a_designs = [d for d in designs if d.offer_id == "a"]
    assert _objective(plan_scenario(only_a, users), a_designs, only_a) == 18 * RMB_100K
    assert _objective(plan_scenario(only_a, users, budget_rmb=17 * RMB_100K), a_designs, only_a) is None


@pytest.mark.parametrize(("available", "expected"), [(3, 3 * 10 * RMB_100K), (2, None)])
def test_availability_enough_servers_vs_too_few(available, expected):
    """30 users at 10 per 8-card server need 3 servers."""
    terms = {"a": terms_of("a", price_rmb=10 * RMB_100K, available=available)}
    assert _objective(plan_scenario(terms, 30), _full_servers("a", 10), terms) == expected


@pytest.mark.parametrize(("max_servers", "expected"), [(3, 3 * 10 * RMB_100K), (2, None)])
def test_max_servers_cap_at_the_need_vs_below_it(max_servers, expected):
    """30 users at 10 per server need 3 servers, split over two offers of 2 each."""
    terms = {
        "a": terms_of("a", price_rmb=10 * RMB_100K, available=2),
        "b": terms_of("b", price_rmb=10 * RMB_100K, available=2),
    }
    designs = _full_servers("a", 10) + _full_servers("b", 10)
    assert _objective(plan_scenario(terms, 30, max_servers=max_servers), designs, terms) == expected


def test_single_vendor_mixed_fleet_feasible_without_the_rule_not_with_it():
    """15 users; each vendor has one server of 10 users: only a mixed fleet covers the load."""
    terms = {
        "a": terms_of("a", vendor="vendor-a", price_rmb=10 * RMB_100K, available=1),
        "b": terms_of("b", vendor="vendor-b", price_rmb=7 * RMB_100K, available=1),
    }
    designs = _full_servers("a", 10) + _full_servers("b", 10)
    assert _objective(plan_scenario(terms, 15), designs, terms) == 17 * RMB_100K
    assert _objective(plan_scenario(terms, 15, single_vendor=True), designs, terms) is None


def test_single_vendor_allows_two_offers_of_one_vendor():
    terms = {
        "a": terms_of("a", vendor="vendor-a", price_rmb=10 * RMB_100K, available=1),
        "b": terms_of("b", vendor="vendor-a", price_rmb=7 * RMB_100K, available=1),
    }
    designs = _full_servers("a", 10) + _full_servers("b", 10)
    assert _objective(plan_scenario(terms, 15, single_vendor=True), designs, terms) == 17 * RMB_100K


def test_packing_never_buys_an_idle_server():
    """10 users, one 4-card design serving 10 on 4-card servers: one server. Forbidding that purchase
    (as the ranking of alternatives does) leaves nothing, since a second server would stand idle."""
    terms = {"a": terms_of("a", cards_per_server=4, price_rmb=3 * RMB_100K, available=4)}
    scenario, designs = plan_scenario(terms, 10), [stand_in_design("a", 4, 10)]
    code, solver, v = optimize.solve_designs(scenario, designs, terms)
    assert code == cp_model.OPTIMAL
    assert (solver.value(v.servers["a"]), solver.value(v.replicas[0])) == (1, 1)
    code, solver, _ = optimize.solve_designs(scenario, designs, terms, forbid=({"a": 1},))
    assert code == cp_model.INFEASIBLE, solver.status_name(code)


@pytest.mark.parametrize(("cards_per_server", "expected"), [(8, 10 * RMB_100K), (4, None)])
def test_cards_fit_in_the_servers_bought(cards_per_server, expected):
    """One 8-card replica fits an 8-card server; on 4-card servers a lone 8-card design needs two,
    and with one available there is no plan."""
    terms = {"a": terms_of("a", cards_per_server=cards_per_server, price_rmb=10 * RMB_100K, available=1)}
    assert _objective(plan_scenario(terms, 5), [stand_in_design("a", 8, 10)], terms) == expected


# --------------------------------------------------------------------------------------------
# Real scenarios: vendor rules and TP placement act during design enumeration


def _llama8b(users: int = 20, **constraints) -> Scenario:  # type: ignore[no-untyped-def]
    """llama-3.1-8b, loose SLA (TTFT 5 s, TPOT 200 ms), one H200 and one L40S offer of two servers."""
    return Scenario.model_validate({
        "name": "llama8b-pair",
        "model": "llama-3.1-8b",
        "precisions": ["bf16"],
        "workload": {"input_tokens": 1000, "output_tokens": 200, "load": {"concurrent_users": users}},
        "sla": {"ttft_ms": 5000, "tpot_ms": 200},
        "offers": [
            {"id": "h200-8x", "vendor": "vendor-h", "card": "h200", "price_rmb_per_server": 1_500_000, "available_servers": 2},
            {"id": "l40s-8x", "vendor": "vendor-l", "card": "l40s", "price_rmb_per_server": 400_000, "available_servers": 2},
        ],
        "constraints": constraints,
        "search": {"ranked_plans": 2},
    })


def test_llama8b_pair_buys_the_cheaper_l40s_server():
    result = pipeline.solve(resolved(_llama8b()))
    assert result.status == "optimal"
    assert result.plans[0].servers == {"l40s-8x": 1}


def test_vendor_excluded_removes_its_offer_but_the_other_still_serves():
    result = pipeline.solve(resolved(_llama8b(vendors_excluded=["vendor-l"])))
    assert result.status == "optimal"
    assert {d.offer_id for d in result.designs} == {"h200-8x"}
    assert result.plans[0].servers == {"h200-8x": 1}
    assert result.objective_rmb == 1_500_000


def test_vendors_allowed_keeps_only_the_named_vendor():
    result = pipeline.solve(resolved(_llama8b(vendors_allowed=["vendor-h"])))
    assert {d.offer_id for d in result.designs} == {"h200-8x"}
    assert result.plans[0].servers == {"h200-8x": 1}


def test_every_vendor_excluded_is_infeasible_and_the_diagnosis_says_why():
    """The model fits both cards easily: the diagnosis must blame the vendor rules, not memory."""
    result = pipeline.solve(resolved(_llama8b(vendors_excluded=["vendor-h", "vendor-l"])))
    assert result.status == "infeasible"
    assert result.plans == ()
    d = result.diagnosis
    assert d is not None
    assert all("excluded" in r for r in d.offer_reasons.values()), d.offer_reasons
    said = " ".join(d.binding + d.relaxations)
    assert "vendor" in said, d
    assert "fits no offer" not in said, d


def test_tp16_needs_tp_across_servers_on_8_card_servers():
    base = _llama8b()
    tp16 = base.model_copy(update={"search": base.search.model_copy(update={"tp": [16], "pp": [1]})})
    inside, summaries = designs_mod.enumerate_designs(resolved(tp16))
    assert inside == []
    assert all(s.reasons for s in summaries.values()), summaries
    across = tp16.model_copy(update={"constraints": tp16.constraints.model_copy(update={"tp_across_servers": True})})
    found, _ = designs_mod.enumerate_designs(resolved(across))
    assert {d.offer_id for d in found} == {"h200-8x", "l40s-8x"}
    assert all(d.perf.parallelism.tp == 16 and d.cards == 16 for d in found)


# --------------------------------------------------------------------------------------------
# What an infeasible solve says


def _most_users(**constraints) -> int:  # type: ignore[no-untyped-def]
    """The most concurrent users the pair's offers serve under `constraints` (max-load solve)."""
    scn = _llama8b(1, **constraints).model_copy(update={"objective": Objective(kind="max_load")})
    result = pipeline.solve(resolved(scn))
    assert result.plans, result.status
    return int(result.plans[0].served)


def _diagnosed(scenario: Scenario) -> Diagnosis:
    result = pipeline.solve(resolved(scenario))
    assert result.status == "infeasible", result.status
    assert result.diagnosis is not None
    return result.diagnosis


@pytest.mark.parametrize(
    ("family", "users", "constraints", "words"),
    [
        ("budget", 20, {"budget_rmb": 100_000}, "budget"),
        ("max_servers", 5000, {"max_servers": 1}, "servers"),
        ("single_vendor", None, {"single_vendor": True}, "mixed fleet"),
        ("availability", 20_000, {}, "servers"),
    ],
)
def test_infeasible_solve_names_the_binding_family_and_a_number(family, users, constraints, words):
    if users is None:  # more users than either vendor alone can serve, fewer than both together
        alone = [_most_users(vendors_excluded=[v]) for v in ("vendor-h", "vendor-l")]
        users = max(alone) + 1
        assert users <= _most_users(), (alone, _most_users())
    d = _diagnosed(_llama8b(users, **constraints))
    assert family in d.binding, d
    assert d.relaxations, d
    text = " ".join(d.relaxations)
    assert words in text, d
    assert re.search(r"\d", text), d
    assert text.strip().lower() != "infeasible"


def test_budget_relaxation_states_the_cost_that_would_suffice():
    """20 users fit one L40S server (RMB 400,000): that is the budget the diagnosis asks for."""
    d = _diagnosed(_llama8b(20, budget_rmb=100_000))
    assert any("400,000" in r for r in d.relaxations), d
