"""Many channels on a small terminal (issue 20 item 7): the compact view, a line a channel, and account lines that fit."""

from __future__ import annotations

import random

from rich.cells import cell_len
from support.dashboard import account_panes, advance, focus_pane, header_text, make_dashboard, panes, screen_text, settle

from mjtui.clock import ManualClock
from mjtui.connections import DEMO_GATEWAY, DEMO_SEED, demo_accounts, demo_connection, demo_simulator
from mjtui.timers import ManualTimers
from mjtui.tui.app import MjtuiApp, make_app
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.formatting import short_job_id
from mjtui.tui.inspector import InspectorScreen


def demo_dashboard(clock: ManualClock) -> tuple[MjtuiApp, ManualTimers]:
    """The dashboard `mjtui --demo` opens: two useapi accounts, an ImaginePro one and a gateway of four."""
    simulator = demo_simulator(clock=clock, seed=DEMO_SEED)
    timers = ManualTimers(clock)
    connections = [demo_connection(simulator, name) for name in demo_accounts(simulator)]
    return make_app(connections, clock=clock, timers=timers, rng=random.Random(0)), timers


async def test_at_80x24_the_demo_shows_every_channel_of_its_four_accounts_at_once(clock):
    app, timers = demo_dashboard(clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 10)
        shown = screen_text(app)
        channels = panes(app)
        assert len(channels) >= 10
        for pane in channels.values():
            assert app.screen.can_view_entire(pane) and pane.outer_size.height == 1, pane.channel_id
            assert pane._compact_name() in shown
        for account in app.accounts:
            assert app.screen.can_view_entire(app.dashboard.section(account).header), account


async def test_at_80_columns_each_account_line_fits_dropping_the_least_useful_parts(clock):
    app, timers = demo_dashboard(clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 10)
        for account in app.accounts:
            header = app.dashboard.section(account).header
            line = header_text(app, account)
            assert cell_len(line) <= header.size.width, f"cut at 80 columns: {line!r}"
            assert " live " in line and " errors" in line, line
        narrow = header_text(app, DEMO_GATEWAY)
        assert "running" not in narrow and "every 10s" not in narrow, "the running count and the interval went first"
        assert " ms · " in narrow, "the latency stays: a slow service shows"
        await pilot.resize_terminal(200, 60)
        await settle(pilot)
        wide = header_text(app, DEMO_GATEWAY)
        assert "running" in wide and "every 10s" in wide, "a wider terminal shows what 80 columns had no room for"


async def test_the_view_follows_the_terminals_size_until_the_user_chooses_one_with_v(make_sim, clock):
    sim = make_sim(channels=3, warmup=120)
    app, _timers = make_dashboard(sim, clock)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        pane = next(iter(panes(app).values()))
        assert pane.outer_size.height > 10, "three panes fit side by side: the full view"
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert pane.outer_size.height == 1, "three panes of 12 jobs do not fit 80x24: a line a channel"
        await pilot.press("v")
        await settle(pilot)
        assert pane.outer_size.height > 1, "v: the full view"
        await pilot.resize_terminal(200, 60)
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert pane.outer_size.height > 1, "the view the user chose stays, whatever the size"
        await pilot.press("v")
        await settle(pilot)
        assert pane.outer_size.height == 1


async def test_enter_on_a_channels_line_shows_its_jobs_and_escape_folds_it_back(make_sim, clock):
    sim = make_sim(channels=3, warmup=120)
    app, _timers = make_dashboard(sim, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first, second, _third = panes(app).values()
        assert app.focused is first and first.outer_size.height == 1
        await pilot.press("j")
        assert app.focused is second, "down moves from channel to channel"
        await pilot.press("x")
        assert not isinstance(app.screen, ConfirmScreen), "no job of a folded channel is in view to cancel"
        await pilot.press("enter")
        await settle(pilot)
        assert second.outer_size.height > 3 and first.outer_size.height == 1
        assert short_job_id(second.selected_job_id) in screen_text(app), "its jobs are on screen"
        await pilot.press("j", "enter")  # within the expanded channel: the next job, inspected
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen)
        assert app.screen.job_id == second.ordered_keys[min(1, second.row_count - 1)]
        await pilot.press("escape")
        await settle(pilot)
        assert app.focused is second and second.outer_size.height > 3
        await pilot.press("escape")
        await settle(pilot)
        assert second.outer_size.height == 1, "escape folds it back into its line"


async def test_keys_act_on_the_channel_whose_line_is_selected(make_sim, clock):
    sim = make_sim(channels=3, warmup=120)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        channel = list(panes(app))[2]
        pane = await focus_pane(pilot, channel)
        assert pane.outer_size.height == 1
        await pilot.press("r")
        await advance(pilot, clock, timers, 10)
        assert sim.world.channels[channel].mode == "relax"
        assert "relax" in next(line for line in screen_text(app).splitlines() if pane._compact_name() in line)


async def test_a_pane_scrolled_past_its_accounts_header_still_says_whose_it_is(make_sim, clock):
    sim = make_sim(channels=6, accounts=2, warmup=120)
    app, _timers = make_dashboard(sim, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")  # the full view: a pane of each channel, taller than the terminal
        await settle(pilot)
        first_line = 1  # under the top bar
        assert screen_text(app).splitlines()[first_line].startswith(" ● main "), "at the top: main's own header"
        *_, last = panes(app).values()
        assert last.account == "alt1"
        await focus_pane(pilot, last.channel_id)
        await settle(pilot)
        lines = screen_text(app).splitlines()
        assert all(not line.startswith(" ● alt1 ") for line in lines[first_line + 1:]), "alt1's header scrolled off"
        assert lines[first_line].startswith(" ● alt1  useapi  live"), "and stays over its panes"
        await focus_pane(pilot, next(iter(panes(app))))
        await settle(pilot)
        assert screen_text(app).splitlines()[first_line].startswith(" ● main ")



async def test_an_accounts_channel_lines_keep_their_gauges_in_columns_whatever_each_channels_limits(clock):
    """maxJobs 12 on one channel and 3 on the next: the next gauge starts in the same column on every line."""
    app, timers = demo_dashboard(clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 10)
        for account, labels in (("main", (" img ", " vid ")), ("alt1", (" img ", " vid ")),
                                (DEMO_GATEWAY, (" relax ", " queue "))):
            channels = account_panes(app, account).values()
            assert len({pane.stats.max_jobs for pane in channels}) > 1, f"{account}: the demo's limits differ"
            lines = [pane.render_line(0).text for pane in channels]
            for label in labels:
                assert len({line.index(label) for line in lines}) == 1, "\n".join(lines)
