"""`mjtui metrics` in-process on the manual clock: the exporter on simulated accounts, time moved by hand."""

from __future__ import annotations

import asyncio
import random

from prometheus_client.parser import text_string_to_metric_families

from mjtui.clock import ManualClock
from mjtui.connections import demo_connection
from mjtui.lease import Leases
from mjtui.metrics.exporter import PROCESS, MetricsExporter
from mjtui.sim import Simulator
from mjtui.store import Journal
from mjtui.timers import ManualTimers


def make_exporter(sim: Simulator, clock: ManualClock, *, journal: Journal | None = None, shared: bool = False,
                  refresh: float = 2.0) -> tuple[MetricsExporter, ManualTimers]:
    """The exporter on every account of `sim`; `shared`: with leases in `journal`, as the command runs it."""
    timers = ManualTimers(clock)
    leases = Leases(journal, PROCESS, clock) if shared and journal is not None else None
    exporter = MetricsExporter([demo_connection(sim, name) for name in sim.world.accounts], clock=clock, timers=timers,
                               refresh_seconds=refresh, journal=journal, leases=leases, rng=random.Random(0))
    return exporter, timers


async def settle(exporter: MetricsExporter) -> None:
    """Every poll and final-state fetch under way, finished (and what they started)."""
    while pending := [task for task in exporter.tasks if not task.done()]:
        await asyncio.gather(*pending)


async def advance(exporter: MetricsExporter, clock: ManualClock, timers: ManualTimers, seconds: float,
                  step: float = 2.0) -> None:
    """Simulated time forward in steps, each step's timers fired and its polls settled."""
    remaining = seconds
    while remaining > 0:
        clock.advance(min(step, remaining))
        remaining -= step
        await timers.fire_due()
        await settle(exporter)


def samples(page: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """A /metrics page as {(sample name, its labels): value}."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(page) for sample in family.samples}


def value(page: str, name: str, **labels: str) -> float | None:
    """The one sample named `name` whose labels include `labels`; None when there is none."""
    found = [v for (sample, have), v in samples(page).items() if sample == name and set(labels.items()) <= have]
    assert len(found) <= 1, f"{name} {labels}: {len(found)} samples"
    return found[0] if found else None
