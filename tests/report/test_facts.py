"""Facts before rendering: the weights table reads the plan's own memory model, and one bid-risk
rule feeds the solve report, the comparison and their JSON."""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from pathlib import Path

import pytest
from conftest import SINGLE_SERVICE_SCENARIOS

from optimizer import pipeline
from optimizer.analysis.facts import SolveFacts, bid_risks, solve_facts
from optimizer.catalog.bundle import load_catalog
from optimizer.plan.result import SolveResult
from optimizer.problem import resolve
from optimizer.report.solve_json import to_json
from optimizer.report.solve_md import render
from optimizer.report.whatif import compare_json, render_compare
from optimizer.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = SINGLE_SERVICE_SCENARIOS  # a fleet file is checked by tests/cli/test_fleet_cli.py
BIDS = REPO / "scenarios" / "r1_bids_h200_910b_mi300x.yaml"


def _families() -> dict[str, list[tuple[Path, str]]]:
    """Card family -> the (scenario, offer) pairs of the shipped scenarios that bid it."""
    catalog = load_catalog()
    out: dict[str, list[tuple[Path, str]]] = {}
    for path in SCENARIOS:
        for offer in load_scenario(path, catalog).offers:
            if not offer.unpriced:  # a bid not yet priced is sized apart, with no row in these tables
                out.setdefault(catalog.cards[offer.card].family, []).append((path, offer.id))
    return out


FAMILIES = _families()


@cache
def _solved(path: Path) -> tuple[SolveResult, SolveFacts]:
    catalog = load_catalog()
    result = pipeline.solve(resolve(load_scenario(path, catalog), catalog))
    return result, solve_facts(result)


def _weights_cells(md: str) -> dict[tuple[str, str], list[str]]:
    """(offer, precision) -> the cells of the report's "Do the weights fit at all?" table."""
    lines = md.splitlines()
    start = lines.index("## Do the weights fit at all?") + 2  # the title, a blank line
    end = lines.index("", start)
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in lines[start + 2:end]]  # after header and rule
    return {(c[0], c[1]): c for c in cells}


def test_every_shipped_card_family_is_covered():
    assert {"nvidia-hopper", "huawei-ascend", "amd-cdna3"} <= set(FAMILIES), FAMILIES


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_weights_table_uses_the_plans_usable_memory_per_card(family):
    """For every SLA-compliant design the plan considered on a card of this family, the table's
    usable memory per card is the design's own (capacity less the engine's reserved memory or
    runtime overhead), the report prints it, and the design holds at least the cards the table
    says the weights alone need."""
    checked = 0
    for path, offer_id in FAMILIES[family]:
        result, facts = _solved(path)
        rows = [w for w in facts.weights if w.offer_id == offer_id]
        assert {w.precision for w in rows} == set(result.scenario.precisions)
        usable = rows[0].usable_gb
        assert all(w.usable_gb == usable for w in rows)
        cells = _weights_cells(render(result, facts=facts))
        for w in rows:
            assert cells[offer_id, w.precision][3] == f"{usable:.1f} GB"
        by_precision = {w.precision: w for w in rows}
        for d in result.candidates:
            if d.offer_id != offer_id:
                continue
            m = d.perf.memory
            assert usable == pytest.approx(m.capacity_gb - m.overhead_gb, abs=1e-9), d.key
            assert m.weights_gb <= usable
            w = by_precision[d.perf.precision]
            assert w.supported and d.cards >= w.cards, (d.key, w)
            checked += 1
        if checked:
            break
    assert checked, f"no shipped scenario has a design on {family}: nothing to compare the table with"


def test_the_usable_memory_of_a_reserved_memory_engine_is_card_memory_less_the_reservation():
    """SGLang keeps a fixed reservation: an H200 (143,771 MiB as its driver reports it = 150.75 GB)
    gives 150.75 - 10.74 GB, not 150.75 x 0.9 - 3."""
    result, facts = _solved(BIDS)
    view = result.problem.offer("h200-8x")
    assert view.engine.mem_reserved_gb is not None
    h200 = next(w for w in facts.weights if w.offer_id == "h200-8x")
    assert h200.usable_gb == pytest.approx(143_771 * 2**20 / 1e9 - view.engine.mem_reserved_gb)


