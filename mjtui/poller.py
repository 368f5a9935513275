"""Polling every account on the injected clock, and fetching the final state of each job that leaves: no Textual.

One list request per account per interval, never two at once; a failure backs off (`AccountStatus.failed`), a
halt (401 / 402 / 596) waits for `poll()` by hand. Jobs that leave the list go into the account's final-state
backlog (`FinalFetches`), fetched by a few loops per account and handed on in batches.

The dashboard is the poller's host: it runs the poller's coroutines as its workers (`PollerHost.run`) and hears
of each answer (`answered`), each batch of final states (`finals`) and the end of a round of fetches
(`finals_done`). Tests drive the same poller with `ManualTimers` on a `ManualClock`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from mjtui.api import errors
from mjtui.api.models import Job
from mjtui.clock import Clock
from mjtui.logs import log
from mjtui.monitor.finals import NOT_FETCHED, Departed, FinalFetches
from mjtui.monitor.health import MIN_INTERVAL, AccountStatus, Health
from mjtui.monitor.snapshot import Changes, Snapshot, diff
from mjtui.providers import Capability, Provider, Waiting
from mjtui.timers import TimerHandle, Timers

if TYPE_CHECKING:  # the journal's modules (sqlite3) are not on the first poll's way: see mjtui.tui.startup.LateStore
    from mjtui.connections import Connection
    from mjtui.lease import Leases

FINAL_BATCH = 50  # final states handed to the host at once, at most
FINAL_BATCH_SECONDS = 0.25  # ... or this often (real time), whichever comes first


@dataclass
class AccountState:
    """Everything known about one account between polls."""

    name: str
    provider: str
    connection: Connection | None
    problem: str | None = None
    status: AccountStatus = field(default_factory=AccountStatus)
    snapshot: Snapshot | None = None
    polling: bool = False
    timer: TimerHandle | None = None
    modes: dict[str, str] = field(default_factory=dict)
    channel_names: dict[str, str] = field(default_factory=dict)
    finals: FinalFetches = field(default_factory=FinalFetches)  # jobs that left the list, waiting for their final state
    final_batch: list[Final] = field(default_factory=list)  # fetched, not yet handed to the host
    batch_started: float = 0.0  # real time of the batch's first final
    finals_timer: TimerHandle | None = None  # resumes fetching after a 429
    last_poll_at: float | None = None  # (clock) when the last poll was sent

    @property
    def min_poll_seconds(self) -> float:
        """The shortest interval the service's rate limit allows between polls (0: no such limit); the dashboard
        says so when it is longer than the refresh interval asked for."""
        return self.connection.service.min_poll_seconds if self.connection else 0.0

    @property
    def service(self) -> Provider | None:
        """The account's service, when it is connected (an account with a config problem is not)."""
        return self.connection.service if self.connection else None

    def can(self, capability: Capability) -> bool:
        return self.connection is not None and self.connection.service.can(capability)


@dataclass(frozen=True)
class Final:
    """A job that left the running list, and what the job endpoint says became of it."""

    channel: str
    job_id: str
    job: Job | None
    error: str | None


@dataclass(frozen=True)
class Answer:
    """What one poll of an account brought: the new snapshot and what changed since the last, or the error."""

    account: str
    latency: float
    snapshot: Snapshot | None = None
    previous: Snapshot | None = None
    changes: Changes | None = None
    error: errors.MjtuiError | None = None


class PollerHost(Protocol):
    def run(self, work: Coroutine[Any, Any, None], description: str) -> None: ...

    def answered(self, answer: Answer) -> None: ...

    def finals(self, account: str, finals: list[Final]) -> None: ...

    def finals_done(self, account: str) -> None: ...


def internal_error(exc: Exception) -> errors.MjtuiError:
    """A bug must not take the monitor down: it becomes an error shown like any other."""
    return errors.MjtuiError(f"internal error: {type(exc).__name__}: {exc}")


