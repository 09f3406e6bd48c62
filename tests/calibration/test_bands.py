"""Error bands (calibration.bands) and their judgement on held-out sources (calibration.heldout),
pinned by hand."""

from __future__ import annotations

import math

import pytest

from optimizer.calibration.bands import KNOWLEDGE, Bands, part_of
from optimizer.calibration.draws import shock_at
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


def test_the_scale_is_earned_on_held_out_sources():
    """Source a: ten TPOT errors of size 0.1; source b: ten of 0.2; one engine on one family. Held
    out, a is judged by b's pool (0.8 quantile 0.2): ratios 0.1 / 0.2 = 0.5; b by a's (0.1): ratios
    2.0. The 0.8 quantile of the twenty ratios sits at 0.8 x 19 = 15.2, among the 2.0s, so the
    scale is 2.0. The whole pool (both sources weigh alike) has its 0.8 quantile at 15.2 of 20,
    among the 0.2s, so the band is exp(+-0.2 x 2.0)."""
    rows = _rows("tpot_ms", [0.1, -0.1] * 5, source="a") + _rows("tpot_ms", [0.2, -0.2] * 5, source="b")
    bands = Bands(tuple(rows))
    assert bands.scales("closed")[0] == pytest.approx(2.0)
    b = bands.band("fam", "eng", "dense", "tpot_ms")
    assert b.high_factor == pytest.approx(math.exp(0.4)) and b.low_factor == pytest.approx(math.exp(-0.4))
    assert b.widened == ""
    # the draws read the same scaled distribution: a draw at rank 0.9 is the band's upper edge
    assert shock_at(bands.errors("fam", "eng"), 0.9).tpot == pytest.approx(math.exp(-0.4))


def test_an_unmeasured_engine_or_family_takes_the_scale_its_held_out_measurements_earned():
    """Sources a and b measured engine "eng" (ten TPOT errors each, 0.1 and 0.3); c measured engine
    "new" on the same family (eight of 0.4, weighing 8^-0.5 each). Held out: a against b and c (0.8
    quantile among the 0.4s): ratios 0.25; b against a and c: 0.75; c against a and b (0.3): 1.333.
    Engine measured: the 0.8 quantile of a's and b's twenty ratios, 0.75 (sharper than the pool).
    Never measured: c's 8 < MIN_STRATUM_ROWS rows, so the regime's 0.8 quantile of all 28 (at
    21.6, among the 1.333s) x 1.2 = 1.6; family never measured 1.333 x 1.5 = 2.0. The whole pool's
    0.8 quantile is among the 0.4s (the first at 6.325 / 8.799 = 0.72), so a TPOT band of an engine
    no source measured on the family is exp(+-0.4 x 1.6), and says why; c's own engine, measured
    by c, is judged like a's and b's: exp(+-0.4 x 0.75)."""
    rows = (_rows("tpot_ms", [0.1, -0.1] * 5, source="a") + _rows("tpot_ms", [0.3, -0.3] * 5, source="b")
            + _rows("tpot_ms", [0.4, -0.4] * 4, engine="new", source="c"))
    bands = Bands(tuple(rows))
    assert bands.scales("closed") == pytest.approx((0.75, 1.6, 2.0))
    engine = bands.band("fam", "other", "dense", "tpot_ms")
    family = bands.band("new-fam", "eng", "dense", "tpot_ms")
    assert engine.high_factor == pytest.approx(math.exp(0.4 * 1.6)) and engine.widened == KNOWLEDGE[1]
    assert family.high_factor == pytest.approx(math.exp(0.4 * 2.0)) and family.widened == "card family never measured"
    assert bands.band("fam", "new", "dense", "tpot_ms").high_factor == pytest.approx(math.exp(0.4 * 0.75))


