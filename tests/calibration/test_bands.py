"""Error bands (calibration.bands) and their judgement on held-out sources (calibration.heldout),
pinned by hand."""

from __future__ import annotations

import math

import pytest

from optimizer.calibration.bands import WIDEN_ENGINE_UNSEEN, WIDEN_FAMILY_UNSEEN, Bands, part_of
from optimizer.calibration.heldout import held_out, score
from optimizer.calibration.residuals import Residual


def _rows(metric: str, errors: list[float], family: str = "fam", engine: str = "eng", concurrency: int = 1,
          source: str = "s") -> list[Residual]:
    return [Residual(family, engine, "dense", metric, e, concurrency=concurrency, source=source) for e in errors]


def test_the_10_90_band_is_the_80_percent_quantile_of_the_error_magnitudes():
    """|e| = 0.1 forty times and 0.3 forty times: the 0.8 quantile of the 80 sorted magnitudes sits
    at position 0.8 x 79 = 63.2, among the 0.3s, so the band is exp(-0.3) .. exp(0.3)."""
    bands = Bands(tuple(_rows("tpot_ms", [0.1, -0.1] * 20 + [0.3, -0.3] * 20)))
    b = bands.band("fam", "eng", "dense", "tpot_ms")
    assert (b.low_factor, b.high_factor) == (pytest.approx(math.exp(-0.3)), pytest.approx(math.exp(0.3)))
    assert b.widened == "" and b.rows == 80


def test_an_unmeasured_family_or_engine_gets_a_wider_band_and_says_why():
    bands = Bands(tuple(_rows("tpot_ms", [0.2, -0.2] * 10)))
    seen = bands.band("fam", "eng", "dense", "tpot_ms")
    engine = bands.band("fam", "other", "dense", "tpot_ms")
    family = bands.band("new-fam", "eng", "dense", "tpot_ms")
    assert seen.high_factor == pytest.approx(math.exp(0.2))
    assert engine.high_factor == pytest.approx(math.exp(0.2 * WIDEN_ENGINE_UNSEEN)) and "never measured" in engine.widened
    assert family.high_factor == pytest.approx(math.exp(0.2 * WIDEN_FAMILY_UNSEEN)) and family.widened == "card family never measured"


def test_ttft_is_judged_on_its_prefill_or_its_queue_by_concurrency():
    """TTFT errors of 0.1 at one request per replica, 1.0 at 64: a TTFT at 2 is judged on the
    first, at 100 on the second, at 8 on both."""
    rows = _rows("ttft_ms", [0.1, -0.1] * 5, concurrency=1) + _rows("ttft_ms", [1.0, -1.0] * 5, concurrency=64)
    bands = Bands(tuple(rows))
    assert [part_of("ttft_ms", c) for c in (2, 8, 100)] == ["prefill", "ttft", "queue"]
    assert bands.band("fam", "eng", "dense", "ttft_ms", concurrency=2).high_factor == pytest.approx(math.exp(0.1))
    assert bands.band("fam", "eng", "dense", "ttft_ms", concurrency=100).high_factor == pytest.approx(math.exp(1.0))
    mid = bands.band("fam", "eng", "dense", "ttft_ms", concurrency=8).high_factor
    assert math.exp(0.1) < mid <= math.exp(1.0)


def test_held_out_coverage_leaves_each_source_out_of_its_own_band():
    """Source a's errors are all 0.1 in size, source b's all 0.5: each is judged by the other's
    band, so a falls inside b's (|0.1| < 0.5) and b outside a's (|0.5| > 0.1)."""
    rows = _rows("tpot_ms", [0.1, -0.1] * 5, source="a") + _rows("tpot_ms", [0.5, -0.5] * 5, source="b")
    judged = held_out(tuple(rows))
    assert [j.inside for j in judged] == [True] * 10 + [False] * 10
    s = score(judged)["tpot_ms"]
    assert s.coverage == 0.5 and s.rows == 20
    # widths: a's rows in b's band exp(0.5 - -0.5), b's rows in a's band exp(0.2); the median of ten of each
    assert s.median_width == pytest.approx((math.exp(1.0) + math.exp(0.2)) / 2)


def test_a_large_source_does_not_set_the_band_for_every_other():
    """Source a: 90 rows of |e| = 0.1, weight 90^-0.5 each (9.487 in all); source b: 10 rows of 0.5,
    weight 10^-0.5 each (3.162 in all). The i-th sorted magnitude sits at the weight before it over
    the weight of all but the last (12.649 - 0.316 = 12.333): the last 0.1 at 89/sqrt(90) / 12.333 =
    0.760, the first 0.5 at 0.769, so the 0.8 quantile (the 10-90 % band) is 0.5. Unweighted, 90 of
    100 rows are 0.1 and the band would be exp(+-0.1)."""
    rows = _rows("tpot_ms", [0.1, -0.1] * 45, source="a") + _rows("tpot_ms", [0.5, -0.5] * 5, source="b")
    b = Bands(tuple(rows)).band("fam", "eng", "dense", "tpot_ms")
    assert b.high_factor == pytest.approx(math.exp(0.5))
    one = Bands(tuple(_rows("tpot_ms", [0.1, -0.1] * 45 + [0.5, -0.5] * 5, source="a"))).band("fam", "eng", "dense", "tpot_ms")
    assert one.high_factor == pytest.approx(math.exp(0.1))   # one source: weights alike, numpy's quantile
