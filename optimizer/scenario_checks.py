"""Set-ups a scenario can state but no deployment can run, each one rule, reported with the
schema's problems (file, line, field, problem, fix; exit 2):

- a label (scenario name, model reference, offer id, vendor) that is empty, blank, longer than
  MAX_LABEL or holds control characters
  (a NUL byte among them): labels become table cells and file names;
- more offers than MAX_OFFERS (checked on the raw file, before the offers are validated);
- a price on an owned offer (owned hardware costs nothing: the price would be silently ignored);
- MTP speculative decoding on a model whose spec has no MTP module (`mtp_layers`);
- a speculative method (mtp, eagle, eagle3) the offer's engine profile does not list in its
  `features` (ngram, prompt lookup, needs no trained draft and no profile lists it: not checked).

Speculative settings that contradict themselves (accept_len above draft_tokens, an accept_len with
method none) are refused by `Speculative` itself, for scenarios and `procure predict` alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from pydantic import AfterValidator

from optimizer.catalog.yaml_io import Lines
from optimizer.errors import InputError, Problem

if TYPE_CHECKING:
    from collections.abc import Mapping

    from optimizer.catalog.bundle import Catalog
    from optimizer.catalog.efficiency import EngineProfile, Speculative
    from optimizer.catalog.records import ModelSpec

MAX_OFFERS = 500  # a tender with more bids is a generated table gone wrong; 500 take about half a minute
MAX_LABEL = 500   # characters of a name, offer id or vendor (file names made from them are shortened: report.names)
PRICE_KEYS = ("price_rmb_per_server", "price_rmb_per_card", "server_base_rmb", "use_catalog_price")
DRAFTED = ("mtp", "eagle", "eagle3")  # speculative methods an engine must support by name


class OfferLike(Protocol):  # scenario.Offer (not imported: scenario imports this module)
    @property
    def id(self) -> str: ...
    @property
    def card(self) -> str: ...
    @property
    def engine(self) -> str | None: ...


def _label(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty; give a name")
    bad = sorted({f"0x{ord(c):02x}" for c in value if ord(c) < 0x20 or ord(c) == 0x7F})
    if bad:
        raise ValueError(f"holds control characters ({', '.join(bad)}); write it on one line without them")
    if len(value) > MAX_LABEL:
        raise ValueError(f"is {len(value)} characters long; keep it to {MAX_LABEL}")
    return value


Label = Annotated[str, AfterValidator(_label)]  # a name, offer id or vendor a person reads


def check_size(raw: dict[str, Any], lines: Lines, where: str) -> None:
    """Refuse a bid table beyond MAX_OFFERS before anything else reads it."""
    offers = raw.get("offers")
    if isinstance(offers, list) and len(offers) > MAX_OFFERS:
        raise InputError(
            where, "offers", f"lists {len(offers):,} offers; procure compares at most {MAX_OFFERS} (MAX_OFFERS)",
            f"keep the {MAX_OFFERS} bids that can win (drop duplicates and bids above budget), or split the table",
            line=lines.get(("offers",)),
        )


def owned_price_problems(raw: dict[str, Any], lines: Lines) -> list[Problem]:
    """A price on an offer marked owned: the plan would ignore it without a word."""
    problems = []
    offers = raw.get("offers")
    for i, offer in enumerate(offers if isinstance(offers, list) else []):
        if not (isinstance(offer, dict) and offer.get("owned") is True):
            continue
        for key in PRICE_KEYS:
            if offer.get(key) is not None:
                problems.append(Problem(
                    f"offers.{i}.{key}", f"prices offer {offer.get('id', i)!r}, which is owned: hardware already bought costs "
                    "nothing and the price would be ignored",
                    "remove the price, or set owned: false to compare it as a bid", lines.get(("offers", i, key)),
                ))
    return problems


def lacks_mtp(method: str, model: ModelSpec) -> bool:
    return method == "mtp" and not model.mtp_layers


def no_mtp(model_id: str) -> tuple[str, str]:
    """Problem and fix for MTP on a model without MTP modules."""
    return (f"is mtp, but {model_id} ships no multi-token-prediction module (its spec has no mtp_layers)",
            "use eagle3 (with a trained draft head), ngram or none; a spec imported from a config with "
            "num_nextn_predict_layers or mtp_num_hidden_layers records its MTP modules")


def engine_lacks(method: str, profile: EngineProfile) -> bool:
    return method in DRAFTED and method not in profile.features


def unsupported_by_engine(method: str, whose: str, profile: EngineProfile, engines: Mapping[str, EngineProfile]) -> tuple[str, str]:
    """Problem and fix when `profile` (described by `whose`) does not list the method."""
    fits = sorted((p.superseded, eid) for eid, p in engines.items() if method in p.features)
    return (f"{whose} does not support {method} speculative decoding (its profile lists: {', '.join(profile.features) or 'no features'})",
            (f"use an engine that lists {method} ({', '.join(eid for _, eid in fits)}), or " if fits else "use ")
            + "another speculative method")


def speculative_problems(spec: Speculative, engine: str | None, offers: Sequence[OfferLike], model: ModelSpec, lines: Lines,
                         catalog: Catalog) -> list[Problem]:
    """The scenario's speculative method against the model (MTP needs MTP modules) and the engine
    each offer runs (its own, the scenario's `engine`, or its card family's default)."""
    if spec.method not in DRAFTED:
        return []
    problems = []
    if lacks_mtp(spec.method, model):
        problems.append(Problem("speculative.method", *no_mtp(model.id), lines.get(("speculative", "method"))))
    seen: set[tuple[str, str]] = set()
    for i, offer in enumerate(offers):
        if offer.card not in catalog.cards:
            continue
        family = catalog.cards[offer.card].family
        runs = offer.engine or engine or catalog.default_engine(family)
        profile = catalog.engines.get(runs)
        if profile is None or not engine_lacks(spec.method, profile):
            continue
        loc: tuple[Any, ...]
        if offer.engine:
            field, loc, whose = f"offers.{i}.engine", ("offers", i, "engine"), f"offer {offer.id!r} runs {runs}, which"
        elif engine:
            field, loc, whose = "engine", ("engine",), f"the scenario's engine {runs}"
        else:
            field, loc, whose = "speculative.method", ("speculative", "method"), f"{runs}, the default engine of {family} ({offer.id!r}),"
        if (field, runs) in seen:
            continue
        seen.add((field, runs))
        problems.append(Problem(field, *unsupported_by_engine(spec.method, whose, profile, catalog.engines), lines.get(loc)))
    return problems


def engines_running_on(family: str, engines: Mapping[str, EngineProfile]) -> list[str]:
    """Current engine profiles with a backend for a card family (the fix an off-family engine gets)."""
    return [eid for eid, p in engines.items() if family in p.runs_on and not p.superseded]


def engine_card_problems(i: int, offer: dict[str, Any], scenario_engine: object, catalog: Catalog,
                         lines: Lines) -> list[Problem]:
    """An offer's engine (its own, else the scenario's) must have a backend for the offer's card
    family: MindIE on an H100 or TensorRT-LLM on an Ascend card is not a plan."""
    card_id, own = offer.get("card"), offer.get("engine")
    engine = own if isinstance(own, str) else scenario_engine
    if not (isinstance(card_id, str) and card_id in catalog.cards and isinstance(engine, str) and engine in catalog.engines):
        return []
    family, profile = catalog.cards[card_id].family, catalog.engines[engine]
    if family in profile.runs_on:
        return []
    where = ("offers", i, "engine") if isinstance(own, str) else ("engine",)
    return [Problem(
        ".".join(map(str, where)),
        f"offer {offer.get('id', i)!r} ({card_id}, {family}) cannot run {engine!r}: it runs on {', '.join(profile.runs_on)}",
        f"give this offer an engine that runs on {family} ({', '.join(engines_running_on(family, catalog.engines))}), "
        "or leave engine out for the family's default",
        lines.get(where),
    )]
