"""The theme files as Textual `Theme` objects: the user's checked with Textual's own colour parser."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import BUILTIN_THEMES, Theme

from mjtui.themes import ThemeSpec, shipped_specs

SHIPPED_THEMES = ("mjtui-dark", "mjtui-light", "mjtui-high-contrast", "mjtui-ansi")
_TEXT_STYLES = {"none", "bold", "dim", "italic", "underline", "reverse", "strike", "blink", "not"}
_PERCENT = re.compile(r"\d{1,3}(?:\.\d+)?%")


def check_colour(value: str) -> None:
    """ValueError unless Textual can draw `value` as a colour ("#4f9fd6", "ansi_red", "rgb(1,2,3)", "teal")."""
    try:
        Color.parse(value)
    except ColorParseError as exc:
        raise ValueError(f"not a colour: {exc}") from None


def check_variable(value: str) -> None:
    """ValueError unless `value` fits a theme variable: a colour, "COLOUR 50%", "auto 60%" or a text style."""
    words = value.split()
    if words and all(word in _TEXT_STYLES for word in words):
        return
    if len(words) == 2 and _PERCENT.fullmatch(words[1]):
        words = words[:1]
    if len(words) == 1 and words[0] == "auto":
        return
    if len(words) != 1:
        raise ValueError(f"not a colour, 'COLOUR N%' or text style: {value!r}")
    check_colour(words[0])


def to_theme(spec: ThemeSpec) -> Theme:
    """A validated theme file as the `Theme` an app registers."""
    return Theme(**spec.fields)


def load(directories: Iterable[Path]) -> tuple[list[Theme], list[str]]:
    """The valid themes in `directories` (later ones win a name), and a warning line per bad file."""
    from mjtui.theme_schema import load_themes  # pydantic: after the first frame, unless a user's theme is in it

    specs, warnings = load_themes(directories, check_colour=check_colour, check_variable=check_variable)
    return [to_theme(spec) for spec in specs], warnings


@cache
def shipped() -> tuple[Theme, ...]:
    """The themes in mjtui's own `themes/` folder."""
    return tuple(to_theme(spec) for spec in shipped_specs())


def available(themes: Iterable[Theme]) -> list[str]:
    """Every theme name the dashboard accepts with these themes registered: Textual's and these."""
    return sorted({*BUILTIN_THEMES, *(theme.name for theme in themes)})
