"""The dashboard's first frame: every configured account, "connecting", on the terminal before the network stack,
the API's models, the providers, the journal and the simulator are imported; then the dashboard in its place."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import pty
import random
import re
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import MJTUI, clean_env
from support.dashboard import LIST, SIZE, advance, header_text, quiet, screen_text, settle, wire

from mjtui.api.models import Job
from mjtui.connections import demo_accounts, demo_connection, demo_simulator
from mjtui.launch import DEMO_TITLE, DashboardStart
from mjtui.options import Options
from mjtui.store import Journal
from mjtui.timers import ManualTimers
from mjtui.tui.app import make_app
from mjtui.tui.dashboard import DashboardScreen
from mjtui.tui.formatting import short_job_id
from mjtui.tui.startup import STORE_SETTLE, Opened, Opening, Stored

ROOT = Path(__file__).resolve().parent.parent
# What the first frame must come before: the network stack, pydantic (the API's models, the config's check, package
# metadata for its plugins), the providers, the journal, the simulator.
HEAVY = ("httpx", "starlette", "pydantic", "importlib.metadata", "mjtui.api.models", "mjtui.api.client",
         "mjtui.providers", "mjtui.connections", "mjtui.store", "mjtui.sim", "mjtui.poller", "mjtui.tui.dashboard")


async def test_the_first_frame_names_every_account_connecting_then_the_dashboard_takes_its_place(make_sim, clock):
    q = quiet(make_sim, imaginepro=True)
    recorder = wire(q.sim)
    recorder.hold(*LIST)  # no answer yet: the accounts are still connecting when the dashboard comes
    shown_before_opening: list[str] = []
    app = None

    def open_rest() -> Opened:
        shown_before_opening.append(screen_text(app))
        return Opened([demo_connection(q.sim, name) for name in ("main", "ip")])

    timers = ManualTimers(clock)
    app = make_app([], opening=Opening([("main", "useapi"), ("ip", "imaginepro")], open_rest), clock=clock,
                   timers=timers, rng=random.Random(0), title="mjtui")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, workers=False)
        (first_frame,) = shown_before_opening
        assert "mjtui   2 accounts · 0 running" in first_frame
        assert "● main  useapi  connecting" in first_frame and "● ip  imaginepro  connecting" in first_frame

        assert isinstance(app.screen, DashboardScreen), "once opened, the dashboard is shown"
        assert header_text(app, "main").startswith("● main  useapi  connecting"), "its first poll is still held"
        recorder.release()
        await settle(pilot)
        assert header_text(app, "main").startswith("● main  useapi  live")
        await pilot.pause()
        assert short_job_id(q.lone) in screen_text(app), "the jobs are on screen"


@pytest.mark.parametrize(("width", "title", "resized", "title_resized"),
                         [(160, DEMO_TITLE, 80, "mjtui · demo"), (80, "mjtui · demo", 160, DEMO_TITLE)])
async def test_the_demos_title_fits_the_terminal_from_the_first_frame(make_sim, clock, width, title, resized,
                                                                       title_resized):
    """The title gives up its aside only where the terminal is too narrow for it; its first frames were drawn before the
    bar had a width, and showed "mjtui · demo" at 160 columns until the first poll came in."""
    q = quiet(make_sim)
    recorder = wire(q.sim)
    recorder.hold(*LIST)
    top_rows: list[str] = []
    app = None

    def open_rest() -> Opened:
        top_rows.append(screen_text(app).splitlines()[0])
        return Opened([demo_connection(q.sim, "main")])

    app = make_app([], opening=Opening([("main", "useapi")], open_rest), clock=clock, timers=ManualTimers(clock),
                   rng=random.Random(0), title=DEMO_TITLE)
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot, workers=False)
        top_rows.append(screen_text(app).splitlines()[0])
        assert all(row.startswith(f" {title}   1 account") for row in top_rows), top_rows
        await pilot.resize_terminal(resized, 24)
        await pilot.pause()
        assert screen_text(app).splitlines()[0].startswith(f" {title_resized}   1 account"), "resized: at once"
        recorder.release()


async def test_a_first_list_answered_before_the_dashboard_is_up_is_not_asked_for_again(make_sim, clock):
    """Start-up asks for the first lists before the dashboard is built; on a fast service the answer is in before it is
    mounted, and the dashboard used to ask again at once: two list requests per account where the rule is one."""
    q = quiet(make_sim, imaginepro=True)
    recorder = wire(q.sim)
    app = make_app([], opening=Opening([("main", "useapi"), ("ip", "imaginepro")],
                                       lambda: Opened([demo_connection(q.sim, name) for name in ("main", "ip")])),
                   clock=clock, timers=ManualTimers(clock), rng=random.Random(0), title="mjtui")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause()
        assert short_job_id(q.lone) in screen_text(app)
        assert recorder.lists("main") == 1, "one list request at start-up"

async def test_the_journal_opens_once_the_first_lists_are_shown_and_still_keeps_them(make_sim, clock):
    """sqlite3 and the store wait until every account's first list is on screen; the jobs that list showed are
    journalled all the same."""
    q = quiet(make_sim, imaginepro=True)
    journal = Journal(":memory:", clock=clock)
    shown_when_opened: list[str] = []
    app = None

    def open_store() -> Stored:
        shown_when_opened.append(screen_text(app))
        return Stored(journal=journal)

    timers = ManualTimers(clock)
    app = make_app([], opening=Opening([("main", "useapi"), ("ip", "imaginepro")],
                                       lambda: Opened([demo_connection(q.sim, name) for name in ("main", "ip")]),
                                       open_store),
                   clock=clock, timers=timers, rng=random.Random(0), title="mjtui")
    gc.disable()  # as `run_dashboard` starts it: no collector passes until the first lists are shown
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.pause()
            assert shown_when_opened == [], "not while the frame showing the first lists may still be on its way"
            assert not gc.isenabled()
            await advance(pilot, clock, timers, STORE_SETTLE)
            assert gc.isenabled(), "the collector is back on with the journal"
            (shown,) = shown_when_opened
            assert short_job_id(q.lone) in shown, "opened after the jobs were on screen"
            await asyncio.to_thread(app.writer.flush, 5)
            journalled = {entry.job_id for entry in journal.history(limit=None)}
            assert q.lone in journalled and set(q.jobs) <= journalled, "the first poll's jobs are in the journal"
    finally:
        gc.enable()


async def test_a_running_jobs_prompt_known_from_a_past_session_shows_though_the_journal_opens_after_the_first_lists(
        make_sim, clock):
    """The journal opens once the first lists are on screen; the prompts it knows of their running jobs still show."""
    q = quiet(make_sim, speed_scale=0.3)
    journal = Journal(":memory:", clock=clock)
    journal.record_running("main", q.jobs[0], Job(jobid=q.jobs[0], prompt="a red fox in snow"), clock.now())
    timers = ManualTimers(clock)
    app = make_app([], opening=Opening([("main", "useapi")], lambda: Opened([demo_connection(q.sim, "main")]),
                                       lambda: Stored(journal=journal)),
                   clock=clock, timers=timers, rng=random.Random(0), title="mjtui")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, STORE_SETTLE)
        await asyncio.to_thread(app.writer.flush, 5)
        await settle(pilot)
        line = next(line for line in screen_text(app).splitlines() if short_job_id(q.jobs[0]) in line)
        assert "a red fox in snow" in line, "the journal's prompt, though it opened after the first list"


async def test_a_job_that_finished_before_the_journal_opened_is_journalled_with_its_final_state(make_sim, clock):
    """ctrl+r in the first second, while another account's first list is on its way: a job that left the list then
    is recorded as it ended, not lost."""
    q = quiet(make_sim, imaginepro=True)
    recorder = wire(q.sim)
    recorder.hold("GET", "/api/v1/")  # ImaginePro's first poll: the journal waits for it (or a second)
    journal = Journal(":memory:", clock=clock)
    app = make_app([], opening=Opening([("main", "useapi"), ("ip", "imaginepro")],
                                       lambda: Opened([demo_connection(q.sim, name) for name in ("main", "ip")]),
                                       lambda: Stored(journal=journal)),
                   clock=clock, timers=ManualTimers(clock), rng=random.Random(0), title="mjtui")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, workers=False)
        assert app.journal_link is None, "not open yet: an account's first list is still on its way"
        clock.advance(q.sim.world.jobs[q.lone].finish_at - q.sim.world.clock.now() + 0.1)  # no timer fired: still <1 s
        q.sim.world.advance()
        app.poller.poll("main")
        await settle(pilot, workers=False)
        recorder.release()
        await settle(pilot)
        await pilot.pause()
        await asyncio.to_thread(app.writer.flush, 5)
        entry = journal.entry("main", q.lone)
        assert entry is not None and entry.final_status == "completed", entry


async def test_an_account_slow_to_answer_holds_the_journal_back_a_second_at_most(make_sim, clock):
    q = quiet(make_sim)
    recorder = wire(q.sim)
    recorder.hold(*LIST)
    opened_at: list[float] = []

    def open_store() -> Stored:
        opened_at.append(clock.now())
        return Stored()

    timers = ManualTimers(clock)
    app = make_app([], opening=Opening([("main", "useapi")], lambda: Opened([demo_connection(q.sim, "main")]), open_store),
                   clock=clock, timers=timers, rng=random.Random(0), title="mjtui")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, workers=False)
        start = clock.now()
        assert opened_at == [], "not while the first list may still come"
        clock.advance(1.0)
        await timers.fire_due()
        assert opened_at == [start + 1.0]
        recorder.release()
        await settle(pilot)
        await pilot.pause()
        assert opened_at == [start + 1.0], "opened once"


async def test_a_record_asked_for_before_the_journal_opened_opens_it_and_is_kept(make_sim, clock):
    """An action sent while an account's first list is still on its way: its audit record is not lost."""
    q = quiet(make_sim)
    recorder = wire(q.sim)
    recorder.hold(*LIST)
    journal = Journal(":memory:", clock=clock)
    app = make_app([], opening=Opening([("main", "useapi")], lambda: Opened([demo_connection(q.sim, "main")]),
                                       lambda: Stored(journal=journal)),
                   clock=clock, timers=ManualTimers(clock), rng=random.Random(0), title="mjtui")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, workers=False)
        app.record("record_action", "main", "fast", None, "ok", None, clock.now())
        await asyncio.to_thread(app.writer.flush, 5)
        assert [(entry.account, entry.action) for entry in journal.actions()] == [("main", "fast")]
        recorder.release()
        await settle(pilot)


