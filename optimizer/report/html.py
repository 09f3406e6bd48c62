"""The report as one self-contained, print-ready HTML page (`--format html`): the Markdown report's
content converted as it is (page one first, the same tables, the chosen language), every PNG it shows
or links embedded as a data URI, and A4 print styles, so a committee can open or print one file
with nothing beside it."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping

# A4 portrait with readable margins; tables keep their rows together and repeat their header on a
# new page; a plot never splits across pages.
STYLE = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", Helvetica, Arial, sans-serif;
       font-size: 10.5pt; line-height: 1.45; max-width: 190mm; margin: 0 auto; color: #111; }
h1 { font-size: 17pt; } h2 { font-size: 13pt; border-bottom: 1px solid #999; margin-top: 1.4em; } h3 { font-size: 11pt; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0; font-size: 8.5pt; }
th, td { border: 1px solid #bbb; padding: 2px 4px; vertical-align: top; }
th { background: #eee; }
thead { display: table-header-group; }
tr, img { page-break-inside: avoid; break-inside: avoid; }
img { max-width: 100%; }
code { font-size: 9pt; }
@media print { a { color: inherit; text-decoration: none; } h2 { page-break-after: avoid; break-after: avoid; } }
"""

_PNG_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+\.png)\)")


def embed_plots(markdown_text: str, images: Mapping[str, bytes]) -> str:
    """Every image or link to a PNG the report names becomes an embedded image (a link to a plot on a
    printed page is no use); a PNG that was not written stays as it was."""
    def replace(m: re.Match[str]) -> str:
        _, text, name = m.groups()
        data = images.get(name)
        if data is None:
            return m.group(0)
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        return f"![{text}]({uri})"
    return _PNG_LINK.sub(replace, markdown_text)


def to_html(markdown_text: str, images: Mapping[str, bytes], *, title: str, lang: str) -> str:
    """The whole page: the report converted with tables, plots embedded, print styles."""
    import markdown

    body = markdown.markdown(embed_plots(markdown_text, images), extensions=["tables", "sane_lists"], output_format="html")
    lang_tag = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang_tag}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
