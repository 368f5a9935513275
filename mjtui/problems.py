"""One line, in a TOML file's words, for what pydantic found wrong in it (config files and theme files)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

TYPE_PROBLEMS = {
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "string_type": "expected a string",
    "dict_type": "expected a table",
    "bool_type": "expected true or false",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
    "missing": "required",
}


def unknown_key(key: str, known: Iterable[str]) -> str:
    keys = list(known)
    close = difflib.get_close_matches(key, keys, n=1)
    return f"unknown key (did you mean {close[0]}?)" if close else f"unknown key (known keys: {', '.join(keys)})"


def problem(error: Mapping[str, Any], known_keys: Callable[[tuple[str, ...]], Iterable[str]],
            more: Mapping[str, str] | None = None) -> str:
    """What is wrong with one value: `known_keys(loc)` lists the keys allowed where an unknown one was
    found; `more` adds texts for error types of one file's own (a table's range, say)."""
    kind = error["type"]
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "extra_forbidden":
        loc = tuple(str(part) for part in error["loc"])
        return unknown_key(loc[-1], known_keys(loc))
    if kind == "literal_error":
        return f"expected {error['ctx']['expected']}"
    if kind == "greater_than":
        return f"must be greater than {_number(error['ctx']['gt'])}"
    if kind == "less_than_equal" and kind not in (more or {}):
        return f"must be at most {_number(error['ctx']['le'])}"
    return (more or {}).get(kind) or TYPE_PROBLEMS.get(kind, error["msg"])


def _number(value: float) -> str:
    """1048576, not 1.04858e+06; 0.5 as 0.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
