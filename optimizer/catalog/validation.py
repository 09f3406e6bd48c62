"""A pydantic ValidationError as the project's problems: every problem of a file at once, each with
its line, field, what is wrong and the fix (with did-you-mean for misspelt keys)."""

from __future__ import annotations

from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError

from optimizer.catalog.yaml_io import Lines
from optimizer.errors import InputError, Problem, did_you_mean

MAX_PROBLEMS = 40  # more errors than this in one file: the file is not the kind expected

_FIXES = {
    "missing": "add it",
    "extra_forbidden": "remove it, or check its spelling and indentation",
    "finite_number": "give a finite number (not .inf or .nan)",
    "greater_than": "give a positive value",
    "greater_than_equal": "give a value in the allowed range",
    "less_than": "give a value in the physical range (units are in the key name)",
    "less_than_equal": "give a value in the physical range (units are in the key name)",
    "int_from_float": "give a whole number",
    "int_parsing": "give a whole number",
    "int_parsing_size": "give a value in the physical range (units are in the key name)",
    "bool_type": "give true or false",
    "bool_parsing": "give true or false",
    "string_type": "give a text value (quote it)",
    "float_parsing": "give a number",
    "literal_error": "use one of the allowed values",
    "too_short": "give at least one entry",
    "too_long": "give fewer entries",
    "model_type": "give a mapping of keys to values (key: value)",
    "dict_type": "give a mapping of keys to values (key: value)",
    "list_type": "give a list ([a, b] or one '- item' per line)",
}


def _unwrap(annotation: Any) -> list[Any]:
    """The pydantic model classes inside an annotation (through Optional, list, dict, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[Any] = []
    for arg in get_args(annotation):
        out.extend(_unwrap(arg))
    return out


def _model_at(model_cls: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that holds the value at `loc` (list indices and dict keys skipped)."""
    current: type[BaseModel] | None = model_cls
    for part in loc:
        if current is None:
            return None
        if not isinstance(part, str) or part not in current.model_fields:
            continue  # a list index, a dict key or a union tag
        inner = _unwrap(current.model_fields[part].annotation)
        current = inner[0] if inner else None
    return current


def _all_fields(model_cls: type[BaseModel], prefix: tuple[str, ...] = (), depth: int = 0) -> dict[str, str]:
    """Every field name of the model and its nested models -> its dotted path (first found)."""
    out: dict[str, str] = {}
    for name, info in model_cls.model_fields.items():
        out.setdefault(name, ".".join((*prefix, name)))
        if depth < 3:
            for inner in _unwrap(info.annotation):
                for k, v in _all_fields(inner, (*prefix, name), depth + 1).items():
                    out.setdefault(k, v)
    return out


def _line_of(lines: Lines, loc: tuple[Any, ...]) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def problems_of(exc: ValidationError, model_cls: type[BaseModel], lines: Lines | None = None,
                prefix: tuple[Any, ...] = ()) -> list[Problem]:
    """Every pydantic error as a Problem: dotted field path, YAML line, message and a fix, with
    did-you-mean for unknown keys and values outside a fixed list."""
    problems: list[Problem] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        kind = err["type"]
        field = ".".join(str(p) for p in (*prefix, *loc)) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        fix = _FIXES.get(kind, "correct the value (units are in the key name)")
        if kind == "extra_forbidden" and loc:
            msg = "is not a known key"
            holder = _model_at(model_cls, loc[:-1])
            known = list(holder.model_fields) if holder is not None else []
            hint = did_you_mean(loc[-1], known)
            if not hint and str(loc[-1]) in (everywhere := _all_fields(model_cls)):
                hint = f" (did you mean {everywhere[str(loc[-1])]!r}? it belongs under {everywhere[str(loc[-1])].rsplit('.', 1)[0]!r})"
            if hint:
                fix = f"rename it{hint}"
            elif known:
                fix = f"remove it; the keys here are: {', '.join(known)}"
        elif kind == "literal_error":
            expected = [e.strip(" '") for e in str(err.get("ctx", {}).get("expected", "")).replace(" or ", ",").split(",")]
            hint = did_you_mean(err.get("input"), [e for e in expected if e])
            fix = f"use {err.get('ctx', {}).get('expected', 'an allowed value')}{hint}"
        elif kind == "int_parsing_size":
            msg = f"is far beyond the physical range (got {_shown(err.get('input'))})"
        elif kind not in ("missing",) and not isinstance(err.get("input"), (dict, list)):
            msg = f"{msg} (got {_shown(err.get('input'))})"
        problems.append(Problem(field, msg, fix, _line_of(lines or {}, (*prefix, *loc))))
    if len(problems) > MAX_PROBLEMS:
        extra = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], Problem("...", f"and {extra} more problems", "fix the ones above first")]
    return problems


RecordT = TypeVar("RecordT", bound=BaseModel)


def parse_record(model_cls: type[RecordT], data: object, where: str, lines: Lines | None = None) -> RecordT:
    """Validate `data` as `model_cls`; every pydantic error of the record becomes one InputError
    listing them all, with the YAML line of each when `lines` is given."""
    if data is None:
        raise InputError(where, "(file)", "is empty", f"write the {model_cls.__name__} record (see the shipped examples)")
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        raise InputError.of(where, problems_of(exc, model_cls, lines)) from None
    except RecursionError:
        raise InputError(where, "(file)", "is nested too deeply", "see the shipped examples") from None