async def test_quitting_while_the_rest_opens_ends_cleanly(make_sim, clock):
    q = quiet(make_sim, imaginepro=True)
    app = None

    def open_rest() -> Opened:
        app.exit()  # q pressed (or serve stopping it) while the connections are being opened
        return Opened([demo_connection(q.sim, name) for name in ("main", "ip")])

    app = make_app([], opening=Opening([("main", "useapi"), ("ip", "imaginepro")], open_rest), clock=clock,
                   timers=ManualTimers(clock), rng=random.Random(0), title="mjtui")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, workers=False)
    assert app.return_code == 0, "no traceback: the dashboard is not built on an app that is going"


def test_the_real_command_paints_the_accounts_before_importing_the_network_stack(tmp_path: Path) -> None:
    """`mjtui --config FILE`, headless, stopped when the app would open the rest: what was imported, what was shown."""
    config = _two_account_config(tmp_path)
    shown = _run_headless_until(tmp_path, config, "_open", HEAVY)
    assert shown["imported"] == [], "imported before the first frame"
    assert "● studio  useapi  connecting" in shown["screen"] and "● pro  imaginepro  connecting" in shown["screen"]


def test_the_dashboard_comes_up_without_the_screens_and_providers_it_has_not_used(tmp_path: Path) -> None:
    """The dashboard's modules, up to its first poll on a useapi account, leave out what waits for a key or another
    provider: the inspector (and its previews), history, help, ImaginePro's and the gateway's code."""
    config = tmp_path / "config.toml"
    config.write_text(_STUDIO)
    config.chmod(0o600)
    shown = _run_headless_until(tmp_path, config, "_go_live", NOT_ON_THE_WAY_UP)
    assert shown["imported"] == [], "imported before the dashboard was live"
    assert "studio" in shown["screen"]


