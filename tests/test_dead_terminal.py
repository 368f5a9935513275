"""A dropped SSH session must never leave mjtui running: close the terminal under it and it goes."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import sys
import termios
import time
from collections.abc import Iterator

import pytest

CHILD = "from mjtui.cli import main; main(['--demo', '--journal', ':memory:'])"
# A dashboard whose exit takes longer than the grace SIGTERM gives a stuck one (a journal on a slow disk, say).
SLOW_TO_EXIT = """
import time
from mjtui.tui import watchdog
from mjtui.tui.app import MjtuiApp
unmount = MjtuiApp.on_unmount
def slow_unmount(self):
    time.sleep(watchdog.GRACE + 0.5)
    unmount(self)
MjtuiApp.on_unmount = slow_unmount
""" + CHILD
# A dashboard whose event loop never comes back once F12 is pressed, as when Textual lays a screen out for ever.
STUCK_AT_F12 = """
import os
from mjtui.tui import watchdog
from mjtui.tui.dashboard import DashboardScreen
watchdog.GRACE = 0.5
keyed = DashboardScreen.on_key
def on_key(self, event):
    if event.key == "f12":
        os.write(2, b"<stuck>")
        while True:
            pass
    keyed(self, event)
DashboardScreen.on_key = on_key
""" + CHILD
F12 = b"\x1b[24~"
# An account header after its first poll ("polled 0s ago"): the dashboard with its panes, not the start-up frame
# before it (which already says "0 running").
PANES_DRAWN = b"polled"


def start_dashboard(*, block_sighup: bool = False, code: str = CHILD) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.environ["TERM"] = "xterm-256color"
        if block_sighup:  # as when SIGHUP never arrives
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
        os.execv(sys.executable, [sys.executable, "-c", code])
    return pid, fd


@contextlib.contextmanager
def painted_dashboard(code: str = CHILD) -> Iterator[tuple[int, int]]:
    """A dashboard on a terminal of its own (pid, the terminal's fd) once it has drawn its panes; ended after."""
    pid, fd = start_dashboard(code=code)
    try:
        assert PANES_DRAWN in read_until_painted(fd, time.monotonic() + 20), "the dashboard drew its panes"
        yield pid, fd
    finally:
        os.close(fd)
        kill_if_running(pid)


def read_until_painted(fd: int, deadline: float, painted: bytes = PANES_DRAWN) -> bytes:
    seen = b""
    while time.monotonic() < deadline and painted not in seen:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def wait_gone(pid: int, seconds: float, fd: int | None = None) -> int | None:
    """The exit status once the process has ended (reaping it), or None if it outlives `seconds`.

    With `fd`, what the dashboard writes meanwhile is read, as a terminal would: a full pty
    buffer would block its last frames and hold up its exit.
    """
    return wait_gone_reading(pid, seconds, fd)[0]


def wait_gone_reading(pid: int, seconds: float, fd: int | None) -> tuple[int | None, bytes]:
    """`wait_gone`, and what the dashboard wrote on its terminal meanwhile."""
    deadline = time.monotonic() + seconds
    written = b""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, written + drain(fd)
        if time.monotonic() >= deadline:
            return None, written
        if fd is None:
            time.sleep(0.05)
            continue
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                written += os.read(fd, 65536)
            except OSError:
                fd = None


def drain(fd: int | None) -> bytes:
    """What is left to read on `fd` once its writer has gone."""
    left = b""
    while fd is not None and select.select([fd], [], [], 0)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end is closed: all read
            break
        if not chunk:
            break
        left += chunk
    return left


def kill_if_running(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


@pytest.mark.parametrize("block_sighup", [False, True], ids=["hangup", "hangup-never-delivered"])
def test_closing_the_terminal_ends_the_dashboard_within_5_seconds(block_sighup: bool) -> None:
    pid, fd = start_dashboard(block_sighup=block_sighup)
    try:
        painted = read_until_painted(fd, time.monotonic() + 20)
        assert PANES_DRAWN in painted, "the dashboard drew its panes"
        os.close(fd)  # the SSH connection drops
        status = wait_gone(pid, 5.0)
        assert status is not None, "still running 5 s after its terminal went away"
    finally:
        kill_if_running(pid)


def test_sigterm_exits_cleanly() -> None:
    with painted_dashboard() as (pid, fd):
        os.kill(pid, signal.SIGTERM)
        status = wait_gone(pid, 5.0, fd)
        assert status is not None and os.waitstatus_to_exitcode(status) == 0


def test_a_slow_clean_exit_after_sigterm_is_not_cut_short() -> None:
    """Once the dashboard has begun to exit it is left to finish: the journal written, the terminal given back."""
    with painted_dashboard(SLOW_TO_EXIT) as (pid, fd):
        os.kill(pid, signal.SIGTERM)
        status, written = wait_gone_reading(pid, 20.0, fd)
        assert status is not None and os.waitstatus_to_exitcode(status) == 0, "ended outright in the middle of its exit"
        assert b"\x1b[?1049l" in written, "the terminal is back on its main screen"


def test_a_dashboard_deaf_to_sigterm_gives_the_terminal_back_as_it_ends() -> None:
    """Ended outright (its event loop never got back to SIGTERM's handler), it still leaves the terminal usable."""
    with painted_dashboard(STUCK_AT_F12) as (pid, fd):
        os.write(fd, F12)
        assert b"<stuck>" in read_until_painted(fd, time.monotonic() + 20, b"<stuck>")
        os.kill(pid, signal.SIGTERM)
        status, written = wait_gone_reading(pid, 20.0, fd)
        assert status is not None and os.waitstatus_to_exitcode(status) == 128 + signal.SIGTERM
        for mode_off in (b"\x1b[?1049l", b"\x1b[?1000l", b"\x1b[?1003l", b"\x1b[?25h"):
            assert mode_off in written, f"{mode_off!r}: the main screen, no mouse reporting, the cursor"
        input_modes, _, _, local_modes = termios.tcgetattr(fd)[:4]
        cooked = termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN
        assert local_modes & cooked == cooked and input_modes & termios.ICRNL, "echo, line editing, Ctrl+C work again"
