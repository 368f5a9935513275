"""An ImaginePro account on the dashboard, as its owner sees it: a pane per linked Discord account, polled within the
rate limit, and the keys that act on them. The in-process simulator is the service; time is the manual clock."""

from __future__ import annotations

from rich.cells import cell_len
from support.dashboard import account_panes, advance, focus_pane, header_text, make_dashboard, settle, toasts
from textual.widgets import DataTable, Static

from mjtui.providers.imaginepro import UNPLACED
from mjtui.sim import Simulator
from mjtui.sim.world import Channel, Submission
from mjtui.tui.channel_pane import ChannelPane
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.help import HelpScreen
from mjtui.tui.inspector import InspectorScreen

SIZE = (120, 40)


def imaginepro(make_sim, links: int = 1, **world) -> tuple[Simulator, list[Channel]]:
    """A simulator with one ImaginePro account of `links` linked Discord accounts (2 slots each) and no simulated user."""
    sim = make_sim(channels=1, imaginepro=True, imaginepro_links=links, autopilot=False, max_jobs=2, **world)
    return sim, sim.world.linked(sim.world.accounts["ip"])


def busy(sim: Simulator, link: Channel, running: int, queued: int = 0) -> list[str]:
    """`running` jobs on the linked account, and `queued` more waiting for its slots; the running ones' message ids."""
    ids = [sim.world.submit(sim.world.accounts["ip"], f"prompt {n}", link.id).message_id for n in range(running)]
    link.backlog.extend(Submission("imagine", "image", f"waiting {n}") for n in range(queued))
    return ids


def gauges(pane: ChannelPane) -> str:
    return pane.gauges.render().plain


def account_line(pane: ChannelPane) -> str:
    return pane.render_above(1, 200).text.rstrip()


def question(app) -> str:
    return " ".join(str(static.content) for static in app.screen.query(Static))


