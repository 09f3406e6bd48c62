"""The user's catalog overlay: a folder that mirrors catalog/ whose entries add to or replace the
shipped ones (`procure --catalog DIR`, or PROCURE_CATALOG).

cards/*.yaml and models/*.yaml hold one record each: a file whose id is shipped replaces that record,
a new id adds one. engines.yaml, precisions.yaml, ecosystems.yaml, launch.yaml and load_profiles.yaml add or replace
entries by name. Calibration CSVs and efficiency.yaml are not overlaid: the fitted factors are the
project's, fitted on the shipped rows. Light on purpose (no pydantic): the CLI selects the overlay
before every command, `procure --help` included.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from optimizer.errors import InputError, Problem

OVERLAY_DIRS = ("cards", "models")  # one record per *.yaml file; a file with a shipped id replaces that record
OVERLAY_FILES = ("engines.yaml", "precisions.yaml", "ecosystems.yaml", "launch.yaml", "load_profiles.yaml")  # entries add or replace by name
OVERLAY_ENV = "PROCURE_CATALOG"
OVERLAY_ALLOWED = "cards/*.yaml, models/*.yaml, engines.yaml, precisions.yaml, ecosystems.yaml, launch.yaml, load_profiles.yaml"
NOT_OVERLAID = "efficiency.yaml and the calibration CSVs are not overlaid: the fit is the project's"

# Set once by the CLI (or a notebook) before any load. The loaders (records, efficiency,
# launch_templates, bundle) cache per overlay folder, so a change can never hand out the previous one's records.
_overlay: dict[str, Path | None] = {"dir": None}


def overlay_dir() -> Path | None:
    """The overlay folder every loader reads on top of the shipped catalog (None: the shipped one only)."""
    return _overlay["dir"]


def set_overlay(path: Path | None, where: str = "catalog overlay") -> Path | None:
    """Select the overlay (None: none) after checking it; `where` names the option or variable it came from."""
    _overlay["dir"] = None if path is None else check_overlay(path, where)
    return _overlay["dir"]


def _hidden(path: Path, root: Path) -> bool:
    """Dot-files and folders (.git, .DS_Store) are not catalog files: skipped, not refused."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def overlay_files(root: Path) -> list[Path]:
    """The overlay's files as read and hashed (hidden ones skipped), sorted."""
    return sorted(p for p in root.rglob("*") if p.is_file() and not _hidden(p, root))


def _misplaced(root: Path) -> list[str]:
    """Paths in the overlay (relative) that are not a file it may hold."""
    bad = []
    for entry in sorted(root.iterdir()):
        if _hidden(entry, root):
            continue
        if entry.is_dir() and entry.name in OVERLAY_DIRS:
            bad += [p.relative_to(root).as_posix() for p in sorted(entry.iterdir())
                    if not _hidden(p, root) and not (p.is_file() and p.suffix == ".yaml")]
        elif not (entry.is_file() and entry.name in OVERLAY_FILES):
            bad.append(entry.relative_to(root).as_posix() + ("/" if entry.is_dir() else ""))
    return bad


def check_overlay(path: Path, where: str) -> Path:
    """The overlay folder made absolute (reports name it), after checking that it is a folder holding
    only what an overlay may hold: a misspelt file name would otherwise be silently ignored."""
    unset = {"--catalog": "drop --catalog", OVERLAY_ENV: f"unset {OVERLAY_ENV}"}.get(where, "select no overlay")
    folder = path.expanduser()
    if not folder.is_dir():
        problem = "is a file, not a folder" if folder.exists() else "does not exist"
        raise InputError(where, str(path), problem,
                         f"give an existing folder of your catalog additions, laid out like catalog/ ({OVERLAY_ALLOWED}), or {unset}")
    folder = folder.resolve()
    try:
        bad = _misplaced(folder)
    except OSError as exc:  # an unreadable folder: the user's to fix, not a bug
        raise InputError(where, str(path), f"cannot be read ({exc.strerror})", f"give a folder you can read, or {unset}") from None
    if bad:
        fix = f"an overlay holds only {OVERLAY_ALLOWED} ({NOT_OVERLAID}); move it out of the folder"
        raise InputError.of(str(folder), [Problem(name, "is not a file a catalog overlay can hold", fix) for name in bad])
    return folder


def catalog_paths(name: str, overlay: Path | None) -> list[Path]:
    """A catalog file (or folder) as shipped, then the overlay's copy when it has one: later entries win."""
    extra = [] if overlay is None or not (overlay / name).exists() else [overlay / name]
    return [catalog_dir() / name, *extra]


def catalog_dir() -> Path:
    """The catalog shipped with the package (installed as the `catalog` package data)."""
    return Path(str(resources.files("catalog")))
