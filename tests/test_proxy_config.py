"""A midjourney-proxy account in the config: what it needs, what it refuses, in one line each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mjtui.config import ConfigError, load_config, starter_config


def loaded(tmp_path: Path, table: str) -> object:
    path = tmp_path / "config.toml"
    path.write_text(f'[accounts.pool]\nprovider = "midjourney-proxy"\n{table}', encoding="utf-8")
    path.chmod(0o600)
    return load_config(path)


def test_a_pool_with_base_url_token_env_and_flavor_loads(tmp_path: Path) -> None:
    config = loaded(tmp_path, 'base_url = "http://127.0.0.1:8086/"\ntoken_env = "MJPROXY_TOKEN"\nflavor = "plus"\n')
    account = config.accounts["pool"]  # type: ignore[attr-defined]
    assert (account.origin, account.flavor) == ("http://127.0.0.1:8086", "plus")


@pytest.mark.parametrize(("table", "said"), [
    ('token_env = "MJPROXY_TOKEN"\n', "base_url is required when provider is midjourney-proxy"),
    ('base_url = "http://127.0.0.1:8086/mj"\ntoken_env = "T"\n', "without /mj"),
    ('base_url = "http://127.0.0.1:8086"\ntoken_env = "T"\nflavor = "new-api"\n', "flavor"),
])
def test_what_a_pool_needs_is_said_in_one_line(tmp_path: Path, table: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        loaded(tmp_path, table)
    assert said in str(caught.value) and "\n" not in str(caught.value)


def test_flavor_belongs_to_midjourney_proxy_only(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[accounts.main]\nprovider = "useapi"\ntoken_env = "T"\nflavor = "trueai"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="flavor applies to provider midjourney-proxy only"):
        load_config(path)


def test_a_pool_without_a_token_is_told_of_MJPROXY_TOKEN(tmp_path: Path) -> None:
    config = loaded(tmp_path, 'base_url = "http://127.0.0.1:8086"\n')
    with pytest.raises(ConfigError, match='token_env = "MJPROXY_TOKEN"'):
        config.accounts["pool"].resolve_token({})  # type: ignore[attr-defined]


def test_config_init_writes_a_pool_reading_MJPROXY_TOKEN_and_needs_the_base_url() -> None:
    starter = starter_config("midjourney-proxy", base_url="http://127.0.0.1:8086")
    assert starter.accounts["main"].token_env == "MJPROXY_TOKEN"
    with pytest.raises(ConfigError, match="--base-url"):
        starter_config("midjourney-proxy")


def test_reading_the_config_does_not_load_the_network_stack() -> None:
    probe = ("import sys, mjtui.config, mjtui.store.entries; "
             "print(sorted(m for m in ('httpx', 'mjtui.providers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
