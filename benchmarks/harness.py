"""Driving the dashboard headless on simulated time, and watching what it costs.

`Session` is the dashboard on an in-process simulator with a `ManualClock`:
polls fire when the benchmark advances the clock, the once-a-second tick only
when it calls `tick()`, so each cost is measured on its own. `Wire` records
every request the service receives. `FrameProbe` times the UI thread's own
work: message handlers and the frames Textual paints.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from textual.app import App
from textual.screen import Screen

from mjtui.clock import ManualClock
from mjtui.connections import demo_connection
from mjtui.sim import Simulator
from mjtui.timers import ManualTimers
from mjtui.tui.app import MjtuiApp, make_app
from mjtui.tui.dashboard import DashboardScreen

SIZE = (120, 40)
LIST = ("GET", "/v3/midjourney/jobs")
DETAIL = ("GET", "/v2/jobs")


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank), so a handful of samples is not averaged away."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- the wire -----------------------------------------------------------------------------------------


@dataclass
class Wire:
    """Every API request the simulator answered: (method, path, jobid, token)."""

    log: list[tuple[str, str, str, str]] = field(default_factory=list)

    def mark(self) -> int:
        return len(self.log)

    def since(self, mark: int) -> list[tuple[str, str, str, str]]:
        return self.log[mark:]

    @staticmethod
    def count(entries: list[tuple[str, str, str, str]], method: str, path: str, token: str | None = None) -> int:
        return sum(1 for m, p, _, t in entries if m == method and p.startswith(path) and (token is None or t == token))


def wire(sim: Simulator) -> Wire:
    """Record every request `sim` receives; call before building the dashboard's connections."""
    recorder = Wire()
    inner = sim.app

    async def app(scope, receive, send):  # noqa: ANN001 - ASGI
        if scope["type"] == "http" and not scope["path"].startswith("/attachments/"):
            headers = dict(scope.get("headers") or [])
            token = headers.get(b"authorization", b"").decode().removeprefix("Bearer ")
            jobid = parse_qs(scope.get("query_string", b"").decode()).get("jobid", [""])[0]
            recorder.log.append((scope["method"], scope["path"], jobid, token))
        await inner(scope, receive, send)

    sim.app = app
    return recorder


# -- timers --------------------------------------------------------------------------------------------


class BenchTimers(ManualTimers):
    """ManualTimers whose repeating timers (the elapsed tick) run only when `tick()` is called.

    Polls and back-off still fall due with the clock; the tick is kept apart so a
    poll's cost and a tick's cost are measured separately.
    """

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self.repeating: list[Callable[[], Any]] = []

    def every(self, interval: float, callback: Callable[[], Any]):  # noqa: ANN201
        self.repeating.append(callback)
        return super().call_later(10**9, lambda: None)  # a handle; never due

    async def tick(self) -> None:
        for callback in self.repeating:
            result = callback()
            if asyncio.iscoroutine(result):
                await result


# -- the UI thread's work ------------------------------------------------------------------------------


