"""The dashboard driven as a user drives it: every binding, against the in-process simulator, on a hand-driven clock.

Time moves only when a test says so (`clock.advance` + `timers.fire_due`); nothing sleeps.
Each test asserts what a user would see (cells, toasts, banners, screens) or what the
service would see (the simulator's world state, the requests it received).
"""

from __future__ import annotations

import gc
import json
import weakref

from support.dashboard import (
    LIST,
    SIZE,
    Quiet,
    advance,
    banner,
    cursor_id,
    finish_time,
    finished_and_selected,
    finished_status,
    focus_finished,
    focus_pane,
    header_text,
    make_dashboard,
    panes,
    plain,
    quiet,
    screen_text,
    settle,
    toasts,
    wire,
)
from support.terminal_model import Terminal
from textual._compositor import CompositorUpdate, LayoutUpdate
from textual._styles_cache import StylesCache
from textual.app import App
from textual.dom import DOMNode
from textual.strip import Strip
from textual.widgets import DataTable, Input, Static

from mjtui.api.models import Job
from mjtui.clock import ManualClock
from mjtui.monitor.finals import FINAL_BACKLOG_CAP, FINAL_FETCHES_PER_ACCOUNT
from mjtui.poller import FINAL_BATCH
from mjtui.sim import Simulator
from mjtui.store import Journal
from mjtui.timers import ManualTimers
from mjtui.tui import partial_writes
from mjtui.tui.app import MjtuiApp
from mjtui.tui.channel_pane import ChannelPane
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.formatting import duration, short_job_id
from mjtui.tui.help import HelpScreen
from mjtui.tui.history import HistoryScreen
from mjtui.tui.inspector import InspectorScreen
from mjtui.tui.keys import all_bindings
from mjtui.tui.panels import FINISHED_KEEP, FinishedTable
from mjtui.tui.rows import RowTable
from mjtui.tui.topbar import TopBar


def row_ids(table: RowTable) -> list[str]:
    return list(table.rows)


def ordered_ids(table: RowTable) -> list[str]:
    return table.ordered_keys


def pending_polls(timers: ManualTimers) -> list[float]:
    """The timers waiting, minus the once-a-second tick (always exactly one at <= 1 s)."""
    delays = timers.pending()
    ticks = [d for d in delays if d <= 1.0]
    assert ticks, "the elapsed tick should always be armed"
    delays.remove(ticks[0])
    return delays


# -- panes and gauges -------------------------------------------------------------------------------


async def test_a_pane_per_channel_with_gauges_equal_to_the_service(make_sim, clock):
    sim = make_sim(channels=3, warmup=120)
    app, _timers = make_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = panes(app)
        busy = {c.id: c for c in sim.world.channels.values() if c.running}
        assert set(shown) == set(busy)
        for channel_id, channel in busy.items():
            pane = shown[channel_id]
            jobs, images, videos = pane.gauges.jobs, pane.gauges.images, pane.gauges.videos
            assert (jobs.value, jobs.limit) == (channel.count(), channel.max_jobs)
            assert (images.value, images.limit) == (channel.count("image"), channel.max_image_jobs)
            assert (videos.value, videos.limit) == (channel.count("video"), channel.max_video_jobs)
            assert f"{channel.count()}/{channel.max_jobs}" in jobs.render().plain
            assert set(row_ids(pane)) == set(channel.running)
            assert channel_id in str(pane.border_title)


