"""mjtui.actions and mjtui.providers: one set of rules for every front end, asked of a provider by what it can do."""

from __future__ import annotations

import pytest
from support.dashboard import focus_pane, make_dashboard, screen_text, settle
from textual.widgets import DataTable

from mjtui.actions import Actions, Refused, SeedWait
from mjtui.api import errors
from mjtui.clock import ManualClock
from mjtui.connections import demo_connection
from mjtui.providers import Capability, NotSupported
from mjtui.sim import Simulator
from mjtui.sim.faults import FaultProfile
from mjtui.tui.help import HelpScreen


class AuditLog(list):
    def __call__(self, account: str, action: str, target: str | None, outcome: str, error: str | None) -> None:
        self.append((account, action, target, outcome, error))


def simulated(clock: ManualClock, **options) -> Simulator:
    options.setdefault("seed", 7)
    return Simulator.build(clock=clock, channels=2, imaginepro=True, warmup=60, **options)


def a_completed_job(clock: ManualClock) -> tuple[Simulator, str]:
    """A quiet world (no simulated user) with one job of the main account, completed ten minutes ago."""
    sim = simulated(clock, autopilot=False)
    world = sim.world
    channel = next(iter(world.accounts["main"].channels))
    job = world.submit(world.accounts["main"], "a lighthouse at dusk", channel).jobid
    clock.advance(600)
    world.advance()
    return sim, job


def a_running_job(sim: Simulator) -> str:
    return next(job for channel in sim.world.channels.values() if channel.token_id is None for job in channel.running)


async def test_readonly_and_a_missing_capability_are_refused_before_anything_is_sent(clock):
    sim = simulated(clock)
    audit = AuditLog()
    useapi, imaginepro = demo_connection(sim, "main").service, demo_connection(sim, "ip").service
    job = a_running_job(sim)

    with pytest.raises(Refused) as readonly:
        await Actions(readonly=True, audit=audit).cancel(useapi, job)
    assert readonly.value.readonly and readonly.value.action == "cancel"

    with pytest.raises(Refused) as lacking:
        await Actions(readonly=False, audit=audit).seed(imaginepro, "some-message-id")
    assert not lacking.value.readonly
    assert lacking.value.message == "account 'ip' is imaginepro, which has no seed endpoint"
    assert audit == [], "nothing was sent, so nothing is audited"
    assert job in {j for channel in sim.world.channels.values() for j in channel.running}


async def test_a_provider_says_what_it_cannot_do_rather_than_sending_it(clock):
    sim = simulated(clock)
    imaginepro = demo_connection(sim, "ip").service
    assert imaginepro.can(Capability.RUNNING_LIST) and not imaginepro.can(Capability.RESET)
    with pytest.raises(NotSupported, match="has no moderation reset"):
        await imaginepro.reset("1234")


async def test_each_action_is_audited_ok_failed_or_unknown(clock):
    sim = simulated(clock)
    audit = AuditLog()
    actions = Actions(readonly=False, audit=audit)
    service = demo_connection(sim, "main").service
    job = a_running_job(sim)
    await actions.cancel(service, job)
    with pytest.raises(errors.ApiError):
        await actions.cancel(service, job)  # no longer running: the service says so
    lost = Simulator(sim.world, FaultProfile(drop=1.0))  # the same world behind a connection that drops every answer
    with pytest.raises(errors.OutcomeUnknown):
        await actions.reset(demo_connection(lost, "main").service, next(iter(sim.world.accounts["main"].channels)))
    assert [(action, outcome) for _account, action, _target, outcome, _error in audit] == [
        ("cancel", "ok"), ("cancel", "failed"), ("reset", "unknown")]
    assert audit[1][4] and "409" in audit[1][4], "a failure keeps the service's words"


async def test_a_seed_is_followed_to_its_end_on_the_clock_it_is_given(clock):
    sim, job = a_completed_job(clock)
    world = sim.world
    audit = AuditLog()
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)
        world.advance()

    answer = await Actions(readonly=False, audit=audit).seed(
        demo_connection(sim, "main").service, job, SeedWait(interval=5, timeout=300, sleep=sleep, now=clock.now))
    assert answer.has_seed and answer.seed is not None and len(answer.seed.attachments) == 4
    assert sleeps and all(wait == 5 for wait in sleeps), "checked every interval until the seed came"
    assert [(action, outcome) for _account, action, _target, outcome, _error in audit] == [("seed", "ok")]


async def test_a_key_the_selected_accounts_provider_lacks_is_hidden_and_help_says_why(clock):
    sim = simulated(clock)
    app, _timers = make_dashboard(sim, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ip_channel = sim.world.accounts["ip"].channels[0]
        await focus_pane(pilot, ip_channel)  # the ImaginePro account: no seed, no reset
        for _ in range(4):
            await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "r f t i Mode" in footer and "Seed" not in footer, footer
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        actions = [table.get_row_at(row)[1].plain for row in range(table.row_count)]
        assert "not for account ip (imaginepro): seed (s), reset (R)" in actions, actions[-3:]


async def test_a_seed_wait_that_times_out_is_audited_as_the_request_it_was(clock):
    """The audit log records the request and its answer; the seed job's own fate is in its record, not the log."""
    sim, job = a_completed_job(clock)
    audit = AuditLog()

    async def sleep(seconds: float) -> None:  # time passes, but the seed job never gets to run
        clock.advance(seconds)

    with pytest.raises(errors.MjtuiError, match="timed out after 10s waiting for seed job"):
        await Actions(readonly=False, audit=audit).seed(
            demo_connection(sim, "main").service, job, SeedWait(interval=5, timeout=10, sleep=sleep, now=clock.now))
    assert [(action, outcome) for _account, action, _target, outcome, _error in audit] == [("seed", "ok")]
