"""Strict reading of the YAML (and JSON) files people edit by hand.

- The bytes must be UTF-8 text: UTF-16/32 (a byte-order mark or NUL bytes), Latin-1/GBK and binary
  files are refused with the line of the first bad byte and how to convert the file.
- A key given twice in one mapping is an error naming both lines (YAML would keep the last).
- Syntax errors name the file and line (PyYAML says `<unicode string>`).
- Every value's line is kept, by its path (`("offers", 0, "card")`), so schema errors can point at it.

Parsing uses libyaml (PyYAML's C loader, several times faster on a large bid table) when PyYAML has
it. A file libyaml refuses is parsed again by the pure-Python loader, whose messages the errors
quote, so a bad file reads the same with or without libyaml. The two differ on a few inputs beyond
those routed to the pure loader: libyaml also reads `?` inside a plain scalar of a flow list
(`[fp?8]`) and a comment glued to a block-scalar header (`>#`), which the schema checks then meet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from optimizer.errors import InputError

Lines = dict[tuple[Any, ...], int]
MAX_BYTES = 20_000_000  # a scenario or catalog record is a few kB; a bigger file is a mistake


def read_text(path: Path, what: str = "file") -> str:
    """The file's text, or an InputError saying why it is not readable UTF-8 text."""
    try:
        if path.is_dir():
            raise InputError(str(path), "(file)", "is a directory, not a file", f"pass the path of a {what}")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(str(path), "(file)", f"is {size:,} bytes, too large for a {what}", "pass the right file")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), "(file)", f"cannot be read ({exc.strerror or exc})", "check the path") from exc
    return decode(data, str(path), what)


def _looks_utf16(data: bytes) -> bool:
    """Text in UTF-16 without a byte-order mark: every other byte NUL, the others not."""
    head = data[:200]
    if len(head) < 4:
        return False
    for start in (0, 1):
        zeros, others = head[1 - start::2], head[start::2]
        if zeros.count(0) == len(zeros) and others.count(0) == 0:
            return True
    return False


def decode(data: bytes, where: str, what: str = "file") -> str:
    convert = "save it as UTF-8 (e.g. `iconv -f GBK -t UTF-8` or your editor's 'Save with encoding: UTF-8')"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
        raise InputError(where, "(file)", "is UTF-16 or UTF-32 text, not UTF-8", convert)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputError(where, "(file)", f"contains NUL bytes: a binary file, not a {what}", f"pass the {what} itself", line=line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            where, "(file)", f"byte 0x{data[exc.start]:02x} is not UTF-8 text (Latin-1, GBK or a binary file?)", convert,
            line=line,
        ) from None


# libyaml's parser under SafeLoader's resolver and constructor; absent when PyYAML was built without it.
_FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)
# libyaml reads YAML 1.2's tab separators, a byte-order mark inside the file and a bare "!" tag
# where the pure loader refuses them or reads another value: such files keep the pure loader.
_PURE_ONLY = ("\t", "\ufeff", "!")


def _walk(node: yaml.Node, path: tuple[Any, ...], lines: Lines, where: str, seen: set[int]) -> None:
    if id(node) in seen:  # an alias: already walked
        return
    seen.add(id(node))
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        first: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError(where, ".".join(map(str, path)) or "(top level)", "has a key that is not a plain name",
                                 "write keys as plain words", line=key_node.start_mark.line + 1)
            key = key_node.value
            if key == "<<":
                continue
            line = key_node.start_mark.line + 1
            if key in first:
                raise InputError(
                    where, ".".join(map(str, (*path, key))),
                    f"is given twice (first at line {first[key]}); YAML would silently keep the last",
                    "keep one of the two", line=line,
                )
            first[key] = line
            _walk(value_node, (*path, key), lines, where, seen)
            lines[(*path, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, where, seen)


def _syntax_error(exc: yaml.YAMLError, where: str) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = " ".join(str(p) for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p)
    column = f" (column {mark.column + 1})" if mark is not None else ""
    return InputError(where, "(file)", f"is not valid YAML{column}: {problem or exc}",
                      "fix the syntax (indentation, ':' after keys, quotes)", line=mark.line + 1 if mark is not None else None)


def _reader_error(exc: yaml.reader.ReaderError, text: str, where: str) -> InputError:
    line = text[: exc.position].count("\n") + 1
    return InputError(where, "(file)", f"contains a control character (#x{exc.character:04x}) that YAML does not allow",
                      "delete it (in a double-quoted string it can be written as an escape)", line=line)


def loads(text: str, where: str) -> tuple[Any, Lines]:
    """Parse YAML text: (data, line of each path)."""
    if _FAST_LOADER is not None and not any(c in text for c in _PURE_ONLY):
        try:
            return _parse(text, where, _FAST_LOADER)
        except InputError:
            pass  # the pure-Python loader below says what is wrong, in the words the reports quote
    return _parse(text, where, yaml.SafeLoader)


def _parse(text: str, where: str, loader_class: type[yaml.SafeLoader]) -> tuple[Any, Lines]:
    try:
        loader = loader_class(text)  # the pure-Python reader refuses control characters here
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, where) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: Lines = {}
        _walk(node, (), lines, where, set())
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, where) from None
    except RecursionError:
        raise InputError(where, "(file)", "is nested too deeply", "flatten the file") from None
    except (ValueError, OverflowError) as exc:  # e.g. a timestamp like 2026-13-45
        raise InputError(where, "(file)", f"has a value YAML cannot read ({exc})", "quote the value") from None
    finally:
        loader.dispose()
    return data, lines


def load(path: Path, what: str = "YAML file") -> tuple[Any, Lines]:
    return loads(read_text(path, what), str(path))
