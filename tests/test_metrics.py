"""`mjtui metrics` on the simulator: what /metrics says matches what the service runs and what became of its jobs;
the journal is written with no dashboard open; only one process polls an account per journal."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time

import httpx
import pytest
from support.dashboard import wire
from support.metrics import advance, make_exporter, settle, value

from mjtui.connections import demo_connection
from mjtui.lease import Leases, Waiting, lease_key
from mjtui.metrics.command import listen
from mjtui.metrics.exporter import MetricsExporter, serve
from mjtui.sim import Simulator
from mjtui.store import Journal


def failed_in(sim: Simulator, channel: str) -> int:
    return sum(1 for job in sim.world.jobs.values() if job.channel == channel and job.final_status == "failed")



def lease_of(exporter: MetricsExporter, account: str = "main") -> str:
    """The journal's key for the lease on `account` as `exporter` polls it."""
    service = exporter.accounts[account].service
    assert service is not None
    return lease_key(account, service)

async def test_the_page_shows_each_channels_running_jobs_and_counts_its_failures_as_the_service_does(clock):
    sim = Simulator.build(clock=clock, seed=5, channels=2, fail_rate=0.4, moderation_rate=0.0)
    exporter, timers = make_exporter(sim, clock, refresh=4)
    exporter.start()
    await settle(exporter)
    await advance(exporter, clock, timers, 160, step=4)
    page = exporter.exposition()[0].decode()
    for channel_id, channel in sim.world.channels.items():
        labels = {"account": "main", "provider": "useapi", "channel": channel_id}
        assert value(page, "mjtui_channel_running_jobs", **labels) == len(channel.running)
        assert value(page, "mjtui_channel_job_limit", **labels) == channel.max_jobs
        failed = failed_in(sim, channel_id)
        assert failed > 0, "the scenario fails jobs on every channel"
        assert value(page, "mjtui_jobs_finished_total", **labels, outcome="failed") == failed
    assert value(page, "mjtui_account_up", account="main") == 1.0
    assert value(page, "mjtui_account_last_successful_poll_timestamp_seconds", account="main") == clock.now()
    await exporter.close()


async def test_a_moderation_halt_shows_on_its_account_and_channel_and_poll_errors_count_by_kind(clock):
    sim = Simulator.build(clock=clock, seed=5, channels=2)
    sim.world.schedule_moderation(5.0)
    exporter, timers = make_exporter(sim, clock)
    exporter.start()
    await advance(exporter, clock, timers, 12)
    page = exporter.exposition()[0].decode()
    assert value(page, "mjtui_account_halted", account="main", reason="moderation") == 1.0
    assert value(page, "mjtui_poll_errors_total", account="main", kind="moderation") == 1.0
    assert value(page, "mjtui_account_up", account="main") == 0.0
    halted = [channel for channel in sim.world.channels
              if value(page, "mjtui_channel_halted", channel=channel, reason="moderation") == 1.0]
    assert halted == [channel.id for channel in sim.world.channels.values() if channel.pending_mod]
    await exporter.close()


async def test_no_label_holds_a_job_id_or_a_prompt(clock):
    sim = Simulator.build(clock=clock, seed=5, channels=2)
    exporter, timers = make_exporter(sim, clock)
    exporter.start()
    await advance(exporter, clock, timers, 120)
    page = exporter.exposition()[0].decode()
    words = {job.jobid for job in sim.world.jobs.values()} | {job.prompt for job in sim.world.jobs.values() if job.prompt}
    assert words and not [word for word in words if word in page]
    await exporter.close()


async def test_finished_jobs_are_journalled_with_no_dashboard_open(clock, tmp_path):
    sim = Simulator.build(clock=clock, seed=5, channels=1)
    journal = Journal(tmp_path / "journal.sqlite3", clock=clock)
    exporter, timers = make_exporter(sim, clock, journal=journal, shared=True, refresh=10)
    exporter.start()
    await advance(exporter, clock, timers, 150, step=10)
    await exporter.close()
    finished = {job.jobid for job in sim.world.jobs.values() if job.final_status and job.job_type}
    recorded = {entry.job_id for entry in journal.history(limit=None) if entry.final_status}
    assert finished and finished <= recorded
    assert journal.published(lease_of(exporter)) is None, "its leases are given up as it stops"