_STUDIO = """
    [accounts.studio]
    provider = "useapi"
    token = "user:1234-abcdefabcdefabcdefabcdefabcdefab"
    base_url = "http://127.0.0.1:9"
"""
# What the dashboard does not need until a key or an account asks for it.
NOT_ON_THE_WAY_UP = ("mjtui.tui.inspector", "mjtui.tui.history", "mjtui.tui.help", "mjtui.tui.preview_", "PIL",
                     "textual_image", "mjtui.api.imaginepro_models", "mjtui.api.proxy", "mjtui.providers.imaginepro",
                     "mjtui.providers.midjourney_proxy")


def _two_account_config(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(textwrap.dedent(_STUDIO) + textwrap.dedent("""
        [accounts.pro]
        provider = "imaginepro"
        token = "ip-1234-abcdefabcdefabcdefabcdefabcdefab"
        token_id = 12345
        base_url = "http://127.0.0.1:9"
    """))
    config.chmod(0o600)
    return config


def _run_headless_until(tmp_path: Path, config: Path, method: str, watched: tuple[str, ...]) -> dict[str, Any]:
    """Run `mjtui --config FILE` headless until the app's `method` would run: the `watched` modules imported by then
    ("imported") and the screen's text ("screen")."""
    child = textwrap.dedent(f"""
        import json, sys
        from mjtui.tui.app import MjtuiApp

        run = MjtuiApp.run
        MjtuiApp.run = lambda self: run(self, headless=True, size=(100, 24))

        def stop_here(self):
            imported = sorted(name for name in sys.modules if name.startswith({watched!r}))
            text = "\\n".join(strip.text for strip in self.screen._compositor.render_strips())
            print(json.dumps({{"imported": imported, "screen": text}}))
            self.exit()

        MjtuiApp.{method} = stop_here
        from mjtui.entry import main
        main(["--config", {str(config)!r}, "--journal", ":memory:"])
    """)
    done = subprocess.run([sys.executable, "-c", child], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
                               "XDG_STATE_HOME": str(tmp_path / "state")})
    assert done.returncode == 0, done.stderr[-2000:]
    shown: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return shown


