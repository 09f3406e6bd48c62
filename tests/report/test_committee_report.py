"""The committee report: page one's bid table, escaped tables, the Chinese report in 万元, the
provenance line and the TCO split (functions of the solve result, no CLI)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from optimizer.analysis.compare import BidRow, Comparison
from optimizer.analysis.facts import bid_risks, solve_facts
from optimizer.catalog.bundle import load_catalog
from optimizer.pipeline import solve
from optimizer.problem import resolve
from optimizer.report import format as fmt
from optimizer.report.i18n import glossary
from optimizer.report.provenance import provenance_line
from optimizer.report.solve_md import render as render_md
from optimizer.report.whatif import render_compare as render_compare_md
from optimizer.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
BIDS = REPO / "scenarios" / "r1_bids_h200_910b_mi300x.yaml"
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _solve(path: Path, **update):
    catalog = load_catalog()
    scenario = load_scenario(path, catalog)
    return solve(resolve(scenario.model_copy(update=update) if update else scenario, catalog))


def render(result, *args, **kw) -> str:
    """The solve report with the facts of that result (a changed result gets its own)."""
    return render_md(result, *args, facts=solve_facts(result), **kw)


def render_compare(c: Comparison, *args, **kw) -> str:
    return render_compare_md(c, *args, facts=solve_facts(c.result), **kw)


def provenance(result) -> str:
    return provenance_line(solve_facts(result).provenance)


@pytest.fixture(scope="module")
def result():
    return _solve(BIDS)


def _section(md: str, title: str) -> list[str]:
    """The lines of a `## title` section."""
    lines = md.splitlines()
    start = lines.index(f"## {title}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def _tables(lines: list[str]) -> list[list[str]]:
    """Consecutive runs of table lines."""
    out, current = [], []
    for line in lines:
        if line.startswith("|"):
            current.append(line)
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _cells(row: str) -> list[str]:
    assert row.startswith("|") and row.endswith("|"), row
    return [c.strip() for c in UNESCAPED_PIPE.split(row)[1:-1]]


def _bid_table(md: str, title: str = "Bids") -> tuple[list[str], list[list[str]]]:
    (table,) = _tables(_section(md, title))
    return _cells(table[0]), [_cells(r) for r in table[2:]]


def _manual_comparison(result) -> Comparison:
    """A comparison without the break-even bisection: enough to render."""
    feasible = [o for o in result.per_offer if o.plan is not None]
    winner = min(feasible, key=lambda o: o.plan.cost_rmb).offer_id
    rows = []
    for o in result.per_offer:
        t = result.terms[o.offer_id]
        be = t.price_rmb_per_server // 2 if o.plan is not None and o.offer_id != winner else None
        rows.append(BidRow(
            offer_id=o.offer_id, vendor=t.vendor, card_id=t.card_id, price_rmb_per_server=t.price_rmb_per_server,
            price_kind=t.price_kind, plan=o.plan, reason=o.reason, break_even_rmb_per_server=be, break_even_note=None,
            risks=bid_risks(result.problem, t),
        ))
    return Comparison(result, tuple(rows), winner)


def test_bid_table_has_one_row_per_offer_on_page_one(result):
    md = render(result)
    head, rows = _bid_table(md)
    assert [r[0] for r in rows] == [o.offer_id for o in result.per_offer]
    assert "top risk" in head and any("per million output tokens" in h for h in head)
    lines = md.splitlines()
    assert lines.index("## Bids") < lines.index("## Ranked plans"), "the bid table is on page one, before the detail"
    assert "3-year life at 100 % utilisation" in md
    for (o, row) in zip(result.per_offer, rows):
        cost = row[head.index("cost")]
        assert cost == (fmt.rmb(o.plan.cost_rmb) if o.plan else fmt.DASH)
        assert row[head.index("top risk")], row


def test_rmb_per_million_output_tokens_is_cost_over_three_years_of_tokens(result):
    from optimizer.analysis.served import rmb_per_million_output_tokens
    from optimizer.plan.designs import output_tokens_per_s_of

    plan = result.plans[0]
    tok_s = output_tokens_per_s_of([(g.design, g.count) for g in plan.groups])
    assert rmb_per_million_output_tokens(plan) == pytest.approx(plan.cost_rmb / (tok_s * 3 * 365 * 24 * 3600 / 1e6))


def test_glossary_and_range_on_the_report(result):
    md = render(result)
    glossary = "\n".join(_section(md, "Glossary"))
    for term in ("TTFT", "TPOT", "MBU", "MFU", "M/D/1", "TP/PP/EP", "MoE", "MLA", "KV cache", "confidence band", "break-even"):
        assert f"**{term}**" in glossary, term
    assert any(line.startswith("Range: ") for line in _section(md, "Recommendation"))


def test_the_glossary_sends_the_reader_to_a_readme_section_that_exists():
    """The confidence-band entry warns that the band is the narrow end and names where the README
    says why, in both languages; a renamed heading would leave the committee a dead reference."""
    headings = {line.lstrip("#").strip() for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines() if line.startswith("## ")}
    for lang in ("en", "zh"):
        entry = next(line for line in glossary(lang) if line.startswith("- **confidence band**"))
        cited = re.findall(r"README(?:, '([^']+)'|「([^」]+)」)", entry)
        cited = [a or b for a, b in cited]
        assert cited and all(c in headings for c in cited), (lang, cited)


def test_a_pipe_or_newline_in_a_vendor_name_does_not_break_any_table(result):
    odd = {oid: dataclasses.replace(t, vendor="Acme | Sons\nGmbH") for oid, t in result.terms.items()}
    bad = dataclasses.replace(result, terms=odd)
    for md in (render(bad), render(bad, lang="zh"), render_compare(_manual_comparison(bad))):
        tables = _tables(md.splitlines())
        assert len(tables) >= 2
        for t in tables:
            width = len(_cells(t[0]))
            assert all(len(_cells(r)) == width for r in t), t
        assert "Acme \\| Sons<br>GmbH" in md


def test_table_helper_escapes_cells_and_checks_widths():
    lines = fmt.table(["a", "b|c"], "lr", [["x|y", "1\n2"]])
    assert lines == ["| a | b\\|c |", "|---|---:|", "| x\\|y | 1<br>2 |"]
    assert fmt.cell("already \\| escaped") == "already \\| escaped"
    with pytest.raises(ValueError):
        fmt.table(["a"], "l", [["1", "2"]])


def test_zh_report_gives_wan_amounts_equal_to_the_rmb_of_the_english_one(result):
    en, zh = render(result), render(result, lang="zh")
    assert zh.startswith("# procure 采购报告") and "## 建议" in zh and "## 术语表" in zh
    head_en, rows_en = _bid_table(en)
    head_zh, rows_zh = _bid_table(zh, "投标")
    assert len(head_en) == len(head_zh) and len(rows_en) == len(rows_zh)
    pairs = 0
    for row_en, row_zh in zip(rows_en, rows_zh):
        for a, b in zip(row_en, row_zh):
            m = re.fullmatch(r"RMB ([\d,]+)", a)
            if m:
                assert b == f"{int(m.group(1).replace(',', '')) / 10_000:,.1f} 万元", (a, b)
                pairs += 1
    assert pairs >= 5
    # every whole-RMB amount of page one, in order, is the same amount in 万元
    page_en = "\n".join(_section(en, "Recommendation") + _section(en, "Bids"))
    page_zh = "\n".join(_section(zh, "建议") + _section(zh, "投标"))
    rmb = [int(x.replace(",", "")) for x in re.findall(r"RMB (\d{1,3}(?:,\d{3})*)(?![\d.,])", page_en)]
    wan = [float(x.replace(",", "")) for x in re.findall(r"([\d,]+\.\d) 万元", page_zh)]
    assert rmb and wan == [round(x / 10_000, 1) for x in rmb]
    assert "RMB 4" not in page_zh
    assert "1,500.0 万元" == fmt.wan_rmb(15_000_000)


def test_an_unknown_language_is_refused(result):
    with pytest.raises(ValueError, match="zh"):
        render(result, lang="fr")


def test_provenance_line_is_present_deterministic_and_tracks_the_scenario(result):
    from importlib.metadata import version

    first, second = render(result), render(result)
    assert first == second
    line = next(x for x in first.splitlines() if x.startswith("Provenance: "))
    assert re.fullmatch(rf"Provenance: procure {re.escape(version('procure'))}; scenario sha256 [0-9a-f]{{12}}; "
                        r"catalog sha256 [0-9a-f]{12} \(\d+ files\)\.", line), line
    assert line == provenance(result)
    renamed = dataclasses.replace(result, scenario=result.scenario.model_copy(update={"description": "another"}))
    assert provenance(renamed) != line
    assert provenance(renamed).split("catalog")[1] == line.split("catalog")[1]
    assert "版本信息：procure" in render(result, lang="zh")


def test_comparison_report_has_the_bid_table_with_break_even_and_links_the_plots(result):
    c = _manual_comparison(result)
    md = render_compare(c)
    head, rows = _bid_table(md)
    assert [r[0] for r in rows] == [o.offer_id for o in result.per_offer]
    be = head.index("break-even price / server ²")
    assert c.winner is not None
    assert rows[[r[0] for r in rows].index(c.winner)][be] == "winner"
    lines = md.splitlines()
    pngs = [i for i, x in enumerate(lines) if re.match(r"!\[.*\]\(r1_bids_h200_910b_mi300x_whatif_\w+\.png\)", x)]
    assert len(pngs) == 3 and max(pngs) < lines.index("## Bids"), "plots near the top"
    zh = render_compare(c, lang="zh")
    assert "## 结论" in zh and "万元" in zh and "Provenance" not in zh
    assert render_compare(c) == md


@pytest.fixture(scope="module")
def tco_result():
    scn = load_scenario(REPO / "scenarios" / "llama3_70b_single_user.yaml", load_catalog())
    obj = scn.objective.model_copy(update={"kind": "tco", "years": 3, "rmb_per_kwh": 1.0})
    return _solve(REPO / "scenarios" / "llama3_70b_single_user.yaml", objective=obj)


def test_tco_report_splits_capex_and_energy_and_they_sum_to_the_total(tco_result):
    r = tco_result
    assert r.plans and r.plans[0].cost_rmb > r.plans[0].capex_rmb
    md = render(r)
    head, rows = _bid_table(md)
    capex, energy, tco = head.index("capex"), head.index("energy (3 y)"), head.index("TCO")
    checked = 0
    for row in rows:
        if row[tco] == fmt.DASH:
            continue
        amount = [int(row[i].removeprefix("RMB ").replace(",", "")) for i in (capex, energy, tco)]
        assert amount[0] + amount[1] == amount[2], row
        checked += 1
    assert checked >= 1
    best = r.plans[0]
    split = fmt.rmb(best.capex_rmb), fmt.rmb(best.cost_rmb - best.capex_rmb), fmt.rmb(best.cost_rmb)
    sentence = next(x for x in _section(md, "Recommendation") if x.startswith("Of the "))
    assert all(s in sentence for s in split), sentence
    zh = render(r, lang="zh")
    assert "资本支出" in zh and fmt.wan_rmb(best.capex_rmb) in zh


def test_an_infeasible_answer_states_what_the_central_estimate_would_buy():
    """RAG on Qwen2.5-72B with only the H20 bid, 4 servers of it: at the model's own estimate they
    meet TTFT <= 3 s, at confidence 0.8 they do not, and the decision says what the central
    estimate would buy."""
    from optimizer.report.decision import recommendation

    path = REPO / "scenarios" / "qwen72b_rag.yaml"
    scn = load_scenario(path, load_catalog())
    result = _solve(path, offers=[o.model_copy(update={"available_servers": 4}) for o in scn.offers if o.id == "h20-8x"])
    assert not result.plans and result.central_plan is not None
    text = recommendation(result)
    assert "No plan meets" in text and "central estimate" in text
    assert f"RMB {result.central_plan.cost_rmb:,}" in text


def test_page_one_gives_the_plan_at_the_central_estimate_and_warns_on_a_thin_margin():
    """r1_chatbot at confidence 0.8 buys replicas sized under a slower draw: page one also gives
    their latencies at the model's own estimate, which are the central perf of the same replica
    (mean statistic: TPOT = perf.tpot_s in ms) and leave more than 5 % headroom, so no warning.
    At confidence 0.5 the plan is sized at the central estimate to the TPOT limit: page one warns."""
    from optimizer.report.decision import decision

    chat = REPO / "scenarios" / "r1_chatbot.yaml"
    sized = _solve(chat)
    plan = sized.plans[0]
    tpot_centre = max(g.design.perf.tpot_s * 1000 for g in plan.groups)
    assert all(g.design.draw is not None for g in plan.groups)
    text = decision(sized)
    assert "the same replicas run at TTFT" in text and f"TPOT {tpot_centre:.1f} ms" in text and "Warning" not in text
    assert tpot_centre < 0.95 * sized.scenario.sla.tpot_ms
    central = _solve(chat, sla=sized.scenario.sla.model_copy(update={"confidence": 0.5}))
    text = decision(central)
    assert "Warning: under 5 % headroom on TPOT" in text and "the same replicas run at" not in text
    assert "警告" in decision(central, "zh")


def test_plot_titles_name_model_load_and_slas():
    """A printed sweep plot says what it is of: the bid scenario's model, its 200 users and both SLAs."""
    from optimizer.report.whatif import plot_context

    text = plot_context(_solve(BIDS))
    assert text.startswith("DeepSeek-R1, 200 concurrent users") and "TTFT ≤ 3000 ms" in text and "TPOT ≤ 60 ms" in text


