"""ImaginePro's DIY plan live: linked accounts as channels, their /info read leniently, messages followed, rate limits kept."""

from __future__ import annotations

import random

import httpx
import pytest
from support.poller import Host

from mjtui.api import errors
from mjtui.api.client import ImagineProClient
from mjtui.api.imaginepro_models import LinkedAccount, count_of
from mjtui.cli import describe_failure
from mjtui.clock import ManualClock
from mjtui.connections import Connection
from mjtui.monitor.account_info import fast_time
from mjtui.monitor.snapshot import Availability, RunState
from mjtui.poller import AccountState, Poller
from mjtui.providers.imaginepro import (
    GENERAL_GAP,
    MIN_POLL_SECONDS,
    UNPLACED,
    ImaginePro,
    Pace,
    channel_key,
    link_info,
    link_stats,
)
from mjtui.sim import SIM_ORIGIN, Simulator
from mjtui.sim.rate_gate import MESSAGE_BURST
from mjtui.timers import ManualTimers

# -- reading /info's words ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "count"), [
    ("None", 0), ("none", 0), ("0", 0), ("3", 3), ("1,024", 1024), ("2 jobs", 2), (" 7 ", 7),
    ("654825, 940609, 686648", 3), ("a1b2 c3d4", 2), ("", None), (None, None),
])
def test_counts_in_info_are_read_leniently(text, count):
    assert count_of(text) == count


@pytest.mark.parametrize(("text", "shown", "left_minutes"), [
    ("199.00/200.0 minutes (99.50%)", "199.00/200.0 minutes (99.50%)", 199.0),
    ("15.00/15.0 hours (100.00%)", "15.00/15.0 hours (100.00%)", 900.0),
    ("12.5/30 hrs", "12.50/30.0 hours (41.67%)", 750.0),
    ("90/120 mins", "90.00/120.0 minutes (75.00%)", 90.0),
    ("1,199.5/1,200 minutes (99.96%)", "1199.50/1200.0 minutes (99.96%)", 1199.5),
    ("0.00/15.0 hours (0.00%)", "0.00/15.0 hours (0.00%)", 0.0),
    ("12.34/15.0", "12.34/15.0 hours (82.27%)", 740.4),  # no unit: Midjourney's hours
])
def test_fast_time_is_read_whatever_its_units(text, shown, left_minutes):
    fast = fast_time(text)
    assert fast is not None and fast.text() == shown and fast.left_minutes == pytest.approx(left_minutes)


@pytest.mark.parametrize("text", ["None", "", None, "unlimited", "5/0 hours", "20/15 hours", "3/4 fortnights"])
def test_fast_time_that_says_nothing_or_nonsense_is_unknown(text):
    assert fast_time(text) is None


def linked(**fields) -> LinkedAccount:
    base = {"id": 198, "token": "MTE2OTc1Nzg5NjEwNDQ4NDkxOA.GRXmdc.secret", "channelId": "1169758569336333381",
            "isActive": True, "status": "FAST", "concurrency": 3,
            "info": {"jobMode": "Fast", "runningJobs": "None", "queuedJobsFast": "2", "queuedJobsRelax": "1",
                     "fastTimeRemaining": "199.00/200.0 minutes (99.50%)"}}
    return LinkedAccount.model_validate({**base, **fields})


@pytest.mark.parametrize(("status", "active", "availability"), [
    ("FAST", True, Availability.ENABLED), ("RELAX", True, Availability.ENABLED),
    ("VERIFYING", True, Availability.VERIFYING), ("BANNED", True, Availability.BANNED),
    ("FAST", False, Availability.INACTIVE), ("SOMETHING NEW", True, Availability.ENABLED),
])
def test_each_status_is_shown_plainly(status, active, availability):
    info = link_info(linked(status=status, isActive=active))
    assert info.availability is availability
    assert (info.reason is None) == (availability is Availability.ENABLED)
    if not active:
        assert info.reason == "ImaginePro sends it no jobs (mjtui toggle 198 makes it active)"


