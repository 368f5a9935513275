"""Noticing that the terminal is gone, so a dropped SSH session never leaves mjtui spinning.

SIGHUP usually says so, but not always (it can be blocked, ignored, or sent
to another process group). The watchdog asks the terminal itself: a hung-up
tty reports POLLHUP (or an error) on poll(). A dashboard served to a browser
reads a pipe from `mjtui serve` instead: that pipe hangs up when serve is gone.

And SIGTERM ends the process even when its event loop is too busy to run the
handler Textual gave it (`end_outright_after`).
"""

from __future__ import annotations

import os
import select
import signal
import stat
import sys
import threading
from collections.abc import Callable
from typing import IO

CHECK_EVERY = 1.0
GRACE = 3.0  # seconds for a clean exit before the process is ended outright


def terminal_gone(fd: int) -> bool:
    """True when `fd` is a terminal that has hung up or is no longer valid."""
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        events = poller.poll(0)
    except (OSError, ValueError):
        return True
    return any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, mask in events)


def can_hang_up(stream: IO[str]) -> bool:
    """True when `stream` is a terminal, a pipe or a socket: something whose other end can go away."""
    try:
        fd = stream.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError):  # closed, or not a file at all (io.UnsupportedOperation is both)
        return False
    return os.isatty(fd) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def end_outright_after(*signals: signal.Signals, grace: float = GRACE) -> None:
    """Each of `signals` also starts a clock: if the process is still alive `grace` seconds later, it ends outright.

    Call it after the event loop's handlers for them are set: this replaces only their no-op Python handler
    (asyncio still hears of the signal through its wakeup fd), and it runs even when the loop never gets
    back to its handlers (Textual laying a screen out for ever).
    """
    def start_clock(signum: int, frame: object) -> None:
        clock = threading.Timer(grace, os._exit, args=(128 + signum,))
        clock.daemon = True
        clock.start()

    for sig in signals:
        signal.signal(sig, start_clock)


class TerminalWatchdog:
    """A daemon thread that calls `on_gone` once the terminal hangs up, then ends the process if it lingers."""

    def __init__(self, fd: int, on_gone: Callable[[], None], *, every: float = CHECK_EVERY, grace: float = GRACE) -> None:
        self.fd = fd
        self.on_gone = on_gone
        self.every = every
        self.grace = grace
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mjtui-terminal-watchdog", daemon=True)

    @classmethod
    def for_this_process(cls) -> TerminalWatchdog:
        """Watch stdin; when it hangs up, ask for a clean exit with SIGTERM (the app traps it)."""
        return cls(sys.stdin.fileno(), lambda: os.kill(os.getpid(), signal.SIGTERM)).start()

    def start(self) -> TerminalWatchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            if terminal_gone(self.fd):
                self.on_gone()
                if not self._stop.wait(self.grace):
                    os._exit(1)  # the clean exit did not finish; nobody is left to see it
                return
