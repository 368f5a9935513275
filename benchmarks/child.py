"""The children of the terminal benchmarks, run as `python -m benchmarks.child ROLE ...`.

  sim SCENARIO          serve a quiet world over HTTP; print {"port", "tokens"} on one line
  bare                  a bare Textual app; report its first paint
  dashboard ARGS...     the mjtui CLI with ARGS; report the first paint showing every account's jobs

A report is `seconds since BENCH_T0` (the parent's time.monotonic() at spawn) written to
BENCH_OUT; with BENCH_EXIT=1 the app exits right after. Only the standard library is
imported up front, so the bare app's start-up is not charged for mjtui's imports.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _report_first_paint(ready) -> None:  # noqa: ANN001 - a predicate on the app
    """Patch Textual so the first frame written while `ready(app)` holds is reported to BENCH_OUT."""
    from textual.app import App

    t0 = float(os.environ["BENCH_T0"])
    out = os.environ["BENCH_OUT"]
    exit_after = os.environ.get("BENCH_EXIT") == "1"
    display = App._display
    done = []

    def reporting_display(app, screen, renderable) -> None:  # noqa: ANN001
        display(app, screen, renderable)
        if done or renderable is None or not ready(app):
            return
        done.append(True)
        Path(out).write_text(f"{time.monotonic() - t0:.6f}\n")
        if exit_after:
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


def child_dashboard(argv: list[str]) -> None:
    def shows_every_account(app) -> bool:  # noqa: ANN001
        accounts = getattr(app, "accounts", {})
        return bool(accounts) and all(state.snapshot is not None for state in accounts.values()
                                      if getattr(state, "useapi", None) is not None)

    _report_first_paint(shows_every_account)
    from mjtui.cli import main

    sys.argv = ["mjtui", *argv]
    main()


def child_sim(name: str) -> None:
    from benchmarks.scenarios import SCENARIOS, quiet
    from mjtui.sim.server import bind, serve

    scenario = next(s for s in SCENARIOS if s.name == name)
    sim = quiet(scenario)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    tokens = {account.name: account.token for account in sim.world.accounts.values()}
    print(json.dumps({"port": port, "tokens": tokens}), flush=True)
    serve(sim, sock)



if __name__ == "__main__":
    role, *rest = sys.argv[1:]
    if role == "sim":
        child_sim(rest[0])
    elif role == "bare":
        child_bare()
    elif role == "dashboard":
        child_dashboard(rest)
    else:
        raise SystemExit(f"unknown role {role!r}")