def test_a_linked_account_with_missing_or_odd_info_still_makes_a_channel():
    bare = linked(info=None, concurrency="3", id="198")
    assert channel_key(bare) == "1169758569336333381"
    stats = link_stats(bare, {})
    assert (stats.total, stats.max_jobs, stats.queued) == (0, 3, None)
    assert link_info(bare).mode == "fast" and link_info(bare).fast_time_remaining is None
    odd = linked(info={"runningJobs": 2, "queuedJobsFast": "None", "fastTimeRemaining": "None", "jobMode": ""},
                 channelId=None)
    assert channel_key(odd) == "token-198"
    assert (link_stats(odd, {}).total, link_stats(odd, {}).queued) == (2, 0)
    assert link_info(odd).fast_time_remaining is None


def test_the_discord_token_is_masked_as_it_is_read():
    account = linked()
    assert "secret" not in str(account.dump()) and account.token == "MTE…ret"


# -- against the simulator ---------------------------------------------------------------------------


def a_provider(clock: ManualClock, **world) -> tuple[Simulator, ImaginePro]:
    world.setdefault("autopilot", False)
    sim = Simulator.build(clock=clock, seed=7, channels=1, imaginepro=True, **world)
    links = sim.world.linked(sim.world.accounts["ip"])

    async def sleep(seconds: float) -> None:  # waiting its turn moves the test's clock, not real time
        clock.advance(seconds)

    client = ImagineProClient(sim.token("ip"), SIM_ORIGIN, transport=sim.transport())
    return sim, ImaginePro("ip", client, links[0].token_id, Pace(clock.now, sleep))


async def test_a_slow_answer_does_not_make_the_next_request_early(clock):
    sim, provider = a_provider(clock)
    inner, slow = sim.transport(), [0.5]

    class Late(httpx.AsyncBaseTransport):  # the first request takes half a second to reach the service
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            clock.advance(slow.pop() if slow else 0.0)
            return await inner.handle_async_request(request)

    provider.client = ImagineProClient(sim.token("ip"), SIM_ORIGIN, transport=Late())
    await provider.survey(clock.now)  # the list, then the history: two general requests
    assert sim.world.gate.refused() == 0, "the 3 s are counted from when the service saw the last one"


async def test_mjtui_jobs_waits_its_turn_when_another_process_just_asked(clock):
    sim, provider = a_provider(clock)
    other = ImagineProClient(sim.token("ip"), SIM_ORIGIN, transport=sim.transport())
    await other.linked_accounts()  # the dashboard's poll, a moment before `mjtui jobs` starts
    polled = await provider.survey(clock.now)
    assert polled.snapshot.stats, "the linked accounts are listed after one refusal and the documented wait"
    assert sim.world.gate.refused() == 1


async def test_a_poll_shows_each_linked_account_with_its_gauges_and_the_jobs_followed(clock):
    sim, provider = a_provider(clock, imaginepro_links=2, max_jobs=3)
    world = sim.world
    first, second = world.linked(world.accounts["ip"])
    world.toggle(world.accounts["ip"], second.token_id, False)
    world.set_standing(first.token_id, None)
    job = world.submit(world.accounts["ip"], "a fox reading a map", first.id)
    sent = await provider.command("relax", None)
    assert sent.message_id
    await provider.poll(clock.now)  # the list
    clock.advance(MIN_POLL_SECONDS)
    history = await provider.poll(clock.now)  # the last 24 h, in place of the list
    assert job.message_id in history.snapshot.jobs[UNPLACED], "two linked accounts: which one runs it is not known yet"
    for _ in range(2):  # the list, then the message's trace
        clock.advance(max(MIN_POLL_SECONDS, job.start_at - clock.now() + 1))
        polled = await provider.poll(clock.now)
    snapshot = polled.snapshot
    assert not snapshot.jobs.get(UNPLACED) and set(snapshot.stats) == {first.id, second.id}
    stats, info = snapshot.stats[first.id], snapshot.info[first.id]
    assert (stats.total, stats.max_jobs) == (1, 3)
    assert info.mode == "relax" and info.name == f"token {first.token_id}" and info.fast_time_remaining
    assert snapshot.info[second.id].availability is Availability.INACTIVE
    row = snapshot.jobs[first.id][job.message_id]
    assert row.state == RunState.IN_PROGRESS and row.prompt == "a fox reading a map" and row.progress is not None
    assert sent.message_id not in snapshot.jobs[first.id], "the /relax message is done: not running"


