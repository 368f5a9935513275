"""What the dashboard's workers tell it: typed Textual messages, one per kind of news (see mjtui/poller.py)."""

from __future__ import annotations

from textual.message import Message

from mjtui.poller import Answer, Final


class PollDone(Message):
    """A poll of one account's running list finished: its answer (the snapshot and what changed, or the error)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__()
        self.answer = answer


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
