"""Regenerate the SVG screenshots in this folder from the simulator, with a fixed seed and clock.

    python screenshots/generate.py                       # everything, into this folder
    python screenshots/generate.py --out DIR --theme mjtui-light --view main

Anyone gets the same pictures: the world, the clock, the time zone and the
latency shown are fixed. `main.svg` and `main-80x24.svg` are the default theme;
`THEME/VIEW.svg` is every view (main screen, inspector with children and a seed,
confirm dialog, history, error banner) in every shipped theme.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import mjtui.tui.app
from mjtui.clock import ManualClock
from mjtui.connections import DEMO_SEED, demo_connection, demo_simulator
from mjtui.sim import Simulator
from mjtui.store import MEMORY, Journal
from mjtui.themes import DEFAULT_THEME
from mjtui.tui.app import MjtuiApp, make_app
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.history import HistoryScreen
from mjtui.tui.inspector import InspectorScreen
from mjtui.tui.panels import FinishedTable
from mjtui.tui.themes import SHIPPED_THEMES
from mjtui.tui.timers import ManualTimers

HERE = Path(__file__).resolve().parent
WIDE, SMALL = (120, 40), (80, 24)
WARM_UP = 60.0  # simulated seconds watched before each picture: jobs have come and gone, history has rows
STEP = 5.0
REVOKED_AFTER = 42.0  # the error view: alt1's token is revoked during the warm-up, so its banner is up


@dataclass
class Scene:
    """One dashboard on the demo world, driven by hand."""

    app: MjtuiApp
    pilot: object
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


async def main_screen(scene: Scene) -> None:
    await scene.pilot.press("tab", "j")


async def inspector(scene: Scene) -> None:
    """A completed job of account main with two children (U1, V2) and its seed fetched."""
    world = scene.simulator.world
    account = world.accounts["main"]

    def has_children_to_make(job_id: str) -> bool:
        job = world.jobs[job_id]
        return {"U1", "V2"} <= set(job.buttons) and world.channels[job.channel].has_room("image")

    finished = scene.app.query_one(FinishedTable).jobs
    job_id = next(key for key, (name, job) in reversed(finished.items())
                  if name == "main" and job is not None and job.status == "completed" and has_children_to_make(key))
    for button in ("U1", "V2"):
        if world.channels[world.jobs[job_id].channel].has_room("image"):
            world.press(account, job_id, button)
    await scene.advance(STEP)
    scene.app.open_inspector("main", job_id)
    await scene.settle()
    await scene.pilot.press("s")
    await scene.advance(20)
    assert isinstance(scene.app.screen, InspectorScreen) and world.jobs[job_id].seed is not None


async def confirm(scene: Scene) -> None:
    await scene.pilot.press("tab", "j", "x")
    assert isinstance(scene.app.screen, ConfirmScreen)


async def history(scene: Scene) -> None:
    await scene.pilot.press("h")
    await scene.settle()
    assert isinstance(scene.app.screen, HistoryScreen)


async def error(scene: Scene) -> None:
    await scene.pilot.press("tab", "j")


VIEWS: dict[str, Callable[[Scene], Awaitable[None]]] = {
    "main": main_screen, "inspector": inspector, "confirm": confirm, "history": history, "error": error,
}


@contextmanager
def steady_latency() -> Iterator[None]:
    """The header shows each poll's latency in ms; pin it so the pictures do not depend on the machine."""
    real = mjtui.tui.app.time
    mjtui.tui.app.time = SimpleNamespace(perf_counter=lambda: 0.0)  # type: ignore[assignment]
    try:
        yield
    finally:
        mjtui.tui.app.time = real


async def shoot(view: str, theme: str, size: tuple[int, int], path: Path) -> Path:
    """Save `view` in `theme` at `size` as the SVG `path`."""
    clock = ManualClock()
    simulator = demo_simulator(clock=clock, seed=DEMO_SEED)
    if view == "error":
        simulator.world.schedule_revoke(REVOKED_AFTER, account="alt1")
    timers = ManualTimers(clock)
    connections = [demo_connection(simulator, account) for account in simulator.world.accounts]
    journal = Journal(MEMORY, clock=clock)
    app = make_app(connections, clock=clock, timers=timers, refresh_seconds=STEP, title="mjtui · demo",
                   rng=random.Random(0), theme=theme, journal=journal)
    try:
        with steady_latency():
            async with app.run_test(size=size) as pilot:
                scene = Scene(app, pilot, clock, timers, simulator)
                await scene.settle()
                await scene.advance(WARM_UP)
                await VIEWS[view](scene)
                await scene.settle()
                app.clear_notifications()
                await pilot.pause()
                path.parent.mkdir(parents=True, exist_ok=True)
                app.save_screenshot(filename=path.name, path=str(path.parent))
    finally:
        journal.close()
    return path


async def generate(out: Path = HERE, themes: tuple[str, ...] = SHIPPED_THEMES,
                   views: tuple[str, ...] = tuple(VIEWS)) -> list[Path]:
    """Write the default theme's main screen (two sizes) and each view in each theme; returns the files."""
    written = []
    if DEFAULT_THEME in themes and "main" in views:
        written.append(await shoot("main", DEFAULT_THEME, WIDE, out / "main.svg"))
        written.append(await shoot("main", DEFAULT_THEME, SMALL, out / "main-80x24.svg"))
    for theme in themes:
        for view in views:
            written.append(await shoot(view, theme, WIDE, out / theme / f"{view}.svg"))
    return written


def fixed_time_zone() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: this one)")
    parser.add_argument("--theme", action="append", choices=SHIPPED_THEMES, help="only this theme (repeatable)")
    parser.add_argument("--view", action="append", choices=list(VIEWS), help="only this view (repeatable)")
    arguments = parser.parse_args()
    fixed_time_zone()
    for written in asyncio.run(generate(arguments.out, tuple(arguments.theme or SHIPPED_THEMES),
                                        tuple(arguments.view or VIEWS))):
        print(written)
