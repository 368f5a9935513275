"""The TOML configuration: where it lives, what it may say, how it is saved.

The file is looked for at ``--config PATH``, then ``$MJTUI_CONFIG``, then the
platform's config directory (``~/.config/mjtui/config.toml`` on Linux). With
no file, ``$MJTUI_TOKEN`` (and ``$MJTUI_BASE_URL``) make a one-account config.
Every problem surfaces as one `ConfigError` line naming the file, the dotted
key and what is wrong, and never the token itself.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mjtui import secrets
from mjtui.kinds import PROVIDER_KINDS, USEAPI_ORIGIN, Flavor, ProviderName
from mjtui.problems import problem
from mjtui.text import mask_secret
from mjtui.themes import DEFAULT_THEME
from mjtui.urls import CredentialsInUrl, checked_http_url

MIN_REFRESH_SECONDS = 2.0
# Ceilings: past these a value is a typo, and left unbounded it overflows far from where it was written.
MAX_REFRESH_SECONDS = 3600.0
MAX_TIMEOUT_SECONDS = 600.0
MAX_RETENTION_DAYS = 36500.0  # a hundred years
MAX_PREVIEW_CACHE_MB = 1024.0 * 1024  # a terabyte
ENV_ACCOUNT = "env"

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POSITION = re.compile(r"^(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$")


class ConfigError(Exception):
    """A configuration problem, told in one line fit to print as is."""


def _check_key_list(value: str) -> str:
    if not all(part.strip() for part in value.split(",")):
        raise ValueError('expected comma-separated key names, e.g. "x,delete"')
    if not value.isprintable():
        raise ValueError('a key name has a control character; expected names like "x,delete"')
    return value


KeyList = Annotated[str, AfterValidator(_check_key_list)]


def _strict_model() -> ConfigDict:
    # strict: a TOML "12345" or true is not an integer; hide_input: tokens stay out of errors.
    return ConfigDict(extra="forbid", strict=True, hide_input_in_errors=True)


class AccountConfig(BaseModel):
    """One ``[accounts.NAME]`` table: a provider, its origin and a way to get its token."""

    model_config = _strict_model()

    provider: ProviderName = "useapi"
    base_url: str | None = None
    token: SecretStr | None = None
    token_env: str | None = None
    token_id: int | None = None
    flavor: Flavor | None = None  # midjourney-proxy: the gateway's dialect, else detected
    channels: dict[str, str] = Field(default_factory=dict)
    timeout: float = Field(default=15.0, gt=0, le=MAX_TIMEOUT_SECONDS, allow_inf_nan=False)

    _name: str | None = PrivateAttr(default=None)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        kind = PROVIDER_KINDS.get(info.data.get("provider", "useapi"), PROVIDER_KINDS["useapi"])
        return normalise_base_url(value, kind.example_origin, kind.path_suffixes)

    @field_validator("token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        if not secret.strip():
            raise ValueError("must not be empty")
        if problem := token_problem(secret):
            raise ValueError(problem)
        return value

    @field_validator("token_env")
    @classmethod
    def _check_token_env(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError("must be the name of an environment variable, e.g. USEAPI_TOKEN")
        return value

    @model_validator(mode="after")
    def _check_combination(self) -> AccountConfig:
        if self.token is not None and self.token_env is not None:
            raise ValueError("set token or token_env, not both")
        kind = PROVIDER_KINDS[self.provider]
        if kind.needs_token_id and self.token_id is None:
            raise ValueError(f"token_id is required when provider is {self.provider}")
        if kind.default_origin is None and self.base_url is None:
            raise ValueError(f"base_url is required when provider is {self.provider}: the gateway's origin, "
                             f"e.g. {kind.example_origin}")
        if self.flavor is not None and not kind.has_flavor:
            raise ValueError(f"flavor applies to provider midjourney-proxy only, not {self.provider}")
        return self

    @property
    def origin(self) -> str:
        """The URL the client talks to: `base_url`, or the provider's public API."""
        return self.base_url or PROVIDER_KINDS[self.provider].default_origin or ""

    def channel_name(self, channel_id: str) -> str:
        """The display name configured for a channel, or the channel id itself."""
        return self.channels.get(channel_id, channel_id)

    def resolve_token(self, environ: Mapping[str, str]) -> str:
        """Return the API token, from `token` or from the variable `token_env` names.

        Raises ConfigError when the variable is unset or empty, or when the
        account names no token at all.
        """
        if self.token is not None:
            secrets.remember(self.token.get_secret_value())
            return self.token.get_secret_value()
        label = f"account '{self._name}'" if self._name else "account"
        if self.token_env is None:
            env = PROVIDER_KINDS[self.provider].token_env
            table = f"[accounts.{_toml_key(self._name)}]" if self._name else "the account's table"
            raise ConfigError(
                f'{label} has no token: add token_env = "{env}" (and export {env}) or token = "..." to {table}'
            )
        value = environ.get(self.token_env, "").strip()
        if not value:
            state = "is empty" if self.token_env in environ else "is not set"
            raise ConfigError(f"{label}: environment variable {self.token_env} {state}")
        if problem := token_problem(value):
            raise ConfigError(f"{label}: the token in environment variable {self.token_env} {problem}")
        secrets.remember(value)
        return value