async def test_a_full_channel_is_marked_full(make_sim, clock):
    q = quiet(make_sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        full, other = panes(app)[q.full], panes(app)[q.other]
        assert full.has_class("-full")
        assert not other.has_class("-full")
        assert full.gauges.jobs.render().plain.endswith("3/3 FULL")
        assert "jobs ██████████ 3/3 FULL  img 3/3" in full.gauges.render().plain
        assert other.gauges.jobs.render().plain.endswith("1/3")
        q.sim.world.cancel(q.sim.world.accounts["main"], q.jobs[0])
        await advance(pilot, clock, timers, 10)
        assert not full.has_class("-full"), "a channel with a free slot is no longer marked full"
        assert full.gauges.jobs.render().plain.endswith("2/3")


# -- polling ----------------------------------------------------------------------------------------


async def test_elapsed_ticks_every_second_without_asking_the_service(make_sim, clock):
    q = quiet(make_sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = panes(app)[q.other]
        before = table.get_cell(q.lone, "elapsed").plain
        requests = q.sim.world.requests
        for expected in ("0:01", "0:02", "0:03"):
            clock.advance(1)
            await timers.fire_due()
            await pilot.pause()
            assert table.get_cell(q.lone, "elapsed").plain == expected
        assert before == "0:00"
        assert q.sim.world.requests == requests, "the tick is local: no request to the service"


async def test_a_slow_answer_does_not_make_jobs_look_older_than_the_service_says(make_sim, clock):
    """The server's elapsed count is as of its answer: carried forward from when the answer came, not from when
    the poll asked (a slow or retried list added its whole wait to every job's clock)."""
    q = quiet(make_sim)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = panes(app)[q.other]
        w.hold(*LIST)
        await advance(pilot, clock, timers, 10, workers=False)  # the poll asks, then waits on the service
        world = q.sim.world
        world.advance()  # the held request has not reached the service's clock yet
        new = world.submit(world.accounts["main"], "a kite over dunes", q.other).jobid
        clock.advance(20)  # ... twenty seconds, while the new job runs: the service answers as of now
        w.release()
        await settle(pilot)
        await timers.fire_due()
        await pilot.pause()
        assert table.get_cell(new, "elapsed").plain == "0:20", "as the service counts it, not 0:40"


async def test_one_list_get_per_account_per_interval(make_sim, clock):
    sim = make_sim(channels=3, warmup=120)
    w = wire(sim)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert w.lists() == 1, "the first poll starts on mount"
        await advance(pilot, clock, timers, 9)
        assert w.lists() == 1
        for interval in range(1, 5):
            await advance(pilot, clock, timers, 10)
            assert w.lists() == 1 + interval
        detail_gets = w.count("GET", "/v2/jobs")
        assert detail_gets >= 1, "jobs finished during the run, each fetched for its final state"


async def test_a_poll_is_not_started_while_one_is_in_flight(make_sim, clock):
    q = quiet(make_sim)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        w.hold(*LIST)
        await advance(pilot, clock, timers, 10, workers=False)  # the next poll starts and hangs on the service
        assert w.lists() == 2
        assert pending_polls(timers) == [], "no poll is armed while one is in flight"
        await pilot.press("ctrl+r")
        await advance(pilot, clock, timers, 25, workers=False)
        assert w.lists() == 2, "neither refresh now nor the timer starts a second, overlapping poll"
        w.release()
        await settle(pilot)
        assert pending_polls(timers) == [10.0], "the next poll is armed when the last one finishes"
        await advance(pilot, clock, timers, 10)
        assert w.lists() == 3


# -- jobs leaving the list --------------------------------------------------------------------------


async def test_a_job_that_leaves_the_list_is_fetched_once_and_shown_with_its_final_status(make_sim, clock):
    q = quiet(make_sim)
    world = q.sim.world
    completes, fails, cancelled = q.jobs
    world.jobs[fails].outcome = "failed"
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        finished = app.query_one(FinishedTable)
        assert finished.row_count == 0
        world.cancel(world.accounts["main"], cancelled)
        until = max(world.jobs[completes].finish_at, world.jobs[fails].finish_at) - clock.now()
        await advance(pilot, clock, timers, until + 10)
        assert world.jobs[completes].final_status == "completed"
        assert {completes, fails, cancelled} <= set(row_ids(finished))
        assert finished_status(app, completes) == "completed"
        assert finished_status(app, fails) == "failed"
        assert finished_status(app, cancelled) == "cancelled"
        assert finished.get_cell(completes, "job").plain == short_job_id(completes)
        assert finished.get_cell(completes, "note").plain == "a red fox in snow"
        assert any("failed: Job failed" in t for t in toasts(app)), "a failure is announced"
        pane = panes(app)[q.full]
        assert row_ids(pane) == [], "they left the channel's pane"
        await advance(pilot, clock, timers, 30)
        for jobid in (completes, fails, cancelled):
            assert w.count("GET", "/v2/jobs", jobid=jobid) == 1, "fetched exactly once for its final state"


def crowded(make_sim, *, channels: int, jobs_per_channel: int = 15, **options) -> Simulator:
    """Channels full of jobs that run for hours (none finishes during a test), no simulated user."""
    sim = make_sim(channels=channels, max_jobs=jobs_per_channel, autopilot=False, fail_rate=0.0, moderation_rate=0.0,
                   speed_scale=200.0, **options)
    world = sim.world
    account = world.accounts["main"]
    for channel in account.channels:
        for n in range(jobs_per_channel):
            world.submit(account, f"a long night {n}", channel)
    return sim


def running_ids(sim: Simulator) -> list[str]:
    return [job for channel in sim.world.channels.values() for job in channel.running]


def cancel_on_the_service(sim: Simulator, jobs: list[str]) -> None:
    for job in jobs:
        sim.world.cancel(sim.world.accounts["main"], job)


def shown_jobs(app: MjtuiApp) -> int:
    return sum(len(pane.jobs) for pane in panes(app).values())


async def test_final_states_past_the_backlogs_cap_are_given_up_oldest_first_and_shown_as_not_fetched(make_sim, clock):
    """Issue 14: with the service slower than jobs leave, the backlog grew without bound; now it is capped."""
    sim = crowded(make_sim, channels=45)
    w = wire(sim)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        w.hold("GET", "/v2/jobs")  # the service answers no detail GET for now
        order = running_ids(sim)
        for batch in range(4):  # 150 leave each poll, never nearly all of the list: real departures, no flapping
            cancel_on_the_service(sim, order[150 * batch: 150 * (batch + 1)])
            await advance(pilot, clock, timers, 10, workers=False)
        given_up = 600 - FINAL_BACKLOG_CAP - FINAL_FETCHES_PER_ACCOUNT
        finished = app.query_one(FinishedTable)
        notes = {job: finished.get_cell(job, "note").plain for job in finished.rows}
        assert [job for job, note in notes.items() if "final state not fetched" in note] == order[8: 8 + given_up]
        finals = app.accounts["main"].finals
        assert finals.backlog == FINAL_BACKLOG_CAP + FINAL_FETCHES_PER_ACCOUNT, "the cap, and the fetches in flight"
        w.release()
        await settle(pilot)
        fetched = {jobid for m, p, jobid, _ in w.log if (m, p) == ("GET", "/v2/jobs/")}
        assert len(fetched) == w.count("GET", "/v2/jobs") == FINAL_BACKLOG_CAP + FINAL_FETCHES_PER_ACCOUNT
        assert not fetched & set(order[8: 8 + given_up]), "a job given up is never fetched"
        assert finals.backlog == 0


async def test_a_list_flapping_between_full_and_empty_fetches_no_final_state(make_sim, clock):
    """Issue 14: 300 jobs, then none, then 300 again...: 2,867 detail GETs in 20 polls; now none, and the panes follow
    the list."""
    sim = crowded(make_sim, channels=20, faults="flap")
    w = wire(sim)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(19):
            await advance(pilot, clock, timers, 10)
        assert w.lists() == 20
        assert shown_jobs(app) == 0, "the 20th list was empty, and the panes say so"
        await advance(pilot, clock, timers, 10)
        assert shown_jobs(app) == 300, "the 21st list was full again"
        assert w.count("GET", "/v2/jobs") == 0
        assert app.query_one(FinishedTable).row_count == 0 and toasts(app) == [], "nothing finished, nothing announced"


async def test_a_list_that_really_dropped_every_job_is_fetched_on_the_next_poll(make_sim, clock):
    sim = crowded(make_sim, channels=20)
    w = wire(sim)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cancel_on_the_service(sim, running_ids(sim))
        await advance(pilot, clock, timers, 10)
        assert w.count("GET", "/v2/jobs") == 0, "all 300 gone at once: held until the next poll confirms it"
        assert shown_jobs(app) == 0, "the panes show the list as it is"
        await advance(pilot, clock, timers, 10)
        assert w.count("GET", "/v2/jobs") == 300
        assert toasts(app)[-1] == ": 300 jobs cancelled · 20 channels"


async def test_a_429_on_final_states_waits_its_retry_after_then_shows_them(make_sim, clock):
    """The service's limit is kept: a 429 pauses the account's detail GETs for Retry-After, then they are asked again."""
    q = quiet(make_sim)
    inner, refusing = q.sim.app, [True]

    async def busy_job_endpoint(scope, receive, send):
        if refusing[0] and scope["type"] == "http" and scope["path"].startswith("/v2/jobs"):
            body = json.dumps({"error": "Too many requests", "code": 429}).encode()
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", b"application/json"), (b"retry-after", b"30")]})
            await send({"type": "http.response.body", "body": body})
            return
        await inner(scope, receive, send)

    q.sim.app = busy_job_endpoint
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cancel_on_the_service(q.sim, q.jobs)
        await advance(pilot, clock, timers, 10)
        refused = w.count("GET", "/v2/jobs")
        assert 1 <= refused <= 3, "the fetches in flight when the first 429 came"
        await advance(pilot, clock, timers, 25)
        assert w.count("GET", "/v2/jobs") == refused, "no detail GET before the 30 s the service asked for"
        assert app.query_one(FinishedTable).row_count == 0, "not shown as failed fetches: they are still to come"
        refusing[0] = False
        await advance(pilot, clock, timers, 10)
        assert [finished_status(app, job) for job in q.jobs] == ["cancelled"] * 3
        assert w.count("GET", "/v2/jobs") == refused + 3


async def test_rows_are_keyed_by_job_and_the_cursor_follows_its_job_across_a_refresh(make_sim, clock):
    q = quiet(make_sim, max_jobs=6)
    world = q.sim.world
    main = world.accounts["main"]
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = await focus_pane(pilot, q.full)
        assert ordered_ids(table) == q.jobs
        await pilot.press("j", "j")
        assert cursor_id(table) == q.jobs[2]
        world.cancel(main, q.jobs[0])  # a job above the cursor goes away
        added = world.submit(main, "a newcomer", q.full).jobid  # and one arrives
        await advance(pilot, clock, timers, 10)
        assert ordered_ids(table) == [q.jobs[1], q.jobs[2], added]
        assert cursor_id(table) == q.jobs[2], "the cursor stays on the job it was on"
        assert table.cursor_row == 1


# -- navigation -------------------------------------------------------------------------------------


async def test_at_start_the_first_pane_has_focus_and_enter_inspects_its_first_job(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.focused is panes(app)[q.full], "the first pane, whose first row is highlighted"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen) and app.screen.job_id == q.jobs[0]


async def test_every_tab_stop_shows_its_focus_and_the_finished_list_is_one_once_it_has_a_job(make_sim, clock):
    """Tab reaches only widgets that show focus: a pane (its border), the finished list once it has rows (its cursor);
    never the scroll area around the accounts, nor the hidden filter, nor an account that could not be polled."""
    q = quiet(make_sim, speed_scale=0.3)
    app, timers = make_dashboard(q.sim, clock, problems={"broken": ("useapi", "no token")})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        stops = []
        for _ in range(4):
            await pilot.press("tab")
            stops.append(app.focused)
        assert all(isinstance(stop, ChannelPane) for stop in stops), stops
        assert {stop.channel_id for stop in stops} == {q.full, q.other}
        await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 10)
        table = await focus_finished(pilot)
        assert cursor_id(table) == q.lone


async def test_tab_moves_between_panes_and_j_k_move_in_a_table(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        first = app.focused
        assert isinstance(first, ChannelPane)
        await pilot.press("tab")
        second = app.focused
        assert isinstance(second, ChannelPane) and second is not first
        assert {first.channel_id, second.channel_id} == {q.full, q.other}
        await pilot.press("shift+tab")
        assert app.focused is first
        table = panes(app)[q.full]
        if first is not table:
            await pilot.press("tab")
        assert app.focused is table
        assert cursor_id(table) == q.jobs[0]
        await pilot.press("j")
        assert cursor_id(table) == q.jobs[1]
        await pilot.press("j")
        assert cursor_id(table) == q.jobs[2]
        await pilot.press("k")
        assert cursor_id(table) == q.jobs[1]
        await pilot.press("down")
        assert cursor_id(table) == q.jobs[2]


# -- the inspector ----------------------------------------------------------------------------------


async def test_enter_opens_the_inspector_on_the_selected_job_and_escape_closes_it(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.full)
        await pilot.press("j", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InspectorScreen)
        assert screen.job_id == q.jobs[1]
        summary = plain(screen.query_one("#summary", Static))
        assert "a blue whale at dawn" in summary
        assert q.jobs[1] in plain(screen.query_one("#title", Static))
        await pilot.press("escape")
        assert not isinstance(app.screen, InspectorScreen)
        assert len(app.screen_stack) == 1


async def test_the_inspector_follows_a_running_job_until_it_is_final(make_sim, clock):
    q = quiet(make_sim, speed_scale=0.3)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.other)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InspectorScreen)
        assert "following" in plain(screen.query_one("#title", Static))
        assert "status    " in plain(screen.query_one("#summary", Static))
        await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 10)
        assert app.screen is screen
        summary = plain(screen.query_one("#summary", Static))
        assert summary.startswith("status    completed")
        assert "following" not in plain(screen.query_one("#title", Static))
        assert "U1" in screen.query_one("#buttons", DataTable).rows, "its buttons, listed to press"
        attachments = screen.query_one("#attachments", DataTable)
        assert attachments.row_count == 1
        assert attachments.get_row_at(0)[3].plain == "128x128"
        assert attachments.get_row_at(0)[1].plain.startswith("sim_")
        fetched = w.count("GET", "/v2/jobs", jobid=q.lone)
        await advance(pilot, clock, timers, 60)
        assert w.count("GET", "/v2/jobs", jobid=q.lone) == fetched, "a final job is no longer followed"


