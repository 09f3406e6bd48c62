"""The scenario resolved once (optimizer.problem): one view per offer, replica evaluations shared by
the solve, its central-estimate companion and the sweeps, none computed twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from conftest import load, resolved

from optimizer import pipeline
from optimizer import problem as problem_mod
from optimizer.pipeline import SweepRequest

CHATBOT = Path(__file__).resolve().parents[1] / "scenarios" / "r1_chatbot.yaml"


@pytest.fixture()
def counted(monkeypatch):  # type: ignore[no-untyped-def]
    """Every replica evaluation the evaluator computes, by its arguments."""
    seen: Counter[tuple[object, ...]] = Counter()
    real = problem_mod.evaluate_replica

    def evaluate(r, batch, input_len, output_len, context_len=None):  # type: ignore[no-untyped-def]
        seen[(r.model.id, r.card.id, r.precision_name, r.par, r.engine_id, r.cards_per_server, batch, input_len,
              output_len, context_len)] += 1
        return real(r, batch, input_len, output_len, context_len=context_len)

    monkeypatch.setattr(problem_mod, "evaluate_replica", evaluate)
    return seen


def test_the_companion_and_the_sweeps_evaluate_no_design_twice(counted):
    problem = resolved(load(CHATBOT))
    result = pipeline.solve(problem)  # the solve at confidence 0.8, then the central-estimate companion
    assert result.central_plan is not None
    after_solve = sum(counted.values())
    pipeline.sweeps(problem, SweepRequest(tpots=[40.0, 60.0], loads=[100.0, 600.0]), result)
    assert counted and max(counted.values()) == 1, [k for k, n in counted.items() if n > 1][:3]
    assert problem.evaluator.evaluations == sum(counted.values()) >= after_solve


def test_a_variant_shares_the_evaluator_and_resolves_its_own_offers():
    problem = resolved(load(CHATBOT))
    cheaper = problem.scenario.model_copy(update={"offers": [
        o.model_copy(update={"price_rmb_per_server": 1_000_000}) if o.id == "h200-8x" else o for o in problem.scenario.offers
    ]})
    variant = problem.with_scenario(cheaper)
    assert variant.evaluator is problem.evaluator and variant.catalog is problem.catalog
    assert variant.terms["h200-8x"].price_rmb_per_server == 1_000_000
    assert problem.terms["h200-8x"].price_rmb_per_server == 1_500_000


def test_offer_views_apply_the_catalog_defaults_once():
    """The atlas bid gives no cards_per_server or engine: its view carries the catalog's 8 and the
    Ascend family's default engine; its price is per card plus a base: 8 x 120,000 + 200,000."""
    view = resolved(load(CHATBOT)).offer("atlas-910b2-8x")
    assert view.cards_per_server == 8 and view.family == "huawei-ascend"
    assert view.engine_id == "sglang-ascend" and view.engine.name.startswith("SGLang on Ascend")
    assert view.terms.price_rmb_per_server == 8 * 120_000 + 200_000
