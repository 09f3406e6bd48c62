"""Output for a person at a terminal: the Markdown tables a command prints become rich tables that
fit the terminal's width, and prose is wrapped; piped output (scripts, tests, files) stays the plain
Markdown text, byte for byte."""

from __future__ import annotations

import re
import shutil
import sys

import typer

_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_ALIGN_ROW = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def is_table_line(line: str) -> bool:
    return line.startswith("|") and line.rstrip().endswith("|")


def cells(line: str) -> list[str]:
    """The cells of a Markdown table row ('\\|' inside a cell is a literal bar)."""
    return [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(line.strip())[1:-1]]


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """The text as ("table", rows) and ("text", lines) blocks, in order."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        kind = "table" if is_table_line(line) else "text"
        if out and out[-1][0] == kind:
            out[-1][1].append(line)
        else:
            out.append((kind, [line]))
    return out


def echo(text: str) -> None:
    """Print `text`: as it is when stdout is not a terminal; else its Markdown tables as rich tables
    and its other lines wrapped to the terminal's width."""
    if not sys.stdout.isatty():
        typer.echo(text)
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    width = min(max(shutil.get_terminal_size((100, 24)).columns, 60), 200)
    console = Console(width=width)
    for kind, lines in blocks(text):
        if kind == "text":
            for line in lines:
                console.print(line, markup=False, highlight=False, soft_wrap=False)
            continue
        header, *rest = lines
        align = next((r for r in rest if _ALIGN_ROW.match(r)), None)
        justify = ["right" if c.endswith(":") and not c.startswith(":") else "left" for c in cells(align)] if align else []
        body = [cells(r) for r in rest if r is not align]
        names = cells(header)
        # a header may wrap at its spaces; a cell may not
        natural = sum(max([max(map(len, n.split()), default=0), *(len(r[i]) for r in body if i < len(r))]) + 2
                      for i, n in enumerate(names))
        if natural <= width:
            table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
            for i, name in enumerate(names):
                right = i < len(justify) and justify[i] == "right"
                widest = max((len(r[i]) for r in body if i < len(r)), default=0)
                table.add_column(name, justify="right" if right else "left", min_width=widest, overflow="fold")
            for row in body:
                table.add_row(*row)
            console.print(table)
            continue
        # too wide for the terminal: one record per row, each column on its own line
        for row in body:
            record = Table(box=box.SIMPLE, show_header=False, pad_edge=False, expand=False)
            record.add_column(style="bold", no_wrap=True)
            record.add_column(overflow="fold")
            for name, value in zip(names, row):
                record.add_row(name, value)
            console.print(record)