async def test_children_are_listed_and_enter_on_a_child_opens_it(make_sim, clock):
    q = quiet(make_sim, speed_scale=0.3)
    world = q.sim.world
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 10)
        assert finished_status(app, q.lone) == "completed"
        child = world.press(world.accounts["main"], q.lone, "U2").jobid
        table = await focus_finished(pilot)
        assert cursor_id(table) == q.lone
        await pilot.press("enter")
        await settle(pilot)
        parent_screen = app.screen
        assert isinstance(parent_screen, InspectorScreen) and parent_screen.job_id == q.lone
        children = parent_screen.query_one("#children", DataTable)
        assert children.display
        assert [cell.plain for cell in children.get_row_at(0)] == ["U2", child]
        children.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen) and app.screen.job_id == child
        assert "U2" in plain(app.screen.query_one("#summary", Static))
        await pilot.press("escape")
        assert app.screen is parent_screen


# -- cancel -----------------------------------------------------------------------------------------


async def test_cancel_asks_first_naming_the_job_and_only_yes_cancels(make_sim, clock):
    q = quiet(make_sim)
    world = q.sim.world
    target = q.jobs[1]
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.full)
        await pilot.press("j")
        for deny in ("n", "escape"):
            await pilot.press("x")
            assert isinstance(app.screen, ConfirmScreen)
            assert target in plain(app.screen.query_one("#question", Static))
            await pilot.press(deny)
            await settle(pilot)
            assert not isinstance(app.screen, ConfirmScreen)
            assert world.jobs[target].final_status is None, f"{deny} leaves the job running"
            assert target in world.channels[q.full].running
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert world.jobs[target].final_status == "failed"
        assert world.jobs[target].error == "Job cancelled by user"
        assert any(f"cancelled {short_job_id(target)}" in t for t in toasts(app))
        assert finished_status(app, target) == "cancelled", "the cancel is followed by a poll that shows it"
        said = [t for t in toasts(app) if short_job_id(target) in t]
        assert len(said) == 1, f"one toast for a cancel made here, not the action's and the poll's: {said}"
        assert target not in row_ids(panes(app)[q.full])
        assert world.jobs[q.jobs[0]].final_status is None and world.jobs[q.jobs[2]].final_status is None


async def test_a_double_press_does_not_send_a_cancel_twice(make_sim, clock):
    q = quiet(make_sim)
    w = wire(q.sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.full)
        w.hold("DELETE", "/v3/midjourney/jobs/")
        await pilot.press("x", "y")
        await settle(pilot, workers=False)
        assert w.count("DELETE", "/v3/midjourney/jobs/") == 1
        await pilot.press("x")
        await settle(pilot, workers=False)
        assert not isinstance(app.screen, ConfirmScreen), "no second question while the first answer is in flight"
        assert any("cancel is already being sent" in t for t in toasts(app))
        w.release()
        await settle(pilot)
        assert w.count("DELETE", "/v3/midjourney/jobs/") == 1, "the second press sent nothing"
        assert q.sim.world.jobs[q.jobs[0]].error == "Job cancelled by user"


# -- relax / fast / turbo / info --------------------------------------------------------------------


async def test_relax_fast_turbo_switch_the_selected_channel_and_its_title_shows_the_mode(make_sim, clock):
    q = quiet(make_sim)
    world = q.sim.world
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.other)
        pane = panes(app)[q.other]
        assert world.channels[q.other].mode == "fast"
        for key, mode in (("r", "relax"), ("t", "turbo"), ("f", "fast")):
            await pilot.press(key)
            await settle(pilot)
            assert world.channels[q.other].mode == mode
            assert str(pane.border_title).endswith(f"· {mode}")
            assert any(t.startswith(f"/{mode} on") for t in toasts(app))
        assert world.channels[q.full].mode == "fast", "only the selected channel changed"


async def test_a_double_press_of_relax_sends_it_once(make_sim, clock):
    q = quiet(make_sim)
    w = wire(q.sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.other)
        w.hold("POST", "/v2/jobs/relax")
        await pilot.press("r", "r")
        await settle(pilot, workers=False)
        assert any("/relax is already being sent" in t for t in toasts(app))
        w.release()
        await settle(pilot)
        assert w.count("POST", "/v2/jobs/relax") == 1
        assert q.sim.world.channels[q.other].mode == "relax"


# -- seed -------------------------------------------------------------------------------------------


def seed_text(app: MjtuiApp) -> str:
    return plain(app.screen.query_one("#seed", Static))


async def assert_seed_runs_then_arrives(pilot, q: Quiet, clock: ManualClock, timers: ManualTimers) -> int:
    """After `s`: the inspector shows the seed job running until the clock moves, then the seed and its 4 images."""
    app = pilot.app
    before = clock.now()
    await settle(pilot)
    assert clock.now() == before, "only the test moves time"
    assert isinstance(app.screen, InspectorScreen) and app.screen.job_id == q.lone
    running = seed_text(app)
    assert "seed job" in running and "started" in running, running
    assert q.sim.world.jobs[q.lone].seed_job is not None, "the service is working on it"
    await advance(pilot, clock, timers, 20)
    value = q.sim.world.jobs[q.lone].seed["value"]
    shown = seed_text(app)
    assert shown.startswith(f"seed      {value}")
    urls = [line.split()[-1] for line in shown.splitlines() if line.startswith("image ")]
    assert len(urls) == 4
    assert all(url.startswith("http://sim.mjtui.invalid/attachments/64/") for url in urls)
    assert any(f"seed {value} (4 images)" in t for t in toasts(app))
    return value


