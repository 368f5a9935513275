"""`mjtui metrics`: the dashboard's poller with no one watching, its state served to Prometheus at /metrics.

The same `Poller` and providers as the dashboard, on the asyncio loop (`LoopTimers`), with the journal written as
the dashboard writes it (finished jobs recorded even when no dashboard is open) and the journal's leases shared
with any dashboard on the same file (`mjtui.lease`). An account halted by 401, 402 or 596 is polled again every
`HALTED_RETRY` seconds, since no one is there to press ctrl+r. No Textual.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import signal
import socket
from collections.abc import Coroutine, Iterable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from mjtui.clock import Clock
from mjtui.connections import Connection
from mjtui.lease import Leases
from mjtui.logs import log
from mjtui.metrics.families import Counted, Gauges
from mjtui.poller import AccountState, Answer, Final, Poller
from mjtui.store import Journal, JournalWriter
from mjtui.timers import Timers

HALTED_RETRY = 300.0  # seconds between polls of a halted account: its halt clears on its own once fixed
PROCESS = "mjtui metrics"


class MetricsExporter:
    """Every account polled, counted and journalled; `exposition()` is the /metrics page. The poller's host."""

    def __init__(self, connections: Iterable[Connection], *, clock: Clock, timers: Timers, refresh_seconds: float,
                 journal: Journal | None = None, leases: Leases | None = None, rng: random.Random | None = None) -> None:
        """`leases`: shared with other mjtui processes on the journal (see mjtui.lease); None polls every account here."""
        self.clock = clock
        self.timers = timers
        self.journal = journal
        self.accounts: dict[str, AccountState] = {}
        for connection in connections:
            connection.client.get_retries = 0  # the poll loop owns retries and their pace, as in the dashboard
            state = AccountState(connection.name, connection.provider, connection)
            if connection.account is not None:
                state.channel_names.update(connection.account.channels)
            self.accounts[connection.name] = state
        self.leases = leases
        self.writer = JournalWriter(journal, on_error=_journal_failed, clock=clock) if journal is not None else None
        self.poller = Poller(self, self.accounts, clock=clock, timers=timers, refresh_seconds=refresh_seconds,
                             rng=rng or random.Random(), leases=self.leases)
        self.registry = CollectorRegistry(auto_describe=True)
        self.counted = Counted(self.registry)
        self.registry.register(Gauges(self.accounts, self.leases))
        self.tasks: set[asyncio.Task[None]] = set()
        self._finals: dict[str, list[tuple[str, Any]]] = {}  # journalled with the account's next poll

    def start(self) -> None:
        """Poll every account now, then at the refresh interval; halted ones every HALTED_RETRY seconds."""
        self.poller.poll_all()
        self._retry = self.timers.every(HALTED_RETRY, self._poll_halted)

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """The /metrics page in the format the scraper asks for (`Accept`: OpenMetrics or Prometheus text)."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type

    async def close(self) -> None:
        """Stop polling, write what waits to the journal, give the leases up, close the connections."""
        self.poller.pause()
        self._retry.stop()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.writer is not None and self.journal is not None:
            for account, finals in self._finals.items():
                self.writer.submit(self.journal.record_finals, account, finals, self.clock.now())
            self.writer.close(timeout=5)
        if self.leases is not None:
            self.leases.release()
        for state in self.accounts.values():
            if state.connection is not None:
                await state.connection.aclose()

    def _poll_halted(self) -> None:
        for name, state in self.accounts.items():
            if state.status.health.halted:
                self.poller.poll(name)

    # -- the poller's host ----------------------------------------------------------------------------

    def run(self, work: Coroutine[Any, Any, None], description: str) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("metrics: a poller task failed", exc_info=task.exception())

    def answered(self, answer: Answer) -> None:
        state = self.accounts[answer.account]
        self.counted.polled(state, answer.error)
        if answer.snapshot is not None and self.writer is not None and self.journal is not None:
            rows = [row for rows in answer.snapshot.jobs.values() for row in rows.values()]
            self.writer.submit(self.journal.record_poll, answer.account, rows, self._finals.pop(answer.account, []),
                               self.clock.now())

    def finals(self, account: str, finals: list[Final]) -> None:
        self.counted.finals(self.accounts[account], finals)
        self._finals.setdefault(account, []).extend((final.job_id, final.job) for final in finals)

    def finals_done(self, account: str) -> None:
        """Nothing to announce: the counters already count each batch."""


def _journal_failed(error: BaseException) -> None:
    log.error("metrics: journal write failed", exc_info=error)


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address, no port) is this machine's loopback."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


def host_allowed(host_header: str | None, loopback_only: bool) -> bool:
    """Whether a request naming `host_header` may be answered: on a loopback socket, only a loopback name or address,
    so a web page whose name an attacker rebinds to 127.0.0.1 (DNS rebinding) never reads the page."""
    if not loopback_only:
        return True
    try:
        name = urlsplit(f"//{(host_header or '').strip()}").hostname
    except ValueError:  # a malformed [ipv6] literal
        return False
    return name is not None and is_loopback(name)


async def serve(exporter: MetricsExporter, sock: socket.socket) -> web.AppRunner:
    """Serve /metrics on `sock` (bound); the runner's `cleanup()` stops it. On a loopback socket, a request whose
    Host is not loopback is refused (421), so a browser's page cannot read it by rebinding its name."""
    loopback_only = is_loopback(str(sock.getsockname()[0]))

    @web.middleware
    async def own_host(request: web.Request, handler: Any) -> web.StreamResponse:
        if not host_allowed(request.headers.get("Host"), loopback_only):
            return web.Response(status=421, text="mjtui metrics answers only to loopback names (localhost, 127.0.0.1)\n")
        return await handler(request)

    async def metrics(request: web.Request) -> web.Response:
        body, content_type = exporter.exposition(request.headers.get("Accept"))
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def index(request: web.Request) -> web.Response:
        return web.Response(text="mjtui metrics: scrape /metrics\n")

    app = web.Application(middlewares=[own_host])
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/", index)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner


async def run_until_stopped(exporter: MetricsExporter, sock: socket.socket) -> None:
    """Poll and serve until SIGTERM or SIGINT, then stop cleanly (the journal written, the leases given up)."""
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopped.set)
    runner = await serve(exporter, sock)
    exporter.start()
    try:
        await stopped.wait()
    finally:
        await runner.cleanup()
        await exporter.close()
