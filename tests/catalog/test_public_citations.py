"""Shipped data cites public sources only (issue 16, item 6).

The catalog and the scenarios are read by users whose clones have no ../shared directory, so a
citation of the project's working notes ("SEED 003", "shared/reference/catalog_facts.md") is a dead
end. Each fact must name the public source behind it: a vendor document, a repository path, an
article or blog post by title and date, or say plainly that it is a project estimate.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = {".yaml", ".yml", ".md", ".csv"}
# Internal working notes: the seed documents, the reference notes and their files.
FORBIDDEN = re.compile(r"seed 0|shared/reference|shared/seeds|catalog_facts\.(?:md|csv)", re.IGNORECASE)


def _data_files() -> list[Path]:
    files = [p for p in (REPO_ROOT / "catalog").rglob("*") if p.is_file() and p.suffix in SUFFIXES]
    files += [p for p in (REPO_ROOT / "scenarios").rglob("*") if p.is_file() and p.suffix in SUFFIXES]
    return sorted(files)


DATA_FILES = _data_files()


def test_data_files_found() -> None:
    names = {p.name for p in DATA_FILES}
    assert "h20.yaml" in names and "r1_chatbot.yaml" in names and "calibration.csv" in names


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_internal_note_citations(path: Path) -> None:
    hits = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()[:160]}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if FORBIDDEN.search(line)
    ]
    assert not hits, "cite the public source instead of the project's notes:\n" + "\n".join(hits)
