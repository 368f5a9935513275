"""Theme files: TOML in `themes/` (shipped) and in the config directory's `themes/` (the user's).

A theme file is named for its theme (``mjtui-dark.toml`` is the theme
``mjtui-dark``) and holds the colours of a Textual theme::

    dark = true
    primary = "#5fa8d3"
    background = "#14171c"
    [variables]
    footer-key-foreground = "#f2b84b"

This module reads and validates them into plain data and never imports
Textual; the caller passes the colour check (Textual's own colour parser), so
what is accepted here is exactly what the dashboard can draw. A bad file is
one warning line naming the file and the key, and is skipped.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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

DEFAULT_THEME = "mjtui-dark"
THEME_SUFFIX = ".toml"
# Inside the installed package (see pyproject's force-include); a checkout keeps them at the top level.
_PACKAGED = Path(__file__).resolve().parent / "shipped_themes"
_CHECKOUT = Path(__file__).resolve().parent.parent / "themes"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
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


class ThemeError(Exception):
    """A theme file that cannot be used, told in one line naming the file and the key."""


@dataclass(frozen=True)
class ThemeSpec:
    """One valid theme file: its name, where it came from, and the keyword arguments of a Textual `Theme`."""

    name: str
    path: Path
    fields: dict[str, Any]


def shipped_themes_dir() -> Path:
    """The themes that come with mjtui: in the installed package, else the checkout's `themes/`."""
    return _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT


def user_themes_dir(config_path: Path) -> Path:
    """The user's themes: a `themes/` folder next to the config file in use."""
    return config_path.parent / "themes"


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
        for path in sorted(directory.glob(f"*{THEME_SUFFIX}")) if directory.is_dir() else []:
            try:
                spec = load_theme(path, context)
            except ThemeError as exc:
                warnings.append(str(exc))
                continue
            found[spec.name] = spec
    return list(found.values()), warnings


def load_theme(path: Path, context: dict[str, ValueCheck | None] | None = None) -> ThemeSpec:
    """Read and validate one theme file; raises ThemeError."""
    name = path.name.removesuffix(THEME_SUFFIX)
    if not _NAME.fullmatch(name):
        raise ThemeError(f"theme file {path}: the file name must be the theme's name: lower-case letters, digits, - and _")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThemeError(f"theme file {path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ThemeError(f"theme file {path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"theme file {path}: invalid TOML ({exc})") from None
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
