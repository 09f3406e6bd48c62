"""Bid comparison, break-even prices, sweeps and the max-load objective."""

from __future__ import annotations

import itertools
import json
import random
import re
from pathlib import Path

import pytest
from conftest import load, resolved
from plan_factories import plan_scenario, stand_in_design, terms_of

from optimizer import analysis as whatif
from optimizer.pipeline import solve
from optimizer.plan.model import capacity_units
from optimizer.plan.optimize import solve_max_load

REPO = Path(__file__).resolve().parents[2]
BIDS = REPO / "scenarios" / "r1_bids_h200_910b_mi300x.yaml"


@pytest.fixture(scope="module")
def bids():
    return load(BIDS)


@pytest.fixture(scope="module")
def comparison(bids):
    return whatif.compare(resolved(bids))


def test_every_bid_has_a_row_and_the_winner_is_the_cheapest(comparison, bids):
    assert [r.offer_id for r in comparison.rows] == [o.id for o in bids.offers]
    feasible = [r for r in comparison.rows if r.plan is not None]
    assert feasible, "the shipped bid scenario must have a feasible bid"
    cheapest = min(feasible, key=lambda r: r.plan.cost_rmb)
    assert comparison.winner == cheapest.offer_id
    winner_row = next(r for r in comparison.rows if r.offer_id == comparison.winner)
    assert winner_row.break_even_rmb_per_server is None


@pytest.mark.parametrize("offset, wins", [(-1000, True), (0, True), (1, False), (1000, False)])
def test_break_even_price_flips_the_winner(comparison, bids, offset, wins):
    """At the reported break-even price (and below) the losing bid wins when re-solved; one yuan
    above, it loses. Checked for every losing bid that has a break-even price."""
    losers = [r for r in comparison.rows if r.offer_id != comparison.winner and r.break_even_rmb_per_server]
    assert losers, "expected at least one losing bid with a break-even price"
    for row in losers:
        price = row.break_even_rmb_per_server + offset
        again = whatif.compare(resolved(whatif.with_server_price(bids, row.offer_id, price)))
        assert (again.winner == row.offer_id) is wins, (row.offer_id, price, again.winner)


def test_break_even_is_below_the_bid_price_for_a_loser(comparison):
    for r in comparison.rows:
        if r.break_even_rmb_per_server is not None:
            assert r.break_even_rmb_per_server < r.price_rmb_per_server


@pytest.fixture(scope="module")
def budget_sweep(bids):
    return whatif.budget_sweep(resolved(bids), [0.5e6 * i for i in range(1, 25)])


def test_budget_sweep_is_monotone(budget_sweep):
    """More money never serves less (overall and for each vendor alone)."""
    served = [p.served for p in budget_sweep.points]
    assert all(b >= a for a, b in itertools.pairwise(served)), served
    for vendor in budget_sweep.points[0].per_vendor:
        line = [p.per_vendor[vendor] or 0.0 for p in budget_sweep.points]
        assert all(b >= a for a, b in itertools.pairwise(line)), (vendor, line)
    assert served[0] == 0 and budget_sweep.points[0].status == "infeasible"  # RMB 0.5M buys no server
    assert served[-1] > 0


def test_budget_sweep_respects_each_budget(budget_sweep):
    for p in budget_sweep.points:
        if p.cost_rmb is not None:
            assert p.cost_rmb <= p.value


def test_pareto_front_is_not_dominated(budget_sweep):
    front = whatif.pareto_front(budget_sweep.points)
    assert len(front) >= 2
    assert all(a.cost_rmb < b.cost_rmb and a.served < b.served for a, b in itertools.pairwise(front))
    for f in front:  # nothing swept is at least as cheap and serves more
        assert not any(p.cost_rmb is not None and p.cost_rmb <= f.cost_rmb and p.served > f.served for p in budget_sweep.points)


