"""Expected errors: bad input the user can fix. The CLI prints them in one paragraph, exit 2."""

from __future__ import annotations


class InputError(Exception):
    """`where: field: problem — fix`. `where` is a file path or a command-line option."""

    def __init__(self, where: str, field: str, problem: str, fix: str) -> None:
        self.where = where
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{where}: {field}: {problem} — {fix}")


class UnsupportedPrecision(InputError):
    """The card has no compute units for this precision (e.g. FP8 on A100 or Ascend 910B)."""


class InvalidParallelism(InputError):
    """A TP/PP/EP combination the model or server cannot run (e.g. TP not dividing the heads)."""
