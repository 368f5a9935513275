"""`mjtui serve`: the dashboard in a browser (textual-serve), for the one page that holds this run's secret.

On top of textual-serve's `Server`:
- a secret per run, in the URL `serve` prints (`/?token=...`) and in the page's socket path (`/ws/SECRET`:
  textual.js appends its own query to the socket URL), compared in constant time, never logged;
- only the served page's own origin (that of `--public-url` when given) may open the socket, or be answered at all;
- at most `max_sessions` dashboards at once;
- a page of our own that fetches nothing from another origin (textual-serve's asks Google for its font): the font
  comes from textual-serve's static files, a Content-Security-Policy says so, and no Referer is ever sent;
- a dashboard whose browser is gone is ended within seconds whatever it is doing: asked to quit, then SIGTERM, then
  SIGKILL (Textual can spin for ever when a browser leaves during start-up: see `end_dashboard`);
- a dashboard's stderr is logged, its end only and cleaned, never written raw to serve's terminal (`DashboardService`).

textual-serve's private members used, here only: `Server._make_app` (the aiohttp app, to add the guard and the
socket route) and `AppService._process` (the dashboard's process, to end it when it ignores `quit`, and to read
its stderr before textual-serve's `AppService.run` would).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from pathlib import Path

import aiohttp_jinja2
from aiohttp import WSCloseCode, WSMsgType, hdrs, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from mjtui.text import clean
from mjtui.urls import UrlProblem, checked_http_url, origin

log = logging.getLogger("mjtui.serve")

MAX_SESSIONS_LIMIT = 32
QUIT_GRACE = 2.0  # seconds a dashboard has to quit once its browser is gone, before SIGTERM (its usual way out too)
KILL_GRACE = 4.0  # then seconds before SIGKILL (a dashboard ends itself 3 s after SIGTERM)
STDERR_KEPT = 64 * 1024  # bytes: the end of a dashboard's stderr, logged when it ends (its crash, not its whole life)
STDERR_GRACE = 2.0  # seconds for a dashboard's stderr to close once it has ended
TERMINAL_LIMITS = (1, 1000)  # cells: a browser's size outside this is clamped (a negative one crashes Textual)
TEMPLATES = Path(__file__).with_name("serve_page")

SECRET_REFUSED = "mjtui serve: this address needs the secret that mjtui serve printed (the whole URL, ?token=...)"
NOT_A_SOCKET = "mjtui serve: expected a WebSocket here (this address is the page's; open the page instead)"
FORBIDDEN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mjtui serve: forbidden</title></head>
<body style="font-family: monospace; margin: 2em">
<h1>403: this address needs its secret</h1>
<p>Open the whole address that <code>mjtui serve</code> printed, ending in <code>/?token=...</code>.
Each run of <code>mjtui serve</code> prints a new one.</p>
</body></html>
"""


def new_secret() -> str:
    """A secret for one run of `serve`: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def public_url_problem(url: str) -> str | None:
    """Why `url` cannot be the address browsers use (`--public-url`), or None: `mjtui.urls`' rules, as for base_url."""
    try:
        checked_http_url(url)
    except UrlProblem as exc:
        return str(exc)
    return None


def bounded(value: object, low: int, high: int) -> int | None:
    """`value` as a whole number clamped to [low, high]; None if it is not one."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return min(max(number, low), high)


def terminal_size(values: Mapping[str, object]) -> tuple[int, int] | None:
    """`width` and `height` from a browser, clamped to TERMINAL_LIMITS; None when either is unreadable."""
    width, height = (bounded(values.get(key), *TERMINAL_LIMITS) for key in ("width", "height"))
    return None if width is None or height is None else (width, height)


class DashboardService(AppService):
    """textual-serve's AppService, except that a dashboard's stderr never reaches serve's terminal as it is.

    textual-serve keeps all of it in memory and writes it to serve's stdout when the dashboard ends: a long-lived
    dashboard's warnings grow without bound, and an escape sequence in a crash message acts on serve's terminal.
    Here it is read as it comes, only its last STDERR_KEPT bytes kept, and logged cleaned once the dashboard ends.
    (docs/upstream/textual-serve-stuck-dashboard.md, notes for textual-serve.)
    """

    _stderr_report: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """textual-serve's relay of the dashboard's output, given a stderr that has ended: ours reads the real one."""
        process = self._process  # textual-serve private (see end_dashboard)
        assert process is not None and process.stderr is not None
        self._stderr_report = asyncio.ensure_future(report_stderr(process.stderr, process.pid))
        process.stderr = ended_stream()
        try:
            await super().run()
        except asyncio.CancelledError:
            # textual-serve's run() cancels its stderr reader at its end, and one cancelled before it ever ran (the
            # dashboard ended as it started) makes that run() raise as if cancelled: the session would never end
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise

    async def stderr_reported(self) -> None:
        """Once the dashboard has ended: wait for its stderr to be logged, STDERR_GRACE seconds at most."""
        if self._stderr_report is not None:
            with suppress(asyncio.TimeoutError):  # a grandchild holds it open: what was read is logged all the same
                await asyncio.wait_for(self._stderr_report, STDERR_GRACE)


def ended_stream() -> asyncio.StreamReader:
    """A stream at its end already."""
    stream = asyncio.StreamReader()
    stream.feed_eof()
    return stream


async def report_stderr(stream: asyncio.StreamReader, pid: int) -> None:
    """Read a dashboard's stderr to its end, keeping its last STDERR_KEPT bytes, then log them cleaned, if any."""
    kept = bytearray()
    dropped = False
    try:
        while chunk := await stream.read(STDERR_KEPT):
            kept += chunk
            dropped = dropped or len(kept) > STDERR_KEPT
            del kept[:-STDERR_KEPT]
    finally:  # cancelled too (serve stopping, a stream never closed): what was read is worth a look
        text = clean(kept.decode("utf-8", "replace"), keep_newlines=True).rstrip()
        if text:
            log.warning("the dashboard in process %d wrote on its stderr%s:\n%s", pid,
                        f" (its last {STDERR_KEPT // 1024} KB)" if dropped else "", text)


