"""The job journal as the dashboard and a user rely on it: it survives a kill, migrates, forgets on schedule,
finds what is asked for, exports faithfully, and never makes the UI wait or lose an error.

Time is a ManualClock's or a fixed instant; nothing sleeps.
"""

from __future__ import annotations

import csv
import io
import json
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from mjtui.api.models import Job
from mjtui.clock import ManualClock
from mjtui.monitor.snapshot import JobRow
from mjtui.store import (
    SCHEMA_VERSION,
    ChannelHistory,
    HistoryEntry,
    Journal,
    JournalError,
    JournalMissing,
    JournalWriter,
    export,
    read_export,
    schema,
)
from mjtui.store.export import FIELDS
from mjtui.store.schema import migrate

ROOT = Path(__file__).resolve().parent.parent
T0 = ManualClock().now()  # 2026-11-24 12:00 UTC
DAY = 86400.0
CREATED = "2026-11-24T11:58:00.000Z"


def row(job_id: str, channel: str = "c1", job_type: str = "image") -> JobRow:
    return JobRow(job_id, channel, job_type, CREATED, 30, T0)


def final(job_id: str, status: str = "completed", *, channel: str = "c1", prompt: str | None = "a cat",
          run: float = 62.5, **extra: object) -> Job:
    """A final v2 record as the API sends it: `run` seconds from created to updated."""
    updated = f"2026-11-24T11:{58 + int(run) // 60:02d}:{int(run) % 60:02d}.{round(run % 1 * 1000):03d}Z"
    return Job.model_validate({
        "jobid": job_id, "verb": "imagine", "status": status, "channel": channel, "prompt": prompt,
        "created": CREATED, "updated": updated, **extra,
    })


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def journal(clock: ManualClock) -> Iterator[Journal]:
    with Journal(":memory:", clock=clock) as opened:
        yield opened


def ids(entries: list[HistoryEntry]) -> list[str]:
    return [entry.job_id for entry in entries]


# -- crash safety -------------------------------------------------------------------------------------

WRITER_SCRIPT = """
import itertools, sys
from mjtui.api.models import Job
from mjtui.clock import ManualClock
from mjtui.monitor.snapshot import JobRow
from mjtui.store import Journal

path, mode, t0 = sys.argv[1], sys.argv[2], float(sys.argv[3])
ROWS, HELD_BATCH, HELD_ROWS, HOLD_AT = 200, 4, 60000, 50000

def rows(n, count):
    for i in range(count):
        if mode == "held" and n == HELD_BATCH and i == HOLD_AT:
            print(f"inside {n}", flush=True)
            sys.stdin.read()  # the transaction stays open, most rows written, until the test kills us
        yield JobRow(f"b{n}-{i}", f"c{i % 3}", "image", "", None, 0.0)

journal = Journal(path, clock=ManualClock(t0))
for n in itertools.count():
    count = HELD_ROWS if mode == "held" and n == HELD_BATCH else ROWS
    done = Job(jobid=f"b{n}-0", status="completed", prompt=f"batch {n}")
    journal.record_poll("main", rows(n, count), [(f"b{n}-0", done)], t0 + n)
    print(f"committed {n}", flush=True)
"""


