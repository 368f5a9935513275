"""Pressing a job's buttons from the inspector, as a user does: the row of buttons, the confirmation naming the job, the
button and the channel, the prompt for Custom Zoom, the new job at once, the service's refusals in one line, and
--readonly, whose inspector offers nothing that sends."""

from __future__ import annotations

from support.dashboard import (
    SIZE,
    Quiet,
    advance,
    finish_time,
    finished_and_selected,
    footer_line,
    inspect_finished,
    make_dashboard,
    make_gateway_dashboard,
    panes,
    plain,
    quiet,
    settle,
    toasts,
    wire,
)
from textual.widgets import DataTable, Input, Static

from mjtui.clock import ManualClock
from mjtui.sim.proxy import ProxySimulator
from mjtui.sim.world import UPSCALED_BUTTONS
from mjtui.timers import ManualTimers
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.inspector import InspectorScreen
from mjtui.tui.prompt import PromptScreen

PRESS = ("POST", "/v2/jobs/button")


async def open_buttons(pilot, row: int = 0) -> DataTable:
    """In the inspector: b goes to the buttons, the cursor moved down to `row`."""
    await pilot.press("b")
    table = pilot.app.focused
    assert isinstance(table, DataTable) and table.id == "buttons"
    for _ in range(row):
        await pilot.press("down")
    return table


async def upscaled(pilot, q: Quiet, clock: ManualClock, timers: ManualTimers) -> str:
    """The lone job completed, U1 pressed on it at the service, and that upscale completed too; its id."""
    await finished_and_selected(pilot, q, clock, timers)
    world = q.sim.world
    upscale = world.press(world.accounts["main"], q.lone, "U1").jobid
    await advance(pilot, clock, timers, finish_time(q.sim, upscale) + 10)
    return upscale


def question(app) -> str:
    assert isinstance(app.screen, ConfirmScreen)
    return plain(app.screen.query_one("#question", Static))


async def test_u2_asks_naming_job_button_and_channel_then_the_upscale_is_a_child_at_once_and_completes(make_sim, clock):
    q = quiet(make_sim, speed_scale=0.3)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        inspector = await inspect_finished(pilot, q, clock, timers)
        assert "[U1]" not in plain(inspector.query_one("#summary", Static)), "listed to press, not said twice"
        table = await open_buttons(pilot, row=1)
        assert table.get_row_at(1)[0].plain == "U2" and table.get_row_at(1)[1].plain == "upscale image 2"
        await pilot.press("enter")
        asked = question(app)
        assert "Press U2 on job " + q.lone in asked and f"channel {q.other}" in asked and "paid work" in asked
        await pilot.press("n")
        await settle(pilot)
        assert w.count(*PRESS) == 0 and app.screen is inspector
        await pilot.press("enter", "y")
        await settle(pilot)
        assert w.count(*PRESS) == 1
        [child] = q.sim.world.jobs[q.lone].children
        children = inspector.query_one("#children", DataTable)
        assert app.focused is children and str(children.coordinate_to_cell_key(children.cursor_coordinate).row_key.value) \
            == child["jobid"], "the new job is offered at once: enter opens it"
        assert any(t.startswith("Press U2: U2 pressed on ") and "(in Children: enter opens it)" in t for t in toasts(app))
        assert child["jobid"] in panes(app)[q.other].rows, "the poll after the press shows it in its channel's pane"
        await advance(pilot, clock, timers, finish_time(q.sim, child["jobid"]) + 10)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen) and app.screen.job_id == child["jobid"]
        assert plain(app.screen.query_one("#summary", Static)).startswith("status    completed")


async def test_custom_zoom_asks_for_a_prompt_prefilled_with_the_jobs_and_sends_what_was_typed(make_sim, clock):
    q = quiet(make_sim, speed_scale=0.3)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        upscale = await upscaled(pilot, q, clock, timers)
        app.open_inspector("main", upscale)
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        shown = await footer_line(pilot)
        assert "o Parent" in shown and "? Help" in shown and "Buttons" not in shown, "b pushes no key off at 80 columns"
        assert "b goes here" in plain(app.screen.query_one("#buttons-title", Static))
        await open_buttons(pilot, row=UPSCALED_BUTTONS.index("Custom Zoom"))
        await pilot.press("enter")
        assert isinstance(app.screen, PromptScreen)
        field = app.screen.query_one(Input)
        assert field.value == "a lone lighthouse" and app.focused is field
        await pilot.press(*" --zoom 1.5", "enter")  # typed after the job's prompt, not over it
        assert "Prompt: a lone lighthouse --zoom 1.5" in question(app)
        await pilot.press("y")
        await settle(pilot)
        [child] = q.sim.world.jobs[upscale].children
        assert child["button"] == "Custom Zoom"
        assert q.sim.world.jobs[child["jobid"]].prompt == "a lone lighthouse --zoom 1.5"


