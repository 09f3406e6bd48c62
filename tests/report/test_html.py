"""The HTML page (report/html.py): plots embedded, a missing plot left as written, print styles."""

from __future__ import annotations

import base64

from optimizer.report.html import embed_plots, to_html


def test_a_written_plot_is_embedded_and_a_missing_one_left_alone():
    text = "![budget](a.png) and [the pareto plot](b.png) and ![gone](c.png)"
    a, b = b"\x89PNG1", b"\x89PNG2"
    out = embed_plots(text, {"a.png": a, "b.png": b})
    assert f"![budget](data:image/png;base64,{base64.b64encode(a).decode()})" in out
    assert f"![the pareto plot](data:image/png;base64,{base64.b64encode(b).decode()})" in out  # a link becomes an image
    assert "![gone](c.png)" in out


def test_page_has_a4_print_styles_tables_and_the_language():
    page = to_html("# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", {}, title="procure: x", lang="zh")
    assert '<html lang="zh-CN">' in page and "@page { size: A4;" in page
    assert "<table>" in page and "<td>1</td>" in page
