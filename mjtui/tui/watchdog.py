"""Noticing that the terminal is gone, so a dropped SSH session never leaves mjtui spinning.

SIGHUP usually says so, but not always (it can be blocked, ignored, or sent
to another process group). The watchdog asks the terminal itself: a hung-up
tty reports POLLHUP (or an error) on poll(). A dashboard served to a browser
reads a pipe from `mjtui serve` instead: that pipe hangs up when serve is gone.

And SIGTERM ends the process even when its event loop is too busy to run the
handler Textual gave it (`ExitDeadline`), giving the terminal back first.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import stat
import sys
import termios
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import IO, Any

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


# What a full-screen Textual app turns on, turned off: the kitty keyboard protocol, mouse reporting, bracketed
# paste, focus and in-band resize reports; then line wrap back, the main screen, the cursor shown.
LEAVE_APPLICATION_MODE = ("\x1b[<u\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l\x1b[?2004l\x1b[?1004l"
                          "\x1b[?2048l\x1b[?7h\x1b[?1049l\x1b[?25h")


@dataclass(frozen=True)
class TerminalModes:
    """A terminal's settings from before a full-screen app changed them, to put back if the app cannot."""

    input_fd: int
    output_fd: int | None  # where the app draws (Textual: stderr), if a terminal
    attributes: list[Any]

    @classmethod
    def save(cls, input_: IO[str] | None, output: IO[str] | None) -> TerminalModes | None:
        """`input_`'s terminal settings now; None when it is no terminal (the pipe from `mjtui serve`, a test)."""
        input_fd, output_fd = _tty_fd(input_), _tty_fd(output)
        try:
            return None if input_fd is None else cls(input_fd, output_fd, termios.tcgetattr(input_fd))
        except termios.error:
            return None

    def restore(self) -> None:
        """The main screen, no mouse reporting, the line discipline as it was: a shell prompt that works again."""
        if self.output_fd is not None:
            with suppress(OSError):
                os.write(self.output_fd, LEAVE_APPLICATION_MODE.encode())
        with suppress(termios.error):
            termios.tcsetattr(self.input_fd, termios.TCSANOW, self.attributes)


def _tty_fd(stream: IO[str] | None) -> int | None:
    try:
        fd = stream.fileno() if stream is not None else -1
        return fd if os.isatty(fd) else None
    except (OSError, ValueError):  # closed, or not a file at all (io.UnsupportedOperation is both)
        return None


class ExitDeadline:
    """Each of its signals starts a clock: the process ends outright GRACE seconds later unless its event loop has
    heard the signal by then (`heard`).

    Textual can lay a screen out for ever without getting back to its event loop, where SIGTERM's handler waits:
    then the clock ends it. An exit that has begun is left to finish, however slow (the journal written, the
    terminal given back). Ending outright, it first gives `terminal` back as it was.
    (docs/upstream/textual-serve-stuck-dashboard.md says why a loop can starve.)
    """

    def __init__(self, terminal: TerminalModes | None = None) -> None:
        self.terminal = terminal
        self._clocks: list[threading.Timer] = []

    @classmethod
    def for_this_terminal(cls) -> ExitDeadline:
        """A deadline that gives back the terminal's settings as they are now (call it before the app takes it over)."""
        return cls(terminal=TerminalModes.save(sys.__stdin__, sys.__stderr__))

    def trap(self, on_signal: Callable[[], None], *signals: signal.Signals) -> None:
        """Have the running event loop call `on_signal` at each of `signals` (SIGTERM, SIGHUP when none are named),
        with a clock started in case the loop never gets back to it. Call it first thing: start-up can keep the loop
        busy."""
        loop = asyncio.get_running_loop()
        for sig in signals or (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(sig, self._heard_then, on_signal)
                self.arm(sig)  # ends the process if the loop never gets back to its handler
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not on this platform or not in the main thread

    def _heard_then(self, on_signal: Callable[[], None]) -> None:
        self.heard()  # the exit begins here: however slow, it is left to finish
        on_signal()

    def arm(self, *signals: signal.Signals) -> None:
        """Start a clock at each of `signals`. Call it after the event loop's handlers for them are set: this replaces
        only their no-op Python handler (asyncio still hears of the signal through its wakeup fd)."""
        for sig in signals:
            signal.signal(sig, self._start_clock)

    def heard(self) -> None:
        """The event loop has handled the signal: its exit is under way, so no clock ends it."""
        while self._clocks:
            self._clocks.pop().cancel()

    def _start_clock(self, signum: int, frame: object) -> None:
        clock = threading.Timer(GRACE, self._end_outright, args=(128 + signum,))
        clock.daemon = True
        self._clocks.append(clock)
        clock.start()

    def _end_outright(self, status: int) -> None:
        if self.terminal is not None:
            self.terminal.restore()
        os._exit(status)


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
