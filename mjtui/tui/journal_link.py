"""The dashboard's link to the journal: writes queued to the writer's thread, reads brought back as workers.

Nothing here waits on the disk in the UI: a write is submitted and forgotten (a failure is told in a toast),
a read (recently finished jobs, each pane's last 24 h) runs on the writer's thread and fills the dashboard in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mjtui.logs import log
from mjtui.store import Journal, JournalWriter, Outcome

if TYPE_CHECKING:
    from mjtui.api.models import Job
    from mjtui.monitor.snapshot import JobRow, Snapshot
    from mjtui.tui.app import MjtuiApp

RECENT_ON_START = 30
CHANNEL_HISTORY_EVERY = 60.0  # seconds between refreshes of the panes' 24 h counts
DAY = 24 * 3600.0


class JournalLink:
    """One app's journal: its writer thread, the final states waiting for the next poll, the dashboard's reads."""

    def __init__(self, app: MjtuiApp, journal: Journal) -> None:
        self.app = app
        self.journal = journal
        self.writer = JournalWriter(journal, on_error=self._failed, clock=app.clock)
        self._loop = asyncio.get_running_loop()  # for the writer thread (Textual's own _loop is private)
        self._finals: dict[str, list[tuple[str, Job | None]]] = {}  # journalled with the account's next poll

    def start(self) -> None:
        """Fill the dashboard from the journal (the finished list now, the panes' 24 h now and every minute)."""
        self.app.run_worker(self._load_recent(), exit_on_error=False, description="journal: recent")
        self.app.timers.every(CHANNEL_HISTORY_EVERY, self._load_channel_history)
        self._load_channel_history()

    def close(self) -> None:
        """Write what waits, then let the writer finish (at most a few seconds)."""
        now = self.app.clock.now()
        for account, finals in self._finals.items():
            if finals:
                self.writer.submit(self.journal.record_finals, account, finals, now)
        self._finals.clear()
        self.writer.close(timeout=5)

    def _failed(self, error: BaseException) -> None:
        """Called on the writer thread: the user hears of it, the monitor carries on."""
        log.error("journal write failed", exc_info=error)
        # Not call_from_thread: it waits for the UI, which may itself be waiting for the writer to close.
        self._loop.call_soon_threadsafe(lambda: self.app.notify(f"journal write failed: {error}", severity="error",
                                                                timeout=8))

    # -- writes ---------------------------------------------------------------------------------------

    def record(self, method: str, *args: object) -> None:
        """Queue a journal write; never waits, never raises into the UI."""
        self.writer.submit(getattr(self.journal, method), *args)

    def keep_finals(self, account: str, finals: list[tuple[str, Job | None]]) -> None:
        """Final states, journalled with the account's next poll (one transaction, not one per job)."""
        self._finals.setdefault(account, []).extend(finals)

    def waiting_finals(self) -> int:
        return sum(len(finals) for finals in self._finals.values())

    def record_snapshot(self, account: str, snapshot: Snapshot, now: float) -> None:
        """One poll's running list (every job on it) and the final states kept since the account's last poll."""
        rows = [row for rows in snapshot.jobs.values() for row in rows.values()]
        self.record("record_poll", account, rows, self._finals.pop(account, []), now)

    def record_running(self, account: str, job_id: str, job: Job) -> None:
        """A running job's detail (its prompt), so its row shows the prompt in this session and the next."""
        self.record("record_running", account, job_id, job, self.app.clock.now())

    def audit(self, account: str, action: str, target: str | None, outcome: Outcome, error: str | None) -> None:
        """What mjtui.actions did, into the journal's audit log (off the UI thread)."""
        self.record("record_action", account, action, target, outcome, error, self.app.clock.now())

    # -- reads ----------------------------------------------------------------------------------------

    async def _read(self, method: Callable[..., Any], *args: object) -> Any:
        """A journal read on the writer's thread; None when it failed (the writer reports it)."""
        try:
            return await asyncio.wrap_future(self.writer.submit(method, *args))
        except Exception:  # noqa: BLE001 - reported by the writer
            return None

    async def _load_recent(self) -> None:
        """Before the first poll answers: the journal's recently finished jobs."""
        entries = await self._read(self.journal.recent_finished, RECENT_ON_START)
        if entries:
            self.app.dashboard.show_recent(entries)

    def find_prompts(self, account: str, rows: Iterable[JobRow]) -> None:
        """Look up the prompts the journal knows of those running jobs that show none (inspected in an earlier
        session); the panes show them when found."""
        job_ids = [row.job_id for row in rows if not row.prompt]
        if job_ids:
            self.app.run_worker(self._prompts(account, job_ids), exit_on_error=False, description="journal: prompts")

    async def _prompts(self, account: str, job_ids: list[str]) -> None:
        found = await self._read(self.journal.prompts, account, job_ids)
        if found:
            self.app.dashboard.show_prompts(account, found)

    def _load_channel_history(self) -> None:
        self.app.run_worker(self._channel_history(), exit_on_error=False, description="journal: 24 h")

    async def _channel_history(self) -> None:
        """Each pane's last 24 h: completed / failed and mean run time, from the journal."""
        stats = await self._read(self.journal.all_channel_stats, self.app.clock.now() - DAY)
        if stats is not None:
            self.app.dashboard.show_channel_history(stats)
