"""What the dashboard looks like: every screen at 80x24 and 160x48, on a fixed-seed simulator and a hand-driven clock.

Review a changed SVG as you would review code (`pytest --snapshot-update`, then open the file).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from support.dashboard import (
    advance,
    cursor_id,
    finish_time,
    focus_finished,
    focus_pane,
    make_dashboard,
    make_gateway_dashboard,
    quiet,
    settle,
)

import mjtui.poller
from mjtui.connections import DEMO_SEED
from mjtui.sim.proxy import ProxySimulator
from mjtui.sim.world import Submission
from mjtui.store.image_cache import ImageCache
from mjtui.themes import DEFAULT_THEME
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.help import HelpScreen
from mjtui.tui.inspector import InspectorScreen
from mjtui.tui.themes import SHIPPED_THEMES

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


@pytest.fixture(autouse=True)
def _steady_latency(monkeypatch: pytest.MonkeyPatch) -> None:
    """The header shows each poll's real latency in ms; pin it so the pictures do not depend on the machine."""
    monkeypatch.setattr(mjtui.poller, "time", SimpleNamespace(perf_counter=lambda: 0.0))


def busy(make_sim, clock, **options):
    """Three channels, one of them full, a couple of minutes into the day: the dashboard as it is usually seen."""
    sim = make_sim(channels=3, warmup=120)
    return sim, *make_dashboard(sim, clock, **options)


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(snap_compare, make_sim, clock, size):
    sim, app, timers = busy(make_sim, clock)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await advance(pilot, clock, timers, 25)  # jobs come and go: Recently finished fills
        await focus_pane(pilot, next(iter(sim.world.accounts["main"].channels)))
        await pilot.press("j")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_compact_view_with_one_channel_shown_in_full(snap_compare, make_sim, clock):
    """80x24 opens in the compact view (three channels of 12 do not fit): a line a channel, enter shows one in full."""
    sim, app, timers = busy(make_sim, clock)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await advance(pilot, clock, timers, 25)
        await pilot.press("j", "enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_gateway_account_with_a_locked_discord_account(snap_compare, clock, size):
    """The demo's midjourney-proxy account: four Discord accounts as queues, one locked (its reason in Chinese)."""
    sim = ProxySimulator.build(flavor="trueai", clock=clock, seed=DEMO_SEED, accounts=4, warmup=150.0)
    locked = next(account for account in sim.world.accounts.values() if account.lock)
    app, timers = make_gateway_dashboard(sim, clock, name="gateway", flavor="trueai")

    async def run_before(pilot) -> None:
        await settle(pilot)
        await advance(pilot, clock, timers, 25)
        await focus_pane(pilot, locked.channel_id)  # in view at 80x24 too: its reason's cells against the border

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_imaginepro_account_with_a_queue_a_verifying_and_an_inactive_linked_account(snap_compare, make_sim, clock, size):
    """ImaginePro: a pane per linked Discord account, the header's rate-limited interval, the fast queue as a count."""
    sim = make_sim(channels=1, imaginepro=True, imaginepro_links=3, autopilot=False, max_jobs=2)
    world = sim.world
    busy, verifying, inactive = world.linked(world.accounts["ip"])
    for n in range(2):
        world.submit(world.accounts["ip"], f"a lighthouse in fog, study {n}", busy.id)
        clock.advance(7)
        world.advance()
    busy.backlog.extend(Submission("imagine", "image", f"waiting {n}") for n in range(3))
    world.set_standing(verifying.token_id, "VERIFYING")
    world.toggle(world.accounts["ip"], inactive.token_id, False)
    app, timers = make_dashboard(sim, clock, accounts=["ip"], refresh_seconds=2)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await advance(pilot, clock, timers, 36, step=2)  # the last 24 h read, then each message placed by its trace

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_inspector_of_a_completed_job_with_children_and_seed(snap_compare, make_sim, clock, size):
    q = quiet(make_sim, speed_scale=0.3)
    world = q.sim.world
    app, timers = make_dashboard(q.sim, clock)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 5)
        world.advance()
        world.press(world.accounts["main"], q.lone, "U1")
        world.press(world.accounts["main"], q.lone, "V2")
        await advance(pilot, clock, timers, 5)
        table = await focus_finished(pilot)
        for _ in range(table.row_count):
            if cursor_id(table) == q.lone:
                break
            await pilot.press("up")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("s")
        await advance(pilot, clock, timers, 20)
        assert isinstance(pilot.app.screen, InspectorScreen) and pilot.app.screen.job_id == q.lone
        assert world.jobs[q.lone].seed is not None
        pilot.app.clear_notifications()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_inspector_previews_the_selected_seed_image(snap_compare, make_sim, clock, tmp_path, size):
    q = quiet(make_sim, speed_scale=0.3)
    app, timers = make_dashboard(q.sim, clock, previews=ImageCache(tmp_path / "previews"))

    async def run_before(pilot) -> None:
        await settle(pilot)
        await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 5)
        pilot.app.open_inspector("main", q.lone)
        await settle(pilot)
        await pilot.press("s")
        await advance(pilot, clock, timers, 20)
        pilot.app.screen.query_one("#attachments").focus()
        await pilot.press("down", "down")
        await settle(pilot)
        assert "seed image 2" in str(pilot.app.screen.query_one("#preview-caption").content)
        pilot.app.clear_notifications()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_cancel_confirm_modal(snap_compare, make_sim, clock, size):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await focus_pane(pilot, q.full)
        await pilot.press("j", "x")
        assert isinstance(pilot.app.screen, ConfirmScreen)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, make_sim, clock, size):
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_401_banner(snap_compare, make_sim, clock, size):
    q = quiet(make_sim)
    q.sim.world.schedule_revoke(5)
    app, timers = make_dashboard(q.sim, clock)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await advance(pilot, clock, timers, 10)
        pilot.app.clear_notifications()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_596_banner(snap_compare, make_sim, clock, size):
    q = quiet(make_sim)
    q.sim.world.schedule_moderation(5, q.other)
    app, timers = make_dashboard(q.sim, clock)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await advance(pilot, clock, timers, 10)
        pilot.app.clear_notifications()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


OTHER_THEMES = [theme for theme in SHIPPED_THEMES if theme != DEFAULT_THEME]  # the default is in every test above


@pytest.mark.parametrize("theme", OTHER_THEMES)
def test_main_screen_in_each_theme(snap_compare, make_sim, clock, theme):
    sim, app, timers = busy(make_sim, clock, theme=theme)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await advance(pilot, clock, timers, 25)
        await pilot.press("v")  # the full panes (80x24 opens in the compact view): each theme's borders and labels
        await focus_pane(pilot, next(iter(sim.world.accounts["main"].channels)))
        await pilot.press("j")
        assert pilot.app.theme == theme

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_401_banner_in_the_ansi_theme(snap_compare, make_sim, clock):
    q = quiet(make_sim)
    q.sim.world.schedule_revoke(5)
    app, timers = make_dashboard(q.sim, clock, theme="mjtui-ansi")

    async def run_before(pilot) -> None:
        await settle(pilot)
        await advance(pilot, clock, timers, 10)
        pilot.app.clear_notifications()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