async def test_a_message_that_ends_leaves_the_list_and_its_final_state_costs_no_request(clock):
    sim, provider = a_provider(clock)
    world = sim.world
    job = world.submit(world.accounts["ip"], "koi pond", world.accounts["ip"].channels[0])
    job.outcome = "completed"
    await provider.poll(clock.now)
    clock.advance(MIN_POLL_SECONDS)
    await provider.poll(clock.now)
    clock.advance(job.finish_at - clock.now() + 1)
    world.advance()
    before = len(world.gate.log)
    assert not (await provider.poll(clock.now)).snapshot.total
    fetched = len(world.gate.log)
    finals = await provider.finals([job.message_id])
    assert finals[job.message_id].status == "completed" and finals[job.message_id].attachments
    assert len(world.gate.log) == fetched > before


async def test_cancel_is_sent_while_a_job_runs_and_refused_once_it_is_done(clock):
    sim, provider = a_provider(clock)
    world = sim.world
    account = world.accounts["ip"]
    running = world.submit(account, "a lighthouse", account.channels[0])
    await provider.cancel(running.message_id)
    assert running.final_status == "failed"
    done = world.submit(account, "a greenhouse", account.channels[0])
    done.outcome = "completed"
    clock.advance(done.finish_at - clock.now() + 1)
    world.advance()
    presses = sum(request.kind == "general" for request in world.gate.log)
    with pytest.raises(errors.MjtuiError, match=r"DONE at 100%.*only while a job is in progress"):
        await provider.cancel(done.message_id)
    assert sum(request.kind == "general" for request in world.gate.log) == presses, "the button was never pressed"


async def test_toggle_makes_a_linked_account_inactive_and_active_again(clock):
    sim, provider = a_provider(clock)
    link = sim.world.linked(sim.world.accounts["ip"])[0]
    assert await provider.toggle(str(link.token_id), False) == f"linked account {link.token_id} is now inactive"
    assert not link.active
    polled = await provider.poll(clock.now)
    assert polled.snapshot.info[link.id].availability is Availability.INACTIVE
    assert await provider.toggle(link.id, True) == f"linked account {link.token_id} is now active"
    assert link.active


def general_requests(sim: Simulator) -> int:
    """The general requests the service admitted (the list, the history, a trace, a command, a toggle)."""
    return sum(request.kind == "general" and request.admitted for request in sim.world.gate.log)


@pytest.mark.parametrize("link", ["305861768420567154", "4242", "token-4242", UNPLACED])
async def test_a_toggle_or_command_for_a_linked_account_the_list_does_not_name_sends_nothing(clock, link):
    sim, provider = a_provider(clock, imaginepro_links=2)  # a fresh process, as `mjtui toggle` is: no list yet
    links = sim.world.linked(sim.world.accounts["ip"])
    with pytest.raises(errors.MjtuiError, match=rf"^{link} is no linked Discord account of account 'ip' "
                                                r"\(mjtui jobs lists them\): nothing sent$"):
        await provider.toggle(link, False)
    assert general_requests(sim) == 1, "the list was read, nothing was PUT"
    with pytest.raises(errors.MjtuiError, match="is no linked Discord account"):
        await provider.command("relax", link)
    assert general_requests(sim) == 1, "nothing was POSTed"
    assert all(each.active for each in links), "the config's linked account was not made inactive in its place"


async def test_a_toggle_by_token_id_or_channel_reaches_that_linked_account_and_no_other(clock):
    sim, provider = a_provider(clock, imaginepro_links=2)
    first, second = sim.world.linked(sim.world.accounts["ip"])
    assert await provider.toggle(second.id, False) == f"linked account {second.token_id} is now inactive"
    assert (first.active, second.active) == (True, False)
    assert await provider.toggle(str(second.token_id), True) == f"linked account {second.token_id} is now active"
    assert second.active and sim.world.gate.refused() == 0