def test_importing_what_starts_the_dashboard_imports_no_network_stack() -> None:
    code = ("import sys, mjtui.entry, mjtui.launch, mjtui.tui.app, mjtui.tui.preview, mjtui.tui.watchdog; "
            f"print([name for name in sys.modules if name.startswith({HEAVY!r})])")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_demos_first_frame_names_the_accounts_the_demo_opens(tmp_path: Path) -> None:
    """The demo's accounts are named before the simulator is imported (launch.DEMO_ACCOUNTS): the same, in order."""
    simulator = demo_simulator()
    providers = {name: account.provider for name, account in simulator.world.accounts.items()}
    providers |= dict.fromkeys(simulator.gateways, "midjourney-proxy")
    expected = [(name, providers[name]) for name in demo_accounts(simulator)]
    start = DashboardStart.demo(Options(demo=True, journal=":memory:"))
    assert start.accounts == expected
    opened = start.open()
    try:
        assert [(connection.name, connection.provider) for connection in opened.connections] == expected
    finally:
        start.close()


def test_a_config_found_bad_after_the_first_frame_is_one_line_on_the_restored_terminal(tmp_path: Path) -> None:
    """The config is checked once the first frame is painted: a bad value ends the dashboard, and the one line
    saying so is printed after the terminal is back on its main screen (where it stays to be read), exit 2."""
    config = tmp_path / "config.toml"
    config.write_text('refresh_seconds = "fast"\n' + textwrap.dedent(_STUDIO))
    config.chmod(0o600)
    journal = tmp_path / "journal.sqlite3"
    status, written = _run_on_a_terminal([*MJTUI, "--config", str(config), "--journal", str(journal)],
                                         clean_env(tmp_path))
    assert os.waitstatus_to_exitcode(status) == 2
    frame, restored, after = written.partition(b"\x1b[?1049l")  # the alternate screen left
    assert restored and b"connecting" in frame, "the first frame was painted, then the terminal given back"
    lines = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", after).decode().split()
    assert " ".join(lines) == f"mjtui: {config}: refresh_seconds: expected a number"
    assert after.count(b"\n") == 1, "one line"
    assert not journal.exists(), "nothing was opened"


def _run_on_a_terminal(command: list[str], env: dict[str, str], seconds: float = 30) -> tuple[int, bytes]:
    """Run `command` on a pseudo-terminal of its own until it ends: its wait status and all it wrote there."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(command[0], command, {**env, "TERM": "xterm-256color"})
    written = b""
    try:
        while select.select([fd], [], [], seconds)[0]:
            chunk = os.read(fd, 65536)  # OSError (EIO) once the child has gone and all is read
            if not chunk:
                break
            written += chunk
    except OSError:
        pass
    finally:
        os.close(fd)
    deadline = time.monotonic() + seconds
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0:  # it may still be exiting once its terminal is closed
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)
    return done[1], written
