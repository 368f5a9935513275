"""`mjtui serve`: the dashboard in a browser, through textual-serve, for its own page only.

A real `mjtui --demo serve` process on a loopback port, and Debian's Chromium driven by
Playwright (`.ci/run` installs it when missing; these tests fail, never skip, without it).
What is checked is what a user or an attacker would see: the page, the socket's answer,
the terminal's bytes in the browser, the dashboard processes left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import httpx
import pytest
from aiohttp import web
from playwright.sync_api import Browser, Page, sync_playwright
from support.cli import MJTUI, clean_env, poll

from mjtui.serve import DashboardServer

T = TypeVar("T")

CHROMIUM = "/usr/bin/chromium"  # Debian's: Playwright's own browser download cannot work here
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PRINTED_URL = re.compile(r"^mjtui dashboard on (http://\S+/\?token=(\S+))$", re.M)
DEMO_TITLE = "mjtui · demo".encode()
LIGHT_BACKGROUND = b"48;2;246;247;249m"  # mjtui-light's
SECRET = "the-secret-of-this-test"
GONE_WITHIN = 30.0  # seconds: a dashboard whose browser left is ended in QUIT_GRACE + KILL_GRACE, slower under load


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def in_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on a loop of its own thread (Playwright's sync API keeps a loop in this one)."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as exc:  # noqa: BLE001 -- handed back to the test
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def process_state(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent, or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def dashboards(parent: int) -> list[int]:
    """The live processes whose parent is `parent` (the dashboards `serve` started; `exec` makes them its children)."""
    found = []
    for entry in Path("/proc").iterdir():
        state = process_state(int(entry.name)) if entry.name.isdigit() else None
        if state is not None and state[0] != "Z" and state[1] == parent:
            found.append(int(entry.name))
    return found


def all_gone(pids: list[int]) -> None:
    """Wait (with a deadline) until none of `pids` is alive: a zombie is not."""
    poll(lambda: True if all((process_state(pid) or ("Z", 0))[0] == "Z" for pid in pids) else None,
         f"dashboards {pids} to end", timeout=GONE_WITHIN)


@dataclass
class Served:
    """A running `mjtui ... serve` and what it printed."""

    process: subprocess.Popen[bytes]
    port: int
    url: str
    secret: str
    err: Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def socket_url(self, path: str) -> str:
        return f"{self.origin}{path}?width=100&height=30"

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            pytest.fail("mjtui serve outlived SIGTERM by 20 s")

    def no_dashboards_left(self) -> None:
        poll(lambda: True if not dashboards(self.process.pid) else None, "every dashboard to end", timeout=GONE_WITHIN)


def start_serve(home: Path, *options: str) -> Served:
    """`mjtui --demo --journal :memory: OPTIONS serve --port P`, once it has printed its URL."""
    port = free_port()
    out, err = home / "serve.out", home / "serve.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        process = subprocess.Popen([*MJTUI, "--demo", "--journal", ":memory:", *options, "serve", "--port", str(port),
                                    "--max-sessions", "1"],
                                   stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=clean_env(home))

    def printed() -> re.Match[str] | None:
        if process.poll() is not None:
            pytest.fail(f"mjtui serve exited with {process.returncode}: {err.read_text(encoding='utf-8')}")
        return PRINTED_URL.search(out.read_text(encoding="utf-8"))

    found = poll(printed, "serve to print its URL", timeout=30)
    assert found.group(1).startswith(f"http://127.0.0.1:{port}/?token=")
    return Served(process, port, found.group(1), found.group(2), err)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One `serve` for the tests that open at most one dashboard at a time (`--max-sessions 1`)."""
    server = start_serve(tmp_path_factory.mktemp("serve"))
    yield server
    assert server.stop() == 0
    assert server.secret not in server.err.read_text(encoding="utf-8"), "the secret is never logged"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def terminal_bytes(page: Page) -> list[bytes]:
    """Collects what the page's terminal receives over its socket."""
    received: list[bytes] = []
    page.on("websocket", lambda socket_: socket_.on(
        "framereceived", lambda payload: received.append(payload if isinstance(payload, bytes) else payload.encode())))
    return received


