"""Which jobs that left the running list get a detail GET (`mjtui.monitor.finals`), on a hand-driven clock.

The dashboard's own tests show what a user sees; these pin the rules one at a time: the backlog
is bounded and coalesced, a job with a final state is not fetched twice, a list that drops nearly
every job is confirmed before anything is fetched, a 429 pauses the account's fetches.
"""

from __future__ import annotations

from mjtui.clock import ManualClock
from mjtui.monitor.finals import (
    FINAL_ATTEMPTS,
    FLAP_MIN_JOBS,
    Departed,
    FinalFetches,
    FinalMemory,
)


def jobs(count: int, prefix: str = "j") -> list[Departed]:
    return [Departed("c1", f"{prefix}{n}") for n in range(count)]


def ids(items: list[Departed]) -> list[str]:
    return [job.job_id for job in items]


def drain(finals: FinalFetches, now: float, *, final: bool = True) -> list[str]:
    """Fetch everything waiting, one at a time, answering each as final (or not)."""
    fetched = []
    while (job := finals.take(now)) is not None:
        finals.fetched(job, final, now)
        fetched.append(job.job_id)
    return fetched


def test_past_the_cap_the_oldest_waiting_jobs_are_given_up_and_counted() -> None:
    finals = FinalFetches(cap=5)
    assert finals.polled(jobs(3, "a"), set(), before=100, now=0.0) == []
    dropped = finals.polled(jobs(4, "b"), set(), before=100, now=10.0)
    assert ids(dropped) == ["a0", "a1"], "the oldest go first"
    assert list(finals.waiting) == ["a2", "b0", "b1", "b2", "b3"]
    assert (finals.backlog, finals.most_waiting, finals.given_up) == (5, 5, 2)


def test_a_job_waits_once_and_a_job_listed_again_before_its_turn_is_not_fetched() -> None:
    finals = FinalFetches()
    first = jobs(3)
    finals.polled(first, set(), before=50, now=0.0)
    in_flight = finals.take(0.0)
    assert in_flight is not None
    finals.polled(first, {"j2"}, before=50, now=10.0)  # reported again (a duplicate diff), and j2 is listed again
    assert list(finals.waiting) == ["j1"], "queued once; j2 runs after all"
    finals.polled([in_flight], set(), before=50, now=20.0)
    assert in_flight.job_id not in finals.waiting, "already being fetched"


def test_a_job_with_a_final_state_is_not_fetched_again_until_the_memory_forgets_it() -> None:
    memory = FinalMemory(size=100, seconds=3600.0)
    finals = FinalFetches(memory=memory)
    finals.polled(jobs(2), set(), before=50, now=0.0)
    finished = finals.take(0.0)
    still_running = finals.take(0.0)
    assert finished is not None and still_running is not None
    finals.fetched(finished, True, 0.0)
    finals.fetched(still_running, False, 0.0)
    finals.polled([finished, still_running], set(), before=50, now=60.0)  # listed again, then gone again
    assert list(finals.waiting) == [still_running.job_id], "only the job that had no final state is asked again"
    drain(finals, 60.0)
    finals.polled([finished], set(), before=50, now=3601.0)
    assert list(finals.waiting) == [finished.job_id], "remembered for an hour, then forgotten"


def test_the_memory_keeps_the_newest_ids_up_to_its_size() -> None:
    memory = FinalMemory(size=3, seconds=10.0)
    for n in range(5):
        memory.remember(f"j{n}", float(n))
    assert len(memory) == 3
    assert [memory.knows(f"j{n}", 5.0) for n in range(5)] == [False, False, True, True, True]
    assert not memory.knows("j4", 14.0), "expired by the clock"


def test_a_list_that_drops_nearly_every_job_is_held_and_a_list_back_in_full_fetches_nothing() -> None:
    finals = FinalFetches()
    listed = jobs(300)
    everything = set(ids(listed))
    for poll in range(10):
        finals.polled(listed, set(), before=300, now=20.0 * poll)  # the list comes back empty
        assert finals.waiting == {} and len(finals.held) == 300, "held until the next poll says"
        finals.polled([], everything, before=0, now=20.0 * poll + 10)  # and full again
        assert finals.waiting == {} and finals.held == {}
    assert drain(finals, 200.0) == []


def test_a_drop_the_next_poll_confirms_is_fetched_in_full() -> None:
    finals = FinalFetches(cap=1_000)
    listed = jobs(300)
    finals.polled(listed, set(), before=300, now=0.0)
    assert finals.waiting == {}
    finals.polled([], {"j7"}, before=0, now=10.0)  # still gone, all but one that is listed again
    assert len(finals.waiting) == 299 and "j7" not in finals.waiting
    assert len(drain(finals, 10.0)) == 299


def test_small_lists_and_partial_drops_are_fetched_at_once() -> None:
    few = FinalFetches()
    few.polled(jobs(FLAP_MIN_JOBS - 1), set(), before=FLAP_MIN_JOBS - 1, now=0.0)
    assert len(few.waiting) == FLAP_MIN_JOBS - 1, "a small list emptying is what finishing looks like"
    some = FinalFetches()
    some.polled(jobs(80), set(), before=300, now=0.0)
    assert len(some.waiting) == 80


def test_fetch_loops_start_up_to_the_limit_and_only_for_jobs_nobody_will_take() -> None:
    finals = FinalFetches(concurrency=8)
    finals.polled(jobs(3), set(), before=100, now=0.0)
    assert finals.fetchers_to_start(0.0) == 3
    assert finals.fetchers_to_start(0.0) == 0, "three loops are about to take the three jobs"
    for _ in range(3):
        finals.take(0.0)
    finals.polled(jobs(20, "k"), set(), before=100, now=1.0)
    assert finals.fetchers_to_start(1.0) == 5, "up to 8 at once"
    assert [finals.fetcher_stopped() for _ in range(8)] == [False] * 7 + [True]


def test_a_429_pauses_the_accounts_fetches_for_its_retry_after_and_keeps_the_job_first() -> None:
    clock = ManualClock(0.0)
    finals = FinalFetches()
    finals.polled(jobs(3), set(), before=100, now=clock.now())
    job = finals.take(clock.now())
    assert job is not None
    assert finals.rate_limited(job, clock.now(), retry_after=15.0)
    assert finals.take(clock.now()) is None and finals.fetchers_to_start(clock.now()) == 0
    clock.advance(14.9)
    assert finals.take(clock.now()) is None
    clock.advance(0.1)
    assert finals.take(clock.now()) == job, "tried again first, when the wait is over"


def test_a_job_answered_429_again_and_again_is_given_up_after_its_tries() -> None:
    finals = FinalFetches()
    finals.polled(jobs(1), set(), before=100, now=0.0)
    answers = []
    now = 0.0
    for _ in range(FINAL_ATTEMPTS):
        job = finals.take(now)
        assert job is not None
        answers.append(finals.rate_limited(job, now, retry_after=None))
        now += 60.0
    assert answers == [True] * (FINAL_ATTEMPTS - 1) + [False]
    assert finals.backlog == 0 and finals.attempts == {}
