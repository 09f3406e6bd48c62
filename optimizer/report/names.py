"""File names made from user text (scenario file stems, offer ids): one rule for all of them.

A part of a name keeps letters and digits of any script, '.', '-' and '_'; anything else (a
slash, a space, a control character) becomes '-', and leading dots and dashes go, so a part is
never a path, a hidden file or '..'. A part that had to change, or is longer than MAX_PART_BYTES
in UTF-8, gets a short hash of the original text, so two different texts never share a name. An
ordinary id (`h200-8x`) is its own name.
"""

from __future__ import annotations

import hashlib
import re

MAX_PART_BYTES = 80  # a scenario stem and an offer id together stay far below the 255-byte limit
_UNSAFE = re.compile(r"[^\w.\-]+")  # \w: letters, digits and '_' of any script


def _head(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")[:max_bytes]
    return data.decode("utf-8", "ignore")


def safe_part(text: str) -> str:
    """`text` as one safe, portable part of a file name (see the module doc)."""
    cleaned = _UNSAFE.sub("-", text).strip(".-")
    if cleaned and cleaned == text and len(text.encode("utf-8")) <= MAX_PART_BYTES:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    head = _head(cleaned, MAX_PART_BYTES - len(digest) - 1).rstrip(".-")
    return f"{head}-{digest}" if head else digest


def unique(stem: str, used: set[str]) -> str:
    """`stem`, or `stem-2`, `stem-3`, ... when an earlier file of the same run has it (compared
    without case, for case-insensitive file systems); `used` records the choice."""
    name, n = stem, 1
    while name.casefold() in used:
        n += 1
        name = f"{stem}-{n}"
    used.add(name.casefold())
    return name
