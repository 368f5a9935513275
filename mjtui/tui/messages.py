"""What the dashboard's workers tell it: typed Textual messages, one per kind of news (see mjtui/poller.py)."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from textual.message import Message

from mjtui.poller import Answer, Final

if TYPE_CHECKING:
    from mjtui.tui.app import MjtuiApp


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


class WorkerHost:
    """How the poller reaches the dashboard: its coroutines run as the app's workers, its news as messages (kept
    until the dashboard is built, when the first polls are started before it)."""

    def __init__(self, app: MjtuiApp) -> None:
        self.app = app
        self._early: list[Message] | None = []  # None once the dashboard is built

    def run(self, work: Coroutine[Any, Any, None], description: str) -> None:
        # A description, not Textual's default (the arguments' repr): an account's state holds its last
        # snapshot, and writing out 1,200 jobs cost every poll a millisecond.
        self.app.run_worker(work, exit_on_error=False, description=description)

    def answered(self, answer: Answer) -> None:
        self._post(PollDone(answer))

    def finals(self, account: str, finals: list[Final]) -> None:
        self._post(FinalState(account, finals))

    def finals_done(self, account: str) -> None:
        self._post(FinalsFetched(account))

    def dashboard_built(self) -> None:
        """Hand the dashboard what came before it (its queue keeps them until it is mounted)."""
        early, self._early = self._early or [], None
        for message in early:
            self.app.dashboard.post_message(message)

    def _post(self, message: Message) -> None:
        if self._early is not None:
            self._early.append(message)
        else:
            self.app.dashboard.post_message(message)
