"""Where commands write.

- Destinations are checked before any work: an empty path, a NUL byte, a file where a folder
  should be, a folder that cannot be created or written (probed with a temporary file, which is
  what counts, whoever runs the command) are exit 2 naming the path.
- A command's files are staged in a hidden folder inside the destination and moved into place
  together at the end (Ctrl-C held off while they move). Bad input, an error or an interrupt
  before that leaves nothing behind: no file, no half-written file, no folder created for them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import typer

from optimizer.errors import InputError

STAGE_PREFIX = ".procure-"


def path_option(text: str, option: str, what: str = "folder") -> Path:
    """A path option as typed: refused when empty or holding a NUL byte (a Path would read '' as '.')."""
    if not text.strip():
        raise InputError(option, repr(text), "is empty", f"give a {what}, e.g. {option} reports" if what == "folder" else f"give a {what}")
    if "\0" in text:
        raise InputError(option, repr(text), "holds a NUL byte", f"give a {what} path without it")
    return Path(text)


def out_folder(text: str, option: str = "--out") -> Path:
    """The --out folder, checked before any work (see check_folder)."""
    out = path_option(text, option)
    check_folder(out, option)
    return out


def check_folder(out: Path, option: str = "--out") -> None:
    """Refuse a destination folder that cannot be made or written, before any work; nothing is
    created (the nearest existing folder is probed with a temporary file that is removed)."""
    for p in (out, *out.parents):
        if not p.exists():
            continue
        if not p.is_dir():
            what = "is a file" if p == out else f"is under {p}, which is a file"
            raise InputError(option, str(out), f"{what}, not a folder", "give a folder path (it is created if missing)")
        try:
            if p == out:
                fd, name = tempfile.mkstemp(prefix=STAGE_PREFIX, dir=p)
                os.close(fd)
                os.unlink(name)
            else:
                os.rmdir(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=p))
        except OSError as exc:
            shown = str(out) if p == out else f"{out} (in {p})"
            raise InputError(option, shown, f"cannot be written ({exc.strerror or exc})", "give a folder you can write to") from None
        return


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C waits until the block is done (then interrupts as usual)."""
    hold = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    if hold:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if hold:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


class Staging:
    """A command's output files, written into a hidden folder inside `out` (created on first use)
    and moved into `out` by commit(), or removed by discard()."""

    def __init__(self, out: Path, option: str = "--out") -> None:
        self.out, self.option = out, option
        self._dir: Path | None = None
        self._created: list[Path] = []
        self._owned: list[str] = []   # glob patterns of files in `out` this output replaces as a set
        self.removed: list[Path] = []  # what commit() removed of those (stale files of an earlier run)

    @property
    def dir(self) -> Path:
        if self._dir is None:
            check_folder(self.out, self.option)
            missing = [p for p in (self.out, *self.out.parents) if not p.exists()]
            try:
                for folder in reversed(missing):
                    folder.mkdir()
                    self._created.append(folder)
                self._dir = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=self.out))
            except OSError as exc:
                self.discard()
                raise InputError(self.option, str(self.out), f"cannot be created ({exc.strerror or exc})",
                                 "give a folder you can write to") from None
        return self._dir

    def path(self, name: str) -> Path:
        """Where to write the file `name` (a plain file name, made by optimizer.report.names)."""
        if not name or name in (".", "..") or Path(name).name != name or "\0" in name:
            raise ValueError(f"not a plain file name: {name!r}")
        return self.dir / name

    def final(self, staged: Path) -> Path:
        """Where a staged file lands."""
        return self.out / staged.name

    def owns(self, pattern: str) -> None:
        """Files in `out` matching `pattern` belong to this output as a set: at commit, those it did
        not write again are removed (a second what-if run does not leave the first one's plots)."""
        self._owned.append(pattern)

    def _stale(self) -> list[Path]:
        """Files in `out` an owned pattern matches that this output does not write again."""
        staged = {p.name for p in self._dir.iterdir()} if self._dir is not None else set()
        found = {p for pattern in self._owned for p in self.out.glob(pattern) if p.is_file() and p.name not in staged}
        return sorted(found)

    def commit(self) -> list[Path]:
        """Move every staged file into `out` (replacing older files of the same name) and remove the
        stale files of owned patterns."""
        if self._dir is None:
            return []
        stale = self._stale()
        names = sorted(p.name for p in self._dir.iterdir())
        for name in names:
            target = self.out / name
            if target.is_dir() and not target.is_symlink():
                raise InputError(self.option, str(target), "is a folder where a report file goes", "move or rename that folder")
        try:
            with _interrupts_held():
                for name in names:
                    os.replace(self._dir / name, self.out / name)
                for path in stale:
                    path.unlink()
                self._dir.rmdir()
            self.removed = stale
        except OSError as exc:
            raise InputError(self.option, str(self.out), f"cannot be written ({exc.strerror or exc})", "give a folder you can write to") from None
        self._dir = None
        return [self.out / name for name in names]

    def discard(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        for folder in reversed(self._created):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty
        self._created = []


@contextlib.contextmanager
def staged(out: Path, option: str = "--out") -> Iterator[Staging]:
    """Stage a command's files and commit them when the block ends normally; on any exception
    (bad input, a bug, Ctrl-C) nothing staged reaches `out`."""
    stage = Staging(out, option)
    try:
        yield stage
        written = stage.commit()
    except BaseException:
        stage.discard()
        raise
    for path in written:  # every file a command writes is named, so nothing lands unseen (e.g. in ./reports/)
        typer.echo(f"wrote {path}", err=True)
    for path in stage.removed:
        typer.echo(f"removed {path} (from an earlier run; this report no longer shows it)", err=True)
