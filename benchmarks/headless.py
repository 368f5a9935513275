"""Measures taken in-process, headless, on simulated time: requests, per-poll UI work, key presses, memory.

Every session runs the real dashboard (`make_app`) against the in-process
simulator through the real client; only time is simulated. The UI thread's work
is timed by `FrameProbe`: message handlers plus the frames Textual paints,
encoded for a terminal as a real run would (headless Textual skips that step).
"""

from __future__ import annotations

import asyncio
import gc
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from textual import events

from benchmarks.harness import (
    DETAIL,
    LIST,
    SIZE,
    FrameProbe,
    Session,
    median,
    p95,
    painted,
    poll_round,
    session,
    settle,
)
from benchmarks.report import Row
from benchmarks.scenarios import CHURN, LARGE, Scenario
from mjtui.clock import ManualClock
from mjtui.tui.channel_pane import ChannelPane
from mjtui.tui.inspector import InspectorScreen

KEY_CHARS = {"down": None, "up": None, "enter": "\r", "escape": "\x1b"}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# -- requests per poll -----------------------------------------------------------------------------------


@dataclass
class WireCheck:
    """Each poll round's requests against the rule: 1 list GET per account, a detail GET per job that left."""

    accounts: int
    rounds: int = 0
    exact: int = 0
    lists: list[int] = field(default_factory=list)
    details: list[int] = field(default_factory=list)
    left: list[int] = field(default_factory=list)
    running: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def check(self, s: Session, before: dict[str, set[str]], after: dict[str, set[str]], requests: list) -> None:
        self.rounds += 1
        tokens = {s.sim.token(name): name for name in s.accounts}
        lists = Counter(tokens.get(token, "?") for method, path, _, token in requests if (method, path) == LIST)
        details = Counter(jobid for method, path, jobid, _ in requests if method == DETAIL[0] and path.startswith(DETAIL[1]))
        others = [r for r in requests if (r[0], r[1]) != LIST and not (r[0] == DETAIL[0] and r[1].startswith(DETAIL[1]))]
        left = set().union(*(before[name] - after[name] for name in s.accounts))
        ok = True
        if any(lists[name] != 1 for name in s.accounts) or set(lists) - set(s.accounts):
            ok = False
            self.problems.append(f"round {self.rounds}: list GETs per account {dict(lists)}")
        if set(details) != left or any(count != 1 for count in details.values()):
            ok = False
            self.problems.append(f"round {self.rounds}: {sum(details.values())} detail GETs for {len(left)} jobs that left")
        if others:
            ok = False
            self.problems.append(f"round {self.rounds}: unexpected requests {others[:3]}")
        self.exact += ok
        self.lists.append(sum(lists.values()))
        self.details.append(sum(details.values()))
        self.left.append(len(left))
        self.running.append(sum(len(ids) for ids in after.values()))

    def row(self, scenario: str, what: str) -> Row:
        passed = self.rounds > 0 and self.exact == self.rounds
        mean_details = sum(self.details) / max(1, len(self.details))
        mean_running = sum(self.running) / max(1, len(self.running))
        shown = (f"{self.accounts} list ({self.accounts} acct) + {mean_details:.1f} detail (= jobs that left) "
                 f"for {mean_running:.0f} jobs; {self.exact}/{self.rounds} polls exact")
        return Row(
            measure=f"API requests per poll ({what})", scenario=scenario,
            value=self.accounts + mean_details, unit="requests/poll", shown=shown,
            target="1 list GET/account + detail GETs for jobs that left",
            passed=passed, note="; ".join(self.problems[:3]),
            details={"rounds": self.rounds, "exact": self.exact, "list_gets": self.lists, "detail_gets": self.details,
                     "jobs_left": self.left, "running_jobs": self.running, "requests_per_job": round(
                         (self.accounts + mean_details) / max(1.0, mean_running), 4)},
        )


