"""What the dashboard's workers tell it: typed Textual messages, one per kind of news."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from mjtui.api import errors
from mjtui.api.models import Job
from mjtui.monitor.snapshot import Snapshot


class PollDone(Message):
    """A poll of one account's running list finished, with the list or the error."""

    def __init__(self, account: str, snapshot: Snapshot | None, error: errors.MjtuiError | None, latency: float) -> None:
        super().__init__()
        self.account = account
        self.snapshot = snapshot
        self.error = error
        self.latency = latency


@dataclass(frozen=True)
class Final:
    """A job that left the running list, and what the job endpoint says became of it."""

    channel: str
    job_id: str
    job: Job | None
    error: str | None


class FinalState(Message):
    """Final states of jobs that left one account's running list, a batch at a time."""

    def __init__(self, account: str, finals: list[Final]) -> None:
        super().__init__()
        self.account = account
        self.finals = finals


class FinalsFetched(Message):
    """An account's final-state fetches have all stopped (none waits, or a 429 paused them): time to announce."""

    def __init__(self, account: str) -> None:
        super().__init__()
        self.account = account