class Session:
    """One browser tab's dashboard: its socket and its process, ended once however many ask."""

    def __init__(self, websocket: web.WebSocketResponse, app_service: DashboardService) -> None:
        self.websocket = websocket
        self.app_service = app_service
        self._ending: asyncio.Task[None] | None = None

    async def end(self) -> None:
        """End the dashboard (see `end_dashboard`) and log what it left on its stderr; later calls wait for the first."""
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._end_and_report())
        await asyncio.shield(self._ending)

    async def _end_and_report(self) -> None:
        await end_dashboard(self.app_service)
        await self.app_service.stderr_reported()


async def end_dashboard(app_service: AppService) -> None:
    """Ask the dashboard to quit; SIGTERM it QUIT_GRACE seconds later if it has not, SIGKILL KILL_GRACE after that.

    A quit alone is not enough: a Textual app told to quit while two terminal sizes are still on their way
    (the browser left during start-up) can lay its screen out at each size in turn for ever, never
    yielding to its event loop (see docs/upstream/textual-serve-stuck-dashboard.md).
    """
    process = app_service._process  # textual-serve private: the only handle on the dashboard's process
    if process is None:
        return
    with suppress(asyncio.TimeoutError):  # stop() sends the quit; it returns once the browser can take no more
        await asyncio.wait_for(asyncio.gather(app_service.stop(), process.wait()), QUIT_GRACE)
    for sig, grace in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, None)):
        if process.returncode is not None:
            return
        with suppress(ProcessLookupError):
            process.send_signal(sig)
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), grace)


