"""The dashboard left open for hours against a service that misbehaves (issue 6, "Faults").

One short test per fault shows what a user sees; the soak mixes them all for simulated hours (a short
one in the default run, a long one marked `soak`: `pytest -m soak`). The session these tests step
through simulated time (a fault injector in front of the simulated service, a recorder in front of
that, the dashboard headless on a hand-driven clock) is support/soak.py's.

Here, on purpose: a timeout fault holds its answer for 1 s (HANG), past the clients' 0.25 s timeout;
and the screen repaints 4 times a real second instead of 60: painting frames no terminal shows would
take most of the run.
"""

from __future__ import annotations

import itertools
import logging
import re
import tracemalloc
from collections import Counter, defaultdict

import pytest
import textual.screen
from support.dashboard import account_panes, banner, header_text, plain
from support.soak import (
    QUIET,
    REFRESH,
    STEP,
    Session,
    assert_polls_never_overlap,
    health_words,
    running,
    submit_jobs,
)
from textual.widgets import Static

from mjtui.clock import ManualClock
from mjtui.monitor.health import BACKOFF_CAP, Health
from mjtui.sim.faults import FaultProfile
from mjtui.store import Journal
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.panels import FINISHED_KEEP, FinishedTable

HANG = 1.0  # real seconds a timeout fault holds its answer: past the client's timeout
GET_ATTEMPTS = 1  # the dashboard's clients do not retry: the poll loop paces every attempt
HOUR = 3600.0


@pytest.fixture(autouse=True)
def _few_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textual.screen, "UPDATE_PERIOD", 0.25)


# -- what must hold ------------------------------------------------------------------------------------


def assert_rate_within_the_interval(s: Session) -> None:
    """Never two list GETs of an account closer than the interval, failing or not; after a 429, not before
    its Retry-After; and never a silence longer than the back-off cap unless the account is halted.

    A user's ctrl+r or reset polls at once, so a gap holding one is not judged.
    """
    retry_after = s.injector.profile.retry_after
    for name, account in s.sim.world.accounts.items():
        polls = s.recorder.polls(account.token)
        assert len(polls) > 1, f"{name} was hardly polled"
        for poll, following in itertools.pairwise(polls):
            assert len(poll.gets) <= GET_ATTEMPTS, f"{name}: {len(poll.gets)} list GETs at one instant"
            if any(poll.at < pressed <= following.at for pressed in s.user_polls):
                continue
            gap = following.at - poll.at
            assert gap >= REFRESH, f"{name}: a poll at {poll.at} ({'good' if poll.at in s.successes[name] else 'failed'}) " \
                                   f"was followed {gap:g}s later"
            if poll.gets[-1].status == 429:
                assert gap >= retry_after, f"{name}: polled {gap:g}s after a 429 that said Retry-After {retry_after:g}"
            if poll.gets[-1].status not in (401, 596):
                assert gap <= BACKOFF_CAP + STEP, f"{name}: not polled for {gap:g}s"


async def assert_back_to_live_within_one_interval(s: Session) -> None:
    """The faults stop; one interval later (or at a back-off already scheduled past it) every account is live
    and its panes show what the service listed at that poll."""
    s.injector.profile = FaultProfile()
    world = s.sim.world
    for account in world.accounts.values():
        account.revoked = False
    for channel in world.channels.values():
        channel.pending_mod = False
    if any(state.status.health.halted for state in s.app.accounts.values()):
        await s.press("ctrl+r")  # halted accounts wait for the user
    stopped = s.clock.now()
    deadline = {}
    for name, state in s.app.accounts.items():
        retry_at = state.status.retry_at if state.status.health is Health.RETRYING else None
        deadline[name] = stopped + max(REFRESH, (retry_at or stopped) - stopped)
    await s.run(max(deadline.values()) - stopped, react=False)
    for name, state in s.app.accounts.items():
        assert state.status.health is Health.LIVE, f"{name} is {state.status.health} after the faults stopped"
        assert health_words(s.app, name) == "live"
        assert not banner(s.app, name).has_class("-visible")
        last = s.recorder.last_valid(s.token(name))
        assert last is not None and last.at == state.status.last_ok_at
        for channel_id, pane in account_panes(s.app, name).items():
            assert set(pane.rows) == last.job_ids.get(channel_id, set()), "the panes show what the service listed"


