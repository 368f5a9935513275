"""A midjourney-proxy account on the dashboard, as its operator sees it: a queue pane per Discord account, the keys
that act on them, and the inspector on a task. The simulated gateway is the service; time is the manual clock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rich.cells import cell_len
from support.dashboard import (
    account_panes,
    advance,
    banner,
    cursor_id,
    finished_status,
    focus_finished,
    focus_pane,
    header_text,
    make_gateway_dashboard,
    plain,
    screen_text,
    settle,
    toasts,
)
from textual.widgets import DataTable, Input, Static
from textual.widgets._footer import FooterKey

from mjtui.clock import ManualClock
from mjtui.sim.proxy import ProxySimulator
from mjtui.sim.proxy.world import ProxyAccount
from mjtui.timers import ManualTimers
from mjtui.tui.app import MjtuiApp
from mjtui.tui.channel_pane import ChannelPane
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.inspector import InspectorScreen
from mjtui.tui.topbar import TopBar

SIZE = (160, 48)


def gateway(flavor: str, clock: ManualClock, **world: Any) -> ProxySimulator:
    world.setdefault("accounts", 2)  # the last one locked (trueai) or disabled
    return ProxySimulator.build(flavor=flavor, clock=clock, seed=7, autopilot=False, **world)


def usable(sim: ProxySimulator) -> ProxyAccount:
    return next(account for account in sim.world.accounts.values() if account.usable)


def halted(sim: ProxySimulator) -> ProxyAccount:
    return next(account for account in sim.world.accounts.values() if not account.usable)


def fill(sim: ProxySimulator, account: ProxyAccount, fast: int, relax: int = 0) -> list[str]:
    """Tasks submitted to one account as the gateway's users would: `fast` in its fast pool, `relax` in its relax pool."""
    ids = []
    for n in range(fast + relax):
        task, code, _ = sim.world.imagine(f"prompt {n}", instance=account.channel_id, mode="RELAX" if n >= fast else "FAST")
        assert code in (1, 22)
        ids.append(task.id)
    return ids


def hold(sim: ProxySimulator) -> asyncio.Event:
    """Hold every request to the gateway until the returned event is set."""
    gate, inner = asyncio.Event(), sim.app

    async def held(scope, receive, send) -> None:  # noqa: ANN001
        await gate.wait()
        await inner(scope, receive, send)

    sim.app = held  # the transport is built from sim.app: hold before the dashboard is made
    return gate


def one_task(clock: ManualClock) -> tuple[ProxySimulator, ProxyAccount, str, MjtuiApp, ManualTimers]:
    """A trueai gateway with one task on its usable account, and the dashboard on it."""
    sim = gateway("trueai", clock)
    account = usable(sim)
    [task_id] = fill(sim, account, fast=1)
    return sim, account, task_id, *make_gateway_dashboard(sim, clock)


def footer_keys(app) -> set[str]:
    return {key.key for key in app.query(FooterKey)}


def account_line(pane: ChannelPane) -> str:
    return pane.render_above(1, 200).text.rstrip()


async def test_the_gauges_show_what_the_gateway_counts(clock: ManualClock) -> None:
    sim = gateway("trueai", clock)
    account = usable(sim)
    fill(sim, account, fast=account.core_size + 2, relax=1)
    app, _timers = make_gateway_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = account_panes(app, "pool")[account.channel_id]
        fast, relax = account.pools["fast"], account.pools["relax"]
        gauges = pane.gauges.render().plain
        assert f"run ██████████ {len(fast.running)}/{account.core_size} FULL" in gauges
        assert f"relax {len(relax.running)}/{account.relax_core_size}" in gauges
        assert f"queue {account.queue_count}/{account.queue_size}" in gauges
        assert (len(fast.running), len(relax.running), account.queue_count) == (account.core_size, 1, 2)
        assert pane.has_class("-full")
        assert f"{account.remark} …{account.channel_id[-6:]} · fast" in str(pane.border_title)
        assert account_line(pane).startswith("fast · fast time left ")
        rows = [" ".join(pane.get_cell(key, column).plain for column in ("status", "action", "prompt"))
                for key in pane.ordered_keys]
        assert sum(row.startswith("queued ") for row in rows) == account.queue_count
        assert all(row.split()[0] in ("queued", "submitted", "in") for row in rows)
        running = len(fast.running) + len(relax.running)  # the queued wait: they are not running
        assert f"· {running} running" in header_text(app, "pool")
        assert f"1 account · {running} running" in plain(app.dashboard.query_one(TopBar))


