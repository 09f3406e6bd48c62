"""The provenance line every report ends with: procure version, scenario and catalog hashes (and the
user's catalog overlay with its hash, when there is one). No timestamp, so the same inputs give the
same bytes."""

from __future__ import annotations

from optimizer.analysis.facts import Provenance
from optimizer.report.i18n import tr


def provenance_line(p: Provenance, lang: str = "en") -> str:
    """'Provenance: procure 0.1.0; scenario sha256 …; catalog sha256 … (58 files).', with
    '+ overlay DIR (sha256 …, 2 files)' after the catalog when a user overlay was on top of it."""
    shared = {"version": p.version, "scenario": p.scenario_sha, "catalog": p.catalog_sha, "files": p.catalog_files}
    if p.overlay is None:  # the line as it always was: committed reports keep their bytes
        return tr(lang, "provenance", **shared)
    return tr(lang, "provenance.overlay", **shared, overlay=p.overlay, overlay_sha=p.overlay_sha, overlay_files=p.overlay_files)


def provenance_json(p: Provenance) -> dict[str, object]:
    """The same facts for machines: each field on its own, and the line the reports print."""
    return {
        "procure_version": p.version,
        "scenario_sha256": p.scenario_sha,
        "catalog_sha256": p.catalog_sha,
        "catalog_files": p.catalog_files,
        "overlay": None if p.overlay is None else {"path": p.overlay, "sha256": p.overlay_sha, "files": p.overlay_files},
        "line": provenance_line(p),
    }