async def test_vary_region_reads_as_unsupported_and_escape_on_a_prompt_sends_nothing(make_sim, clock):
    q = quiet(make_sim, speed_scale=0.3)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        upscale = await upscaled(pilot, q, clock, timers)
        app.open_inspector("main", upscale)
        await settle(pilot)
        table = await open_buttons(pilot, row=UPSCALED_BUTTONS.index("Vary (Region)"))
        assert table.get_row_at(table.cursor_row)[1].plain.startswith("not supported from a terminal")
        await pilot.press("enter")
        await settle(pilot)
        assert any("Vary (Region): not supported from a terminal" in t for t in toasts(app))
        await pilot.press("up", "e")  # Vary (Strong) with a prompt (Remix), then given up
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen) and w.count(*PRESS) == 0


async def test_a_409_and_a_429_each_read_as_one_clear_line(make_sim, clock):
    q = quiet(make_sim, speed_scale=0.3)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await inspect_finished(pilot, q, clock, timers)
        world, account = q.sim.world, q.sim.world.accounts["main"]
        world.press(account, q.lone, "U1")  # pressed elsewhere (Discord, a script) since the inspector opened
        await open_buttons(pilot)
        await pilot.press("enter", "y")
        await settle(pilot)
        assert f"press U1 failed: 409 Conflict: Button U1 already executed for job {q.lone} (POST /v2/jobs/button)" \
            in toasts(app)
        for prompt in ("one", "two"):
            world.submit(account, prompt, q.other)  # the channel is full: 3 of 3
        await pilot.press("down", "down", "down", "down", "enter", "y")  # 🔄
        await settle(pilot)
        assert ("press 🔄 failed: 429 Too Many Requests: Maximum of 3 jobs executing in parallel supported "
                "(POST /v2/jobs/button)") in toasts(app)
        assert len(world.jobs[q.lone].children) == 1


async def test_readonly_inspector_offers_no_buttons_seed_or_cancel_and_says_why_when_pressed(make_sim, clock):
    q = quiet(make_sim, speed_scale=0.3)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock, readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await inspect_finished(pilot, q, clock, timers)
        footer = await footer_line(pilot)
        assert "esc Back" in footer and "Seed" not in footer and "Cancel job" not in footer
        assert not app.screen.query_one("#buttons", DataTable).display
        assert "[U1]" in plain(app.screen.query_one("#summary", Static)), "the buttons are still told, not offered"
        await pilot.press("b", "s")
        await settle(pilot)
        assert "read-only mode (--readonly): pressing buttons is off" in " ".join(toasts(app))
        assert w.count(*PRESS) == 0 and w.count("POST", "/v2/jobs/seed_async") == 0


async def test_reroll_on_a_gateways_task_starts_a_task_that_names_it_as_parent(clock: ManualClock) -> None:
    sim = ProxySimulator.build(flavor="plus", clock=clock, seed=7, autopilot=False, accounts=1, fail_rate=0.0,
                               timeout_rate=0.0)
    task, _, _ = sim.world.imagine("a red fox")
    app, timers = make_gateway_dashboard(sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, task.finish_at - clock.now() + 10)
        app.open_inspector("pool", task.id)
        await settle(pilot)
        await open_buttons(pilot, row=4)
        await pilot.press("enter")
        assert "Press 🔄 on job " + task.id in question(app)
        await pilot.press("y")
        await settle(pilot)
        [child] = [t for t in sim.world.tasks.values() if t.parent_id == task.id]
        assert child.action == "IMAGINE" and child.description == f"/up {task.id} 🔄"
        await pilot.press("ctrl+r")  # the gateway's task lists no children: the one started here stays listed
        await settle(pilot)
        assert child.id in app.screen.query_one("#children", DataTable).rows
