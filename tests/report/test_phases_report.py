"""Page one's "Buying in phases": the real `procure solve` on the shipped phased scenario (the JSON's
phases block agrees with page one's sentence and table, the plot is written and linked), the
sentence's variants in both languages, and the plot's bytes reproducible."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import REPO_ROOT

from optimizer.report.format import money

SCENARIO = REPO_ROOT / "scenarios" / "r1_phased_2027.yaml"


def test_solve_writes_phases_whose_json_agrees_with_page_one(procure, tmp_path):
    procure("solve", str(SCENARIO), "--out", str(tmp_path), expect=0)
    md = (tmp_path / "r1_phased_2027.md").read_text(encoding="utf-8")
    doc = json.loads((tmp_path / "r1_phased_2027.json").read_text(encoding="utf-8"))["phases"]
    page_one = md.split("## Bids")[0]
    section = page_one.split("## Buying in phases")[1]
    sched, once = doc["schedule"], doc["all_at_once"]
    assert doc["periods"] == ["2027Q1", "2027Q2", "2027Q3", "2027Q4"] and doc["priced_on"] == "capex"
    assert f"costs {money(sched['discounted_rmb'])} in 2027Q1's money" in section
    assert f"{money(sched['spend_rmb'])} paid" in section
    assert f"against {money(once['discounted_rmb'])} for buying everything in 2027Q1" in section
    assert doc["saving_rmb"] == once["discounted_rmb"] - sched["discounted_rmb"] > 0
    assert f"phasing saves {money(doc['saving_rmb'])}" in section
    rows = [line for line in section.splitlines() if line.startswith("| 2027")]
    assert len(rows) == 4
    for row, period in zip(rows, sched["periods"], strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        bought = ", ".join(f"{n} × {oid}" for oid, n in period["bought"].items()) or "—"
        serving = ", ".join(f"{n} × {oid}" for oid, n in period["in_service"].items())
        assert cells == [period["period"], f"{period['load']:,.1f}", bought, serving, f"{period['capacity']:,.1f}",
                         money(period["spend_rmb"]), money(period["discounted_spend_rmb"])]
        assert period["capacity"] >= period["required"]
    assert sum(p["discounted_spend_rmb"] for p in sched["periods"]) == sched["discounted_rmb"]
    assert "![capacity against demand per period](r1_phased_2027_phases.png)" in section
    png = tmp_path / "r1_phased_2027_phases.png"
    assert png.read_bytes().startswith(b"\x89PNG")


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    from conftest import load, resolved

    from optimizer.pipeline import solve

    return solve(resolved(load(SCENARIO)))


def test_the_sentence_says_when_phasing_saves_nothing_or_all_at_once_cannot_serve(result):
    from optimizer.report.phases import phase_sentence

    ph = result.phases
    same = dataclasses.replace(result, phases=dataclasses.replace(ph, all_at_once=ph.schedule))
    assert "phasing saves nothing here" in phase_sentence(same, "en")
    assert "分期并不节省" in phase_sentence(same, "zh")
    none = dataclasses.replace(result, phases=dataclasses.replace(ph, all_at_once=None, all_at_once_status="infeasible"))
    assert "buying everything in 2027Q1 is not possible" in phase_sentence(none, "en")
    failed = dataclasses.replace(result, phases=dataclasses.replace(ph, schedule=None, status="unknown"))
    assert phase_sentence(failed, "en").startswith("No schedule serves every period's load")
    assert "time limit" in phase_sentence(failed, "en")
    zh = phase_sentence(result, "zh")
    assert zh.startswith("在 4 个周期") and "万元" in zh and "各投标单价每周期下降 5%" in zh


def test_a_tco_objective_says_what_a_server_costs_in_a_schedule(result):
    from optimizer.report.phases import phase_sentence

    s = result.scenario
    tco = s.model_copy(update={"objective": s.objective.model_copy(update={"kind": "tco", "years": 5, "rmb_per_kwh": 0.6})})
    assert "plus its energy over 5 years from its purchase" in phase_sentence(dataclasses.replace(result, scenario=tco), "en")
    assert "energy" not in phase_sentence(result, "en")


def test_the_plot_is_the_same_bytes_twice(result, tmp_path):
    from optimizer.report.phases import plot_phases

    plot_phases(result, tmp_path / "a.png", "zh")
    plot_phases(result, tmp_path / "b.png", "zh")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_every_phase_message_has_both_languages():
    from optimizer.report.i18n_phases import PHASE_MESSAGES

    for key, (en, zh) in PHASE_MESSAGES.items():
        assert key == "ph.gap" or (en.strip() and zh.strip()), key  # ph.gap: a space between sentences in English only