@pytest.mark.parametrize("mode", ["held", "free"], ids=["killed-inside-a-batch", "killed-while-writing-freely"])
def test_sigkill_mid_batch_keeps_every_committed_batch_intact(tmp_path: Path, mode: str) -> None:
    path, script = tmp_path / "journal.sqlite3", tmp_path / "writer.py"
    script.write_text(WRITER_SCRIPT, encoding="utf-8")
    committed: list[int] = []
    inside: int | None = None
    with subprocess.Popen([sys.executable, str(script), str(path), mode, str(T0)], cwd=ROOT, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        watchdog = threading.Timer(60, process.kill)  # a hung writer fails the test instead of hanging it
        watchdog.start()
        try:
            for line in process.stdout:  # type: ignore[union-attr]
                word, number = line.split()
                if word == "committed":
                    committed.append(int(number))
                else:
                    inside = int(number)
                if inside is not None or (mode == "free" and len(committed) >= 5):
                    break
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            watchdog.cancel()
        errors = process.stderr.read()  # type: ignore[union-attr]
    assert process.returncode == -signal.SIGKILL, errors
    assert len(committed) >= 3
    if mode == "held":
        assert inside == committed[-1] + 1

    with Journal(path, clock=ManualClock(T0 + 1000)) as reopened:
        entries = reopened.history(limit=None)
        assert reopened.version == SCHEMA_VERSION
    batches: dict[int, list[HistoryEntry]] = {}
    for entry in entries:
        batches.setdefault(int(entry.job_id[1:].split("-")[0]), []).append(entry)
    for n in committed:
        assert len(batches[n]) == 200, f"committed batch {n} lost rows"
        done = next(entry for entry in batches[n] if entry.job_id == f"b{n}-0")
        assert (done.final_status, done.prompt, done.last_seen) == ("completed", f"batch {n}", T0 + n)
    for n, found in batches.items():
        assert len(found) == 200, f"batch {n} is half there: {len(found)} rows"  # all or nothing
    if mode == "held":
        assert inside not in batches, "the batch killed before its commit left rows behind"
    with closing(sqlite3.connect(path)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


# -- opening ------------------------------------------------------------------------------------------


def test_a_new_journal_is_private_in_a_private_directory(tmp_path: Path) -> None:
    path = tmp_path / "data" / "mjtui" / "journal.sqlite3"
    with Journal(path) as journal:
        journal.record_poll("main", [row("j1")], [], T0)
        assert path.with_name("journal.sqlite3-wal").exists()  # WAL mode: a reader in another pane never blocks
        assert journal.version == SCHEMA_VERSION
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_history_in_another_process_sees_what_the_dashboard_wrote(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path, clock=ManualClock(T0)) as dashboard:
        dashboard.record_poll("main", [row("j1")], [], T0)
        with Journal(path, clock=ManualClock(T0), create=False) as reader:  # `mjtui history` in another pane
            assert ids(reader.history()) == ["j1"]
            dashboard.record_poll("main", [row("j2")], [("j1", final("j1"))], T0 + 10)
            assert sorted(ids(reader.history())) == ["j1", "j2"] and reader.entry("main", "j1").final_status == "completed"


def test_memory_journal_keeps_nothing_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock) -> None:
    monkeypatch.chdir(tmp_path)
    with Journal(":memory:", clock=clock) as first, Journal(":memory:", clock=clock) as second:
        first.record_poll("main", [row("j1")], [("j1", final("j1"))], T0)
        assert ids(first.history()) == ["j1"] and first.history()[0].job().status == "completed"
        assert second.history() == []
    assert list(tmp_path.iterdir()) == []


def test_unusable_journals_are_one_line_errors_and_are_left_alone(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="is a directory"):
        Journal(tmp_path)

    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not SQLite at all " * 200)
    with pytest.raises(JournalError, match="not a journal, or damaged") as raised:
        Journal(corrupt)
    assert "\n" not in str(raised.value)
    assert corrupt.read_bytes() == b"this is not SQLite at all " * 200

    other = tmp_path / "other-app.db"
    with closing(sqlite3.connect(other, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(JournalError, match="not an mjtui journal"):
        Journal(other)
    with closing(sqlite3.connect(other)) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]

    newer = tmp_path / "newer.sqlite3"
    Journal(newer).close()
    with closing(sqlite3.connect(newer, isolation_level=None)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(JournalError, match="newer than this mjtui knows"):
        Journal(newer)

    missing = tmp_path / "missing.sqlite3"
    with pytest.raises(JournalMissing):
        Journal(missing, create=False)
    assert not missing.exists()


# -- migrations ---------------------------------------------------------------------------------------


def test_a_v3_journal_reads_its_cancelled_jobs_as_cancelled_and_keeps_the_rest(tmp_path: Path, clock: ManualClock) -> None:
    """Before v4 a cancel was stored as the API reports it: failed, with "Job cancelled by user"."""
    path = tmp_path / "journal.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=3) == 3
    for job_id, error in (("j-cancel", " Job cancelled by user"), ("j-fail", "Job failed"), ("j-garbled", None)):
        record = final(job_id, "failed", **({"error": error} if error else {})).dump_json()
        conn.execute("INSERT INTO jobs (account, job_id, channel, first_seen, last_seen, final_status, finished_at, record)"
                     " VALUES ('main', ?, 'c1', ?, ?, 'failed', ?, ?)",
                     (job_id, round(T0 * 1000), round(T0 * 1000), round(T0 * 1000),
                      record if error else "{not json"))
    conn.close()
    with Journal(path, clock=clock) as journal:
        assert ids(journal.history(status="cancelled")) == ["j-cancel"]
        assert sorted(ids(journal.history(status="failed"))) == ["j-fail", "j-garbled"]
        assert journal.entry("main", "j-cancel").job().error == " Job cancelled by user", "the record is kept as sent"


def test_a_cancelled_job_is_stored_as_cancelled(journal: Journal) -> None:
    journal.record_poll("main", [row("j1"), row("j2")], [], T0)
    journal.record_poll("main", [], [("j1", final("j1", "failed", error="Job cancelled by user")),
                                     ("j2", final("j2", "failed", error="Job failed"))], T0 + 10)
    assert [(e.job_id, e.final_status) for e in journal.history()] == [("j1", "cancelled"), ("j2", "failed")]
    assert journal.history_count(status="cancelled") == 1


def test_history_search_finds_a_job_by_its_id_and_pages_and_counts(journal: Journal) -> None:
    finals = [(f"j{n:03d}-u52649", final(f"j{n:03d}-u52649", prompt=f"cat {n}", channel=f"c{n % 2}")) for n in range(7)]
    journal.record_poll("main", [], finals, T0)
    assert ids(journal.history(search="j004")) == ["j004-u52649"], "the id, or any part of it"
    assert ids(journal.history(search="CAT 5")) == ["j005-u52649"], "the prompt, as before"
    first, rest = journal.history(limit=5), journal.history(limit=5, offset=5)
    assert len(first) == 5 and len(rest) == 2 and set(ids(first)).isdisjoint(ids(rest))
    assert journal.history_count() == 7 and journal.history_count(channel="c1") == 3
    assert journal.channels() == [("main", "c0"), ("main", "c1")]


def test_a_v1_journal_is_migrated_and_keeps_its_jobs_seeds_and_actions(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "journal.sqlite3"
    record = final("j-old", prompt="an old lighthouse at dusk", run=90.0, futureField={"kept": True}).dump()
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=1) == 1
    conn.execute(
        "INSERT INTO jobs (account, job_id, channel, job_type, created, first_seen, last_seen, final_status, finished_at, record)"
        " VALUES ('main', 'j-old', 'c1', 'image', ?, ?, ?, 'completed', ?, ?)",
        (CREATED, round((T0 - 300) * 1000), round((T0 - 100) * 1000), round((T0 - 100) * 1000), json.dumps(record)),
    )
    conn.execute("INSERT INTO jobs (account, job_id, channel, job_type, first_seen, last_seen)"
                 " VALUES ('main', 'j-run', 'c1', 'video', ?, ?)",
                 (round(T0 * 1000), round(T0 * 1000)))
    conn.execute("INSERT INTO seeds (account, job_id, value, images, fetched_at) VALUES ('main', 'j-old', 42, '[\"u1\"]', ?)",
                 (round((T0 - 50) * 1000),))
    conn.execute("INSERT INTO actions (at, account, action, target, outcome, error)"
                 " VALUES (?, 'main', 'cancel', 'j-x', 'failed', '409 not running')",
                 (round((T0 - 10) * 1000),))
    conn.close()

    with Journal(path, clock=clock) as journal:
        assert journal.version == SCHEMA_VERSION == 5
        found = journal.history(search="LIGHTHOUSE")  # v2's prompt column, filled from the v1 record
        assert ids(found) == ["j-old"]
        old = found[0]
        assert (old.verb, old.run_seconds, old.seed, old.seed_images) == ("imagine", 90.0, 42, ("u1",))
        assert old.job() is not None and old.job().model_extra == {"futureField": {"kept": True}}
        assert journal.channel_stats("main", "c1", T0 - DAY) == ChannelHistory(1, 0, 90.0)
        assert [(a.action, a.target, a.outcome, a.error) for a in journal.actions()] == [
            ("cancel", "j-x", "failed", "409 not running")]
        assert ids(journal.history()) == ["j-run", "j-old"]
        journal.record_poll("main", [row("j-new")], [], T0 + 10)  # and it takes v2 writes
        assert ids(journal.history(limit=1)) == ["j-new"]


def test_a_v2_journal_is_migrated_and_a_job_running_at_its_last_poll_keeps_that_last_seen(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=2) == 2
    # all three running at the old mjtui's last poll
    for job_id, first_seen, last_seen in (("j-gone", T0 - 200, T0 - 100), ("j-still", T0 - 200, T0 - 100),
                                          ("j-old", T0 - 63 * DAY, T0 - 63 * DAY)):
        conn.execute("INSERT INTO jobs (account, job_id, channel, job_type, first_seen, last_seen)"
                     " VALUES ('main', ?, 'c1', 'image', ?, ?)",
                     (job_id, round(first_seen * 1000), round(last_seen * 1000)))
    conn.close()

    with Journal(path, clock=ManualClock(T0)) as journal:  # opening cleans up too: j-old is past the retention
        assert journal.version == SCHEMA_VERSION == 5
        assert sorted(ids(journal.history())) == ["j-gone", "j-still"]
        journal.record_poll("main", [row("j-still"), row("j-new")], [], T0 + 10)  # the new mjtui's first poll
        journal.record_poll("main", [row("j-still"), row("j-new")], [], T0 + 20)
        seen = {entry.job_id: (entry.first_seen, entry.last_seen) for entry in journal.history()}
    assert seen == {"j-still": (T0 - 200, T0 + 20), "j-new": (T0 + 10, T0 + 20), "j-gone": (T0 - 200, T0 - 100)}


def test_a_migration_that_fails_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "journal.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        migrate(conn, target=1)
        conn.execute("INSERT INTO jobs (account, job_id, first_seen, last_seen) VALUES ('main', 'j1', ?, ?)",
                     (round(T0 * 1000),) * 2)
    monkeypatch.setattr(schema, "MIGRATIONS", (schema.V1, schema.V2 + "\nSELECT no_such_function();\n"))
    with pytest.raises(JournalError, match="no_such_function"):
        Journal(path, clock=ManualClock(T0))
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
        assert "prompt" not in {column[1] for column in conn.execute("PRAGMA table_info(jobs)")}
    monkeypatch.undo()
    with Journal(path, clock=ManualClock(T0)) as journal:
        assert journal.version == SCHEMA_VERSION and ids(journal.history()) == ["j1"]


# -- recording ----------------------------------------------------------------------------------------


def test_a_poll_keeps_first_seen_and_a_final_record_keeps_unknown_fields(journal: Journal) -> None:
    journal.record_poll("main", [row("j1"), row("j2", "c2", "video")], [], T0)
    journal.record_poll("main", [row("j1"), row("j2", "c2", "video")], [], T0 + 10)
    journal.record_poll("main", [row("j2", "c2", "video")], [("j1", final("j1", parentJobId="p1", brandNew=[1, 2]))], T0 + 20)
    stored = journal.entry("main", "j1")
    assert stored.record["parentJobId"] == "p1" and stored.job().parent_job_id == "p1"
    assert stored.job().model_extra == {"brandNew": [1, 2]}
    journal.record_poll("main", [], [("j1", final("j1", "completed", prompt="a cat, refreshed"))], T0 + 500)  # inspector refresh

    j1 = journal.entry("main", "j1")
    assert j1 is not None
    assert (j1.first_seen, j1.last_seen, j1.finished_at) == (T0, T0 + 500, T0 + 20)
    assert (j1.final_status, j1.prompt, j1.run_seconds, j1.job_type) == ("completed", "a cat, refreshed", 62.5, "image")
    j2 = journal.entry("main", "j2")
    assert (j2.first_seen, j2.last_seen, j2.finished_at, j2.final_status, j2.job_type) == (T0, T0 + 20, None, None, "video")


def test_a_final_that_could_not_be_fetched_marks_the_job_gone_without_erasing_a_record(journal: Journal) -> None:
    journal.record_poll("main", [row("j1"), row("j2")], [], T0)
    journal.record_poll("main", [], [("j1", None), ("j2", final("j2", "failed", error="Job cancelled by user"))], T0 + 10)
    journal.record_poll("main", [], [("j2", None)], T0 + 20)
    gone, cancelled = journal.entry("main", "j1"), journal.entry("main", "j2")
    assert (gone.finished_at, gone.final_status, gone.job()) == (T0 + 10, None, None)
    assert cancelled.final_status == "cancelled" and cancelled.job().error == "Job cancelled by user"


def written(journal: Journal) -> int:
    """Rows inserted, updated or deleted so far through the journal's connection."""
    return journal._conn.total_changes


def test_a_poll_writes_only_the_jobs_that_came_went_or_changed(journal: Journal) -> None:
    running = [row(f"j{i:04d}", f"c{i % 10}") for i in range(1000)]
    journal.record_poll("main", running, [], T0)
    before = written(journal)
    journal.record_poll("main", running, [], T0 + 10)
    assert written(journal) - before == 1, "nothing changed: the account's poll time is the one row written"

    moved = row("j0003", "c-moved")
    now_running = [moved, *running[4:], row("n1"), row("n2")]  # j0000-j0002 left, j0003 moved, n1 and n2 came
    before = written(journal)
    journal.record_poll("main", now_running, [("j0000", final("j0000"))], T0 + 20)
    assert written(journal) - before == 3 + 1 + 2 + 1 + 1  # left, moved, came, j0000's final, the poll time

    entries = {entry.job_id: entry for entry in journal.history(limit=None)}
    assert len(entries) == 1002
    assert {(e.first_seen, e.last_seen) for e in entries.values() if e.job_id[0] == "j" and e.job_id > "j0002"} == {(T0, T0 + 20)}
    assert (entries["j0003"].channel, entries["j0003"].first_seen) == ("c-moved", T0)
    # the last poll they were on
    assert [(entries[i].last_seen, entries[i].finished_at) for i in ("j0001", "j0002")] == [(T0 + 10, None)] * 2
    assert (entries["j0000"].last_seen, entries["j0000"].final_status) == (T0 + 20, "completed")
    assert (entries["n1"].first_seen, entries["n1"].last_seen) == (T0 + 20, T0 + 20)
    assert {"j0001", "j0002"}.isdisjoint(ids(journal.history(since=T0 + 15, limit=None)))
    assert len(journal.history(since=T0 + 15, limit=None)) == 1000


def test_a_poll_that_failed_to_write_is_made_good_by_the_next(journal: Journal) -> None:
    journal.record_poll("main", [row("j1"), row("j2")], [], T0)

    def cut_short() -> Iterator[JobRow]:
        yield row("j1")
        yield row("j3")
        raise OSError("the disk went away")

    with pytest.raises(OSError):
        journal.record_poll("main", cut_short(), [], T0 + 10)
    assert journal.entry("main", "j3") is None and journal.entry("main", "j2").last_seen == T0  # rolled back whole
    journal.record_poll("main", [row("j1"), row("j3")], [], T0 + 20)
    journal.record_poll("main", [row("j1"), row("j3")], [], T0 + 30)
    seen = {entry.job_id: (entry.first_seen, entry.last_seen) for entry in journal.history()}
    assert seen == {"j1": (T0, T0 + 30), "j3": (T0 + 20, T0 + 30), "j2": (T0, T0)}


def test_jobs_that_left_while_no_dashboard_ran_keep_the_last_poll_they_were_on(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path, clock=ManualClock(T0)) as first:
        first.record_poll("main", [row("a"), row("b")], [], T0)
        first.record_poll("main", [row("a"), row("b")], [], T0 + 10)
        first.record_finals("main", [("x", final("x"))], T0 + 12)  # fetched after the last poll, written on exit
    with Journal(path, clock=ManualClock(T0 + 3600), create=False) as reader:  # `mjtui history` an hour later
        assert [(e.job_id, e.last_seen, e.finished_at) for e in reader.history()] == [
            ("x", T0 + 12, T0 + 12), ("a", T0 + 10, None), ("b", T0 + 10, None)]
    with Journal(path, clock=ManualClock(T0 + 3600)) as second:  # the next dashboard: a left meanwhile, c came
        second.record_poll("main", [row("b"), row("c")], [], T0 + 3600)
        second.record_poll("main", [row("b"), row("c")], [], T0 + 3610)
        assert [(e.job_id, e.first_seen, e.last_seen) for e in second.history()] == [
            ("c", T0 + 3600, T0 + 3610), ("b", T0, T0 + 3610), ("x", T0 + 12, T0 + 12), ("a", T0, T0 + 10)]
        assert ids(second.history(since=T0 + 60)) == ["c", "b"], "running jobs: the newest first"


def test_two_dashboards_on_one_journal_each_see_the_others_polls(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path, clock=ManualClock(T0)) as one, Journal(path, clock=ManualClock(T0)) as other:
        one.record_poll("main", [row("j1"), row("j2")], [], T0)
        other.record_poll("main", [row("j2")], [], T0 + 5)  # j1 left, as the other saw it
        one.record_poll("main", [row("j1"), row("j2")], [], T0 + 10)  # and is back, as this one sees it
        one.record_poll("main", [row("j1"), row("j2")], [], T0 + 20)
        assert [(e.job_id, e.last_seen) for e in other.history()] == [("j1", T0 + 20), ("j2", T0 + 20)]


def test_two_dashboards_on_one_journal_with_clocks_apart_each_see_the_others_polls(tmp_path: Path) -> None:
    """The other dashboard's clock is behind: its poll does not move the account's poll time, yet it wrote."""
    path = tmp_path / "journal.sqlite3"
    with Journal(path, clock=ManualClock(T0)) as one, Journal(path, clock=ManualClock(T0 - 5)) as other:
        one.record_poll("main", [row("j1"), row("j2")], [], T0)
        other.record_poll("main", [row("j2")], [], T0 - 5)  # j1 left, as the other saw it
        one.record_poll("main", [row("j1"), row("j2")], [], T0 + 10)  # and is back, as this one sees it
        assert [(e.job_id, e.last_seen) for e in other.history()] == [("j1", T0 + 10), ("j2", T0 + 10)]


@pytest.mark.parametrize("seed", range(4))
def test_after_many_polls_and_restarts_every_job_reads_as_if_each_poll_rewrote_it(tmp_path: Path, seed: int) -> None:
    """A model of the journal as it was when every poll upserted every running job: the same entries, in the same order."""
    rng = random.Random(seed)
    path = tmp_path / "journal.sqlite3"
    model: dict[tuple[str, str], dict[str, object]] = {}
    running: dict[str, dict[str, JobRow]] = {"main": {}, "ip": {}}
    pending: dict[str, list[tuple[str, Job | None]]] = {"main": [], "ip": []}  # finals fetched, written with the next poll
    serial = 0

    def remember(account: str, job_id: str, at: float, **fields: object) -> dict[str, object]:
        entry = model.setdefault((account, job_id), {"first_seen": at, "last_seen": at, "channel": None,
                                                     "finished_at": None, "final_status": None, "created": None})
        entry["last_seen"] = max(entry["last_seen"], at)  # type: ignore[type-var]
        entry.update(fields)
        return entry

    def record_finals(journal: Journal, account: str, at: float, *, poll: bool) -> None:
        for job_id, job in pending[account]:
            entry = remember(account, job_id, at)
            entry["finished_at"] = entry["finished_at"] or at
            if job is not None:
                entry.update(final_status=job.status, channel=job.channel, created=job.created)
        if not poll:
            journal.record_finals(account, pending[account], at)
            pending[account] = []

    at = T0
    journal = Journal(path, clock=ManualClock(T0))
    try:
        for step in range(120):
            at += 5
            if step % 40 == 39:  # the dashboard exits (pending finals written) and starts again a while later
                for account in running:
                    record_finals(journal, account, at, poll=False)
                journal.close()
                at += rng.choice([60, 3600, 2 * DAY])
                journal = Journal(path, clock=ManualClock(at))
            account = rng.choice(list(running))
            jobs = running[account]
            for job_id in [job_id for job_id in jobs if rng.random() < 0.15]:
                job = None if rng.random() < 0.1 else final(job_id, rng.choice(["completed", "failed"]),
                                                            channel=jobs[job_id].channel)
                pending[account].append((job_id, job))
                del jobs[job_id]
            for job_id in [job_id for job_id in jobs if rng.random() < 0.05]:
                jobs[job_id] = JobRow(job_id, f"c{rng.randrange(3)}", jobs[job_id].job_type, CREATED, 0, at)
            for _ in range(rng.randrange(4)):
                serial += 1
                jobs[f"{account}-{serial}"] = JobRow(f"{account}-{serial}", f"c{rng.randrange(3)}",
                                                     rng.choice(["image", "video"]), CREATED, 0, at)
            if rng.random() < 0.1:
                continue  # the poll failed: nothing is recorded, the next one carries the whole list
            record_finals(journal, account, at, poll=True)
            journal.record_poll(account, list(jobs.values()), pending[account], at)
            pending[account] = []
            for job_id, job_row in jobs.items():
                remember(account, job_id, at, channel=job_row.channel, created=job_row.created)

        def expected(since: float | None = None) -> list[tuple[object, ...]]:
            ordered = sorted(  # newest first: last seen; at one poll the running, then the last to finish; then started
                # (created, else none: last), then first seen
                ((account, job_id), e) for (account, job_id), e in model.items() if since is None or e["last_seen"] >= since)
            ordered.sort(key=lambda item: (-item[1]["last_seen"], item[1]["finished_at"] is not None,  # type: ignore[operator]
                                           -(item[1]["finished_at"] or 0), item[1]["created"] is None,  # type: ignore[operator]
                                           -item[1]["first_seen"]))  # type: ignore[operator]
            return [(account, job_id, e["channel"], e["first_seen"], e["last_seen"], e["finished_at"], e["final_status"])
                    for (account, job_id), e in ordered]

        def found(since: float | None = None) -> list[tuple[object, ...]]:
            return [(e.account, e.job_id, e.channel, e.first_seen, e.last_seen, e.finished_at, e.final_status)
                    for e in journal.history(since=since, limit=None)]

        assert len(model) > 150
        assert found() == expected()
        for since in (at - 3600, at - 30, at):
            assert found(since) == expected(since)
        assert [e.job_id for e in journal.history(limit=25)] == [r[1] for r in expected()[:25]]
        for account, job_id in rng.sample(sorted(model), 20):
            assert journal.entry(account, job_id).last_seen == model[account, job_id]["last_seen"]
        cutoff = at - 3600
        assert journal.cleanup(at, retention_days=3600 / DAY) == len(expected()) - len(expected(cutoff))
        assert found() == expected(cutoff)
    finally:
        journal.close()


def test_actions_are_an_audit_log_newest_first(journal: Journal) -> None:
    journal.record_action("main", "relax", "c1", "ok", None, T0)
    journal.record_action("main", "cancel", "j9", "unknown", "timed out after 30s", T0 + 5)
    journal.record_action("ip", "seed", "j3", "failed", "422 Unprocessable", T0 + 9)
    with pytest.raises(ValueError, match="outcome"):
        journal.record_action("main", "fast", "c1", "maybe", None, T0)  # type: ignore[arg-type]
    assert [(a.account, a.action, a.outcome) for a in journal.actions()] == [
        ("ip", "seed", "failed"), ("main", "cancel", "unknown"), ("main", "relax", "ok"),
    ]
    assert [a.action for a in journal.actions(since=T0 + 1)] == ["seed", "cancel"]
    assert [a.action for a in journal.actions(limit=1)] == ["seed"]


# -- reading ------------------------------------------------------------------------------------------


@pytest.fixture
def filled(journal: Journal) -> Journal:
    """Two accounts, two channels, every final status, spread over three days."""
    journal.record_poll("main", [row("m-old", "c1")], [("m-old", final("m-old", prompt="old red barn"))], T0 - 3 * DAY)
    journal.record_poll("main", [row("m-fail", "c2")],
                        [("m-fail", final("m-fail", "failed", channel="c2", prompt="Blue whale 100% size", error="x"))],
                        T0 - 2 * 3600)
    journal.record_poll("main", [row("m-mod", "c1")], [("m-mod", final("m-mod", "moderated", prompt="blue_sky"))], T0 - 3600)
    journal.record_poll("main", [row("m-ok", "c1")], [("m-ok", final("m-ok", prompt="a blue bird", run=30.0))], T0 - 600)
    journal.record_poll("ip", [row("i-ok", "c9")], [("i-ok", final("i-ok", channel="c9", prompt="BLUE moon"))], T0 - 300)
    journal.record_poll("main", [row("m-run", "c2")], [], T0 - 2 * DAY)  # a long one: first seen two days ago
    journal.record_poll("main", [row("m-run", "c2")], [], T0)
    return journal


ALL = ["m-run", "i-ok", "m-ok", "m-mod", "m-fail", "m-old"]


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, ALL),
    ({"since": T0 - 90 * 60}, ["m-run", "i-ok", "m-ok", "m-mod"]),
    ({"status": "failed"}, ["m-fail"]),
    ({"status": "completed"}, ["i-ok", "m-ok", "m-old"]),
    ({"channel": "c2"}, ["m-run", "m-fail"]),
    ({"account": "ip"}, ["i-ok"]),
    ({"search": "blue"}, ["i-ok", "m-ok", "m-mod", "m-fail"]),
    ({"search": "%"}, ["m-fail"]),  # "%" and "_" are characters to find, not wildcards
    ({"search": "e_b"}, []),
    ({"search": "blue_"}, ["m-mod"]),
    ({"since": T0 - DAY, "account": "main", "search": "blue", "channel": "c1"}, ["m-ok", "m-mod"]),
    ({"limit": 2}, ["m-run", "i-ok"]),
], ids=["all", "since", "status-failed", "status-completed", "channel", "account", "search", "search-percent",
        "search-underscore-literal", "search-underscore", "combined", "limit"])
