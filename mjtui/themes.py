"""Theme files: TOML in `themes/` (shipped) and in the config directory's `themes/` (the user's).

A theme file is named for its theme (``mjtui-dark.toml`` is the theme
``mjtui-dark``) and holds the colours of a Textual theme::

    dark = true
    primary = "#5fa8d3"
    background = "#14171c"
    [variables]
    footer-key-foreground = "#f2b84b"

This module finds and reads them and never imports Textual nor pydantic: the shipped themes are read as they are
(the dashboard's first frame draws one), the user's are checked by `mjtui.theme_schema`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_THEME = "mjtui-dark"
THEME_SUFFIX = ".toml"
# Inside the installed package (see pyproject's force-include); a checkout keeps them at the top level.
_PACKAGED = Path(__file__).resolve().parent / "shipped_themes"
_CHECKOUT = Path(__file__).resolve().parent.parent / "themes"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


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


def theme_files(directory: Path) -> list[Path]:
    """The theme files in `directory`, by name; none when it does not exist."""
    return sorted(directory.glob(f"*{THEME_SUFFIX}")) if directory.is_dir() else []


def shipped_specs() -> list[ThemeSpec]:
    """mjtui's own themes, read without checking them (tests/test_themes.py checks each as a user's file is)."""
    specs = []
    for path in theme_files(shipped_themes_dir()):
        name, data = read_theme_file(path)
        specs.append(ThemeSpec(name, path, {"name": name, **data}))
    return specs


def read_theme_file(path: Path) -> tuple[str, dict[str, Any]]:
    """A theme file's name and its TOML, not yet checked; raises ThemeError."""
    name = path.name.removesuffix(THEME_SUFFIX)
    if not _NAME.fullmatch(name):
        raise ThemeError(f"theme file {path}: the file name must be the theme's name: lower-case letters, digits, - and _")
    try:
        return name, tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThemeError(f"theme file {path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ThemeError(f"theme file {path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"theme file {path}: invalid TOML ({exc})") from None
