"""The journal: a local SQLite history of jobs, seeds and actions that outlives the running list and restarts.

Standard library sqlite3 only; never imports Textual. `Journal` reads and
writes (from any thread); `JournalWriter` runs its writes on a background
thread so the UI never waits; `export` / `read_export` move entries out and
back as JSON Lines or CSV.
"""

from mjtui.store.entries import (
    OUTCOMES,
    ActionEntry,
    ChannelHistory,
    Claim,
    HistoryEntry,
    Holder,
    Outcome,
    Published,
)
from mjtui.store.export import FORMATS, ExportFormat, export, read_export, to_document
from mjtui.store.journal import (
    DEFAULT_RETENTION_DAYS,
    MEMORY,
    Journal,
    JournalError,
    JournalMissing,
    default_journal_path,
)
from mjtui.store.schema import SCHEMA_VERSION
from mjtui.store.writer import JournalWriter

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "FORMATS",
    "MEMORY",
    "OUTCOMES",
    "SCHEMA_VERSION",
    "ActionEntry",
    "ChannelHistory",
    "Claim",
    "ExportFormat",
    "HistoryEntry",
    "Holder",
    "Journal",
    "JournalError",
    "JournalMissing",
    "JournalWriter",
    "Outcome",
    "Published",
    "default_journal_path",
    "export",
    "read_export",
    "to_document",
]