def test_history_filters_each_narrow_to_what_was_asked(filled: Journal, filters: dict, expected: list[str]) -> None:
    assert ids(filled.history(**filters)) == expected


def test_recent_finished_is_newest_first_and_leaves_out_running_jobs(filled: Journal) -> None:
    assert ids(filled.recent_finished(3)) == ["i-ok", "m-ok", "m-mod"]
    assert ids(filled.recent_finished(10, account="main")) == ["m-ok", "m-mod", "m-fail", "m-old"]


def test_channel_stats_count_the_last_day_and_average_completed_runs(filled: Journal) -> None:
    filled.record_poll("main", [], [("m-ok2", final("m-ok2", prompt="x", run=90.0))], T0 - 60)
    assert filled.channel_stats("main", "c1", T0 - DAY) == ChannelHistory(completed=2, failed=1, mean_run_seconds=60.0)
    assert filled.channel_stats("main", "c2", T0 - DAY) == ChannelHistory(completed=0, failed=1, mean_run_seconds=None)
    assert filled.channel_stats("main", "c1", T0 - 4 * DAY) == ChannelHistory(3, 1, (30.0 + 90.0 + 62.5) / 3)
    assert filled.channel_stats("main", "c-none", T0 - DAY) == ChannelHistory(0, 0, None)
    assert set(filled.all_channel_stats(T0 - DAY)) == {("main", "c1"), ("main", "c2"), ("ip", "c9")}


