"""Which jobs that left the running list get a detail GET for their final state, and when.

A job that leaves an account's running list is fetched once to learn what became of it.
Per account, `FinalFetches` keeps:
- the backlog: jobs waiting for that GET, each once (a job listed again before its turn
  leaves the backlog), at most FINAL_BACKLOG_CAP; past the cap the oldest are given up and
  shown as "final state not fetched" instead of waiting forever behind newer ones;
- how many fetch at once (FINAL_FETCHES_PER_ACCOUNT), and a pause after a 429;
- the memory of jobs that already have a final state (`FinalMemory`), so a job that
  leaves, is listed again and leaves again is neither fetched nor announced twice;
- a suspicion: a poll that drops nearly every job of a big list (FLAP_MIN_JOBS or more,
  FLAP_SHARE of them) is held until the next poll confirms it, so a list flapping
  between full and empty costs no detail GETs.
Nothing here does I/O or reads a clock: callers pass the injected clock's time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Container, Iterable
from dataclasses import dataclass, field

# useapi documents no rate for the job endpoint, only 429 with Retry-After (honoured below); 8 at once
# per account drains ~26 jobs a second with the service 0.3 s away, past a full account's churn.
FINAL_FETCHES_PER_ACCOUNT = 8
FINAL_BACKLOG_CAP = 500  # jobs waiting per account: more than a full account's running list
FINAL_ATTEMPTS = 3  # a job answered 429 is tried again after Retry-After, this many times in all
RATE_LIMIT_PAUSE = 10.0  # seconds to pause after a 429 that gave no Retry-After
# Job ids remembered per account as having a final state (about 0.4 MB), each for at most an hour: a
# stale or flapping list shows a job again within minutes; at 5 jobs a second leaving, 2,000 is 7 minutes.
FINAL_MEMORY = 2_000
FINAL_MEMORY_SECONDS = 3600.0
FLAP_MIN_JOBS = 20  # a poll that drops at least this many jobs ...
FLAP_SHARE = 0.9  # ... and at least this share of the account's list is held until the next poll
NOT_FETCHED = f"left the list; final state not fetched (over {FINAL_BACKLOG_CAP} waiting)"


@dataclass(frozen=True, slots=True)
class Departed:
    """A job that left the running list: where it ran and its id."""

    channel: str
    job_id: str


class FinalMemory:
    """Ids of jobs known to have a final state: at most `size`, each for `seconds`, oldest forgotten first."""

    def __init__(self, size: int = FINAL_MEMORY, seconds: float = FINAL_MEMORY_SECONDS) -> None:
        self.size = size
        self.seconds = seconds
        self._at: OrderedDict[str, float] = OrderedDict()  # job id -> when it was remembered, oldest first

    def __len__(self) -> int:
        return len(self._at)

    def remember(self, job_id: str, now: float) -> None:
        self._at[job_id] = now
        self._at.move_to_end(job_id)
        self._forget(now)

    def knows(self, job_id: str, now: float) -> bool:
        """Whether `job_id` had a final state within the last `seconds`."""
        self._forget(now)
        return job_id in self._at

    def _forget(self, now: float) -> None:
        while self._at and (len(self._at) > self.size or next(iter(self._at.values())) <= now - self.seconds):
            self._at.popitem(last=False)


@dataclass(slots=True)
class FinalFetches:
    """One account's jobs waiting for their final state; see the module's docstring for the rules."""

    concurrency: int = FINAL_FETCHES_PER_ACCOUNT
    cap: int = FINAL_BACKLOG_CAP
    memory: FinalMemory = field(default_factory=FinalMemory)
    waiting: OrderedDict[str, Departed] = field(default_factory=OrderedDict)  # job id -> job, oldest first
    in_flight: set[str] = field(default_factory=set)
    held: dict[str, Departed] = field(default_factory=dict)  # suspected of a flapping list, until the next poll
    fetchers: int = 0  # fetch loops running, at most `concurrency`
    paused_until: float | None = None  # after a 429
    attempts: dict[str, int] = field(default_factory=dict)  # job id -> 429s so far
    most_waiting: int = 0  # the backlog's high-water mark (the benchmark reads it)
    given_up: int = 0  # jobs dropped past the cap, in all

    @property
    def backlog(self) -> int:
        """Jobs whose final state is still to come: waiting or being fetched."""
        return len(self.waiting) + len(self.in_flight)

    def polled(self, removed: Iterable[Departed], running: Container[str], before: int, now: float) -> list[Departed]:
        """A poll succeeded: `removed` left the list, `running` is every id it lists, `before` how many the last one did.

        Queues what needs a final state and returns the jobs given up because the backlog is full.
        """
        self._settle_held(running)
        removed = [job for job in removed if not self._known(job.job_id, now)]
        if len(removed) >= FLAP_MIN_JOBS and len(removed) >= FLAP_SHARE * before:
            self.held.update((job.job_id, job) for job in removed)  # confirmed or cleared by the next poll
            removed = []
        for job_id in [job_id for job_id in self.waiting if job_id in running]:
            del self.waiting[job_id]  # listed again before its turn: still running, nothing to fetch
        return self._queue(removed)

    def _settle_held(self, running: Container[str]) -> None:
        """Held jobs the list shows again were a flap (forgotten); the others really left (queued)."""
        confirmed = [job for job_id, job in self.held.items() if job_id not in running]
        self.held.clear()
        self.waiting.update((job.job_id, job) for job in confirmed)

    def _known(self, job_id: str, now: float) -> bool:
        return job_id in self.waiting or job_id in self.in_flight or job_id in self.held or self.memory.knows(job_id, now)

    def _queue(self, jobs: list[Departed]) -> list[Departed]:
        self.waiting.update((job.job_id, job) for job in jobs)
        dropped = []
        while len(self.waiting) > self.cap:
            dropped.append(self.waiting.popitem(last=False)[1])  # the oldest: its news is the stalest
        self.given_up += len(dropped)
        self.most_waiting = max(self.most_waiting, len(self.waiting))
        return dropped

    def fetchers_to_start(self, now: float) -> int:
        """How many more fetch loops to start now (counted as running from here)."""
        if self.is_paused(now):
            return 0
        idle = self.fetchers - len(self.in_flight)  # started, about to take a job
        more = max(0, min(self.concurrency - self.fetchers, len(self.waiting) - idle))
        self.fetchers += more
        return more

    def fetcher_stopped(self) -> bool:
        """A fetch loop ended; True when it was the last one (the batch can be announced)."""
        self.fetchers = max(0, self.fetchers - 1)
        return self.fetchers == 0

    def is_paused(self, now: float) -> bool:
        return self.paused_until is not None and now < self.paused_until

    def take(self, now: float) -> Departed | None:
        """The next job to fetch (now in flight), or None when none waits or fetching is paused."""
        if self.is_paused(now) or not self.waiting:
            return None
        _, job = self.waiting.popitem(last=False)
        self.in_flight.add(job.job_id)
        return job

    def take_many(self, now: float, count: int) -> list[Departed]:
        """Up to `count` jobs to fetch in one request (now in flight), oldest first."""
        jobs: list[Departed] = []
        while len(jobs) < count and (job := self.take(now)) is not None:
            jobs.append(job)
        return jobs

    def fetched(self, job: Departed, final: bool, now: float) -> None:
        """The detail GET answered (or failed for good); `final`: the job has its final state, remember it."""
        self.in_flight.discard(job.job_id)
        self.attempts.pop(job.job_id, None)
        if final:
            self.memory.remember(job.job_id, now)

    def rate_limited(self, job: Departed, now: float, retry_after: float | None) -> bool:
        """A 429: pause every fetch of the account and put the job back first; False when it has had its tries."""
        self.in_flight.discard(job.job_id)
        self.paused_until = max(self.paused_until or now, now + (retry_after or RATE_LIMIT_PAUSE))
        tries = self.attempts.get(job.job_id, 0) + 1
        if tries >= FINAL_ATTEMPTS:
            self.attempts.pop(job.job_id, None)
            return False
        self.attempts[job.job_id] = tries
        self.waiting[job.job_id] = job
        self.waiting.move_to_end(job.job_id, last=False)
        return True
