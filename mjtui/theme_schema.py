"""What a theme file may say, checked with pydantic: the user's theme files, once the first frame is painted.

The dashboard's first frame draws a shipped theme, read unchecked by `mjtui.themes` (a test checks every shipped
file here); this module is imported when a user's theme file is read. It never imports Textual: the caller passes
the colour check (Textual's own colour parser), so what is accepted here is exactly what the dashboard can draw.
A bad file is one warning line naming the file and the key, and is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
)

from mjtui.problems import problem
from mjtui.themes import ThemeError, ThemeSpec, read_theme_file, theme_files

_VARIABLE = re.compile(r"[a-z][a-z0-9-]*")

_RANGE_PROBLEMS = {  # the one bounded value in a theme file is a 0..1 fraction
    "less_than_equal": "must be between 0 and 1",
    "greater_than_equal": "must be between 0 and 1",
}

ValueCheck = Callable[[str], None]
"""Raises ValueError, with a short reason, for a value the dashboard cannot draw."""


def _checked(kind: str) -> Callable[[str, ValidationInfo], str]:
    def check(value: str, info: ValidationInfo) -> str:
        checker = (info.context or {}).get(kind)
        if checker is not None:
            checker(value)
        return value

    return check


Colour = Annotated[str, AfterValidator(_checked("colour"))]
VariableValue = Annotated[str, AfterValidator(_checked("variable"))]


class ThemeFile(BaseModel):
    """What a theme file may say: the fields of Textual's `Theme`, less the name (the file's)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    dark: bool = True
    ansi: bool = False
    primary: Colour
    secondary: Colour | None = None
    accent: Colour | None = None
    warning: Colour | None = None
    error: Colour | None = None
    success: Colour | None = None
    foreground: Colour | None = None
    background: Colour | None = None
    surface: Colour | None = None
    panel: Colour | None = None
    boost: Colour | None = None
    luminosity_spread: float = Field(default=0.15, ge=0, le=1, allow_inf_nan=False)
    text_alpha: float = Field(default=0.95, ge=0, le=1, allow_inf_nan=False)
    variables: dict[str, VariableValue] = Field(default_factory=dict)


def load_themes(directories: Iterable[Path], *, check_colour: ValueCheck | None = None,
                check_variable: ValueCheck | None = None) -> tuple[list[ThemeSpec], list[str]]:
    """Every ``*.toml`` theme in `directories`, in order (a later one replaces an earlier of the same name).

    Returns the valid themes and one warning line per bad file. A directory
    that does not exist holds no themes and is no problem.
    """
    found: dict[str, ThemeSpec] = {}
    warnings: list[str] = []
    context = {"colour": check_colour, "variable": check_variable}
    for directory in directories:
        for path in theme_files(directory):
            try:
                spec = load_theme(path, context)
            except ThemeError as exc:
                warnings.append(str(exc))
                continue
            found[spec.name] = spec
    return list(found.values()), warnings


def load_theme(path: Path, context: dict[str, ValueCheck | None] | None = None) -> ThemeSpec:
    """Read and validate one theme file; raises ThemeError."""
    name, data = read_theme_file(path)
    try:
        theme = ThemeFile.model_validate(data, context=context or {})
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors(include_url=False))
        raise ThemeError(f"theme file {path}: {problems}") from None
    for variable in theme.variables:
        if not _VARIABLE.fullmatch(variable):
            raise ThemeError(f"theme file {path}: variables.{variable}: not a variable name (e.g. footer-key-foreground)")
    return ThemeSpec(name, path, {"name": name, **theme.model_dump()})


def _describe(error: Any) -> str:
    loc = ".".join(str(part) for part in error["loc"])
    said = problem(error, lambda _loc: ThemeFile.model_fields, _RANGE_PROBLEMS)
    return f"{loc}: {said}" if loc else said
