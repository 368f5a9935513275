"""The children of the terminal benchmarks, run as `python -m benchmarks.child ROLE ...`.

  sim SCENARIO LATENCY  serve a quiet world over HTTP, each answer LATENCY seconds late; print
                        {"port", "tokens"} on one line
  bare                  a bare Textual app; report its first paint
  floor ORIGIN TOKEN... a bare Textual app that also GETs the running-jobs list once per token with httpx
                        and validates it with a pydantic model; report its first paint showing the total
  dashboard ARGS...     the mjtui command with ARGS; report its first paint showing every account's header
                        (its name, "connecting"), then the first showing every account's jobs

A report is a line `seconds since BENCH_T0` (the parent's time.monotonic() at spawn) appended to
BENCH_OUT for each milestone; with BENCH_EXIT=1 the app exits right after the last. Only the standard
library is imported up front, so the bare app's start-up is not charged for mjtui's imports.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _report_first_paint(*milestones) -> None:  # noqa: ANN002 - predicates on the app, in the order they come true
    """Patch Textual so the first frame written while each `milestone(app)` holds is reported to BENCH_OUT."""
    from textual.app import App

    t0 = float(os.environ["BENCH_T0"])
    out = Path(os.environ["BENCH_OUT"])
    exit_after = os.environ.get("BENCH_EXIT") == "1"
    display = App._display
    waiting = list(milestones)

    def reporting_display(app, screen, renderable) -> None:  # noqa: ANN001
        display(app, screen, renderable)
        if not waiting or renderable is None:
            return
        seconds = time.monotonic() - t0
        reached = ""
        while waiting and waiting[0](app):  # one frame may reach several
            waiting.pop(0)
            reached += f"{seconds:.6f}\n"
        if reached:
            with out.open("a") as report:
                report.write(reached)
        if not waiting and exit_after:
            app.exit()

    App._display = reporting_display


def child_bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Static

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("a bare Textual app")
            yield Footer()

    _report_first_paint(lambda app: True)
    Bare().run()


def child_floor(origin: str, tokens: list[str]) -> None:
    """The least any monitor built on mjtui's core dependencies does before its first jobs are on screen."""
    import asyncio

    import httpx
    import pydantic
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Static

    class Listing(pydantic.BaseModel):  # the answer validated, as a client built on pydantic validates it
        total: int = 0
        channels: dict[str, dict] = {}

    class Floor(App[None]):
        totals: list[int] | None = None

        def compose(self) -> ComposeResult:
            yield Static("loading", id="jobs")
            yield Footer()

        async def on_mount(self) -> None:
            # verify=False: the simulator is plain http, so the floor loads no certificate store (mjtui loads it
            # on a thread of its own, for the https services it is pointed at).
            async with httpx.AsyncClient(base_url=origin, verify=False) as client:
                answers = await asyncio.gather(*(
                    client.get("/v3/midjourney/jobs", headers={"Authorization": f"Bearer {token}"})
                    for token in tokens))
            self.totals = [Listing.model_validate_json(answer.content).total for answer in answers]
            self.query_one("#jobs", Static).update(f"{sum(self.totals)} running")

    _report_first_paint(lambda app: app.totals is not None)
    Floor().run()


def child_dashboard(argv: list[str]) -> None:
    def shows_every_header(app) -> bool:  # noqa: ANN001 - the first frame: every account named, "connecting"
        headers = app.screen.query(".account-header")
        return bool(headers) and len(headers) >= len(_account_names(argv))

    def shows_every_account(app) -> bool:  # noqa: ANN001 - live data: every account's jobs, in panes laid out
        accounts = getattr(app, "accounts", {})
        pane = getattr(app.screen, "pane", None)  # the dashboard's: (account, channel) -> its pane or None
        if not accounts or pane is None:
            return False
        for state in accounts.values():
            if state.connection is None:
                continue
            if state.snapshot is None:  # not answered yet
                return False
            for channel, rows in state.snapshot.jobs.items():  # answered, but is it on the screen yet?
                shown = pane(state.name, channel)
                if shown is None or not shown.size.height or not rows.keys() <= shown.jobs.keys():
                    return False
        return True

    _report_first_paint(shows_every_header, shows_every_account)
    from mjtui.entry import main

    sys.argv = ["mjtui", *argv]
    main()


def _account_names(argv: list[str]) -> list[str]:
    """The accounts of the config named by `--config` (the parent's: one table per account)."""
    config = Path(argv[argv.index("--config") + 1]).read_text()
    return [line[len("[accounts."):-1] for line in config.splitlines() if line.startswith("[accounts.")]


def child_sim(name: str, latency: float) -> None:
    from benchmarks.scenarios import SCENARIOS, quiet
    from mjtui.sim.server import bind, serve

    scenario = next(s for s in SCENARIOS if s.name == name)
    sim = quiet(scenario)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    tokens = {account.name: account.token for account in sim.world.accounts.values()}
    print(json.dumps({"port": port, "tokens": tokens}), flush=True)
    serve(sim, sock, latency=latency)


if __name__ == "__main__":
    role, *rest = sys.argv[1:]
    if role == "sim":
        child_sim(rest[0], float(rest[1]))
    elif role == "bare":
        child_bare()
    elif role == "floor":
        child_floor(rest[0], rest[1:])
    elif role == "dashboard":
        child_dashboard(rest)
    else:
        raise SystemExit(f"unknown role {role!r}")
