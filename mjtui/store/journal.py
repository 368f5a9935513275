"""The journal: a SQLite file that remembers every job seen, every seed fetched and every action taken.

One connection, guarded by a lock, so the journal may be used from a writer
thread and read from another. WAL mode: a reader (``mjtui history`` in another
pane) never blocks the dashboard's writes, and a process killed mid-write
leaves every committed batch intact. Tokens are never stored: accounts are
recorded by the name the user gave them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Self, TypedDict, Unpack

import platformdirs

from mjtui.api.models import Job
from mjtui.clock import Clock, SystemClock, parse_iso
from mjtui.monitor.snapshot import JobRow
from mjtui.secrets import redact
from mjtui.store.entries import (
    OUTCOMES,
    ActionEntry,
    ChannelHistory,
    Claim,
    HistoryEntry,
    Holder,
    Outcome,
    Published,
    from_ms,
    to_ms,
)
from mjtui.store.schema import (
    SCHEMA_VERSION,
    NotAJournal,
    SchemaTooNew,
    check_readable,
    migrate,
    schema_version,
)

MEMORY = ":memory:"
DEFAULT_RETENTION_DAYS = 62.0
BUSY_TIMEOUT_MS = 5000  # another mjtui writing the same file makes us wait, not fail
DAY = 86400.0


class JournalError(Exception):
    """The journal cannot be opened or used; the message is one line, fit to print."""


class JournalMissing(JournalError):
    """Opened with ``create=False`` and there is no journal file yet."""


def default_journal_path(*, demo: bool = False) -> Path:
    """Where the journal lives: the user data dir; ``--demo`` keeps its own file beside it."""
    return platformdirs.user_data_path("mjtui") / ("demo-journal.sqlite3" if demo else "journal.sqlite3")


def start_afresh(path: Path) -> IO[str] | None:
    """Delete the journal at `path` (and its write-ahead log) unless another mjtui has claimed it,
    and claim it for this process: keep the returned file open while the journal is in use.

    For the demo, which starts a new simulated world each time whose job ids are the last one's
    (the same seed), so the last demo's records would only mislead. A second demo running beside
    the first shares its journal rather than deleting it under it. None: not deleted (claimed by
    another process, or no file locks here).
    """
    try:
        import fcntl
    except ImportError:  # no POSIX locks: keep the journal rather than risk another demo's
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        claim = open(f"{path}.lock", "a", encoding="utf-8")  # noqa: SIM115 - held for the run
    except OSError:
        return None
    try:
        fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        claim.close()
        return None
    for suffix in ("-wal", "-shm", ""):  # the log first: a log left beside a new file would be replayed into it
        try:
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        except OSError:
            break  # kept: opening it says what is wrong, if anything is
    return claim


_SEEN = """
INSERT INTO jobs (account, job_id, channel, job_type, created, first_seen, last_seen, listed) VALUES (?, ?, ?, ?, ?, ?, ?, 1)
ON CONFLICT (account, job_id) DO UPDATE SET
    channel = excluded.channel,
    job_type = COALESCE(excluded.job_type, jobs.job_type),
    created = COALESCE(excluded.created, jobs.created),
    last_seen = MAX(jobs.last_seen, excluded.last_seen),
    listed = 1
"""

# A job that left the list was last seen at the account's previous poll: that becomes its own last_seen.
_LEFT = """
UPDATE jobs SET listed = NULL, last_seen = MAX(last_seen, IFNULL(?, last_seen)) WHERE account = ? AND job_id = ? AND listed
"""

_POLLED = """
INSERT INTO polls (account, at) VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET at = MAX(polls.at, excluded.at)
"""

_FINAL = """
INSERT INTO jobs (account, job_id, channel, verb, prompt, created, first_seen, last_seen,
                  final_status, finished_at, run_seconds, record)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (account, job_id) DO UPDATE SET
    channel = COALESCE(excluded.channel, jobs.channel),
    verb = COALESCE(excluded.verb, jobs.verb),
    prompt = COALESCE(excluded.prompt, jobs.prompt),
    created = COALESCE(jobs.created, excluded.created),
    last_seen = MAX(jobs.last_seen, excluded.last_seen),
    final_status = COALESCE(excluded.final_status, jobs.final_status),
    finished_at = COALESCE(jobs.finished_at, excluded.finished_at),
    run_seconds = COALESCE(excluded.run_seconds, jobs.run_seconds),
    record = COALESCE(excluded.record, jobs.record)