def test_tpot_sweep_cost_never_rises_when_relaxed(bids):
    sweep = whatif.sla_sweep(resolved(bids), "tpot", [30, 40, 50, 60, 80, 120])
    costs = [p.cost_rmb if p.cost_rmb is not None else float("inf") for p in sweep.points]
    assert all(b <= a for a, b in itertools.pairwise(costs)), costs
    assert costs[-1] < float("inf")


def test_load_sweep_cost_never_falls_as_demand_grows(bids):
    sweep = whatif.load_sweep(resolved(bids), [50, 200, 800, 2000])
    costs = [p.cost_rmb if p.cost_rmb is not None else float("inf") for p in sweep.points]
    assert all(b >= a for a, b in itertools.pairwise(costs)), costs


def test_price_sweep_changes_the_winner(bids, comparison):
    loser = next(r for r in comparison.rows if r.offer_id != comparison.winner and r.break_even_rmb_per_server)
    be = loser.break_even_rmb_per_server
    # The sweep prices the designs the comparison sized (each bid at its own confidence draw), as the pipeline does.
    sweep = whatif.price_sweep(resolved(bids), loser.offer_id, [be, be + 1, 3 * be], designs=list(comparison.result.designs))
    # Per vendor, each alone: at the break-even price the loser's own plan costs no more than the
    # winner's (an equal cost wins by serving more load, break_even_price's rule); one RMB more and it loses.
    vendor = {o.id: o.vendor for o in bids.offers}
    lose, win = vendor[loser.offer_id], vendor[comparison.winner]
    costs = [(p.per_vendor[lose], p.per_vendor[win]) for p in sweep.points]
    assert costs[0][0] <= costs[0][1], costs
    assert all(mine >= theirs for mine, theirs in costs[1:]), costs
    # The whole scenario (mixed fleets allowed) uses the loser's servers at its break-even price.
    assert loser.offer_id in (sweep.points[0].winner or "")


def test_bad_sweep_arguments_are_input_errors():
    from optimizer.errors import InputError

    with pytest.raises(InputError):
        whatif.parse_range("1:2", "--budget")
    with pytest.raises(InputError):
        whatif.parse_range("5:1:3", "--budget")
    with pytest.raises(InputError):
        whatif.parse_list("30,-5", "--tpot")
    assert whatif.parse_range("0:10:3", "--budget") == [0.0, 5.0, 10.0]


