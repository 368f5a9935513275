"""The TOML configuration, checked: what it may say, and how it is saved.

The file is found and read by `mjtui.config_file` (at ``--config PATH``, then ``$MJTUI_CONFIG``, then the
platform's config directory, ``~/.config/mjtui/config.toml`` on Linux); with no file, ``$MJTUI_TOKEN``
(and ``$MJTUI_BASE_URL``) make a one-account config. This module checks it with pydantic.
Every problem surfaces as one `ConfigError` line naming the file, the dotted
key and what is wrong, and never the token itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

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
from mjtui.config_file import (
    DEFAULT_PROVIDER,
    DEFAULT_REFRESH_SECONDS,
    ENV_ACCOUNT,
    MAX_PREVIEW_CACHE_MB,
    MAX_REFRESH_SECONDS,
    MAX_RETENTION_DAYS,
    MAX_TIMEOUT_SECONDS,
    MIN_REFRESH_SECONDS,
    ConfigError,
    no_such_account,
    normalise_base_url,
    read_config_file,
    write_private,
)
from mjtui.kinds import PROVIDER_KINDS, Flavor, ProviderName
from mjtui.problems import problem
from mjtui.text import mask_secret
from mjtui.themes import DEFAULT_THEME

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


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

    provider: ProviderName = DEFAULT_PROVIDER
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
    refresh_seconds: float = Field(default=DEFAULT_REFRESH_SECONDS, le=MAX_REFRESH_SECONDS, allow_inf_nan=False)
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
            raise ValueError(f"default_account: {no_such_account(self.default_account, list(self.accounts))}")
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
                raise ConfigError(no_such_account(name, list(self.accounts)))
            return name, self.accounts[name]
        if self.default_account is not None:
            return self.default_account, self.accounts[self.default_account]
        if not self.accounts:
            where = f" in {self._path}" if self._path else ""
            raise ConfigError(f"no accounts configured{where}: add an [accounts.NAME] table or set MJTUI_TOKEN")
        first = next(iter(self.accounts))
        return first, self.accounts[first]


def load_config(cli_path: str | Path | None = None, *, environ: Mapping[str, str] = os.environ) -> Config:
    """Read and validate the config, or build one from ``$MJTUI_TOKEN`` when there is no file.

    Raises ConfigError, in one line, for anything wrong.
    """
    found = read_config_file(cli_path, environ=environ)
    if found.data is None:
        return _config_from_environment(environ)
    config = _validate(found.data, str(found.path))
    config.path = found.path
    config.warnings.extend(found.warnings)
    return config


def save_config(config: Config, path: str | Path) -> None:
    """Write `config` as TOML, atomically, readable by the owner only (0600).

    The parent directory is created 0700 if missing. Tokens are written as the
    user gave them. Raises ConfigError if the file cannot be written.
    """
    import tomli_w  # the writers are imported when a file is written, not on every start

    target = Path(os.path.realpath(Path(path).expanduser()))  # keep a symlinked dotfile a symlink
    write_private(target, tomli_w.dumps(_to_toml(config)).encode("utf-8"))


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


def _validate(data: dict[str, Any], source: str) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors(include_input=False))
        raise ConfigError(f"{source}: {problems}") from None


def _config_from_environment(environ: Mapping[str, str]) -> Config:
    token = environ.get("MJTUI_TOKEN", "").strip()  # read_config_file has made sure it is set
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
