"""The dashboard and its journal: what it records, what it shows on start, and the history view (h)."""

from __future__ import annotations

import asyncio
import time

from support.dashboard import (
    SIZE,
    advance,
    banner,
    finish_time,
    focus_finished,
    focus_pane,
    header_text,
    make_dashboard,
    panes,
    plain,
    quiet,
    screen_text,
    settle,
    wire,
)
from support.metrics import advance as advance_exporter
from support.metrics import make_exporter
from support.metrics import settle as settle_exporter

from mjtui.lease import Leases
from mjtui.store import Journal
from mjtui.tui.formatting import short_job_id
from mjtui.tui.history import HistoryScreen
from mjtui.tui.inspector import InspectorScreen
from mjtui.tui.panels import FinishedTable

WIDE = (160, 48)  # two panes a row: room for a prompt beside the status


async def drain(pilot) -> None:
    """Let the journal's writer thread finish what was queued, then the UI handle the answers."""
    app = pilot.app
    if app.writer is not None:
        await asyncio.to_thread(app.writer.flush, 5)
    await settle(pilot)


async def test_every_job_seen_and_its_final_state_is_journalled_and_counts_show_under_the_pane(make_sim, clock):
    q = quiet(make_sim)
    journal = Journal(":memory:", clock=clock)
    app, timers = make_dashboard(q.sim, clock, journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await drain(pilot)
        seen = {entry.job_id for entry in journal.history(limit=None)}
        assert seen == {*q.jobs, q.lone}, "every running job is recorded on the first poll"
        await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 15)
        await drain(pilot)
        await advance(pilot, clock, timers, 10)  # the final state is written with the next poll
        await drain(pilot)
        entry = journal.entry("main", q.lone)
        assert entry is not None and entry.final_status == "completed"
        assert entry.job() is not None and entry.job().prompt == "a lone lighthouse"
        await advance(pilot, clock, timers, 60)  # the panes' 24 h counts refresh once a minute
        await drain(pilot)
        pane = next(p for p in app.query("ChannelPane") if p.channel_id == q.other)
        assert "24h 1 done, 0 failed" in str(pane.border_subtitle)