# -- retention ----------------------------------------------------------------------------------------


def test_cleanup_deletes_only_rows_older_than_the_retention(journal: Journal) -> None:
    old, kept = T0 - 63 * DAY, T0 - 61 * DAY
    journal.record_poll("main", [row("old"), row("kept")], [], old)
    journal.record_poll("main", [row("kept")], [], kept)
    journal.record_seed("main", "old", 1, ["u"], old)
    journal.record_seed("main", "kept", 2, ["u"], kept)
    journal.record_action("main", "relax", "c1", "ok", None, old)
    journal.record_action("main", "fast", "c1", "ok", None, kept)
    journal.record_poll("ip", [row("stale")], [], old)  # running when its account was last polled, 63 days ago

    assert journal.cleanup(T0) == 4
    assert ids(journal.history()) == ["kept"] and journal.history()[0].seed == 2  # first seen 63 days ago, still running 61
    assert [a.action for a in journal.actions()] == ["fast"]
    assert journal.cleanup(T0, retention_days=7) == 3
    assert journal.history() == [] and journal.actions() == []
    journal.record_poll("ip", [row("stale")], [], T0)  # seen again: a new entry
    assert [(e.job_id, e.first_seen, e.last_seen) for e in journal.history()] == [("stale", T0, T0)]


