"""Sizing at a confidence as a quantile of the whole answer (plan.confidence), the largest whole
batch (designs.largest_feasible) and one offer sized without CP-SAT (confidence.fewest_servers)."""

from __future__ import annotations

import dataclasses
import itertools
import math
from types import SimpleNamespace

import pytest
from conftest import REPO_ROOT, load, resolved
from plan_factories import plan_scenario, stand_in_design, terms_of

from optimizer.calibration.bands import Bands
from optimizer.calibration.draws import Cell, ErrorModel, Shock, ranks
from optimizer.calibration.residuals import Residual
from optimizer.plan import confidence as C
from optimizer.plan.designs import largest_feasible, shape_of
from optimizer.plan.model import capacity_units
from optimizer.plan.result import Spread


def test_largest_feasible_equals_a_scan():
    """Every bracket of 40 convex, concave and stepped slack curves: the secant-and-bisect search
    returns what a scan from the top returns."""
    curves = [lambda b, k=k: (b / k) ** 2 - 1 for k in (3, 7, 20)]
    curves += [lambda b, k=k: math.sqrt(b / k) - 1 for k in (5, 11)]
    curves += [lambda b, k=k: (b > k) - 0.5 for k in (4, 9, 30)]
    for f, (lo, hi) in itertools.product(curves, [(1, 2), (1, 40), (2, 17), (8, 64)]):
        if f(lo) > 0:
            continue
        scan = max(b for b in range(lo, hi) if f(b) <= 0)
        if f(hi) > 0:  # hi known infeasible: the secant may use it
            assert largest_feasible(lo, hi, f, f(lo), f(hi)) == scan, (lo, hi)
        assert largest_feasible(lo, hi, f, f(lo), None) == scan, (lo, hi)  # hi beyond what can be evaluated


def test_fewest_servers_equals_brute_force():
    """One offer of 8-card servers with a 2-card, an 8-card and a 16-card design: the fewest
    servers reaching each target equals the smallest server count any replica mix reaches it with."""
    designs = [stand_in_design("o", 2, 3.1), stand_in_design("o", 8, 13.7, batch=2), stand_in_design("o", 16, 30.2, batch=3)]
    units = [capacity_units(d) for d in designs]
    for target in range(0, 160_000, 7_919):
        found = C.fewest_servers(designs, 8, 12, target)
        brute = None
        for counts in itertools.product(range(49), range(13), range(7)):
            cards = counts[0] * 2 + counts[1] * 8 + counts[2] * 16
            if sum(n * u for n, u in zip(counts, units, strict=True)) >= target:
                s = -(-cards // 8)
                brute = s if brute is None else min(brute, s)
        assert found == (brute if brute is not None and brute <= 12 else None), target


def _scaled(base: list, factor: float) -> list:
    return [stand_in_design(d.offer_id, d.cards, d.capacity * factor, batch=d.perf.batch) for d in base]


def test_the_plan_is_the_hand_computed_quantile_of_servers():
    """Under draw k the one design serves 10 x m_k users per 8-card server, m_k = 0.5 + k / 20
    (k = 0..19), and the load is 100 users: draw k needs ceil(10 / m_k) servers. Sorted, those
    are 7 x 1 ... ; the nearest-rank 0.8-quantile of 20 draws is the 16th cheapest."""
    terms = {"o": terms_of("o", available=40)}
    problem = resolved(plan_scenario(terms, 100))
    base = [stand_in_design("o", 8, 10.0)]
    mults = [0.5 + k / 20 for k in range(20)]
    problem = _with_draws(problem, 20)
    designs_at = lambda k: _scaled(base, mults[k])  # noqa: E731
    needs = sorted(math.ceil(100 / (10 * m) - 1e-9) for m in mults)
    for q in (0.5, 0.8, 0.9):
        p = _with_confidence(problem, q)
        u = C.size_over_draws(p, designs_at)
        assert u.servers.p50 == needs[9] and u.servers.p10 == needs[1] and u.servers.p90 == needs[17]
        chosen = mults[u.chosen_draw]
        assert math.ceil(100 / (10 * chosen) - 1e-9) == needs[math.ceil(q * 20) - 1]
        alone = C.size_over_draws(p, designs_at, only_offer="o")  # the fast path agrees with CP-SAT
        assert alone.cost_rmb == u.cost_rmb and alone.chosen_draw == u.chosen_draw


def test_a_higher_confidence_never_costs_less():
    terms = {"a": terms_of("a", available=40, price_rmb=900_000), "b": terms_of("b", vendor="v-b", available=40)}
    problem = _with_draws(resolved(plan_scenario(terms, 120)), 24)
    base = [stand_in_design("a", 8, 9.0), stand_in_design("b", 8, 11.0)]
    mult = {k: (0.6 + 0.03 * ((7 * k) % 24), 0.6 + 0.03 * ((11 * k) % 24)) for k in range(24)}
    designs_at = lambda k: [*_scaled(base[:1], mult[k][0]), *_scaled(base[1:], mult[k][1])]  # noqa: E731
    costs = [C.size_over_draws(_with_confidence(problem, q), designs_at) for q in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)]
    chosen = [u.chosen_draw for u in costs]
    paid = [C.cheapest(problem, designs_at(k), k).cost_rmb for k in chosen]
    assert paid == sorted(paid), paid