async def test_seed_in_the_inspector_runs_then_shows_value_and_four_images_and_y_copies_it(make_sim, clock, monkeypatch):
    q = quiet(make_sim, speed_scale=0.3)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await finished_and_selected(pilot, q, clock, timers)
        await pilot.press("enter")
        await settle(pilot)
        assert "not fetched (s fetches it)" in seed_text(app)
        await pilot.press("y")
        assert any("no seed yet" in t for t in toasts(app))
        assert app.clipboard == ""
        await pilot.press("s", "s")
        assert any("seed is already being sent" in t for t in toasts(app)), "a double press asks once"
        value = await assert_seed_runs_then_arrives(pilot, q, clock, timers)
        assert w.count("POST", "/v2/jobs/seed_async") == 1
        await pilot.press("y")
        assert app.clipboard == str(value)
        assert any(f"seed {value} copied" in t for t in toasts(app))
        monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,4242,0")  # tmux drops OSC 52 unless told: say how
        await pilot.press("y")
        assert any(f"seed {value} sent to the clipboard; inside tmux it arrives only with `set -g set-clipboard on`" in t
                   for t in toasts(app))


async def test_seed_from_recently_finished_opens_the_inspector_and_fetches_the_seed(make_sim, clock):
    q = quiet(make_sim, speed_scale=0.3)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await finished_and_selected(pilot, q, clock, timers)
        await pilot.press("s")
        await assert_seed_runs_then_arrives(pilot, q, clock, timers)
        await pilot.press("y")
        assert app.clipboard == str(q.sim.world.jobs[q.lone].seed["value"])


async def test_seed_of_a_running_job_is_refused_with_a_reason(make_sim, clock):
    q = quiet(make_sim)
    w = wire(q.sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.other)
        await pilot.press("s")
        await settle(pilot)
        assert any("the job is still running" in t for t in toasts(app))
        assert w.count("POST", "/v2/jobs/seed_async") == 0


# -- errors: 401, 429, 596 --------------------------------------------------------------------------


async def test_401_mid_session_stops_polling_behind_a_banner_and_ctrl_r_retries(make_sim, clock):
    q = quiet(make_sim)
    world = q.sim.world
    world.schedule_revoke(15)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert " live " in header_text(app)
        assert not banner(app).has_class("-visible")
        await advance(pilot, clock, timers, 20)  # the poll at 20 s meets the revoked token
        assert " unauthorized " in header_text(app)
        assert banner(app).has_class("-visible")
        text = plain(banner(app))
        assert text.startswith("401 Unauthorized: the service rejected the token of account 'main'")
        assert "ctrl+r" in text
        assert pending_polls(timers) == [], "polling stopped"
        requests = world.requests
        await advance(pilot, clock, timers, 60)
        assert world.requests == requests, "no request while unauthorized"
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert world.requests == requests + 1, "ctrl+r retries"
        assert " unauthorized " in header_text(app)
        world.accounts["main"].revoked = False  # the user fixed the token
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert " live " in header_text(app)
        assert not banner(app).has_class("-visible")
        assert pending_polls(timers) == [10.0], "polling resumed"


async def test_401_from_the_revoke_after_fault(make_sim, clock):
    sim = make_sim(channels=2, faults="revoke_after=25", warmup=60)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 20)
        assert " live " in header_text(app)
        await advance(pilot, clock, timers, 10)
        assert " unauthorized " in header_text(app)
        assert "401 Unauthorized" in plain(banner(app))


async def test_429_with_retry_after_shows_retrying_and_waits_at_least_that_long(make_sim, clock):
    sim = make_sim(channels=2, faults="rate_limit=1,retry_after=30", warmup=60)
    w = wire(sim)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert w.lists() == 1
        words = header_text(app).split("retrying in ", 1)
        assert len(words) == 2, header_text(app)
        seconds = int(words[1].split("s", 1)[0])
        assert seconds >= 30
        polls = pending_polls(timers)
        assert len(polls) == 1 and polls[0] >= 30, "the next poll is not scheduled sooner than Retry-After"
        assert not banner(app).has_class("-visible"), "a 429 is retried, not a halt"
        assert "429" in plain(app.dashboard.section("main").problem), "the line under the header says why it is retrying"
        await advance(pilot, clock, timers, 29)
        assert w.lists() == 1
        assert "retrying in" in header_text(app)
        await advance(pilot, clock, timers, polls[0] - 29)
        assert w.lists() == 2
        assert "2 errors" in header_text(app)


async def test_596_halts_polling_behind_a_banner_and_a_confirmed_reset_resumes_it(make_sim, clock):
    q = quiet(make_sim)
    world = q.sim.world
    world.schedule_moderation(5, q.other)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 10)
        assert " moderation pending " in header_text(app)
        text = plain(banner(app))
        assert banner(app).has_class("-visible")
        assert f"Moderation pending on channel {q.other}" in text
        assert "press R" in text
        assert pending_polls(timers) == []
        lists = w.lists()
        await advance(pilot, clock, timers, 30)
        assert w.lists() == lists, "no polling while halted"
        await pilot.press("R")
        assert isinstance(app.screen, ConfirmScreen)
        assert q.other in plain(app.screen.query_one("#question", Static))
        await pilot.press("n")
        await settle(pilot)
        assert world.channels[q.other].pending_mod, "n resets nothing"
        await pilot.press("R", "y")
        await settle(pilot)
        assert not world.channels[q.other].pending_mod
        assert w.count("POST", f"/v2/account/midjourney/{q.other}/reset") == 1
        assert any(f"channel {q.other} reset" in t for t in toasts(app))
        assert w.lists() == lists + 1, "polling resumes at once"
        assert " live " in header_text(app)
        assert not banner(app).has_class("-visible")
        await advance(pilot, clock, timers, 10)
        assert w.lists() == lists + 2


async def test_other_accounts_keep_polling_during_a_401_or_596(make_sim, clock):
    sim = make_sim(channels=4, accounts=2, warmup=60)
    world = sim.world
    world.schedule_revoke(5, "main")
    w = wire(sim)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 10)
        assert " unauthorized " in header_text(app, "main")
        assert " live " in header_text(app, "alt1")
        assert banner(app, "main").has_class("-visible") and not banner(app, "alt1").has_class("-visible")
        main, alt = w.lists("main"), w.lists("alt1")
        await advance(pilot, clock, timers, 30)
        assert w.lists("main") == main
        assert w.lists("alt1") == alt + 3
        halted = world.accounts["alt1"].channels[0]
        world.schedule_moderation(0, halted)
        world.accounts["main"].revoked = False
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert " moderation pending " in header_text(app, "alt1")
        assert " live " in header_text(app, "main")
        main = w.lists("main")
        await advance(pilot, clock, timers, 30)
        assert w.lists("main") == main + 3, "main keeps polling while alt1 is halted"
        assert " moderation pending " in header_text(app, "alt1")


# -- pause, filter, sort, interval ------------------------------------------------------------------


def topbar(app: MjtuiApp) -> str:
    return plain(app.query_one(TopBar))


async def test_p_pauses_polling_and_p_again_resumes(make_sim, clock):
    q = quiet(make_sim)
    world = q.sim.world
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert " paused " in header_text(app)
        assert "PAUSED" in topbar(app)
        assert pending_polls(timers) == []
        requests = world.requests
        await advance(pilot, clock, timers, 60)
        assert world.requests == requests, "no requests while paused"
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert world.requests == requests, "refresh now does not poll while paused"
        assert any("paused: press p to resume" in t for t in toasts(app))
        await pilot.press("p")
        await settle(pilot)
        assert w.lists() == 2, "resuming polls at once"
        assert " live " in header_text(app)
        assert "PAUSED" not in topbar(app)
        assert pending_polls(timers) == [10.0]


async def test_a_job_the_filter_hides_can_change_while_the_clocks_tick(make_sim, clock):
    """A hidden job whose type changes on the service is not drawn, and the next tick does not trip over it."""
    q = quiet(make_sim)
    world = q.sim.world
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        full = panes(app)[q.full]
        await pilot.press("slash", *short_job_id(q.jobs[1])[-5:])
        await settle(pilot)
        assert row_ids(full) == [q.jobs[1]]
        world.jobs[q.jobs[0]].job_type = "video"  # a job the filter hides changes
        await advance(pilot, clock, timers, 10)
        await advance(pilot, clock, timers, 3, step=1)  # clocks tick with it in the pane's data
        assert row_ids(full) == [q.jobs[1]], "still hidden"
        assert app.is_running
        await pilot.press("escape")
        await settle(pilot)
        assert full.get_cell(q.jobs[0], "type").plain == "video", "shown as it is now once the filter is cleared"