"""

# Renewed by its holder; taken over by another, the lease starts with nothing published.
_CLAIM = """
INSERT INTO leases (account, owner, pid, host, process, expires) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (account) DO UPDATE SET
    at = CASE WHEN leases.owner = excluded.owner THEN leases.at END,
    snapshot = CASE WHEN leases.owner = excluded.owner THEN leases.snapshot END,
    error = CASE WHEN leases.owner = excluded.owner THEN leases.error END,
    owner = excluded.owner, pid = excluded.pid, host = excluded.host, process = excluded.process,
    expires = excluded.expires
"""

# A running job as the detail endpoint told it: its prompt and verb for its row, never a final state.
_RUNNING = """
INSERT INTO jobs (account, job_id, channel, verb, prompt, created, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (account, job_id) DO UPDATE SET
    channel = COALESCE(jobs.channel, excluded.channel),
    verb = COALESCE(excluded.verb, jobs.verb),
    prompt = COALESCE(excluded.prompt, jobs.prompt),
    created = COALESCE(jobs.created, excluded.created)
"""
PROMPTS_AT_ONCE = 500  # job ids per query: under SQLite's bound-parameter limit

# An entry's columns; {last_seen} is how the query knows it: a listed job was seen at its account's last poll.
_ENTRY_COLUMNS = """
SELECT j.account AS account, j.job_id AS job_id, j.channel, j.job_type, j.verb, j.prompt, j.created, j.first_seen,
{last_seen} AS seen, j.final_status, j.finished_at, j.run_seconds, j.record, s.value, s.images
"""
_WITH_SEED = "LEFT JOIN seeds AS s ON s.account = j.account AND s.job_id = j.job_id"
_ENTRY_SELECT = (_ENTRY_COLUMNS.format(last_seen="MAX(j.last_seen, IFNULL(p.at, 0))")
                 + f"FROM jobs AS j LEFT JOIN polls AS p ON j.listed AND p.account = j.account {_WITH_SEED}")
# history() reads the two apart, each in last-seen order from an index, so LIMIT stops early in a big file:
# the jobs on a running list (a few hundred), and every other job (by the jobs_last_seen index).
_HISTORY_HALVES = (
    ("MAX(j.last_seen, p.at)", f"FROM jobs AS j JOIN polls AS p ON p.account = j.account {_WITH_SEED} WHERE j.listed"),
    ("j.last_seen", f"FROM jobs AS j {_WITH_SEED} WHERE j.listed IS NULL"),
)


class HistoryFilters(TypedDict, total=False):
    """What narrows `Journal.history`: `since` (seconds since the epoch: last seen at or after it), `status`
    (a final status: "failed", "cancelled"), `channel`, `account`, and `search`: a substring of the prompt or
    of the job id, case-blind for ASCII. A filter left out, or None, narrows nothing."""

    since: float | None
    status: str | None
    channel: str | None
    account: str | None
    search: str | None


@dataclass(frozen=True, slots=True)
class _Listed:
    """An account's running list as the file holds it, as of the file's `version` (SQLite's data_version,
    which moves when another connection commits): what a poll compares with."""

    version: int
    jobs: dict[str, tuple[str | None, str | None, str | None]]  # job id -> (channel, job type, created) as stored


class Journal:
    """The job journal at `path` (``":memory:"`` for one that lives as long as the object).

    Opening creates the file (mode 0600, parent directory 0700) unless
    `create` is False, migrates it to the current schema, and deletes rows
    older than `retention_days`. Raises JournalError (JournalMissing when
    `create` is False and there is no file), never a raw sqlite3 error. Every
    method may be called from any thread.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        retention_days: float = DEFAULT_RETENTION_DAYS,
        clock: Clock | None = None,
        create: bool = True,
        readonly: bool = False,
    ) -> None:
        if retention_days <= 0:
            raise ValueError("retention_days must be positive")
        self.retention_days = retention_days
        self.clock: Clock = clock or SystemClock()
        self.path = MEMORY if str(path) == MEMORY else str(Path(path).expanduser())
        self._lock = threading.RLock()
        self._listed: dict[str, _Listed] = {}  # by account; only ever what a committed poll wrote
        self.warnings: list[str] = []  # what a reader should be told about what it reads (see _open_to_read)
        if self.path != MEMORY:
            _prepare_file(Path(self.path), create and not readonly)
        if readonly and self.path != MEMORY and self._open_to_read():
            return
        try:
            self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path}: cannot open ({exc})") from None
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            migrate(self._conn)
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable on commit against a crash of mjtui
            self.cleanup(self.clock.now())
        except JournalError:
            self._conn.close()
            raise
        except (sqlite3.Error, SchemaTooNew, NotAJournal) as exc:
            self._conn.close()
            raise JournalError(f"journal {self.path}: {_describe(exc)}") from None

    def _open_to_read(self) -> bool:
        """Open the file for reading only (history, export: a journal on a read-only mount, or another user's).

        False when it needs bringing up to date and can be written: then it is opened as usual, which migrates it.
        """
        path = Path(self.path).resolve()
        wal, index = Path(f"{path}-wal"), Path(f"{path}-shm")
        # SQLite reads a WAL only through its index (-shm), which it must be able to create or find.
        mode = "ro" if os.access(path.parent, os.W_OK) or index.exists() else "ro&immutable=1"
        if mode != "ro" and wal.exists() and wal.stat().st_size:
            self.warnings.append(f"journal {self.path}: its latest writes (in {wal.name}) cannot be read here, "
                                 "so the newest jobs may be missing")
        try:
            self._conn = sqlite3.connect(f"{path.as_uri()}?mode={mode}", uri=True, isolation_level=None,
                                         check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path}: cannot open to read ({exc})") from None
        try:
            version = check_readable(self._conn)
        except (sqlite3.Error, SchemaTooNew, NotAJournal) as exc:
            self._conn.close()
            raise JournalError(f"journal {self.path}: {_describe(exc)}") from None
        if version == SCHEMA_VERSION:
            return True
        self._conn.close()
        if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
            return False
        raise JournalError(f"journal {self.path}: written by an older mjtui and read-only here; "
                           "open it once where it can be written to bring it up to date")

    # -- lifecycle -----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the file; the WAL is checkpointed into it."""
        with self._lock:
            with suppress(sqlite3.Error):  # only a planner hint; closing matters more
                self._conn.execute("PRAGMA optimize")
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        """The file's schema version."""
        with self._use() as conn:
            return schema_version(conn)

    @contextmanager
    def _use(self) -> Iterator[sqlite3.Connection]:
        """The connection, to this thread alone; a SQLite failure comes out as a JournalError."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise JournalError(f"journal {self.path}: {_describe(exc)}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._use() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # a COMMIT that failed (disk full) leaves it open: the next BEGIN would fail
                    conn.execute("ROLLBACK")
                raise

    # -- writes ----------------------------------------------------------------------------------------

    def record_poll(self, account: str, rows: Iterable[JobRow], finals: Iterable[tuple[str, Job | None]], at: float) -> None:
        """Record one poll of `account` in one transaction: its running list (`rows`, every job on it), and final states.

        Every job on the list is last seen at `at`; one seen before keeps its
        first_seen, and one that left keeps the last poll it was on. Only the
        jobs that came, went or changed (channel, type, created) are written:
        the rest are seen through the account's poll time, so a poll costs
        what changed, not how many jobs run. Each final is (job id, the job's
        record, or None when it could not be fetched); see `record_finals`.
        The iterables are consumed inside the transaction.
        """
        at_ms = to_ms(at)
        with self._lock:  # the list kept in memory changes with the file, and only when the poll commits
            with self._transaction() as conn:
                found = conn.execute("SELECT at FROM polls WHERE account = ?", (account,)).fetchone()
                polled = None if found is None else int(found[0])
                # Another mjtui may have written since (its clock need not agree with ours, so not the poll time).
                version = conn.execute("PRAGMA data_version").fetchone()[0]
                before = self._listed.get(account)
                if before is None or before.version != version:  # this Journal's first poll of it, or another wrote
                    before = _Listed(version, _read_listed(conn, account))
                after: dict[str, tuple[str | None, str | None, str | None]] = {}
                conn.executemany(_SEEN, _new_or_changed(account, rows, before.jobs, after, at_ms))
                conn.executemany(_LEFT, ((polled, account, job_id) for job_id in before.jobs.keys() - after.keys()))
                conn.executemany(_FINAL, (_final_params(account, job_id, job, at_ms) for job_id, job in finals))
                conn.execute(_POLLED, (account, at_ms))
            self._listed[account] = _Listed(version, after)  # our own commit leaves data_version as it was

    def record_finals(self, account: str, finals: Iterable[tuple[str, Job | None]], at: float) -> None:
        """Record final states alone (fetched since the last poll, as the dashboard exits); the running list stays as recorded.

        Each final is (job id, the job's record, or None when it could not be
        fetched); a record fetched again later (the inspector refreshing a
        finished job) updates it but keeps its finished_at.
        """
        at_ms = to_ms(at)
        with self._transaction() as conn:
            conn.executemany(_FINAL, (_final_params(account, job_id, job, at_ms) for job_id, job in finals))

    def record_running(self, account: str, job_id: str, job: Job, at: float) -> None:
        """Record what the detail endpoint said of a running job (its prompt, verb, channel); its final state is left
        unknown, so the history still reads it as running."""
        at_ms = to_ms(at)
        with self._transaction() as conn:
            conn.execute(_RUNNING, (account, job_id, job.channel, job.verb, job.prompt, job.created, at_ms, at_ms))

    def record_seed(self, account: str, job_id: str, value: int, image_urls: Sequence[str], at: float) -> None:
        """Record the seed of `job_id` (the job it belongs to, not the seed job) and its image URLs."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO seeds (account, job_id, value, images, fetched_at) VALUES (?, ?, ?, ?, ?)",
                (account, job_id, value, json.dumps(list(image_urls)), to_ms(at)),
            )

    def record_action(self, account: str, action: str, target: str | None, outcome: Outcome, error: str | None, at: float) -> int:
        """Add to the audit log what mjtui did to `account` (e.g. "cancel", "relax", "seed", "reset")
        and how it went: 'ok', 'failed' (with the API's error text) or 'unknown' (no answer). Returns its id."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO actions (at, account, action, target, outcome, error) VALUES (?, ?, ?, ?, ?, ?)",
                (to_ms(at), account, action, target, outcome, None if error is None else redact(error)),
            )
            return int(cursor.lastrowid or 0)

    # -- leases: one process polls an account per journal ------------------------------------------------

    def claim(self, account: str, claimant: Holder, now: float, gone: Callable[[Holder], bool]) -> Claim:
        """Take or renew the lease on polling `account` until `claimant.expires`, and say whether another process
        wants what the claimant publishes.

        Another holder keeps it (and is returned) until its lease expires or `gone(holder)` says its process ended.
        A new holder starts with nothing published. The claimant's own lease is renewed once half of it is used,
        so a quiet account costs no write per poll.
        """
        with self._transaction() as conn:
            row = conn.execute("SELECT owner, pid, host, process, expires, wanted FROM leases WHERE account = ?",
                               (account,)).fetchone()
            wanted = row is not None and (from_ms(row[5]) or 0.0) > now
            if row is not None and row[0] != claimant.owner:
                holder = Holder(row[0], row[1], row[2], row[3], row[4] / 1000)
                if holder.expires > now and not gone(holder):
                    return Claim(holder)
            elif row is not None and row[4] / 1000 - now > (claimant.expires - now) / 2:
                return Claim(None, wanted)
            conn.execute(_CLAIM, (account, claimant.owner, claimant.pid, claimant.host, claimant.process,
                                  to_ms(claimant.expires)))
        return Claim(None, wanted)

    def publish(self, account: str, owner: str, at: float, snapshot: str | None, error: str | None) -> None:
        """The holder's latest poll of `account`: what it saw (JSON), or why it failed; nothing if `owner` lost it."""
        with self._transaction() as conn:
            conn.execute("UPDATE leases SET at = ?, snapshot = ?, error = ? WHERE account = ? AND owner = ?",
                         (to_ms(at), snapshot, None if error is None else redact(error), account, owner))

    def published(self, account: str) -> Published | None:
        """What the holder of `account`'s lease last published (None: no holder)."""
        with self._use() as conn:
            row = conn.execute("SELECT owner, pid, host, process, expires, at, snapshot, error FROM leases"
                               " WHERE account = ?", (account,)).fetchone()
        if row is None:
            return None
        return Published(Holder(row[0], row[1], row[2], row[3], row[4] / 1000), from_ms(row[5]), row[6], row[7])

    def follow(self, account: str, now: float, until: float) -> Published | None:
        """What the holder of `account`'s lease last published, with word to the holder to go on publishing until
        `until` (renewed once half of that is used). A publication made before anyone wanted it is dropped: it is
        old news, and the holder publishes again at its next poll."""
        with self._transaction() as conn:
            row = conn.execute("SELECT wanted FROM leases WHERE account = ?", (account,)).fetchone()
            if row is None:
                return None
            wanted = from_ms(row[0]) or 0.0
            if wanted <= now:
                conn.execute("UPDATE leases SET wanted = ?, at = NULL, snapshot = NULL, error = NULL WHERE account = ?",
                             (to_ms(until), account))
            elif wanted - now < (until - now) / 2:
                conn.execute("UPDATE leases SET wanted = ? WHERE account = ?", (to_ms(until), account))
            return self.published(account)

    def release(self, owner: str) -> None:
        """Give up every lease `owner` holds (its process is ending): another mjtui polls them from its next poll."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM leases WHERE owner = ?", (owner,))

    def checkpoint(self) -> None:
        """Copy what the WAL holds into the database file, waiting for no reader (a PASSIVE checkpoint).

        A commit does this itself once the WAL passes 1000 pages, and the write
        that crosses the line pays for it; the writer thread calls this when it
        has nothing queued, so a poll's write seldom has to.
        """
        with self._use() as conn:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def cleanup(self, now: float, retention_days: float | None = None) -> int:
        """Delete jobs, seeds and actions older than the retention (jobs by when last seen); return how many rows.

        Freed pages go back to the file system, so the file stays bounded.
        """
        days = self.retention_days if retention_days is None else retention_days
        cutoff = to_ms(now - days * DAY)
        with self._transaction() as conn:
            deleted = sum(
                conn.execute(sql, (cutoff,)).rowcount
                for sql in (
                    # A listed job's own last_seen is when it was last written; it was seen at its account's last poll.
                    "DELETE FROM jobs WHERE last_seen < ?1 AND (listed IS NULL OR NOT EXISTS"
                    " (SELECT 1 FROM polls AS p WHERE p.account = jobs.account AND p.at >= ?1))",
                    "DELETE FROM seeds WHERE fetched_at < ?",
                    "DELETE FROM actions WHERE at < ?",
                )
            )
            # Bookkeeping, not counted; kept while a listed job (one with a later final of its own) is left.
            conn.execute("DELETE FROM polls WHERE at < ? AND NOT EXISTS"
                         " (SELECT 1 FROM jobs AS j WHERE j.account = polls.account AND j.listed)", (cutoff,))
            self._listed.clear()  # a listed job may have gone: the next poll of each account reads its list again
        if deleted:
            with self._use() as conn:
                conn.executescript("PRAGMA incremental_vacuum;")  # execute() would free one page: it steps once
        return deleted

    # -- reads -----------------------------------------------------------------------------------------

    def history(self, *, limit: int | None = 500, offset: int = 0, **filters: Unpack[HistoryFilters]) -> list[HistoryEntry]:
        """Jobs last seen at or after `since`, newest first (last seen, then started), narrowed by every filter given
        (see `HistoryFilters`). `limit` None: all; `offset` skips that many (the next page)."""
        sql, params = _history_query(filters)
        # Seen at one poll: the running first, newest started first, then the finished, the last to finish first (the
        # order of the "when" the history shows)
        sql += (" ORDER BY seen DESC, finished_at DESC NULLS FIRST, created DESC, first_seen DESC,"
                " account, job_id")
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return self._entries(sql, params)

    def history_count(self, **filters: Unpack[HistoryFilters]) -> int:
        """How many jobs `history` with these filters and no limit would give."""
        sql, params = _history_query(filters)
        with self._use() as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()[0])

    def channels(self) -> list[tuple[str, str]]:
        """Every (account, channel) the journal has a job of, in that order."""
        with self._use() as conn:
            rows = conn.execute("SELECT DISTINCT account, channel FROM jobs WHERE channel IS NOT NULL"
                                " ORDER BY account, channel").fetchall()
        return [(account, channel) for account, channel in rows]

    def recent_finished(self, limit: int = 20, *, account: str | None = None) -> list[HistoryEntry]:
        """The jobs that finished last, newest first: what the dashboard's recently-finished list starts with."""
        sql = f"{_ENTRY_SELECT} WHERE j.finished_at IS NOT NULL"
        params: list[Any] = []
        if account is not None:
            sql += " AND j.account = ?"
            params.append(account)
        sql += " ORDER BY j.finished_at DESC, j.job_id LIMIT ?"
        params.append(limit)
        return self._entries(sql, params)

    def entry(self, account: str, job_id: str) -> HistoryEntry | None:
        """One job, for opening it in the inspector without a network call."""
        found = self._entries(f"{_ENTRY_SELECT} WHERE j.account = ? AND j.job_id = ?", [account, job_id])
        return found[0] if found else None

    def prompts(self, account: str, job_ids: Iterable[str]) -> dict[str, str]:
        """The prompts known of these jobs (from a detail fetch or a final state), by job id; unknown ones are left out."""
        ids = list(dict.fromkeys(job_ids))
        found: dict[str, str] = {}
        with self._use() as conn:
            for start in range(0, len(ids), PROMPTS_AT_ONCE):
                chunk = ids[start:start + PROMPTS_AT_ONCE]
                marks = ", ".join("?" * len(chunk))
                rows = conn.execute(f"SELECT job_id, prompt FROM jobs WHERE account = ? AND prompt IS NOT NULL "
                                    f"AND job_id IN ({marks})", [account, *chunk])
                found.update(rows.fetchall())
        return found

    def channel_stats(self, account: str, channel: str, since: float) -> ChannelHistory:
        """Completed and failed counts, and the mean run time of completed jobs, finished since `since`."""
        return self.all_channel_stats(since, account=account, channel=channel).get(
            (account, channel), ChannelHistory(0, 0, None)
        )

    def all_channel_stats(
        self, since: float, *, account: str | None = None, channel: str | None = None
    ) -> dict[tuple[str, str], ChannelHistory]:
        """`channel_stats` of every channel with a job finished since `since`, in one query, by (account, channel)."""
        sql = """
            SELECT account, channel,
                   SUM(final_status = 'completed'),
                   SUM(final_status IS NOT NULL AND final_status != 'completed'),
                   AVG(CASE WHEN final_status = 'completed' THEN run_seconds END)
            FROM jobs WHERE finished_at >= ? AND channel IS NOT NULL
        """
        params: list[Any] = [to_ms(since)]
        if account is not None:
            sql += " AND account = ?"
            params.append(account)
        if channel is not None:
            sql += " AND channel = ?"
            params.append(channel)
        sql += " GROUP BY account, channel"
        with self._use() as conn:
            rows = conn.execute(sql, params).fetchall()
        return {(acc, chan): ChannelHistory(int(done or 0), int(bad or 0), mean) for acc, chan, done, bad, mean in rows}

    def actions(self, *, since: float | None = None, limit: int | None = 500) -> list[ActionEntry]:
        """The audit log, newest first."""
        sql = "SELECT id, at, account, action, target, outcome, error FROM actions"
        params: list[Any] = []
        if since is not None:
            sql += " WHERE at >= ?"
            params.append(to_ms(since))
        sql += " ORDER BY at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._use() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [ActionEntry(id_, at / 1000, account, action, target, outcome, error)
                for id_, at, account, action, target, outcome, error in rows]

    def _entries(self, sql: str, params: Sequence[Any]) -> list[HistoryEntry]:
        with self._use() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [_entry(row) for row in rows]


