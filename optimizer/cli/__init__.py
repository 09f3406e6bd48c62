"""`procure` command line: a thin layer over the engine's plain Python functions. Each command
checks and parses its options, calls one engine function and prints (or writes) what it returns.

Exit codes: 0 a result (a checked plan, a prediction of a replica that fits); 3 a diagnosis (no plan
meets the scenario, the replica does not fit in memory); 2 bad input, printed as one paragraph
`file:line: field: problem — fix` listing every problem of the file, nothing written; 1 an internal
error (a bug), with the traceback under `procure --debug ...`.

Modules: app (the typer app, the error/exit-code runner, shared options and checks), requests
(options turned into typed requests), replica_commands (predict, validate), plan_commands (solve,
compare, whatif), fleet_commands (solve and whatif on a scenario with services:, which plan_commands
hands over), report_files (the file stem, html page and csv / xlsx tables both write),
export_commands (export: launch files of a solved plan), catalog_commands (cards, models, engines,
schema, init, model import).
"""

from __future__ import annotations

from optimizer.cli import catalog_commands, export_commands, plan_commands, replica_commands
from optimizer.cli.app import app

# Registered here, not by decorators at import time, so the order of `procure --help` does not
# depend on the order imports happen to be sorted in.
for _commands in (replica_commands, plan_commands, export_commands, catalog_commands):
    _commands.register(app)

__all__ = ["app", "main"]


def main() -> None:
    app(prog_name="procure")