async def test_a_second_mjtui_on_the_journal_reads_the_holders_poll_and_polls_itself_once_the_holder_is_gone(clock, tmp_path):
    sim = Simulator.build(clock=clock, seed=5, channels=2)
    recorded = wire(sim)
    path = tmp_path / "journal.sqlite3"
    holder, timers = make_exporter(sim, clock, journal=Journal(path, clock=clock), shared=True)
    follower, follower_timers = make_exporter(sim, clock, journal=Journal(path, clock=clock), shared=True)
    holder.start()
    await settle(holder)
    follower.start()
    await settle(follower)
    assert recorded.lists() == 1, "the follower sent no list request of its own"
    assert follower.leases is not None and "polled by mjtui metrics" in (follower.leases.note("main") or "")
    assert value(follower.exposition()[0].decode(), "mjtui_account_polled_elsewhere", account="main") == 1.0
    await holder.close()  # gives its lease up
    clock.advance(2)
    await follower_timers.fire_due()
    await settle(follower)
    assert recorded.lists() == 2 and follower.leases.note("main") is None, "the follower polls it now"
    await follower.close()


async def test_with_no_one_reading_it_the_holder_publishes_nothing_and_renews_its_lease_once_half_is_used(clock, tmp_path):
    sim = Simulator.build(clock=clock, seed=5, channels=2)
    journal = Journal(tmp_path / "journal.sqlite3", clock=clock)
    exporter, timers = make_exporter(sim, clock, journal=journal, shared=True, refresh=10)
    exporter.start()
    await settle(exporter)
    first = journal.published(lease_of(exporter))
    await advance(exporter, clock, timers, 20, step=10)  # a 60 s lease: two more polls inside its first half
    later = journal.published(lease_of(exporter))
    assert first is not None and later is not None
    assert (later.at, later.snapshot, later.error) == (None, None, None), "nothing published: no one reads it"
    assert later.holder.expires == first.holder.expires, "no write at each poll to renew the lease"
    await advance(exporter, clock, timers, 20, step=10)
    renewed = journal.published(lease_of(exporter))
    assert renewed is not None and renewed.holder.expires > first.holder.expires, "renewed once half of it is used"
    await exporter.close()


async def test_a_followers_first_read_waits_for_the_holders_next_poll_with_no_error_and_the_holder_stops_once_unread(
        clock, tmp_path):
    sim = Simulator.build(clock=clock, seed=5, channels=2)
    path = tmp_path / "journal.sqlite3"
    holder, timers = make_exporter(sim, clock, journal=Journal(path, clock=clock), shared=True, refresh=10)
    follower, follower_timers = make_exporter(sim, clock, journal=Journal(path, clock=clock), shared=True, refresh=10)
    holder.start()
    await settle(holder)
    follower.start()
    await settle(follower)
    assert follower.leases is not None and "waiting for its next poll" in (follower.leases.note("main") or "")
    status = follower.accounts["main"].status
    assert status.errors == 0 and status.last_error is None, "waiting is no failure"
    assert value(follower.exposition()[0].decode(), "mjtui_poll_errors_total", account="main") is None
    await advance(holder, clock, timers, 10, step=10)  # its next poll: wanted now, so published
    clock.advance(1)
    await follower_timers.fire_due()
    await settle(follower)
    assert "read from the journal" in (follower.leases.note("main") or "")
    held, followed = holder.exposition()[0].decode(), follower.exposition()[0].decode()
    for channel in sim.world.channels:
        running = value(held, "mjtui_channel_running_jobs", channel=channel)
        assert running is not None and value(followed, "mjtui_channel_running_jobs", channel=channel) == running
    await follower.close()  # no one reads what the holder publishes from now on
    await advance(holder, clock, timers, 90, step=10)
    published = Journal(path, clock=clock).published(lease_of(holder))
    assert published is not None and published.at is not None and published.at < clock.now() - 20, "it stopped"
    await holder.close()



async def test_two_configs_naming_different_accounts_alike_each_poll_their_own_on_one_journal(clock, tmp_path):
    """The default journal is shared by every config of a user: an account called main in one config is not the
    main of another (another service, another token), and what one process polls must never show in the other."""
    ours, theirs = Simulator.build(clock=clock, seed=5, channels=2), Simulator.build(clock=clock, seed=6, channels=3)
    assert ours.token("main") != theirs.token("main")
    our_wire, their_wire = wire(ours), wire(theirs)
    path = tmp_path / "journal.sqlite3"
    first, first_timers = make_exporter(ours, clock, journal=Journal(path, clock=clock), shared=True)
    second, second_timers = make_exporter(theirs, clock, journal=Journal(path, clock=clock), shared=True)
    first.start()
    await settle(first)
    second.start()
    await settle(second)
    assert (our_wire.lists(), their_wire.lists()) == (1, 1), "each polled its own service"
    assert first.leases is not None and second.leases is not None
    assert first.leases.note("main") is None and second.leases.note("main") is None, "neither reads the other's"
    for exporter, sim in ((first, ours), (second, theirs)):
        assert sim.token("main")[3:-3] not in lease_of(exporter), "the journal keeps no more of a token than its hint"
    for _ in range(30):  # a minute of simulated work on both
        clock.advance(2)
        for exporter, timers in ((first, first_timers), (second, second_timers)):
            await timers.fire_due()
            await settle(exporter)
    assert first.leases.note("main") is None and second.leases.note("main") is None
    page = second.exposition()[0].decode()
    busy = {channel_id: len(channel.running) for channel_id, channel in theirs.world.channels.items() if channel.running}
    assert busy and all(value(page, "mjtui_channel_running_jobs", channel=c) == n for c, n in busy.items())
    assert not [channel for channel in ours.world.channels if value(page, "mjtui_channel_running_jobs", channel=channel)
                is not None]
    await first.close()
    await second.close()