def assert_memory_bounded(s: Session) -> None:
    app = s.app
    finished = app.query_one(FinishedTable)
    assert s.most_finished_rows <= FINISHED_KEEP
    assert len(finished.jobs) == finished.row_count <= FINISHED_KEEP, "the finished list keeps a record per row, no more"
    assert not app.dispatcher.in_flight, f"actions still marked in flight: {app.dispatcher.in_flight}"
    assert s.most_pending_timers <= 4 + 2 * len(app.accounts), f"{s.most_pending_timers} timers were pending at once"
    assert len(app.workers) == 0, "every worker finished"
    assert app.journal_link is None or app.journal_link.waiting_finals() <= 50, "finals wait for the next poll only"
    for name in app.accounts:
        shown = account_panes(app, name)
        assert set(shown) <= set(s.sim.world.accounts[name].channels), "a pane per channel, never more"
        for pane in shown.values():
            channel = s.sim.world.channels[pane.channel_id]
            assert len(pane.jobs) <= channel.max_jobs + 2, "a pane keeps the running jobs, not every job it saw"
            assert set(pane.details) <= set(pane.jobs) and set(pane.new_until) <= set(pane.jobs)
            assert pane.row_count == len(pane.jobs)


def assert_journal_intact(s: Session, journal: Journal) -> None:
    """After the app exited (its writer flushed and closed): the file is sound and holds what was seen."""
    with journal._lock:
        assert journal._conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    entries = journal.history(limit=None)
    recorded = defaultdict(set)
    for entry in entries:
        recorded[entry.account].add(entry.job_id)
    for name in s.sim.world.accounts:
        seen = s.recorder.seen[s.token(name)]
        assert seen, f"{name}: no valid running list was ever served"
        missing = seen - recorded[name]
        assert not missing, f"{name}: {len(missing)} jobs the dashboard was shown are not in the journal"
    finished = [entry for entry in entries if entry.final_status is not None]
    statuses = Counter(entry.final_status for entry in finished)
    assert statuses["completed"] and statuses["failed"] + statuses["moderated"], statuses
    for entry in finished:
        assert entry.record is not None and entry.record.get("jobid") == entry.job_id


