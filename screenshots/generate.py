"""Regenerate the SVG screenshots in this folder from the simulator, with a fixed seed and clock.

    python screenshots/generate.py                       # everything, into this folder
    python screenshots/generate.py --out DIR --theme mjtui-light --view main

Anyone gets the same pictures: the world, the clock, the time zone and the
latency shown are fixed. `main.svg` and `main-80x24.svg` are the default theme;
`THEME/VIEW.svg` is every view (main screen, inspector with children and a seed,
confirm dialog, history, error banner) in every shipped theme. `gateway.svg` is the
demo's midjourney-proxy account (and `gateway.png`, where `rsvg-convert` is installed).
`compact.svg` is the whole demo (four accounts) at 80x24, in the compact view that size opens in.
The other main screens show the full panes (`v`): the demo's channels do not fit at 120x40 either.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import mjtui.poller
from mjtui.clock import ManualClock
from mjtui.connections import DEMO_GATEWAY, DEMO_SEED, demo_accounts, demo_connection, demo_simulator
from mjtui.sim import Simulator
from mjtui.store import MEMORY, Journal
from mjtui.themes import DEFAULT_THEME
from mjtui.timers import ManualTimers
from mjtui.tui.app import MjtuiApp, make_app
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.history import HistoryScreen
from mjtui.tui.inspector import InspectorScreen
from mjtui.tui.panels import FinishedTable
from mjtui.tui.themes import SHIPPED_THEMES

HERE = Path(__file__).resolve().parent
WIDE, SMALL = (120, 40), (80, 24)
WARM_UP = 60.0  # simulated seconds watched first: jobs have come and gone, the history has rows
STEP = 5.0
REVOKED_AT = WARM_UP + 2  # alt1's token is revoked while the inspector is open: back on the main screen, its banner is up
VIEWS = ("main", "confirm", "history", "inspector", "error")


@dataclass
class Session:
    """One dashboard on the demo world, driven by hand, saving a picture of each view in turn."""

    app: MjtuiApp
    pilot: Any
    clock: ManualClock
    timers: ManualTimers
    simulator: Simulator

    async def settle(self) -> None:
        """Let the polls and fetches in flight finish, and the screen catch up."""
        for _ in range(8):
            await self.pilot.pause(0)
            busy = [worker for worker in self.app.workers if not worker.is_finished]
            if not busy:
                break
            await self.app.workers.wait_for_complete(busy)
        await self.pilot.pause()

    async def advance(self, seconds: float) -> None:
        while seconds > 1e-9:
            step = min(STEP, seconds)
            self.clock.advance(step)
            await self.timers.fire_due()
            await self.settle()
            seconds -= step

    async def save(self, path: Path) -> Path:
        await self.settle()
        self.app.clear_notifications()
        await self.pilot.pause()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.app.save_screenshot(filename=path.name, path=str(path.parent))
        return path

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.settle()

    async def full_view(self) -> None:
        """The full panes, as `v` shows them where the terminal opened in the compact view."""
        if self.app.dashboard.compact:
            await self.press("v")

    async def open_inspector(self) -> None:
        """A completed job of account main, with two children (U1, V2) and its seed fetched."""
        world = self.simulator.world
        account = world.accounts["main"]

        def can_have_children(job_id: str) -> bool:
            job = world.jobs[job_id]
            return {"U1", "V2"} <= set(job.buttons) and world.channels[job.channel].has_room("image")

        finished = self.app.query_one(FinishedTable).jobs
        job_id = next(key for key, (name, job) in reversed(finished.items())
                      if name == "main" and job is not None and job.status == "completed" and can_have_children(key))
        for button in ("U1", "V2"):
            if world.channels[world.jobs[job_id].channel].has_room("image"):
                world.press(account, job_id, button)
        await self.advance(STEP)
        self.app.open_inspector("main", job_id)
        await self.press("s")
        await self.advance(20)
        assert isinstance(self.app.screen, InspectorScreen) and world.jobs[job_id].seed is not None


@contextmanager
def steady_latency() -> Iterator[None]:
    """The header shows each poll's latency in ms; pin it so the pictures do not depend on the machine."""
    real = mjtui.poller.time
    mjtui.poller.time = SimpleNamespace(perf_counter=lambda: 0.0)  # type: ignore[assignment]
    try:
        yield
    finally:
        mjtui.poller.time = real