async def test_filter_narrows_every_pane_and_escape_clears_it(make_sim, clock):
    q = quiet(make_sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        full, other = panes(app)[q.full], panes(app)[q.other]
        await pilot.press("slash")
        field_ = app.query_one("#filter", Input)
        assert field_.has_focus and field_.display
        needle = short_job_id(q.jobs[1])[-5:]
        assert sum(needle in jobid for jobid in [*q.jobs, q.lone]) == 1
        await pilot.press(*needle)
        await settle(pilot)
        assert row_ids(full) == [q.jobs[1]]
        assert row_ids(other) == []
        assert f"filter: {needle}" in topbar(app)
        await advance(pilot, clock, timers, 10)
        assert row_ids(full) == [q.jobs[1]], "the filter holds across a refresh"
        await pilot.press("escape")
        await settle(pilot)
        assert not field_.display
        assert set(row_ids(full)) == set(q.jobs)
        assert row_ids(other) == [q.lone]
        assert "filter:" not in topbar(app)


async def test_filter_by_channel_id_keeps_that_pane_only(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        needle = q.other[-6:]
        assert needle not in q.full
        await pilot.press("slash", *needle, "enter")
        await settle(pilot)
        assert row_ids(panes(app)[q.other]) == [q.lone]
        assert row_ids(panes(app)[q.full]) == []
        assert not app.query_one("#filter", Input).display, "enter keeps the filter and hides the field"
        assert f"filter: {needle}" in topbar(app)


async def test_o_cycles_the_sort_order(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = panes(app)[q.full]
        assert ordered_ids(table) == q.jobs
        await pilot.press("o")
        assert ordered_ids(table) == q.jobs[::-1]
        assert any("sorted by newest" in t for t in toasts(app))
        await pilot.press("o")
        assert any("sorted by type" in t for t in toasts(app))
        assert ordered_ids(table) == q.jobs
        await pilot.press("o")
        assert any("sorted by created" in t for t in toasts(app))
        assert ordered_ids(table) == q.jobs


async def test_the_column_the_panes_are_sorted_by_is_marked_in_its_header(make_sim, clock):
    """o moves the mark: created▲ (oldest first), created▼ (newest first), type▲; in every pane on screen."""
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        marks = ("created▲", "created▼", "type▲")
        for marked in (*marks, marks[0]):  # and back to the first order
            text = screen_text(app)
            assert [text.count(mark) for mark in marks] == [2 if mark == marked else 0 for mark in marks], marked
            await pilot.press("o")
            await settle(pilot)


async def test_plus_and_minus_change_the_interval_shown_in_the_header(make_sim, clock):
    q = quiet(make_sim)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "every 10s" in header_text(app)
        await pilot.press("plus")
        assert "every 15s" in header_text(app)
        assert pending_polls(timers) == [15.0]
        await pilot.press("minus", "minus")
        assert "every 5s" in header_text(app)
        assert pending_polls(timers) == [5.0]
        await advance(pilot, clock, timers, 5)
        assert w.lists() == 2
        for _ in range(6):
            await pilot.press("minus")
        assert "every 2s" in header_text(app), "the floor is 2 s"
        await pilot.press("equals_sign")
        assert "every 3s" in header_text(app)


# -- help, readonly, keymap, quit -------------------------------------------------------------------


async def test_question_mark_opens_help_listing_every_binding(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        listed = {table.get_row_at(i)[2].plain for i in range(table.row_count)}
        wanted = {b.id for b in all_bindings()} | {b.id for b in InspectorScreen.BINDINGS}
        assert wanted <= listed
        history = {table.get_row_at(i)[2].plain: table.get_row_at(i)[1].plain for i in range(table.row_count)}
        for binding in HistoryScreen.BINDINGS:  # before the history screen was ever opened
            assert history[binding.id] == f"history: {binding.description}"
        keys = {table.get_row_at(i)[2].plain: table.get_row_at(i)[0].plain for i in range(table.row_count)}
        assert keys["cancel"] == "x, del"
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_readonly_refuses_every_mutating_key_and_says_so(make_sim, clock):
    q = quiet(make_sim, speed_scale=0.3)
    world = q.sim.world
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock, readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "read-only" in topbar(app)
        await focus_pane(pilot, q.full)
        for key, what in (("x", "cancel"), ("r", "/relax"), ("f", "/fast"), ("t", "/turbo"), ("i", "/info"), ("s", "seed")):
            await pilot.press(key)
            await settle(pilot)
            assert not isinstance(app.screen, ConfirmScreen)
            assert any(f"read-only mode (--readonly): {what} is off" in t for t in toasts(app)), what
        await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 10)
        await focus_finished(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert not isinstance(app.screen, InspectorScreen)
        assert world.channels[q.full].mode == "fast"
        assert world.jobs[q.lone].seed is None and world.jobs[q.lone].seed_job is None
        assert all(method == "GET" for method, *_ in w.log), "nothing but GETs reached the service"


async def footer_line(pilot) -> str:
    for _ in range(5):  # a footer composes its keys once the bindings are known, a refresh or two later
        await pilot.pause()
    return screen_text(pilot.app).splitlines()[-1]


async def test_readonly_keeps_the_keys_it_would_refuse_off_the_footer(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock, readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = await footer_line(pilot)
        for key in ("Mode", "Cancel job", "Seed"):
            assert key not in shown, shown
        for key in ("/ Filter", "h History", "? Help", "q Quit"):
            assert key in shown, shown


async def test_the_keymap_rebinds_a_key(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock, keymap={"cancel": "c", "relax": "ctrl+e"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.full)
        await pilot.press("x")
        assert not isinstance(app.screen, ConfirmScreen), "x is no longer cancel"
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        assert q.jobs[0] in plain(app.screen.query_one("#question", Static))
        await pilot.press("escape")
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert q.sim.world.channels[q.full].mode == "relax"
        await pilot.press("question_mark")
        table = app.screen.query_one("#help-table", DataTable)
        keys = {table.get_row_at(i)[2].plain: table.get_row_at(i)[0].plain for i in range(table.row_count)}
        assert keys["cancel"] == "c"


async def test_q_quits(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


# -- hostile text -----------------------------------------------------------------------------------


async def test_markup_and_escapes_in_a_prompt_are_shown_literally(make_sim, clock):
    q = quiet(make_sim)
    world = q.sim.world
    hostile = "[bold]x[/bold] [@click=app.quit]y\x1b[31mRED\x1b[0m\x1b]52;c;aGk=\x07 end"
    job = world.submit(world.accounts["main"], hostile, q.other).jobid
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = await focus_pane(pilot, q.other)
        await pilot.press("j")
        assert cursor_id(table) == job
        await pilot.press("enter")
        await settle(pilot)
        summary = plain(app.screen.query_one("#summary", Static))
        prompt_line = next(line for line in summary.splitlines() if line.startswith("prompt"))
        assert prompt_line == "prompt    [bold]x[/bold] [@click=app.quit]yRED end"
        assert "\x1b" not in summary
        row = summary.splitlines().index(prompt_line)
        for column in (12, 42):  # where the [@click] link would be, had the markup been applied, and where it is
            await pilot.click("#summary", offset=(column, row))
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, InspectorScreen)


# -- the remaining keys -----------------------------------------------------------------------------


async def test_ctrl_r_and_f5_poll_now_and_rearm_the_interval(make_sim, clock):
    q = quiet(make_sim)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 5)
        assert pending_polls(timers) == [5.0]
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert w.lists() == 2
        assert pending_polls(timers) == [10.0], "the next poll counts from this one"
        await advance(pilot, clock, timers, 3)
        await pilot.press("f5")
        await settle(pilot)
        assert w.lists() == 3


async def test_delete_also_cancels(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.other)
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert q.sim.world.jobs[q.lone].error == "Job cancelled by user"


async def test_the_inspector_cancels_its_job_after_confirmation(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.other)
        await pilot.press("enter")
        await settle(pilot)
        inspector = app.screen
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        assert q.lone in plain(app.screen.query_one("#question", Static))
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is inspector
        assert q.sim.world.jobs[q.lone].error == "Job cancelled by user"
        await pilot.press("ctrl+r")  # the inspector's refresh shows what became of it
        await settle(pilot)
        summary = plain(inspector.query_one("#summary", Static))
        assert summary.startswith("status    failed")
        assert "Job cancelled by user" in summary


async def test_o_in_the_inspector_opens_the_parent_job(make_sim, clock):
    q = quiet(make_sim, speed_scale=0.3)
    world = q.sim.world
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 5)
        world.advance()
        child = world.press(world.accounts["main"], q.lone, "V1").jobid
        await advance(pilot, clock, timers, 10)
        table = await focus_pane(pilot, q.other)
        assert cursor_id(table) == child
        await pilot.press("enter")
        await settle(pilot)
        assert f"parent    {q.lone}" in plain(app.screen.query_one("#summary", Static))
        assert "o Parent" in await footer_line(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen) and app.screen.job_id == q.lone
        assert "o Parent" not in await footer_line(pilot), "a job with no parent offers none"
        await pilot.press("o")
        await settle(pilot)
        assert app.screen.job_id == q.lone and len(app.screen_stack) == 3


async def test_reset_without_a_596_says_there_is_nothing_to_reset(make_sim, clock):
    q = quiet(make_sim)
    w = wire(q.sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("no account is halted" in t for t in toasts(app))
        assert w.count("POST", "/v2/account/") == 0


async def test_new_jobs_are_highlighted_briefly(make_sim, clock):
    q = quiet(make_sim, max_jobs=6)
    world = q.sim.world
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not panes(app)[q.full].get_cell(q.jobs[0], "id").style, "jobs of the first poll are not new"
        added = world.submit(world.accounts["main"], "fresh", q.full).jobid
        await advance(pilot, clock, timers, 10)
        table = panes(app)[q.full]
        assert table.get_cell(added, "id").style, "a new job stands out"
        await advance(pilot, clock, timers, 4, step=1)
        assert not table.get_cell(added, "id").style, "for a few seconds"


async def test_every_binding_is_in_the_command_palette(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        commands = list(app.get_system_commands(app.screen))
        titles = [command.title for command in commands]
        assert [title for title in titles if title.startswith("Quit")] == ["Quit"], "Textual's Quit, once"
        helps = {command.title.split(" (")[0]: command.help for command in commands}
        for binding in all_bindings():
            if binding.description != "Quit":
                assert binding.description in helps, binding.id
                described = helps[binding.description]
                assert described.split(": ")[-1] != binding.id, f"a description, not a bare id: {binding.id}"
        await focus_pane(pilot, q.other)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"relax")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert q.sim.world.channels[q.other].mode == "relax", "the palette runs it on the selected channel"
        assert q.sim.world.channels[q.full].mode == "fast"


async def test_ctrl_c_quits(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.full)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running


async def test_readonly_refuses_the_moderation_reset(make_sim, clock):
    q = quiet(make_sim)
    q.sim.world.schedule_moderation(5, q.other)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock, readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 10)
        assert " moderation pending " in header_text(app)
        await pilot.press("R")
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("read-only mode (--readonly): moderation reset is off" in t for t in toasts(app))
        assert q.sim.world.channels[q.other].pending_mod
        assert w.count("POST", "/v2/account/") == 0


async def test_a_failed_cancel_shows_the_api_error(make_sim, clock):
    q = quiet(make_sim)
    world = q.sim.world
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.other)
        await pilot.press("x")
        world.cancel(world.accounts["main"], q.lone)  # it ends while the question is on screen
        await pilot.press("y")
        await settle(pilot)
        failures = [n for n in app.notices if n.title == "cancel failed"]
        assert len(failures) == 1
        assert failures[0].severity == "error"
        assert failures[0].text.startswith(f"409 Conflict: Job {q.lone} is not running")
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen), "a failed cancel does not leave the key stuck in flight"


async def test_a_bug_under_a_confirmed_cancel_is_told_and_the_key_works_again(make_sim, clock):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        async def broken(job_id: str) -> None:  # a bug somewhere under the provider's call
            raise RuntimeError("boom")

        app.accounts["main"].service.cancel = broken
        await focus_pane(pilot, q.other)
        await pilot.press("x", "y")
        await settle(pilot)
        failures = [n for n in app.notices if n.title == "cancel failed"]
        assert [n.text for n in failures] == ["internal error: RuntimeError: boom"]
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen), "the cancel is not left marked in flight"


async def test_an_imaginepro_account_is_polled_no_faster_than_its_limit_and_a_mode_key_shows_in_its_info(make_sim, clock):
    sim = make_sim(channels=1, imaginepro=True, autopilot=False)
    app, timers = make_dashboard(sim, clock, accounts=["ip"])
    ip_channel = sim.world.accounts["ip"].channels[0]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        state = app.accounts["ip"]
        assert state.snapshot is not None and ip_channel in state.snapshot.stats
        assert state.min_poll_seconds == 6 and app.poller.interval("ip") == max(app.poller.refresh_seconds, 6)
        await advance(pilot, clock, timers, 4, step=1)
        await focus_pane(pilot, ip_channel)
        await pilot.press("r")
        await settle(pilot)
        await advance(pilot, clock, timers, 2 * app.poller.interval("ip"), step=1)
        assert sim.world.channels[ip_channel].mode == "relax"
        assert state.snapshot.info[ip_channel].mode == "relax", "the mode, as the next poll of the account list says"
        assert sim.world.gate.refused() == 0, "no request over ImaginePro's rate limit"


async def test_changing_the_interval_does_not_cut_a_retry_after_wait_short(make_sim, clock):
    sim = make_sim(channels=2, faults="rate_limit=1,retry_after=30", warmup=60)
    w = wire(sim)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "retrying in 30s" in header_text(app)
        await pilot.press("minus")
        assert "every 5s" in header_text(app)
        assert min(pending_polls(timers)) >= 30, "Retry-After still holds"
        await advance(pilot, clock, timers, 25)
        assert w.lists() == 1, "no poll before the 30 s the service asked for"


async def test_pause_also_stops_the_inspector_following_a_job(make_sim, clock):
    q = quiet(make_sim)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.other)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen)
        await pilot.press("p")
        await settle(pilot)
        assert " paused " in header_text(app)
        requests = len(w.log)
        await advance(pilot, clock, timers, 40)
        assert w.log[requests:] == [], "no requests while paused"


