"""Several services on one purchase: a scenario file with `services:`.

Each item of `services:` has a `name` and the single-service keys (SERVICE_KEYS: model, precisions,
kv_precision, workload, sla, engine, speculative, disaggregation); everything else in the file
(offers, constraints, objective, search, analysis, sources) is shared. A file without `services:`
is one service, as before. Each service becomes an ordinary `Scenario` (the shared keys plus its
own, named after it), checked by the same rules, its problems named `services.<i>.<field>` with
their lines; the fleet adds its own rules (unique names, no single-service key at the top).

Phases (`phases:`) are shared: one purchase schedule for every service. Loads grow per service by
the shared `phases.growth_pct` from each service's own workload.load, unless the service gives its
own `phases_load:` (its load in each period, in its own unit), which becomes that service's
phases.load. A shared `phases.load` is refused: one list cannot be every service's load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from optimizer.catalog.bundle import Catalog
from optimizer.catalog.records import Max1e9
from optimizer.catalog.yaml_io import Lines
from optimizer.errors import InputError, Problem
from optimizer.scenario import Scenario, read_scenario_file, validated
from optimizer.scenario_phases import MAX_PERIODS

SERVICE_KEYS = ("model", "precisions", "kv_precision", "workload", "sla", "engine", "speculative", "disaggregation")
MAX_SERVICES = 16  # each service adds its designs and replica variables to one plan model
PHASES_LOAD = "phases_load"   # a service's own load per period (phases:), instead of the shared growth_pct
_LOADS = TypeAdapter(list[Max1e9])
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # a service name becomes a table cell and a JSON key


@dataclass(frozen=True)
class Fleet:
    """A scenario of several services sharing one purchase."""

    name: str
    description: str
    services: tuple[Scenario, ...]   # each the shared keys plus the service's own, named after the service

    @property
    def shared(self) -> Scenario:
        """The keys every service shares (offers, constraints, objective, ...): read from the first."""
        return self.services[0]


def is_fleet(raw: dict[str, Any]) -> bool:
    return "services" in raw


def is_fleet_file(path: Path) -> bool:
    """Whether a scenario file lists services: (an unreadable or malformed file is an InputError here)."""
    return is_fleet(read_scenario_file(path)[0])


def load_fleet(path: Path, catalog: Catalog) -> Fleet:
    """Read and check a scenario file with `services:`; every problem found is reported at once."""
    raw, lines = read_scenario_file(path)
    problems: list[Problem] = []
    services = raw.get("services")
    top = [k for k in SERVICE_KEYS if k in raw]
    for key in top:
        problems.append(Problem(key, "is a service's key, but the file lists services:",
                                f"move {key} into each item of services:, or drop services: for a single service", lines.get((key,))))
    if not isinstance(services, list) or not services:
        problems.append(Problem("services", "is not a list of services", "give a list, each with a name and the keys "
                                f"{', '.join(SERVICE_KEYS[:5])}, ...", lines.get(("services",))))
        raise InputError.of(str(path), problems)
    if len(services) > MAX_SERVICES:
        raise InputError(str(path), "services", f"lists {len(services)} services; procure plans at most {MAX_SERVICES} on one purchase",
                         "split the fleet into several scenarios")
    shared = {k: v for k, v in raw.items() if k != "services"}
    raw_phases = raw.get("phases")
    if isinstance(raw_phases, dict) and "load" in raw_phases:
        problems.append(Problem("phases.load", "is one list of loads for every service, whose loads differ",
                                f"give phases.growth_pct (each service's load grows from its workload.load), and a service "
                                f"its own {PHASES_LOAD}: [...] where it grows otherwise", lines.get(("phases", "load"))))
    out: list[Scenario] = []
    names: dict[str, int] = {}
    for i, item in enumerate(services):
        if not isinstance(item, dict):
            problems.append(Problem(f"services.{i}", "is not a mapping", "give name:, model:, workload:, sla: ...",
                                    lines.get(("services", i))))
            continue
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(Problem(f"services.{i}.name", f"{name!r} is not a service name",
                                    "give a short name of letters, digits, '.', '_' or '-' (e.g. r1-chat)",
                                    lines.get(("services", i, "name")) or lines.get(("services", i))))
            continue
        if name in names:
            problems.append(Problem(f"services.{i}.name", f"{name!r} is also the name of service {names[name]}",
                                    "give each service its own name", lines.get(("services", i, "name"))))
            continue
        names[name] = i
        own = {k: v for k, v in item.items() if k not in ("name", PHASES_LOAD)}
        doc = {**shared, **own, "name": name}
        scenario, found = validated(doc, _service_lines(lines, i), catalog, path, fleet=True)
        problems += [_in_service(p, i, set(own)) for p in found]
        if PHASES_LOAD in item:
            loads, bad = _phases_load(item[PHASES_LOAD], raw_phases, i, lines)
            problems += bad
            if scenario is not None and scenario.phases is not None and loads is not None:
                scenario = scenario.model_copy(update={"phases": scenario.phases.model_copy(update={"load": loads, "growth_pct": None})})
        if scenario is not None:
            out.append(scenario)
    if problems:  # a shared key's problem is found once per service: said once
        unique = list({(p.field, p.problem, p.line): p for p in problems}.values())
        raise InputError.of(str(path), sorted(unique, key=lambda p: p.line or 0))
    return Fleet(str(raw.get("name", path.stem)), str(raw.get("description", "")), tuple(out))


def _service_lines(lines: Lines, i: int) -> Lines:
    """The file's lines as service i's scenario sees them: its own keys at the top, the shared ones as they are."""
    own = {loc[2:]: n for loc, n in lines.items() if loc[:2] == ("services", i) and len(loc) > 2}
    return {**{loc: n for loc, n in lines.items() if loc[:1] != ("services",)}, **own}


def _in_service(p: Problem, i: int, own: set[str]) -> Problem:
    """A problem of service i's scenario, named where it is in the file (services.<i>.<field> for its own keys)."""
    head = p.field.split(".", 1)[0]
    if head in own or head in SERVICE_KEYS:
        return Problem(f"services.{i}.{p.field}", p.problem, p.fix, p.line)
    return p


def _phases_load(value: Any, phases: Any, i: int, lines: Lines) -> tuple[list[float] | None, list[Problem]]:
    """Service i's own phases_load: one positive load per period of the shared phases."""
    field, line = f"services.{i}.{PHASES_LOAD}", lines.get(("services", i, PHASES_LOAD))
    periods = phases.get("periods") if isinstance(phases, dict) else None
    if not isinstance(phases, dict):
        return None, [Problem(field, "gives loads per period, but the file has no phases:",
                              f"add phases: with periods: [...] and growth_pct:, or drop {PHASES_LOAD}", line)]
    n = len(periods) if isinstance(periods, list) else None
    numbers = isinstance(value, list) and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
    try:
        loads = _LOADS.validate_python(value, strict=True) if numbers and value and len(value) <= MAX_PERIODS else None
    except ValidationError:
        loads = None
    if loads is None:
        return None, [Problem(field, f"{value!r} is not a list of loads", "give one load per period, each above 0 (at most a "
                              "billion), in the service's load unit (e.g. [300, 420, 588, 823])", line)]
    if n is not None and len(value) != n:
        return None, [Problem(field, f"gives {len(value)} value(s) for {n} periods", "give one load per period", line)]
    return [float(x) for x in loads], []