@asynccontextmanager
async def session(theme: str, size: tuple[int, int], accounts: tuple[str, ...] | None = ()) -> AsyncIterator[Session]:
    """The demo world on a fixed clock, watched for `WARM_UP` seconds (`accounts`: only these; None: all of the demo's;
    else the useapi and ImaginePro ones)."""
    clock = ManualClock()
    simulator = demo_simulator(clock=clock, seed=DEMO_SEED)
    simulator.world.schedule_revoke(REVOKED_AT, account="alt1")
    timers = ManualTimers(clock)
    names = demo_accounts(simulator) if accounts is None else accounts or simulator.world.accounts
    connections = [demo_connection(simulator, account) for account in names]
    journal = Journal(MEMORY, clock=clock)
    app = make_app(connections, clock=clock, timers=timers, refresh_seconds=STEP, title="mjtui · demo",
                   rng=random.Random(0), theme=theme, journal=journal)
    try:
        with steady_latency():
            async with app.run_test(size=size) as pilot:
                shots = Session(app, pilot, clock, timers, simulator)
                await shots.settle()
                await shots.advance(WARM_UP)
                yield shots
    finally:
        journal.close()


async def main_screen(theme: str, size: tuple[int, int], path: Path, *, full: bool = True) -> Path:
    """The useapi and ImaginePro accounts; `full`: the full panes (else as the size opens it)."""
    async with session(theme, size) as shots:
        if full:
            await shots.full_view()
        await shots.press("j")  # in the first pane, focused from the start
        return await shots.save(path)


async def compact_screen(path: Path) -> Path:
    """The whole demo at 80x24, in the compact view: every channel of the four accounts, the second one selected."""
    async with session(DEFAULT_THEME, SMALL, None) as shots:
        assert shots.app.dashboard.compact
        await shots.press("j")
        return await shots.save(path)


async def gateway_screen(path: Path) -> list[Path]:
    """The demo's midjourney-proxy account alone: its Discord accounts as queues, one locked; a PNG beside it."""
    async with session(DEFAULT_THEME, WIDE, (DEMO_GATEWAY,)) as shots:
        await shots.full_view()
        await shots.press("tab", "j")  # the second pane
        written = [await shots.save(path)]
    converter = shutil.which("rsvg-convert")
    if converter is not None:
        png = path.with_suffix(".png")
        subprocess.run([converter, str(path), "-o", str(png)], check=True)
        written.append(png)
    return written


async def every_view(theme: str, folder: Path, views: tuple[str, ...] = VIEWS) -> list[Path]:
    """Each view in `theme`, as `folder/VIEW.svg`, in one session that walks from view to view."""
    written = []
    async with session(theme, WIDE) as shots:
        await shots.full_view()
        await shots.press("j")
        if "main" in views:
            written.append(await shots.save(folder / "main.svg"))
        await shots.press("x")
        assert isinstance(shots.app.screen, ConfirmScreen)
        if "confirm" in views:
            written.append(await shots.save(folder / "confirm.svg"))
        await shots.press("n", "h")
        assert isinstance(shots.app.screen, HistoryScreen)
        if "history" in views:
            written.append(await shots.save(folder / "history.svg"))
        await shots.press("escape")
        await shots.open_inspector()
        if "inspector" in views:
            written.append(await shots.save(folder / "inspector.svg"))
        await shots.press("escape")
        assert shots.app.accounts["alt1"].status.health.halted
        if "error" in views:
            written.append(await shots.save(folder / "error.svg"))
    return written


async def generate(out: Path = HERE, themes: tuple[str, ...] = SHIPPED_THEMES,
                   views: tuple[str, ...] = VIEWS) -> list[Path]:
    """Write the default theme's main screen (two sizes) and each view in each theme; returns the files."""
    written = []
    if DEFAULT_THEME in themes and "main" in views:
        written.append(await main_screen(DEFAULT_THEME, WIDE, out / "main.svg"))
        written.append(await main_screen(DEFAULT_THEME, SMALL, out / "main-80x24.svg"))
        written.append(await compact_screen(out / "compact.svg"))
        written += await gateway_screen(out / "gateway.svg")
    for theme in themes:
        written += await every_view(theme, out / theme, views)
    return written


def fixed_time_zone() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: this one)")
    parser.add_argument("--theme", action="append", choices=SHIPPED_THEMES, help="only this theme (repeatable)")
    parser.add_argument("--view", action="append", choices=VIEWS, help="only this view (repeatable)")
    arguments = parser.parse_args()
    fixed_time_zone()
    logging.getLogger("mjtui").addHandler(logging.NullHandler())  # the revoked token's 401s are the point, not news
    for written in asyncio.run(generate(arguments.out, tuple(arguments.theme or SHIPPED_THEMES),
                                        tuple(arguments.view or VIEWS))):
        print(written)
