"""The facts the reports need, computed once on the pipeline side from a solve: per offer the card,
engine, calibration rows and risks; the "do the weights fit" table; the fit's assumptions; the
provenance hashes. Reports translate and lay these out; they never go back to the catalog.

Every number here comes from the function the plan itself uses (usable memory from
`perf.memory`, engines from the problem's offer views), so a report cannot disagree with its plan.
A comparison's reports take the facts of its result (its rows carry the same `bid_risks`); the
sweep reports need no catalog facts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Literal

from optimizer import units
from optimizer.analysis.served import ServedCost, served_cost
from optimizer.arch import count_params
from optimizer.catalog.efficiency import Factors
from optimizer.catalog.overlay import overlay_files
from optimizer.perf.memory import memory_breakdown
from optimizer.perf.replica import Parallelism
from optimizer.plan.result import SolveResult
from optimizer.plan.terms import OfferTerms
from optimizer.problem import OfferView, Problem

THIN_FIT_ROWS = 5  # a family or engine fitted on fewer calibration rows than this has a wide band
# Words of a card's export-control note that mean the supply itself is at risk (a domestic card's
# note says it is not controlled: no risk).
SUPPLY_RISK_WORDS = ("grey-market", "banned", "not exportable", "not legally", "licence required", "restricted", "halted")

RiskCode = Literal["export_control", "thin_calibration", "price_not_quote", "no_fp8", "pcie_only", "ecosystem"]


@dataclass(frozen=True)
class Risk:
    """One thing that could go wrong with a bid, without words: the reports translate `code` and
    fill in `params` (catalog text such as an export-control note stays in its own language)."""

    code: RiskCode
    params: Mapping[str, str | int] = field(default_factory=dict, hash=False)  # equal risks hash alike by code


@dataclass(frozen=True)
class Calibration:
    """How many published rows the fitted factors of an offer's card family and engine rest on."""

    family: str
    family_rows: int
    engine: str
    engine_rows: int

    @property
    def thin(self) -> bool:
        return self.family_rows < THIN_FIT_ROWS or self.engine_rows < THIN_FIT_ROWS


@dataclass(frozen=True)
class OfferFacts:
    offer_id: str
    card_id: str
    card_name: str
    family: str
    engine: str
    mem_gb: float
    mem_bw_gbs: float
    dense_tflops: tuple[tuple[str, float], ...]   # sorted by precision
    specs_source: str
    specs_date: str
    export_control: str                           # the catalog's note, whole
    export_control_zh: str | None                 # the same note in Chinese, when the catalog has it
    has_fp8: bool
    pcie_only: bool
    calibration: Calibration
    factors: Factors                              # fitted factors of family x engine
    risks: tuple[Risk, ...]                       # most serious first


@dataclass(frozen=True)
class WeightsRow:
    """Can the weights alone fit? One offer at one precision, before any KV cache."""

    offer_id: str
    precision: str
    weights_gb: float          # the whole model's weights
    usable_gb: float           # per card, for weights, KV cache and activations: the plan's figure
    supported: bool            # the card computes this precision
    cards: int                 # at least this many cards hold the weights
    servers: int


@dataclass(frozen=True)
class MemoryDefaults:
    """The serving defaults an engine without a reserved-memory rule applies (assumptions)."""

    usable_fraction: float
    runtime_overhead_gb: float
    source: str


@dataclass(frozen=True)
class FitFacts:
    rows: int
    sources: int
    method: str


@dataclass(frozen=True)
class Provenance:
    version: str
    scenario_sha: str
    catalog_sha: str
    catalog_files: int
    overlay: str | None = None  # the user's catalog overlay folder, when one was on top of the shipped catalog
    overlay_sha: str = ""
    overlay_files: int = 0


@dataclass(frozen=True)
class SolveFacts:
    offers: tuple[OfferFacts, ...]   # in the scenario's order
    weights: tuple[WeightsRow, ...]
    memory_defaults: MemoryDefaults
    fit: FitFacts
    provenance: Provenance
    # 10-90 % of the recommended plan's slowest replica at the central estimate: {"ttft_ms": (lo, hi), ...}
    latency_bands: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    served: ServedCost | None = None  # the recommended plan's cost per token served, under workload.daily_profile

    def offer(self, offer_id: str) -> OfferFacts:
        return next(o for o in self.offers if o.offer_id == offer_id)

    @property
    def engines(self) -> dict[str, str]:
        """The engine profile each offer is planned with."""
        return {o.offer_id: o.engine for o in self.offers}


