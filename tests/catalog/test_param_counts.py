"""Parameter counts derived from the architecture against the published totals."""

from __future__ import annotations

import pytest

from optimizer.arch import count_params
from optimizer.catalog.records import load_models

MODELS = load_models()


def test_llama_3_1_8b_exact_count():
    """Llama-3.1-8B, by hand (untied embedding, no biases):
    embedding 128,256 x 4,096 = 525,336,576; x2 with the untied LM head = 1,050,673,152
    per layer: attention q 4096x4096 = 16,777,216 + k,v 2 x 4096x1024 = 8,388,608 + o 16,777,216
               = 41,943,040; SwiGLU FFN 3 x 4096 x 14336 = 176,160,768; norms 2 x 4096 = 8,192
               -> 218,112,000; x 32 layers = 6,979,584,000
    final norm 4,096
    total = 1,050,673,152 + 6,979,584,000 + 4,096 = 8,030,261,248
    """
    p = count_params(MODELS["llama-3.1-8b"])
    assert p.attention_per_layer == 41_943_040
    assert p.dense_ffn_per_layer == 176_160_768
    assert p.total == 8_030_261_248
    assert p.active == p.total  # dense: every parameter is active


@pytest.mark.parametrize("model_id", sorted(m for m in MODELS if MODELS[m].published_total_params_b))
def test_derived_total_matches_published(model_id: str):
    model = MODELS[model_id]
    derived_b = count_params(model).total / 1e9
    assert derived_b == pytest.approx(model.published_total_params_b, rel=0.01)


def test_every_model_publishes_a_total():
    """The parametrised check above covers every shipped model."""
    assert [m for m in MODELS.values() if m.published_total_params_b is None] == []


def test_deepseek_r1_active_params():
    """~37B active of 671B (model card): 8 of 256 routed experts + 1 shared per MoE layer."""
    p = count_params(MODELS["deepseek-r1"])
    assert p.active / 1e9 == pytest.approx(37.0, rel=0.03)
    assert p.total / 1e9 == pytest.approx(671.0, rel=0.01)
    assert p.moe_layers == 58 and p.dense_layers == 3


def test_mixtral_active_params():
    """Mixtral-8x7B: 2 of 8 experts per token, 12.9B active of 46.7B."""
    p = count_params(MODELS["mixtral-8x7b"])
    assert p.active / 1e9 == pytest.approx(12.9, rel=0.02)