def test_shared_draws_are_narrower_than_independent_worst_cases():
    """Two bids, each with its own cell: 'multiply each by its own 0.9 worst case' sizes each bid at
    its worst decile and buys the cheaper; the draws take the 0.9-quantile of the cheaper of the two
    under each draw, which can only be lower (the two are rarely bad together)."""
    terms = {"a": terms_of("a", available=60), "b": terms_of("b", vendor="v-b", available=60)}
    problem = _with_confidence(_with_draws(resolved(plan_scenario(terms, 200)), 40), 0.9)
    us_a, us_b = ranks(Cell("a", "e", "dense"), 40), ranks(Cell("b", "e", "dense"), 40)
    base = [stand_in_design("a", 8, 10.0), stand_in_design("b", 8, 10.0)]
    designs_at = lambda k: [*_scaled(base[:1], 0.5 + us_a[k]), *_scaled(base[1:], 0.5 + us_b[k])]  # noqa: E731
    shared = C.size_over_draws(problem, designs_at)
    worst = min(math.ceil(200 / (10 * (0.5 + sorted(us)[3]))) for us in (us_a, us_b))  # each at its own 10 % worst
    assert shared.servers.p90 is not None and shared.servers.p90 < worst


def test_draws_are_reproducible_and_centred():
    """Every held-out error 0.2 in magnitude: the centre is the model's own estimate, a draw above
    the median rank is a good day (latency x exp(-0.2), throughput x exp(0.2)), below it a bad one;
    ranks are a shuffled stratification of (0, 1), the same on every call, other for another cell."""
    rows = [Residual("fam", "eng", "dense", m, e) for m in ("output_tok_s", "tpot_ms", "ttft_ms") for e in (0.2, -0.2) * 15]
    errors = ErrorModel(Bands(tuple(rows)), draws=16)
    cell = Cell("fam", "eng", "dense")
    assert errors.shock(cell, None) == Shock()
    for k, u in enumerate(ranks(cell, 16)):
        s = errors.shock(cell, k)
        sign = 1 if u > 0.5 else -1
        assert s.tpot == pytest.approx(math.exp(-0.2 * sign)) and s.throughput == pytest.approx(math.exp(0.2 * sign))
        assert s.prefill == s.queue == s.tpot
    assert sorted(ranks(cell, 16)) == [(k + 0.5) / 16 for k in range(16)] and ranks(cell, 16) == ranks(cell, 16)
    assert ranks(cell, 16) != ranks(Cell("other", "eng", "dense"), 16)


def test_one_bid_is_sized_at_the_exact_quantile_of_its_cell():
    """One offer of 8-card servers whose design serves 10 x m users per server on a day of rank u,
    m = 0.6 + u (u falls as the day worsens; a quantile draw q sits at u = 1 - q), 100 users, a stock
    of 14 servers. By hand: q = 0.5 -> m = 1.1 -> ceil(100 / 11) = 10 servers; q = 0.8 -> m = 0.8 ->
    ceil(12.5) = 13; q = 0.9 -> m = 0.7 -> ceil(14.3) = 15 > 14: no plan; the 10 % quantile
    (u = 0.9, m = 1.5) -> ceil(6.7) = 7. A sampled draw has no plan where m < 100 / 140, u < 0.114:
    the three lowest of the 24 stratified ranks (0.5, 1.5, 2.5) / 24, found by bisection."""
    terms = {"o": terms_of("o", available=14)}
    problem = _with_draws(resolved(plan_scenario(terms, 100)), 24)
    cell = Cell("o", "e", "dense")
    worse = problem.errors.worse_order(cell)
    base = [stand_in_design("o", 8, 10.0)]
    designs_at = lambda k: _scaled(base, 0.6 + problem.errors.rank(cell, k))  # noqa: E731
    expected = {0.5: 10, 0.8: 13, 0.9: None}
    for q, servers in expected.items():
        along = C.size_over_draws(_with_confidence(problem, q), designs_at, only_offer="o", worse_order=worse)
        assert along.chosen_draw == problem.errors.quantile_draw(q)
        assert C.cheapest(problem, designs_at(along.chosen_draw), along.chosen_draw, "o").servers == servers
        assert along.servers == Spread(7, 10, None) and along.without_plan == 3


