"""A thread that does the journal's work in order, so the UI thread never waits on SQLite."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import Any, TypeVar

from mjtui.clock import Clock
from mjtui.store.journal import Journal, JournalError

T = TypeVar("T")
CLEANUP_EVERY = 3600.0  # seconds of the clock between retention cleanups

log = logging.getLogger(__name__)

_STOP = object()


class JournalWriter:
    """Runs journal calls one at a time, in submission order, on a background thread.

    Every failure (of a submitted call or of the periodic cleanup) is passed
    to `on_error` and the thread carries on: nothing is raised at the caller,
    nothing is lost silently. Whenever the queue runs empty after a call, the
    WAL is checkpointed, so the next write does not pay for it. `on_error` runs on the writer thread; from
    Textual, hop back with ``app.call_from_thread``. The writer does not close
    the journal: close the writer first, then the journal.
    """

    def __init__(
        self,
        journal: Journal,
        *,
        on_error: Callable[[BaseException], None],
        clock: Clock | None = None,
        cleanup_every: float = CLEANUP_EVERY,
    ) -> None:
        self.journal = journal
        self.on_error = on_error
        self.clock = clock or journal.clock
        self.cleanup_every = cleanup_every
        self._last_cleanup = self.clock.now()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._closing = threading.Lock()  # no call can be queued behind the stop marker
        self._thread = threading.Thread(target=self._run, name="mjtui-journal", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Queue ``fn(*args, **kwargs)`` (usually a bound Journal method) and return at once.

        The future holds its result, or its exception (which `on_error` has
        also been given). Reads submitted after a write see that write. After
        `close()` nothing runs: the future fails at once and the refusal is
        logged (`on_error` is kept to the writer thread, where callers expect it).
        """
        future: Future[T] = Future()
        with self._closing:
            if not self._closed:
                self._queue.put((future, fn, args, kwargs))
                return future
        log.warning("journal writer: %s submitted after close, not run", getattr(fn, "__name__", fn))
        future.set_exception(JournalError("the journal writer is closed"))
        return future

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far has run; False if `timeout` seconds passed first."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("flush() from the writer thread would wait for itself")
        if self._closed:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        done, _ = wait([self.submit(lambda: None)], timeout)
        return bool(done)

    def close(self, timeout: float | None = 10.0) -> bool:
        """Run what is queued, then stop the thread; False if it had not stopped after `timeout` seconds."""
        with self._closing:
            if not self._closed:
                self._closed = True
                self._queue.put(_STOP)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def pending(self) -> int:
        """Calls queued and not yet run (roughly: another thread may be adding)."""
        return self._queue.qsize()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            self._maybe_cleanup()  # before the call, so a flush() returns after a cleanup that was due
            future, fn, args, kwargs = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as exc:  # noqa: BLE001 - the writer must outlive any one call
                    future.set_exception(exc)
                    self._report(exc)
                    continue
                if self._queue.empty():
                    self._checkpoint()

    def _checkpoint(self) -> None:
        """Nothing is queued: the WAL goes into the database file now, between polls, not inside the next write."""
        try:
            self.journal.checkpoint()
        except Exception as exc:  # noqa: BLE001 - nothing is lost: the pages stay in the WAL for the next checkpoint
            log.warning("journal writer: checkpoint failed: %s", exc)

    def _maybe_cleanup(self) -> None:
        now = self.clock.now()
        if now - self._last_cleanup < self.cleanup_every:
            return
        self._last_cleanup = now
        try:
            self.journal.cleanup(now)
        except Exception as exc:  # noqa: BLE001 - reported, and tried again in an hour
            self._report(exc)

    def _report(self, error: BaseException) -> None:
        try:
            self.on_error(error)
        except Exception:  # a broken callback must not stop the journal
            log.exception("journal writer: on_error failed while reporting %r", error)
