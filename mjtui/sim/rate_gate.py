"""ImaginePro's documented rate limits, as the simulator enforces them, with a record of every request.

"For general API endpoints, the rate limit is 1 request per 3 seconds. For the progress checking endpoint:
message, the rate limit is 10 requests per second." (System Design page.) A general request sooner than
GENERAL_GAP after the account's last admitted one, or a message fetch that would make MESSAGE_BURST + 1 in
MESSAGE_WINDOW, is refused (429). Refused requests do not count against the limit.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["general", "message"]

GENERAL_GAP = 3.0
MESSAGE_BURST = 10
MESSAGE_WINDOW = 1.0


@dataclass(frozen=True, slots=True)
class Request:
    at: float
    account: str
    kind: Kind
    admitted: bool


@dataclass
class RateGate:
    """Per account: when its last general request was admitted, and its message fetches of the last second."""

    log: list[Request] = field(default_factory=list)
    _last_general: dict[str, float] = field(default_factory=dict)
    _fetches: dict[str, deque[float]] = field(default_factory=dict)

    def admit(self, account: str, kind: Kind, now: float) -> bool:
        """Whether the request goes through (and then it counts); every request is logged either way."""
        admitted = self._general(account, now) if kind == "general" else self._message(account, now)
        self.log.append(Request(now, account, kind, admitted))
        return admitted

    def _general(self, account: str, now: float) -> bool:
        last = self._last_general.get(account)
        if last is not None and now - last < GENERAL_GAP:
            return False
        self._last_general[account] = now
        return True

    def _message(self, account: str, now: float) -> bool:
        recent = self._fetches.setdefault(account, deque())
        while recent and now - recent[0] >= MESSAGE_WINDOW:
            recent.popleft()
        if len(recent) >= MESSAGE_BURST:
            return False
        recent.append(now)
        return True

    def refused(self) -> int:
        return sum(not request.admitted for request in self.log)

    def per_minute(self, kind: Kind) -> Counter[int]:
        """Admitted requests of `kind` by the minute (of the world's clock) they came in."""
        return Counter(int(request.at // 60) for request in self.log if request.kind == kind and request.admitted)