def test_a_running_job_forgotten_by_cleanup_is_journalled_again_when_seen(journal: Journal) -> None:
    old, kept = T0 - 63 * DAY, T0 - 61 * DAY
    journal.record_poll("ip", [row("a"), row("b")], [], old)  # the account's last poll before a long outage
    journal.record_finals("ip", [("b", final("b"))], kept)
    assert journal.cleanup(T0) == 1 and ids(journal.history()) == ["b"]
    journal.record_poll("ip", [row("a"), row("b")], [], T0)
    assert [(e.job_id, e.first_seen, e.last_seen) for e in journal.history()] == [("a", T0, T0), ("b", old, T0)]


def test_opening_cleans_up_and_the_file_shrinks(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    prompt = "a very long prompt " * 50
    with Journal(path, clock=ManualClock(T0)) as journal:
        for batch in range(10):
            finals = [(f"j{batch}-{i}", final(f"j{batch}-{i}", prompt=prompt)) for i in range(100)]
            journal.record_poll("main", [], finals, T0 - 70 * DAY)
        journal.record_poll("main", [row("recent")], [], T0 - DAY)
    full = path.stat().st_size
    assert full > 1_000_000

    with Journal(path, clock=ManualClock(T0)) as journal:
        assert ids(journal.history(limit=None)) == ["recent"]
    assert path.stat().st_size < full / 10


# -- the writer thread --------------------------------------------------------------------------------


def test_writer_runs_in_order_without_making_the_caller_wait(journal: Journal) -> None:
    errors: list[BaseException] = []
    writer = JournalWriter(journal, on_error=errors.append)
    busy = threading.Event()
    writer.submit(busy.wait, 10)  # SQLite as slow as it gets
    queued = writer.submit(journal.record_poll, "main", [row("j1")], [], T0)
    read = writer.submit(journal.history)
    assert not queued.done() and journal.history() == []  # submit returned; nothing waited for the write
    busy.set()
    assert writer.flush(10)
    assert ids(read.result()) == ["j1"]  # a read queued after a write sees it
    assert writer.close() and errors == []


def test_writer_reports_a_failing_write_and_carries_on(journal: Journal) -> None:
    errors: list[BaseException] = []
    writer = JournalWriter(journal, on_error=errors.append)
    broken = writer.submit(journal.record_seed, None, "j1", 7, [], T0)  # type: ignore[arg-type]
    writer.submit(journal.record_poll, "main", [row("j2")], [], T0)
    assert writer.flush(10)
    assert len(errors) == 1 and isinstance(errors[0], JournalError) and "NOT NULL" in str(errors[0])
    assert broken.exception() is errors[0]
    assert ids(journal.history()) == ["j2"]

    def bad_callback(error: BaseException) -> None:
        raise RuntimeError("the UI is gone")

    writer.on_error = bad_callback
    writer.submit(journal.record_action, "main", "relax", "c1", "nonsense", None, T0)  # type: ignore[arg-type]
    writer.submit(journal.record_poll, "main", [row("j3")], [], T0 + 1)
    assert writer.flush(10)
    assert ids(journal.history()) == ["j3", "j2"]  # neither the failure nor the failing callback stopped it
    assert writer.close()


def test_writer_cleans_up_once_an_hour_of_its_clock(journal: Journal, clock: ManualClock) -> None:
    errors: list[BaseException] = []
    writer = JournalWriter(journal, on_error=errors.append, clock=clock)
    journal.record_poll("main", [row("ageing")], [], T0 - 62 * DAY + 1800)
    clock.advance(3599)
    assert writer.flush(10) and ids(journal.history()) == ["ageing"]  # past retention, but no cleanup due yet
    clock.advance(1)
    assert writer.flush(10) and journal.history() == []
    assert writer.close() and errors == []


def test_writer_moves_the_wal_into_the_file_when_nothing_is_queued_not_between_queued_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path, clock=ManualClock(T0)) as journal:
        calls: list[str] = []
        checkpointed = threading.Event()
        checkpoint = journal.checkpoint

        def watched_checkpoint() -> None:
            checkpoint()
            calls.append("checkpoint")
            checkpointed.set()

        monkeypatch.setattr(journal, "checkpoint", watched_checkpoint)
        errors: list[BaseException] = []
        writer = JournalWriter(journal, on_error=errors.append)
        busy = threading.Event()
        writer.submit(busy.wait, 10)
        for n in range(3):
            writer.submit(journal.record_poll, "main", [row(f"j{n}-{i}") for i in range(100)], [], T0 + n)
            writer.submit(calls.append, f"poll {n}")
        busy.set()
        assert checkpointed.wait(10)
        assert calls == ["poll 0", "poll 1", "poll 2", "checkpoint"]
        with closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as file_alone:  # reads the file, not the WAL
            assert file_alone.execute("SELECT count(*) FROM jobs").fetchone() == (300,)
        assert writer.close() and errors == []


