"""The config file as a user meets it: loading, mistakes, saving, showing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs
import pytest

from mjtui import config as config_module
from mjtui.api.client import IMAGINEPRO_ORIGIN, USEAPI_ORIGIN
from mjtui.config import (
    AccountConfig,
    Config,
    ConfigError,
    load_config,
    masked_view,
    save_config,
    starter_config,
)
from mjtui.config_file import resolve_config_path

SECRET = "ip-secret-token-value"
ENV_SECRET = "abc-env-token-value-xyz"

EXAMPLE = f"""\
default_account = "main"
refresh_seconds = 10
theme = "textual-dark"

[keys]
cancel = "x,delete"

[accounts.main]
provider = "useapi"
token_env = "USEAPI_TOKEN"
channels = {{ "1234567890123456789" = "studio" }}

[accounts.ip]
provider = "imaginepro"
token = "{SECRET}"
token_id = 12345
base_url = "http://127.0.0.1:8787"
"""

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


@pytest.fixture(autouse=True)
def default_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the platform config dir into tmp_path so no test sees the real ~/.config."""
    base = tmp_path / "platform-config"
    monkeypatch.setattr(platformdirs, "user_config_path", lambda appname: base / appname)
    return base / "mjtui"


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_example_file_loads_with_the_right_types(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", EXAMPLE)

    config = load_config(path, environ={})

    ip = config.accounts["ip"]
    assert type(ip.token_id) is int and ip.token_id == 12345
    assert ip.origin == "http://127.0.0.1:8787"
    assert ip.resolve_token({}) == SECRET
    main = config.accounts["main"]
    assert main.origin == USEAPI_ORIGIN
    assert main.channel_name("1234567890123456789") == "studio"
    assert main.channel_name("42") == "42"
    assert config.refresh_seconds == 10.0
    assert config.keys == {"cancel": "x,delete"}
    assert config.account() == ("main", main)
    assert config.path == path
    assert config.warnings == []


def test_imaginepro_without_base_url_talks_to_its_public_api() -> None:
    assert AccountConfig(provider="imaginepro", token_env="T", token_id=1).origin == IMAGINEPRO_ORIGIN


def test_cli_path_beats_env_var_beats_platform_default(tmp_path: Path, default_dir: Path) -> None:
    cli = write(tmp_path / "cli.toml", 'theme = "from-cli"')
    env = write(tmp_path / "env.toml", 'theme = "from-env"')
    write(default_dir / "config.toml", 'theme = "from-default"')
    environ = {"MJTUI_CONFIG": str(env)}

    assert load_config(cli, environ=environ).theme == "from-cli"
    assert load_config(None, environ=environ).theme == "from-env"
    assert load_config(None, environ={}).theme == "from-default"
    assert resolve_config_path(cli, environ) == (cli, True)
    assert resolve_config_path(None, environ) == (env, True)
    assert resolve_config_path(None, {}) == (default_dir / "config.toml", False)


def test_mjtui_token_alone_gives_an_env_account(default_dir: Path) -> None:
    environ = {"MJTUI_TOKEN": ENV_SECRET, "MJTUI_BASE_URL": "http://127.0.0.1:8787/"}

    config = load_config(None, environ=environ)

    name, account = config.account()
    assert name == "env"
    assert account.provider == "useapi"
    assert account.origin == "http://127.0.0.1:8787"
    assert account.resolve_token({}) == ENV_SECRET
    assert config.path is None


def test_no_file_and_no_token_says_how_to_start(default_dir: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={})
    assert str(caught.value) == (
        f"no config file at {default_dir / 'config.toml'} and MJTUI_TOKEN is not set: "
        "run 'mjtui config init' or set MJTUI_TOKEN"
    )


@pytest.mark.parametrize("how", ["cli", "env"])
def test_missing_explicit_file_is_an_error_even_with_mjtui_token(tmp_path: Path, how: str) -> None:
    missing = tmp_path / "nope.toml"
    environ = {"MJTUI_TOKEN": ENV_SECRET}
    if how == "env":
        environ["MJTUI_CONFIG"] = str(missing)

    with pytest.raises(ConfigError) as caught:
        load_config(missing if how == "cli" else None, environ=environ)
    assert str(caught.value) == f"config file not found: {missing}"


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, environ={})
    assert str(caught.value) == f"{tmp_path}: is a directory, not a config file"


