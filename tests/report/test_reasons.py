"""Reasons in Chinese (report/reasons.py): each sentence shape the plan layer writes has its Chinese
form with the numbers and ids kept; an unknown sentence stays as it is; RMB amounts become 万元."""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT, load, resolved

from optimizer import pipeline
from optimizer.analysis.facts import solve_facts
from optimizer.report.reasons import localize_reason
from optimizer.report.solve_md import render


@pytest.mark.parametrize(("english", "chinese"), [
    ("TTFT ≤ 3000 ms is unreachable: its fastest design reaches 28690 ms", "TTFT ≤ 3000 ms 无法达到：最快的设计为 28690 ms"),
    ("at confidence 80%: TPOT ≤ 60 ms is unreachable: the fastest design reaches 60.1 ms",
     "置信度 80% 时：TPOT ≤ 60 ms 无法达到：最快的设计为 60.1 ms"),
    ("more servers than offered: 20 x rtx4090-8x (available 4), RMB 4,400,000",
     "所需服务器超过报价数量：20 × rtx4090-8x（可供 4 台），440.0 万元"),
    ("note: fp8: ascend-910b2 has no FP8 units (int8, bf16 tried)", "注：fp8: ascend-910b2 has no FP8 units（已尝试 int8, bf16）"),
    ("allowing 9 servers (cap 8) would suffice; or a mixed fleet would work: 2 x a, 1 x b, RMB 3,000,000",
     "允许 9 台服务器（当前上限 8）即可；或 混合多家供应商即可：2 × a, 1 × b，300.0 万元"),
])
def test_each_shape_in_chinese(english, chinese):
    assert localize_reason(english, "zh") == chinese
    assert localize_reason(english, "en") == english


def test_an_unknown_sentence_is_kept_not_guessed():
    assert localize_reason("the moon is in the way", "zh") == "the moon is in the way"


def test_the_chinese_report_of_an_infeasible_scenario_has_no_english_reason():
    """Every relaxation and bid reason of the shipped infeasible scenario is one of the known shapes."""
    result = pipeline.solve(resolved(load(REPO_ROOT / "scenarios" / "r1_tight_sla_infeasible.yaml")))
    assert not result.plans and result.diagnosis is not None
    text = render(result, facts=solve_facts(result), lang="zh").replace(result.scenario.description, "")  # the user's own words
    for english in ("unreachable", "would suffice", "than offered", "no design meets", "does not fit"):
        assert english not in text, english


def test_every_catalog_risk_note_has_its_chinese_and_the_chinese_report_uses_it():
    """Each card's export-control note and each family's ecosystem note have a Chinese form; a Chinese
    report prints that form, an English one the English."""
    from optimizer.catalog.records import load_cards, load_ecosystems
    from optimizer.report.bids import risk_text

    assert all(c.export_control_zh for c in load_cards().values())
    assert all(e.note_zh for e in load_ecosystems().values())
    result = pipeline.solve(resolved(load(REPO_ROOT / "scenarios" / "r1_bids_h200_910b_mi300x.yaml")))
    risks = solve_facts(result).offer("h200-8x").risks
    export = next(r for r in risks if r.code == "export_control")
    assert "出口中国需美国许可" in risk_text(export, "zh") and "export licence" in risk_text(export, "en")


def test_an_unmeasured_family_is_named_in_the_warnings_and_the_risks():
    """A bid whose card family has no published run in the fit gets its own warning and risk wording
    (the pooled prior, the widest band), never the thin-calibration sentence with '0 rows'."""
    import dataclasses

    from optimizer.analysis.facts import Calibration, Risk
    from optimizer.report.bids import risk_text
    from optimizer.report.caveats import warnings

    result = pipeline.solve(resolved(load(REPO_ROOT / "scenarios" / "r1_bids_h200_910b_mi300x.yaml")))
    facts = solve_facts(result)
    first = facts.offers[0]
    none = Calibration(first.family, 0, first.engine, 0)
    risk = Risk("thin_calibration", {"family": first.family, "family_rows": 0, "engine": first.engine, "engine_rows": 0})
    changed = dataclasses.replace(facts, offers=(dataclasses.replace(first, calibration=none, risks=(risk,)), *facts.offers[1:]))
    text = "\n".join(warnings(result, changed))
    assert f"no published run of the {first.family} family is in the fit" in text and "0 rows)" not in text.split(first.offer_id)[1][:40]
    assert risk_text(risk) == f"unmeasured family ({first.family}): pooled prior, widest band"
    assert "未实测系列" in risk_text(risk, "zh")
