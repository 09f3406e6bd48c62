"""A bid that cannot serve says the reason that binds first; skipped precisions are a note beside it."""

from __future__ import annotations

from pathlib import Path

from conftest import load, resolved

from optimizer.pipeline import solve

CHATBOT = Path(__file__).resolve().parents[2] / "scenarios" / "r1_chatbot.yaml"


def test_a_bid_infeasible_for_tpot_with_fp8_listed_reports_the_tpot_reason():
    """The Atlas bid cannot compute FP8 (precisions fp8, int8, bf16) and no INT8/BF16 design meets
    a 5 ms TPOT: the reason is the TPOT, and FP8 appears only as a note after it."""
    scn = load(CHATBOT)
    tight = scn.model_copy(update={"sla": scn.sla.model_copy(update={"tpot_ms": 5.0, "confidence": 0.5})})
    result = solve(resolved(tight))
    row = next(o for o in result.per_offer if o.offer_id == "atlas-910b2-8x")
    assert row.plan is None and row.reason is not None
    assert row.reason.startswith("TPOT ≤ 5 ms is unreachable"), row.reason
    assert "note: fp8:" in row.reason and "(int8, bf16 tried)" in row.reason
    assert row.reason.index("TPOT") < row.reason.index("fp8")


def test_a_card_that_runs_no_listed_precision_says_so():
    scn = load(CHATBOT)
    fp8_only = scn.model_copy(update={"precisions": ["fp8"], "sla": scn.sla.model_copy(update={"confidence": 0.5})})
    row = next(o for o in solve(resolved(fp8_only)).per_offer if o.offer_id == "atlas-910b2-8x")
    assert row.reason is not None and row.reason.startswith("no listed precision runs on this card: fp8:"), row.reason


def test_a_bid_without_a_design_at_the_confidence_draw_says_which_sla_binds_there():
    """qwen72b_rag's 8 x RTX 4090 bid runs its precisions at the central estimate; under the draw
    at confidence 0.8 (prefill errors from held-out runs) none of its central shapes meets the 3 s
    TTFT. The reason names that SLA at that confidence, never 'no listed precision runs', which
    is false: the same shapes ran at the centre."""
    rag = load(CHATBOT.parent / "qwen72b_rag.yaml")
    row = next(o for o in solve(resolved(rag)).per_offer if o.offer_id == "rtx4090-8x")
    assert row.plan is None and row.reason is not None
    assert row.reason.startswith("at confidence 80%: TTFT ≤ 3000 ms is unreachable"), row.reason
    assert "no listed precision" not in row.reason
