"""Regenerate the SVG screenshots in this folder from the simulator, with a fixed seed and clock.

    python screenshots/generate.py

Anyone gets the same pictures: the world, the clock and the time zone are fixed.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from pathlib import Path

from mjtui.clock import ManualClock
from mjtui.connections import DEMO_SEED, demo_connection, demo_simulator
from mjtui.tui.app import make_app
from mjtui.tui.timers import ManualTimers

HERE = Path(__file__).resolve().parent


async def main_screen(size: tuple[int, int], name: str) -> Path:
    clock = ManualClock()
    simulator = demo_simulator(clock=clock, seed=DEMO_SEED)
    timers = ManualTimers(clock)
    connections = [demo_connection(simulator, account) for account in simulator.world.accounts]
    app = make_app(connections, clock=clock, timers=timers, refresh_seconds=5, title="mjtui · demo", rng=random.Random(0))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for _ in range(3):  # a few polls in, so jobs have finished and the lists have history
            clock.advance(5)
            await timers.fire_due()
            await pilot.pause()
        await pilot.press("tab")
        await pilot.pause()
        path = HERE / name
        app.save_screenshot(filename=path.name, path=str(HERE))
    return path


async def generate() -> list[Path]:
    return [await main_screen((120, 40), "main.svg"), await main_screen((80, 24), "main-80x24.svg")]


if __name__ == "__main__":
    os.environ["TZ"] = "UTC"
    time.tzset()
    for written in asyncio.run(generate()):
        print(written)
