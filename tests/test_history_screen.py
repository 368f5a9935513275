"""The history screen (h) as a user reads it: each job's own time, the whole list within reach, any job found."""

from __future__ import annotations

import asyncio

import pytest
from support.dashboard import SIZE, advance, make_dashboard, plain, quiet, screen_text, settle

from mjtui.api.models import Job
from mjtui.store import Journal
from mjtui.tui import history
from mjtui.tui.channel_picker import ChannelPicker
from mjtui.tui.formatting import now_local
from mjtui.tui.history import HistoryScreen

LONG_PROMPT = "a lighthouse on a cliff at dusk, waves breaking below, " * 6  # 336 characters


def finished(job_id: str, channel: str, prompt: str, status: str = "completed") -> Job:
    return Job.model_validate({"jobid": job_id, "verb": "imagine", "status": status, "prompt": prompt, "channel": channel,
                               "created": "2026-11-24T10:00:00.000Z", "updated": "2026-11-24T10:01:02.000Z"})


def remembered(clock, count: int, *, channels: tuple[str, ...] = ("1111111111111111111",), prompt: str = "a cat") -> Journal:
    """A journal that already holds `count` finished jobs, one a minute, spread over `channels`."""
    journal = Journal(":memory:", clock=clock)
    for n in range(count):
        job_id = f"j{n:04d}-u52649-c945"
        journal.record_poll("old", [], [(job_id, finished(job_id, channels[n % len(channels)], f"{prompt} {n}"))],
                            clock.now() - 60 * (count - n))
    return journal


async def open_history(pilot) -> HistoryScreen:
    """Open the history as `h` does from where nothing is selected: no pane, so no channel."""
    app = pilot.app
    await app.push_screen(HistoryScreen(None))
    await drain(pilot)
    assert isinstance(app.screen, HistoryScreen)
    return app.screen


async def drain(pilot) -> None:
    app = pilot.app
    if app.writer is not None:
        await asyncio.to_thread(app.writer.flush, 5)
    await settle(pilot)


def column(screen: HistoryScreen, key: str) -> list[str]:
    table = screen.query_one("#history-table")
    return [table.get_cell(row_key, key).plain for row_key in table.rows]


async def test_each_running_job_shows_when_it_started_not_the_last_poll(make_sim, clock):
    q = quiet(make_sim)  # its jobs were submitted a second apart
    app, _timers = make_dashboard(q.sim, clock, journal=Journal(":memory:", clock=clock))
    async with app.run_test(size=SIZE) as pilot:
        await drain(pilot)
        screen = await open_history(pilot)
        assert column(screen, "status") == ["running"] * 4
        started = {q.sim.world.jobs[job].created for job in (*q.jobs, q.lone)}
        assert len(started) == 4
        assert sorted(column(screen, "at")) == sorted({now_local(screen.entries[key].when) for key in screen.entries})
        assert len(set(column(screen, "at"))) == 4, "one time each, not the account's last poll four times"


async def test_end_and_g_reach_the_last_row_and_home_and_g_the_first(make_sim, clock):
    app, _timers = make_dashboard(quiet(make_sim).sim, clock, journal=remembered(clock, 40))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(pilot)
        table = screen.query_one("#history-table")
        assert table.row_count == 44
        for key, row in (("end", 43), ("home", 0), ("G", 43), ("g", 0), ("G", 43)):
            await pilot.press(key)
            await settle(pilot)
            assert table.cursor_row == row, key
        assert table.scroll_y == table.max_scroll_y > 0, "the last row is on screen"
        assert "j0000" in screen_text(app)