# --------------------------------------------------------------------------------------------
# Risks


def calibration_of(problem: Problem, view: OfferView) -> Calibration:
    eff = problem.catalog.efficiency
    fam, eng = eff.families.get(view.family), eff.engines.get(view.engine_id)
    return Calibration(view.family, fam.rows if fam else 0, view.engine_id, eng.rows if eng else 0)


def supply_at_risk(export_control: str) -> bool:
    text = export_control.lower()
    return any(w in text for w in SUPPLY_RISK_WORDS)


def bid_risks(problem: Problem, t: OfferTerms) -> tuple[Risk, ...]:
    """What could go wrong with a bid, most serious first: supply (export control), a thin
    calibration, a price that is not a quote, no FP8 units when the scenario wants FP8, PCIe only,
    the software ecosystem. The one rule behind the solve report, the comparison and their JSON."""
    view = problem.offer(t.offer_id)
    card = view.card
    out: list[Risk] = []
    if supply_at_risk(card.export_control):
        out.append(Risk("export_control", {"status": card.export_control, "status_zh": card.export_control_zh or ""}))
    cal = calibration_of(problem, view)
    if cal.thin:
        out.append(Risk("thin_calibration", {"family": cal.family, "family_rows": cal.family_rows,
                                             "engine": cal.engine, "engine_rows": cal.engine_rows}))
    if t.price_kind != "quote":
        out.append(Risk("price_not_quote", {"kind": t.price_kind}))
    if "fp8" not in card.dense_tflops and "fp8" in problem.scenario.precisions:
        out.append(Risk("no_fp8", {"card": card.name}))
    if card.scaleup.topology == "pcie":
        out.append(Risk("pcie_only", {"card": card.name}))
    eco = problem.catalog.ecosystems.get(card.family)
    if eco:
        out.append(Risk("ecosystem", {"family": card.family, "note": eco.note, "note_zh": eco.note_zh or ""}))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Do the weights fit?


def _runnable_precision(problem: Problem, view: OfferView) -> str | None:
    """A precision the card computes, the scenario's first: usable memory does not depend on it,
    but a replica needs one."""
    names = [*problem.scenario.precisions, *problem.catalog.precisions]
    return next((n for n in names if _computes(problem, view, n)), None)


def _computes(problem: Problem, view: OfferView, precision: str) -> bool:
    return any(c in view.card.dense_tflops for c in problem.precision(precision).compute)


def usable_gb_per_card(problem: Problem, view: OfferView) -> float:
    """Memory one card gives weights, KV cache and activations, as the plan's memory model counts
    it: the capacity less the engine's reserved memory (or the runtime overhead of an engine
    without that rule), on an empty replica. It does not depend on the split or the precision."""
    precision = _runnable_precision(problem, view)
    if precision is None:  # the card computes no known precision: nothing runs, no figure to take
        return 0.0
    m = memory_breakdown(problem.replica(view, precision, Parallelism()), 0, problem.scenario.workload.context_tokens)
    return m.capacity_gb - m.overhead_gb


def weights_rows(problem: Problem, offer_ids: list[str]) -> tuple[WeightsRow, ...]:
    """Cards needed per precision for the weights alone: a lower bound any plan must respect."""
    total = count_params(problem.model).total
    rows = []
    for oid in offer_ids:
        view = problem.offer(oid)
        usable = usable_gb_per_card(problem, view)
        for prec in problem.scenario.precisions:
            weights_gb = units.bytes_to_gb(total * problem.precision(prec).bytes_per_param)
            supported = _computes(problem, view, prec) and usable > 0
            cards = math.ceil(weights_gb / usable) if supported else 0
            rows.append(WeightsRow(oid, prec, weights_gb, usable, supported, cards, math.ceil(cards / view.cards_per_server)))
    return tuple(rows)


# --------------------------------------------------------------------------------------------
# Provenance


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def fleet_provenance(results: tuple[SolveResult, ...]) -> Provenance:
    """The provenance of a fleet: its services' scenario hashes hashed together, and the catalog's."""
    first = provenance_of(results[0])
    joined = _sha("".join(scenario_hash(r) for r in results).encode("utf-8"))
    return dataclasses.replace(first, scenario_sha=joined)


