"""Timers the dashboard schedules its polls and ticks with, swappable for tests.

In the app they are Textual timers; headless (`mjtui metrics`), the asyncio loop's. In tests `ManualTimers` holds them until
the test advances the injected clock and calls `fire_due()`: polls, back-off
and the elapsed tick all run on simulated time, with no sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
from collections.abc import Callable
from typing import Any, Protocol

from mjtui.clock import ManualClock

Callback = Callable[[], Any]


class TimerHandle(Protocol):
    def stop(self) -> None: ...


class Timers(Protocol):
    def call_later(self, delay: float, callback: Callback) -> TimerHandle: ...

    def every(self, interval: float, callback: Callback) -> TimerHandle: ...


class TextualTimers:
    """Real timers on the app's message pump; `speed` shortens them when the clock runs fast."""

    def __init__(self, app: Any, speed: float = 1.0) -> None:
        self.app = app
        self.speed = speed

    def call_later(self, delay: float, callback: Callback) -> TimerHandle:
        return self.app.set_timer(max(0.0, delay) / self.speed, callback)

    def every(self, interval: float, callback: Callback) -> TimerHandle:
        return self.app.set_interval(interval / self.speed, callback)


class LoopTimers:
    """Timers on the running asyncio loop, for what runs without Textual (`mjtui metrics`); `speed` as TextualTimers."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed

    def call_later(self, delay: float, callback: Callback) -> TimerHandle:
        return _LoopTimer(max(0.0, delay) / self.speed, callback, repeat=False)

    def every(self, interval: float, callback: Callback) -> TimerHandle:
        return _LoopTimer(interval / self.speed, callback, repeat=True)


class _LoopTimer:
    def __init__(self, delay: float, callback: Callback, *, repeat: bool) -> None:
        self.delay = delay
        self.callback = callback
        self.repeat = repeat
        self._handle = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        if self.repeat:
            self._handle = asyncio.get_running_loop().call_later(self.delay, self._fire)
        self.callback()

    def stop(self) -> None:
        self._handle.cancel()


class _ManualHandle:
    def __init__(self, callback: Callback, repeat: float | None) -> None:
        self.callback: Callback | None = callback
        self.repeat = repeat

    @property
    def stopped(self) -> bool:
        return self.callback is None

    def stop(self) -> None:
        self.callback = None  # as a Textual timer does: what it would have called is not kept alive


class ManualTimers:
    """Timers that fire only when a test says so, at the injected clock's time."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self._queue: list[tuple[float, int, _ManualHandle]] = []
        self._seq = 0

    def _push(self, when: float, handle: _ManualHandle) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (when, self._seq, handle))

    def call_later(self, delay: float, callback: Callback) -> TimerHandle:
        handle = _ManualHandle(callback, None)
        self._push(self.clock.now() + max(0.0, delay), handle)
        return handle

    def every(self, interval: float, callback: Callback) -> TimerHandle:
        handle = _ManualHandle(callback, interval)
        self._push(self.clock.now() + interval, handle)
        return handle

    def pending(self) -> list[float]:
        """Delays from now of the timers still waiting, soonest first."""
        now = self.clock.now()
        return sorted(when - now for when, _, handle in self._queue if not handle.stopped)

    async def fire_due(self) -> int:
        """Run every timer due by the clock's present, in order; return how many ran."""
        fired = 0
        now = self.clock.now()
        while self._queue and self._queue[0][0] <= now:
            when, _, handle = heapq.heappop(self._queue)
            callback = handle.callback
            if callback is None:
                continue
            if handle.repeat is not None:
                self._push(when + handle.repeat, handle)
            result = callback()
            if inspect.isawaitable(result):
                await result
            fired += 1
        return fired