class Poller:
    """Every account's polls and final-state fetches, paced by `timers` on `clock`."""

    def __init__(self, host: PollerHost, accounts: dict[str, AccountState], *, clock: Clock, timers: Timers,
                 refresh_seconds: float, rng: random.Random, leases: Leases | None = None) -> None:
        self.host = host
        self.leases = leases  # with a journal: one process polls an account, the others read what it saw
        self.accounts = accounts
        self.clock = clock
        self.timers = timers
        self.refresh_seconds = max(MIN_INTERVAL, refresh_seconds)
        self.rng = rng
        self.paused = False

    # -- polls ----------------------------------------------------------------------------------------

    def poll(self, account: str) -> None:
        """Start a poll of the account unless one is in flight, it is paused, or it cannot be polled."""
        state = self.accounts[account]
        if state.polling or not state.can(Capability.RUNNING_LIST) or self.paused:
            return
        self._disarm(state)
        now = self.clock.now()
        if state.last_poll_at is not None and now - state.last_poll_at < state.min_poll_seconds:
            self._arm(state, state.last_poll_at + state.min_poll_seconds - now)  # a key press, too soon: when allowed
            return
        state.polling = True
        state.last_poll_at = now
        self.host.run(self._poll(state), "poll")

    def interval(self, account: str) -> float:
        """How often the account is polled: the refresh interval, or longer where its service allows no more."""
        return max(self.refresh_seconds, self.accounts[account].min_poll_seconds)

    def poll_all(self) -> None:
        for name in self.accounts:
            self.poll(name)

    async def _poll(self, state: AccountState) -> None:
        service = state.service
        assert service is not None
        started = time.perf_counter()
        try:
            if self.leases is None:
                polled = await service.poll(self.clock.now, state.channel_names)
            else:
                polled = await self.leases.poll(state.name, service, self.interval(state.name), self.clock.now,
                                                state.channel_names)
        except Waiting:
            self._waiting(state)
        except errors.MjtuiError as exc:
            self._failed(state, exc, time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 - shown and logged, never fatal
            log.error("poll of %s failed", state.name, exc_info=exc)
            self._failed(state, internal_error(exc), time.perf_counter() - started)
        else:
            self._succeeded(state, polled.snapshot, time.perf_counter() - started)

    def _waiting(self, state: AccountState) -> None:
        """Nothing to read yet from the process that polls the account (its note says so): no news, no failure."""
        state.polling = False
        if not self.paused:
            self._arm(state, self.interval(state.name))

    def _failed(self, state: AccountState, error: errors.MjtuiError, latency: float) -> None:
        state.polling = False
        log.warning("poll of %s failed: %s", state.name, error)
        delay = state.status.failed(error, self.clock.now(), self.interval(state.name), self.rng)
        if delay is not None and not self.paused:
            self._arm(state, delay)
        self.host.answered(Answer(state.name, latency, error=error))

    def _succeeded(self, state: AccountState, fresh: Snapshot, latency: float) -> None:
        state.polling = False
        now = self.clock.now()
        state.status.succeeded(now, latency)
        previous = state.snapshot
        changes = diff(previous, fresh)
        state.snapshot = fresh
        self._queue_finals(state, changes, fresh, previous.total if previous else 0, now)
        if not self.paused:
            self._arm(state, self.interval(state.name))
        self.host.answered(Answer(state.name, latency, fresh, previous, changes))

    def _arm(self, state: AccountState, delay: float) -> None:
        state.timer = self.timers.call_later(delay, lambda: self.poll(state.name))

    @staticmethod
    def _disarm(state: AccountState) -> None:
        if state.timer is not None:
            state.timer.stop()
            state.timer = None

    # -- pace -----------------------------------------------------------------------------------------

    def pause(self) -> None:
        """No polls until `resume()`; the accounts say they are paused."""
        self.paused = True
        for state in self.accounts.values():
            state.status.paused = True
            self._disarm(state)

    def resume(self) -> None:
        """Live accounts poll now, a back-off keeps its Retry-After, halted ones wait for `poll()` by hand."""
        self.paused = False
        now = self.clock.now()
        for state in self.accounts.values():
            status = state.status
            status.paused = False
            if status.health is Health.PAUSED:
                status.health = Health.LIVE
            if status.health.halted:
                continue
            if status.health is Health.RETRYING and status.retry_at is not None and status.retry_at > now:
                self._disarm(state)
                self._arm(state, status.retry_at - now)
            else:
                self.poll(state.name)

    def set_refresh(self, seconds: float) -> None:
        """A new interval, from the next poll on (a waiting poll is moved; a back-off keeps its wait); never below
        what every account's service allows (polling no faster, a shorter interval would only be pretended)."""
        floor = min((state.min_poll_seconds for state in self.accounts.values()), default=0.0)
        self.refresh_seconds = max(MIN_INTERVAL, seconds, floor)
        for state in self.accounts.values():
            if state.timer is not None and not state.polling and state.status.health is not Health.RETRYING:
                self._disarm(state)
                self._arm(state, self.interval(state.name))

    # -- final states ---------------------------------------------------------------------------------

    def _queue_finals(self, state: AccountState, changes: Changes, fresh: Snapshot, before: int, now: float) -> None:
        """Jobs that left the list wait for their final state (see `FinalFetches`); past its cap, given up."""
        finals, removed = state.finals, changes.removed
        if not (removed or finals.held or finals.waiting):
            return
        running = {job_id for rows in fresh.jobs.values() for job_id in rows}
        dropped = finals.polled([Departed(row.channel, row.job_id) for row in removed], running, before, now)
        if dropped:
            self.host.finals(state.name, [Final(job.channel, job.job_id, None, NOT_FETCHED) for job in dropped])
        self._fetch_finals(state)

    def _fetch_finals(self, state: AccountState) -> None:
        """Start fetch loops up to the account's limit; after a 429, start them again when its wait is over."""
        now = self.clock.now()
        if state.service is not None and state.service.final_batch > 1:
            state.finals.concurrency = 1  # one loop, a request per batch: what leaves in one poll costs one request
        for _ in range(state.finals.fetchers_to_start(now)):
            self.host.run(self._final_fetcher(state), "fetch final states")
        paused_until = state.finals.paused_until
        if state.finals.is_paused(now) and paused_until is not None and state.finals_timer is None:
            state.finals_timer = self.timers.call_later(paused_until - now, lambda: self._resume_finals(state))

    def _resume_finals(self, state: AccountState) -> None:
        state.finals_timer = None
        self._fetch_finals(state)

    async def _final_fetcher(self, state: AccountState) -> None:
        """One of an account's fetch loops: the final state of each job that left the list, until none waits.

        Answers reach the host in batches (every FINAL_BATCH answers or FINAL_BATCH_SECONDS), not one by
        one: at a hundred busy channels a poll can see hundreds of jobs leave.
        """
        service, finals = state.service, state.finals
        try:
            if service is not None and service.final_batch > 1:
                while batch := finals.take_many(self.clock.now(), service.final_batch):
                    for each in await self._finals_of(service, finals, batch):
                        self._batch_final(state, each)
            while service is not None and (job := finals.take(self.clock.now())) is not None:
                final = await self._final_of(service, finals, job)
                if final is not None:
                    self._batch_final(state, final)
        finally:
            if finals.fetcher_stopped() and not _being_cancelled():  # cancelled: the app is closing
                self._flush_finals(state)
                self.host.finals_done(state.name)
                self._fetch_finals(state)  # stopped by a 429: arm the resumption

    async def _final_of(self, service: Provider, finals: FinalFetches, job: Departed) -> Final | None:
        """One detail GET; None when a 429 put the job back in the queue for later."""
        try:
            answer = await service.job(job.job_id)
        except errors.RateLimited as exc:
            if finals.rate_limited(job, self.clock.now(), exc.retry_after):
                return None
            return Final(job.channel, job.job_id, None, str(exc))
        except errors.MjtuiError as exc:
            finals.fetched(job, False, self.clock.now())
            return Final(job.channel, job.job_id, None, str(exc))
        finals.fetched(job, answer.is_final, self.clock.now())
        return Final(job.channel, job.job_id, answer, None)

    async def _finals_of(self, service: Provider, finals: FinalFetches, batch: list[Departed]) -> list[Final]:
        """One request for a batch of jobs' records (`Provider.finals`); the jobs a 429 put back are not in the list."""
        try:
            answers = await service.finals([job.job_id for job in batch])
        except errors.RateLimited as exc:
            now = self.clock.now()
            return [Final(job.channel, job.job_id, None, str(exc)) for job in batch
                    if not finals.rate_limited(job, now, exc.retry_after)]
        except errors.MjtuiError as exc:
            answers, problem = {}, str(exc)
        else:
            problem = "the service no longer knows this job"
        now, done = self.clock.now(), []
        for job in batch:
            answer = answers.get(job.job_id)
            finals.fetched(job, answer is not None and answer.is_final, now)
            done.append(Final(job.channel, job.job_id, answer, None if answer is not None else problem))
        return done

    def _batch_final(self, state: AccountState, final: Final) -> None:
        if not state.final_batch:
            state.batch_started = time.perf_counter()
        state.final_batch.append(final)
        if len(state.final_batch) >= FINAL_BATCH or time.perf_counter() - state.batch_started >= FINAL_BATCH_SECONDS:
            self._flush_finals(state)

    def _flush_finals(self, state: AccountState) -> None:
        if state.final_batch:
            self.host.finals(state.name, state.final_batch)
            state.final_batch = []


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0

