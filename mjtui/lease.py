"""One process polls an account per journal: the others read what it saw from the journal.

`mjtui metrics` and the dashboard both poll through `Leases`. Before each poll of an account it claims (or renews)
the account's lease in the journal: while it holds it, it polls the service and publishes the snapshot; while
another process holds it, the poll reads that process's latest snapshot instead, and `note()` says who polls. A
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
from mjtui.providers import Polled, Provider
from mjtui.store import Holder, Journal, JournalError

LEASE_INTERVALS = 3  # a lease lasts this many polling intervals unrenewed ...
LEASE_FLOOR = 60.0  # ... and at least this many seconds: a back-off (60 s at most) never loses it

_SNAPSHOT = TypeAdapter(Snapshot)


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

    def note(self, account: str) -> str | None:
        """Who polls `account` when another process does (for a header or a log line); None when this one does."""
        holder = self.others.get(account)
        return None if holder is None else f"polled by {holder.words()}, read from the journal"

    async def poll(self, account: str, service: Provider, interval: float, now: Callable[[], float],
                   known_channels: Iterable[str] = ()) -> Polled:
        """Poll the account's service while this process holds its lease (publishing what it saw), else read the
        holder's latest publication; a journal that fails leaves the poll to this process."""
        holder = await self._claim(account, interval)
        if holder is not None:
            self.others[account] = holder
            return await asyncio.to_thread(self._read, account, holder)
        self.others.pop(account, None)
        try:
            polled = await service.poll(now, known_channels)
        except MjtuiError as exc:
            await self._publish(account, now(), None, str(exc))
            raise
        await self._publish(account, polled.snapshot.at, dump_snapshot(polled.snapshot), None)
        return polled

    def release(self) -> None:
        """Give up every lease (this process is ending), so another mjtui takes over at its next poll."""
        try:
            self.journal.release(self.owner)
        except JournalError as exc:
            log.warning("could not release the journal's leases: %s", exc)

    async def _claim(self, account: str, interval: float) -> Holder | None:
        now = self.clock.now()
        claimant = Holder(self.owner, os.getpid(), socket.gethostname(), self.process,
                          now + max(LEASE_FLOOR, LEASE_INTERVALS * interval))
        try:
            return await asyncio.to_thread(self.journal.claim, account, claimant, now, self.ended)
        except JournalError as exc:
            log.warning("journal lease on %s: %s; polling it here", account, exc)
            return None

    async def _publish(self, account: str, at: float, snapshot: str | None, error: str | None) -> None:
        try:
            await asyncio.to_thread(self.journal.publish, account, self.owner, at, snapshot, error)
        except JournalError as exc:
            log.warning("journal: could not publish the poll of %s: %s", account, exc)

    def _read(self, account: str, holder: Holder) -> Polled:
        """The holder's latest publication as a poll's answer; its failure, or none yet, as an error."""
        published = self.journal.published(account)
        if published is None or published.holder.owner != holder.owner:
            raise MjtuiError(f"{holder.words()} polls it; its lease changed hands, read again at the next poll")
        if published.error is not None:
            raise MjtuiError(f"{holder.words()}: {published.error}")
        snapshot = load_snapshot(published.snapshot) if published.snapshot is not None else None
        if snapshot is None:
            raise MjtuiError(f"{holder.words()} polls it; nothing readable published yet")
        return Polled(snapshot, dict)