def _prepare_file(path: Path, create: bool) -> None:
    if path.is_dir():
        raise JournalError(f"journal {path}: is a directory, not a journal file")
    if path.exists():
        return
    if not create:
        raise JournalMissing(f"journal {path}: no journal yet")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Prompts and the audit log are the user's own business: owner-only, like the config.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError as exc:
        raise JournalError(f"journal {path}: cannot create ({exc.strerror or exc})") from None


def _describe(exc: BaseException) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return f"not a journal, or damaged ({text}); move it aside and mjtui starts a new one"
    return text


def _read_listed(conn: sqlite3.Connection, account: str) -> dict[str, tuple[str | None, str | None, str | None]]:
    rows = conn.execute("SELECT job_id, channel, job_type, created FROM jobs WHERE account = ? AND listed", (account,))
    return {job_id: (channel, job_type, created) for job_id, channel, job_type, created in rows}


def _new_or_changed(
    account: str, rows: Iterable[JobRow], before: dict[str, tuple[str | None, str | None, str | None]],
    after: dict[str, tuple[str | None, str | None, str | None]], at_ms: int,
) -> Iterator[tuple[Any, ...]]:
    """`_SEEN`'s parameters for each row not listed as it is in `before`; every row goes into `after` as it is read."""
    for row in rows:
        listing = (row.channel, _known(row.job_type), row.created or None)
        after[row.job_id] = listing
        if before.get(row.job_id) != listing:
            yield (account, row.job_id, *listing, at_ms, at_ms)