async def test_an_action_refused_for_the_rate_limit_is_sent_again_once_after_the_documented_gap(clock):
    sim, provider = a_provider(clock)
    other = ImagineProClient(sim.token("ip"), SIM_ORIGIN, transport=sim.transport())
    await other.linked_accounts()  # `mjtui jobs` a moment before `mjtui relax`
    sent = await provider.command("relax", None)
    assert sent.message_id, "sent once the 3 s had passed"
    commands = [r for r in sim.world.gate.log if r.kind == "general"]
    assert [r.admitted for r in commands] == [True, False, True], "refused (nothing done), then sent again once"


async def test_an_action_refused_twice_for_the_rate_limit_says_when_to_try_again(clock):
    sim, provider = a_provider(clock)
    other = ImagineProClient(sim.token("ip"), SIM_ORIGIN, transport=sim.transport())
    await other.linked_accounts()
    waited = provider.pace.sleep

    async def busy_meanwhile(seconds: float) -> None:  # another process takes the turn again while this one waits
        await waited(seconds)
        await other.linked_accounts()

    provider.pace.sleep = busy_meanwhile
    with pytest.raises(errors.RateLimited) as refused:
        await provider.command("relax", None)
    line = describe_failure(refused.value, Connection("ip", provider))
    assert line.endswith("(POST /api/v1/nova/commands); ImaginePro allows one request every 3 s: retry after 3s"), line


async def test_job_detail_names_the_parent_and_the_linked_account_that_ran_it(clock):
    sim, provider = a_provider(clock, imaginepro_links=2)
    world = sim.world
    account = world.accounts["ip"]
    second = world.linked(account)[1]
    parent = world.submit(account, "an owl librarian", second.id)
    parent.outcome = "completed"
    clock.advance(parent.finish_at - clock.now() + 1)
    world.advance()
    child = world.press(account, parent.jobid, "U2")
    clock.advance(5)
    job = await provider.job(child.message_id)
    assert job.parent_job_id == parent.message_id and job.channel == second.id and job.prompt == "an owl librarian"
    assert job.dump()["originatingMessageId"] == parent.message_id


async def test_the_linked_account_that_ran_a_message_is_traced_once_not_at_every_refresh(clock):
    sim, provider = a_provider(clock, imaginepro_links=2)
    world = sim.world
    second = world.linked(world.accounts["ip"])[1]
    running = world.submit(world.accounts["ip"], "a heron at dawn", second.id)
    await provider.poll(clock.now)  # the list
    clock.advance(MIN_POLL_SECONDS)
    assert running.message_id in (await provider.poll(clock.now)).snapshot.jobs[UNPLACED]  # the last 24 h
    for refresh in range(3):  # the inspector follows it
        clock.advance(GENERAL_GAP)
        before = general_requests(sim)
        assert (await provider.job(running.message_id)).channel == second.id
        assert general_requests(sim) - before == (1 if refresh == 0 else 0), "traced the first time only"


async def test_the_rate_limits_are_never_exceeded_over_an_hour_whatever_the_refresh(clock):
    sim, provider = a_provider(clock, autopilot=True, imaginepro_links=2, warmup=600)
    world = sim.world
    host, timers = Host(), ManualTimers(clock)
    connection = Connection("ip", provider)
    state = AccountState("ip", "imaginepro", connection)
    poller = Poller(host, {"ip": state}, clock=clock, timers=timers, refresh_seconds=2, rng=random.Random(0))
    assert poller.interval("ip") == MIN_POLL_SECONDS == state.min_poll_seconds
    poller.poll("ip")
    await host.settle()
    for second in range(3600):
        clock.advance(1)
        if second % 97 == 0:
            poller.poll("ip")  # a key press asking for a poll now
        if second % 301 == 0 and provider.known:
            await provider.job(next(iter(provider.known)))  # the inspector
        await timers.fire_due()
        await host.settle()
    assert all(answer.error is None for answer in host.answers)
    assert world.gate.refused() == 0
    general = world.gate.per_minute("general")
    assert max(general.values()) <= 20 and sum(general.values()) >= 500, general
    fetches = [request.at for request in world.gate.log if request.kind == "message"]
    assert all(sum(at <= other < at + 1 for other in fetches) <= MESSAGE_BURST for at in fetches)
    assert provider.known, "the history's messages were followed"