@pytest.mark.parametrize("ended", [True, False])
async def test_a_holder_killed_without_a_word_is_replaced_once_its_process_is_gone_or_its_lease_expires(clock, tmp_path, ended):
    journal = Journal(tmp_path / "journal.sqlite3", clock=clock)
    killed, other = Leases(journal, "mjtui metrics", clock), Leases(journal, "a dashboard", clock, ended=lambda _: ended)
    sim = Simulator.build(clock=clock, seed=5, channels=1)
    service = demo_connection(sim).service
    await killed.poll("main", service, 10.0, clock.now)  # then never again, and never released
    with contextlib.suppress(Waiting):  # the killed one never publishes what the other now asks for
        await other.poll("main", service, 10.0, clock.now)
    assert (other.note("main") is None) is ended, "a process known to have ended holds nothing"
    clock.advance(61)
    await other.poll("main", service, 10.0, clock.now)
    assert other.note("main") is None, "an unrenewed lease expires"


PROMETHEUS = shutil.which("prometheus")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def query(api: str, promql: str) -> float | None:
    """One instant query's single value, or None while Prometheus has no such series."""
    async with httpx.AsyncClient(timeout=5) as client:
        answer = (await client.get(f"{api}/api/v1/query", params={"query": promql})).json()
    result = answer["data"]["result"]
    return float(result[0]["value"][1]) if len(result) == 1 else None


@pytest.mark.skipif(PROMETHEUS is None, reason="needs Debian's prometheus (apt-get install prometheus; .ci/run does)")
async def test_a_real_prometheus_scrapes_the_channels_running_jobs_and_failures_the_simulator_has(clock, tmp_path):
    sim = Simulator.build(clock=clock, seed=5, channels=2, fail_rate=0.4, moderation_rate=0.0)
    exporter, timers = make_exporter(sim, clock, refresh=4)
    exporter.start()
    await advance(exporter, clock, timers, 120, step=4)  # then time stands still: what Prometheus reads is settled
    runner = await serve(exporter, listen("127.0.0.1", 0))
    target = runner.addresses[0]
    web = free_port()
    (tmp_path / "prometheus.yml").write_text(
        f"global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n"
        f"scrape_configs: [{{job_name: mjtui, static_configs: [{{targets: ['{target[0]}:{target[1]}']}}]}}]\n")
    server = subprocess.Popen([PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
                               f"--storage.tsdb.path={tmp_path / 'data'}",
                               f"--web.listen-address=127.0.0.1:{web}", "--log.level=error"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    channel = next(iter(sim.world.channels.values()))
    wanted = {f'mjtui_channel_running_jobs{{channel="{channel.id}"}}': len(channel.running),
              f'mjtui_jobs_finished_total{{channel="{channel.id}",outcome="failed"}}': failed_in(sim, channel.id)}
    try:
        seen: dict[str, float | None] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and seen != wanted:
            await asyncio.sleep(0.2)  # the exporter serves meanwhile, on this loop
            with contextlib.suppress(httpx.HTTPError, KeyError):
                seen = {promql: await query(f"http://127.0.0.1:{web}", promql) for promql in wanted}
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
        assert seen == wanted and wanted[next(reversed(wanted))] > 0
    finally:
        server.terminate()
        server.wait(10)
        await runner.cleanup()
        await exporter.close()


async def test_a_web_page_rebinding_its_name_to_loopback_cannot_read_the_page_but_a_scraper_by_address_can(clock):
    sim = Simulator.build(clock=clock, seed=5, channels=1)
    exporter, timers = make_exporter(sim, clock)
    exporter.start()
    await settle(exporter)
    runner = await serve(exporter, listen("127.0.0.1", 0))
    host, port = runner.addresses[0][:2]
    try:
        async with httpx.AsyncClient() as client:
            rebound = await client.get(f"http://{host}:{port}/metrics", headers={"Host": f"evil.example:{port}"})
            by_address = await client.get(f"http://{host}:{port}/metrics")
            by_name = await client.get(f"http://{host}:{port}/metrics", headers={"Host": f"localhost:{port}"})
        assert rebound.status_code == 421 and "mjtui_" not in rebound.text
        assert by_address.status_code == by_name.status_code == 200 and "mjtui_channel_running_jobs" in by_address.text
    finally:
        await runner.cleanup()
        await exporter.close()
