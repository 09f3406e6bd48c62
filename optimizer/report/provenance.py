"""The provenance line every report ends with: procure version, scenario and catalog hashes. No
timestamp, so the same inputs give the same bytes."""

from __future__ import annotations

from optimizer.analysis.facts import Provenance
from optimizer.report.i18n import tr


def provenance_line(p: Provenance, lang: str = "en") -> str:
    """'Provenance: procure 0.1.0; scenario sha256 …; catalog sha256 … (58 files).'"""
    return tr(lang, "provenance", version=p.version, scenario=p.scenario_sha, catalog=p.catalog_sha, files=p.catalog_files)
