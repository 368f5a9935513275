"""The midjourney-proxy provider against the simulated gateway, in each dialect: detection, polls, finals, actions."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from support.poller import Host

from mjtui.api import errors
from mjtui.api.proxy import ProxyClient
from mjtui.clock import ManualClock
from mjtui.connections import Connection
from mjtui.monitor.snapshot import Availability, RunState
from mjtui.poller import AccountState, Poller
from mjtui.providers import Capability, NotSupported, Provider, open_provider
from mjtui.providers.midjourney_proxy import MidjourneyProxy
from mjtui.sim import SIM_ORIGIN
from mjtui.sim.faults import FaultInjector, FaultProfile
from mjtui.sim.proxy import ProxySimulator
from mjtui.timers import ManualTimers

FLAVORS = ("trueai", "plus", "original")
ACTING = ("trueai", "plus")  # the original has no cancel, seed, modes, info or reset


def gateway(flavor: str, clock: ManualClock, **world: Any) -> ProxySimulator:
    world.setdefault("accounts", 3)
    return ProxySimulator.build(flavor=flavor, clock=clock, seed=7, autopilot=False, **world)


def provider(sim: ProxySimulator, *, token: str | None = None, flavor: str | None = None) -> Provider:
    return open_provider("midjourney-proxy", "pool", token or sim.admin_token, SIM_ORIGIN, transport=sim.transport(),
                         flavor=flavor)


def submit(sim: ProxySimulator, prompt: str = "a red fox") -> str:
    """A task submitted as a user of the gateway would (the simulator's own call: its transport is async only)."""
    task, code, _ = sim.world.imagine(prompt)
    assert code in (1, 22)
    return task.id


def usable_channel(sim: ProxySimulator) -> str:
    return next(account.channel_id for account in sim.world.accounts.values() if account.usable)


@pytest.mark.parametrize(("flavor", "requests"), [("trueai", 1), ("plus", 2), ("original", 3)])
async def test_the_dialect_is_detected_once_in_a_few_requests(flavor: str, requests: int) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    service = provider(sim)
    assert service.can(Capability.CANCEL)  # not known yet: nothing hidden before the gateway is asked
    await service.poll(clock.now)
    polls = sum(sim.requests.values())
    await service.poll(clock.now)
    assert service.dialect == flavor
    assert polls - (sum(sim.requests.values()) - polls) == requests  # the first poll's extra cost, and only it
    assert service.can(Capability.CANCEL) is (flavor != "original")
    await service.aclose()


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_a_configured_flavor_sends_no_detection(flavor: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    service = provider(sim, flavor=flavor)
    await service.poll(clock.now)
    first = sum(sim.requests.values())
    sim.reset_requests()
    await service.poll(clock.now)
    assert first == sum(sim.requests.values())
    assert "unmatched" not in sim.requests
    await service.aclose()


async def test_a_non_admin_token_on_trueai_says_the_account_views_need_an_admin_token() -> None:
    clock = ManualClock()
    sim = gateway("trueai", clock)
    service = provider(sim, token=sim.user_token)
    with pytest.raises(errors.NeedsAdminToken) as caught:
        await service.poll(clock.now)
    message = str(caught.value)
    assert "admin token" in message and "账号无权限" in message and "\n" not in message
    assert sim.user_token not in message
    await service.aclose()


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_a_wrong_token_is_unauthorized_not_an_admin_problem(flavor: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    service = provider(sim, token="not-the-token-at-all")
    with pytest.raises(errors.Unauthorized) as caught:
        await service.poll(clock.now)
    assert not isinstance(caught.value, errors.NeedsAdminToken)
    await service.aclose()


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_each_account_is_a_channel_with_its_limits_state_and_running_tasks(flavor: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock, accounts=4)
    ids = [submit(sim, f"prompt {n}") for n in range(6)]
    clock.advance(20)
    service = provider(sim)
    snapshot = (await service.poll(clock.now)).snapshot
    assert set(snapshot.stats) == {account.channel_id for account in sim.world.accounts.values()}
    for account in sim.world.accounts.values():
        stats, info = snapshot.stats[account.channel_id], snapshot.info[account.channel_id]
        assert (stats.max_jobs, stats.max_queued) == (account.core_size, account.queue_size)
        if not account.usable:
            assert info.availability in (Availability.LOCKED, Availability.DISABLED)
    rows = {row.job_id: row for rows in snapshot.jobs.values() for row in rows.values()}
    assert set(ids) <= set(rows)
    now = clock.now()
    for job_id in ids:
        task = sim.world.tasks[job_id]
        row = rows[job_id]
        assert row.channel == task.instance and row.prompt == task.prompt and row.action == "IMAGINE"
        expected = {"NOT_START": RunState.QUEUED, "SUBMITTED": RunState.SUBMITTED,
                    "IN_PROGRESS": RunState.IN_PROGRESS, "MODAL": RunState.MODAL}[task.status(now)]
        assert row.state == expected
        assert row.progress == int(task.progress(now).rstrip("%"))
    await service.aclose()


async def test_trueai_shows_mode_fast_time_and_the_relax_pool() -> None:
    clock = ManualClock()
    sim = gateway("trueai", clock)
    snapshot = (await provider(sim).poll(clock.now)).snapshot
    account = next(account for account in sim.world.accounts.values() if account.usable)
    info, stats = snapshot.info[account.channel_id], snapshot.stats[account.channel_id]
    assert info.mode == (account.mode or account.job_mode).lower()
    assert info.fast_time_remaining and "hours" in info.fast_time_remaining
    assert info.name == account.remark
    assert stats.max_relax_jobs == account.relax_core_size


@pytest.mark.parametrize(("flavor", "bound"), [("trueai", 5), ("plus", 2), ("original", 2)])
async def test_a_poll_of_a_50_account_pool_costs_a_few_requests(flavor: str, bound: int) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock, accounts=50)
    for n in range(60):
        submit(sim, f"prompt {n}")
    service = provider(sim)
    await service.poll(clock.now)  # detection too
    sim.reset_requests()
    clock.advance(15)
    snapshot = (await service.poll(clock.now)).snapshot
    assert len(snapshot.stats) == 50
    assert sum(sim.requests.values()) <= bound
    await service.aclose()


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_the_final_states_of_the_jobs_that_left_come_in_one_request(flavor: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    ids = [submit(sim, f"prompt {n}") for n in range(5)]
    service = provider(sim, flavor=flavor)
    host, timers = Host(), ManualTimers(clock)
    state = AccountState("pool", service.kind, Connection("pool", service))
    poller = Poller(host, {"pool": state}, clock=clock, timers=timers, refresh_seconds=10, rng=random.Random(0))
    poller.poll("pool")
    await host.settle()
    assert state.snapshot is not None
    assert set(ids) <= {job_id for rows in state.snapshot.jobs.values() for job_id in rows}
    clock.advance(3600)  # every task has finished
    sim.reset_requests()
    poller.poll("pool")
    await host.settle()
    assert sim.requests["POST /mj/task/list-by-condition"] == 1
    assert not [route for route in sim.requests if "fetch" in route]  # no request per task
    finals = {final.job_id: final for final in host.finals_seen}
    assert set(ids) <= set(finals)
    assert all(finals[job_id].job is not None and finals[job_id].job.is_final for job_id in ids)
    await service.aclose()


async def test_a_task_the_gateway_does_not_know_is_a_clear_not_found() -> None:
    clock = ManualClock()
    service = provider(gateway("trueai", clock))
    with pytest.raises(errors.NotFound, match="no task 1234567890123"):
        await service.job("1234567890123")


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_job_maps_the_task_and_dumps_the_gateways_own_object(flavor: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    task_id = submit(sim)
    clock.advance(3600)
    job = await provider(sim).job(task_id)
    assert (job.jobid, job.status, job.prompt, job.verb) == (task_id, "completed", "a red fox", "imagine")
    assert job.attachments and job.channel == sim.world.tasks[task_id].instance
    document = job.dump()
    assert document["id"] == task_id and document["status"] == "SUCCESS" and "submitTime" in document


@pytest.mark.parametrize("flavor", ACTING)
async def test_cancel_reads_back_as_cancelled(flavor: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    task_id = submit(sim)
    service = provider(sim)
    await service.cancel(task_id)
    job = await service.job(task_id)
    assert job.status == "cancelled" and job.is_final


@pytest.mark.parametrize("flavor", ACTING)
async def test_cancel_of_a_task_the_gateway_does_not_have_is_refused_and_sends_nothing(flavor: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    service = provider(sim, flavor=flavor)
    with pytest.raises(errors.NotFound, match="no task 1234567890123456: nothing to cancel"):
        await service.cancel("1234567890123456")
    assert sim.requests["POST /mj/task/{id}/cancel"] == 0


@pytest.mark.parametrize("flavor", ACTING)
async def test_cancel_of_a_finished_task_is_refused_and_sends_nothing(flavor: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    task_id = submit(sim)
    clock.advance(3600)
    service = provider(sim, flavor=flavor)
    with pytest.raises(errors.MjtuiError, match=f"task {task_id} has already finished \\(completed\\): nothing to cancel"):
        await service.cancel(task_id)
    assert sim.requests["POST /mj/task/{id}/cancel"] == 0
    assert (await service.job(task_id)).status == "completed"


async def test_the_original_has_no_cancel_and_says_so() -> None:
    clock = ManualClock()
    sim = gateway("original", clock)
    task_id = submit(sim)
    service = provider(sim)
    with pytest.raises(NotSupported, match="original dialect.*no cancel"):
        await service.cancel(task_id)
    assert sim.world.tasks[task_id].final_status is None


async def test_cancel_with_a_user_token_on_trueai_needs_an_admin_token() -> None:
    clock = ManualClock()
    sim = gateway("trueai", clock)
    task_id = submit(sim)
    service = provider(sim, token=sim.user_token, flavor="trueai")
    with pytest.raises(errors.NeedsAdminToken):
        await service.cancel(task_id)


@pytest.mark.parametrize("flavor", ACTING)
async def test_seed_of_a_completed_task(flavor: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    task_id = submit(sim)
    clock.advance(3600)
    answer = await provider(sim).seed(task_id)
    assert answer.has_seed and answer.seed is not None
    assert str(answer.seed.value) == sim.world.tasks[task_id].seed


@pytest.mark.parametrize("flavor", ACTING)
@pytest.mark.parametrize("mode", ["relax", "fast", "turbo"])
async def test_relax_fast_turbo_press_the_accounts_settings_button(flavor: str, mode: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    channel = usable_channel(sim)
    service = provider(sim)
    sent = await service.command(mode, channel)  # type: ignore[arg-type]
    assert sent.error is None and mode in (sent.content or "").lower()
    snapshot = (await service.poll(clock.now)).snapshot
    assert snapshot.info[channel].mode == mode


@pytest.mark.parametrize("flavor", ACTING)
async def test_info_syncs_and_tells_mode_and_fast_time(flavor: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    channel = usable_channel(sim)
    sent = await provider(sim).command("info", channel)
    assert "fast time remaining" in (sent.content or "") and "hours" in (sent.content or "")
    assert sent.document is not None and sent.document.get("channelId") == channel


async def test_a_channel_the_gateway_does_not_have_is_named_in_the_error() -> None:
    clock = ManualClock()
    with pytest.raises(errors.MjtuiError, match="no account on channel 42"):
        await provider(gateway("trueai", clock)).command("relax", "42")


@pytest.mark.parametrize("flavor", ACTING)
async def test_reset_re_enables_a_locked_or_disabled_account(flavor: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    halted = next(account for account in sim.world.accounts.values() if not account.usable)
    service = provider(sim)
    before = (await service.poll(clock.now)).snapshot.info[halted.channel_id]
    assert before.availability is not Availability.ENABLED
    await service.reset(halted.channel_id)
    after = (await service.poll(clock.now)).snapshot.info[halted.channel_id]
    assert after.availability is Availability.ENABLED


def discord_secrets(sim: ProxySimulator) -> list[str]:
    """Every account's Discord credentials as the gateway holds them (and sends them, in full, to its admin)."""
    return [value for account in sim.world.accounts.values()
            for value in (account.user_token, account.login_password, account.login_2fa, account.invitation, account.cf_url)
            if value]


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_jobs_json_and_info_json_mask_the_discord_credentials_of_each_account(flavor: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    service = provider(sim)
    documents = [(await service.poll(clock.now)).document()]
    if flavor in ACTING:
        documents.append((await service.command("info", usable_channel(sim))).document)
    assert documents[0]["accounts"] and all("coreSize" in account for account in documents[0]["accounts"])
    shown = json.dumps(documents, ensure_ascii=False)
    assert discord_secrets(sim) and [secret for secret in discord_secrets(sim) if secret in shown] == []
    tokens = {account.user_token for account in sim.world.accounts.values()}
    masked = [account["userToken"] for account in documents[0]["accounts"]]
    assert sorted(value[:3] + "…" + value[-3:] for value in tokens) == sorted(masked)  # masked, not dropped
    await service.aclose()


# -- queries sent as POST are reads: retried, and a lost answer is a plain failure ----------------------


def faulty_on(sim: ProxySimulator, route: str, faults: str, *, times: int | None = None) -> FaultInjector:
    """The sim's fault profile on one route ("POST /mj/task/query") only, for its first `times` requests (None: all)."""
    inner = sim.app
    injector = FaultInjector(inner, sim.world, FaultProfile.parse(faults), seed=0)
    seen = 0

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        nonlocal seen
        if f"{scope.get('method')} {scope.get('path')}" == route and (times is None or seen < times):
            seen += 1
            await injector(scope, receive, send)
        else:
            await inner(scope, receive, send)

    sim.app = app  # the transport is built from sim.app: set before the provider is made
    return injector


def retrying_provider(sim: ProxySimulator, slept: list[float], *, timeout: float = 5.0,
                      flavor: str | None = None) -> MidjourneyProxy:
    """The provider on a client whose back-off between retries is recorded instead of slept."""
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client = ProxyClient(sim.admin_token, SIM_ORIGIN, transport=sim.transport(), timeout=timeout, sleep=sleep)
    return MidjourneyProxy("pool", client, flavor)


QUERIES = [  # (dialect, configured flavor, route, what asks it): every POST that only reads
    ("plus", None, "POST /mj/account/query", "detect"),
    ("plus", "plus", "POST /mj/account/query", "poll"),
    ("plus", "plus", "POST /mj/task/query", "poll"),
    ("trueai", "trueai", "POST /mj/admin/accounts", "poll"),
    ("trueai", "trueai", "POST /mj/admin/tasks", "poll"),
    ("trueai", "trueai", "POST /mj/task/list-by-condition", "finals"),
    ("plus", "plus", "POST /mj/task/list-by-condition", "finals"),
    ("original", "original", "POST /mj/task/list-by-condition", "finals"),
]


async def _ask(service: MidjourneyProxy, what: str, clock: ManualClock, task_id: str) -> None:
    if what == "detect":
        await service.detect()
    elif what == "poll":
        await service.poll(clock.now)
    else:
        await service.finals([task_id])


@pytest.mark.parametrize(("flavor", "configured", "route", "what"), QUERIES)
async def test_a_query_whose_answer_is_lost_is_asked_again_and_fails_as_a_read(
        flavor: str, configured: str | None, route: str, what: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    task_id = submit(sim)
    injector = faulty_on(sim, route, "drop=1")
    slept: list[float] = []
    service = retrying_provider(sim, slept, flavor=configured)
    with pytest.raises(errors.TransportError) as caught:
        await _ask(service, what, clock, task_id)
    assert isinstance(caught.value, errors.ConnectionLost), caught.value  # not OutcomeUnknown: nothing was acted on
    assert "may or may not have taken effect" not in str(caught.value)
    assert caught.value.endpoint == route
    assert injector.injected == {"drop": 3} and len(slept) == 2  # asked three times, as a GET is
    await service.aclose()


@pytest.mark.parametrize(("flavor", "configured", "route", "what"), QUERIES)
async def test_a_query_that_times_out_once_succeeds_on_its_retry(
        flavor: str, configured: str | None, route: str, what: str) -> None:
    clock = ManualClock()
    sim = gateway(flavor, clock)
    task_id = submit(sim)
    injector = faulty_on(sim, route, "timeout=1,hang_seconds=5", times=1)
    slept: list[float] = []
    service = retrying_provider(sim, slept, timeout=0.05, flavor=configured)
    await _ask(service, what, clock, task_id)
    assert service.dialect == flavor
    assert injector.injected == {"timeout": 1} and len(slept) == 1
    await service.aclose()
