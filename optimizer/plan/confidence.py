"""Sizing at a confidence as a quantile of the whole answer.

Under each draw of the model's error (one shock per card family x engine x model class, shared by
every design of the cell: calibration.draws) the designs are sized again and the cheapest plan is
found; the plan recommended at confidence q is the plan of the draw at the q-quantile of cost (four
draws in five need no more at q = 0.8), with the 10/50/90 % quantiles of cost and servers beside it.
Draws size only the shapes (offer, precision, split, role) that are sensible at the central
estimate (per replica size, the splits serving the most there), so no draw buys a design an
engineer would not run. One bid's designs share one cell, so its answer worsens along the cell's
rank from best day to worst: it is sized at exact quantiles of the cell's error (calibration.draws'
quantile draws: q, 0.1, 0.5 = the central estimate, 0.9), with a bisection over the sampled draws for
how many leave it without a plan, not under all of them.

A purchase from several bids mixes cells, whose answers need not worsen together: its quantiles are
nearest-rank over the sampled draws sorted by (cost, servers, draw), the value at position
ceil(q x K) of K, a draw with no plan counting as infinitely expensive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from optimizer.perf.replica import Parallelism
from optimizer.plan.designs import ShapeKey, Sized, enumerate_designs, prune_dominated, shape_of
from optimizer.plan.model import ModelOptions, base_model, capacity_units, headroom_demand, load_demand, minimize_cost
from optimizer.plan.optimize import restrict_to_offer, run, solve_max_load, status_of
from optimizer.plan.result import Design, Spread, Uncertainty, has_plan
from optimizer.problem import Problem

PERCENTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class DrawOutcome:
    draw: int
    cost_rmb: int | None      # None: no plan under this draw
    servers: int | None
    served: float


def rank_at(n: int, q: float) -> int:
    """0-based nearest-rank position of the q-quantile among n sorted values."""
    return min(n - 1, max(0, math.ceil(q * n) - 1))


def _order(outcomes: Sequence[DrawOutcome], maximize_load: bool) -> list[DrawOutcome]:
    """Best first: cheapest (then fewest servers) or, for a most-load objective, most load served."""
    if maximize_load:
        return sorted(outcomes, key=lambda o: (-o.served, o.cost_rmb if o.cost_rmb is not None else math.inf, o.draw))
    return sorted(outcomes, key=lambda o: (o.cost_rmb if o.cost_rmb is not None else math.inf,
                                           o.servers if o.servers is not None else math.inf, o.draw))


def at_quantile(outcomes: Sequence[DrawOutcome], q: float, *, maximize_load: bool = False) -> DrawOutcome:
    """The draw whose answer sits at the q-quantile (q of the draws need no more)."""
    ordered = _order(outcomes, maximize_load)
    return ordered[rank_at(len(ordered), q)]


def spread(outcomes: Sequence[DrawOutcome], *, maximize_load: bool = False) -> tuple[Spread, Spread]:
    ordered = _order(outcomes, maximize_load)
    picks = [ordered[rank_at(len(ordered), p)] for p in PERCENTILES]
    return Spread(*(o.cost_rmb for o in picks)), Spread(*(o.servers for o in picks))


DesignsAt = Callable[[int], list[Design]]
SHAPES_PER_SIZE = 2   # per offer, role and replica size: the splits serving the most at the central estimate


def sensible_shapes(central: list[Design], keep: int = SHAPES_PER_SIZE) -> frozenset[ShapeKey]:
    """The shapes draws may size: per offer, role and replica size (cards), the `keep` parallel
    splits that serve the most load at the central estimate, each in its best precision (ties: the
    design's key). More than the one split per size the central plan needs, because the split that
    serves most at the centre is often the one that loses most under a slower draw (a wide
    data-parallel attention split whose per-step fixed cost leaves no TPOT slack), while a runner-up
    with slack keeps serving. Splits, not shapes, are counted: the same split in another precision
    of equal speed (fp8 and int8 on a card that runs both at one rate) is no runner-up, since a draw
    shocks both alike."""
    ranked = sorted(central, key=lambda d: (d.offer_id, d.role, d.cards, -d.capacity, d.key))
    kept: dict[tuple[str, str, int], set[Parallelism]] = {}
    out = set()
    for d in ranked:
        splits = kept.setdefault((d.offer_id, d.role, d.cards), set())
        if len(splits) < keep and d.perf.parallelism not in splits:
            splits.add(d.perf.parallelism)
            out.add(shape_of(d))
    return frozenset(out)


class DrawDesigns:
    """The pruned designs of the central estimate's shapes under draw k, sized offer by offer and
    memoised per (offer, draw): a bid sized alone (`offer`) and a purchase from several bids
    (`only`, or the instance called with k for all of them) share them, and bids of the same card,
    server size and engine are sized once (enumerate_designs' `sized`)."""

    def __init__(self, problem: Problem, shapes: frozenset[ShapeKey]) -> None:
        self._problem, self._shapes = problem, shapes
        self._offers = [v.id for v in problem.offers if any(s[0] == v.id for s in shapes)]
        self._memo: dict[tuple[str, int], list[Design]] = {}
        self._sized: Sized = {}

    def _of(self, offer_id: str, k: int) -> list[Design]:
        if (offer_id, k) not in self._memo:
            own = frozenset(s for s in self._shapes if s[0] == offer_id)
            found, _ = enumerate_designs(self._problem, prune=False, draw=k, shapes=own, only=frozenset({offer_id}),
                                         sized=self._sized)
            self._memo[(offer_id, k)] = prune_dominated(found, self._problem.scenario)
        return self._memo[(offer_id, k)]

    def offer(self, offer_id: str) -> DesignsAt:
        return lambda k: self._of(offer_id, k)

    def only(self, offer_ids: frozenset[str]) -> DesignsAt:
        """The designs of these offers (and of hardware already owned) under draw k: a purchase
        from several bids is sized without sizing the bids it does not buy from."""
        keep = [o for o in self._offers if o in offer_ids or self._problem.terms[o].owned]
        return lambda k: prune_dominated([d for o in keep for d in self._of(o, k)], self._problem.scenario)

    def __call__(self, k: int) -> list[Design]:
        return self.only(frozenset(self._offers))(k)


def cheapest(problem: Problem, designs: list[Design], draw: int, only_offer: str | None = None) -> DrawOutcome:
    """The cost and servers of the cheapest plan over these designs (one offer's own, when
    `only_offer` is given): one CP-SAT run, without the tie-break the recommended plan gets (ties
    in cost cannot move a quantile of cost). A most-load objective keeps both of its stages."""
    none = DrawOutcome(draw, None, None, 0.0)
    if not designs:
        return none
    scenario, terms = problem.scenario, problem.terms
    if scenario.objective.kind == "max_load":
        _, plan = solve_max_load(scenario, designs, terms, min_served=load_demand(scenario), only_offer=only_offer)
        return none if plan is None else DrawOutcome(draw, plan.cost_rmb, sum(plan.servers.values()), plan.served)
    designs, terms = restrict_to_offer(designs, terms, only_offer)
    relax = frozenset({"single_vendor"}) if only_offer else frozenset()
    v = base_model(scenario, designs, terms, ModelOptions(relax=relax))
    minimize_cost(v, terms)
    code, solver = run(v)
    if not has_plan(status_of(code)):
        return none
    return DrawOutcome(draw, round(solver.objective_value), sum(int(solver.value(x)) for x in v.servers.values()), 0.0)


def fast_path_applies(problem: Problem) -> bool:
    """One offer alone can be sized without CP-SAT when nothing couples its servers but the load:
    least cost, no hardware already owned, no budget, power or server cap, no spare server, no supply case."""
    s, c = problem.scenario, problem.scenario.constraints
    return (s.objective.kind != "max_load" and not any(t.owned for t in problem.terms.values())
            and c.budget_rmb is None and c.power_cap_kw is None and c.max_servers is None and not c.n_plus_one
            and not c.robust_to)


def fewest_servers(designs: list[Design], cards_per_server: int, available: int, target: int) -> int | None:
    """The fewest servers of one offer whose cards hold replicas serving `target` load units, or
    None beyond `available`. Colocated designs only. Replicas pack by cards (as the plan model packs
    them): a design of c <= server cards fills a server with server/c replicas; a larger one takes
    c/server whole servers; the best value of n servers is an unbounded knapsack over those sizes."""
    items: dict[int, int] = {}   # servers an item takes -> most load units it serves
    for d in designs:
        if d.cards <= cards_per_server:
            size, units = 1, cards_per_server // d.cards * capacity_units(d)
        else:
            size, units = d.cards // cards_per_server, capacity_units(d)
        items[size] = max(items.get(size, 0), units)
    if not items or target <= 0:
        return None if not items else 0
    best = [0]
    for n in range(1, available + 1):
        best.append(max(best[n - size] + units if size <= n else best[n - 1] for size, units in items.items()))
        best[n] = max(best[n], best[n - 1])
        if best[n] >= target:
            return n
    return None


def size_over_draws(
    problem: Problem, designs_at: DesignsAt, only_offer: str | None = None, offers: frozenset[str] | None = None,
    worse_order: Sequence[int] | None = None,
) -> Uncertainty:
    """Cheapest plan under every draw (one offer's own when given, or from these offers); the draw
    at the scenario's confidence, and the spread of cost and servers.

    `worse_order`: the draws from the best day to the worst, when the answer is known to worsen along
    it (one offer, whose designs share one cell: every latency multiplier rises and the throughput
    multiplier falls with the draw's rank, so no design serves more on a worse day and no plan costs
    less). Then the answer's quantiles are exact: it is sized at the quantile draws (`quantile_draw`)
    only, and a bisection over the order finds where plans run out, instead of under every draw."""
    scenario = problem.scenario
    maximize = scenario.objective.kind == "max_load"
    keep = {only_offer} if only_offer else offers
    own = (lambda d: d.offer_id in keep or problem.terms[d.offer_id].owned) if keep else (lambda d: True)
    fast = only_offer is not None and fast_path_applies(problem)

    def outcome(k: int) -> DrawOutcome:
        designs = [d for d in designs_at(k) if own(d)]
        if fast and only_offer is not None and all(d.role == "colocated" for d in designs):
            t = problem.terms[only_offer]
            n = fewest_servers(designs, t.cards_per_server, t.available_servers,
                               headroom_demand(scenario, load_demand(scenario)))
            return DrawOutcome(k, None if n is None else n * t.cost_rmb_per_server, n, 0.0)
        return cheapest(problem, designs, k, only_offer)

    q = scenario.sla.confidence
    if worse_order is not None:
        return _along(outcome, list(worse_order), q, problem.errors.quantile_draw)
    found = [outcome(k) for k in range(problem.errors.draws)]
    chosen = at_quantile(found, q, maximize_load=maximize)
    cost, servers = spread(found, maximize_load=maximize)
    return Uncertainty(q, len(found), chosen.draw, cost, servers, sum(o.cost_rmb is None for o in found))


def _along(outcome: Callable[[int], DrawOutcome], order: list[int], q: float, quantile_draw: Callable[[float], int]) -> Uncertainty:
    """size_over_draws when the answer worsens along `order`: the q-quantile (and the spread) is the
    answer at the quantile draw q; draws without a plan are a suffix of the order, found by bisection."""
    n = len(order)
    sized: dict[int, DrawOutcome] = {}

    def at(draw: int) -> DrawOutcome:   # q is often one of PERCENTILES (0.5, 0.9): size each draw once
        if draw not in sized:
            sized[draw] = outcome(draw)
        return sized[draw]

    picks = [at(quantile_draw(p)) for p in PERCENTILES]
    chosen = at(quantile_draw(q))
    lo, hi = -1, n   # positions in the order: the last known with a plan, the first known without
    if at(order[-1]).cost_rmb is None:
        hi = n - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if at(order[mid]).cost_rmb is None else (mid, hi)
    return Uncertainty(q, n, chosen.draw, Spread(*(o.cost_rmb for o in picks)), Spread(*(o.servers for o in picks)), n - hi)