def token_problem(secret: str) -> str | None:
    """Why `secret` cannot be a token sent in an HTTP header, in words that do not repeat it; None when it can."""
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in secret):
        return "must not contain spaces, newlines or control characters"
    if not secret.isascii():
        return "must be ASCII: it has a character no token has (a typographic quote or dash pasted with it?)"
    return None


class NotifyConfig(BaseModel):
    """The ``[notify]`` table: how finished jobs and freed slots are announced."""

    model_config = _strict_model()

    toasts: bool = True
    completed: bool = True  # false: only failures, moderation and freed slots are announced
    bell: bool = False
    desktop: Literal["off", "osc9", "osc777"] = "off"


class Config(BaseModel):
    """The whole file. `path` and `warnings` describe the loading, not the settings:
    they are never saved and do not take part in ``==``."""

    model_config = _strict_model()

    default_account: str | None = None
    refresh_seconds: float = Field(default=10.0, le=MAX_REFRESH_SECONDS, allow_inf_nan=False)
    theme: str = DEFAULT_THEME
    journal_retention_days: float = Field(default=62.0, gt=0, le=MAX_RETENTION_DAYS, allow_inf_nan=False)
    previews: bool = True
    preview_cache_mb: float = Field(default=100.0, gt=0, le=MAX_PREVIEW_CACHE_MB, allow_inf_nan=False)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    keys: dict[str, KeyList] = Field(default_factory=dict)
    accounts: dict[str, AccountConfig] = Field(default_factory=dict)

    _path: Path | None = PrivateAttr(default=None)
    _warnings: list[str] = PrivateAttr(default_factory=list)

    @field_validator("refresh_seconds")
    @classmethod
    def _check_refresh(cls, value: float) -> float:
        if value < MIN_REFRESH_SECONDS:
            raise ValueError(f"{value:g} is too fast: the floor is {MIN_REFRESH_SECONDS:g} seconds")
        return value

    @field_validator("theme")
    @classmethod
    def _check_theme(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _check_default_account(self) -> Config:
        if self.default_account is not None and self.default_account not in self.accounts:
            raise ValueError(f"default_account: {_no_such_account(self.default_account, self.accounts)}")
        for name, account in self.accounts.items():
            account._name = name
        return self

    @property
    def path(self) -> Path | None:
        """The file this config was loaded from; None when it came from the environment."""
        return self._path

    @path.setter
    def path(self, value: Path | None) -> None:
        self._path = value

    @property
    def warnings(self) -> list[str]:
        """Problems worth telling the user that did not stop loading."""
        return self._warnings

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    def account(self, name: str | None = None) -> tuple[str, AccountConfig]:
        """Pick an account: `name` if given, else `default_account`, else the first one."""
        if name is not None:
            if name not in self.accounts:
                raise ConfigError(_no_such_account(name, self.accounts))
            return name, self.accounts[name]
        if self.default_account is not None:
            return self.default_account, self.accounts[self.default_account]
        if not self.accounts:
            where = f" in {self._path}" if self._path else ""
            raise ConfigError(f"no accounts configured{where}: add an [accounts.NAME] table or set MJTUI_TOKEN")
        first = next(iter(self.accounts))
        return first, self.accounts[first]


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


def resolve_config_path(cli_path: str | Path | None, environ: Mapping[str, str] = os.environ) -> tuple[Path, bool]:
    """Where the config file is: ``--config`` > ``$MJTUI_CONFIG`` > the platform default.

    The bool is True when the path was given explicitly (and so must exist).
    """
    if cli_path is not None and str(cli_path):
        return Path(cli_path).expanduser(), True
    if environ.get("MJTUI_CONFIG"):
        return Path(environ["MJTUI_CONFIG"]).expanduser(), True
    return platformdirs.user_config_path("mjtui") / "config.toml", False


def load_config(cli_path: str | Path | None = None, *, environ: Mapping[str, str] = os.environ) -> Config:
    """Read and validate the config, or build one from ``$MJTUI_TOKEN`` when there is no file.

    Raises ConfigError, in one line, for anything wrong.
    """
    path, explicit = resolve_config_path(cli_path, environ)
    try:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            raw = handle.read()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"config file not found: {path}") from None
        return _config_from_environment(path, environ)
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    config = _parse(raw, path)
    config.path = path
    if os.name == "posix" and mode & 0o077:
        config.warnings.append(f"{path} is readable by other users (mode {mode & 0o777:04o}): run chmod 600 {path}")
    return config