def job_ids(s: Session) -> dict[str, set[str]]:
    """The job ids each account's last poll showed."""
    ids: dict[str, set[str]] = {}
    for name in s.accounts:
        snapshot = s.app.accounts[name].snapshot
        ids[name] = {job_id for rows in snapshot.jobs.values() for job_id in rows} if snapshot else set()
    return ids


async def checked_round(s: Session, pilot: Any, probe: FrameProbe, wire_check: WireCheck) -> float:
    before = job_ids(s)
    work, _, requests = await poll_round(s, pilot, probe)
    wire_check.check(s, before, job_ids(s), requests)
    return work


async def unchanged_round(s: Session, pilot: Any, probe: FrameProbe, wire_check: WireCheck) -> float:
    """Every account polls again at the same simulated instant: the service answers the same list."""
    before = job_ids(s)
    mark, wire_mark = probe.mark(), s.wire.mark()
    s.app.action_refresh()
    await painted(pilot, probe)
    wire_check.check(s, before, job_ids(s), s.wire.since(wire_mark))
    return probe.work_since(mark)


async def requests_only(scenario: Scenario, rounds: int) -> list[Row]:
    """The request rule in a scenario: changing polls, then polls where nothing changed."""
    clock = ManualClock()
    s = session(scenario.build(clock), clock)
    probe = FrameProbe()
    changing, unchanged = WireCheck(len(s.accounts)), WireCheck(len(s.accounts))
    with probe.installed():
        async with s.app.run_test(size=SIZE) as pilot:
            await painted(pilot, probe)
            for _ in range(rounds):
                await checked_round(s, pilot, probe, changing)
            for _ in range(max(2, rounds // 2)):
                await unchanged_round(s, pilot, probe, unchanged)
    return [changing.row(scenario.name, "jobs changing"), unchanged.row(scenario.name, "nothing changed")]


# -- the large scenario: per-poll update, the tick, key presses ----------------------------------------------


async def press(app: Any, probe: FrameProbe, key: str, wanted: Callable[[object], bool]) -> float:
    """Send one key as Pilot does, and wait for the first frame painted after the app acted on it.

    `probe.observe` reports the state a frame starts from; `wanted` accepts the state the
    key should produce. Returns seconds from the key event to the end of that frame.
    """
    await asyncio.sleep(0)
    start = time.perf_counter()
    app._driver.send_message(events.Key(key, KEY_CHARS.get(key, key)))
    end = await probe.next_frame_after(start, wanted=wanted)
    return end - start


async def large(rounds: int, ticks: int, presses: int, inspections: int, warm_rounds: int = 2) -> list[Row]:
    """The large scenario, headless: per-poll UI work (changing, unchanged), the tick, key presses."""
    with tempfile.TemporaryDirectory(prefix="mjtui-bench-") as journal_dir:
        return await _large(rounds, ticks, presses, inspections, warm_rounds, journal_dir)


async def _large(rounds: int, ticks: int, presses: int, inspections: int, warm_rounds: int, journal_dir: str) -> list[Row]:
    clock = ManualClock()
    s = session(LARGE.build(clock), clock, journal_dir=journal_dir)
    probe = FrameProbe()
    changing, unchanged = WireCheck(len(s.accounts)), WireCheck(len(s.accounts))
    rows: list[Row] = []
    gc.collect()
    gc.freeze()  # the simulator's world stands in for a remote service: keep its objects out of the app's collections
    with probe.installed():
        started = time.perf_counter()
        async with s.app.run_test(size=SIZE) as pilot:
            await painted(pilot, probe)
            first = time.perf_counter() - started
            if s.app.dashboard.compact:  # a hundred channels open in the compact view: these measures are the full panes'
                await pilot.press("v")
                await settle(pilot)
            measured_from = time.perf_counter()
            for _ in range(warm_rounds):  # warm: caches, the finished list
                await poll_round(s, pilot, probe)
            per_poll = [await checked_round(s, pilot, probe, changing) for _ in range(rounds)]
            same = [await unchanged_round(s, pilot, probe, unchanged) for _ in range(rounds)]

            tick_work, tick_bytes = [], []
            for _ in range(ticks):
                mark, sent = probe.mark(), probe.bytes
                s.clock.advance(1)
                await s.timers.tick()
                await painted(pilot, probe)
                tick_work.append(probe.work_since(mark))
                tick_bytes.append(probe.bytes - sent)

            table = s.app.query(ChannelPane).first()
            table.focus()
            await settle(pilot)
            probe.observe = lambda: (table.cursor_row, type(s.app.screen).__name__)
            cursor = []
            for index in range(presses):
                key = "down" if (index // 6) % 2 == 0 else "up"  # down 6, up 6: stays inside a full channel
                target = table.cursor_row + (1 if key == "down" else -1)
                cursor.append(await press(s.app, probe, key, lambda seen, t=target: seen[0] == t))
                await settle(pilot)
            opened, closed, detailed, freed = [], [], [], []
            for _ in range(inspections):
                start = time.perf_counter()
                opened.append(await press(s.app, probe, "enter", lambda seen: seen[1] == "InspectorScreen"))
                screen = s.app.screen
                await settle(pilot)
                if isinstance(screen, InspectorScreen) and screen.job is not None:
                    detailed.append(time.perf_counter() - start)
                closed.append(await press(s.app, probe, "escape", lambda seen: seen[1] != "InspectorScreen"))
                await settle(pilot)
                s.clock.advance(1)
                start = time.perf_counter()
                await s.timers.tick()  # the tick after a screen closed frees it: one full pass
                freed.append(time.perf_counter() - start)
                await settle(pilot)
            probe.observe = lambda: id(s.app.focused)
            focus = []
            for _ in range(min(presses, 20)):
                before = id(s.app.focused)
                focus.append(await press(s.app, probe, "tab", lambda seen, b=before: seen != b))
                await settle(pilot)
            probe.observe = None

            pilot_round_trip = []
            for index in range(min(presses, 10)):
                start = time.perf_counter()
                await pilot.press("down" if index % 2 == 0 else "up")
                await pilot.pause()
                pilot_round_trip.append(time.perf_counter() - start)
            measured_for = time.perf_counter() - measured_from
    gc.unfreeze()
    pauses = probe.full_collections(measured_from)

    running = s.running()
    rows += [
        changing.row("large", "jobs changing"),
        unchanged.row("large", "nothing changed"),
        Row("per-poll UI update, p95", "large", ms(p95(per_poll)), "ms", f"{ms(p95(per_poll)):.1f} ms", "< 30 ms",
            p95(per_poll) < 0.030,
            note=(f"one poll of all {len(s.accounts)} accounts ({running} jobs, ~{median(changing.left):.0f} leaving and "
                  "as many arriving): PollDone + FinalState handlers + the frames they cause, encoded for a terminal"),
            details={"samples_ms": [ms(x) for x in per_poll], "median_ms": ms(median(per_poll))}),
        Row("per-poll UI update, nothing changed, p95", "large", ms(p95(same)), "ms", f"{ms(p95(same)):.1f} ms", "< 5 ms",
            p95(same) < 0.005, note="the same list again (simulated clock not advanced): handlers + frames",
            details={"samples_ms": [ms(x) for x in same], "median_ms": ms(median(same))}),
        Row("elapsed tick UI work, p95", "large", ms(p95(tick_work)), "ms", f"{ms(p95(tick_work)):.1f} ms/tick", "-",
            None, note="once a second: the tick handler + the frame it causes (feeds the idle CPU figure)",
            details={"samples_ms": [ms(x) for x in tick_work], "bytes_per_tick": tick_bytes}),
        Row("key press -> screen updated: cursor move, p95", "large", ms(p95(cursor)), "ms",
            f"{ms(p95(cursor)):.1f} ms", "< 50 ms", p95(cursor) < 0.050,
            note=("Pilot's key event sent to the driver -> end of the first frame showing the moved cursor "
                  "(includes waiting for Textual's 60 fps frame timer)"),
            details={"samples_ms": [ms(x) for x in cursor], "median_ms": ms(median(cursor)),
                     "pilot_press_plus_pause_ms": [ms(x) for x in pilot_round_trip]}),
        Row("key press -> screen updated: focus next pane (tab), p95", "large", ms(p95(focus)), "ms",
            f"{ms(p95(focus)):.1f} ms", "< 50 ms", p95(focus) < 0.050,
            note="tab -> end of the first frame with the next pane focused (its border and cursor redrawn)",
            details={"samples_ms": [ms(x) for x in focus], "median_ms": ms(median(focus))}),
        Row("key press -> screen updated: open inspector, p95", "large", ms(p95(opened)), "ms",
            f"{ms(p95(opened)):.1f} ms", "< 50 ms", p95(opened) < 0.050,
            note="enter -> end of the first frame of the inspector screen; its detail GET follows",
            details={"samples_ms": [ms(x) for x in opened], "close_ms": [ms(x) for x in closed],
                     "until_detail_shown_ms": [ms(x) for x in detailed]}),
        Row("key press -> screen updated: close inspector, p95", "large", ms(p95(closed)), "ms",
            f"{ms(p95(closed)):.1f} ms", "< 50 ms", p95(closed) < 0.050,
            note="escape -> end of the first frame of the dashboard again",
            details={"samples_ms": [ms(x) for x in closed]}),
        Row("full GC pauses while measuring (UI thread)", "large", ms(max(pauses, default=0.0)), "ms",
            f"{len(pauses)} in {measured_for:.0f} s, longest {ms(max(pauses, default=0.0)):.0f} ms", "-", None,
            note=("generation-2 passes of the cyclic GC over the app's heap (the simulator's objects are frozen out); "
                  "each stops whatever the UI is doing. The dashboard runs one at the tick after a screen closes, to "
                  f"free it: {len(freed)} here, one per inspector closed (that tick: median {ms(median(freed)):.0f} ms, "
                  f"longest {ms(max(freed, default=0.0)):.0f} ms)"),
            details={"pauses_ms": [ms(x) for x in pauses], "tick_after_close_ms": [ms(x) for x in freed]}),
        Row("headless start to first painted poll", "large", round(first, 2), "s", f"{first:.2f} s", "-", None,
            note="in-process, headless: mounting 100 panes and applying the first poll (cf. the pty start-up row)"),
    ]
    return rows


# -- memory ------------------------------------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


SCREEN_KEYS = ("question_mark", "enter", "h")  # help, the inspector on the selected job, history


async def focus_a_pane(pilot: Any) -> None:
    """Tab to the first channel pane, so enter inspects its selected job."""
    for _ in range(12):
        if isinstance(pilot.app.focused, ChannelPane):
            return
        await pilot.press("tab")


async def open_and_close_screens(pilot: Any) -> int:
    """Open and close help, the inspector and history, as a user glancing at each; how many opened."""
    app = pilot.app
    await focus_a_pane(pilot)
    opened = 0
    for key in SCREEN_KEYS:
        await pilot.press(key)
        await settle(pilot)
        if len(app.screen_stack) > 1:  # enter on a pane with no job selected opens nothing
            opened += 1
            await pilot.press("escape")
            await settle(pilot)
    return opened


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x (0 for fewer than two distinct x)."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


@dataclass
class MemorySample:
    """One reading of the process's memory during the churn run."""

    hours: float  # simulated, since warm-up
    minutes: float  # wall clock, since warm-up
    rss: int
    blocks: int  # Python heap blocks


async def memory(hours: float, warmup_hours: float, samples_per_hour: int = 4, screens_every: int = 6,
                 progress: Callable[[str], None] | None = None) -> list[Row]:
    """The churn scenario for `hours` simulated hours, ticking every simulated second, polling every 10 s.

    Every `screens_every` polls, help, the inspector and history are opened and closed. RSS (what a
    shared server sees) and the Python heap are sampled as they are, with no collection forced: the
    dashboard's own collector settings decide what is freed, which is what is measured. Simulated
    time runs many times faster than real time, so a minute of this run is many minutes of a real
    dashboard's work: a slope here is an upper bound on a real one. The dashboard runs without its
    journal: the journal's memory is SQLite's bounded page cache, and its once-a-minute 24 h
    aggregate grows with the history it holds, which on a fast-forwarded clock would make this run
    take hours (see the journal row instead).
    """
    clock = ManualClock()
    s = session(CHURN.build(clock), clock)
    probe = FrameProbe()
    samples: list[MemorySample] = []
    polls = screens = 0
    started = measured_from = time.perf_counter()
    warm_until = warmup_hours * 3600.0
    next_sample = warm_until
    with probe.installed():
        async with s.app.run_test(size=SIZE) as pilot:
            await painted(pilot, probe, now=True)
            while polls * s.refresh < warm_until + hours * 3600.0 - 1e-6:
                for _ in range(int(s.refresh)):
                    s.clock.advance(1)
                    await s.timers.tick()
                await s.timers.fire_due()
                await painted(pilot, probe, now=True)
                polls += 1
                if polls % screens_every == 0:
                    screens += await open_and_close_screens(pilot)
                if polls * s.refresh < next_sample - 1e-6:
                    continue
                if not samples:
                    measured_from = time.perf_counter()
                samples.append(MemorySample((polls * s.refresh - warm_until) / 3600.0,
                                            (time.perf_counter() - measured_from) / 60.0, rss_bytes(), sys_blocks()))
                probe.forget()  # the benchmark's own records must not count as the app's growth
                s.wire.log.clear()
                if progress is not None:
                    progress(f"    {samples[-1].hours:5.2f} h: rss {samples[-1].rss / 2**20:.1f} MB")
                next_sample += 3600.0 / samples_per_hour
    return [memory_row(samples, hours, warmup_hours, polls, screens, time.perf_counter() - started)]


def memory_row(samples: list[MemorySample], hours: float, warmup_hours: float, polls: int, screens: int,
               seconds: float) -> Row:
    """Growth over the run after warm-up, and the slope of its last half (MB per minute of the run)."""
    mb = 2**20
    base = samples[0]
    growth = (samples[-1].rss - base.rss) / mb
    last_half = [sample for sample in samples if sample.hours >= hours / 2]
    per_minute = slope([(sample.minutes, sample.rss / mb) for sample in last_half])
    per_hour = slope([(sample.hours, sample.rss / mb) for sample in last_half])
    minutes = samples[-1].minutes
    speed = hours * 60 / minutes if minutes else float("nan")
    flat = per_minute < 0.1
    return Row(
        "memory growth over churn (RSS, after warm-up)", "churn", round(growth, 2), "MB",
        f"{growth:+.1f} MB over {span(hours)}; last half {per_minute:+.2f} MB/min ({'flat' if flat else 'growing'})",
        "< 20 MB, last half < 0.1 MB/min", growth < 20 and flat,
        note=(f"{CHURN.describe()}; warm-up {span(warmup_hours)}; {polls} polls, {polls * 10} ticks, help / inspector / "
              f"history opened and closed {screens} times in all; {minutes:.1f} min measured ({speed:.0f}x real time: "
              "a minute here is that many minutes of a real dashboard's polls); RSS of this process (dashboard without "
              "its journal + simulator with a bounded history), sampled with no collection forced"),
        details={"curve": [(round(sample.hours, 2), round(sample.minutes, 2), round((sample.rss - base.rss) / mb, 2))
                           for sample in samples],
                 "curve_columns": ["simulated hours", "wall minutes", "MB over the first sample"],
                 "python_blocks": [sample.blocks - base.blocks for sample in samples],
                 "last_half_mb_per_minute": round(per_minute, 3), "last_half_mb_per_simulated_hour": round(per_hour, 3),
                 "screens_opened": screens, "wall_seconds": round(seconds, 1)},
    )


def span(hours: float) -> str:
    return f"{hours:g} h" if hours >= 1 else f"{hours * 60:.0f} min"


def sys_blocks() -> int:
    import sys

    return sys.getallocatedblocks()