IP_TABLE = f'[accounts.ip]\nprovider = "imaginepro"\ntoken = "{SECRET}"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            IP_TABLE + 'token_id = "12345"\n', "accounts.ip.token_id: expected an integer", id="string-token-id"
        ),
        pytest.param(IP_TABLE + "token_id = true\n", "accounts.ip.token_id: expected an integer", id="bool-token-id"),
        pytest.param(IP_TABLE, "accounts.ip: token_id is required when provider is imaginepro", id="no-token-id"),
        pytest.param(
            IP_TABLE + 'token_id = 1\ntokne_env = "X"\n',
            "accounts.ip.tokne_env: unknown key (did you mean token_env?)",
            id="misspelt-key",
        ),
        pytest.param(
            "refresh_seconds = 1\n" + IP_TABLE + "token_id = 1\n",
            "refresh_seconds: 1 is too fast: the floor is 2 seconds",
            id="refresh-too-fast",
        ),
        pytest.param(
            IP_TABLE + 'token_id = 1\nbase_url = "https://api.imaginepro.ai/v2/"\n',
            "accounts.ip.base_url: give the origin only, e.g. https://api.imaginepro.ai",
            id="versioned-base-url",
        ),
        pytest.param(
            IP_TABLE + f'token_id = 1\nbase_url = "https://me:{SECRET}@example.com"\n',
            "accounts.ip.base_url: must not contain a user name or password",
            id="credentials-in-base-url",
        ),
        pytest.param(
            'default_account = "foo"\n' + IP_TABLE + "token_id = 1\n",
            "default_account: no account named 'foo' (accounts: ip)",
            id="unknown-default-account",
        ),
        pytest.param(
            IP_TABLE + 'token_id = 1\ntoken_env = "IP_TOKEN"\n',
            "accounts.ip: set token or token_env, not both",
            id="token-and-token-env",
        ),
        pytest.param(
            IP_TABLE + "token_id = = 1\n",
            "line 4, column 12: invalid TOML (Invalid value)",
            id="invalid-toml",
        ),
        pytest.param(
            '[keys]\ncancel = "x,\\u001b[31m"\n' + IP_TABLE + "token_id = 1\n",
            "keys.cancel: a key name has a control character",
            id="control-character-in-key",
        ),
        pytest.param(
            IP_TABLE.replace(SECRET, SECRET + "\u2019") + "token_id = 1\n",
            "accounts.ip.token: must be ASCII",
            id="non-ascii-token",
        ),
        pytest.param(
            IP_TABLE + 'token_id = 1\nbase_url = "http://[::1"\n',
            "accounts.ip.base_url: is not a URL",
            id="unclosed-ipv6-base-url",
        ),
        pytest.param(
            IP_TABLE + 'token_id = 1\nbase_url = "http://127.0.0.1:99999"\n',
            "accounts.ip.base_url: has an invalid port",
            id="port-out-of-range",
        ),
    ],
)
def test_bad_input_is_one_line_naming_file_and_key_without_secret(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "config.toml", text)

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})

    message = str(caught.value)
    assert message.startswith(f"{path}: {expected}")
    assert "\n" not in message
    assert SECRET not in message


def test_bad_mjtui_base_url_is_named() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={"MJTUI_TOKEN": ENV_SECRET, "MJTUI_BASE_URL": "https://api.useapi.net/v2"})
    assert str(caught.value).startswith("MJTUI_BASE_URL: give the origin only, e.g. https://api.useapi.net")


def test_base_url_keeps_a_path_prefix_and_drops_the_trailing_slash() -> None:
    account = AccountConfig(token_env="T", base_url="https://proxy.example:8443/mj/")
    assert account.origin == "https://proxy.example:8443/mj"


@posix_only
def test_world_readable_file_loads_with_a_chmod_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", EXAMPLE, mode=0o644)

    config = load_config(path, environ={})

    assert config.warnings == [f"{path} is readable by other users (mode 0644): run chmod 600 {path}"]


@posix_only
def test_save_writes_0600_in_a_new_0700_dir_and_round_trips(tmp_path: Path) -> None:
    original = load_config(write(tmp_path / "config.toml", EXAMPLE), environ={})
    target = tmp_path / "fresh" / "config.toml"
    old_umask = os.umask(0)  # a permissive umask must not leak the token
    try:
        save_config(original, target)
    finally:
        os.umask(old_umask)

    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert f'token = "{SECRET}"' in target.read_text()
    assert "channels = {}" not in target.read_text() and "[keys]" in target.read_text()
    reloaded = load_config(target, environ={})
    assert reloaded == original
    assert reloaded.warnings == []
    assert reloaded.accounts["ip"].resolve_token({}) == SECRET


