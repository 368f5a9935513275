"""Toasts hide little and never a dialog; the notifications log (`n`) keeps the last ones whole (issue 20, item 3)."""

from __future__ import annotations

from support.dashboard import SIZE, advance, make_dashboard, screen_text, settle
from textual.widgets._toast import Toast

from mjtui.launch import DEMO_TITLE
from mjtui.sim import Simulator
from mjtui.timers import ManualTimers
from mjtui.tui.app import MjtuiApp
from mjtui.tui.channel_pane import ChannelPane
from mjtui.tui.footer import KeysFooter
from mjtui.tui.formatting import now_local, short_job_id
from mjtui.tui.help import HelpScreen
from mjtui.tui.inspector import InspectorScreen
from mjtui.tui.notices import NOTICES_KEPT, NoticesScreen
from mjtui.tui.notifications import Announcement
from mjtui.tui.panels import FinishedTable
from mjtui.tui.topbar import TopBar

STUDIO = "studio"


def quiet_channel(make_sim, *, max_jobs: int = 2) -> tuple[Simulator, str]:
    sim = make_sim(channels=1, autopilot=False, max_jobs=max_jobs, fail_rate=0.0, moderation_rate=0.0, speed_scale=0.3)
    return sim, sim.world.accounts["main"].channels[0]


def submit(sim: Simulator, channel: str, count: int) -> list[str]:
    world = sim.world
    return [world.submit(world.accounts["main"], f"a quiet harbour {n}", channel).jobid for n in range(count)]


def until_final(sim: Simulator, jobs: list[str]) -> float:
    return max(sim.world.jobs[job].finish_at for job in jobs) - sim.world.clock.now() + 1


def two_jobs_running(make_sim, clock, **options) -> tuple[MjtuiApp, ManualTimers]:
    """The dashboard on one channel of maxJobs 3 running two jobs."""
    sim, channel = quiet_channel(make_sim, max_jobs=3)
    submit(sim, channel, 2)
    return make_dashboard(sim, clock, **options)


def shown_toasts(app) -> list[Toast]:
    return [toast for toast in app.screen.query(Toast) if toast.styles.visibility != "hidden"]


async def test_a_poll_that_finishes_jobs_and_frees_a_slot_says_both_in_one_toast(make_sim, clock):
    sim, channel = quiet_channel(make_sim, max_jobs=3)
    jobs = submit(sim, channel, 3)
    first, second, last = sorted(until_final(sim, [job]) for job in jobs)
    assert second + 1 < last, "two end well before the third"
    app, timers = make_dashboard(sim, clock, refresh_seconds=second, channel_names={"main": {channel: STUDIO}})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.accounts["main"].snapshot.stats[channel].full
        await advance(pilot, clock, timers, second)
        said = list(app._notifications)
        assert len(said) == 1, [n.text for n in app.notices]
        assert said[0].message == f"2 jobs completed · {STUDIO} … (n shows all)"
        assert list(app.notices)[-1].text == f"2 jobs completed · {STUDIO}\nchannel {STUDIO} has a free slot"


async def test_a_toast_sits_top_right_on_one_line_clear_of_the_panes_the_finished_list_and_the_footer(make_sim, clock):
    app, timers = two_jobs_running(make_sim, clock)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("o")  # "sorted by newest"
        await pilot.pause()
        await pilot.pause()
        [toast] = shown_toasts(app)
        region = toast.region
        assert region.height == 1 and region.y == 0 and region.right >= 76, region
        for widget in (*app.screen.query(ChannelPane), app.screen.query_one(FinishedTable), app.screen.query_one(KeysFooter)):
            assert not region.overlaps(widget.region), widget


