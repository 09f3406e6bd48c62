"""Tiny factories for plan-model tests: stand-in designs, offer terms and scenarios, without the
performance model.

`solve.build_plan_model` reads of a design only `offer_id`, `capacity`, `cards` (`perf.cards`),
`key` (`perf.precision`, `perf.parallelism.tp/pp/ep`, `perf.batch`) and, for a prefill/decode
split, its pool (`perf.family`, `perf.engine`), so a namespace carrying those stands in for `ReplicaPerf`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from types import SimpleNamespace

from optimizer.perf.replica import Parallelism
from optimizer.plan.model import capacity_units, load_demand
from optimizer.plan.result import Design
from optimizer.plan.terms import OfferTerms
from optimizer.scenario import Scenario

RMB_100K = 100_000


def stand_in_design(offer_id: str, cards: int, capacity: float, *, batch: int = 1) -> Design:
    """One replica of `cards` cards (TP up to 8, then PP 2 for 16) serving `capacity` users.
    `batch` only makes the design's key unique."""
    par = Parallelism(tp=min(cards, 8), pp=max(1, cards // 8), ep=1)
    assert par.cards == cards, cards
    perf = SimpleNamespace(parallelism=par, precision="bf16", batch=batch, cards=par.cards, family="nvidia-hopper", engine="sglang")
    return Design(offer_id=offer_id, perf=perf, ttft_ms=100.0, tpot_ms=20.0, capacity=float(capacity))  # type: ignore[arg-type]


def terms_of(
    offer_id: str, *, vendor: str = "vendor-a", cards_per_server: int = 8, price_rmb: int = 10 * RMB_100K,
    available: int = 4,
) -> OfferTerms:
    return OfferTerms(
        offer_id=offer_id, vendor=vendor, card_id="h200", cards_per_server=cards_per_server,
        price_rmb_per_server=price_rmb, energy_rmb_per_server=0, power_w_per_server=None,
        available_servers=available, owned=False, price_kind="quote",
    )


def plan_scenario(
    terms: dict[str, OfferTerms], users: int, *, budget_rmb: int | None = None, single_vendor: bool = False,
    max_servers: int | None = None,
) -> Scenario:
    """A real scenario whose offers match `terms` and whose load is `users` concurrent users."""
    return Scenario.model_validate({
        "name": "factory",
        "model": "llama-3.1-8b",
        "precisions": ["bf16"],
        "workload": {"input_tokens": 1000, "output_tokens": 200, "load": {"concurrent_users": users}},
        "sla": {},
        "offers": [
            {
                "id": t.offer_id, "vendor": t.vendor, "card": t.card_id, "cards_per_server": t.cards_per_server,
                "price_rmb_per_server": t.price_rmb_per_server, "available_servers": t.available_servers,
            }
            for t in terms.values()
        ],
        "constraints": {"budget_rmb": budget_rmb, "single_vendor": single_vendor, "max_servers": max_servers},
    })


# --------------------------------------------------------------------------------------------
# Brute force: the plan model's rules in plain Python


def best_units_by_servers(designs: list[Design], t: OfferTerms) -> list[int | None]:
    """For s = 0..available servers of one offer: the most load units its replicas can serve on
    exactly s servers, with cards used <= s x cards_per_server and no idle server
    (cards used > (s - 1) x cards_per_server); None when no replica mix fills s servers that way.
    Every replica count from 0 to what the available servers hold is tried."""
    own = [d for d in designs if d.offer_id == t.offer_id]
    cps, avail = t.cards_per_server, t.available_servers
    best: list[int | None] = [None] * (avail + 1)
    for counts in itertools.product(*(range(avail * cps // d.cards + 1) for d in own)):
        used = sum(n * d.cards for n, d in zip(counts, own, strict=True))
        units = sum(n * capacity_units(d) for n, d in zip(counts, own, strict=True))
        s = -(-used // cps)  # the one server count with (s - 1) x cps < used <= s x cps (0 for no cards)
        if s <= avail and (best[s] is None or units > best[s]):  # type: ignore[operator]
            best[s] = units
    return best


@dataclass(frozen=True)
class BruteForce:
    cost_rmb: int | None                     # None: no purchase is feasible
    purchases: tuple[dict[str, int], ...]    # every purchase (servers per offer) at that cost


def brute_force(scenario: Scenario, designs: list[Design], terms: dict[str, OfferTerms]) -> BruteForce:
    """Cheapest purchase over every servers-per-offer combination within availability."""
    demand = load_demand(scenario)
    c = scenario.constraints
    ids = list(terms)
    best = {oid: best_units_by_servers(designs, terms[oid]) for oid in ids}
    found: dict[int, list[dict[str, int]]] = {}
    for counts in itertools.product(*(range(terms[oid].available_servers + 1) for oid in ids)):
        buy = dict(zip(ids, counts, strict=True))
        units = [best[oid][n] for oid, n in buy.items()]
        if any(u is None for u in units) or sum(units) < demand:  # type: ignore[arg-type]
            continue
        cost = sum(terms[oid].cost_rmb_per_server * n for oid, n in buy.items())
        if c.budget_rmb is not None and cost > math.floor(c.budget_rmb):
            continue
        if c.single_vendor and len({terms[oid].vendor for oid, n in buy.items() if n}) > 1:
            continue
        if c.max_servers is not None and sum(counts) > c.max_servers:
            continue
        found.setdefault(cost, []).append({oid: n for oid, n in buy.items() if n})
    if not found:
        return BruteForce(None, ())
    cheapest = min(found)
    return BruteForce(cheapest, tuple(found[cheapest]))
