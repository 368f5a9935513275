"""`mjtui metrics` from the command line: it serves until SIGTERM and stops cleanly; bad input is one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mjtui.metrics.command import beyond_loopback_warning, listen
from mjtui.options import UsageProblem


def mjtui(*args: str, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "mjtui", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "MJTUI_CONFIG": "/nonexistent/config.toml"}, **kwargs)


def test_it_serves_the_metrics_until_sigterm_then_stops_cleanly_giving_its_journal_back(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    process = mjtui("--demo", "--journal", str(journal), "metrics", "--port", "0")
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        address = first.split(" on ", 1)[1].split(" ", 1)[0]
        page = httpx.get(address, timeout=10).text
        assert "# TYPE mjtui_channel_running_jobs gauge" in page and "mjtui_account_up{" in page
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0 and err == "", err
    assert journal.exists()


def test_a_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[accounts.main]\nprovider = 'useapi'\ntoken = 'secret token with spaces'\nrefresh_seconds = 'x'\n")
    process = mjtui("--config", str(config), "metrics")
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "secret token" not in err


def test_a_busy_port_is_one_line_naming_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageProblem, match=f"cannot listen on 127.0.0.1:{port}"):
            listen("127.0.0.1", port)


def test_listening_beyond_loopback_warns_and_loopback_does_not() -> None:
    assert beyond_loopback_warning("127.0.0.1", 9464) is None and beyond_loopback_warning("::1", 9464) is None
    warning = beyond_loopback_warning("0.0.0.0", 9464)
    assert warning is not None and "reachable beyond this machine" in warning