async def test_a_toast_never_covers_a_dialog_and_the_log_shows_it_whole_with_time_and_severity(make_sim, clock):
    sim, channel = quiet_channel(make_sim)
    [job] = submit(sim, channel, 1)
    sim.world.jobs[job].outcome = "failed"
    app, timers = make_dashboard(sim, clock, channel_names={"main": {channel: STUDIO}})
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert any(row[2] == "notices" for row in app.help_rows()), "help lists the log's key"
        await advance(pilot, clock, timers, until_final(sim, [job]) + 10)
        await pilot.pause()
        failure = f"job {short_job_id(job)} on {STUDIO} failed: Job failed"
        assert [n.message for n in app._notifications] == [failure]
        assert app.screen.query(Toast) and shown_toasts(app) == [], "help stays uncovered"
        await pilot.press("n")
        assert isinstance(app.screen, HelpScreen), "no log over a dialog either"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.pause()
        assert [toast._notification.message for toast in shown_toasts(app)] == [failure], "back on the dashboard: shown"
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NoticesScreen)
        [entry] = [str(static.render()) for static in app.screen.query(".notice")]
        [notice] = app.notices
        assert clock.now() - 10 <= notice.at <= clock.now(), "stamped by the app's clock when it was said"
        assert entry == f"{now_local(notice.at)}  error  {failure}"
        await pilot.press("escape")
        assert app.screen is app.dashboard


async def test_the_log_keeps_the_last_fifty(make_sim, clock):
    sim, _ = quiet_channel(make_sim)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(NOTICES_KEPT + 5):
            await pilot.press("o")
        assert len(app.notices) == NOTICES_KEPT and [n.text for n in app.notices][-1] == "sorted by newest"


async def test_one_toast_at_a_time_and_news_never_wipes_a_worse_one(make_sim, clock):
    """Four accounts polled together raised four toasts that stacked over the right-hand pane: the newest replaces
    the one on screen, titles go on its line, an error stays up until it times out whatever good news follows, and
    the answer to a key ("U2 pressed") is not wiped by the next poll's news."""
    sim = make_sim(accounts=2, channels=2, autopilot=False, fail_rate=0.0, moderation_rate=0.0, speed_scale=0.3)
    world = sim.world
    jobs = [world.submit(account, "a quiet harbour", account.channels[0]).jobid for account in world.accounts.values()]
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, until_final(sim, jobs) + 10)
        await pilot.pause()
        await pilot.pause()
        finished = [n.text for n in app.notices if "completed" in n.text]
        assert len(finished) == 2, "each account says its own"
        [toast] = shown_toasts(app)
        assert toast.region.y == 0, "on the top bar: the toast it replaced left no row behind"
        assert toast.region.height == 1 and toast._notification.message in {
            f"{n.title}: {n.text}" if n.title else n.text for n in app.notices}
        app.notify("cancel failed: 429 channel full", title="main", severity="error")
        app.notify("sorted by newest")
        await pilot.pause()
        await pilot.pause()
        [toast] = shown_toasts(app)
        assert toast._notification.message == "main: cancel failed: 429 channel full", "the error stays up"
        assert toast.region.y == 0, "the toast it replaced left no row behind"
        assert [n.text for n in app.notices][-1] == "sorted by newest", "the lesser toast is in the log"
        app.clear_notifications()
        app.notify("U2 pressed on 1a2b3c: new job 4d5e6f", title="Press U2")  # what the user just did ...
        app.notify("job 7a8b9c on …0001 failed: Job failed", title="alt1", severity="error", news=True)  # ... a poll's
        await pilot.pause()
        await pilot.pause()
        [toast] = shown_toasts(app)
        assert toast._notification.message == "Press U2: U2 pressed on 1a2b3c: new job 4d5e6f", "news waits its turn"
        assert list(app.notices)[-1].text == "job 7a8b9c on …0001 failed: Job failed", "in the log meanwhile"


