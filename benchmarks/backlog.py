"""The final-state backlog with the service far away: do the detail GETs keep up with jobs leaving?

The large scenario (about 190 jobs leaving per 10 s poll over 4 accounts), in-process, each answer
held back `latency` seconds of real time as `mjtui sim --latency` holds it (`Distant`), and the
simulated clock moved one refresh interval every `interval` real seconds: between two polls the
detail GETs have the real time they would have against a distant service. The backlog is counted
from outside the dashboard: jobs that left the list (each poll's list against the last) less the
detail GETs answered and the jobs the dashboard gave up on (over its cap, shown as not fetched).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks.harness import DETAIL, SIZE, Session, median, session
from benchmarks.report import Row
from benchmarks.scenarios import LARGE
from mjtui.clock import ManualClock
from mjtui.monitor.finals import FINAL_BACKLOG_CAP
from mjtui.sim.server import Distant

SAMPLE_EVERY = 0.05  # real seconds between looks at the backlog
REFRESH = 10.0  # the dashboard's interval (simulated seconds)
MEASURE = "final-state backlog with a distant service"


@dataclass
class Answered:
    """ASGI middleware counting detail GETs once answered, and how many were in flight at once."""

    app: Any
    done: int = 0
    in_flight: int = 0
    most_in_flight: int = 0

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        detail = scope["type"] == "http" and scope["method"] == DETAIL[0] and scope["path"].startswith(DETAIL[1])
        if not detail:
            await self.app(scope, receive, send)
            return
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self.done += 1


@dataclass
class Departures:
    """Jobs that left each account's list so far, seen by comparing each new snapshot with the last."""

    seen: dict[str, object] = field(default_factory=dict)  # account -> the last snapshot looked at
    ids: dict[str, set[str]] = field(default_factory=dict)
    left: int = 0

    def look(self, s: Session) -> None:
        for name in s.accounts:
            snapshot = s.app.accounts[name].snapshot
            if snapshot is None or self.seen.get(name) is snapshot:
                continue
            now = {job_id for rows in snapshot.jobs.values() for job_id in rows}
            self.left += len(self.ids.get(name, set()) - now)
            self.seen[name], self.ids[name] = snapshot, now


def given_up(s: Session) -> int:
    """Jobs the dashboard dropped from a full backlog (0 for a dashboard without one)."""
    return sum(getattr(getattr(state, "finals", None), "given_up", 0) for state in s.app.accounts.values())


async def final_backlog(polls: int, latency: float, interval: float) -> list[Row]:
    """`polls` polls of the large scenario with the service `latency` s away, one every `interval` real seconds."""
    clock = ManualClock()
    sim = LARGE.build(clock)
    answered = Answered(Distant(sim.app, latency))
    sim.app = answered
    s = session(sim, clock, refresh=REFRESH)
    departures = Departures()
    samples: list[int] = []
    at_poll: list[int] = []  # the backlog as each poll starts: what the last interval left undone
    drained: list[float] = []  # real seconds from each poll until nothing waited, for polls whose backlog emptied
    started = time.perf_counter()
    async with s.app.run_test(size=SIZE):
        while not all(s.app.accounts[name].snapshot for name in s.accounts):
            await asyncio.sleep(SAMPLE_EVERY)
        departures.look(s)
        for _ in range(polls):
            at_poll.append(departures.left - answered.done - given_up(s))
            s.clock.advance(REFRESH)
            await s.timers.fire_due()
            polled_at = time.perf_counter()
            busy = False
            while time.perf_counter() < polled_at + interval:
                await asyncio.sleep(SAMPLE_EVERY)
                departures.look(s)
                samples.append(departures.left - answered.done - given_up(s))
                if samples[-1] > 0:
                    busy = True
                elif busy:
                    drained.append(time.perf_counter() - polled_at)
                    busy = False
    seconds = time.perf_counter() - started
    return [backlog_row(polls, latency, interval, samples, at_poll, drained, departures.left, answered, given_up(s),
                        seconds, len(s.accounts))]


def backlog_row(polls: int, latency: float, interval: float, samples: list[int], at_poll: list[int], drained: list[float],
                left: int, answered: Answered, dropped: int, seconds: float, accounts: int) -> Row:
    most = max(samples, default=0)
    per_poll = left / max(1, polls)
    # Not growing: when a poll starts, less than one poll's departures still waits.
    keeps_up = bool(at_poll) and max(at_poll[1:], default=0) < per_poll
    bounded = most <= FINAL_BACKLOG_CAP * accounts
    away = latency * REFRESH / interval  # as far as a service answering `away` s late with real 10 s polls
    scaled = "" if interval == REFRESH else f" (time scaled: {latency:g} s and a poll every {interval:g} s of real time)"
    emptied = f"emptied {median(drained):.1f} s after a poll (median)" if drained else "never emptied"
    return Row(
        MEASURE, "large", most, "jobs",
        f"{away:g} s away: max {most} jobs; as each poll starts {at_poll[-1] if at_poll else 0} "
        f"(worst {max(at_poll, default=0)}); {emptied}; {left} left, {answered.done} fetched, {dropped} given up",
        f"<= {FINAL_BACKLOG_CAP}/account, not growing", bounded and keeps_up,
        note=(f"{polls} polls, ~{per_poll:.0f} jobs leaving per poll over {accounts} accounts, each answer held "
              f"back{scaled}; at most {answered.most_in_flight} detail GETs in flight at once; {seconds:.0f} s"),
        details={"max_backlog": most, "at_poll": at_poll, "left": left, "fetched": answered.done, "given_up": dropped,
                 "left_per_poll": round(per_poll, 1), "most_in_flight": answered.most_in_flight,
                 "drained_after_s": [round(x, 2) for x in drained],
                 "cap_per_account": FINAL_BACKLOG_CAP, "accounts": accounts, "latency": latency, "interval": interval},
    )
