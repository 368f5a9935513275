"""`mjtui serve`: the dashboard in a browser, through textual-serve, on loopback unless the user insists."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time
from pathlib import Path

import aiohttp
import httpx
import pytest
from test_cli import MJTUI, clean_env, poll


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def page(url: str) -> str | None:
    try:
        answer = httpx.get(url, timeout=2)
    except httpx.TransportError:
        return None
    return answer.text if answer.status_code == 200 else None


async def first_screen(url: str, *wanted: bytes, timeout: float = 20.0) -> bytes:
    """What a browser tab's terminal receives until all of `wanted` has shown up (or `timeout` passes).

    A screen arrives in pieces: stopping at the first marker could stop before the rest is drawn.
    """
    received = b""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as websocket:
        while not all(part in received for part in wanted) and time.monotonic() < deadline:
            message = await websocket.receive(timeout=max(0.1, deadline - time.monotonic()))
            if message.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                break
            received += message.data if isinstance(message.data, bytes) else message.data.encode()
    return received


def test_serve_shows_the_dashboard_in_a_browser_on_loopback(tmp_path: Path):
    port = free_port()
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        process = subprocess.Popen([*MJTUI, "--demo", "--journal", ":memory:", "--theme", "mjtui-light", "serve",
                                    "--port", str(port)],
                                   stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=clean_env(tmp_path))
    try:

        def served() -> str | None:
            if process.poll() is not None:
                pytest.fail(f"mjtui serve exited with {process.returncode}: {err.read_text(encoding='utf-8')}")
            return page(f"http://127.0.0.1:{port}/")

        html = poll(served, "the page to be served")
        assert "textual.js" in html and f"ws://127.0.0.1:{port}/ws" in html, "textual-serve's page"
        assert "<div>mjtui</div>" in html
        screen = asyncio.run(first_screen(f"http://127.0.0.1:{port}/ws?width=100&height=30", "mjtui · demo".encode(),
                                          b"48;2;246;247;249m"))
        assert "mjtui · demo".encode() in screen, "a tab runs the dashboard with the same --demo"
        assert b"48;2;246;247;249m" in screen, "and the same --theme (mjtui-light's background)"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    printed = out.read_text(encoding="utf-8")
    assert f"mjtui dashboard on http://127.0.0.1:{port}" in printed
    assert "Traceback" not in err.read_text(encoding="utf-8") + printed
    assert process.returncode == 0


def test_serving_beyond_loopback_warns_and_refuses_without_yes(tmp_path: Path):
    done = subprocess.run([*MJTUI, "--demo", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, env=clean_env(tmp_path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("mjtui serve: warning: 0.0.0.0:")
    assert "anyone who can reach it controls your accounts" in lines[0]
    assert lines[1] == "mjtui: refusing to serve beyond loopback on 0.0.0.0 without confirmation: no terminal to ask on; pass --yes"


def test_serve_on_a_busy_port_is_one_line(tmp_path: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([*MJTUI, "--demo", "serve", "--port", str(port)], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=30, env=clean_env(tmp_path))
    assert done.returncode == 2
    assert done.stderr == f"mjtui: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert done.stdout == ""


def test_serve_checks_the_config_before_it_listens(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('refresh_seconds = "fast"\n', encoding="utf-8")
    config.chmod(0o600)
    done = subprocess.run([*MJTUI, "--config", str(config), "serve", "--port", str(free_port())],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, env=clean_env(tmp_path))
    assert done.returncode == 2
    assert done.stderr == f"mjtui: {config}: refresh_seconds: expected a number\n"
