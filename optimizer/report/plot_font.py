"""A font for Chinese text in the plots (vendor names such as 华为, offer ids, notes), so a printed
plot shows glyphs rather than empty boxes on any machine.

The font ships with the project's dependencies: the noto-cjk-sans-otc package carries Noto Sans
CJK (Regular, SIL Open Font License 1.1) as one OpenType collection, whose Simplified Chinese face
is the one used. Only if that package is missing is a CJK font installed on the system looked for;
without either, plots keep Latin text and one warning goes to stderr.

The CJK family comes after the default sans-serif fonts, so Latin text keeps DejaVu Sans and only
the glyphs DejaVu lacks are drawn from it (matplotlib falls back glyph by glyph along the list).
Nothing here depends on the order fonts were installed in: the same machine gives the same PNG bytes.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

CJK_SAMPLE = "华为投标"  # what a Chinese bid needs drawn: the vendor and the word for "bid"
PACKAGED_FAMILY = "Noto Sans CJK SC"
# Families looked for among installed fonts when the packaged one is missing, the closest to it first.
SYSTEM_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
                   "Droid Sans Fallback", "Noto Sans CJK JP", "Source Han Sans", "AR PL UMing CN")


@dataclass(frozen=True)
class CjkFont:
    family: str       # the name matplotlib knows it by
    path: str         # its file
    face_index: int   # its face in a collection (.ttc); 0 for a single font
    source: str       # "package" or "system"


def covers(path: str, text: str, face_index: int = 0) -> bool:
    """Whether the font face has a glyph for every character of `text` (its character map)."""
    from matplotlib.ft2font import FT2Font

    cmap = FT2Font(path, face_index=face_index).get_charmap()
    return all(ord(ch) in cmap for ch in text if not ch.isspace())


def _packaged() -> CjkFont | None:
    """The Simplified Chinese face of the collection the noto-cjk-sans-otc package ships."""
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    from matplotlib.ft2font import FT2Font

    path = str(noto_cjk_sans_otc.FONT_PATH)
    if not Path(path).is_file():
        return None
    for i in range(FT2Font(path).num_faces):
        if FT2Font(path, face_index=i).family_name == PACKAGED_FAMILY:
            return CjkFont(PACKAGED_FAMILY, path, i, "package")
    return None


def _first_installed(entries: Iterable[tuple[str, str, int]]) -> CjkFont | None:
    """The first of SYSTEM_FAMILIES among (family, path, face) entries whose face covers CJK_SAMPLE;
    paths are tried in sorted order so two copies of a family always resolve to the same file."""
    by_family: dict[str, list[tuple[str, int]]] = {}
    for family, path, face in entries:
        by_family.setdefault(family, []).append((path, face))
    for family in SYSTEM_FAMILIES:
        for path, face in sorted(by_family.get(family, [])):
            if covers(path, CJK_SAMPLE, face):
                return CjkFont(family, path, face, "system")
    return None


def _system() -> CjkFont | None:
    from matplotlib import font_manager

    # matplotlib 3.11 lists each face of a collection (.ttc) as its own entry, `index` its face
    return _first_installed((f.name, str(f.fname), f.index) for f in font_manager.fontManager.ttflist)


@functools.cache
def cjk_font() -> CjkFont | None:
    """The CJK font the plots use (see the module doc), registered with matplotlib once; None
    (after one warning on stderr) when no font here can draw Chinese."""
    from matplotlib import font_manager

    found = _packaged()
    if found is not None:
        font_manager.fontManager.addfont(found.path)  # registers every face of the collection by its family name
        return found
    found = _system()
    if found is None:
        print("warning: no CJK font found (pip install noto-cjk-sans-otc): Chinese text in plots will show as boxes",
              file=sys.stderr)
    return found


def plot_rc() -> dict[RcKeyType, Any]:
    """rcParams for a plot: the default sans-serif font first, the CJK family after it. matplotlib
    falls back glyph by glyph along font.family (not along the font.sans-serif list, whose first
    installed font alone stands for "sans-serif"), so the CJK family is a family of its own."""
    font = cjk_font()
    return {"font.family": ["sans-serif", *([font.family] if font else [])]}
