"""The dashboard against what it cannot trust or cannot use: an answer that drips, a token no header can carry.

The hostile server is real (loopback, its own thread), so waiting on it waits on real time, bounded;
the dashboard's own time is the injected clock, as everywhere else.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from support.dashboard import make_dashboard
from support.hostile_server import HostileServer, drip
from textual.pilot import Pilot

from mjtui.api.client import MIN_ANSWER_RATE, UseapiClient
from mjtui.config import Config
from mjtui.connections import Connection, open_connections
from mjtui.providers.useapi import Useapi
from mjtui.timers import ManualTimers
from mjtui.tui.account_header import AccountHeader, Banner, ProblemLine
from mjtui.tui.app import MjtuiApp, make_app

TOKEN = "user:4242-0123456789abcdefDASHBOARDtest"


def shown(app: MjtuiApp, account: str, widget: type[AccountHeader] | type[Banner] | type[ProblemLine]) -> str:
    content = app.dashboard.section(account).query_one(widget).content
    return content.plain if isinstance(content, Text) else str(content)


async def until(pilot: Pilot, condition: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    """Let the app run until `condition` holds: the server's side moves in real time."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {seconds:g} s for {what}"
        await pilot.pause(0.05)


async def test_a_poll_whose_answer_drips_fails_after_a_timeout_and_ctrl_r_polls_again(clock):
    with HostileServer(drip(interval=0.05, seconds=30)) as server:
        connection = Connection("main", Useapi("main", UseapiClient(TOKEN, server.url, timeout=0.3)))
        app = make_app([connection], clock=clock, timers=ManualTimers(clock))
        async with app.run_test(size=(120, 30)) as pilot:
            state = app.accounts["main"]
            await until(pilot, lambda: len(server.requests) == 1 and not state.polling, "the first poll to give up")
            said = f"no answer in time: the answer came at under {MIN_ANSWER_RATE / 1024:g} KB/s"
            assert said in shown(app, "main", ProblemLine), "the reason, whole, under the header"

            await pilot.press("ctrl+r")
            await until(pilot, lambda: len(server.requests) == 2 and not state.polling, "ctrl+r's poll to give up")
    assert server.requests == ["GET /v3/midjourney/jobs HTTP/1.1"] * 2


async def test_an_account_whose_token_no_header_can_carry_is_a_config_problem_not_a_retried_error(make_sim, clock):
    sim = make_sim(channels=1)
    config = Config.model_validate({"accounts": {"studio": {"token_env": "STUDIO_TOKEN"}}})
    connections, problems = open_connections(config, ["studio"], environ={"STUDIO_TOKEN": "user:1-abc\u2019def"})
    assert connections == []
    app, timers = make_dashboard(sim, clock, accounts=["main"], problems=problems)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        banner = shown(app, "studio", Banner)
        assert banner.startswith("Not polled: account 'studio': the token in environment variable STUDIO_TOKEN must be ASCII")
        assert "\u2019" not in banner and "abc" not in banner
        clock.advance(60)
        await timers.fire_due()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.accounts["studio"].connection is None and not app.accounts["studio"].polling
        assert "studio" not in {state.name for state in app.accounts.values() if state.status.errors}
        assert app.accounts["main"].status.last_ok_at is not None, "the other account carries on"

