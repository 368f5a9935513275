"""How long, and how often, the ImaginePro provider asks how a message it follows is doing.

A message is checked MESSAGE_FIRST_CHECK seconds after it was sent, then at doubling waits
up to MESSAGE_CHECK_CEILING, until it is final; it is let go after MESSAGE_FOLLOW_LIMIT,
and at most MESSAGES_FOLLOWED are followed at once per account (a new one lets the oldest
go). Each check is a `Check` with a ticket: only the newest ticket of a message may ask,
so whatever schedules checks, a message never has two follow chains. A check that fails for
good (`why_let_go`) lets the message go at once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from mjtui.api import errors

MESSAGES_FOLLOWED = 20  # per account
MESSAGE_FIRST_CHECK = 3.0  # ImaginePro asks for about one request per 3 s
MESSAGE_CHECK_CEILING = 60.0
MESSAGE_FOLLOW_LIMIT = 30 * 60.0
LET_GO_NOT_AN_ID = "not a message id, never asked about: no longer followed"


def why_let_go(failure: errors.MjtuiError) -> str | None:
    """The note when a failed check means asking again changes nothing; None when it may pass (timeouts, 5xx, 429).

    Nothing changes when the service refused the message (a 4xx but 429) or its id cannot be sent at all.
    """
    if isinstance(failure, errors.InvalidId):
        return LET_GO_NOT_AN_ID
    if isinstance(failure, errors.ApiError) and failure.status < 500 and not isinstance(failure, errors.RateLimited):
        return str(failure)
    return None


@dataclass(frozen=True, slots=True)
class Check:
    """Ask about the message after `wait` seconds, presenting `ticket`."""

    wait: float
    ticket: int


@dataclass(slots=True)
class _Followed:
    sent_at: float
    wait: float
    ticket: int
    asking: bool = False


class MessageFollower:
    """The messages one account follows, and when each is checked next."""

    def __init__(self, limit: int = MESSAGES_FOLLOWED, first: float = MESSAGE_FIRST_CHECK,
                 ceiling: float = MESSAGE_CHECK_CEILING, give_up_after: float = MESSAGE_FOLLOW_LIMIT) -> None:
        self.limit = limit
        self.first = first
        self.ceiling = ceiling
        self.give_up_after = give_up_after
        self._followed: OrderedDict[str, _Followed] = OrderedDict()  # oldest first
        self._tickets = 0

    def __len__(self) -> int:
        return len(self._followed)

    def follows(self, message_id: str) -> bool:
        return message_id in self._followed

    def follow(self, message_id: str, now: float) -> tuple[Check | None, list[str]]:
        """Start following a message just sent: its first check (None if already followed), and the ids let go for room."""
        if message_id in self._followed:
            return None, []
        let_go = []
        while len(self._followed) >= self.limit:
            let_go.append(self._followed.popitem(last=False)[0])
        followed = self._followed[message_id] = _Followed(now, self.first, self._ticket())
        return Check(followed.wait, followed.ticket), let_go

    def ask(self, message_id: str, ticket: int) -> bool:
        """Whether a check presenting `ticket` should send its request now (then it is in flight)."""
        followed = self._followed.get(message_id)
        if followed is None or followed.ticket != ticket or followed.asking:
            return False
        followed.asking = True
        return True

    def answered(self, message_id: str, final: bool, now: float) -> Check | None:
        """The check's answer (or failure) came: the next check, or None when following ends (final, or too long)."""
        followed = self._followed.get(message_id)
        if followed is None:
            return None
        followed.asking = False
        followed.wait = min(self.ceiling, followed.wait * 2)
        if final or now + followed.wait > followed.sent_at + self.give_up_after:
            del self._followed[message_id]
            return None
        followed.ticket = self._ticket()
        return Check(followed.wait, followed.ticket)

    def let_go(self, message_id: str) -> None:
        """Stop following a message (its answers say it never will be final)."""
        self._followed.pop(message_id, None)

    def _ticket(self) -> int:
        self._tickets += 1
        return self._tickets