async def test_a_keymap_key_that_a_table_uses_to_move_is_reported(make_sim, clock):
    """k moves the cursor in a job table, so binding cancel to k cannot work: the user is told at start."""
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock, keymap={"cancel": "k"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("cancel = k" in t and "tables use that key" in t for t in toasts(app))
        await focus_pane(pilot, q.full)
        await pilot.press("j", "k")
        assert not isinstance(app.screen, ConfirmScreen), "k still moves the cursor; nothing is cancelled by surprise"


async def test_at_160_columns_every_job_table_fits_its_pane(make_sim, clock):
    sim = make_sim(channels=3, warmup=120)
    app, _timers = make_dashboard(sim, clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tables = list(app.query(ChannelPane))
        assert len(tables) == 3
        assert all(table.max_scroll_x == 0 for table in tables), [table.size.width for table in tables]


async def test_panes_keep_room_for_max_jobs_and_shrink_on_a_short_terminal(make_sim, clock):
    """A pane is as tall as its channel's maxJobs (the grid stays still as jobs come and go); at 80x24, 6 rows at most."""
    sim = make_sim(channels=1, max_jobs=12, load=0.3, warmup=120)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        (pane,) = panes(app).values()
        running = pane.row_count
        assert 0 < running < 12, "a channel with free slots"
        assert pane.rows_in_view == 12, "room for maxJobs rows under the gauges and the header"
        height = pane.outer_size.height
        await advance(pilot, clock, timers, 30)
        assert pane.outer_size.height == height, "the pane keeps its size as jobs come and go"
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert pane.rows_in_view == 6, "a short terminal shows 6 rows per pane, the rest scroll"
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert pane.rows_in_view == 12


async def test_on_a_short_terminal_a_pane_scrolls_to_every_job_and_shows_a_scrollbar_only_when_needed(make_sim, clock):
    """6 rows at 80x24: a seventh job brings a scrollbar, the cursor reaches the last job, and it goes when jobs finish."""
    q = quiet(make_sim, max_jobs=12)
    world = q.sim.world
    account = world.accounts["main"]
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")  # the full view: two panes of 12 rows do not fit, the compact view came first
        table = await focus_pane(pilot, q.full)
        assert table.row_count == 3 and not table.show_vertical_scrollbar, "three jobs fit: no scrollbar"
        for index in range(5):
            world.submit(account, f"more work {index}", q.full)
        await advance(pilot, clock, timers, 10)
        assert table.row_count == 8
        assert table.show_vertical_scrollbar, "eight jobs in six rows: a scrollbar says there is more"
        await pilot.press("G")
        await pilot.pause()
        assert cursor_id(table) == ordered_ids(table)[-1]
        assert table.scroll_offset.y == 2, "scrolled so the last job is in view"
        await advance(pilot, clock, timers, max(finish_time(q.sim, job) for job in world.channels[q.full].running) + 10)
        assert table.row_count == 0 and not table.show_vertical_scrollbar and table.scroll_offset.y == 0


async def test_a_pane_scrolled_out_of_view_shows_current_clocks_and_jobs_when_it_comes_back(make_sim, clock):
    """Out of view a pane is not redrawn each second; scrolled back, it shows what is true now, not what it showed."""
    sim = make_sim(channels=5, warmup=120)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")  # the full view (five panes do not fit: the compact view came first)
        await settle(pilot)
        *_, last = panes(app).values()
        scroller = app.query_one("#accounts")
        scroller.scroll_to_widget(last, animate=False, immediate=True)  # scrolled, not focused: focus redraws a pane
        await pilot.pause()
        assert app.screen.can_view_partial(last)
        screen_text(app)  # drawn once
        scroller.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        assert not app.screen.can_view_partial(last), "the last pane is out of view"
        await advance(pilot, clock, timers, 95, step=1)  # jobs come and go, clocks tick, all out of view
        scroller.scroll_to_widget(last, animate=False, immediate=True)
        await pilot.pause()
        table = last
        assert app.screen.can_view_partial(table)
        shown = screen_text(app)
        now = clock.now()
        in_view = ordered_ids(table)[: table.size.height - 1]
        assert in_view, "the channel has running jobs"
        for job_id in in_view:
            row = last.jobs[job_id]
            line = next((line for line in shown.splitlines() if short_job_id(job_id) in line), None)
            assert line is not None, f"{job_id} is on screen"
            assert line.split()[1] == duration(row.elapsed_at(now)), line


# -- memory --------------------------------------------------------------------------------------------


def live_jobs() -> int:
    """Job records alive in this process (the collector sees them all: the test keeps the app from freezing any)."""
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, Job))