def test_the_median_quantile_draw_is_the_central_estimate():
    """A quantile draw at 0.5 is no shock (the symmetric error's median is 0); a sampled draw and the
    quantile draw at the same rank give the same shock, and the 80 % draw is no kinder than the
    nearest sampled rank above it (0.8125 of 24) nor harsher than the one below (0.7708)."""
    rows = [Residual("fam", "eng", "dense", m, e) for m in ("output_tok_s", "tpot_ms", "ttft_ms") for e in (0.1, -0.3, 0.5, -0.7) * 5]
    errors = ErrorModel(Bands(tuple(rows)), draws=24)
    cell = Cell("fam", "eng", "dense")
    assert errors.shock(cell, errors.quantile_draw(0.5)) == Shock()
    worse = errors.worse_order(cell)
    at = errors.shock(cell, errors.quantile_draw(0.8))
    assert errors.shock(cell, worse[18]).tpot <= at.tpot <= errors.shock(cell, worse[19]).tpot
    assert errors.rank(cell, worse[19]) == pytest.approx(1 - 19.5 / 24) and errors.rank(cell, errors.quantile_draw(0.8)) == pytest.approx(0.2)
    assert errors.describe(errors.quantile_draw(0.8)) == "the 80.0% quantile of the model's error"
    assert errors.describe(worse[19]) == f"draw {worse[19] + 1} of 24" and errors.describe(None) == "the central estimate"


def test_a_real_bid_sized_at_its_quantile_is_bracketed_by_the_sampled_draws():
    """The 910B2 bid of r1_chatbot: sized at its exact 80 % quantile it costs no more than the
    nearest-rank answer over its 24 sampled draws (which sizes for 81.25 % of days) and no less than
    the sampled draw just kinder than 80 %; the 50 % quantile is its central estimate; the count of
    draws without a plan is the one sizing every draw finds."""
    from optimizer.plan.designs import cell_of, enumerate_designs

    problem = resolved(load(REPO_ROOT / "scenarios" / "r1_chatbot.yaml"))
    central, _ = enumerate_designs(problem, prune=False)
    view = next(v for v in problem.offers if v.id == "atlas-910b2-8x")
    shapes = frozenset(s for s in C.sensible_shapes(central) if s[0] == view.id)
    designs_at = C.DrawDesigns(problem, shapes)
    worse = problem.errors.worse_order(cell_of(problem, view))
    full = C.size_over_draws(problem, designs_at.offer(view.id), only_offer=view.id)
    along = C.size_over_draws(problem, designs_at.offer(view.id), only_offer=view.id, worse_order=worse)
    kinder = C.cheapest(problem, designs_at.offer(view.id)(worse[18]), worse[18], view.id)
    at_q = C.cheapest(problem, designs_at.offer(view.id)(along.chosen_draw), along.chosen_draw, view.id)
    centre = C.cheapest(problem, [d for d in central if shape_of(d) in shapes], -1, view.id)
    assert kinder.cost_rmb is not None and at_q.cost_rmb is not None and full.cost_rmb.p90 is not None
    nearest = C.cheapest(problem, designs_at.offer(view.id)(full.chosen_draw), full.chosen_draw, view.id)
    assert kinder.cost_rmb <= at_q.cost_rmb <= (nearest.cost_rmb or 0)
    assert along.cost_rmb.p50 == centre.cost_rmb and along.without_plan == full.without_plan


def test_the_worse_order_worsens_every_part():
    """Along ErrorModel.worse_order every latency multiplier rises and the throughput one falls
    (what lets one offer be sized at its quantile draws only)."""
    rows = [Residual("fam", "eng", "dense", m, e) for m in ("output_tok_s", "tpot_ms", "ttft_ms") for e in (0.1, -0.3, 0.5, -0.7) * 5]
    errors = ErrorModel(Bands(tuple(rows)), draws=16)
    cell = Cell("fam", "eng", "dense")
    shocks = [errors.shock(cell, k) for k in errors.worse_order(cell)]
    for a, b in itertools.pairwise(shocks):
        assert a.tpot <= b.tpot and a.prefill <= b.prefill and a.queue <= b.queue and a.throughput >= b.throughput
    assert shocks[0].tpot < 1 < shocks[-1].tpot


