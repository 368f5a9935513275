"""The poller on its own: no Textual, a host that runs its coroutines as tasks, time moved by hand."""

from __future__ import annotations

import random
from typing import Any

from support.dashboard import Wire, wire
from support.poller import Host

from mjtui.clock import ManualClock
from mjtui.connections import demo_connection
from mjtui.monitor.health import Health
from mjtui.poller import AccountState, Poller
from mjtui.sim import Simulator
from mjtui.timers import ManualTimers


def a_poller(clock: ManualClock, **world: Any) -> tuple[Poller, Host, ManualTimers, Wire]:
    sim = Simulator.build(clock=clock, seed=7, **world)
    recorded = wire(sim)  # before the connection: it is built on sim.app
    host, timers = Host(), ManualTimers(clock)
    connection = demo_connection(sim, "main")
    accounts = {"main": AccountState("main", connection.provider, connection)}
    return Poller(host, accounts, clock=clock, timers=timers, refresh_seconds=10, rng=random.Random(0)), host, timers, recorded


async def step(clock: ManualClock, timers: ManualTimers, host: Host, seconds: float) -> None:
    clock.advance(seconds)
    await timers.fire_due()
    await host.settle()


async def test_one_list_request_per_interval_and_each_answer_says_what_changed(clock):
    poller, host, timers, w = a_poller(clock, channels=2, warmup=60)
    poller.poll("main")
    await host.settle()
    first = host.answers[-1]
    assert first.error is None and first.previous is None and first.changes and first.snapshot is not None
    for _ in range(30):
        await step(clock, timers, host, 1)
    assert w.lists() == 4, "one list GET per 10 s, whatever else happens"
    assert [answer.previous is not None for answer in host.answers] == [False, True, True, True]


async def test_paused_means_no_request_and_resume_polls_at_once(clock):
    poller, host, timers, w = a_poller(clock, channels=1, warmup=30)
    poller.poll("main")
    await host.settle()
    poller.pause()
    await step(clock, timers, host, 120)
    poller.poll("main")  # what a key press or a timer would ask
    await host.settle()
    assert w.lists() == 1 and poller.accounts["main"].status.paused
    poller.resume()
    await host.settle()
    assert w.lists() == 2 and poller.accounts["main"].status.health is Health.LIVE


async def test_a_failed_poll_backs_off_and_says_why(clock):
    poller, host, timers, _w = a_poller(clock, channels=1, warmup=30, faults="server_error=1.0")
    poller.poll("main")
    await host.settle()
    failed = host.answers[-1]
    assert failed.error is not None and "500" in str(failed.error)
    state = poller.accounts["main"]
    assert state.status.health is Health.RETRYING and not state.polling
    assert timers.pending() and timers.pending()[0] > 0, "the next try is armed, later than at once"