def scenario_hash(result: SolveResult) -> str:
    """Short sha256 of the scenario as solved, with its model spec in place of a model path (so the
    hash does not depend on where the files sit)."""
    doc = json.loads(result.scenario.model_dump_json())
    doc["model"] = json.loads(result.model.model_dump_json())
    return _sha(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8"))


def catalog_hash(root: Path) -> tuple[str, int]:
    """Short sha256 over the catalog's files (sorted relative paths and their bytes) and the count."""
    files = sorted(
        p for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.relative_to(root).parts and p.suffix != ".pyc"
    )
    return files_hash(root, files), len(files)


def files_hash(root: Path, files: list[Path]) -> str:
    """Short sha256 over files under `root`: each one's relative path and bytes, length-prefixed."""
    h = hashlib.sha256()
    for p in files:
        rel = p.relative_to(root).as_posix().encode("utf-8")
        data = p.read_bytes()
        h.update(len(rel).to_bytes(8, "big") + rel + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()[:12]


def procure_version() -> str:
    try:
        return metadata.version("procure")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def provenance_of(result: SolveResult) -> Provenance:
    catalog = result.problem.catalog
    cat, files = catalog_hash(catalog.root)
    if catalog.overlay is None:
        return Provenance(procure_version(), scenario_hash(result), cat, files)
    extra = overlay_files(catalog.overlay)  # the files the loaders read (hidden ones skipped)
    return Provenance(procure_version(), scenario_hash(result), cat, files,
                      str(catalog.overlay), files_hash(catalog.overlay, extra), len(extra))


# --------------------------------------------------------------------------------------------
# All of it


def offer_facts(problem: Problem, t: OfferTerms) -> OfferFacts:
    view = problem.offer(t.offer_id)
    card = view.card
    specs = card.provenance["specs"]
    return OfferFacts(
        offer_id=t.offer_id, card_id=card.id, card_name=card.name, family=card.family, engine=view.engine_id,
        mem_gb=card.mem_gb, mem_bw_gbs=card.mem_bw_gbs, dense_tflops=tuple(sorted(card.dense_tflops.items())),
        specs_source=specs.source, specs_date=str(specs.date), export_control=card.export_control, export_control_zh=card.export_control_zh,
        has_fp8="fp8" in card.dense_tflops, pcie_only=card.scaleup.topology == "pcie",
        calibration=calibration_of(problem, view), factors=problem.catalog.efficiency.resolve(card.family, view.engine_id),
        risks=bid_risks(problem, t),
    )


def solve_facts(result: SolveResult) -> SolveFacts:
    """Everything the solve and comparison reports read beyond the result itself. The offers are
    the result's terms (a report of a result with changed terms shows those terms)."""
    problem = result.problem
    eff = problem.catalog.efficiency
    d = eff.defaults
    return SolveFacts(
        offers=tuple(offer_facts(problem, t) for t in result.terms.values()),
        weights=weights_rows(problem, list(result.terms)),
        memory_defaults=MemoryDefaults(d.usable_mem_fraction, d.runtime_overhead_gb, d.provenance.source),
        fit=FitFacts(eff.fit.rows, eff.fit.sources, eff.fit.method),
        provenance=provenance_of(result),
        latency_bands=plan_latency_bands(result),
        served=served_cost(result.plans[0], problem.scenario.workload.load.amount, problem.daily_load, problem.scenario.objective)
        if result.plans else None,
    )


def plan_latency_bands(result: SolveResult) -> dict[str, tuple[float, float]]:
    """Where the recommended plan's TTFT and TPOT would fall in 80 % of the published runs held out
    of the fit: each replica's central estimate under its cell's 10-90 % band, the slowest replica's
    ends (the SLA binds on the slowest). Empty without a plan."""
    if not result.plans:
        return {}
    bands = result.problem.bands   # resolved once with the problem
    out: dict[str, tuple[float, float]] = {}
    for g in result.plans[0].groups:
        p = g.design.perf
        for metric, value in (("ttft_ms", g.design.ttft_at_centre_ms), ("tpot_ms", g.design.tpot_at_centre_ms)):
            if value is None:
                continue
            lo, hi = bands.band(p.family, p.engine, p.model_class, metric, concurrency=p.batch).apply(value)
            old = out.get(metric)
            out[metric] = (lo, hi) if old is None else (max(old[0], lo), max(old[1], hi))
    return out