async def test_a_long_history_is_read_a_page_at_a_time_and_says_how_much_is_left(make_sim, clock, monkeypatch):
    monkeypatch.setattr(history, "PAGE", 10)
    app, _timers = make_dashboard(quiet(make_sim).sim, clock, journal=remembered(clock, 21))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        table = screen.query_one("#history-table")
        filters = screen.query_one("#filters")
        assert table.row_count == 10 and "10 of 25 jobs (more at the end)" in plain(filters)
        await pilot.press("G")
        await drain(pilot)
        assert table.row_count == 20 and "20 of 25 jobs" in plain(filters)
        await pilot.press("G")
        await drain(pilot)
        assert table.row_count == 25 and " · 25 jobs" in plain(filters) and "more" not in plain(filters)
        assert "j0000-u52649-c945" in {entry.job_id for entry in screen.entries.values()}, "the oldest is reached"
        await pilot.press("a")  # another filter starts from its first page again
        await drain(pilot)
        assert table.row_count == 10 and "10 of 21 jobs" in plain(filters)


async def test_search_finds_a_job_by_the_id_shown(make_sim, clock):
    app, _timers = make_dashboard(quiet(make_sim).sim, clock, journal=remembered(clock, 30))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        await pilot.press("slash", *"j0017", "enter")
        await drain(pilot)
        assert [entry.job_id for entry in screen.entries.values()] == ["j0017-u52649-c945"]
        assert plain(screen.query_one("#filters")).endswith("search 'j0017' (/) · 1 job")


async def test_c_without_a_pane_offers_the_channels_and_shows_the_one_picked(make_sim, clock):
    channels = ("1111111111111111111", "2222222222222222222", "3333333333333333333")
    app, _timers = make_dashboard(quiet(make_sim).sim, clock, journal=remembered(clock, 9, channels=channels),
                                  accounts=["main"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        await pilot.press("c")
        await drain(pilot)
        assert isinstance(app.screen, ChannelPicker)
        assert ("old", channels[1]) in app.screen.channels
        picked = app.screen.channels.index(("old", channels[1]))
        await pilot.press(*["down"] * picked, "enter")
        await drain(pilot)
        assert app.screen is screen
        assert {entry.channel for entry in screen.entries.values()} == {channels[1]}
        assert len(screen.entries) == 3 and "channel …222222 (c)" in plain(screen.query_one("#filters"))
        await pilot.press("c")  # back to every channel
        await drain(pilot)
        assert len(screen.entries) == 13 and "all channels (c)" in plain(screen.query_one("#filters"))


@pytest.mark.parametrize("width", [80, 200])
async def test_the_prompt_takes_the_rest_of_the_line(make_sim, clock, width):
    app, _timers = make_dashboard(quiet(make_sim).sim, clock, journal=remembered(clock, 1, prompt=LONG_PROMPT))
    async with app.run_test(size=(width, 30)) as pilot:
        screen = await open_history(pilot)
        assert screen.query_one("#history-table").max_scroll_x == 0, "the whole row fits: nothing off to the right"
        line = next(line for line in screen_text(app).splitlines() if "j0000" in line)
        shown = line[line.index(LONG_PROMPT[:8]):].rstrip(" ▁▂▃▄▅▆▇█▉▊▋▌▍▎▏…")
        assert LONG_PROMPT.startswith(shown)
        assert len(shown) >= width - 70, f"{len(shown)} characters of the prompt at {width} columns"


async def test_an_imaginepro_job_reads_completed_like_any_other_not_its_services_done(make_sim, clock):
    """ImaginePro's stored message says DONE: the history said DONE beside every other service's `completed`."""
    sim = make_sim(channels=1, imaginepro=True, autopilot=False, fail_rate=0.0, moderation_rate=0.0, speed_scale=0.3)
    world = sim.world
    account = world.accounts["ip"]
    job = world.submit(account, "a quiet harbour", account.channels[0])
    app, timers = make_dashboard(sim, clock, accounts=["ip"], journal=Journal(":memory:", clock=clock))
    async with app.run_test(size=SIZE) as pilot:
        await drain(pilot)
        await advance(pilot, clock, timers, job.finish_at - clock.now() + 30)
        await drain(pilot)
        screen = await open_history(pilot)
        assert screen.entries[next(iter(screen.entries))].record is not None, "its final record is kept"
        assert column(screen, "status") == ["completed"]