def test_a_stratum_that_knows_less_is_never_sharper():
    """Sources a and b as above (scale 2.0); source c: twenty TPOT errors of 0.01 with an engine no
    other source measured, whose own ratios (0.01 over the 0.8 quantile of a's and b's pool) would
    give it a scale far below 1. It keeps the better-known stratum's 2.0."""
    rows = (_rows("tpot_ms", [0.1, -0.1] * 5, source="a") + _rows("tpot_ms", [0.2, -0.2] * 5, source="b")
            + _rows("tpot_ms", [0.01, -0.01] * 10, engine="new", source="c"))
    scales = Bands(tuple(rows)).scales("closed")
    assert scales[1] == pytest.approx(scales[0]) and scales[0] > 1.0


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


def test_a_large_source_does_not_set_the_pooled_errors_for_every_other():
    """The pool before its held-out scale (which counts measurements alike, as coverage does).
    Source a: 90 rows of |e| = 0.1, weight 90^-0.5 each (9.487 in all); source b: 10 rows of 0.5,
    weight 10^-0.5 each (3.162 in all). The i-th sorted magnitude sits at the weight before it over
    the weight of all but the last (12.649 - 0.316 = 12.333): the last 0.1 at 89/sqrt(90) / 12.333 =
    0.760, the first 0.5 at 0.769, so the 0.8 quantile (the 10-90 % band) is 0.5. Unweighted, 90 of
    100 rows are 0.1 and the band would be exp(+-0.1)."""
    rows = _rows("tpot_ms", [0.1, -0.1] * 45, source="a") + _rows("tpot_ms", [0.5, -0.5] * 5, source="b")
    errors = Bands(tuple(rows)).errors("fam", "eng")
    assert errors.error_at("tpot", 0.9) / errors.scale == pytest.approx(0.5)
    one = Bands(tuple(_rows("tpot_ms", [0.1, -0.1] * 45 + [0.5, -0.5] * 5, source="a"))).band("fam", "eng", "dense", "tpot_ms")
    assert one.high_factor == pytest.approx(math.exp(0.1))   # one source: weights alike, numpy's quantile


def test_a_superseded_engine_line_does_not_scale_current_engines():
    """Sources a and b as above; source d measured an old release line, since superseded, twenty
    times with errors of 1.0. A current engine's scales are judged without d's rows, as its pool is:
    2.0 where measured, and with no held-out row elsewhere the regime's 2.0 x 1.2 = 2.4 and x 1.5 =
    3.0. The old line's scales count d: held out, d's engine was measured by no other source, and
    its rows over the 0.8 quantile of a's and b's pool (0.2) give that stratum 1.0 / 0.2 = 5.0; a
    family never measured takes the 0.8 quantile of all 40 ratios (10 x 0.1, 10 x 0.2, 20 x 5.0:
    5.0) x 1.5 = 7.5. Where d's rows make a's and b's look small (edge 1.0: ratios 0.1 and 0.2) the
    old line keeps the current engines' 2.0: it is never judged more sharply. Its band then spans
    d's errors too: the pool with d (weights 10^-0.5, 10^-0.5, 20^-0.5 a row) has its 0.8 quantile
    among the 1.0s, so exp(+-1.0 x 2.0)."""
    old = [Residual("fam", "old", "dense", "tpot_ms", e, superseded=True, source="d") for e in [1.0, -1.0] * 10]
    rows = _rows("tpot_ms", [0.1, -0.1] * 5, source="a") + _rows("tpot_ms", [0.2, -0.2] * 5, source="b") + old
    bands = Bands(tuple(rows), frozenset({"old"}))
    assert bands.scales("closed") == pytest.approx((2.0, 2.4, 3.0))
    assert bands.scales("closed", with_superseded=True) == pytest.approx((2.0, 5.0, 7.5))
    assert bands.band("fam", "eng", "dense", "tpot_ms").high_factor == pytest.approx(math.exp(0.4))
    assert bands.band("fam", "old", "dense", "tpot_ms").high_factor == pytest.approx(math.exp(2.0))