def _brute_max_load(designs, terms, budget):
    """Most load any purchase within availability and budget can serve (no idle server)."""
    best = 0
    offers = sorted(terms)
    for vec in itertools.product(*(range(terms[o].available_servers + 1) for o in offers)):
        if sum(terms[o].price_rmb_per_server * n for o, n in zip(offers, vec)) > budget:
            continue
        total = 0
        for o, n in zip(offers, vec):
            if not n:
                continue
            own = [d for d in designs if d.offer_id == o]
            cps = terms[o].cards_per_server
            fills = [
                sum(c * capacity_units(d) for c, d in zip(counts, own))
                for counts in itertools.product(*(range(n * cps // d.cards + 1) for d in own))
                if (n - 1) * cps < sum(c * d.cards for c, d in zip(counts, own)) <= n * cps
            ]
            if not fills:
                total = -1
                break
            total += max(fills)
        best = max(best, total)
    return best


@pytest.mark.parametrize("seed", range(25))
def test_max_load_equals_brute_force(seed):
    rng = random.Random(seed)
    terms = {}
    designs = []
    for i in range(rng.randint(1, 2)):
        oid = f"o{i}"
        terms[oid] = terms_of(oid, vendor=f"v{i}", price_rmb=rng.randint(1, 9) * 100_000, available=rng.randint(1, 3))
        for j, cards in enumerate(rng.sample([1, 2, 4, 8], rng.randint(1, 2))):
            designs.append(stand_in_design(oid, cards, rng.randint(1, 4 * cards), batch=j + 1))
    budget = rng.randint(1, 20) * 100_000
    scn = plan_scenario(terms, 1, budget_rmb=budget)
    status, plan = solve_max_load(scn, designs, terms)
    expected = _brute_max_load(designs, terms, budget)
    got = 0 if plan is None else sum(capacity_units(g.design) * g.count for g in plan.groups)
    assert got == expected, (seed, status, plan)


def test_owned_fleet_uses_its_servers_at_no_cost():
    s = load(REPO / "scenarios" / "r1_16_cards_2_nodes.yaml")
    r = solve(resolved(s))
    plan = r.plans[0]
    assert r.status == "optimal" and plan.cost_rmb == 0
    assert plan.servers == {"h100-sxm-owned": 2} and plan.cards <= 16
    # No split on this fleet serves more than the chosen plan.
    for d in r.candidates:
        assert (16 // d.cards) * d.capacity <= plan.served + 1e-9


def test_one_vs_two_cards_answers_with_the_load_each_serves():
    s = load(REPO / "scenarios" / "one_vs_two_cards.yaml")
    r = solve(resolved(s))
    served = {o.offer_id: o.plan.served for o in r.per_offer if o.plan}
    assert set(served) == {"h100-pcie-1x", "l40s-2x"}
    assert r.plans[0].served == max(served.values())
    assert r.plans[0].cost_rmb <= s.constraints.budget_rmb


def test_compare_and_whatif_cli_write_linked_files(procure, tmp_path):
    out = tmp_path / "r"
    res = procure("compare", str(BIDS), "--out", str(out), "--json", expect=0)
    doc = json.loads(res.stdout)
    assert doc["winner"] and len(doc["bids"]) == 3
    for bid in doc["bids"]:
        assert {"offer", "vendor", "card", "feasible", "cost_rmb", "plan", "price_rmb_per_server",
                "break_even_price_rmb_per_server", "reason"} <= set(bid)
        if bid["offer"] == doc["winner"]:
            assert bid["break_even_price_rmb_per_server"] is None
    res = procure("whatif", str(BIDS), "--budget", "1000000:6000000:6", "--out", str(out), "--json", expect=0)
    sweep = json.loads(res.stdout)
    assert sweep["sweep"] == "budget" and len(sweep["points"]) == 6
    assert {"budget_rmb", "served", "served_unit", "cost_rmb", "winner", "status"} <= set(sweep["points"][0])
    md = (out / f"{BIDS.stem}_whatif.md").read_text()
    links = re.findall(r"\]\(([^)]+\.png)\)", md)
    assert len(links) >= 2
    for link in links:
        png = out / link
        assert png.exists() and png.stat().st_size > 5000, link
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_solve_report_links_resolve(procure, tmp_path):
    procure("solve", str(BIDS), "--out", str(tmp_path), expect=0)
    md = (tmp_path / f"{BIDS.stem}.md").read_text()
    links = re.findall(r"\]\(([^)]+\.md)\)", md)
    assert len(links) == 2, md[-500:]
    for link in links:
        target = tmp_path / link
        assert target.exists(), link
        for png in re.findall(r"\]\(([^)]+\.png)\)", target.read_text()):
            assert (tmp_path / png).exists(), png


def test_committed_comparison_and_whatif_reports_are_fresh(procure, tmp_path):
    """Every file `procure solve` writes for the bid scenario (report, comparison, sweeps, plots)
    matches the committed one byte for byte."""
    procure("solve", str(BIDS), "--out", str(tmp_path), expect=0)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) >= 7
    for name in written:
        committed = REPO / "reports" / name
        assert committed.exists() and committed.read_bytes() == (tmp_path / name).read_bytes(), (
            f"reports/{name} is stale: run procure solve scenarios/{BIDS.name}"
        )


def test_unknown_offer_in_price_sweep_exits_2(procure, tmp_path):
    res = procure("whatif", str(BIDS), "--price", "nope=1:2:2", "--out", str(tmp_path), expect=2)
    assert "nope" in res.stderr and "Traceback" not in res.stderr


def _owned_scenario(owned_servers: int, users: int):
    """Llama-3.1-8B chat with an owned H100 fleet and an H200 bid."""
    from optimizer.scenario import Scenario

    return Scenario.model_validate({
        "name": "owned-mix", "model": "llama-3.1-8b", "precisions": ["fp8"],
        "workload": {"input_tokens": 1000, "output_tokens": 300, "load": {"concurrent_users": users}},
        "sla": {"ttft_ms": 1000, "tpot_ms": 30},
        "offers": [
            {"id": "h100-owned", "vendor": "Owned", "card": "h100-sxm", "owned": True, "available_servers": owned_servers},
            {"id": "h200-bid", "vendor": "NVIDIA partner", "card": "h200", "price_rmb_per_server": 1500000, "available_servers": 10},
        ],
    })


def test_a_bid_is_priced_on_top_of_hardware_already_owned():
    small = solve(resolved(_owned_scenario(1, 3000)))
    bid = next(o for o in small.per_offer if o.offer_id == "h200-bid")
    owned = next(o for o in small.per_offer if o.offer_id == "h100-owned")
    assert owned.plan is None and "owned" in owned.reason
    assert bid.plan is not None and bid.plan.servers.get("h100-owned") == 1
    assert bid.plan.cost_rmb == small.plans[0].cost_rmb  # the bid alone plus the owned fleet is the optimum here
    alone = solve(resolved(_owned_scenario(1, 3000).model_copy(update={"offers": [_owned_scenario(1, 3000).offers[1]]})))
    assert alone.plans[0].cost_rmb > bid.plan.cost_rmb  # without the owned fleet the bid must buy more


def test_break_even_when_owned_hardware_already_suffices():
    scn = _owned_scenario(2, 10)
    c = whatif.compare(resolved(scn))
    assert solve(resolved(scn)).plans[0].cost_rmb == 0
    row = next(r for r in c.rows if r.offer_id == "h200-bid")
    assert c.winner == "h200-bid" and row.plan.servers.get("h200-bid", 0) == 0  # buys nothing
    assert row.break_even_rmb_per_server is None
    from optimizer.report.whatif import why_winner

    assert why_winner(c).startswith("No purchase needed")


def test_compare_ranks_by_load_when_the_objective_is_the_most_load():
    """one_vs_two_cards costs the same either way; H100 PCIe serves more, whichever bid is listed first."""
    scn = load(REPO / "scenarios" / "one_vs_two_cards.yaml")
    for offers in (scn.offers, list(reversed(scn.offers))):
        c = whatif.compare(resolved(scn.model_copy(update={"offers": offers})))
        served = {r.offer_id: r.plan.served for r in c.rows if r.plan}
        assert c.winner == max(served, key=served.get) == "h100-pcie-1x"
        assert all(r.break_even_rmb_per_server is None for r in c.rows)


def test_price_sweep_of_owned_hardware_is_bad_input(procure, tmp_path):
    path = tmp_path / "owned.yaml"
    path.write_text((REPO / "scenarios" / "r1_16_cards_2_nodes.yaml").read_text())
    res = procure("whatif", str(path), "--price", "h100-sxm-owned=1:2:2", "--out", str(tmp_path), expect=2)
    assert "owned" in res.stderr and "Traceback" not in res.stderr


def test_the_bid_table_and_the_ranked_plan_agree_for_the_winning_bid():
    """Equal-cost plans are broken by load served, so the same bid shows the same plan everywhere."""
    r = solve(resolved(load(REPO / "scenarios" / "r1_chatbot.yaml")))
    best = r.plans[0]
    if len(best.servers) == 1:
        oid = next(iter(best.servers))
        mine = next(o for o in r.per_offer if o.offer_id == oid)
        assert mine.plan.cost_rmb == best.cost_rmb and mine.plan.served == best.served