async def test_job_records_stay_bounded_by_the_finished_list_under_churn(make_sim, clock, monkeypatch):
    """Issue 7: hundreds of jobs finish, each fetched once; the dashboard keeps a record only per finished row.

    Jobs last 5-10 s against the 10 s poll, so every poll sees jobs leave. Whatever else held a
    fetched record (a toast, a queue, a dict keyed by job id, the journal's writer) would keep one
    per job ever finished, far past the finished list's FINISHED_KEEP rows.
    """
    monkeypatch.setattr(gc, "freeze", lambda: None)  # frozen objects are invisible to gc.get_objects()
    sim = make_sim(channels=4, accounts=2, max_jobs=3, load=2.0, speed_scale=0.15, warmup=300, retain_finished=2_000)
    recorder = wire(sim)
    journal = Journal(":memory:", clock=clock)
    app, timers = make_dashboard(sim, clock, journal=journal, refresh_seconds=10.0)
    before = live_jobs()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await advance(pilot, clock, timers, 720, step=10)  # ~1 job finishes a second
            assert app.writer is not None and app.writer.flush(timeout=10)
            fetched = recorder.count("GET", "/v2/jobs")
            alive = live_jobs() - before
            finished = app.query_one(FinishedTable)
            assert fetched >= 3 * FINISHED_KEEP, f"only {fetched} jobs finished: not enough churn to tell"
            assert len(finished.jobs) <= FINISHED_KEEP
            assert alive <= FINISHED_KEEP + FINAL_BATCH, (
                f"{alive} Job records alive after {fetched} final fetches; the finished list holds {len(finished.jobs)}")
    finally:
        journal.close()


SCREENS = (("question_mark", HelpScreen), ("enter", InspectorScreen), ("h", HistoryScreen))


async def open_and_close(pilot, key: str, kind: type, *, age: bool = False) -> weakref.ref:
    """Open a screen with `key`, close it with escape; a weak reference to it. `age`: as if it stayed open a while."""
    await pilot.press(key)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, kind)
    if age:
        for _ in range(2):  # two young passes: the screen is now in the oldest generation, as one read for seconds is
            gc.collect(1)
    await pilot.press("escape")
    await settle(pilot)
    assert len(pilot.app.screen_stack) == 1
    return weakref.ref(screen)


def live_widgets() -> int:
    """Widgets and the caches of their painted lines alive, after a full collection (frozen panes not counted)."""
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, (DOMNode, StylesCache)))


async def test_a_closed_help_inspector_or_history_is_gone_by_the_next_tick_widgets_and_all(make_sim, clock):
    """Issue 14: each open and close of a screen kept 1.2-1.6 MB (360 help screens: 300 MB).

    A closed screen is a cycle of widgets in the oldest generation, which the dashboard collects a
    hundred times more rarely than Python's default (so a hundred panes are not scanned several times
    a minute): it waited for that. Some never went: the footer's keys watch the footer, and Textual
    forgets a watcher only when the watched value changes (a dozen keys kept per close), and the
    inspector's subscription to theme changes kept the inspector until the theme next changed.
    """
    q = quiet(make_sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 1)  # the first tick freezes what start-up made (see Collector.freeze_soon)
        await focus_pane(pilot, q.full)
        await open_and_close(pilot, "question_mark", HelpScreen)  # once first: the footer's keys are rebuilt
        await advance(pilot, clock, timers, 1)
        before = live_widgets()
        for key, kind in SCREENS:
            closed = await open_and_close(pilot, key, kind, age=True)
            await advance(pilot, clock, timers, 1)  # the once-a-second tick
            assert closed() is None, f"the closed {kind.__name__} is still in memory a tick later"
        after = live_widgets()
        assert after == before, f"{after - before} more widgets or line caches alive after {len(SCREENS)} screens closed"


async def test_an_inspector_opened_as_the_first_jobs_show_is_freed_once_closed(make_sim, clock):
    """The first panes are frozen at the next tick: an inspector open then (Enter inspects the first job at once) was
    frozen with them, and stayed in memory for good once closed (1-1.5 MB each time)."""
    q = quiet(make_sim)
    app, timers = make_dashboard(q.sim, clock)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, InspectorScreen)
            widgets = [weakref.ref(node) for node in (app.screen, *app.screen.walk_children())]
            await advance(pilot, clock, timers, 1)  # the tick that freezes the first panes
            await pilot.press("escape")
            await settle(pilot)
            await advance(pilot, clock, timers, 1)
            assert [ref() for ref in widgets if ref() is not None] == [], "the closed inspector is in memory a tick later"
    finally:
        gc.unfreeze()