def test_the_scale_is_the_0_8_quantile_of_the_held_out_ratios():
    """Sources a, b (ten TPOT errors each, 0.1 and 0.2) and c (five of 0.4). Held out, a's pool
    (b and c, c's rows weighing 5^-0.5 each) has its 0.8 quantile among the 0.4s: ratios 0.25; b's
    likewise: 0.5; c's (a and b) 0.2: ratios 2.0. The 0.8 quantile of the 25 ratios sits at
    0.8 x 24 = 19.2, a fifth of the way from 0.5 to 2.0: 0.8 (a 0.9 quantile would be 2.0). The
    whole pool's 0.8 quantile is among the 0.4s (the first 0.4 sits at 6.325 / 8.114 = 0.78), so
    the band is exp(+-0.4 x 0.8)."""
    rows = (_rows("tpot_ms", [0.1, -0.1] * 5, source="a") + _rows("tpot_ms", [0.2, -0.2] * 5, source="b")
            + _rows("tpot_ms", [0.4, -0.4, 0.4, -0.4, 0.4], source="c"))
    bands = Bands(tuple(rows))
    assert bands.scales("closed")[0] == pytest.approx(0.8)
    assert bands.band("fam", "eng", "dense", "tpot_ms").high_factor == pytest.approx(math.exp(0.32))


def test_rows_nothing_else_measured_and_exact_pools_do_not_break_the_scale():
    """Source a measured only TPOT, source b only throughput: held out, neither has another source's
    errors to be judged against, so no ratio is formed and the stated widenings stand (not a and b's
    0.05 over a default ln 2). Source a with exact predictions and b with errors of 0.2: b's ratios
    over a's edge (0, floored at MIN_EDGE = 0.01) are 20, a's are 0; the scale is capped at 10, and
    the band stays finite: exp(0.2 x 10)."""
    apart = (_rows("tpot_ms", [0.05, -0.05] * 5, source="a")
             + [Residual("fam", "eng", "dense", "output_tok_s", e, source="b") for e in [0.05, -0.05] * 5])
    assert Bands(tuple(apart)).scales("closed") == pytest.approx((1.0, 1.2, 1.5))
    exact = _rows("tpot_ms", [0.0] * 10, source="a") + _rows("tpot_ms", [0.2, -0.2] * 5, source="b")
    bands = Bands(tuple(exact))
    assert bands.scales("closed") == pytest.approx((10.0, 10.0, 10.0))
    assert bands.band("fam", "eng", "dense", "tpot_ms").high_factor == pytest.approx(math.exp(2.0))


def test_saturated_runs_keep_the_stated_widenings():
    """Bursts and split instances are too few sources to hold out (SCALED_REGIMES): the same errors
    as the first test, measured in bursts, are not scaled."""
    rows = [Residual("fam", "eng", "dense", "tpot_ms", e, regime="saturated", source=src)
            for src, size in (("a", 0.1), ("b", 0.2)) for e in [size, -size] * 5]
    bands = Bands(tuple(rows))
    assert bands.scales("saturated") == (1.0, 1.2, 1.5)
    assert bands.band("fam", "eng", "dense", "tpot_ms", mode="burst").high_factor == pytest.approx(math.exp(0.2))


def test_held_out_judgements_name_the_stratum_their_source_left_them_in():
    """Sources a and b measured engine "eng"; c alone measured "new". Held out, c's rows are judged
    as an engine never measured on the family, a's and b's as measured; score groups them so."""
    rows = (_rows("tpot_ms", [0.1, -0.1] * 5, source="a") + _rows("tpot_ms", [0.2, -0.2] * 5, source="b")
            + _rows("tpot_ms", [0.3, -0.3] * 2, engine="new", source="c"))
    judged = held_out(tuple(rows))
    assert [j.knowledge for j in judged] == [""] * 20 + [KNOWLEDGE[1]] * 4
    by_stratum = score(judged, by="knowledge")
    assert by_stratum[KNOWLEDGE[1]].rows == 4 and by_stratum["engine measured on the card family"].rows == 20