def tui_memory(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes held by the dashboard's own objects (Textual, Rich, the TUI, its client and monitor), not the simulator's."""
    keep = [tracemalloc.Filter(True, f"*{part}*") for part in ("textual", "rich", "mjtui/tui", "mjtui/monitor", "mjtui/api")]
    return sum(stat.size for stat in snapshot.filter_traces(keep).statistics("filename"))


# -- one short test per fault: what the user sees, and the recovery -----------------------------------


RETRYING = [
    pytest.param(FaultProfile(rate_limit=1.0, retry_after=15.0), "429 Too Many Requests", id="rate_limit-429-with-retry-after"),
    pytest.param(FaultProfile(server_error=1.0), "Upstream Error", id="server_error-500-502"),
    pytest.param(FaultProfile(timeout=1.0, hang_seconds=HANG), "no answer in time", id="timeout"),
    pytest.param(FaultProfile(drop=1.0), "connection lost", id="drop-connection"),
    pytest.param(FaultProfile(malformed=1.0), "not JSON", id="malformed-json"),
    pytest.param(FaultProfile(schema=1.0), "unexpected answer", id="schema-violating-json"),
]


@pytest.mark.parametrize(("fault", "reason"), RETRYING)
async def test_a_failed_poll_shows_retrying_keeps_the_last_jobs_and_recovers(clock, caplog, fault, reason):
    caplog.set_level(logging.WARNING, logger="mjtui")
    async with running(clock, FaultProfile(), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        app = s.app
        shown = {channel: set(pane.rows) for channel, pane in account_panes(app).items()}
        assert health_words(app) == "live" and all(shown.values())
        s.injector.profile = fault
        await s.run(REFRESH)
        assert health_words(app).startswith("retrying in "), header_text(app)
        assert "1 error" in header_text(app)
        assert not banner(app).has_class("-visible"), "a passing fault is not a halt"
        assert {channel: set(pane.rows) for channel, pane in account_panes(app).items()} == shown, "the last good jobs stay"
        assert any(reason in record.getMessage() for record in caplog.records), "the reason is logged"
        failed = s.recorder.polls(s.token())[-1]
        assert len(failed.gets) == GET_ATTEMPTS, "one list GET per poll: the poll loop, not the client, retries"
        if fault.rate_limit:
            retry_in = int(re.search(r"retrying in (\d+)s", header_text(app)).group(1))
            wait = max(REFRESH, fault.retry_after)  # never sooner than the interval, nor than Retry-After
            assert retry_in == wait - (s.clock.now() - failed.at), "the wait honours Retry-After and the interval"
        s.injector.profile = FaultProfile()
        retry_at = app.accounts["main"].status.retry_at
        await s.run(retry_at - s.clock.now() + STEP)
        assert health_words(app) == "live"
        assert "0 errors" in header_text(app), "the error count is of errors since the last good poll"
        if fault.rate_limit:
            first_after = next(p for p in s.recorder.polls(s.token()) if p.at > failed.at)
            assert first_after.at - failed.at >= fault.retry_after, "not polled before the Retry-After"


async def test_slow_answers_keep_the_account_live_and_show_the_latency(clock):
    async with running(clock, FaultProfile(slow=1.0, slow_seconds=0.06), before=lambda sim: submit_jobs(sim, clock),
                       **QUIET) as s:
        await s.run(3 * REFRESH)
        assert health_words(s.app) == "live"
        latency = int(re.search(r"· (\d+) ms ·", header_text(s.app)).group(1))
        assert latency >= 60, header_text(s.app)
        assert "0 errors" in header_text(s.app)


async def test_a_job_that_vanishes_shows_as_gone_and_reappears_in_its_pane(clock):
    async with running(clock, FaultProfile(), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        app, world = s.app, s.sim.world
        vanished: list[str] = []

        def once(jobid: str) -> None:
            vanished.append(jobid)
            s.injector.profile = FaultProfile()  # one job vanishes, at the next request

        s.vanishing.then = once
        s.injector.profile = FaultProfile(vanish=1.0)
        await s.run(REFRESH)
        (jobid,) = vanished
        job = s.vanishing.gone[0][1]
        assert all(jobid not in pane.rows for pane in account_panes(app, job.account).values())
        finished = app.query_one(FinishedTable)
        assert finished.get_cell(jobid, "status").plain == "gone"
        assert "404" in finished.get_cell(jobid, "note").plain
        assert s.vanishing.reappear(older_than=world.now) == [jobid]
        await s.run(REFRESH)
        assert jobid in account_panes(app, job.account)[job.channel].rows, "back in its channel's pane"
        await s.run(job.finish_at - world.now + 2 * REFRESH)
        assert finished.get_cell(jobid, "status").plain == "completed", "the final fetch settles it"


async def test_401_mid_session_halts_that_account_only_until_the_token_is_fixed_and_ctrl_r(clock):
    async with running(clock, FaultProfile(revoke_after=30.0), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        app = s.app
        await s.run(40, react=False)
        assert health_words(app) == "unauthorized"
        assert banner(app).has_class("-visible") and "press ctrl+r" in plain(banner(app))
        assert health_words(app, "alt1") == "live", "the other account carries on"
        gets = len(s.recorder.lists(s.token()))
        await s.run(5 * REFRESH, react=False)
        assert len(s.recorder.lists(s.token())) == gets, "a halted account is not polled"
        assert health_words(app, "alt1") == "live"
        s.sim.world.accounts["main"].revoked = False
        await s.press("ctrl+r")
        assert health_words(app) == "live" and not banner(app).has_class("-visible")


async def test_596_mid_session_halts_behind_a_banner_and_a_confirmed_reset_resumes(clock):
    async with running(clock, FaultProfile(moderation_after=30.0), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        app, world = s.app, s.sim.world
        halted = next(iter(world.channels))
        await s.run(40, react=False)
        assert health_words(app) == "moderation pending"
        assert f"Moderation pending on channel {halted}" in plain(banner(app))
        assert health_words(app, "alt1") == "live"
        await s.press("R")
        assert isinstance(app.screen, ConfirmScreen), "a reset is confirmed first"
        assert halted in plain(app.screen.query_one("#question", Static))
        assert world.channels[halted].pending_mod, "nothing is sent before yes"
        await s.press("y")
        assert not world.channels[halted].pending_mod, "the reset reached the service"
        assert health_words(app) == "live" and not banner(app).has_class("-visible")
        assert ("POST", f"/v2/account/midjourney/{halted}/reset") in {(m, p) for m, p, _ in s.recorder.others}


async def test_a_job_id_listed_on_two_channels_is_shown_on_both_and_finishes_once(clock):
    journal = Journal(":memory:", clock=clock)
    async with running(clock, FaultProfile(), journal=journal, before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        s.duplicate_a_job()
        jobid, source, target = s.duplicate
        await s.run(REFRESH)
        s.check_duplicate()
        assert s.duplicate_shown
        gauges = account_panes(s.app)[target].gauges.jobs.render().plain
        assert gauges.endswith(f"{len(s.sim.world.channels[target].running)}/3 FULL"), gauges
        s.undo_duplicate()
        await s.run(REFRESH)
        assert jobid in account_panes(s.app)[source].rows and jobid not in account_panes(s.app)[target].rows
        job = s.sim.world.jobs[jobid]
        await s.run(job.finish_at - s.sim.world.now + REFRESH)
        finished = s.app.query_one(FinishedTable)
        assert finished.ordered_keys.count(jobid) == 1
        assert finished.get_cell(jobid, "status").plain == "completed"
        assert all(jobid not in pane.rows for pane in account_panes(s.app).values())
    entry = journal.entry("main", jobid)
    assert entry is not None and entry.final_status == "completed"


@pytest.mark.parametrize("skew", [-300.0, 300.0], ids=["service-5-min-behind", "service-5-min-ahead"])
async def test_clock_skew_does_not_change_elapsed_times(clock, skew):
    async with running(clock, FaultProfile(), skew=skew, **QUIET) as s:
        world = s.sim.world
        channel = next(iter(world.channels.values()))
        job = world.submit(world.accounts[channel.account], "a skewed lighthouse", channel.id)
        await s.run(30)
        pane = account_panes(s.app, channel.account)[channel.id]
        served = world.now - job.created
        shown = pane.get_cell(job.jobid, "elapsed").plain
        assert shown == f"{int(served) // 60}:{int(served) % 60:02d}", "elapsed is the service's count, not our clock's"


# -- a failing service: how often it is asked -----------------------------------------------------------


async def test_a_failing_service_is_not_polled_more_often_than_the_interval(clock):
    async with running(clock, FaultProfile(), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        s.injector.profile = FaultProfile(server_error=1.0)
        start = s.clock.now()
        await s.run(60, step=1.0, react=False)
        polls = [poll.at - start for poll in s.recorder.polls(s.token()) if poll.at >= start - REFRESH]
        gaps = [later - earlier for earlier, later in itertools.pairwise(polls)]
        assert min(gaps) >= REFRESH, f"polled at {polls} s (the service failing from 0 s)"


async def test_a_poll_of_a_failing_service_is_one_list_get(clock):
    async with running(clock, FaultProfile(), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        s.injector.profile = FaultProfile(server_error=1.0)
        await s.run(REFRESH, react=False)
        assert [len(poll.gets) for poll in s.recorder.polls(s.token())] == [1, 1]


async def test_after_a_five_minute_outage_polls_have_backed_off_and_it_is_live_within_the_cap(clock):
    """A failing service is asked less and less often (up to once a minute); once it is back, the
    dashboard is live by the next attempt: at most the 60 s cap (plus one step) after it recovered.

    The issue asks for "back within one interval"; with the back-off the issues also ask for (cap 60 s),
    a long outage can only be noticed as over at the next attempt. Sporadic faults (the soak) recover
    within one interval, which the soak test checks.
    """
    async with running(clock, FaultProfile(), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        s.injector.profile = FaultProfile(server_error=1.0)
        start = s.clock.now()
        await s.run(300, react=False)
        polls = [poll.at - start for poll in s.recorder.polls(s.token()) if poll.at >= start]
        gaps = [later - earlier for earlier, later in itertools.pairwise(polls)]
        assert gaps and min(gaps) >= REFRESH and max(gaps) <= BACKOFF_CAP, gaps
        assert gaps[-1] > 3 * REFRESH, f"the waits grew: {gaps}"
        s.injector.profile = FaultProfile()
        await s.run(BACKOFF_CAP + STEP, react=False)
        assert health_words(s.app) == "live", header_text(s.app)


# -- the soak -----------------------------------------------------------------------------------------


def soak_faults(hours: float) -> FaultProfile:
    return FaultProfile(
        rate_limit=0.03, retry_after=15.0,  # 429 with Retry-After: the next poll waits 15 s, not the interval's 10
        server_error=0.03,  # 500 / 502
        slow=0.05, slow_seconds=0.01,
        timeout=0.004, hang_seconds=HANG,
        drop=0.02,
        malformed=0.02, schema=0.02,
        vanish=0.01,
        revoke_after=0.4 * hours * HOUR,  # 401 mid-session
        moderation_after=0.7 * hours * HOUR,  # 596 mid-session
    )


async def soak(clock: ManualClock, hours: float, *, measure_memory: bool = False) -> None:
    journal = Journal(":memory:", clock=clock)
    world = {"channels": 3, "accounts": 2, "max_jobs": 4, "speed_scale": 6.0, "warmup": 1200.0}
    async with running(clock, soak_faults(hours), journal=journal, skew=-97.0, **world) as s:
        start = clock.now()
        every = 6 * HOUR  # a long soak gets a 401 and a 596 again every 6 hours
        next_incident = start + every
        incidents = 0
        memory: list[int] = []

        def each_step() -> None:
            nonlocal next_incident, incidents
            elapsed = clock.now() - start
            if s.duplicate is None and elapsed >= 0.15 * hours * HOUR:
                s.duplicate_a_job()
            if elapsed >= 0.3 * hours * HOUR:
                s.undo_duplicate()
            s.check_duplicate()
            s.vanishing.reappear(older_than=s.sim.world.now - 2 * REFRESH)
            s.check_reappeared()
            if clock.now() >= next_incident:
                sim_world = s.sim.world
                (sim_world.schedule_revoke if incidents % 2 == 0 else sim_world.schedule_moderation)(60.0)
                incidents += 1
                next_incident += every / 2
            if measure_memory and elapsed >= (len(memory) + 1) * hours * HOUR / 6:
                memory.append(tui_memory(tracemalloc.take_snapshot()))

        if measure_memory:
            tracemalloc.start()
        try:
            await s.run(hours * HOUR, each_step=each_step)
        finally:
            tracemalloc.stop()
        injected = s.injector.injected
        for fault in ("rate_limit", "server_error", "slow", "timeout", "drop", "malformed", "schema", "vanish"):
            assert injected.get(fault, 0) > 0, f"the soak never injected {fault}: {injected}"
        assert s.halts["401"] >= 1 and s.halts["596"] >= 1, f"a 401 and a 596 mid-session: {dict(s.halts)}"
        assert {"live", "retrying", "unauthorized", "moderation"} <= s.words_seen, s.words_seen
        assert s.duplicate_shown, "the job listed on two channels was shown in both panes"
        assert s.vanishing.returned and s.reappeared_shown, "vanished jobs came back and were shown again"
        assert_polls_never_overlap(s)
        assert_rate_within_the_interval(s)
        await assert_back_to_live_within_one_interval(s)
        assert_memory_bounded(s)
        if measure_memory:  # a sample every sixth of the run; by the second, the finished list and caches are full
            baseline, later = memory[1], memory[2:]
            assert max(later) <= 1.1 * baseline + 1_000_000, f"the dashboard's memory kept growing: {memory}"
    assert_journal_intact(s, journal)


@pytest.fixture
def quiet_log(caplog: pytest.LogCaptureFixture) -> None:
    """Only errors from mjtui's log: pytest keeps every record of a test, and each failed poll's warning
    holds its exception (and that its traceback's frames) until the test ends, which over simulated hours
    is memory the dashboard itself does not keep."""
    caplog.set_level(logging.ERROR, logger="mjtui")


async def test_hours_of_mixed_faults_leave_the_dashboard_live_polite_bounded_and_its_journal_intact(clock, quiet_log):
    await soak(clock, hours=1)


@pytest.mark.soak
async def test_seventy_two_hours_of_mixed_faults(clock, quiet_log):
    await soak(clock, hours=72, measure_memory=True)