def test_writer_after_close_ran_everything_queued_and_refuses_more(journal: Journal) -> None:
    errors: list[BaseException] = []
    writer = JournalWriter(journal, on_error=errors.append)
    writer.submit(journal.record_poll, "main", [row(f"j{i}") for i in range(50)], [], T0)
    assert writer.close(10)
    assert len(journal.history(limit=None)) == 50
    late = writer.submit(journal.record_poll, "main", [row("late")], [], T0)
    assert isinstance(late.exception(), JournalError) and "closed" in str(late.exception())
    assert journal.entry("main", "late") is None and errors == []


# -- export -------------------------------------------------------------------------------------------


@pytest.fixture
def awkward(filled: Journal) -> Journal:
    """Prompts a CSV or a terminal would trip on, a seed, and a record with fields mjtui does not know."""
    job = final("m-odd", prompt='line one\nline two, with "quotes", commas, 日本語 and \x1b[31mred\x9b',
                futureField={"x": [1, None]})
    filled.record_poll("main", [row("m-odd")], [("m-odd", job)], T0 + 1)
    filled.record_seed("main", "m-odd", 4294967295, ["https://cdn.example/a.png", "https://cdn.example/b.png"], T0 + 2)
    return filled


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_round_trips(awkward: Journal, fmt: str) -> None:
    entries = awkward.history(limit=None)
    out = io.StringIO(newline="")
    assert export(out, fmt, entries) == len(entries) == 7
    assert read_export(io.StringIO(out.getvalue(), newline=""), fmt) == entries