class Cycle:
    """An object in a reference cycle, as much of Textual's garbage is: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


async def test_a_pane_mounted_mid_run_freezes_no_garbage(make_sim, clock):
    """Issue 14: panes are frozen out of the collector's full passes, and `gc.freeze()` freezes garbage too.

    Garbage that was waiting for a full pass when a new channel's pane was mounted was frozen with it,
    and no collection could ever free it.
    """
    sim = make_sim(channels=2, autopilot=False, fail_rate=0.0, moderation_rate=0.0)
    world = sim.world
    account = world.accounts["main"]
    busy, idle = account.channels
    world.submit(account, "a red fox in snow", busy)
    app, timers = make_dashboard(sim, clock)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.dashboard.pane("main", idle) is None, "no pane for a channel with no jobs yet"
            garbage = [Cycle() for _ in range(100)]
            for _ in range(2):
                gc.collect(1)  # old, as garbage made since the last full pass is
            waiting = [weakref.ref(obj) for obj in garbage]
            del garbage
            world.submit(account, "a first job on a new channel", idle)
            await advance(pilot, clock, timers, 10)
            assert app.dashboard.pane("main", idle) is not None
            await advance(pilot, clock, timers, 1)  # the next tick freezes the new pane
            gc.collect()
            assert all(ref() is None for ref in waiting), "garbage was frozen: no collection can free it"
    finally:
        gc.unfreeze()


async def test_churn_leaves_no_painted_lines_for_the_collectors_rare_full_passes(make_sim, clock):
    """Issue 14: RSS grew ~14 MB a minute under churn with the dashboard's collector settings.

    Textual caches a line divided at its own length inside itself, so nearly every painted line is
    a reference cycle, and lines kept for a few frames were old garbage when replaced: only the full
    passes, made rare for the sake of pause times, freed them.
    """
    sim = make_sim(channels=4, accounts=2, max_jobs=3, load=2.0, speed_scale=0.15, warmup=60)  # jobs last 5-10 s
    app, timers = make_dashboard(sim, clock, refresh_seconds=10.0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 10, step=10)
        gc.collect()
        polls = 8
        await advance(pilot, clock, timers, 10 * polls, step=10)
        gc.collect(1)  # what young passes free, the dashboard frees often
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            old = list(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        lines = sum(1 for obj in old if isinstance(obj, Strip))
        assert lines == 0, f"{lines} painted lines were waiting for a full pass after {polls} polls"
        # A finished Textual worker is a small cycle (~20 objects) of its own, left for the full passes: how many
        # there are depends on how the fetches fell, so they are set aside and the rest must stay small.
        rest = outside_worker_cycles(old)
        assert len(rest) < 10 * polls, f"{len(rest)} objects were waiting for a full pass after {polls} polls"
        del old, rest


def outside_worker_cycles(garbage: list[object]) -> list[object]:
    """`garbage` without the finished workers and what only they hold."""
    from textual.worker import Worker

    ids = {id(obj) for obj in garbage}
    parts: set[int] = set()
    stack = [obj for obj in garbage if isinstance(obj, Worker)]
    while stack:
        obj = stack.pop()
        if id(obj) not in parts:
            parts.add(id(obj))
            stack.extend(ref for ref in gc.get_referents(obj) if id(ref) in ids)
    return [obj for obj in garbage if id(obj) not in parts]


async def test_the_finished_list_trimming_itself_keeps_the_rows_a_reader_is_looking_at(make_sim, clock):
    """Past FINISHED_KEEP rows the oldest go; a user reading higher up keeps the same rows in view, cursor included."""
    from mjtui.api.models import Job

    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(FinishedTable)

        def batch(start: int, count: int) -> list:
            return [("main", q.full, f"job-{n:04d}", Job(jobid=f"job-{n:04d}", status="completed"), clock.now(), "")
                    for n in range(start, start + count)]

        table.add_many(batch(0, FINISHED_KEEP - 10))
        await focus_finished(pilot)
        table.move_cursor(100)
        await pilot.pause()

        def in_view() -> list[str]:
            top = round(table.scroll_offset.y)
            return table.ordered_keys[top: top + table.rows_in_view]

        seen = in_view()
        assert "job-0100" in seen
        table.add_many(batch(FINISHED_KEEP - 10, 20))  # past FINISHED_KEEP: the oldest 60 go
        await pilot.pause()
        assert table.row_count < FINISHED_KEEP
        assert table.cursor_key == "job-0100"
        assert in_view() == seen, "the rows in view stay in view, in place"


async def test_the_cursor_stays_in_view_when_the_terminal_gets_shorter(make_sim, clock):
    q = quiet(make_sim, max_jobs=12)
    world = q.sim.world
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("v", "v")  # the full view, chosen: at 80x24 too
        for index in range(8):
            world.submit(world.accounts["main"], f"more work {index}", q.full)
        await advance(pilot, clock, timers, 10)
        table = await focus_pane(pilot, q.full)
        await pilot.press("G")
        await pilot.pause()
        assert table.cursor_row == table.row_count - 1 == 10
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await pilot.pause()
        top = round(table.scroll_offset.y)
        assert top <= table.cursor_row < top + table.rows_in_view, "six rows in view, the cursor's among them"


async def test_every_footer_shows_all_its_keys_at_80_columns(make_sim, clock):
    """The mode commands share one footer entry and the history's keys have short names; before, Help and
    Quit were pushed off the dashboard's footer, and the history's search key off its own."""
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock, journal=Journal(":memory:", clock=clock))

    async def footer() -> str:
        for _ in range(5):  # a footer composes its keys once the bindings are known, a refresh or two later
            await pilot.pause()
        return screen_text(app).splitlines()[-1]

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = await footer()
        for key in ("r f t i Mode", "x Cancel job", "s Seed", "/ Filter", "h History", "? Help", "q Quit", "^p palette"):
            assert key in shown, shown
        await focus_pane(pilot, q.full)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen)
        shown = await footer()
        for key in ("esc Back", "s Seed", "y Copy seed", "x Cancel job", "^r Refresh", "? Help", "^p palette"):
            assert key in shown, shown
        await pilot.press("escape")
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        shown = await footer()
        for key in ("esc Back", "a Status", "w Period", "c Channel", "/ Search", "^p palette"):
            assert key in shown, shown
        assert shown.rstrip().endswith("palette"), "nothing spills past the last key"


async def test_what_reaches_the_terminal_adds_up_to_the_screen_the_app_drew(make_sim, clock, monkeypatch):
    """Updates are written in pieces (cropped to the change, colours carried from one piece to the next, a
    clock rewritten only where its digits changed): played into a terminal, the pieces add up to the screen
    the app drew, through ticks, polls, jobs coming and going, cursor moves and a change of focus."""
    sim = make_sim(channels=3, warmup=120)
    app, timers = make_dashboard(sim, clock)
    terminal = Terminal(*SIZE)
    written: list[str] = []
    display = App._display

    def to_the_terminal(self: App, screen, renderable) -> None:  # noqa: ANN001
        if isinstance(renderable, CompositorUpdate):
            written.append(renderable.render_segments(self.console))
            terminal.write(written[-1])
        display(self, screen, renderable)

    monkeypatch.setattr(App, "_display", to_the_terminal)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for second in range(1, 46):
            await advance(pilot, clock, timers, 1, step=1)
            if second % 9 == 0:
                await pilot.press("j")
            if second == 20:
                await pilot.press("tab")
        await pilot.pause()
        ticks = len(written)
        assert ticks > 45, "each second's clocks were written as an update of their own"
        drawn = LayoutUpdate([[strip] for strip in app.screen._compositor.render_strips()], app.screen.size.region)
        expected = Terminal(*SIZE)
        expected.write(partial_writes.TEXTUAL[LayoutUpdate](drawn, app.console))  # a full repaint, as Textual writes it
        assert terminal.screen() == expected.screen()


async def test_the_clocks_on_screen_tick_every_second(make_sim, clock):
    """What the terminal shows moves with the clock, not only the table's data."""
    q = quiet(make_sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = panes(app)[q.full]
        for _ in range(3):
            await advance(pilot, clock, timers, 1, step=1)
            await pilot.pause()
            shown = screen_text(app)
            for job_id in q.jobs:
                line = next(line for line in shown.splitlines() if short_job_id(job_id) in line)
                assert line.split()[1] == duration(pane.jobs[job_id].elapsed_at(clock.now())), line