async def test_an_error_clicked_away_lets_the_next_toast_show(make_sim, clock):
    """A click dismisses a toast (Textual's way): the error it was no longer holds back lesser toasts."""
    sim = make_sim(channels=1, autopilot=False)
    app, _ = make_dashboard(sim, clock)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        app.notify("cancel failed: 429 channel full", severity="error", timeout=60)
        await pilot.pause()
        [error] = shown_toasts(app)
        await pilot.click(error)
        await pilot.pause()
        assert shown_toasts(app) == []
        app.notify("sorted by newest")
        await pilot.pause()
        await pilot.pause()
        assert [toast._notification.message for toast in shown_toasts(app)] == ["sorted by newest"]


async def test_a_toast_leaves_the_top_bars_running_count_and_clock_readable(make_sim, clock):
    """A busy pool toasts at every poll: the toast starts after the top bar's text, so the running count and the
    clock stay in sight (it took the right half, over the clock at 72 columns); on a terminal too narrow for both, the
    toast keeps 30 cells."""
    app, timers = two_jobs_running(make_sim, clock)
    async with app.run_test(size=(72, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("job 7a8b9c0d on …0001 failed: the prompt was refused by the moderation of the service")
        await pilot.pause()
        await pilot.pause()
        [toast] = shown_toasts(app)
        bar = app.screen.query_one(TopBar)
        assert toast.region.x >= bar.text_width and toast.region.right >= 68, (toast.region, bar.text_width)
        top_row = screen_text(app).splitlines()[0]
        assert "2 running" in top_row and now_local(clock.now())[:5] in top_row, top_row
        await pilot.resize_terminal(50, 24)
        await advance(pilot, clock, timers, 1)  # the next tick sets the toasts' room for the new width
        await pilot.pause()
        [toast] = shown_toasts(app)
        assert toast.region.x == 20 and toast.region.width >= 26, toast.region


async def test_on_80_columns_the_demos_title_gives_way_so_a_toast_leaves_the_running_count_and_clock(make_sim, clock):
    """"mjtui · demo (simulated service)" is long: at 80 columns its aside goes, and a toast starts after the clock."""
    app, timers = two_jobs_running(make_sim, clock, title=DEMO_TITLE)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("job 7a8b9c0d on …0001 failed: the prompt was refused by the moderation of the service")
        await advance(pilot, clock, timers, 1)
        await pilot.pause()
        [toast] = shown_toasts(app)
        top_row = screen_text(app).splitlines()[0]
        assert top_row.startswith(" mjtui · demo   ") and "simulated" not in top_row, top_row
        assert "2 running" in top_row and now_local(clock.now())[:5] in top_row, top_row
        assert toast.region.x >= app.screen.query_one(TopBar).text_width, toast.region
        await pilot.resize_terminal(160, 24)
        await advance(pilot, clock, timers, 1)
        assert "mjtui · demo (simulated service)" in screen_text(app).splitlines()[0], "room again: the whole title"


async def test_news_of_other_jobs_toasts_on_the_dashboard_only_while_an_answer_to_a_key_toasts_anywhere(make_sim, clock):
    """Over a job's inspector a toast covered the job's id at every busy poll: there the news goes to the log alone."""
    app, timers = two_jobs_running(make_sim, clock)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the selected job's inspector
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen)
        app.announcer.say("main", [Announcement("job 0a1b2c3d on …0001 completed")])
        await pilot.pause()
        assert shown_toasts(app) == [], "news over the inspector"
        assert list(app.notices)[-1].text == "job 0a1b2c3d on …0001 completed", "the log keeps it"
        app.notify("seed copied")  # what a key answers
        await pilot.pause()
        assert [toast._notification.message for toast in shown_toasts(app)] == ["seed copied"]
        await pilot.press("escape")
        await settle(pilot)
        app.clear_notifications()  # the answer's toast gone: news does not hide it
        app.announcer.say("main", [Announcement("job 4e5f6a7b on …0001 completed")])
        await pilot.pause()
        await pilot.pause()
        assert [toast._notification.message for toast in shown_toasts(app)] == ["job 4e5f6a7b on …0001 completed"]
