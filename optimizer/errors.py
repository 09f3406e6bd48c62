"""Expected errors: bad input the user can fix. The CLI prints them in one paragraph, exit 2.

An InputError names where (a file, `file:line`, or a command-line option), the field (a dotted path
such as `offers.1.card`), what is wrong and the fix. One error can carry several problems of the
same file (`InputError.of(where, problems)`): all of them are shown at once, one per line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    field: str
    problem: str
    fix: str
    line: int | None = None

    def render(self, where: str) -> str:
        place = f"{where}:{self.line}" if self.line else where
        return f"{place}: {self.field}: {self.problem} — {self.fix}"


class InputError(Exception):
    """`where: field: problem — fix`. `where` is a file path or a command-line option."""

    def __init__(self, where: str, field: str, problem: str, fix: str, *, line: int | None = None,
                 more: Sequence[Problem] = ()) -> None:
        self.where = where
        self.field = field
        self.problem = problem
        self.fix = fix
        self.line = line
        self.problems: tuple[Problem, ...] = (Problem(field, problem, fix, line), *more)
        super().__init__(self._render())

    @classmethod
    def of(cls, where: str, problems: Sequence[Problem]) -> InputError:
        """One error listing every problem found in `where` (at least one)."""
        first, *rest = problems
        return cls(where, first.field, first.problem, first.fix, line=first.line, more=rest)

    def _render(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0].render(self.where)
        body = "\n".join(f"  {i}. {p.render(self.where)}" for i, p in enumerate(self.problems, 1))
        return f"{self.where}: {len(self.problems)} problems\n{body}"


class UnsupportedPrecision(InputError):
    """The card has no compute units for this precision (e.g. FP8 on A100 or Ascend 910B)."""


class InvalidParallelism(InputError):
    """A TP/PP/EP combination the model or server cannot run (e.g. TP not dividing the heads)."""


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest choice, compared case-insensitively; '' when none is close."""
    options = [str(c) for c in choices]
    for norm in (str.lower, _plain):
        keyed = {norm(c): c for c in options}
        close = difflib.get_close_matches(norm(str(word)), list(keyed), n=1, cutoff=0.6)
        if close:
            return f" (did you mean {keyed[close[0]]!r}?)"
    return ""


_LOOK_ALIKES: dict[str, str | int | None] = {"o": "0", "l": "1", "i": "1", "_": "-", " ": "-"}


def _plain(text: str) -> str:
    """Lower case with look-alikes folded: O/0, l/I/1, '_'/' '/'-' (h2OO -> h200, deepseek_r1 -> deepseek-r1)."""
    return text.lower().translate(str.maketrans(_LOOK_ALIKES))


def one_of(word: object, choices: Iterable[str], limit: int = 30) -> str:
    """'did you mean X? use one of: a, b, c' as the fix for an unknown id."""
    options = sorted(str(c) for c in choices)
    hint = did_you_mean(word, options).strip(" ()")
    listed = ", ".join(options[:limit]) + (", ..." if len(options) > limit else "")
    return f"{hint + ' ' if hint else ''}use one of: {listed}"