def test_jsonl_lines_carry_the_api_record_and_are_inert_on_a_terminal(awkward: Journal) -> None:
    out = io.StringIO()
    export(out, "jsonl", awkward.history(search="line one"))
    text = out.getvalue()
    assert "\x1b" not in text and "\x9b" not in text and "日本語" in text
    doc = json.loads(text)
    assert doc["record"]["futureField"] == {"x": [1, None]} and doc["record"]["jobid"] == "m-odd"
    assert doc["record"]["prompt"].endswith("\x1b[31mred\x9b")
    assert (doc["jobId"], doc["seed"], doc["finishedAt"]) == ("m-odd", 4294967295, "2026-11-24T12:00:01.000Z")


def test_csv_has_a_header_and_one_row_per_job(awkward: Journal) -> None:
    out = io.StringIO(newline="")
    export(out, "csv", awkward.history(limit=None))
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert tuple(rows[0]) == FIELDS
    assert [cells[FIELDS.index("jobId")] for cells in rows[1:]] == ["m-odd", *ALL]
    odd = dict(zip(FIELDS, rows[1], strict=True))
    assert odd["prompt"].startswith("line one\nline two") and odd["seed"] == "4294967295"
    assert json.loads(odd["record"])["futureField"] == {"x": [1, None]}


