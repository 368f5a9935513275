"""Announcing finished jobs and freed slots: toasts, coalesced per poll, and by choice a bell or a desktop notification."""

from __future__ import annotations

import pytest
from support.dashboard import SIZE, advance, make_dashboard, settle, wire

from mjtui.config import ConfigError, NotifyConfig, load_config
from mjtui.sim import Simulator
from mjtui.tui.formatting import short_job_id
from mjtui.tui.notifications import SLOT_QUIET_SECONDS, desktop_notification
from mjtui.tui.panels import FinishedTable

STUDIO = "studio"


def one_channel(make_sim, *, max_jobs: int = 10) -> tuple[Simulator, str]:
    sim = make_sim(channels=1, autopilot=False, max_jobs=max_jobs, fail_rate=0.0, moderation_rate=0.0, speed_scale=0.3)
    return sim, sim.world.accounts["main"].channels[0]


def submit(sim: Simulator, channel: str, count: int, prompt: str = "a quiet harbour") -> list[str]:
    world = sim.world
    return [world.submit(world.accounts["main"], f"{prompt} {n}", channel).jobid for n in range(count)]


def until_all_final(sim: Simulator, jobs: list[str]) -> float:
    world = sim.world
    return max(world.jobs[job].finish_at for job in jobs) - world.clock.now() + 1


def toasts(app) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


def logged(app) -> list[str]:
    """Each line of every notification in the log (`n`), whole."""
    return [line for notice in app.notices for line in notice.text.splitlines()]


def capture_terminal(app) -> list[str]:
    """What the app writes to the terminal beside the screen: bells and OSC notifications.

    Textual's `bell()` writes nothing in a headless app, so the bell is recorded as the terminal would get it."""
    writes: list[str] = []
    app._driver.write = writes.append
    app.bell = lambda: writes.append("\x07")
    return writes


def alerts(writes: list[str]) -> list[str]:
    return [w for w in writes if w.startswith(("\x07", "\x1b]9;", "\x1b]777;", "\x1bPtmux;"))]


async def test_each_outcome_is_logged_naming_the_job_and_its_channel_and_the_worst_is_the_toast(make_sim, clock):
    sim, channel = one_channel(make_sim)
    completes, fails, moderated = submit(sim, channel, 3)
    sim.world.jobs[fails].outcome = "failed"
    sim.world.jobs[moderated].outcome = "moderated"
    app, timers = make_dashboard(sim, clock, channel_names={"main": {channel: STUDIO}})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert toasts(app) == []
        await advance(pilot, clock, timers, until_all_final(sim, [completes, fails, moderated]) + 10)
        said = logged(app)
        assert f"job {short_job_id(completes)} on {STUDIO} completed" in said
        assert f"job {short_job_id(fails)} on {STUDIO} failed: Job failed" in said
        assert f"job {short_job_id(moderated)} on {STUDIO} moderated: Job moderated" in said
        assert len([line for line in said if line.startswith("job ")]) == 3, "each job once"
        assert (f"job {short_job_id(fails)} on {STUDIO} failed: Job failed", "error") in [
            (message.removesuffix(" … (n shows all)"), severity) for message, severity in toasts(app)], "the worst shows"


