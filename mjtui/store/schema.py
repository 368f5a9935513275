"""The journal's tables, and the forward migrations that build them.

`MIGRATIONS[n]` takes a file from schema version n to n + 1; the version lives
in ``PRAGMA user_version``. A step runs in one transaction with the version
bump, so a file is always at a version it fully has. Steps are never edited
once released: a change is a new step. Times are integer milliseconds since
the epoch (UTC), so they compare, index and export exactly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

APPLICATION_ID = int.from_bytes(b"mjtj", "big")  # PRAGMA application_id: tells our file from any other SQLite file

V1 = f"""
PRAGMA application_id = {APPLICATION_ID};
CREATE TABLE jobs (
    account      TEXT    NOT NULL,
    job_id       TEXT    NOT NULL,
    channel      TEXT,
    job_type     TEXT,              -- 'image' | 'video', from the running list
    created      TEXT,              -- the API's own timestamp
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    final_status TEXT,              -- status of the final record; NULL while running or when it could not be fetched
    finished_at  INTEGER,           -- when mjtui learned the job had left the running list
    record       TEXT,              -- the final job as the API sent it (JSON)
    PRIMARY KEY (account, job_id)
);
CREATE INDEX jobs_last_seen ON jobs (last_seen);

CREATE TABLE seeds (
    account    TEXT    NOT NULL,
    job_id     TEXT    NOT NULL,
    value      INTEGER NOT NULL,
    images     TEXT    NOT NULL DEFAULT '[]',  -- JSON array of URLs
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (account, job_id)
);
CREATE INDEX seeds_fetched_at ON seeds (fetched_at);

CREATE TABLE actions (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    account TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    target  TEXT,
    outcome TEXT    NOT NULL CHECK (outcome IN ('ok', 'failed', 'unknown')),
    error   TEXT
);
CREATE INDEX actions_at ON actions (at);
"""

# v2: prompt search and per-channel counts without parsing every stored record.
V2 = """
ALTER TABLE jobs ADD COLUMN verb TEXT;
ALTER TABLE jobs ADD COLUMN prompt TEXT;
ALTER TABLE jobs ADD COLUMN run_seconds REAL;
UPDATE jobs SET
    verb = json_extract(record, '$.verb'),
    prompt = json_extract(record, '$.prompt'),
    run_seconds = (
        SELECT CASE WHEN seconds >= 0 THEN round(seconds, 3) END
        FROM (SELECT (julianday(json_extract(record, '$.updated'))
                      - julianday(json_extract(record, '$.created'))) * 86400.0 AS seconds)
    )
WHERE record IS NOT NULL AND json_valid(record);
CREATE INDEX jobs_finished_at ON jobs (finished_at);
CREATE INDEX jobs_channel_finished ON jobs (account, channel, finished_at);
"""

# v3: a poll writes only the jobs that came, went or changed. A job still on the running list is
# `listed`; its last_seen is then its account's last poll (polls.at), and its own column is caught
# up when it leaves the list. Rows already in the file are not listed: their last_seen stands as is.
V3 = """
ALTER TABLE jobs ADD COLUMN listed INTEGER;  -- 1 while on the running list as of the account's last poll, else NULL
CREATE INDEX jobs_listed ON jobs (account) WHERE listed;
CREATE TABLE polls (
    account TEXT    PRIMARY KEY,
    at      INTEGER NOT NULL  -- the account's last recorded poll: when its listed jobs were last seen
);
"""

# v4: one process polls an account per journal. The holder of an account's lease renews it as it polls and, while
# another mjtui on the same journal wants it, publishes what each poll saw; that one reads it instead of polling.
V4 = """
CREATE TABLE leases (
    account  TEXT    PRIMARY KEY,
    owner    TEXT    NOT NULL,  -- random, one per process run
    pid      INTEGER NOT NULL,
    host     TEXT    NOT NULL,
    process  TEXT    NOT NULL,  -- what holds it, as a user names it: "mjtui metrics", "a dashboard"
    expires  INTEGER NOT NULL,  -- past this, unrenewed, the holder is taken to be gone
    at       INTEGER,           -- the published poll's time
    snapshot TEXT,              -- what it saw (JSON), NULL until its first poll
    error    TEXT,              -- or why its last poll failed
    wanted   INTEGER            -- another process reads the publication until then; past it, nothing is published
);
"""

# v5: a cancelled job is stored as cancelled (useapi reports it as failed with "Job cancelled by user"), so the
# history can tell the two apart and filter by either; jobs stored before read the same way.
V5 = """
UPDATE jobs SET final_status = 'cancelled'
WHERE final_status = 'failed' AND json_valid(record)
  AND lower(trim(json_extract(record, '$.error'))) = 'job cancelled by user';
"""

MIGRATIONS: tuple[str, ...] = (V1, V2, V3, V4, V5)
SCHEMA_VERSION = len(MIGRATIONS)


class NotAJournal(Exception):
    """The file is a SQLite database, but not an mjtui journal."""


class SchemaTooNew(Exception):
    """The file was written by a newer mjtui, whose schema this one does not know."""


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_readable(conn: sqlite3.Connection) -> int:
    """The journal's schema version; NotAJournal or SchemaTooNew when this mjtui cannot read it."""
    version = schema_version(conn)
    application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if application_id != APPLICATION_ID and (application_id or version or _has_tables(conn)):
        raise NotAJournal("a SQLite database of something else, not an mjtui journal")
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(f"schema version {version} is newer than this mjtui knows ({SCHEMA_VERSION}); upgrade mjtui")
    return version


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the steps from the file's version up to `target`; return the version reached.

    `conn` must be in autocommit mode (``isolation_level=None``). A failing
    step is rolled back whole and its error raised. Raises NotAJournal for
    another program's database, SchemaTooNew for a newer mjtui's journal.
    Two processes opening an old file at once both end up at `target`.
    """
    version = check_readable(conn)
    if version >= target:
        return version
    if version == 0:
        # Only possible before the first table exists; lets cleanup give freed pages back to the file system.
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = schema_version(conn)  # read again under the lock: another mjtui may have just migrated
            if version < target:
                for statement in _statements(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if version >= target:
            return version


def _statements(script: str) -> Iterator[str]:
    """The statements of a script, one by one (executescript() would commit the open transaction)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip():
        yield pending  # only comments, or a broken step that execute() will name


def _has_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None
