"""`mjtui metrics` left running: CPU per core and memory over simulated hours on the large scenario (100 channels).

Idle: every slot busy with a job that outlasts the run, so only the polls and scrapes cost (the issue's target).
Churning: every channel full of ~50 s jobs, ~19 finishing a second, each one's final state fetched (no target: it
shows what a pool at full tilt costs), and memory over it. The exporter runs in-process against the simulator on a
hand-driven clock, polling every 10 s and scraped every 15 s, with its journal and leases on a file, as the command
runs. CPU is this process's CPU time less the time spent
inside the simulator (which a real service spends elsewhere), over the simulated time it covered: the share of one
core the exporter would use. Memory is the RSS sampled every simulated quarter hour after warm-up, and its slope.
"""

from __future__ import annotations

import asyncio
import gc
import random
import tempfile
import time
from pathlib import Path

from benchmarks.headless import rss_bytes, slope
from benchmarks.report import Row
from benchmarks.scenarios import LARGE, quiet
from mjtui.clock import ManualClock
from mjtui.connections import demo_connection
from mjtui.lease import Leases
from mjtui.metrics.exporter import PROCESS, MetricsExporter
from mjtui.sim import Simulator
from mjtui.store import Journal
from mjtui.timers import ManualTimers

POLL, SCRAPE = 10.0, 15.0
CPU_TARGET = 0.01  # of one core
GROWTH_TARGET_MB_PER_HOUR = 0.5


def timed_service(sim: Simulator) -> list[float]:
    """Wrap the simulator's app so the CPU time spent inside it is counted (and left out of the exporter's)."""
    spent = [0.0]
    inner = sim.app

    async def app(scope, receive, send):
        started = time.process_time()
        try:
            await inner(scope, receive, send)
        finally:
            spent[0] += time.process_time() - started

    sim.app = app
    return spent


async def settle(exporter: MetricsExporter) -> None:
    while pending := [task for task in exporter.tasks if not task.done()]:
        await asyncio.gather(*pending)


async def left_running(sim: Simulator, clock: ManualClock, hours: float, warmup_hours: float) -> dict:
    """The exporter on `sim` for `warmup_hours` then `hours` of simulated time: its CPU over the latter (the
    service's own left out) and RSS samples every simulated quarter hour."""
    in_service = timed_service(sim)
    with tempfile.TemporaryDirectory(prefix="mjtui-bench-metrics-") as tmp:
        journal = Journal(Path(tmp) / "journal.sqlite3", clock=clock)
        timers = ManualTimers(clock)
        exporter = MetricsExporter([demo_connection(sim, name) for name in sim.world.accounts], clock=clock, timers=timers,
                                   refresh_seconds=POLL, journal=journal, leases=Leases(journal, PROCESS, clock),
                                   rng=random.Random(0))
        exporter.start()
        await settle(exporter)
        samples: list[tuple[float, float]] = []
        cpu_started = service_started = 0.0
        page_bytes = 0
        steps = int((warmup_hours + hours) * 3600 / SCRAPE)
        for step in range(1, steps + 1):
            clock.advance(SCRAPE)
            await timers.fire_due()
            await settle(exporter)
            page_bytes = len(exporter.exposition()[0])
            hour = step * SCRAPE / 3600
            if abs(hour - warmup_hours) < SCRAPE / 7200:
                gc.collect()
                cpu_started, service_started = time.process_time(), in_service[0]
            if hour > warmup_hours and step % int(900 / SCRAPE) == 0:
                samples.append((hour - warmup_hours, rss_bytes() / 2**20))
        cpu = (time.process_time() - cpu_started) - (in_service[0] - service_started)
        await exporter.close()
        journal.close()
    return {"simulated_hours": hours, "channels": len(sim.world.channels), "cpu_seconds": round(cpu, 2),
            "share": cpu / (hours * 3600), "page_bytes": page_bytes, "curve": samples}


async def metrics_idle(hours: float, warmup_hours: float) -> list[Row]:
    """Every slot busy with a job that outlasts the run: the polls and scrapes alone, as the issue's target reads."""
    clock = ManualClock()
    sim = quiet(LARGE, clock, lifetime=(hours + warmup_hours) * 3600 + 3600)
    details = await left_running(sim, clock, hours, warmup_hours)
    share = details.pop("share")
    return [Row("metrics: CPU while idle, every slot busy (share of one core)", LARGE.name, share * 100, "%",
                f"{share * 100:.2f}%", f"< {CPU_TARGET * 100:g}%", share < CPU_TARGET,
                note=f"{hours:g} simulated h, poll 10 s, scrape 15 s, no job finishing", details=details)]


async def metrics_churn(hours: float, warmup_hours: float) -> list[Row]:
    """Every channel full and churning (jobs of ~50 s: ~19 finish a second, each fetched once): CPU, and memory."""
    clock = ManualClock()
    sim = LARGE.build(clock)
    details = await left_running(sim, clock, hours, warmup_hours)
    share = details.pop("share")
    growth = slope(details["curve"])
    return [
        Row("metrics: CPU with every channel churning (share of one core)", LARGE.name, share * 100, "%",
            f"{share * 100:.2f}%", "-", None, note=f"{hours:g} simulated h, every finished job's state fetched",
            details=details),
        Row("metrics: memory growth (RSS, after warm-up)", LARGE.name, growth, "MB/h", f"{growth:+.2f} MB/h",
            f"< {GROWTH_TARGET_MB_PER_HOUR} MB/h", growth < GROWTH_TARGET_MB_PER_HOUR if len(details["curve"]) >= 3 else None,
            details=details),
    ]
