"""Terminal output (cli/terminal.py): Markdown tables read back into cells; piped output unchanged; on
a terminal a table that fits is drawn as a table, one that does not as one record per row."""

from __future__ import annotations

import os
import re
import sys

import pytest

from optimizer.cli import terminal

TEXT = "title\n| bid | cost |\n|---|---:|\n| a\\|b | RMB 1,000 |\n| c | RMB 20 |\ndone"


def test_cells_and_blocks():
    assert terminal.cells("| a\\|b | RMB 1,000 |") == ["a|b", "RMB 1,000"]
    kinds = [(k, len(lines)) for k, lines in terminal.blocks(TEXT)]
    assert kinds == [("text", 1), ("table", 4), ("text", 1)]


def test_piped_output_is_the_text_itself(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    terminal.echo(TEXT)
    assert capsys.readouterr().out == TEXT + "\n"


@pytest.mark.parametrize(("columns", "as_table"), [(100, True), (60, False)])
def test_a_terminal_gets_a_table_or_records(capsys, monkeypatch, columns, as_table):
    wide = "| " + " | ".join(f"column {i}" for i in range(8)) + " |\n|" + "---|" * 8 + "\n| " + " | ".join(["x" * 9] * 8) + " |"
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(terminal.shutil, "get_terminal_size", lambda fallback=None: os.terminal_size((columns, 24)))
    terminal.echo(wide)
    out = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)   # the colours a terminal gets
    assert max(len(line) for line in out.splitlines()) <= columns
    header_line = next(line for line in out.splitlines() if "column 0" in line)
    assert ("column 7" in header_line) is as_table   # a table lists the columns side by side; a record one per line


def test_help_shows_no_bool_placeholder_for_flags(procure):
    """An on/off flag takes no value: help lists --help, --debug, --json, --compare without '<bool>'."""
    for args in (("--help",), ("solve", "--help"), ("validate", "--help")):
        out = procure(*args, expect=0).stdout
        assert "--json" in out or "--debug" in out
        assert "<bool>" not in out
