"""Clocks: the one source of "now" for the simulator, the poller and the CLI.

Everything that needs time takes a `Clock`, so tests drive time by hand and
the demo can run the simulated service faster than real time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """A source of wall-clock time, in seconds since the epoch."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """Time that moves only when told to: `advance()` it from a test.

    `sleep()` does not wait; it moves the clock forward by the requested
    amount, so code that backs off or polls finishes at once in tests while
    still seeing time pass.
    """

    def __init__(self, start: float | datetime = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)) -> None:
        self._now = start.timestamp() if isinstance(start, datetime) else float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds
        return self._now

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


class ScaledClock:
    """Real time sped up by `speed` from a starting instant (the demo's clock)."""

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._origin = time.time() if start is None else start
        self._mono0 = time.monotonic()

    def now(self) -> float:
        return self._origin + (time.monotonic() - self._mono0) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


def iso_utc(epoch: float) -> str:
    """Format as the service does: `YYYY-MM-DDTHH:mm:ss.sssZ`."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(value: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp from the API, or None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