def test_expert_parallel_splits_reach_eight_servers():
    """DeepSeek-R1's 256 experts on 8-card servers: EP from the TP doubling up to 64 (8 servers), and
    for one pipeline stage every whole number of servers (24, 40, 48, 56: redundant expert slots);
    a pipelined replica keeps the doubling widths only."""
    from optimizer.plan.designs import _ep_options

    model = resolved(load(REPO_ROOT / "scenarios" / "r1_chatbot.yaml")).model
    assert _ep_options(model, 1, 8) == [1, 2, 4, 8, 16, 24, 32, 40, 48, 56, 64]
    assert _ep_options(model, 8, 8, pp=2) == [1, 8, 16, 32, 64]
    assert _ep_options(model, 16, 8) == [1, 16, 32, 48, 64] and max(_ep_options(model, 4, 4)) == 32
    assert _ep_options(model, 1, 8, max_servers=4) == [1, 2, 4, 8, 16, 24, 32]   # search.max_ep_servers: 4


def test_no_expert_parallel_replica_spans_more_servers_than_the_search_allows():
    """r1_chatbot's central designs: every expert-parallel replica, pipeline stages included, fits
    on search.max_ep_servers = 8 eight-card servers (a PP4 x EP64 replica of 32 servers is not
    searched), and EP64 itself (8 servers) is."""
    from optimizer.plan.designs import enumerate_designs

    designs, _ = enumerate_designs(resolved(load(REPO_ROOT / "scenarios" / "r1_chatbot.yaml")), prune=False)
    wide = [d for d in designs if d.perf.parallelism.ep > 1]
    assert wide and max(d.cards for d in wide) == 64 and any(d.perf.parallelism.ep == 64 for d in wide)


def test_sensible_shapes_keep_runners_up_per_replica_size():
    """Three 8-card splits and one 16-card split of one offer: the two splits serving most of each
    size are kept (the runner-up is what a slower draw may need), the third 8-card one is not."""
    designs = [_in_split(stand_in_design("o", 8, c), tp) for tp, c in ((8, 9.0), (4, 7.0), (2, 5.0))]
    designs.append(stand_in_design("o", 16, 20.0))
    assert C.sensible_shapes(designs, keep=2) == {shape_of(d) for d in (designs[0], designs[1], designs[3])}


def test_a_split_in_another_precision_is_no_runner_up():
    """The best 8-card split in fp8 (9.0) and in int8 at the same speed (9.0), then two slower
    splits (7.0, 5.0): a draw shocks both precisions of one split alike, so the runner-up kept is
    the 7.0 split, once, and the int8 twin and the 5.0 split are not."""
    best = _in_precision(_in_split(stand_in_design("o", 8, 9.0), 8), "fp8")
    twin = _in_precision(_in_split(stand_in_design("o", 8, 9.0, batch=2), 8), "int8")
    second = _in_split(stand_in_design("o", 8, 7.0), 4)
    third = _in_split(stand_in_design("o", 8, 5.0), 2)
    assert C.sensible_shapes([twin, third, second, best], keep=2) == {shape_of(best), shape_of(second)}


def _in_split(d, tp):  # type: ignore[no-untyped-def]
    """The design with tensor parallelism tp and the rest of its 8 cards as pipeline stages."""
    par = dataclasses.replace(d.perf.parallelism, tp=tp, pp=8 // tp)
    return dataclasses.replace(d, perf=SimpleNamespace(**{**vars(d.perf), "parallelism": par}))


def _in_precision(d, precision):  # type: ignore[no-untyped-def]
    return dataclasses.replace(d, perf=SimpleNamespace(**{**vars(d.perf), "precision": precision}))


def _with_draws(problem, draws):  # type: ignore[no-untyped-def]
    scenario = problem.scenario.model_copy(update={"sla": problem.scenario.sla.model_copy(update={"draws": draws})})
    return problem.with_scenario(scenario)


def _with_confidence(problem, q):  # type: ignore[no-untyped-def]
    return problem.with_scenario(problem.scenario.model_copy(update={"sla": problem.scenario.sla.model_copy(update={"confidence": q})}))