@pytest.fixture(scope="module")
def compared():
    catalog = load_catalog()
    problem = resolve(load_scenario(BIDS, catalog), catalog)
    result = pipeline.solve(problem)
    comparison = pipeline.compare(problem, result=result)
    return result, comparison, solve_facts(result)


def _top_risk_column(md: str, section: str = "## Bids") -> dict[str, str]:
    lines = md.splitlines()
    start = lines.index(section) + 1
    table = [x for x in lines[start:] if x.startswith("|")]
    head = [c.strip() for c in table[0].strip("|").split("|")]
    col = head.index("top risk")
    out = {}
    for row in table[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        if len(cells) != len(head):
            break
        out[cells[0]] = cells[col]
    return out


def test_solve_and_compare_give_every_bid_the_same_risks(compared):
    result, comparison, facts = compared
    solve_doc, compare_doc = to_json(result, facts=facts, include_timing=False), compare_json(comparison, facts=facts)
    compare_risks = {b["offer"]: b["risks"] for b in compare_doc["bids"]}
    assert len(solve_doc["bids"]) == len(compare_risks) == 3
    for bid in solve_doc["bids"]:
        risks = compare_risks[bid["offer"]]
        assert bid["top_risk"] == (risks[0] if risks else "none flagged"), bid["offer"]
    for row in comparison.rows:  # one rule: the comparison's rows and the solve facts hold the same codes
        assert row.risks == facts.offer(row.offer_id).risks == bid_risks(result.problem, result.terms[row.offer_id])
    solve_md, compare_md = render(result, facts=facts), render_compare(comparison, facts=facts)
    assert _top_risk_column(solve_md) == _top_risk_column(compare_md) == {b["offer"]: b["top_risk"] for b in solve_doc["bids"]}
    for row in comparison.rows:
        bullet = next(x for x in compare_md.splitlines() if x.startswith(f"- **{row.offer_id}**: "))
        assert bullet.removeprefix(f"- **{row.offer_id}**: ").startswith(compare_risks[row.offer_id][0].rstrip("."))


def test_a_domestic_card_has_no_export_risk_and_a_controlled_one_has(compared):
    _, comparison, _ = compared
    codes = {r.offer_id: [x.code for x in r.risks] for r in comparison.rows}
    assert codes["h200-8x"][0] == codes["mi300x-8x"][0] == "export_control"
    assert "export_control" not in codes["atlas-910b2-8x"]
    assert codes["atlas-910b2-8x"] == ["price_not_quote", "no_fp8", "ecosystem"]


def test_risks_are_language_free_and_the_report_translates_them(compared):
    _, comparison, facts = compared
    risk = facts.offer("atlas-910b2-8x").risks[0]
    assert (risk.code, dict(risk.params)) == ("price_not_quote", {"kind": "estimate"})
    zh = render_compare(comparison, "zh", facts=facts)
    assert "价格为估算，非正式报价" in zh and "price is an estimate" not in zh


def test_facts_are_frozen(compared):
    _, _, facts = compared
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.offers[0].engine = "vllm"
    assert facts.engines == {"h200-8x": "sglang", "atlas-910b2-8x": "sglang-ascend", "mi300x-8x": "atom"}
    assert facts.offer("mi300x-8x").calibration.family_rows > 0
    assert re.fullmatch(r"[0-9a-f]{12}", facts.provenance.scenario_sha) and facts.provenance.catalog_files > 0


def test_the_card_line_names_every_fitted_time_and_share_it_was_sized_with():
    """The committed r1_chatbot report (kept fresh by tests/cli/test_solve_command.py) states, per
    bid, the factors of its card family x engine as the catalog resolves them: the decode GEMM and
    decode attention MFU apart, and the front end's latency and its pace in a burst apart."""
    md = (REPO / "reports" / "r1_chatbot.md").read_text(encoding="utf-8")
    eff = load_catalog().efficiency
    for offer, family, engine in (("h200-8x", "nvidia-hopper", "sglang"), ("mi300x-8x", "amd-cdna3", "atom")):
        f = eff.resolve(family, engine)
        line = next(x for x in md.splitlines() if x.startswith(f"- {offer} ("))
        assert f"MFU decode GEMMs {f.mfu_decode:.2f}, decode attention {f.mfu_attention:.2f}," in line
        assert f"{f.ttft_overhead_ms:.0f} ms front end ({f.front_end_pace_ms:.0f} ms a request when a burst queues)" in line
