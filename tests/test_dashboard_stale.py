"""Data that stopped coming looks stale, not live (issue 20, item 2): the header says since when, the panes dim, the
whole reason is on screen and the error count starts again at the next good poll."""

from __future__ import annotations

from support.dashboard import advance, header_text, make_dashboard, plain, settle

from mjtui.sim.faults import FaultProfile
from mjtui.tui.formatting import now_local

SMALL = (80, 24)
HEALTHY = "retry_after=4"  # a fault profile that injects nothing: the injector is there to be switched on


async def test_a_service_that_stops_answering_reads_stale_since_the_last_good_poll_dimmed_with_its_whole_reason(
        make_sim, clock):
    sim = make_sim(channels=1, max_jobs=3, faults=HEALTHY, warmup=60)
    app, timers = make_dashboard(sim, clock, refresh_seconds=10)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        section = app.dashboard.section("main")
        last_good = clock.now()
        assert " live " in header_text(app) and not section.has_class("-stale")
        sim.app.profile = FaultProfile(server_error=1.0)  # the service answers 500 / 502 from now on
        await advance(pilot, clock, timers, 10, step=1)
        assert "retrying in" in header_text(app) and "stale" not in header_text(app), "one failed poll: not stale yet"
        reason = plain(section.problem)
        assert section.problem.has_class("-visible") and reason.endswith("Upstream failure (Discord did not answer)"), reason
        await pilot.pause()
        problem = section.problem
        assert len(reason) > SMALL[0] - 2 and problem.content_size.height == 2, "wrapped onto a second line, not cut"
        assert app.screen.region.contains_region(problem.region), "and on screen at 80x24"
        await advance(pilot, clock, timers, 11, step=1)  # the last good poll is now older than two intervals
        assert f" stale since {now_local(last_good)}" in header_text(app), header_text(app)
        assert section.has_class("-stale")
        pane = next(iter(app.dashboard._panes.values()))
        assert pane.styles.text_opacity < 1, "a stale pane is dimmed as a halted one is"
        errors = int(header_text(app).split(" errors")[0].rsplit(" ", 1)[1])
        assert errors >= 2
        sim.app.profile = FaultProfile()  # the service is back
        await advance(pilot, clock, timers, 65, step=5)
        assert " live " in header_text(app) and " 0 errors" in header_text(app), "errors count since the last success"
        assert not section.has_class("-stale") and pane.styles.text_opacity == 1
        assert not section.problem.has_class("-visible")
