"""One process polls an account per journal: the others read what it saw from the journal.

`mjtui metrics` and the dashboard both poll through `Leases`. Before each poll of an account it claims (or renews)
the account's lease in the journal: while it holds it, it polls the service and, while another process wants it,
publishes the snapshot; while another process holds it, the poll marks the publication wanted and reads the
holder's latest snapshot instead (until the holder's next poll publishes one, it is `Waiting`), and `note()`
says who polls. Nobody following, the holder neither publishes nor builds the JSON: that was most of its CPU. A
holder that ends gives its leases up (`release`); one killed is noticed by its pid (same host) or when its lease
expires (three of its polling intervals unrenewed, at least a minute), and the next poll takes the account over.
No Textual here.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Callable, Iterable

from pydantic import TypeAdapter, ValidationError

from mjtui.api.errors import MjtuiError
from mjtui.clock import Clock
from mjtui.logs import log
from mjtui.monitor.snapshot import Snapshot
from mjtui.providers import Polled, Provider, Waiting
from mjtui.store import Claim, Holder, Journal, JournalError, Published

LEASE_INTERVALS = 3  # a lease lasts this many polling intervals unrenewed ...
LEASE_FLOOR = 60.0  # ... and at least this many seconds: a back-off (60 s at most) never loses it

_SNAPSHOT = TypeAdapter(Snapshot)


def lease_key(account: str, service: Provider) -> str:
    """The journal's name for an account's lease: its name in the config, and which account on which service it is
    (two configs sharing a journal may give one name to different accounts: each is polled by its own process)."""
    return f"{account} {service.identity}"


def lease_seconds(interval: float) -> float:
    """How long a lease, or a follower's wish to read the publication, lasts unrenewed."""
    return max(LEASE_FLOOR, LEASE_INTERVALS * interval)


def dump_snapshot(snapshot: Snapshot) -> str:
    """A snapshot as the journal keeps it (JSON)."""
    return _SNAPSHOT.dump_json(snapshot).decode()


def load_snapshot(text: str) -> Snapshot | None:
    """A published snapshot, checked field by field; None when the row does not hold one (damaged, or another
    version's shape)."""
    try:
        return _SNAPSHOT.validate_json(text)
    except ValidationError:
        return None


def process_ended(holder: Holder) -> bool:
    """Whether the holder's process is known to have ended: only a process on this host can be asked."""
    if holder.host != socket.gethostname():
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's process (EPERM): alive
        return False
    return False


class Leases:
    """This process's leases on the accounts it polls, in one journal; see the module's docstring."""

    def __init__(self, journal: Journal, process: str, clock: Clock, *,
                 ended: Callable[[Holder], bool] = process_ended) -> None:
        self.journal = journal
        self.process = process
        self.clock = clock
        self.owner = secrets.token_hex(8)
        self.ended = ended
        self.others: dict[str, Holder] = {}  # accounts another process polls, by who
        self.waiting: set[str] = set()  # of those, the ones whose holder has published nothing since we asked

    def note(self, account: str) -> str | None:
        """Who polls `account` when another process does (for a header or a log line); None when this one does."""
        holder = self.others.get(account)
        if holder is None:
            return None
        if account in self.waiting:
            return f"polled by {holder.words()}, waiting for its next poll"
        return f"polled by {holder.words()}, read from the journal"

    async def poll(self, account: str, service: Provider, interval: float, now: Callable[[], float],
                   known_channels: Iterable[str] = ()) -> Polled:
        """Poll the account's service while this process holds its lease (publishing what it saw while another
        process reads it), else read the holder's latest publication (`Waiting` until there is one); a journal that
        fails leaves the poll to this process."""
        key = lease_key(account, service)
        claim = await self._claim(account, key, interval)
        if claim.other is not None:
            self.others[account] = claim.other
            started = self.clock.now()  # the holder publishes for a lease's time after each read
            published = await asyncio.to_thread(self.journal.follow, key, started, started + lease_seconds(interval))
            return self._read(account, claim.other, published)
        self.others.pop(account, None)
        self.waiting.discard(account)
        try:
            polled = await service.poll(now, known_channels)
        except MjtuiError as exc:
            if claim.wanted:
                await self._publish(account, key, now(), None, str(exc))
            raise
        if claim.wanted:
            await self._publish(account, key, polled.snapshot.at, dump_snapshot(polled.snapshot), None)
        return polled

    def release(self) -> None:
        """Give up every lease (this process is ending), so another mjtui takes over at its next poll."""
        try:
            self.journal.release(self.owner)
        except JournalError as exc:
            log.warning("could not release the journal's leases: %s", exc)

    async def _claim(self, account: str, key: str, interval: float) -> Claim:
        now = self.clock.now()
        claimant = Holder(self.owner, os.getpid(), socket.gethostname(), self.process, now + lease_seconds(interval))
        try:
            return await asyncio.to_thread(self.journal.claim, key, claimant, now, self.ended)
        except JournalError as exc:
            log.warning("journal lease on %s: %s; polling it here", account, exc)
            return Claim(None)

    async def _publish(self, account: str, key: str, at: float, snapshot: str | None, error: str | None) -> None:
        try:
            await asyncio.to_thread(self.journal.publish, key, self.owner, at, snapshot, error)
        except JournalError as exc:
            log.warning("journal: could not publish the poll of %s: %s", account, exc)

    def _read(self, account: str, holder: Holder, published: Published | None) -> Polled:
        """The holder's latest publication as a poll's answer; its failure as an error; none yet as `Waiting`."""
        if published is None or published.holder.owner != holder.owner:
            raise MjtuiError(f"{holder.words()} polls it; its lease changed hands, read again at the next poll")
        if published.error is None and published.snapshot is None:
            self.waiting.add(account)
            raise Waiting(account)
        self.waiting.discard(account)
        if published.error is not None:
            raise MjtuiError(f"{holder.words()}: {published.error}")
        snapshot = load_snapshot(published.snapshot or "")
        if snapshot is None:
            raise MjtuiError(f"{holder.words()} polls it; what it published is not readable by this mjtui")
        return Polled(snapshot, dict)