async def test_a_finished_job_a_stale_list_shows_again_is_neither_fetched_nor_announced_twice(make_sim, clock):
    """Issue 14: a job that leaves, comes back (a lagging copy of the list) and leaves again was fetched and toasted again."""
    sim = make_sim(channels=1, autopilot=False, max_jobs=10, fail_rate=0.0, moderation_rate=0.0, faults="stale")
    injector = sim.app
    channel = sim.world.accounts["main"].channels[0]
    jobs = submit(sim, channel, 10)  # they run 30-70 s: they finish across several polls
    gets = wire(sim)
    app, timers = make_dashboard(sim, clock, channel_names={"main": {channel: STUDIO}})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listed_again: set[str] = set()
        for _ in range(int(until_all_final(sim, jobs) // 10) + 4):
            await advance(pilot, clock, timers, 10)
            listed_again |= set(app.dashboard.pane("main", channel).jobs) & set(app.query_one(FinishedTable).rows)
        assert injector.injected["stale"] and listed_again, "stale lists showed finished jobs again"
        assert all(sim.world.jobs[job].final_status == "completed" for job in jobs)
        assert {job: gets.count("GET", "/v2/jobs", jobid=job) for job in jobs} == dict.fromkeys(jobs, 1)
        announced = [line for line in logged(app) if "completed" in line]
        counted = sum(int(message.split()[0]) if message[0].isdigit() else 1 for message in announced)
        assert counted == len(jobs), f"each job announced once: {announced}"


async def test_many_finishes_in_one_poll_make_one_toast_the_failures_first_and_the_log_has_both(make_sim, clock):
    sim, channel = one_channel(make_sim, max_jobs=15)
    jobs = submit(sim, channel, 12)
    for job in jobs[:3]:
        sim.world.jobs[job].outcome = "failed"
    sim.world.jobs[jobs[3]].outcome = "moderated"
    app, timers = make_dashboard(sim, clock, refresh_seconds=60, channel_names={"main": {channel: STUDIO}})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert until_all_final(sim, jobs) < 60, "every job ends before the next poll"
        await advance(pilot, clock, timers, 61)
        assert toasts(app) == [(f"3 jobs failed, 1 moderated · {STUDIO} … (n shows all)", "error")], "one toast, worst first"
        assert logged(app) == [f"3 jobs failed, 1 moderated · {STUDIO}", f"8 jobs completed · {STUDIO}"]


async def test_completed_false_keeps_routine_completions_quiet_but_still_announces_failures(make_sim, clock):
    sim, channel = one_channel(make_sim, max_jobs=15)
    jobs = submit(sim, channel, 5)
    sim.world.jobs[jobs[0]].outcome = "failed"
    app, timers = make_dashboard(sim, clock, refresh_seconds=60, channel_names={"main": {channel: STUDIO}},
                                 notify=NotifyConfig(completed=False))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert until_all_final(sim, jobs) < 60, "every job ends before the next poll"
        await advance(pilot, clock, timers, 61)
        assert toasts(app) == [(f"job {short_job_id(jobs[0])} on {STUDIO} failed: Job failed", "error")]


async def test_a_full_channel_that_frees_a_slot_says_so_but_not_again_within_five_minutes(make_sim, clock):
    sim, channel = one_channel(make_sim, max_jobs=2)
    app, timers = make_dashboard(sim, clock, channel_names={"main": {channel: STUDIO}}, refresh_seconds=2)

    def slot_toasts() -> list[str]:
        return [line for line in logged(app) if "free slot" in line]

    async def fill_then_drain(label: str) -> None:
        jobs = submit(sim, channel, 2, label)
        await advance(pilot, clock, timers, 2, step=2)
        assert app.accounts["main"].snapshot.stats[channel].full, "the dashboard saw 2/2"
        await advance(pilot, clock, timers, until_all_final(sim, jobs) + 2, step=2)
        assert not app.accounts["main"].snapshot.stats[channel].full

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert slot_toasts() == []
        await fill_then_drain("a first pair")
        assert slot_toasts() == [f"channel {STUDIO} has a free slot"]
        await fill_then_drain("a second pair")
        assert len(slot_toasts()) == 1, "full and free again within five minutes: no second toast"
        await advance(pilot, clock, timers, SLOT_QUIET_SECONDS, step=60)
        await fill_then_drain("a third pair")
        assert len(slot_toasts()) == 2, "after five quiet minutes it is announced again"


async def test_no_bell_and_no_desktop_notification_unless_the_config_asks(make_sim, clock):
    sim, channel = one_channel(make_sim)
    jobs = submit(sim, channel, 1)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        writes = capture_terminal(app)
        await settle(pilot)
        await advance(pilot, clock, timers, until_all_final(sim, jobs) + 10)
        assert any("completed" in message for message, _ in toasts(app)), "the toast is on by default"
        assert alerts(writes) == []


async def test_bell_and_osc777_carry_the_toast_text_cleaned_of_escapes(make_sim, clock):
    sim, channel = one_channel(make_sim)
    [job] = submit(sim, channel, 1)
    world = sim.world
    world.jobs[job].outcome = "failed"
    app, timers = make_dashboard(sim, clock, notify=NotifyConfig(bell=True, desktop="osc777"))
    async with app.run_test(size=SIZE) as pilot:
        writes = capture_terminal(app)
        await settle(pilot)
        clock.advance(until_all_final(sim, [job]))
        world.advance()
        world.jobs[job].error = "boom\x1b]0;owned\x07;\x1b[2J;\x9d8;;evil\x9c"  # the service's text, hostile
        await advance(pilot, clock, timers, 10)
        bell, alert = alerts(writes)
        assert bell == "\x07" and alert.startswith("\x1b]777;notify;mjtui;")
        body = alert.removeprefix("\x1b]777;notify;mjtui;")
        assert body.endswith("\x07") and body.startswith(f"job {short_job_id(job)} on …{channel[-6:]} failed: boom")
        assert not any(char in body[:-1] for char in "\x1b\x07\x9c\x9d;"), "nothing in the text can end or extend the OSC"


async def test_osc9_without_toasts_still_notifies_the_desktop_once_per_poll(make_sim, clock):
    sim, channel = one_channel(make_sim)
    jobs = submit(sim, channel, 5)
    app, timers = make_dashboard(sim, clock, refresh_seconds=60, notify=NotifyConfig(toasts=False, desktop="osc9"),
                                 channel_names={"main": {channel: STUDIO}})
    async with app.run_test(size=SIZE) as pilot:
        writes = capture_terminal(app)
        await settle(pilot)
        await advance(pilot, clock, timers, 61)
        assert sim.world.jobs[jobs[-1]].final_status == "completed"
        assert [message for message, _ in toasts(app) if "job" in message] == []
        assert alerts(writes) == [f"\x1b]9;mjtui: 5 jobs completed · {STUDIO}\x07"]


def test_inside_tmux_the_notification_is_wrapped_to_reach_the_outer_terminal():
    wrapped = desktop_notification(["job 1 completed"], desktop="osc9", in_tmux=True)
    assert wrapped == "\x1bPtmux;\x1b\x1b]9;mjtui: job 1 completed\x07\x1b\\"
    assert desktop_notification([], desktop="osc9") == "", "nothing to say, nothing written"


def test_the_notify_table_is_checked(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[notify]\nbell = true\ndesktop = "osc777"\n')
    assert load_config(config, environ={}).notify == NotifyConfig(toasts=True, bell=True, desktop="osc777")
    config.write_text('[notify]\ndesktop = "growl"\n')
    with pytest.raises(ConfigError, match="notify.desktop: expected 'off', 'osc9' or 'osc777'"):
        load_config(config, environ={})
    config.write_text("[notify]\ntoast = false\n")
    with pytest.raises(ConfigError, match=r"notify.toast: unknown key \(did you mean toasts\?\)"):
        load_config(config, environ={})