def test_decision_states_the_sizing_policy_when_the_scenario_asks_for_margin_or_a_spare(result):
    """A 20 % capacity margin sizes for the load x 1.2 and N+1 adds a spare server:
    page one says both, so no one adds them again; without them the sentence says nothing of it."""
    from optimizer.report.decision import decision

    assert "Sizing policy" not in decision(result)
    s = result.scenario
    padded = _solve(BIDS, sla=s.sla.model_copy(update={"headroom_pct": 20.0}),
                    constraints=s.constraints.model_copy(update={"n_plus_one": True}))
    text = decision(padded)
    need = s.workload.load.amount * 1.2
    assert f"a 20 % capacity margin (sized for {need:,.1f} instead of the stated load)" in text
    assert "one spare server" in text
    assert "选型策略" in decision(padded, "zh")


def test_page_one_gives_the_plan_latency_band_around_its_central_estimate(result):
    """The band of the slowest replica brackets its central estimate (the bands are symmetric in log
    space around the model's own estimate), and page one prints it."""
    facts = solve_facts(result)
    for metric, centre in (("ttft_ms", max(g.design.ttft_at_centre_ms or 0 for g in result.plans[0].groups)),
                           ("tpot_ms", max(g.design.tpot_at_centre_ms or 0 for g in result.plans[0].groups))):
        lo, hi = facts.latency_bands[metric]
        assert lo < centre < hi, (metric, lo, centre, hi)
        assert abs(centre / lo - hi / centre) < 1e-6 * hi / centre   # symmetric in log space
    lo, hi = facts.latency_bands["tpot_ms"]
    assert f"TPOT {lo:,.1f} – {hi:,.1f} ms" in render(result)