@pytest.mark.parametrize("prompt", ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1)",
                                    "\t=1", "'=already quoted"])
def test_csv_cells_a_spreadsheet_would_run_start_with_a_quote_and_read_back_whole(prompt: str, tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite3") as journal:
        job = Job.model_validate({"jobid": "j-f", "status": "completed", "prompt": prompt, "channel": "111"})
        journal.record_poll("main", [], [("j-f", job)], 1_800_000_000.0)
        entries = journal.history()
    out = io.StringIO(newline="")
    export(out, "csv", entries)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert rows[0]["prompt"] == f"'{prompt}", "a spreadsheet shows it as text"
    assert all(not cell.startswith(("=", "+", "-", "@", "\t")) for row in rows for cell in row.values())
    assert read_export(io.StringIO(out.getvalue(), newline=""), "csv") == entries


def test_read_export_names_the_bad_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="line 2: "):
        read_export(io.StringIO('{"account":"a","jobId":"j","firstSeen":"2026-11-24T12:00:00.000Z",'
                                '"lastSeen":"2026-11-24T12:00:00.000Z"}\nnot json\n'), "jsonl")
    with pytest.raises(ValueError, match="not an mjtui export"):
        read_export(io.StringIO("a,b\n1,2\n"), "csv")


def test_the_jobs_of_one_poll_read_running_first_then_finished_in_the_order_they_ended(tmp_path: Path) -> None:
    """`h` showed the jobs of one poll interleaved: each row's time (started, or finished) out of order."""
    with Journal(tmp_path / "journal.sqlite3", clock=ManualClock(T0)) as journal:
        journal.record_poll("main", [row("a"), row("b"), row("d")], [], T0)
        journal.record_poll("main", [row("b"), row("c")], [("a", final("a", run=61.0)), ("d", final("d", run=65.0))],
                            T0 + 10)
        listed = ids(journal.history())
        assert listed[:2] == ["c", "b"] and sorted(listed[2:]) == ["a", "d"], listed
