"""The config file before it is checked: where it is, its TOML, how a setting is saved in place, and the outline
the dashboard's first frame draws.

Imports no pydantic: the dashboard paints its first frame from `read_outline` (the accounts and their providers,
the theme, the keys) and `mjtui.config` checks the whole file once that frame is on the terminal. Every problem
found here is one `ConfigError` line naming the file, and never the token.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from mjtui.kinds import PROVIDER_KINDS, USEAPI_ORIGIN, ProviderName
from mjtui.themes import DEFAULT_THEME
from mjtui.urls import CredentialsInUrl, checked_http_url

MIN_REFRESH_SECONDS = 2.0
DEFAULT_REFRESH_SECONDS = 10.0
DEFAULT_PROVIDER: ProviderName = "useapi"
# Ceilings: past these a value is a typo, and left unbounded it overflows far from where it was written.
MAX_REFRESH_SECONDS = 3600.0
MAX_TIMEOUT_SECONDS = 600.0
MAX_RETENTION_DAYS = 36500.0  # a hundred years
MAX_PREVIEW_CACHE_MB = 1024.0 * 1024  # a terabyte
ENV_ACCOUNT = "env"

_TOML_POSITION = re.compile(r"^(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$")


class ConfigError(Exception):
    """A configuration problem, told in one line fit to print as is."""


@dataclass(frozen=True)
class ConfigFile:
    """The config file's TOML as read, not yet checked; `data` is None when there is no file and
    ``$MJTUI_TOKEN`` makes a one-account config."""

    path: Path
    data: dict[str, Any] | None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outline:
    """What the dashboard's first frame draws of a config, read before the config is checked: a value of the
    wrong type reads as its default here, and the check after the frame reports it."""

    path: Path | None  # None: the config comes from the environment
    accounts: list[tuple[str, str]]  # (name, provider), in the file's order
    theme: str = DEFAULT_THEME
    refresh_seconds: float = DEFAULT_REFRESH_SECONDS
    keys: dict[str, str] = field(default_factory=dict)
    previews: bool = True
    warnings: list[str] = field(default_factory=list)

    def check_account(self, name: str) -> None:
        """Raise ConfigError, as `Config.account` would, unless an account is called `name`."""
        names = [account for account, _ in self.accounts]
        if name not in names:
            raise ConfigError(no_such_account(name, names))


def read_outline(cli_path: str | Path | None = None, *, environ: Mapping[str, str] = os.environ) -> Outline:
    """The outline of the config `load_config` would read; ConfigError when the file cannot be read or parsed."""
    found = read_config_file(cli_path, environ=environ)
    data = found.data
    if data is None:
        return Outline(None, [(ENV_ACCOUNT, DEFAULT_PROVIDER)])
    tables = _of_type(data, "accounts", dict, {})
    accounts = [(name, _of_type(table, "provider", str, DEFAULT_PROVIDER) if isinstance(table, dict) else DEFAULT_PROVIDER)
                for name, table in tables.items()]
    keys = _of_type(data, "keys", dict, {})
    refresh = _of_type(data, "refresh_seconds", (int, float), DEFAULT_REFRESH_SECONDS)
    return Outline(found.path, accounts, theme=_of_type(data, "theme", str, DEFAULT_THEME),
                   refresh_seconds=DEFAULT_REFRESH_SECONDS if isinstance(refresh, bool) else float(refresh),
                   keys={key: value for key, value in keys.items() if isinstance(value, str)},
                   previews=_of_type(data, "previews", bool, True), warnings=list(found.warnings))


def _of_type(table: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    value = table.get(key, default)
    return value if isinstance(value, kind) else default


def read_config_file(cli_path: str | Path | None = None, *, environ: Mapping[str, str] = os.environ) -> ConfigFile:
    """Find and parse the config file (``--config`` > ``$MJTUI_CONFIG`` > the platform default); ConfigError when it
    cannot be read or is not TOML, or when there is none and ``$MJTUI_TOKEN`` is not set."""
    path, explicit = resolve_config_path(cli_path, environ)
    try:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            raw = handle.read()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"config file not found: {path}") from None
        if not environ.get("MJTUI_TOKEN", "").strip():
            raise ConfigError(
                f"no config file at {path} and MJTUI_TOKEN is not set: run 'mjtui config init' or set MJTUI_TOKEN"
            ) from None
        return ConfigFile(path, None)
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    warnings = []
    if os.name == "posix" and mode & 0o077:
        warnings.append(f"{path} is readable by other users (mode {mode & 0o777:04o}): run chmod 600 {path}")
    return ConfigFile(path, _parse_toml(raw, path), warnings)


def _parse_toml(raw: bytes, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {_toml_problem(exc)}") from None


def resolve_config_path(cli_path: str | Path | None, environ: Mapping[str, str] = os.environ) -> tuple[Path, bool]:
    """Where the config file is: ``--config`` > ``$MJTUI_CONFIG`` > the platform default.

    The bool is True when the path was given explicitly (and so must exist).
    """
    if cli_path is not None and str(cli_path):
        return Path(cli_path).expanduser(), True
    if environ.get("MJTUI_CONFIG"):
        return Path(environ["MJTUI_CONFIG"]).expanduser(), True
    return platformdirs.user_config_path("mjtui") / "config.toml", False


def normalise_base_url(value: str, default_origin: str = USEAPI_ORIGIN,
                       suffixes: tuple[str, ...] = PROVIDER_KINDS["useapi"].path_suffixes) -> str:
    """Check a base URL is ``http(s)://host[:port][/prefix]`` (`mjtui.urls`' rules) and drop a trailing slash.

    Raises ValueError with a message that does not repeat the URL, which may
    carry credentials.
    """
    try:
        parts = checked_http_url(value)
    except CredentialsInUrl as exc:
        raise ValueError(f"{exc}: put the token in token or token_env") from None
    path = parts.path.rstrip("/")
    for suffix in suffixes:
        if path.lower().endswith(suffix):
            raise ValueError(f"give the origin only, e.g. {default_origin}, without {suffix}: mjtui adds the API path")
    return f"{parts.scheme}://{parts.netloc}{path}"


def no_such_account(name: str, accounts: list[str]) -> str:
    """The one line for an account name the config does not have."""
    known = f"accounts: {', '.join(accounts)}" if accounts else "no accounts are configured"
    return f"no account named '{name}' ({known})"


def save_theme(path: str | Path, theme: str) -> None:
    """Set ``theme = "NAME"`` in the config file at `path`, keeping the rest of the file as the user wrote it.

    Comments, order and every other setting stay; the file is re-read first, so
    edits made since it was loaded are kept. Raises ConfigError, leaving the
    file untouched, when it cannot be read, parsed or changed in place.
    """
    import tomlkit
    import tomlkit.exceptions

    target = Path(os.path.realpath(Path(path).expanduser()))
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{target}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{target}: {_toml_problem(exc)}") from None
    try:
        document = tomlkit.parse(text)
        document["theme"] = theme  # tomlkit keeps comments, order and layout; a new key goes before the first table
        changed = tomlkit.dumps(document)
        after = tomllib.loads(changed)
    except (tomlkit.exceptions.TOMLKitError, tomllib.TOMLDecodeError):
        after = None
    if after != {**before, "theme": theme}:  # a layout this edit does not understand: say so, change nothing
        raise ConfigError(f"{target}: could not change theme in place; set theme = \"{theme}\" there by hand")
    write_private(target, changed.encode("utf-8"))


def write_private(target: Path, data: bytes) -> None:
    """Write `data` to `target` atomically, mode 0600, creating the parent 0700; raises ConfigError."""
    tmp_name: str | None = None
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
        tmp_name = None
        _fsync_directory(target.parent)
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write ({exc.strerror or exc})") from None
    finally:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)


def _toml_problem(exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc)
    match = _TOML_POSITION.match(message)
    if match is None:
        return f"invalid TOML ({message})"
    return f"line {match['line']}, column {match['col']}: invalid TOML ({match['msg']})"


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on every platform.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