@posix_only
def test_save_never_exposes_a_half_written_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = write(tmp_path / "config.toml", 'theme = "old"\n')
    seen: list[tuple[str, int, list[str]]] = []
    real_fsync = os.fsync

    def spying_fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode) and not seen:
            names = sorted(p.name for p in tmp_path.iterdir())
            seen.append((target.read_text(), stat.S_IMODE(os.fstat(fd).st_mode), names))
        real_fsync(fd)

    monkeypatch.setattr(config_module.os, "fsync", spying_fsync)
    save_config(Config(theme="new"), target)

    content_while_writing, temp_mode, names_while_writing = seen[0]
    assert content_while_writing == 'theme = "old"\n'
    assert temp_mode == 0o600 and len(names_while_writing) == 2  # the target and its temp sibling
    assert load_config(target, environ={}).theme == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_failed_save_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = write(tmp_path / "config.toml", 'theme = "old"\n')

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(config_module.os, "fsync", failing_fsync)
    with pytest.raises(ConfigError) as caught:
        save_config(Config(theme="new"), target)

    assert str(caught.value) == f"{target}: cannot write (No space left on device)"
    assert target.read_text() == 'theme = "old"\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_masked_view_shows_effective_settings_but_never_a_token(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "config.toml", EXAMPLE), environ={})

    view = masked_view(config, {"USEAPI_TOKEN": ENV_SECRET})

    assert view["accounts"]["ip"]["token"] == "ip-…lue"
    assert view["accounts"]["ip"]["origin"] == "http://127.0.0.1:8787"
    assert view["accounts"]["main"]["token_env"] == "USEAPI_TOKEN (set: abc…xyz)"
    assert view["accounts"]["main"]["origin"] == USEAPI_ORIGIN
    assert view["default_account"] == "main"
    assert SECRET not in repr(view) and ENV_SECRET not in repr(view)
    unset = masked_view(config, {})
    assert unset["accounts"]["main"]["token_env"] == "USEAPI_TOKEN (not set)"


def test_repr_of_models_hides_the_token(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "config.toml", EXAMPLE), environ={})
    for shown in (repr(config), str(config), repr(config.accounts["ip"])):
        assert SECRET not in shown


def test_resolve_token_reads_the_named_env_var_or_says_it_is_missing(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "config.toml", EXAMPLE), environ={})
    main = config.accounts["main"]

    assert main.resolve_token({"USEAPI_TOKEN": ENV_SECRET}) == ENV_SECRET
    with pytest.raises(ConfigError, match=r"^account 'main': environment variable USEAPI_TOKEN is not set$"):
        main.resolve_token({})
    with pytest.raises(ConfigError, match=r"^account 'main': environment variable USEAPI_TOKEN is empty$"):
        main.resolve_token({"USEAPI_TOKEN": ""})


def test_a_token_in_the_environment_that_no_header_can_carry_is_a_config_error_naming_the_account(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "config.toml", EXAMPLE), environ={})
    for token in (ENV_SECRET + "\u2019", "é" + ENV_SECRET, ENV_SECRET + "\x7f"):
        with pytest.raises(ConfigError) as caught:
            config.accounts["main"].resolve_token({"USEAPI_TOKEN": token})
        assert str(caught.value).startswith("account 'main': the token in environment variable USEAPI_TOKEN must ")
        assert ENV_SECRET not in str(caught.value)


def test_account_without_any_token_loads_but_says_how_to_set_one(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "config.toml", "[accounts.bare]\n"), environ={})

    with pytest.raises(ConfigError) as caught:
        config.accounts["bare"].resolve_token({})
    assert str(caught.value) == (
        "account 'bare' has no token: add token_env = \"USEAPI_TOKEN\" (and export USEAPI_TOKEN) "
        'or token = "..." to [accounts.bare]'
    )


def test_account_choice_named_then_default_then_first(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "config.toml", EXAMPLE), environ={})

    assert config.account("ip")[0] == "ip"
    assert config.account()[0] == "main"
    assert config.model_copy(update={"default_account": None}).account()[0] == "main"
    reordered = Config(accounts={"b": AccountConfig(token_env="B"), "a": AccountConfig(token_env="A")})
    assert reordered.account()[0] == "b"
    with pytest.raises(ConfigError, match=r"^no account named 'foo' \(accounts: main, ip\)$"):
        config.account("foo")
    with pytest.raises(ConfigError, match=r"^no accounts configured"):
        Config().account()


def test_starter_config_saves_a_file_that_loads(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"

    save_config(starter_config("useapi", None, None, "main"), target)

    config = load_config(target, environ={"USEAPI_TOKEN": ENV_SECRET})
    name, account = config.account()
    assert (name, account.token_env, account.origin) == ("main", "USEAPI_TOKEN", USEAPI_ORIGIN)
    assert account.resolve_token({"USEAPI_TOKEN": ENV_SECRET}) == ENV_SECRET


def test_starter_config_for_imaginepro_needs_a_real_token_id() -> None:
    with pytest.raises(ConfigError, match="token_id"):
        starter_config("imaginepro", None, None, "ip")

    config = starter_config("imaginepro", None, "http://127.0.0.1:8787/", "ip", token_id=777)
    account = config.accounts["ip"]
    assert (account.token_env, account.token_id, account.origin) == ("IMAGINEPRO_TOKEN", 777, "http://127.0.0.1:8787")