def _known(value: str | None) -> str | None:
    return None if not value or value == "?" else value  # "?" is how the running list shows a missing value


def _final_params(account: str, job_id: str, job: Job | None, at_ms: int) -> tuple[Any, ...]:
    if job is None:
        return (account, job_id, None, None, None, None, at_ms, at_ms, None, at_ms, None, None)
    record = job.dump_json()
    return (account, job_id, job.channel, job.verb, job.prompt, job.created, at_ms, at_ms,
            job.outcome, at_ms, run_seconds(job), record)


def run_seconds(job: Job) -> float | None:
    created, updated = parse_iso(job.created), parse_iso(job.updated)
    if created is None or updated is None or updated < created:
        return None
    return round((updated - created).total_seconds(), 3)


def _entry(row: tuple[Any, ...]) -> HistoryEntry:
    (account, job_id, channel, job_type, verb, prompt, created, first_seen, last_seen,
     final_status, finished_at, run_seconds, record, seed, images) = row
    return HistoryEntry(
        account=account, job_id=job_id, channel=channel, job_type=job_type, verb=verb, prompt=prompt,
        created=created, first_seen=first_seen / 1000, last_seen=last_seen / 1000, final_status=final_status,
        finished_at=from_ms(finished_at), run_seconds=run_seconds, record=_json_object(record),
        seed=seed, seed_images=tuple(json.loads(images)) if images else (),
    )


def _history_query(filters: HistoryFilters) -> tuple[str, list[Any]]:
    """The history's matching jobs as one SELECT (both halves, see _HISTORY_HALVES), unordered, and its parameters."""
    where: list[str] = []
    params: list[Any] = []
    for column, key in (("j.final_status", "status"), ("j.channel", "channel"), ("j.account", "account")):
        value = filters.get(key)
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    since, search = filters.get("since"), filters.get("search")
    if search:
        where.append("(j.prompt LIKE ? ESCAPE '\\' OR j.job_id LIKE ? ESCAPE '\\')")
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        params += [pattern, pattern]
    halves: list[str] = []
    half_params: list[Any] = []
    for last_seen, source in _HISTORY_HALVES:
        conditions = [*where, *([f"{last_seen} >= ?"] if since is not None else [])]
        halves.append(_ENTRY_COLUMNS.format(last_seen=last_seen) + source + "".join(f" AND {c}" for c in conditions))
        half_params += [*params, *([to_ms(since)] if since is not None else [])]
    return " UNION ALL ".join(halves), half_params


def _json_object(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