class DashboardServer(Server):
    """textual-serve's server, answering only its own page's origin, with the run's secret, up to `max_sessions`."""

    def __init__(self, command: str, *, host: str, port: int, public_url: str | None, secret: str,
                 max_sessions: int) -> None:
        super().__init__(command, host=host, port=port, title="mjtui", public_url=public_url,
                         templates_path=TEMPLATES)
        self.public_url = self.public_url.rstrip("/")
        self.origin = origin(self.public_url) or ""  # none (never, once checked): every browser is refused
        self.max_sessions = max_sessions
        self._secret = secret.encode()
        self._sessions: set[Session] = set()

    @property
    def page_url(self) -> str:
        """The address to open: it carries the secret, so it is printed once and never logged."""
        return f"{self.public_url}/?token={self._secret.decode()}"

    def initialize_logging(self) -> None:
        """One plain line per warning on stderr, and no access log: its lines would carry the secret."""
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("mjtui serve: %(message)s"))
        for name in ("mjtui.serve", "textual-serve", "aiohttp"):
            logger = logging.getLogger(name)
            logger.handlers[:] = [handler]
            logger.setLevel(logging.WARNING)
            logger.propagate = False

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()  # textual-serve private: its routes, statics and templates, built here
        app.middlewares.append(self._guard)
        app.router.add_get("/ws/{token}", self.handle_session, name="session")
        return app

    async def on_startup(self, app: web.Application) -> None:
        """Quiet: mjtui has said where it listens (textual-serve would print a banner and the command)."""

    async def on_shutdown(self, app: web.Application) -> None:
        """End every dashboard, then close the sockets, so stopping `serve` stops them all."""
        await asyncio.gather(*(session.end() for session in self._sessions))
        await asyncio.gather(*(session.websocket.close(code=WSCloseCode.GOING_AWAY) for session in self._sessions))

    @web.middleware
    async def _guard(self, request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        sent_origin = request.headers.get(hdrs.ORIGIN)
        if sent_origin is not None and sent_origin.lower() != self.origin:  # browsers always send one on a socket
            log.warning("refused a request from another origin: %s", clean(sent_origin, limit=120))
            response: web.StreamResponse = web.Response(status=403, text="mjtui serve: only its own page may connect")
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:  # a 404, a 405: raised on, as aiohttp wants, with our headers
                exc.headers.update(self._headers())
                raise
        if not response.prepared:  # a socket's answer has gone already
            response.headers.update(self._headers())
        return response

    def _headers(self) -> dict[str, str]:
        socket_origin = "ws" + self.origin.removeprefix("http")
        policy = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
                  f"img-src 'self' data:; connect-src 'self' {socket_origin}; base-uri 'none'; form-action 'none'; "
                  "frame-ancestors 'none'")
        return {"Referrer-Policy": "no-referrer", "Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "DENY", "Cache-Control": "no-store"}

    def _has_secret(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), self._secret)

    async def handle_index(self, request: web.Request) -> web.Response:
        """The page, for the URL with the secret; a 403 page that says what is missing otherwise."""
        if not self._has_secret(request.query.get("token")):
            log.warning("refused the page to a request without the secret")
            return web.Response(status=403, text=FORBIDDEN_PAGE, content_type="text/html")
        socket_url = "ws" + self.public_url.removeprefix("http") + f"/ws/{self._secret.decode()}"
        context = {"title": self.title, "static_url": f"{self.public_url}/static/", "socket_url": socket_url,
                   "font_size": bounded(request.query.get("fontsize", 16), 8, 48) or 16}
        return aiohttp_jinja2.render_template("index.html", request, context)

    async def handle_websocket(self, request: web.Request) -> web.Response:  # type: ignore[override]
        """textual-serve's socket without the secret: refused (the page uses `/ws/SECRET`)."""
        return web.Response(status=403, text=SECRET_REFUSED)

    async def handle_download(self, request: web.Request) -> web.Response:
        """mjtui delivers no files to the browser."""
        return web.Response(status=404, text="mjtui serve: no downloads")

    async def handle_session(self, request: web.Request) -> web.StreamResponse:
        """A dashboard for one browser tab, over the page's socket; refused without the secret or beyond the cap."""
        if not self._has_secret(request.match_info["token"]):
            log.warning("refused a socket without the secret")
            return web.Response(status=403, text=SECRET_REFUSED)
        websocket = web.WebSocketResponse(heartbeat=15)
        if not websocket.can_prepare(request).ok:  # a plain GET, a link followed: no slot is taken, no dashboard run
            return web.Response(status=400, text=NOT_A_SOCKET)
        if len(self._sessions) >= self.max_sessions:
            return await self._refuse_beyond_cap(request, websocket)
        async def close() -> None:
            await websocket.close()

        app_service = DashboardService(self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                                       close=close, download_manager=self.download_manager)
        session = Session(websocket, app_service)
        self._sessions.add(session)  # before any await: two sockets at once cannot both take the last place
        try:
            await websocket.prepare(request)
            size = terminal_size(request.query) or (80, 24)
            await app_service.start(*size)
            await relay(websocket, app_service, size)
        finally:
            await session.end()
            self._sessions.discard(session)
            if websocket.prepared:
                await websocket.close()
        return websocket

    async def _refuse_beyond_cap(self, request: web.Request, websocket: web.WebSocketResponse) -> web.StreamResponse:
        log.warning("refused a dashboard: %d open, the most allowed (--max-sessions)", self.max_sessions)
        await websocket.prepare(request)
        open_ = f"{self.max_sessions} dashboard{'s' if self.max_sessions > 1 else ''} open"
        await websocket.send_bytes(f"\r\nmjtui serve: {open_}, the most it runs at once (--max-sessions). Close one, "
                                   f"then reload this page.\r\n".encode())
        await websocket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too many dashboards")
        return websocket


async def relay(websocket: web.WebSocketResponse, app_service: AppService, size: tuple[int, int]) -> None:
    """Pass the browser's keys, sizes and focus to the dashboard until the browser goes; anything malformed is dropped.

    `size` is the one the dashboard started at.
    """
    last_size = size
    async for message in websocket:
        if message.type != WSMsgType.TEXT:
            continue
        kind, payload = envelope(message.data)
        if kind == "stdin" and isinstance(payload, str):
            await app_service.send_bytes(payload.encode("utf-8", "replace"))
        elif kind == "resize" and isinstance(payload, dict):
            wanted = terminal_size(payload)
            if wanted is not None and wanted != last_size:  # the same size again would only lay the screen out again
                last_size = wanted
                await app_service.set_terminal_size(*wanted)
        elif kind == "ping" and isinstance(payload, str):
            await websocket.send_json(["pong", payload[:32]])
        elif kind == "blur":
            await app_service.blur()
        elif kind == "focus":
            await app_service.focus()


def envelope(data: str) -> tuple[str | None, object]:
    """A browser message `[kind, payload]` as (kind, payload); (None, None) for anything else."""
    try:
        decoded = json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: brackets nested deeper than Python's stack
        return None, None
    if not isinstance(decoded, list) or not decoded or not isinstance(decoded[0], str):
        return None, None
    return decoded[0], decoded[1] if len(decoded) > 1 else None