class FrameProbe:
    """Times the UI thread's work: chosen app message handlers, and every frame Textual paints.

    A frame is `Screen._on_timer_update` (layout, compositing); headless Textual
    skips encoding the frame for the terminal, so the probe encodes it too
    (`render_segments`), as a terminal run would. Installed on the classes for
    the life of a `with probe.installed():` block.
    """

    HANDLERS = ("on_poll_done", "on_final_state")

    def __init__(self) -> None:
        self.busy: list[tuple[str, float, float]] = []  # (kind, start, end)
        self.seen: list[tuple[float, float, object]] = []  # frames: (start, end, what `observe` said at the start)
        self.observe: Callable[[], object] | None = None
        self.frame_done = asyncio.Event()
        self.frames = 0
        self.bytes = 0
        self.collections: list[tuple[int, float, float]] = []  # the cyclic GC's passes: (generation, start, end)
        self._gc_start = 0.0

    @contextmanager
    def installed(self) -> Iterator[FrameProbe]:
        probe = self
        originals: list[tuple[type, str, Any]] = []

        def patch(cls: type, name: str, wrapper: Any) -> None:
            originals.append((cls, name, cls.__dict__[name]))
            setattr(cls, name, wrapper)

        timer_update = Screen._on_timer_update

        def on_timer_update(screen: Screen) -> None:
            observed = probe.observe() if probe.observe is not None else None
            start = time.perf_counter()
            timer_update(screen)
            end = time.perf_counter()
            probe.busy.append(("frame", start, end))
            probe.seen.append((start, end, observed))
            probe.frames += 1
            probe.frame_done.set()

        display = App._display

        def display_wrapper(app: App, screen: Screen, renderable: Any) -> None:
            display(app, screen, renderable)
            if renderable is not None and app.is_headless and hasattr(renderable, "render_segments"):
                probe.bytes += len(renderable.render_segments(app.console).encode())

        def on_collection(phase: str, info: dict[str, Any]) -> None:
            if phase == "start":
                probe._gc_start = time.perf_counter()
            else:
                probe.collections.append((info["generation"], probe._gc_start, time.perf_counter()))

        patch(Screen, "_on_timer_update", on_timer_update)
        patch(App, "_display", display_wrapper)
        for name in self.HANDLERS:
            patch(DashboardScreen, name, self._timed(name, DashboardScreen.__dict__[name]))
        gc.callbacks.append(on_collection)
        try:
            yield self
        finally:
            gc.callbacks.remove(on_collection)
            for cls, name, original in reversed(originals):
                setattr(cls, name, original)

    def forget(self) -> None:
        """Drop every record kept so far (handlers, frames, the GC's passes); the counters carry on.

        A long run (the memory measure) calls this at each sample: one record per GC pass is
        ~120 bytes, 1,400-1,900 passes a simulated hour of churn, which is the probe's memory,
        not the dashboard's.
        """
        self.busy.clear()
        self.seen.clear()
        self.collections.clear()

    def full_collections(self, since: float = 0.0) -> list[float]:
        """Seconds each full (generation 2) collection of the cyclic GC took since `since`."""
        return [end - start for generation, start, end in self.collections if generation == 2 and start >= since]

    def _timed(self, name: str, handler: Any) -> Any:
        probe = self
        if asyncio.iscoroutinefunction(handler):
            async def timed_async(app: DashboardScreen, message: Any) -> None:
                start = time.perf_counter()
                await handler(app, message)
                probe.busy.append((name, start, time.perf_counter()))
            return timed_async

        def timed(app: DashboardScreen, message: Any) -> None:
            start = time.perf_counter()
            handler(app, message)
            probe.busy.append((name, start, time.perf_counter()))
        return timed

    def mark(self) -> int:
        return len(self.busy)

    def work_since(self, mark: int, kinds: tuple[str, ...] | None = None) -> float:
        """Seconds the UI thread spent in handlers and frames since `mark`."""
        return sum(end - start for kind, start, end in self.busy[mark:] if kinds is None or kind in kinds)

    async def next_frame_after(self, moment: float, timeout: float = 5.0,
                               wanted: Callable[[object], bool] | None = None) -> float:
        """Wait for a frame that began after `moment` (and, with `wanted`, whose observation it accepts).

        Return when that frame ended.
        """
        deadline = time.perf_counter() + timeout
        while True:
            for start, end, observed in self.seen:
                if start >= moment and (wanted is None or wanted(observed)):
                    return end
            self.seen = [frame for frame in self.seen if frame[0] >= moment]
            self.frame_done.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError("no frame was painted")
            try:
                await asyncio.wait_for(self.frame_done.wait(), remaining)
            except TimeoutError:
                raise TimeoutError("no frame was painted") from None


# -- the dashboard on simulated time -------------------------------------------------------------------


@dataclass
class Session:
    """A simulator, the dashboard on all its accounts, and the clock, timers and wire that drive them."""

    sim: Simulator
    clock: ManualClock
    timers: BenchTimers
    wire: Wire
    app: MjtuiApp
    refresh: float

    @property
    def accounts(self) -> list[str]:
        return [name for name, account in self.sim.world.accounts.items() if account.provider == "useapi"]

    def running(self) -> int:
        return sum(len(channel.running) for channel in self.sim.world.channels.values())


def session(sim: Simulator, clock: ManualClock, *, refresh: float = 10.0, journal_dir: str | None = None) -> Session:
    """The dashboard on every account of `sim`; with `journal_dir`, keeping its journal there as the real app does."""
    recorder = wire(sim)
    timers = BenchTimers(clock)
    connections = [demo_connection(sim, name) for name in sim.world.accounts]
    options: dict[str, Any] = {}
    if journal_dir is not None and "journal" in inspect.signature(MjtuiApp.__init__).parameters:
        from mjtui.store import Journal

        options["journal"] = Journal(f"{journal_dir}/journal.sqlite3", clock=clock)
    app = make_app(connections, clock=clock, timers=timers, refresh_seconds=refresh, rng=random.Random(0), **options)
    return Session(sim, clock, timers, recorder, app, refresh)


async def settle(pilot: Any) -> None:
    """Let every worker (polls, final fetches, the inspector's fetch) and the messages they post finish."""
    app = pilot.app
    await pilot._wait_for_screen()
    for _ in range(20):
        busy = [worker for worker in app.workers if not worker.is_finished]
        if not busy:
            break
        await app.workers.wait_for_complete(busy)
        await pilot._wait_for_screen()
    await pilot._wait_for_screen()


async def painted(pilot: Any, probe: FrameProbe, *, now: bool = False) -> None:
    """Settle, then wait for the frame that shows the result (if anything was left to paint).

    With `now`, paint at once as `Pilot.pause()` does, rather than wait for Textual's frame timer.
    """
    await settle(pilot)
    screen = pilot.app.screen
    if screen._layout_required or screen._repaint_required or screen._dirty_widgets:
        if now:
            screen._on_timer_update()
        else:
            await probe.next_frame_after(time.perf_counter() - 1e-9)
    await asyncio.sleep(0)


async def poll_round(s: Session, pilot: Any, probe: FrameProbe) -> tuple[float, int, list]:
    """Advance one refresh interval: every account polls once. Return (UI work in s, running jobs, requests)."""
    mark, wire_mark = probe.mark(), s.wire.mark()
    s.clock.advance(s.refresh)
    await s.timers.fire_due()
    await painted(pilot, probe)
    return probe.work_since(mark), s.running(), s.wire.since(wire_mark)


def elapsed_ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
