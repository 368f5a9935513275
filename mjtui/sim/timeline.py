"""Deterministic discrete-event time, shared by the simulated services.

Nothing happens on its own: `advance()` runs, in time order, the events that
fell due up to the injected clock's present. With a `ManualClock` the same
calls give the same answers, so tests never sleep.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from mjtui.clock import Clock


class Timeline:
    """A simulated world's present and its pending events; subclasses schedule their own."""

    def __init__(self, clock: Clock, start: float) -> None:
        self.clock = clock
        self._now = start
        self._events: list[tuple[float, int, Callable[[Any], None], Any]] = []
        self._seq = 0

    @property
    def now(self) -> float:
        return self._now

    def advance(self) -> float:
        """Run every event due up to the clock's present; return the present."""
        target = max(self.clock.now(), self._now)
        while self._events and self._events[0][0] <= target:
            when, _, action, arg = heapq.heappop(self._events)
            self._now = max(self._now, when)
            action(arg)
        self._now = target
        return target

    def _schedule(self, when: float, action: Callable[[Any], None], arg: Any) -> None:
        self._seq += 1
        heapq.heappush(self._events, (when, self._seq, action, arg))
