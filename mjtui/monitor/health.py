"""An account's connection health, and how long to wait before the next poll.

One place decides what a failed poll means: keep going with back-off (429,
5xx, network), or stop behind a banner until the user acts (401, 402, 596).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from mjtui.api import errors
from mjtui.api.errors import MjtuiError  # by name: the `errors` count below hides the module in AccountStatus

MIN_INTERVAL = 2.0
BACKOFF_CAP = 60.0
STALE_INTERVALS = 2  # a last good poll older than this many intervals: what is shown is no longer live


class Health(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"
    RETRYING = "retrying"
    PAUSED = "paused"
    UNAUTHORIZED = "unauthorized"
    PAYMENT = "payment required"
    MODERATION = "moderation pending"

    @property
    def halted(self) -> bool:
        """Polling stopped until the user acts."""
        return self in (Health.UNAUTHORIZED, Health.PAYMENT, Health.MODERATION)


def backoff_delay(
    failures: int,
    interval: float,
    *,
    retry_after: float | None = None,
    rng: random.Random | None = None,
    cap: float = BACKOFF_CAP,
) -> float:
    """The wait before the next poll after `failures` failed polls in a row.

    Exponential from the refresh interval (interval, 2x, 4x ...) with jitter,
    capped at `cap`, and never shorter than the interval: a failing service is
    never polled faster than a healthy one. Never sooner than Retry-After.
    """
    rng = rng or random.Random()
    ceiling = max(interval, min(cap, interval * 2 ** max(0, failures - 1)))
    delay = max(interval, ceiling * rng.uniform(0.8, 1.0))
    if retry_after is not None:
        delay = max(delay, min(retry_after, 3600.0))
    return delay


@dataclass(slots=True)
class AccountStatus:
    """What the header line shows for an account."""

    health: Health = Health.CONNECTING
    last_ok_at: float | None = None
    latency: float | None = None
    errors: int = 0  # since the last good poll: a recovered account reads clean
    failures_in_a_row: int = 0
    last_error: str | None = None
    last_problem: str | None = None  # the last error's own words, without the endpoint: what the header shows
    last_error_at: float | None = None
    retry_at: float | None = None
    moderation_channel: str | None = None
    needs_admin: bool = False  # the 401 said the token is known but not an admin's (a gateway's admin views)
    paused: bool = False

    def succeeded(self, now: float, latency: float) -> None:
        self.health = Health.PAUSED if self.paused else Health.LIVE
        self.last_ok_at = now
        self.latency = latency
        self.errors = 0
        self.failures_in_a_row = 0
        self.retry_at = None
        self.last_error = None
        self.last_problem = None
        self.last_error_at = None
        self.moderation_channel = None

    def failed(self, error: MjtuiError, now: float, interval: float, rng: random.Random | None = None) -> float | None:
        """Record a failed poll; return the delay before the next one, or None when polling must stop."""
        self.errors += 1
        self.failures_in_a_row += 1
        self.last_error = str(error)
        self.last_problem = error.message
        self.last_error_at = now
        if isinstance(error, errors.Unauthorized):
            self.health = Health.UNAUTHORIZED
            self.needs_admin = isinstance(error, errors.NeedsAdminToken)
        elif isinstance(error, errors.PaymentRequired):
            self.health = Health.PAYMENT
        elif isinstance(error, errors.ModerationPending):
            self.health = Health.MODERATION
            self.moderation_channel = error.channel
        else:
            retry_after = error.retry_after if isinstance(error, errors.ApiError) else None
            delay = backoff_delay(self.failures_in_a_row, interval, retry_after=retry_after, rng=rng)
            self.health = Health.RETRYING
            self.retry_at = now + delay
            return delay
        self.retry_at = None
        return None

    def is_stale(self, now: float, interval: float) -> bool:
        """The last good poll is older than STALE_INTERVALS intervals, whatever the reason (a hang, a back-off, a
        halt); not while paused: the user stopped the polls and the header says so."""
        return (not self.paused and self.last_ok_at is not None
                and now - self.last_ok_at > STALE_INTERVALS * interval)
