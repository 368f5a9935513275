"""What the journal gives back: plain dataclasses, times in seconds since the epoch like the rest of mjtui."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from mjtui.api.models import Job
from mjtui.clock import parse_iso

Outcome = Literal["ok", "failed", "unknown"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "failed", "unknown")


def to_ms(seconds: float) -> int:
    """Seconds since the epoch, as the journal stores them."""
    return round(seconds * 1000)


def from_ms(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One job as the journal remembers it.

    `finished_at` is None while the job was still running when last seen;
    `final_status` is None then too, or when its final record could not be
    fetched. `run_seconds` is the API's `updated - created` of the final record.
    `record` is the final job as the API sent it (camelCase, unknown fields kept).
    """

    account: str
    job_id: str
    channel: str | None
    job_type: str | None
    verb: str | None
    prompt: str | None
    created: str | None
    first_seen: float
    last_seen: float
    final_status: str | None
    finished_at: float | None
    run_seconds: float | None
    record: dict[str, Any] | None = field(default=None, hash=False)
    seed: int | None = None
    seed_images: tuple[str, ...] = ()

    @property
    def when(self) -> float:
        """When it finished; still running, when it started (the API's `created`, else when first seen):
        its own time, where its last_seen is the account's last poll, the same for every running job."""
        if self.finished_at is not None:
            return self.finished_at
        started = parse_iso(self.created)
        return started.timestamp() if started is not None else self.first_seen

    def job(self) -> Job | None:
        """The stored final record as a `Job`, or None when there is none (or it no longer parses)."""
        if self.record is None:
            return None
        from mjtui.api.proxy_models import job_from_record  # the gateway's models: not on the dashboard's way up

        try:
            return job_from_record(self.record)
        except ValidationError:
            return None


@dataclass(frozen=True, slots=True)
class ChannelHistory:
    """A channel's finished jobs over a period: `failed` counts every final status but completed
    (failed, moderated, cancelled); `mean_run_seconds` is over completed jobs, None when there are none."""

    completed: int
    failed: int
    mean_run_seconds: float | None


@dataclass(frozen=True, slots=True)
class ActionEntry:
    """One thing mjtui did to an account: what, on which target, and how it went."""

    id: int
    at: float
    account: str
    action: str
    target: str | None
    outcome: Outcome
    error: str | None


@dataclass(frozen=True, slots=True)
class Holder:
    """The process that polls an account for everyone on a journal (`Journal.claim`), as its lease names it."""

    owner: str  # random, one per process run
    pid: int
    host: str
    process: str  # "mjtui metrics", "a dashboard"
    expires: float  # unrenewed past this, it is taken to be gone

    def words(self) -> str:
        return f"{self.process} (pid {self.pid} on {self.host})"


@dataclass(frozen=True, slots=True)
class Claim:
    """A lease claimed (`Journal.claim`): the other process that keeps it, or None when it is the claimant's, and
    whether another process wants what the claimant publishes."""

    other: Holder | None
    wanted: bool = False


@dataclass(frozen=True, slots=True)
class Published:
    """What an account's holder last published: its poll's time and snapshot (JSON), or why its poll failed."""

    holder: Holder
    at: float | None
    snapshot: str | None
    error: str | None