def test_a_plan_far_above_its_central_estimate_names_the_target_that_binds():
    """qwen72b_rag at confidence 0.8 buys 20 H20 servers (RMB 24.0 M) where the central estimate's plan
    costs RMB 3.04 M: 24.0 / 3.04 = 7.9x, over the 2x at which page one says why. Its replicas run TTFT
    2,853 ms against the 3,000 ms target (95 % of it) and TPOT 8.5 ms against 60 (14 %): TTFT binds.
    r1_bids' plan is the same at both ends and says nothing of the kind."""
    rag = _solve(REPO / "scenarios" / "qwen72b_rag.yaml")
    assert rag.central_plan is not None and rag.plans
    best, central = rag.plans[0], rag.central_plan
    ratio = best.cost_rmb / central.cost_rmb
    ttft = max(g.design.ttft_ms or 0.0 for g in best.groups)
    tpot = max(g.design.tpot_ms or 0.0 for g in best.groups)
    assert ratio >= 2 and ttft / 3000 > tpot / 60
    md = render(rag)
    assert f"the plan costs {ratio:.1f}× the central estimate: its TTFT target binds there ({ttft:,.0f} ms vs 3000 ms)" in md
    assert "procure whatif --ttft" in md
    assert "× the central estimate: its" not in render(_solve(BIDS))