def wait_in_browser(page: Page, probe: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """`poll`, waiting inside the browser: Playwright hands over its events only while one of its calls runs."""
    deadline = time.monotonic() + timeout
    while (result := probe()) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        page.wait_for_timeout(50)
    return result


@contextlib.asynccontextmanager
async def in_process_serve(command: str = "true") -> AsyncIterator[tuple[DashboardServer, aiohttp.ClientSession]]:
    """`serve`'s server in this process, each dashboard running `command`; its secret is SECRET.

    Run as `Server.serve` runs it (web.run_app's runner), not by aiohttp's TestServer, which cancels a handler
    whose client has gone.
    """
    port = free_port()
    server = DashboardServer(command, host="127.0.0.1", port=port, public_url=None, secret=SECRET, max_sessions=1)
    runner = web.AppRunner(await server._make_app())
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        async with aiohttp.ClientSession(base_url=server.public_url) as client:
            yield server, client
    finally:
        await runner.cleanup()


async def refusal(url: str, headers: dict[str, str] | None = None) -> int | None:
    """The HTTP status a socket handshake at `url` is refused with, or None if it opened."""
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(url, headers=headers):
                return None
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


async def until_closed(websocket: aiohttp.ClientWebSocketResponse, timeout: float) -> bytes:
    """What `websocket` receives until it closes, or `timeout` passes."""
    received = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = await websocket.receive(timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            break
        if message.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
            break
        received += message.data if isinstance(message.data, bytes) else message.data.encode()
    return received


# -- the page and its dashboard ----------------------------------------------------------------------


def test_a_browser_shows_the_dashboard_and_stopping_serve_ends_it(tmp_path: Path, browser: Browser):
    server = start_serve(tmp_path, "--theme", "mjtui-light")
    page = browser.new_page()
    received = terminal_bytes(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(server.url)
        wait_in_browser(page, lambda: True if all(part in b"".join(received) for part in (DEMO_TITLE, LIGHT_BACKGROUND))
                        else None, "the dashboard in the page's terminal")
        assert page.locator("body.-first-byte").count() == 1, "the page shows its terminal"
        running = dashboards(server.process.pid)
        assert len(running) == 1
    finally:
        stopped = server.stop()  # while the browser is still on it
        page.close()
    assert stopped == 0
    all_gone(running)
    assert requested and all(url.startswith(server.origin + "/") for url in requested), "nothing from elsewhere"
    printed = (tmp_path / "serve.out").read_text(encoding="utf-8")
    assert printed.count(server.secret) == 1, "the secret is printed once, in the URL"
    logged = server.err.read_text(encoding="utf-8")
    assert server.secret not in logged and "Traceback" not in logged + printed


def test_the_page_fetches_nothing_from_another_origin(served: Served):
    answer = httpx.get(served.url, timeout=10)
    assert answer.status_code == 200
    references = re.findall(r"""(?:src|href)="([^"]*)"|url\("([^"]*)"\)""", answer.text)
    urls = [first or second for first, second in references]
    assert any(url.endswith(".ttf") for url in urls), "the font is the server's own"
    for url in urls:
        assert url.startswith(served.origin + "/") or url.startswith("data:") or url == "", url
        if url.startswith(served.origin + "/static/"):
            assert httpx.get(url, timeout=10).status_code == 200, url
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["Referrer-Policy"] == "no-referrer", "the secret in the URL never goes out as a Referer"


def test_the_page_and_its_socket_need_the_printed_secret(served: Served):
    for url in (f"{served.origin}/", f"{served.origin}/?token=", f"{served.origin}/?token={served.secret[:-1]}x"):
        answer = httpx.get(url, timeout=10)
        assert answer.status_code == 403, url
        assert "needs its secret" in answer.text and "?token=" in answer.text, "the 403 page says what is missing"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
    for path in ("/ws", f"/ws/{served.secret[:-1]}x", f"/ws/{served.secret}x", f"/ws/{served.secret[:8]}"):
        assert in_thread(refusal(served.socket_url(path))) == 403, path
    assert dashboards(served.process.pid) == [], "no dashboard was started"


def test_a_plain_request_for_the_socket_is_a_400_not_a_crash(served: Served):
    """A link to the socket's address followed, a GET without the WebSocket upgrade: told so, nothing started."""
    logged_before = len(served.err.read_text(encoding="utf-8"))
    answer = httpx.get(f"{served.origin}/ws/{served.secret}", timeout=10)
    assert answer.status_code == 400
    assert answer.text == "mjtui serve: expected a WebSocket here (this address is the page's; open the page instead)"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert dashboards(served.process.pid) == []
    assert "Traceback" not in served.err.read_text(encoding="utf-8")[logged_before:]
    assert in_thread(refusal(served.socket_url(f"/ws/{served.secret}"))) is None, "the slot was given back"
    served.no_dashboards_left()


def test_an_error_page_is_raised_with_the_page_s_headers():
    """A 404 or 405 carries the CSP and no-referrer headers, raised as aiohttp wants (returning it is deprecated)."""
    async def errors() -> tuple[list[tuple[int, str, str]], list[str]]:
        async with in_process_serve() as (_server, client):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                answers = [await client.get("/nowhere"), await client.post("/"), await client.get("/static/nothing")]
        return ([(answer.status, answer.headers.get("Content-Security-Policy", ""),
                  answer.headers.get("Referrer-Policy", "")) for answer in answers], [str(w.message) for w in caught])

    answers, warned = in_thread(errors())
    assert [status for status, _, _ in answers] == [404, 405, 404]
    for _status, policy, referrer in answers:
        assert "default-src 'none'" in policy and referrer == "no-referrer"
    assert not [message for message in warned if "HTTPException" in message], warned


def stderr_of_a_dashboard_that(command: str, caplog: pytest.LogCaptureFixture) -> list[str]:
    """What serve logs of the stderr of a dashboard running `command`, once its browser has come and gone."""
    async def visit() -> None:
        async with in_process_serve(command) as (server, client):
            websocket = await client.ws_connect(f"/ws/{SECRET}?width=80&height=24")
            await websocket.close()
            deadline = time.monotonic() + GONE_WITHIN
            while server._sessions:  # the session's end waits for the dashboard's stderr to be reported
                assert time.monotonic() < deadline, "the session outlived its browser"
                await asyncio.sleep(0.05)

    with caplog.at_level(logging.WARNING, logger="mjtui.serve"):
        in_thread(visit())
    return [record.getMessage() for record in caplog.records if "stderr" in record.getMessage()]


ON_QUIT = "head -c 1 >/dev/null; "  # a dashboard's stdin: it writes its last words once serve sends the browser's leave


def test_a_dashboard_s_stderr_reaches_serve_s_terminal_cleaned(capfd: pytest.CaptureFixture[str],
                                                               caplog: pytest.LogCaptureFixture):
    """A crash message with escape sequences (here: set serve's terminal's clipboard, clear it) is logged inert."""
    logged = stderr_of_a_dashboard_that(ON_QUIT + "printf 'Traceback: boom \\033]52;c;cHduZWQ=\\007 \\033[2J\\n' >&2; exit 3",
                                        caplog)
    printed = capfd.readouterr()
    assert "\x1b" not in printed.out + printed.err, "nothing raw reaches serve's terminal"
    assert "Traceback: boom" not in printed.out, "a dashboard's stderr is not written to serve's stdout"
    [message] = logged
    assert re.fullmatch(r"the dashboard in process \d+ wrote on its stderr:\nTraceback: boom", message), message


def test_only_the_end_of_a_dashboard_s_stderr_is_kept(capfd: pytest.CaptureFixture[str],
                                                      caplog: pytest.LogCaptureFixture):
    from mjtui.serve import STDERR_KEPT

    logged = stderr_of_a_dashboard_that(ON_QUIT + "head -c 300000 /dev/zero | tr '\\0' x >&2; echo ' the end' >&2",
                                        caplog)
    assert "xxx" not in capfd.readouterr().out
    [message] = logged
    header, kept = message.split("\n", 1)
    assert header.endswith("wrote on its stderr (its last 64 KB):")
    assert kept.endswith("x the end") and len(kept) == STDERR_KEPT - 1, "the last 64 KB, without the final newline"


def test_a_dashboard_that_cannot_start_gives_its_place_back(caplog: pytest.LogCaptureFixture):
    """It ends before textual-serve reads from it (an interpreter gone since serve started): its session ends too."""
    [message] = stderr_of_a_dashboard_that("exec /nonexistent/python -m mjtui", caplog)
    assert message.endswith("/nonexistent/python: not found"), message


def test_a_socket_from_another_origin_is_refused_even_with_the_secret(served: Served):
    for origin in ("http://evil.example", f"http://127.0.0.1:{served.port + 1}", f"http://localhost:{served.port}",
                   "null"):
        status = in_thread(refusal(served.socket_url(f"/ws/{served.secret}"), {"Origin": origin}))
        assert status == 403, origin
    assert dashboards(served.process.pid) == []


def test_a_page_from_another_origin_reads_nothing_from_the_socket(served: Served, browser: Browser):
    """A page on another origin (here another port) that knows the socket's address, even its secret."""
    paths = [f"/ws/{served.secret}", "/ws"]
    script = """
      window.results = {};
      for (const path of PATHS) {
        const result = window.results[path] = {opened: false, messages: 0, closed: false};
        const socket = new WebSocket("ws://127.0.0.1:PORT" + path + "?width=80&height=24");
        socket.onopen = () => { result.opened = true; socket.send(JSON.stringify(["stdin", "q"])); };
        socket.onmessage = () => { result.messages += 1; };
        socket.onclose = () => { result.closed = true; };
      }
    """.replace("PATHS", json.dumps(paths)).replace("PORT", str(served.port))
    evil = f"<!DOCTYPE html><html><body><script>{script}</script></body></html>".encode()

    class Evil(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 -- http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(evil)

        def log_message(self, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Evil) as elsewhere:
        threading.Thread(target=elsewhere.serve_forever, daemon=True).start()
        page = browser.new_page()
        try:
            page.goto(f"http://127.0.0.1:{elsewhere.server_address[1]}/")
            page.wait_for_function("Object.values(window.results).every(result => result.closed)", timeout=20000)
            results = page.evaluate("window.results")
        finally:
            page.close()
            elsewhere.shutdown()
    assert results == {path: {"opened": False, "messages": 0, "closed": True} for path in paths}
    assert dashboards(served.process.pid) == []


def test_sessions_beyond_the_cap_are_refused_with_a_reason(served: Served):
    async def two_at_once() -> tuple[bytes, int | None, int]:
        url = served.socket_url(f"/ws/{served.secret}")
        async with aiohttp.ClientSession() as session, session.ws_connect(url), session.ws_connect(url) as second:
            told = await until_closed(second, timeout=20)
            return told, second.close_code, len(dashboards(served.process.pid))

    told, code, running = in_thread(two_at_once())
    assert b"mjtui serve: 1 dashboard open, the most it runs at once (--max-sessions)" in told
    assert code == aiohttp.WSCloseCode.TRY_AGAIN_LATER
    assert running == 1, "the second tab started no dashboard"
    served.no_dashboards_left()


def test_a_browser_that_leaves_during_start_up_leaves_no_dashboard(served: Served, browser: Browser):
    """It leaves with a new size on its way (a resize, a font that loaded): Textual then lays out for ever."""
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    sizes: list[str] = []
    page.on("websocket", lambda socket_: socket_.on(
        "framesent", lambda payload: sizes.append(payload) if '"resize"' in str(payload) else None))
    try:
        page.goto(served.url)
        wait_in_browser(page, lambda: sizes or None, "the page to send its terminal's size")
        page.set_viewport_size({"width": 700, "height": 500})
        wait_in_browser(page, lambda: True if len(sizes) > 1 else None, "the page to send its new size")
        assert dashboards(served.process.pid), "the dashboard is starting"
    finally:
        page.close()
    served.no_dashboards_left()


# -- a served dashboard on its own: SIGTERM, and serve going away ---------------------------------------


def packet(meta: dict[str, object]) -> bytes:
    """A control packet as textual-serve writes it to a dashboard's stdin."""
    payload = json.dumps(meta).encode()
    return b"M" + len(payload).to_bytes(4, "big") + payload


def busy_served_dashboard(home: Path) -> subprocess.Popen[bytes]:
    """A dashboard under Textual's web driver told, as it starts, of a browser size and then to quit.

    As after a browser left during start-up: Textual lays the screen out at both sizes in turn for ever,
    never back in its event loop, so it neither quits nor runs its SIGTERM handler. Returned once the
    driver has started (and set its own SIGTERM handler: from then on SIGTERM is never fatal by default).
    """
    env = clean_env(home, {"TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver", "COLUMNS": "80", "ROWS": "24"})
    process = subprocess.Popen([sys.executable, "-m", "mjtui", "--demo", "--journal", ":memory:"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(packet({"type": "resize", "width": 100, "height": 30}) + packet({"type": "quit"}))
    process.stdin.flush()
    assert process.stdout.readline() == b"__GANGLION__\n", "the web driver's first line"
    threading.Thread(target=lambda: [None for _ in iter(lambda: process.stdout.read1(65536), b"")], daemon=True).start()
    return process


def ends_within_deadline(process: subprocess.Popen[bytes], nudge: Callable[[], None]) -> None:
    """`nudge` the process until it has ended, or fail after GONE_WITHIN seconds."""
    deadline = time.monotonic() + GONE_WITHIN
    try:
        while process.poll() is None:
            assert time.monotonic() < deadline, f"the dashboard is still running {GONE_WITHIN:g} s later"
            nudge()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_sigterm_ends_a_served_dashboard_however_busy(tmp_path: Path):
    process = busy_served_dashboard(tmp_path)
    # again until it ends: one sent while Textual is still starting would be handled, and the dashboard would
    # still be stuck, by then deaf (the test would then measure start-up, not SIGTERM)
    ends_within_deadline(process, lambda: os.kill(process.pid, signal.SIGTERM))


def test_a_served_dashboard_ends_when_serve_is_gone(tmp_path: Path):
    process = busy_served_dashboard(tmp_path)
    assert process.stdin is not None
    process.stdin.close()  # as when serve is killed: the dashboard's input hangs up
    ends_within_deadline(process, lambda: None)


def test_what_a_browser_sends_is_read_as_hostile():
    """A size out of range is clamped (a negative one crashed the dashboard); a malformed message is dropped."""
    from mjtui.serve import envelope, terminal_size

    assert terminal_size({"width": "-5", "height": "3"}) == (1, 3)
    assert terminal_size({"width": 10**9, "height": 40}) == (1000, 40)
    assert terminal_size({"width": "80"}) is None and terminal_size({"width": "8e1", "height": 24}) is None
    for garbage in ("", "{}", "[]", "[1, 2]", '"stdin"', "[" * 10, "[" * 100_000 + "]" * 100_000):
        assert envelope(garbage) == (None, None), garbage
    assert envelope('["resize", {"width": 80, "height": 24}]') == ("resize", {"width": 80, "height": 24})


# -- the command line --------------------------------------------------------------------------------


@pytest.mark.parametrize(("options", "error"), [
    (["--max-sessions", "0"], "mjtui: --max-sessions: expected a whole number from 1 to 32, got '0'"),
    (["--max-sessions", "many"], "mjtui: --max-sessions: expected a whole number from 1 to 32, got 'many'"),
    (["--public-url", "ftp://host.example"], "mjtui: --public-url must start with http:// or https://"),
    (["--public-url", "http://host.example:0"],
     "mjtui: --public-url has an invalid port: expected a number from 1 to 65535"),
    (["--public-url", "http://me:secret@host.example"], "mjtui: --public-url must not contain a user name or password"),
    (["--host", "0.0.0.0", "--yes"], "mjtui: --host 0.0.0.0 listens on every address: give --public-url, the address "
                                     "browsers will open (only that origin may connect)"),
])
def test_serve_options_are_checked_in_one_line(tmp_path: Path, options: list[str], error: str):
    done = subprocess.run([*MJTUI, "--demo", "serve", "--port", str(free_port()), *options], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30, env=clean_env(tmp_path))
    assert (done.returncode, done.stderr, done.stdout) == (2, error + "\n", "")


def test_serving_beyond_loopback_warns_and_refuses_without_yes(tmp_path: Path):
    port = free_port()
    done = subprocess.run([*MJTUI, "--demo", "serve", "--host", "0.0.0.0", "--port", str(port),
                           "--public-url", f"http://host.example:{port}"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, env=clean_env(tmp_path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith(f"mjtui serve: warning: 0.0.0.0:{port} is reachable beyond this machine")
    assert "whoever sees the printed address (its secret) controls your accounts" in lines[0]
    assert lines[1] == ("mjtui: refusing to serve beyond loopback on 0.0.0.0 without confirmation: "
                        "no terminal to ask on; pass --yes")


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