def save_config(config: Config, path: str | Path) -> None:
    """Write `config` as TOML, atomically, readable by the owner only (0600).

    The parent directory is created 0700 if missing. Tokens are written as the
    user gave them. Raises ConfigError if the file cannot be written.
    """
    import tomli_w  # the writers are imported when a file is written, not on every start

    target = Path(os.path.realpath(Path(path).expanduser()))  # keep a symlinked dotfile a symlink
    _write_private(target, tomli_w.dumps(_to_toml(config)).encode("utf-8"))


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
    _write_private(target, changed.encode("utf-8"))


def _write_private(target: Path, data: bytes) -> None:
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


def masked_view(config: Config, environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The effective config as plain data for ``mjtui config show``, secrets masked.

    Holds no None values, so it can be dumped as TOML or JSON as is.
    """
    view: dict[str, Any] = {}
    if config.path is not None:
        view["path"] = str(config.path)
    if config.accounts:
        view["default_account"] = config.account()[0]
    view["refresh_seconds"] = config.refresh_seconds
    view["theme"] = config.theme
    view["journal_retention_days"] = config.journal_retention_days
    view["previews"] = config.previews
    view["preview_cache_mb"] = config.preview_cache_mb
    view["notify"] = config.notify.model_dump()
    view["keys"] = dict(config.keys)
    view["accounts"] = {name: _masked_account(account, environ) for name, account in config.accounts.items()}
    if config.warnings:
        view["warnings"] = list(config.warnings)
    return view


def starter_config(
    provider: ProviderName = "useapi",
    token_env: str | None = None,
    base_url: str | None = None,
    account: str = "main",
    *,
    token_id: int | None = None,
) -> Config:
    """A first config for ``mjtui config init``: one account reading its token from the environment.

    `token_env` defaults to the provider's (USEAPI_TOKEN, IMAGINEPRO_TOKEN, MJPROXY_TOKEN). ImaginePro
    needs the caller's real `token_id`, midjourney-proxy the gateway's `base_url`; there are no placeholders.
    """
    kind = PROVIDER_KINDS[provider]
    if kind.needs_token_id and token_id is None:
        raise ConfigError(f"an {provider} account needs its token_id (an integer): pass it to config init")
    if kind.default_origin is None and base_url is None:
        raise ConfigError(f"a {provider} account needs the gateway's origin: pass --base-url, e.g. {kind.example_origin}")
    fields: dict[str, Any] = {"provider": provider, "token_env": token_env or kind.token_env}
    if base_url is not None:
        fields["base_url"] = base_url
    if token_id is not None:
        fields["token_id"] = token_id
    return _validate({"default_account": account, "accounts": {account: fields}}, "config init")


def _parse(raw: bytes, path: Path) -> Config:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {_toml_problem(exc)}") from None
    return _validate(data, str(path))


def _validate(data: dict[str, Any], source: str) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors(include_input=False))
        raise ConfigError(f"{source}: {problems}") from None


def _config_from_environment(path: Path, environ: Mapping[str, str]) -> Config:
    token = environ.get("MJTUI_TOKEN", "").strip()
    if not token:
        raise ConfigError(
            f"no config file at {path} and MJTUI_TOKEN is not set: run 'mjtui config init' or set MJTUI_TOKEN"
        )
    base_url = environ.get("MJTUI_BASE_URL") or None
    if base_url is not None:
        try:
            base_url = normalise_base_url(base_url)
        except ValueError as exc:
            raise ConfigError(f"MJTUI_BASE_URL: {exc}") from None
    try:
        account = AccountConfig(provider="useapi", token=SecretStr(token), base_url=base_url)
    except ValidationError as exc:
        raise ConfigError(f"MJTUI_TOKEN: {_problem(exc.errors(include_input=False)[0])}") from None
    return Config(default_account=ENV_ACCOUNT, accounts={ENV_ACCOUNT: account})


def _toml_problem(exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc)
    match = _TOML_POSITION.match(message)
    if match is None:
        return f"invalid TOML ({message})"
    return f"line {match['line']}, column {match['col']}: invalid TOML ({match['msg']})"


def _describe(error: Any) -> str:
    loc = tuple(str(part) for part in error["loc"])
    dotted = ".".join(_toml_key(part) for part in loc)
    return f"{dotted}: {_problem(error)}" if dotted else _problem(error)


def _problem(error: Any) -> str:
    return problem(error, _known_keys)


def _known_keys(loc: tuple[str, ...]) -> list[str]:
    """The keys a table takes, for the table holding the key at `loc`."""
    model: type[BaseModel] = Config
    if len(loc) == 3 and loc[0] == "accounts":
        model = AccountConfig
    elif len(loc) == 2 and loc[0] == "notify":
        model = NotifyConfig
    return list(model.model_fields)


def _toml_key(key: str | None) -> str:
    key = key or ""
    return key if _BARE_KEY.fullmatch(key) else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _no_such_account(name: str, accounts: Mapping[str, AccountConfig]) -> str:
    known = f"accounts: {', '.join(accounts)}" if accounts else "no accounts are configured"
    return f"no account named '{name}' ({known})"


def _to_toml(config: Config) -> dict[str, Any]:
    data = config.model_dump(exclude_none=True)
    for account in data["accounts"].values():
        if isinstance(account.get("token"), SecretStr):
            account["token"] = account["token"].get_secret_value()
    return _drop_empty_tables(data)


def _drop_empty_tables(data: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            value = _drop_empty_tables(value)
            if not value:
                continue
        cleaned[key] = value
    return cleaned


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


def _masked_account(account: AccountConfig, environ: Mapping[str, str]) -> dict[str, Any]:
    view: dict[str, Any] = {"provider": account.provider, "origin": account.origin}
    if account.token_env is not None:
        value = environ.get(account.token_env, "").strip()
        state = f"set: {mask_secret(value)}" if value else "not set"
        view["token_env"] = f"{account.token_env} ({state})"
    else:
        view["token"] = mask_secret(account.token.get_secret_value() if account.token else None)
    if account.token_id is not None:
        view["token_id"] = account.token_id
    if account.flavor is not None:
        view["flavor"] = account.flavor
    view["timeout"] = account.timeout
    if account.channels:
        view["channels"] = dict(account.channels)
    return view
