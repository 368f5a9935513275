"""Driving the dashboard as a user does, on the manual clock: build it, let its workers settle, move time, read the screen.

Time moves only when a test says so (`advance`: `clock.advance` + `timers.fire_due`); nothing sleeps.
`wire` records (and can hold) every request the dashboard sends to the simulator.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

from mjtui.clock import ManualClock
from mjtui.connections import Connection, demo_connection
from mjtui.providers import open_provider
from mjtui.sim import SIM_ORIGIN, Simulator
from mjtui.sim.proxy import ProxySimulator
from mjtui.timers import ManualTimers
from mjtui.tui.account_header import AccountHeader, Banner
from mjtui.tui.app import MjtuiApp, make_app
from mjtui.tui.channel_pane import ChannelPane
from mjtui.tui.panels import FinishedTable
from mjtui.tui.rows import RowTable

LIST = ("GET", "/v3/midjourney/jobs")
SIZE = (120, 40)


def make_dashboard(sim: Simulator, clock: ManualClock, accounts: list[str] | None = None,
                   **options) -> tuple[MjtuiApp, ManualTimers]:
    """The dashboard on `sim`'s accounts with hand-driven time: returns (app, timers).

    Advance time with `clock.advance(s)` then `await timers.fire_due()` and `await pilot.pause()`.
    """
    timers = ManualTimers(clock)
    names = accounts or list(sim.world.accounts)
    connections = [demo_connection(sim, name) for name in names]
    options.setdefault("rng", random.Random(0))
    app = make_app(connections, clock=clock, timers=timers, **options)
    return app, timers


def make_gateway_dashboard(gateway: ProxySimulator, clock: ManualClock, *, name: str = "pool", flavor: str | None = None,
                           token: str | None = None, **options) -> tuple[MjtuiApp, ManualTimers]:
    """The dashboard on one midjourney-proxy account served by `gateway` (its dialect detected unless `flavor`),
    with its admin token unless `token`."""
    timers = ManualTimers(clock)
    token = token or gateway.admin_token
    service = open_provider("midjourney-proxy", name, token, SIM_ORIGIN, transport=gateway.transport(), flavor=flavor)
    options.setdefault("rng", random.Random(0))
    app = make_app([Connection(name, service, secret=token)], clock=clock, timers=timers, **options)
    return app, timers


# -- the wire, seen from the service's side --------------------------------------------------------


@dataclass
class Wire:
    """Every API request the dashboard sent, and a gate that can hold requests in flight."""

    sim: Simulator
    log: list[tuple[str, str, str, str]] = field(default_factory=list)  # method, path, jobid, token
    held: set[tuple[str, str]] = field(default_factory=set)  # (method, path prefix) to hold
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    def count(self, method: str, path: str, *, token: str | None = None, jobid: str | None = None) -> int:
        return sum(
            1 for m, p, j, t in self.log
            if m == method and p.startswith(path) and (token is None or t == token) and (jobid is None or j == jobid)
        )

    def lists(self, account: str | None = None) -> int:
        token = self.sim.token(account) if account else None
        return sum(1 for m, p, _, t in self.log if (m, p) == LIST and (token is None or t == token))

    def hold(self, method: str, path: str) -> None:
        self.gate.clear()
        self.held.add((method, path))

    def release(self) -> None:
        self.held.clear()
        self.gate.set()


def wire(sim: Simulator) -> Wire:
    """Record (and optionally hold) every request the dashboard sends to `sim`."""
    recorder = Wire(sim)
    recorder.gate.set()
    inner = sim.app

    async def app(scope, receive, send):
        if scope["type"] == "http" and not scope["path"].startswith("/attachments/"):
            headers = dict(scope.get("headers") or [])
            token = headers.get(b"authorization", b"").decode().removeprefix("Bearer ")
            jobid = parse_qs(scope.get("query_string", b"").decode()).get("jobid", [""])[0]
            recorder.log.append((scope["method"], scope["path"], jobid, token))
            if any(scope["method"] == m and scope["path"].startswith(p) for m, p in recorder.held):
                await recorder.gate.wait()
        await inner(scope, receive, send)

    sim.app = app  # demo_connection builds its transport from sim.app, so build the dashboard after this
    return recorder


# -- driving ---------------------------------------------------------------------------------------


async def settle(pilot, *, workers: bool = True) -> None:
    """Let workers (polls, fetches, actions) and the messages they post finish.

    `pause(0)` drains every widget's message queue without waiting for the CPU to go idle.
    With `workers=False` (a request is held on the wire) workers are given a few turns only.
    """
    app = pilot.app
    await pilot.pause(0)
    for _ in range(8):
        busy = [w for w in app.workers if not w.is_finished]
        if not busy:
            break
        if workers:
            await app.workers.wait_for_complete(busy)
        else:
            for _ in range(20):
                await asyncio.sleep(0)
        await pilot.pause(0)
        if not workers:
            break
    await pilot.pause(0)


async def advance(pilot, clock: ManualClock, timers: ManualTimers, seconds: float, *,
                  step: float = 5.0, workers: bool = True) -> None:
    """Move simulated time forward in steps (ticks missed in a step all fire), firing every timer that falls due."""
    remaining = seconds
    while remaining > 1e-9:
        delta = min(step, remaining)
        clock.advance(delta)
        await timers.fire_due()
        await settle(pilot, workers=workers)
        remaining -= delta


async def focus(pilot, predicate: Callable[[object], bool], limit: int = 12) -> None:
    """Press tab until the focused widget satisfies `predicate` (as a user would)."""
    for _ in range(limit):
        if predicate(pilot.app.focused):
            return
        await pilot.press("tab")
    raise AssertionError(f"tab never reached the wanted widget (focused: {pilot.app.focused!r})")


async def focus_pane(pilot, channel_id: str) -> ChannelPane:
    await focus(pilot, lambda w: isinstance(w, ChannelPane) and w.channel_id == channel_id)
    return pilot.app.focused


async def focus_finished(pilot) -> FinishedTable:
    await focus(pilot, lambda w: isinstance(w, FinishedTable))
    return pilot.app.focused


# -- reading the screen ----------------------------------------------------------------------------


def plain(widget: Static) -> str:
    """The text a Static widget shows, without its styles."""
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


def toasts(app: MjtuiApp) -> list[str]:
    """What the app has said, as `title: text` (the notifications log: a toast on screen is the newest's first line)."""
    return [f"{n.title}: {n.text}" for n in app.notices]


def header_text(app: MjtuiApp, account: str = "main") -> str:
    """An account's header line: `● main  useapi  live  polled 3s ago · 41 ms · 0 errors · every 10s`."""
    return plain(app.dashboard.section(account).query_one(AccountHeader))


def banner(app: MjtuiApp, account: str = "main") -> Banner:
    """The banner under an account's header (shown when it has the `-visible` class)."""
    return app.dashboard.section(account).query_one(Banner)


def panes(app: MjtuiApp) -> dict[str, ChannelPane]:
    """Every channel's pane on the screen, whichever its account, by channel id."""
    return {pane.channel_id: pane for pane in app.query(ChannelPane)}


def account_panes(app: MjtuiApp, account: str = "main") -> dict[str, ChannelPane]:
    """The panes of one account's channels, by channel id."""
    return {pane.channel_id: pane for pane in app.dashboard.section(account).query(ChannelPane)}


def cursor_id(table: RowTable) -> str:
    """The id of the job under the table's cursor."""
    return str(table.cursor_key)


def finished_status(app: MjtuiApp, jobid: str) -> str:
    """The status Recently finished shows for a job."""
    return app.query_one(FinishedTable).get_cell(jobid, "status").plain


def screen_text(app: MjtuiApp) -> str:
    """The whole screen as a terminal that repainted it all would now show it, drawn from Textual's caches."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


# -- scenarios -------------------------------------------------------------------------------------


@dataclass
class Quiet:
    """A simulator with no simulated user: two channels of 3 slots, jobs submitted by the test."""

    sim: Simulator
    full: str  # channel id with 3/3 running
    other: str  # channel id with 1/3 running
    jobs: list[str]  # the full channel's jobs, oldest first
    lone: str  # the other channel's job


def quiet(make_sim, *, max_jobs: int = 3, **options) -> Quiet:
    """Three jobs on one channel (full at 3 slots) and one on the other, on a simulator with no simulated user."""
    sim = make_sim(channels=2, autopilot=False, max_jobs=max_jobs, fail_rate=0.0, moderation_rate=0.0, **options)
    world = sim.world
    account = world.accounts["main"]
    full, other = account.channels
    jobs = []
    for prompt in ("a red fox in snow", "a blue whale at dawn", "a green owl at dusk"):
        jobs.append(world.submit(account, prompt, full).jobid)
        world.clock.advance(1)  # type: ignore[attr-defined]
        world.advance()
    lone = world.submit(account, "a lone lighthouse", other).jobid
    return Quiet(sim, full, other, jobs, lone)


def finish_time(sim: Simulator, jobid: str) -> float:
    """Simulated seconds until a job finishes on the service."""
    return sim.world.jobs[jobid].finish_at - sim.world.clock.now()


async def finished_and_selected(pilot, q: Quiet, clock: ManualClock, timers: ManualTimers) -> FinishedTable:
    """Let the lone job complete, then tab to it in Recently finished."""
    await settle(pilot)
    await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 10)
    table = await focus_finished(pilot)
    assert cursor_id(table) == q.lone and finished_status(pilot.app, q.lone) == "completed"
    return table


async def inspect_finished(pilot, q: Quiet, clock: ManualClock, timers: ManualTimers) -> Screen:
    """Let the lone job complete, then open it in the inspector from Recently finished (enter)."""
    await finished_and_selected(pilot, q, clock, timers)
    await pilot.press("enter")
    await settle(pilot)
    return pilot.app.screen


async def footer_line(pilot) -> str:
    """The footer's line, once it has composed its keys (a refresh or two after the bindings are known)."""
    for _ in range(5):
        await pilot.pause()
    return screen_text(pilot.app).splitlines()[-1]