async def test_a_gateway_accounts_queues_stay_in_one_column_where_one_account_has_no_relax_pool(clock: ManualClock) -> None:
    """An account without a relax pool leaves the relax gauge's column blank: its queue lines up with the others'."""
    sim = gateway("trueai", clock, locked=0)
    with_pool, without = sim.world.accounts.values()
    without.relax_core_size = 0
    fill(sim, with_pool, fast=1)
    fill(sim, without, fast=1)
    app, _timers = make_gateway_dashboard(sim, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panes = account_panes(app, "pool")
        lines = {pane.channel_id: pane.render_line(0).text for pane in panes.values()}
        assert f"relax 0/{with_pool.relax_core_size}" in lines[with_pool.channel_id], lines
        assert "relax 0/" not in lines[without.channel_id], lines
        assert len({line.index(" queue ") for line in lines.values()}) == 1, "\n".join(lines.values())


async def test_slash_finds_a_task_by_its_prompt_and_says_it_can(clock: ManualClock) -> None:
    sim = gateway("trueai", clock)
    account = usable(sim)
    ids = []
    for prompt in ("a red fox at dawn", "a lighthouse in fog", "red sails"):
        task, code, _ = sim.world.imagine(prompt, instance=account.channel_id, mode="FAST")
        assert code in (1, 22)
        ids.append(task.id)
    app, _timers = make_gateway_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = account_panes(app, "pool")[account.channel_id]
        assert set(pane.ordered_keys) == set(ids)
        await pilot.press("slash")
        assert "prompt" in str(app.query_one("#filter", Input).placeholder), "the field says prompts are searched"
        await pilot.press(*"lighthouse", "enter")
        await settle(pilot)
        assert pane.ordered_keys == [ids[1]]


async def test_a_running_task_shows_its_progress_as_the_gateway_reports_it(clock: ManualClock) -> None:
    sim, account, task_id, app, timers = one_task(clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        task = sim.world.tasks[task_id]
        await advance(pilot, clock, timers, task.progress_at - clock.now() + 1)
        await pilot.press("ctrl+r")  # a poll now, after the gateway's first progress
        await settle(pilot)
        pane = account_panes(app, "pool")[account.channel_id]
        assert pane.get_cell(task_id, "status").plain == "in progress"
        assert pane.get_cell(task_id, "progress").plain == task.progress(sim.world.now) != "0%"


@pytest.mark.parametrize(("flavor", "word"), [("trueai", "LOCKED"), ("plus", "DISABLED")])
async def test_a_locked_or_disabled_account_reads_as_such_with_its_reason_and_r_resets_it(
        clock: ManualClock, flavor: str, word: str) -> None:
    sim = gateway(flavor, clock)
    down = halted(sim)
    app, timers = make_gateway_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = account_panes(app, "pool")[down.channel_id]
        assert word in str(pane.border_title)
        assert account_line(pane) == f"{word}  {down.disabled_reason}"
        assert f"{word}  {down.disabled_reason[:12]}" in screen_text(app)  # the start of it, in a half-width pane
        await focus_pane(pilot, down.channel_id)
        await pilot.press("R")
        assert isinstance(app.screen, ConfirmScreen)
        question = " ".join(str(static.content) for static in app.screen.query(Static))
        assert f"{down.remark} ({down.channel_id})" in question and down.disabled_reason in question
        await pilot.press("y")
        await settle(pilot)
        assert down.usable  # the gateway's lock is cleared, the account enabled
        await advance(pilot, clock, timers, 5)
        assert not pane.down and word not in str(pane.border_title)
        assert account_line(pane).startswith(f"{down.job_mode.lower()} · fast time left")
        assert word not in screen_text(app)


async def test_the_gateways_text_is_made_inert_and_chinese_keeps_its_cell_widths(clock: ManualClock) -> None:
    sim = gateway("trueai", clock)
    locked = halted(sim)
    locked.disabled_reason = "\x1b[2J封禁\x07 [bold]请联系管理员[/bold] " + "很长的原因" * 20
    app, _timers = make_gateway_dashboard(sim, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")  # the full view: four gateway accounts start compact at 80x24
        await focus_pane(pilot, locked.channel_id)
        screen = screen_text(app)
        line = next(line for line in screen.splitlines() if "LOCKED  封禁" in line)
        assert "\x1b" not in line and "\x07" not in line and "[bold]请联系管理员[/bold]" in line
        assert line.rstrip()[-1] == "║" and cell_len(line.rstrip()) == 78  # the border where it belongs: cut by cells


async def test_x_cancels_a_running_task_which_then_reads_as_cancelled(clock: ManualClock) -> None:
    sim, account, task_id, app, timers = one_task(clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = await focus_pane(pilot, account.channel_id)
        assert cursor_id(pane) == task_id
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        assert "reads as cancelled" in " ".join(str(static.content) for static in app.screen.query(Static))
        await pilot.press("y")
        await settle(pilot)
        assert sim.world.tasks[task_id].fail_reason == "取消任务"
        await advance(pilot, clock, timers, 10)
        assert finished_status(app, task_id) == "cancelled"
        assert task_id not in pane.rows


async def test_r_switches_the_selected_account_to_relax_and_i_tells_its_mode_and_fast_time(clock: ManualClock) -> None:
    sim = gateway("trueai", clock)
    account = usable(sim)
    app, timers = make_gateway_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = await focus_pane(pilot, account.channel_id)
        await pilot.press("r")
        await settle(pilot)
        assert account.job_mode == "RELAX"
        await advance(pilot, clock, timers, 5)
        assert "· relax" in str(pane.border_title)
        await pilot.press("i")
        await settle(pilot)
        [toast] = [said for said in toasts(app) if said.startswith("/info")]
        assert toast.startswith(f"/info on {account.remark}: channel {account.channel_id}, mode relax, fast time remaining ")
        assert "hours" in toast


async def test_the_original_dialect_hides_the_keys_it_lacks_once_it_is_known(clock: ManualClock) -> None:
    sim = gateway("original", clock)
    names = {account.channel_id: f"named {n}" for n, account in enumerate(sim.world.accounts.values())}
    app, _timers = make_gateway_dashboard(sim, clock, channel_names={"pool": names})  # panes before the first poll
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(4):  # the footer rebuilds after a refresh
            await pilot.pause()
        shown = footer_keys(app)  # after the first poll, with nothing else (a pane mounted, a focus change) to refresh it
        assert "h" in shown and not shown & {"x", "s", "r", "f", "t", "i"}, shown
        await focus_pane(pilot, usable(sim).channel_id)
        await pilot.press("x", "r", "i", "R")
        await settle(pilot)
        assert app.screen is app.dashboard and toasts(app) == []  # hidden keys do nothing


async def test_a_key_pressed_before_the_dialect_is_known_is_refused_in_one_toast_and_the_keys_then_hide(
        clock: ManualClock) -> None:
    sim = gateway("original", clock, accounts=1)
    gate = hold(sim)
    names = {account.channel_id: "mine" for account in sim.world.accounts.values()}
    app, _timers = make_gateway_dashboard(sim, clock, channel_names={"pool": names})  # its pane is there from the start
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, workers=False)
        for _ in range(4):
            await pilot.pause()
        assert {"x", "s", "r", "f", "t", "i"} <= footer_keys(app)  # no answer yet: the dialect is not known
        await pilot.press("r")
        gate.set()
        await settle(pilot)
        for _ in range(4):  # the footer rebuilds after a refresh
            await pilot.pause()
        assert toasts(app) == [": account 'pool' is midjourney-proxy (original dialect), which has no relax / fast / turbo"]
        assert not footer_keys(app) & {"x", "s", "r", "f", "t", "i"}  # the first poll's answer hid them


async def test_s_on_a_completed_task_fetches_its_seed_into_the_inspector(clock: ManualClock) -> None:
    sim, _account, task_id, app, timers = one_task(clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, sim.world.tasks[task_id].finish_at - clock.now() + 10)
        table = await focus_finished(pilot)
        assert cursor_id(table) == task_id and finished_status(app, task_id) == "completed"
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen) and app.screen.job_id == task_id
        seed = sim.world.tasks[task_id].seed
        assert seed and f"seed      {seed}" in str(app.screen.query_one("#seed", Static).content)


async def test_the_inspector_shows_a_tasks_buttons_properties_and_parent(clock: ManualClock) -> None:
    sim = gateway("trueai", clock)
    account = usable(sim)
    [parent_id] = fill(sim, account, fast=1)
    app, timers = make_gateway_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, sim.world.tasks[parent_id].finish_at - clock.now() + 1)
        sim.world.advance()
        parent = sim.world.tasks[parent_id]
        upscale = next(button["customId"] for button in parent.buttons if button["label"] == "U1")
        child, code, _ = sim.world.action(parent_id, upscale)
        assert code in (1, 22)
        app.open_inspector("pool", child.id)
        await settle(pilot)
        summary = str(app.screen.query_one("#summary", Static).content)
        assert f"parent    {parent_id}" in summary
        assert "verb      upscale" in summary and "mode      FAST" in summary
        await pilot.press("escape")
        app.open_inspector("pool", parent_id)
        await settle(pilot)
        summary = str(app.screen.query_one("#summary", Static).content)
        buttons = app.screen.query_one("#buttons", DataTable).rows
        assert "U1" in buttons and "V4" in buttons
        assert f"messageHash {parent.message_hash}" in summary
        await app.screen.run_action("close")
        app.open_inspector("pool", child.id)
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen) and app.screen.job_id == parent_id


@pytest.mark.parametrize("flavor", ["trueai", "plus", "original"])
async def test_each_dialect_draws_every_account_as_a_queue(clock: ManualClock, flavor: str) -> None:
    sim = gateway(flavor, clock, accounts=3)
    fill(sim, usable(sim), fast=2)
    app, _timers = make_gateway_dashboard(sim, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        panes = account_panes(app, "pool")
        assert set(panes) == {account.channel_id for account in sim.world.accounts.values()}
        assert all(pane.queue for pane in panes.values())
        if flavor == "original":  # it reports no mode and no fast time
            assert account_line(panes[usable(sim).channel_id]) == "taking jobs (no mode or fast time reported)"
        assert sum(pane.row_count for pane in panes.values()) == 2


async def test_a_user_token_on_trueai_is_told_that_the_account_views_need_an_admin_token(clock: ManualClock) -> None:
    sim = gateway("trueai", clock)
    app, _timers = make_gateway_dashboard(sim, clock, token=sim.user_token)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = plain(banner(app, "pool"))
        assert "账号无权限" in shown and "not an admin token" in shown and "admin token in the config" in shown
        assert sim.user_token not in screen_text(app)