async def test_a_poll_that_changed_nothing_writes_no_job_and_running_jobs_read_as_seen_at_it(make_sim, clock):
    q = quiet(make_sim)
    journal = Journal(":memory:", clock=clock)
    app, timers = make_dashboard(q.sim, clock, journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await drain(pilot)
        assert min(finish_time(q.sim, job) for job in [*q.jobs, q.lone]) > 40, "no job finishes in this test"
        for _ in range(3):
            written = journal._conn.total_changes
            await advance(pilot, clock, timers, 10)
            await drain(pilot)
            assert journal._conn.total_changes - written == 1, "a quiet poll writes the account's poll time alone"
            running = journal.history(limit=None)
            assert {entry.job_id for entry in running} == {*q.jobs, q.lone}
            assert {entry.last_seen for entry in running} == {app.accounts["main"].status.last_ok_at}


async def test_on_start_the_journal_fills_recently_finished_before_any_poll_answers(make_sim, clock):
    q = quiet(make_sim)
    journal = Journal(":memory:", clock=clock)
    # A previous session saw this job finish.
    first, timers = make_dashboard(q.sim, clock, journal=journal)
    async with first.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 15)
    assert journal.entry("main", q.lone).final_status == "completed", "finals still pending are written on exit"
    q.sim.world.accounts["main"].revoked = True  # this session's polls all fail
    app, _timers = make_dashboard(q.sim, clock, journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        await drain(pilot)
        assert "unauthorized" in str(app.accounts["main"].status.health)
        table = app.query_one(FinishedTable)
        assert q.lone in table.rows


async def test_actions_and_seeds_go_into_the_audit_log(make_sim, clock):
    q = quiet(make_sim)
    journal = Journal(":memory:", clock=clock)
    app, timers = make_dashboard(q.sim, clock, journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.full)
        await pilot.press("x", "y")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await drain(pilot)
        actions = [(a.action, a.target, a.outcome) for a in journal.actions()]
        assert ("cancel", q.jobs[0], "ok") in actions
        assert ("relax", q.full, "ok") in actions


async def test_history_filters_by_status_and_search_and_opens_a_job_without_a_request(make_sim, clock):
    q = quiet(make_sim)
    journal = Journal(":memory:", clock=clock)
    w = wire(q.sim)
    app, timers = make_dashboard(q.sim, clock, journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_pane(pilot, q.full)
        await pilot.press("x", "y")  # one failed (cancelled) job
        await settle(pilot)
        await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 30)
        await drain(pilot)
        await pilot.press("escape")
        await focus_finished(pilot)
        await pilot.press("h")
        await drain(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        everything = {entry.job_id for entry in screen.entries.values()}
        assert {*q.jobs, q.lone} <= everything
        await pilot.press("a")  # status: completed
        await drain(pilot)
        completed = {entry.job_id for entry in screen.entries.values()}
        assert q.lone in completed and q.jobs[0] not in completed
        await pilot.press("a")  # status: failed
        await drain(pilot)
        assert screen.entries == {}, "a cancelled job is not a failed one"
        await pilot.press("a")  # status: cancelled
        await drain(pilot)
        assert {entry.job_id for entry in screen.entries.values()} == {q.jobs[0]}
        assert "status cancelled (a)" in plain(screen.query_one("#filters"))
        await pilot.press("a", "a")  # back to any status
        await pilot.press("slash")
        await pilot.press(*"lighthouse", "enter")
        await drain(pilot)
        assert {entry.job_id for entry in screen.entries.values()} == {q.lone}
        requests = len(w.log)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen) and app.screen.job_id == q.lone
        assert app.screen.job is not None and app.screen.job.status == "completed"
        assert len(w.log) == requests, "a journal record opens with no request"
        await pilot.press("escape", "escape")
        assert not isinstance(app.screen, (InspectorScreen, HistoryScreen))


async def test_a_journal_record_opened_from_history_is_shown_in_full(make_sim, clock):
    q = quiet(make_sim)
    journal = Journal(":memory:", clock=clock)
    app, timers = make_dashboard(q.sim, clock, journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 30)
        await drain(pilot)
        await pilot.press("h")
        await drain(pilot)
        await pilot.press("slash", *"lighthouse", "enter")
        await drain(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InspectorScreen)
        summary = screen.query_one("#summary").render().plain
        assert "completed" in summary and "a lone lighthouse" in summary
        assert "from the journal" in screen.query_one("#title").render().plain


async def test_startup_warnings_such_as_a_readable_config_are_shown_on_the_dashboard(make_sim, clock):
    q = quiet(make_sim)
    warning = "/home/u/.config/mjtui/config.toml is readable by other users (mode 0644): run chmod 600 ..."
    app, _timers = make_dashboard(q.sim, clock, warnings=[warning])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("readable by other users" in str(n.message) for n in app._notifications)


async def test_a_failing_journal_is_reported_and_the_monitor_carries_on(make_sim, clock):
    q = quiet(make_sim)
    journal = Journal(":memory:", clock=clock)
    app, timers = make_dashboard(q.sim, clock, journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        await drain(pilot)
        journal.close()  # the disk went away, say
        await advance(pilot, clock, timers, 10)
        await drain(pilot)
        await pilot.pause(0.05)
        assert any("journal write failed" in str(n.message) for n in app._notifications)
        assert str(app.accounts["main"].status.health) == "live", "polling goes on without the journal"


def test_each_demo_starts_with_a_journal_of_its_own_world_not_the_last_demo(monkeypatch, tmp_path):
    """The demo's world is the same seed each time, so its job ids come back: the last demo's records would show
    running jobs as long finished. `--demo` starts its journal afresh, unless another demo is using it; a journal
    named with --journal is kept."""
    from mjtui import launch
    from mjtui.api.models import Job
    from mjtui.options import Options
    from mjtui.store.journal import default_journal_path

    old = Journal(default_journal_path(demo=True))
    old.record_finals("main", [("j-from-last-demo", Job(jobid="j-from-last-demo", status="completed"))], at=time.time())
    old.close()
    kept = tmp_path / "mine.sqlite3"
    mine = Journal(kept)
    mine.record_finals("main", [("j-mine", Job(jobid="j-mine", status="completed"))], at=time.time())
    mine.close()
    seen: dict[str, list[str]] = {}

    class Stub:
        def __init__(self, opening) -> None:  # noqa: ANN001
            self.opening = opening

        def run(self) -> None:  # as the app does after its first frame: open the connections, then the journal
            self.opening.open()
            journal = self.opening.open_store().journal
            seen[str(journal.path)] = [entry.job_id for entry in journal.history()]

    def make_app(connections, *, opening, **options):  # noqa: ANN001, ANN003 - the launcher's call
        return Stub(opening)

    monkeypatch.setattr("mjtui.tui.app.make_app", make_app)
    import fcntl

    with open(f"{default_journal_path(demo=True)}.lock", "a") as other_demo:  # another demo is running
        fcntl.flock(other_demo, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert launch.run_dashboard(Options(demo=True)) == 0
        assert seen[str(default_journal_path(demo=True))] == ["j-from-last-demo"], "shared, not deleted under it"
    assert launch.run_dashboard(Options(demo=True)) == 0
    assert launch.run_dashboard(Options(demo=True, journal=str(kept))) == 0
    assert seen[str(default_journal_path(demo=True))] == [], "the demo starts with an empty journal"
    assert seen[str(kept)] == ["j-mine"], "a journal the user named is never emptied"


async def test_with_mjtui_metrics_polling_the_dashboard_reads_its_journal_says_so_and_polls_once_it_is_gone(make_sim, clock,
                                                                                                          tmp_path):
    sim = make_sim(channels=2, warmup=60)
    w = wire(sim)
    path = tmp_path / "journal.sqlite3"
    metrics, metrics_timers = make_exporter(sim, clock, journal=Journal(path, clock=clock), shared=True, refresh=10)
    metrics.start()
    await settle_exporter(metrics)
    journal = Journal(path, clock=clock)
    app, timers = make_dashboard(sim, clock, journal=journal, leases=Leases(journal, "a dashboard", clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 1)  # the header's once-a-second redraw
        assert w.lists() == 1, "the dashboard asked the service nothing: it reads what mjtui metrics sees"
        header = header_text(app)
        assert "polled by mjtui metrics" in header and "waiting for its next poll" in header, header
        assert "0 errors" in header and not banner(app).has_class("-visible"), "waiting is no failure"
        await advance_exporter(metrics, clock, metrics_timers, 9, step=9)  # its next poll, published: it is wanted now
        await advance(pilot, clock, timers, 1)
        assert w.lists() == 2 and "read from the journal" in header_text(app)
        assert set(panes(app)) == set(sim.world.channels), "each channel's pane, from the journal"
        await metrics.close()
        await advance(pilot, clock, timers, 10)
        assert w.lists() == 3 and "polled by" not in header_text(app), "mjtui metrics gone: the dashboard polls itself"


def row_line(app, job_id: str) -> str:
    """The screen line of a job's row in its pane."""
    return next(line for line in screen_text(app).splitlines() if short_job_id(job_id) in line)


async def test_a_running_row_shows_the_progress_and_prompt_the_detail_endpoint_told(make_sim, clock):
    """Issue 20 item 5: the status column reads `running 45%`, not `running` on every row, and the prompt is there."""
    q = quiet(make_sim, speed_scale=0.3)
    world = q.sim.world
    app, timers = make_dashboard(q.sim, clock, journal=Journal(":memory:", clock=clock))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await advance(pilot, clock, timers, 5)  # under way: past its first progress step
        pane = await focus_pane(pilot, q.other)
        assert "a lone lighthouse" not in row_line(app, q.lone), "useapi's running list says no prompt"
        await pilot.press("enter")  # the inspector asks the detail endpoint
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        progress = world.jobs[q.lone].progress(clock.now())
        assert 0 < progress < 100
        assert pane.get_cell(q.lone, "status").plain == f"running {progress}%"
        line = row_line(app, q.lone)
        assert f"running {progress}%" in line and "a lone lighthouse" in line


async def test_the_prompt_of_a_job_inspected_in_a_past_session_shows_in_its_row_with_no_request(make_sim, clock):
    q = quiet(make_sim, speed_scale=0.3)
    journal = Journal(":memory:", clock=clock)
    first, _timers = make_dashboard(q.sim, clock, journal=journal)
    async with first.run_test(size=WIDE) as pilot:
        await settle(pilot)
        first.open_inspector("main", q.jobs[0])
        await settle(pilot)
        await drain(pilot)
    w = wire(q.sim)
    app, _timers = make_dashboard(q.sim, clock, journal=journal)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await drain(pilot)
        assert "a red fox in snow" in row_line(app, q.jobs[0]), "the journal's prompt, in the next session"
        assert "a blue whale at dawn" not in row_line(app, q.jobs[1]), "a job never inspected: no prompt known"
        assert w.count("GET", "/v2/jobs") == 0, "read from the journal, not asked of the service"
