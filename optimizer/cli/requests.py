"""Command-line options turned into typed requests, each built and checked in one function so
that bad input fails with an InputError (exit 2) before any solve or evaluation.

Error messages name the options as the user typed them, which is why this lives in the CLI.
The engine is imported inside the functions: `procure --help` should not load the solver.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from optimizer.errors import InputError

if TYPE_CHECKING:
    from optimizer.catalog.bundle import Catalog
    from optimizer.catalog.efficiency import Speculative
    from optimizer.catalog.records import Card, ModelSpec
    from optimizer.perf.evaluate import ReplicaPerf
    from optimizer.perf.replica import Parallelism
    from optimizer.pipeline import SweepRequest
    from optimizer.scenario import Analysis, Scenario

WHATIF_SWEEP_OPTIONS = ("--budget", "--tpot", "--ttft", "--load")
SOLVE_SWEEP_OPTIONS = ("--whatif-budget", "--whatif-tpot", "", "")  # solve has no TTFT or load sweep option


@dataclass(frozen=True)
class PredictRequest:
    """One replica of `procure predict`, every option checked against the catalog."""

    model: ModelSpec
    card: Card
    precision: str
    kv_precision: str
    parallelism: Parallelism
    batch: int | None  # None: the largest batch whose KV cache fits (--batch max)
    input_len: int
    output_len: int
    max_seqs: int | None
    engine: str | None
    spec: Speculative


def predict_request(
    catalog: Catalog, *, model: str, card: str, precision: str, kv_precision: str, tp: int, pp: int, ep: int, batch: str,
    input_len: int, output_len: int, max_seqs: int | None, engine: str | None, spec_method: str, spec_accept_len: float,
) -> PredictRequest:
    """The request, checks in the order the CLI has always reported them (catalog ids first)."""
    from optimizer.perf.replica import Parallelism
    from optimizer.scenario_checks import engines_running_on

    m, c = catalog.model(model), catalog.card(card)
    _check_lengths(m, input_len, output_len, max_seqs)
    if engine is not None:
        profile = catalog.engine(engine)  # an unknown engine is bad input
        if c.family not in profile.runs_on:  # so is one without a backend for the card's family
            raise InputError("--engine", engine, f"does not run on {c.id} ({c.family}): it runs on {', '.join(profile.runs_on)}",
                             f"use an engine that runs on {c.family} ({', '.join(engines_running_on(c.family, catalog.engines))}), "
                             "or leave --engine out")
    spec = _speculative(spec_method, spec_accept_len)
    _check_speculative_support(spec, m, engine, catalog.default_engine(c.family), catalog)
    batch_size = None if batch == "max" else _batch(batch)
    if max_seqs is not None and batch_size is not None and max_seqs < batch_size:
        raise InputError("--max-seqs", str(max_seqs), f"is below --batch {batch_size}: the engine would never run that many sequences",
                         f"raise --max-seqs to at least {batch_size}, or drop it (it caps --batch max)")
    return PredictRequest(
        model=m, card=c, precision=precision, kv_precision=kv_precision, parallelism=Parallelism(tp=tp, pp=pp, ep=ep),
        batch=batch_size, input_len=input_len, output_len=output_len,
        max_seqs=max_seqs, engine=engine, spec=spec,
    )


def _check_speculative_support(spec: Speculative, model: ModelSpec, engine: str | None, default: str, catalog: Catalog) -> None:
    """The scenario's rules (optimizer.scenario_checks) for the options: MTP needs MTP modules, and
    the engine (--engine, else the card family's default) must list the method."""
    from optimizer.scenario_checks import engine_lacks, lacks_mtp, no_mtp, unsupported_by_engine

    if lacks_mtp(spec.method, model):
        raise InputError("--spec-method", spec.method, *no_mtp(model.id))
    profile = catalog.engines[engine or default]
    if engine_lacks(spec.method, profile):
        whose = f"engine {engine}" if engine else f"{default}, the card's default engine (--engine),"
        raise InputError("--engine" if engine else "--spec-method", engine or spec.method,
                         *unsupported_by_engine(spec.method, whose, profile, catalog.engines))


def _check_lengths(model: ModelSpec, input_len: int, output_len: int, max_seqs: int | None) -> None:
    if max_seqs is not None and max_seqs < 1:
        raise InputError("--max-seqs", str(max_seqs), "must be at least 1", "give the engine's cap on running sequences")
    if input_len + output_len > model.max_context:
        raise InputError(
            "--input-len/--output-len", f"{input_len}+{output_len}", f"exceeds the {model.max_context}-token context of {model.id}",
            "shorten the request",
        )
    if input_len < 0 or output_len < 1:
        raise InputError("--input-len/--output-len", f"{input_len}/{output_len}", "must be >= 0 and >= 1", "give token counts")


def _speculative(method: str, accept_len: float) -> Speculative:
    from pydantic import ValidationError

    from optimizer.catalog.efficiency import Speculative

    if method == "none" and accept_len != 1.0:
        raise InputError("--spec-accept-len", f"{accept_len:g}", "is given without --spec-method (no speculative decoding "
                         "emits one token per step)", "add the method that drafts the tokens, e.g. --spec-method mtp, or drop "
                         "--spec-accept-len")
    try:
        return Speculative(method=method, accept_len=accept_len)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(
            "--spec-method/--spec-accept-len", f"{method}/{accept_len:g}",
            f"is not a speculative decoding setting ({first['msg'].removeprefix('Value error, ')})",
            "use --spec-method none|mtp|eagle|eagle3|ngram and --spec-accept-len between 1 and 16",
        ) from None


def _batch(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError("--batch", text, "is not an integer or 'max'", "use e.g. --batch 32 or --batch max") from None


def evaluate_request(catalog: Catalog, request: PredictRequest) -> ReplicaPerf:
    """The replica evaluated at the requested batch, or at the largest that fits."""
    from optimizer.perf.evaluate import evaluate, evaluate_max_batch

    r = request
    if r.batch is None:
        return evaluate_max_batch(
            catalog, r.model, r.card, r.precision, r.parallelism, r.input_len, r.output_len, r.kv_precision, r.max_seqs,
            engine=r.engine, spec=r.spec,
        )
    return evaluate(
        catalog, r.model, r.card, r.precision, r.parallelism, r.batch, r.input_len, r.output_len, r.kv_precision,
        engine=r.engine, spec=r.spec,
    )


def parse_sweeps(
    budget: str | None, tpot: str | None, ttft: str | None = None, load: str | None = None,
    names: tuple[str, str, str, str] = WHATIF_SWEEP_OPTIONS,
) -> SweepRequest:
    """The sweep options parsed once, before the scenario is read, so a bad one fails at once."""
    from optimizer.pipeline import SweepRequest
    from optimizer.sweep_ranges import parse_list, parse_range

    return SweepRequest(
        budgets=parse_range(budget, names[0], hi=1e13) if budget else None,
        tpots=parse_list(tpot, names[1], hi=1e7) if tpot else None,
        ttfts=parse_list(ttft, names[2], hi=1e7) if ttft else None,
        loads=parse_list(load, names[3], hi=1e9) if load else None,
    )


def with_scenario_sweeps(options: SweepRequest, wanted: Analysis) -> SweepRequest:
    """`procure solve`: the scenario's `analysis:` sweeps where the command line names none
    (the scenario's budget range was checked when it was loaded)."""
    from optimizer.sweep_ranges import parse_range

    budgets = options.budgets or (parse_range(wanted.budget_sweep_rmb, "analysis.budget_sweep_rmb") if wanted.budget_sweep_rmb else None)
    tpots = options.tpots or (list(wanted.tpot_sweep_ms) if wanted.tpot_sweep_ms else None)
    return dataclasses.replace(options, budgets=budgets, tpots=tpots)


def parse_phase_sweeps(options: SweepRequest, growth: str | None, decline: str | None, discount: str | None) -> SweepRequest:
    """`procure whatif`: --growth, --price-decline and --discount (FROM:TO:POINTS in % per period,
    within the bounds of the phases fields they move), parsed before the scenario is read."""
    from optimizer.sweep_ranges import parse_axis_range

    return dataclasses.replace(
        options,
        growth=parse_axis_range(growth, "--growth", "growth") if growth else None,
        decline=parse_axis_range(decline, "--price-decline", "price_decline") if decline else None,
        discount=parse_axis_range(discount, "--discount", "discount") if discount else None,
    )


def with_scenario_axes(options: SweepRequest, scenario: Scenario, delivered: list[str] | None) -> SweepRequest:
    """`procure whatif`: the phases sweeps checked against the scenario (it must buy in phases), and
    the --delivered-share sweeps (OFFER_OR_VENDOR=FROM:TO:POINTS, the name checked against the
    scenario's offers and vendors, shares from 0 to 1) added."""
    from optimizer.analysis.sweeps_fleet import phases_of

    for kind, values in (("growth", options.growth), ("decline", options.decline), ("discount", options.discount)):
        if values:
            phases_of(scenario, kind)  # a scenario without phases: is bad input
    return dataclasses.replace(options, delivered=parse_delivered(scenario, delivered))


def parse_delivered(scenario: Scenario, delivered: list[str] | None) -> list[tuple[str, list[float]]]:
    """The --delivered-share sweeps (OFFER_OR_VENDOR=FROM:TO:POINTS), the name checked against the
    scenario's offers and vendors (a fleet's: the shared ones), shares from 0 to 1."""
    from optimizer.analysis.sweeps_fleet import supply_subject
    from optimizer.sweep_ranges import parse_axis_range

    shares = []
    for spec in delivered or []:
        who, _, rng = spec.rpartition("=")
        if not who.strip() or not rng:
            raise InputError("--delivered-share", spec, "is not OFFER_OR_VENDOR=FROM:TO:POINTS",
                             "e.g. --delivered-share h200-8x=0:1:5 (the share of its servers that arrive, 0 to 1)")
        supply_subject(scenario, who)  # an unknown, owned or unpriced name is bad input
        shares.append((who, parse_axis_range(rng, "--delivered-share", "delivered_share")))
    return shares


FLEET_AXES = "--growth, --price-decline, --discount (a fleet with phases:) or --delivered-share OFFER_OR_VENDOR=FROM:TO:POINTS"


def refuse_single_service_axes(path: str, given: dict[str, object]) -> None:
    """`procure whatif` on a fleet: the axes of one service's plan (`given`: option -> value, None
    when not given) are bad input, all named in one error with the axes a fleet has."""
    named = [option for option, value in given.items() if value]
    if not named:
        return
    which = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    raise InputError(which, "(scenario with services:)", f"{'sweeps' if len(named) == 1 else 'sweep'} one service's plan, and "
                     f"{path} lists services: (one purchase for several services)", f"for the fleet use {FLEET_AXES}; for a budget, SLA, "
                     "load or price sweep, run procure whatif on one service's own scenario (without services:)")


def fleet_sweep_request(options: SweepRequest, scenarios: tuple[Scenario, ...], delivered: list[str] | None) -> SweepRequest:
    """`procure whatif` on a fleet: the phases sweeps checked against the fleet (it must buy in phases;
    a growth sweep needs a service whose load grows), the --delivered-share sweeps added; at least
    one sweep must be asked for."""
    from optimizer.analysis.fleet_whatif import check_fleet_phase_axis

    for kind, values in (("growth", options.growth), ("decline", options.decline), ("discount", options.discount)):
        if values:
            check_fleet_phase_axis(scenarios, kind)
    request = dataclasses.replace(options, delivered=parse_delivered(scenarios[0], delivered))
    if not request:
        raise InputError("procure whatif", "(options)", "no sweep asked for", f"give {FLEET_AXES} (a scenario with services:)")
    return request


def with_price_sweeps(options: SweepRequest, scenario: Scenario, price: list[str] | None) -> SweepRequest:
    """`procure whatif`: the --price sweeps (OFFER=FROM:TO:POINTS, checked against the scenario's
    offers) added; at least one sweep must be asked for."""
    from optimizer.analysis import with_server_price
    from optimizer.sweep_ranges import parse_range

    prices = []
    for spec in price or []:
        offer, _, rng = spec.partition("=")
        if not rng:
            raise InputError("--price", spec, "is not OFFER=FROM:TO:POINTS", "e.g. --price atlas-910b2-8x=500000:1500000:11")
        if not offer.strip():
            raise InputError("--price", spec, "names no offer before '='", f"give one of: {', '.join(o.id for o in scenario.offers)}")
        with_server_price(scenario, offer, 1)  # an unknown or owned offer is bad input
        prices.append((offer, [float(round(v)) for v in parse_range(rng, "--price", hi=1e10)]))  # whole yuan
    request = dataclasses.replace(options, prices=prices)
    if not request:
        raise InputError("procure whatif", "(options)", "no sweep asked for",
                         "give --budget, --tpot, --ttft, --load, --price, --growth, --price-decline, --discount or --delivered-share")
    return request
