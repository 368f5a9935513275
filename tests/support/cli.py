"""The installed `mjtui` run as a user runs it: the command, a clean environment, and waiting on it with a deadline."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner, Result

T = TypeVar("T")


def mjtui_command() -> list[str]:
    """The installed `mjtui` next to this interpreter, so CI runs its own venv's copy."""
    script = shutil.which("mjtui", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "mjtui"]


MJTUI = mjtui_command()


def clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a user with an empty home: no config file, no token variables."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("MJTUI_", "XDG_")) and key not in ("USEAPI_TOKEN", "IMAGINEPRO_TOKEN", "MJPROXY_TOKEN")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local" / "share"),
               XDG_STATE_HOME=str(home / ".local" / "state"), XDG_CACHE_HOME=str(home / ".cache"))
    env.update(extra or {})
    return env


def poll(probe: Callable[[], T | None], what: str, timeout: float = 20.0, interval: float = 0.05) -> T:
    """Call `probe` until it returns something other than None, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def run_in_process(*args: str) -> Result:
    """`mjtui ARGS` in this process (click's runner), checked to end in an exit status, never a traceback."""
    from mjtui import cli

    result = CliRunner().invoke(cli.main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result
