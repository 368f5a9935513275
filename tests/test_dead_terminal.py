"""A dropped SSH session must never leave mjtui running: close the terminal under it and it goes."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time

import pytest

CHILD = "from mjtui.cli import main; main(['--demo', '--journal', ':memory:'])"


def start_dashboard(*, block_sighup: bool) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.environ["TERM"] = "xterm-256color"
        if block_sighup:  # as when SIGHUP never arrives
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
        os.execv(sys.executable, [sys.executable, "-c", CHILD])
    return pid, fd


def read_until_painted(fd: int, deadline: float) -> bytes:
    seen = b""
    while time.monotonic() < deadline and b"running" not in seen:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def wait_gone(pid: int, seconds: float, fd: int | None = None) -> int | None:
    """The exit status once the process has ended (reaping it), or None if it outlives `seconds`.

    With `fd`, what the dashboard writes meanwhile is read and dropped, as a terminal would:
    a full pty buffer would block its last frames and hold up its exit.
    """
    deadline = time.monotonic() + seconds
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= deadline:
            return None
        if fd is None:
            time.sleep(0.05)
            continue
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                fd = None


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
        assert b"running" in painted, "the dashboard drew its panes"
        os.close(fd)  # the SSH connection drops
        status = wait_gone(pid, 5.0)
        assert status is not None, "still running 5 s after its terminal went away"
    finally:
        kill_if_running(pid)


def test_sigterm_exits_cleanly() -> None:
    pid, fd = start_dashboard(block_sighup=False)
    try:
        assert b"running" in read_until_painted(fd, time.monotonic() + 20)
        os.kill(pid, signal.SIGTERM)
        status = wait_gone(pid, 5.0, fd)
        assert status is not None and os.waitstatus_to_exitcode(status) == 0
    finally:
        os.close(fd)
        kill_if_running(pid)