async def test_the_header_says_the_rate_limit_sets_the_interval_and_minus_cannot_go_below_it(make_sim, clock) -> None:
    sim, _links = imaginepro(make_sim)
    app, timers = make_dashboard(sim, clock, accounts=["ip"], refresh_seconds=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "live  every 6s (rate limit) · polled" in header_text(app, "ip")
        assert cell_len(header_text(app, "ip").split("(rate limit)")[0]) < 78, "in view at 80 columns"
        await pilot.press("minus")
        assert toasts(app)[-1] == ": refresh every 6s: the service's rate limit allows no faster"
        assert app.poller.refresh_seconds == 6 and "every 6s (rate limit)" in header_text(app, "ip")
        before = sum(request.kind == "general" for request in sim.world.gate.log)
        await advance(pilot, clock, timers, 60, step=1)
        assert sum(request.kind == "general" for request in sim.world.gate.log) - before <= 10
        assert sim.world.gate.refused() == 0


async def test_a_useapi_account_beside_it_keeps_the_faster_interval_and_the_toast_names_the_slower(make_sim, clock) -> None:
    sim, _links = imaginepro(make_sim)
    app, _timers = make_dashboard(sim, clock, accounts=["main", "ip"], refresh_seconds=3)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("minus")
        assert toasts(app)[-1] == ": refresh every 2s (ip every 6s: the rate limit allows no faster)"
        assert "every 2s" in header_text(app, "main") and "rate limit" not in header_text(app, "main")
        assert "every 6s (rate limit)" in header_text(app, "ip")


async def test_the_fast_and_relax_queues_show_as_counts_apart(make_sim, clock) -> None:
    sim, [link] = imaginepro(make_sim)
    busy(sim, link, running=2, queued=3)
    app, timers = make_dashboard(sim, clock, accounts=["ip"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = account_panes(app, "ip")[link.id]
        assert gauges(pane) == "run ██████████ 2/2 FULL  fast queue 3   relax queue 0"
        link.mode = "relax"  # the owner switched it in Discord: /info now counts them as relax
        await advance(pilot, clock, timers, app.poller.interval("ip") * 2)
        assert gauges(pane) == "run ██████████ 2/2 FULL  fast queue 0   relax queue 3"
        assert "/?" not in gauges(pane)


async def test_verifying_banned_and_inactive_linked_accounts_read_plainly(make_sim, clock) -> None:
    sim, links = imaginepro(make_sim, links=3)
    verifying, banned, inactive = links
    sim.world.set_standing(verifying.token_id, "VERIFYING")
    sim.world.set_standing(banned.token_id, "BANNED")
    sim.world.toggle(sim.world.accounts["ip"], inactive.token_id, False)
    app, _timers = make_dashboard(sim, clock, accounts=["ip"])
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        panes = account_panes(app, "ip")
        assert account_line(panes[verifying.id]).startswith("VERIFYING  ImaginePro is verifying the Discord token")
        assert account_line(panes[banned.id]).startswith("BANNED  ImaginePro reports the Discord account banned")
        assert account_line(panes[inactive.id]) == (f"INACTIVE  ImaginePro sends it no jobs (mjtui toggle "
                                                    f"{inactive.token_id} makes it active)")
        for link, word in ((verifying, "VERIFYING"), (banned, "BANNED"), (inactive, "INACTIVE")):
            assert str(panes[link.id].border_title).endswith(f"· {word}")
        styles = app.dashboard.query_one("PaneStyles")
        down, warning = (styles.style(f"channel-pane--{name}", partial=False).color for name in ("down", "offline"))
        assert panes[banned.id].styles.border.top[1].rich_color == down, "banned: the error colour"
        assert panes[verifying.id].styles.border.top[1].rich_color == warning
        assert panes[inactive.id].styles.border.top[1].rich_color == warning


async def test_a_toggles_the_selected_linked_account_after_asking_and_its_pane_reads_inactive(make_sim, clock) -> None:
    sim, [link] = imaginepro(make_sim)
    busy(sim, link, running=1)
    app, timers = make_dashboard(sim, clock, accounts=["ip"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = await focus_pane(pilot, link.id)
        await advance(pilot, clock, timers, 3)  # the user reads the pane: the first poll's request is 3 s behind
        await pilot.press("a")
        assert isinstance(app.screen, ConfirmScreen)
        assert f"Make linked account token {link.token_id} ({link.id}) of account ip inactive?" in question(app)
        assert "no new jobs until it is made active again" in question(app)
        await pilot.press("y")
        await settle(pilot)
        assert not link.active
        assert toasts(app)[-1] == f"Toggle: linked account {link.token_id} is now inactive"
        await advance(pilot, clock, timers, app.poller.interval("ip"))
        assert account_line(pane).startswith("INACTIVE  ") and str(pane.border_title).endswith("· INACTIVE")
        await advance(pilot, clock, timers, 3)
        await pilot.press("a")
        assert "of account ip active?" in question(app) and "sends it jobs again" in question(app)
        await pilot.press("y")
        await settle(pilot)
        await advance(pilot, clock, timers, app.poller.interval("ip"))
        assert link.active and not account_line(pane).startswith("INACTIVE")
        assert sim.world.gate.refused() == 0


async def test_a_and_r_on_the_unplaced_pane_are_refused_and_send_nothing(make_sim, clock) -> None:
    sim, links = imaginepro(make_sim, links=2)
    [message_id] = busy(sim, links[1], running=1)
    app, timers = make_dashboard(sim, clock, accounts=["ip"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, app.poller.interval("ip"))  # the last 24 h: which account runs it, unknown
        pane = await focus_pane(pilot, UNPLACED)
        assert pane.cursor_key == message_id
        await advance(pilot, clock, timers, 3)  # the rate limit would let an action go now
        sent = sum(request.kind == "general" for request in sim.world.gate.log)
        for key, what in (("a", "toggle"), ("r", "/relax")):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is app.dashboard, "nothing to confirm"
            assert toasts(app)[-1] == (f": {what}: no linked account mjtui knows of is behind this pane: select a "
                                       f"linked account's pane (tab moves between panes)")
        assert sum(request.kind == "general" for request in sim.world.gate.log) == sent, "nothing was sent"
        assert all(link.active for link in links) and all(link.mode == "fast" for link in links)


async def test_the_toggle_key_is_hidden_where_the_provider_lacks_it_and_help_names_its_key(make_sim, clock) -> None:
    sim, [link] = imaginepro(make_sim)
    app, _timers = make_dashboard(sim, clock, accounts=["main", "ip"])
    main_channel = sim.world.accounts["main"].channels[0]
    sim.world.submit(sim.world.accounts["main"], "a job to select", main_channel)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, main_channel)
        await pilot.press("a")
        assert app.screen is app.dashboard and toasts(app) == [], "useapi has no linked accounts to toggle"
        rows = app.help_rows()
        assert ("a", "Linked account on / off", "toggle") in rows
        lacking = [description for _key, description, _id in rows if description.startswith("not for account main")]
        assert lacking == ["not for account main (useapi): toggle (a)"]
        assert not any("(?)" in description for _key, description, _id in rows), "a capability without a key is not listed"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)


async def test_x_on_a_message_that_reached_100_percent_is_refused_and_no_cancel_is_pressed(make_sim, clock) -> None:
    sim, [link] = imaginepro(make_sim)
    [message_id] = busy(sim, link, running=1)
    job = next(job for job in sim.world.jobs.values() if job.message_id == message_id)
    job.outcome = "completed"
    app, timers = make_dashboard(sim, clock, accounts=["ip"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, app.poller.interval("ip"))  # the last 24 h read: its message is followed
        pane = await focus_pane(pilot, link.id)
        assert pane.cursor_key == message_id
        clock.advance(job.finish_at - clock.now() + 1)  # it finishes before the next poll says so
        sim.world.advance()
        pressed = sum(request.kind == "general" for request in sim.world.gate.log)
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        [toast] = [toast for toast in toasts(app) if toast.startswith("cancel failed")]
        assert "is DONE at 100%" in toast and "only while a job is in progress (progress < 100)" in toast
        assert sum(request.kind == "general" for request in sim.world.gate.log) == pressed, "no button was pressed"


async def test_the_inspector_shows_a_messages_buttons_image_parent_and_linked_account_and_o_opens_the_parent(
        make_sim, clock) -> None:
    sim, links = imaginepro(make_sim, links=2)
    world, second = sim.world, links[1]
    parent = world.submit(world.accounts["ip"], "an owl librarian", second.id)
    parent.outcome = "completed"
    clock.advance(parent.finish_at - clock.now() + 1)
    world.advance()
    child = world.press(world.accounts["ip"], parent.jobid, "U2")
    app, timers = make_dashboard(sim, clock, accounts=["ip"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 3)  # which linked account ran it is asked only when no poll waits for the turn
        app.open_inspector("ip", parent.message_id)
        await settle(pilot)
        summary = str(app.screen.query_one("#summary", Static).content)
        buttons = app.screen.query_one("#buttons", DataTable).rows
        assert "U1" in buttons and "V4" in buttons and f"channel   {second.id}" in summary
        assert app.screen.query_one("#attachments").row_count == 1, "its image"
        await app.screen.run_action("close")
        app.open_inspector("ip", child.message_id)
        await settle(pilot)
        assert f"parent    {parent.message_id}" in str(app.screen.query_one("#summary", Static).content)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen) and app.screen.job_id == parent.message_id
