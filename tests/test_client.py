"""The HTTP clients driven against the in-process simulator.

No mocks of our own client: the simulator is the test double, time moves only
with `clock.advance()`, and every fault comes from the simulator's fault
profile. Work is created through the simulator's own endpoints (a raw httpx
client with the account's token) or `sim.world.submit(...)` directly, so the
client under test only ever makes the calls a user's monitor would make.
"""

from __future__ import annotations

import gzip
import math
import ssl
import struct
import threading
import traceback
import tracemalloc
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from support.clients import imaginepro_client, useapi_client
from support.hostile_server import HostileServer, answer, bomb, drip, endless, trickle
from support.loopback import serving

from mjtui.api import errors
from mjtui.api.client import (
    CALL_DEADLINE_FACTOR,
    MAX_ANSWER_BYTES,
    MIN_ANSWER_RATE,
    ImagineProClient,
    UseapiClient,
    _api_error,
)
from mjtui.api.models import MessageStatus
from mjtui.clock import ManualClock
from mjtui.sim import SIM_ORIGIN, Simulator
from mjtui.sim.app import CANCEL_REFUSED
from mjtui.sim.rate_gate import GENERAL_GAP
from mjtui.sim.world import CANCELLED_ERROR, MODERATION_ERROR, SimJob, Submission

NO_SUBSCRIPTION = "Account has no subscription or subscription expired"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# -- helpers ----------------------------------------------------------------------------------------


class RecordingSleep:
    """An injected `sleep` that returns at once and remembers every delay asked for."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def raw_client(sim: Simulator, account: str = "main") -> httpx.AsyncClient:
    """Plain httpx into the simulator with the account's bearer token: how tests create work."""
    return httpx.AsyncClient(
        base_url=SIM_ORIGIN,
        transport=sim.transport(),
        headers={"Authorization": f"Bearer {sim.token(account)}"},
    )


def submit(sim: Simulator, prompt: str = "Steampunk cat --v 6.1", channel: str | None = None) -> SimJob:
    """Start an imagine job now, straight on the world (no HTTP, so no injected faults)."""
    world = sim.world
    world.advance()
    return world.submit(world.accounts["main"], prompt, channel or world.accounts["main"].channels[0])


def run_to_end(clock: ManualClock, job: SimJob) -> None:
    """Move the clock just past the job's finish."""
    clock.advance(max(0.0, job.finish_at - clock.now()) + 1.0)


def completed_job(sim: Simulator, clock: ManualClock, prompt: str = "Steampunk cat --v 6.1") -> SimJob:
    job = submit(sim, prompt)
    job.outcome = "completed"  # the world rolls a small chance of failure; these scenarios need a success
    run_to_end(clock, job)
    sim.world.advance()
    return job


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def quiet(make_sim) -> Simulator:
    """One channel, three slots, no simulated user: only the test's own work runs."""
    return make_sim(channels=1, max_jobs=3, autopilot=False)


@pytest.fixture
async def api(quiet: Simulator) -> AsyncIterator[UseapiClient]:
    client = useapi_client(quiet, sleep=RecordingSleep())
    yield client
    await client.aclose()


# -- 1. every useapi endpoint -----------------------------------------------------------------------


async def test_running_jobs_counts_and_limits_match_what_runs(quiet, api, clock):
    channel = quiet.world.accounts["main"].channels[0]
    first = submit(quiet, "a lighthouse in a storm")
    second = submit(quiet, "a fox reading a map")

    listing = await api.running_jobs()

    assert (listing.total, listing.images, listing.videos) == (2, 2, 0)
    entry = listing.channels[channel]
    assert (entry.total, entry.images, entry.videos) == (2, 2, 0)
    assert (entry.max_jobs, entry.max_image_jobs, entry.max_video_jobs) == (3, 3, 1)
    assert {job.job_id for job in entry.jobs} == {first.jobid, second.jobid}
    assert all(job.channel == channel and job.job_type == "image" for job in entry.jobs)


async def test_running_jobs_elapsed_moves_with_the_clock(quiet, api, clock):
    job = submit(quiet)
    assert (await api.running_jobs()).channels[job.channel].jobs[0].elapsed == "00:00"

    clock.advance(23)
    listed = (await api.running_jobs()).channels[job.channel].jobs[0]

    assert listed.elapsed == "00:23"
    assert listed.elapsed_seconds == 23


async def test_a_finished_job_leaves_the_running_list_and_reads_completed(quiet, api, clock):
    done = completed_job(quiet, clock)
    still = submit(quiet, "still running")

    listing = await api.running_jobs()

    assert [job.job_id for job in listing.channels[still.channel].jobs] == [still.jobid]
    assert listing.total == 1
    assert (await api.job(done.jobid)).status == "completed"


async def test_job_record_has_buttons_children_and_attachments(quiet, api, clock):
    parent = completed_job(quiet, clock)
    async with raw_client(quiet) as raw:
        pressed = await raw.post("/v2/jobs/button", json={"jobid": parent.jobid, "button": "U1"})
    assert pressed.status_code == 200
    child_id = pressed.json()["jobid"]

    record = await api.job(parent.jobid)

    assert record.jobid == parent.jobid
    assert record.verb == "imagine"
    assert record.status == "completed"
    assert record.prompt == "Steampunk cat --v 6.1"
    assert record.buttons == ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]
    assert [(child.button, child.jobid) for child in record.children] == [("U1", child_id)]
    assert record.children[0].message_id
    assert record.max_jobs == 3
    [image] = record.attachments
    assert image.url and image.url.startswith(SIM_ORIGIN)
    assert (image.width, image.height) == (128, 128)
    assert image.size and image.size > 0
    assert image.content_type == "image/png"
    channel = quiet.world.channels[parent.channel]
    assert record.discord == f"{channel.discord[:3]}…secured…{channel.discord[-3:]}"

    child = await api.job(child_id)
    assert (child.verb, child.button, child.parent_job_id) == ("button", "U1", parent.jobid)
    assert child.is_running


async def test_attachment_url_serves_a_png_of_the_stated_size(quiet, api, clock):
    job = completed_job(quiet, clock)
    [image] = (await api.job(job.jobid)).attachments

    async with raw_client(quiet) as raw:
        served = await raw.get(image.url)

    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert len(served.content) == image.size
    assert png_size(served.content) == (image.width, image.height)


async def test_mode_commands_change_info_and_new_jobs(quiet, api, clock):
    relax = await api.command("relax")
    assert (relax.verb, relax.status) == ("relax", "completed")
    assert relax.content and relax.content.startswith("Done! Your jobs now do not consume fast-hours")

    info = await api.command("info")
    assert (info.verb, info.status) == ("info", "completed")
    assert "**Job Mode**: Relax" in (info.content or "")

    job = submit(quiet, "a koi pond")
    clock.advance(job.start_at - clock.now() + 1)
    assert (await api.job(job.jobid)).content.endswith("(relax)")

    turbo = await api.command("turbo")
    assert (turbo.verb, turbo.status) == ("turbo", "completed")
    assert "Turbo mode enabled" in (turbo.content or "")
    assert "**Job Mode**: Turbo" in ((await api.command("info")).content or "")
    fast = await api.command("fast")
    assert (fast.verb, fast.status) == ("fast", "completed")
    assert "**Job Mode**: Fast" in ((await api.command("info")).content or "")
    newer = submit(quiet, "a paper boat")
    clock.advance(newer.start_at - clock.now() + 1)
    assert (await api.job(newer.jobid)).content.endswith("(fast)")


async def test_unknown_command_is_refused_before_anything_is_sent(quiet, api):
    before = quiet.world.requests
    with pytest.raises(ValueError, match="unknown command 'imagine'"):
        await api.command("imagine")  # type: ignore[arg-type]
    assert quiet.world.requests == before


async def test_command_on_a_named_channel_changes_only_that_channel(make_sim, clock):
    sim = make_sim(channels=2, autopilot=False)
    first, second = sim.world.accounts["main"].channels
    async with useapi_client(sim) as api:
        answer = await api.command("relax", first, reply_ref="ref-42")
        assert (answer.channel, answer.reply_ref) == (first, "ref-42")
        assert "**Job Mode**: Relax" in ((await api.command("info", first)).content or "")
        assert "**Job Mode**: Fast" in ((await api.command("info", second)).content or "")


async def test_seed_async_starts_then_completes_with_four_seed_images(quiet, api, clock):
    parent = completed_job(quiet, clock)

    started = await api.seed_async(parent.jobid)

    assert (started.verb, started.status, started.parent_job_id) == ("seed_async", "started", parent.jobid)
    assert started.jobid and started.jobid != parent.jobid
    assert not started.has_seed

    clock.advance(16)
    done = await api.job(started.jobid)
    assert done.status == "completed"
    assert done.has_seed and isinstance(done.seed.value, int)
    assert len(done.seed.attachments) == 4
    assert all(image.url and image.width == image.height == 64 for image in done.seed.attachments)
    assert f"**seed** {done.seed.value}" in (done.seed.content or "")

    again = await api.seed_async(parent.jobid)
    assert (again.jobid, again.verb, again.status) == (parent.jobid, "imagine", "completed")
    assert again.seed is not None and again.seed.value == done.seed.value
    assert [image.url for image in again.seed.attachments] == [image.url for image in done.seed.attachments]


async def test_cancel_fails_the_job_and_frees_its_slot_for_queued_work(quiet, api, clock):
    channel = quiet.world.channels[quiet.world.accounts["main"].channels[0]]
    running = [submit(quiet, f"job {n}") for n in range(3)]
    channel.backlog.append(Submission("imagine", "image", "waiting for a slot"))
    assert (await api.running_jobs()).total == 3

    assert await api.cancel(running[0].jobid) is None

    cancelled = await api.job(running[0].jobid)
    assert (cancelled.status, cancelled.error) == ("failed", CANCELLED_ERROR)
    listed = {job.job_id for job in (await api.running_jobs()).channels[channel.id].jobs}
    assert running[0].jobid not in listed
    assert len(listed) == 3
    [admitted] = listed - {job.jobid for job in running}
    assert (await api.job(admitted)).prompt == "waiting for a slot"


async def test_reset_clears_a_moderation_halt(quiet, api, clock):
    channel = quiet.world.accounts["main"].channels[0]
    quiet.world.schedule_moderation(5, channel)
    clock.advance(6)
    with pytest.raises(errors.ModerationPending):
        await api.running_jobs()

    assert await api.reset(channel) is None

    assert (await api.running_jobs()).total == 0
    assert (await api.command("info")).status == "completed"


# -- 2. job ids in paths ----------------------------------------------------------------------------


async def test_cancel_url_encodes_a_real_job_id(quiet, api, clock):
    job = submit(quiet)
    assert ":" in job.jobid

    await api.cancel(job.jobid)

    assert quiet.world.jobs[job.jobid].final_status == "failed"


NOT_IDS = ["", ".", "..", "../..", "j1/../../v2/jobs/x", "j1%2Fbot", "a?b#c d&jobid=z", "j1:ü🔄", " j1", "j1\n",
           "j1\x1b[2J", "-j1", "j" * 300]


def requests_reaching(sim: Simulator) -> list[str]:
    """Every request that reaches the simulator from now on, as `METHOD /path`; build clients after this."""
    seen: list[str] = []
    inner = sim.app

    async def app(scope, receive, send):
        if scope["type"] == "http":
            seen.append(f"{scope['method']} {scope['path']}")
        await inner(scope, receive, send)

    sim.app = app
    return seen


@pytest.mark.parametrize("jobid", NOT_IDS)
async def test_what_cannot_be_a_job_id_is_refused_before_sending(quiet, jobid):
    seen = requests_reaching(quiet)
    async with useapi_client(quiet) as api:
        for call, endpoint in ((api.cancel, "DELETE /v3/midjourney/jobs/{jobid}"), (api.job, "GET /v2/jobs/"),
                               (api.seed_async, "POST /v2/jobs/seed_async")):
            with pytest.raises(errors.InvalidId) as caught:
                await call(jobid)
            assert caught.value.endpoint == endpoint
            assert "is not a job id: not sent" in str(caught.value) and len(str(caught.value).splitlines()) == 1
    assert seen == []


@pytest.mark.parametrize("channel", ["", ".", "..", "123/..", "12 3", "abc", "1" * 40])
async def test_what_cannot_be_a_channel_is_refused_before_sending(quiet, channel):
    seen = requests_reaching(quiet)
    async with useapi_client(quiet) as api:
        with pytest.raises(errors.InvalidId, match="is not a channel id"):
            await api.reset(channel)
        with pytest.raises(errors.InvalidId, match="is not a channel id"):
            await api.command("relax", channel)
    assert seen == []


@pytest.mark.parametrize("message_id", ["", "..", "d15c1541/../x", "d15c 1541"])
async def test_what_cannot_be_a_message_id_is_refused_before_sending(make_sim, message_id):
    sim = make_sim(channels=1, imaginepro=True, autopilot=False)
    seen = requests_reaching(sim)
    async with imaginepro_client(sim) as api:
        for call in (api.message, api.cancel):
            with pytest.raises(errors.InvalidId, match="is not a message id"):
                await call(message_id)
    assert seen == []


async def test_ids_shaped_as_the_documents_show_them_are_sent(quiet):
    seen = requests_reaching(quiet)
    async with useapi_client(quiet) as api:
        with pytest.raises(errors.NotFound):
            await api.job("j1023141520123456789i-u12345-c1234567890123456789-bot:midjourney")
        with pytest.raises(errors.NotFound):
            await api.cancel("d15c1541-229a-442b-9873-d3494dede12a")
    assert seen == ["GET /v2/jobs/", "DELETE /v3/midjourney/jobs/d15c1541-229a-442b-9873-d3494dede12a"]


# -- 3. every documented error ----------------------------------------------------------------------


async def test_400_seed_of_a_running_job(quiet, api):
    job = submit(quiet)
    with pytest.raises(errors.BadRequest) as caught:
        await api.seed_async(job.jobid)
    assert (caught.value.status, caught.value.error) == (400, "Parent job must be completed")
    assert caught.value.endpoint == "POST /v2/jobs/seed_async"


async def test_400_reply_ref_too_long(quiet, api, clock):
    parent = completed_job(quiet, clock)
    with pytest.raises(errors.BadRequest) as caught:
        await api.command("relax", reply_ref="r" * 1025)
    assert caught.value.error == "replyRef is too long"
    with pytest.raises(errors.BadRequest) as caught:
        await api.seed_async(parent.jobid, reply_ref="r" * 1025)
    assert caught.value.error == "replyRef is too long"
    assert (await api.command("relax", reply_ref="r" * 1024)).reply_ref == "r" * 1024


async def test_400_channel_missing_on_a_multi_channel_account(make_sim):
    sim = make_sim(channels=2, autopilot=False)
    async with useapi_client(sim) as api:
        with pytest.raises(errors.BadRequest) as caught:
            await api.command("relax")
    assert caught.value.error == "channel is missing"
    assert caught.value.endpoint == "POST /v2/jobs/relax"


async def test_401_bad_token(quiet):
    async with UseapiClient("user:0000-not-a-real-token", SIM_ORIGIN, transport=quiet.transport()) as api:
        with pytest.raises(errors.Unauthorized) as caught:
            await api.running_jobs()
        assert (caught.value.status, caught.value.error) == (401, "Unauthorized")
        with pytest.raises(errors.Unauthorized):
            await api.command("info")


async def test_401_token_revoked_mid_session(make_sim, clock):
    sim = make_sim(channels=1, autopilot=False, faults="revoke_after=60")
    async with useapi_client(sim) as api:
        assert (await api.running_jobs()).total == 0
        clock.advance(59)
        assert (await api.running_jobs()).total == 0

        clock.advance(2)
        with pytest.raises(errors.Unauthorized) as caught:
            await api.running_jobs()
    assert caught.value.error == "Unauthorized"


async def test_402_no_subscription(quiet, api, clock):
    job = submit(quiet)
    quiet.world.accounts["main"].subscribed = False

    for call in (api.running_jobs(), api.job(job.jobid), api.command("relax"), api.seed_async(job.jobid)):
        with pytest.raises(errors.PaymentRequired) as caught:
            await call
        assert (caught.value.status, caught.value.error) == (402, NO_SUBSCRIPTION)


async def test_404_unknown_job_and_unknown_parent(api):
    missing = "j0000000000000000000i-u00000-c0000000000000000000-bot:midjourney"
    with pytest.raises(errors.NotFound) as caught:
        await api.job(missing)
    assert caught.value.error == f"Unable to locate job {missing}"
    assert caught.value.endpoint == "GET /v2/jobs/"

    with pytest.raises(errors.NotFound) as caught:
        await api.seed_async(missing)
    assert caught.value.error == f"Unable to locate parent job {missing}"


async def test_404_another_accounts_job_is_not_visible(make_sim, clock):
    sim = make_sim(channels=2, accounts=2, autopilot=False)
    other = sim.world.submit(sim.world.accounts["alt1"], "not yours", sim.world.accounts["alt1"].channels[0])
    async with useapi_client(sim) as api:
        with pytest.raises(errors.NotFound):
            await api.job(other.jobid)
        with pytest.raises(errors.NotFound):
            await api.cancel(other.jobid)
    assert other.final_status is None


async def test_409_seed_while_a_seed_job_runs(quiet, api, clock):
    parent = completed_job(quiet, clock)
    started = await api.seed_async(parent.jobid)

    with pytest.raises(errors.Conflict) as caught:
        await api.seed_async(parent.jobid)

    assert caught.value.status == 409
    assert started.jobid in (caught.value.error or "")
    assert caught.value.body["executingJobs"] == [started.jobid]


async def test_409_cancel_a_finished_job(quiet, api, clock):
    done = completed_job(quiet, clock)
    with pytest.raises(errors.Conflict) as caught:
        await api.cancel(done.jobid)
    assert caught.value.error == f"Job {done.jobid} is not running (status completed)"
    assert (await api.job(done.jobid)).status == "completed"


async def test_410_job_expired_after_31_days(quiet, api, clock):
    done = completed_job(quiet, clock)
    clock.advance(30 * 86400)
    assert (await api.job(done.jobid)).status == "completed"

    clock.advance(2 * 86400)
    with pytest.raises(errors.Gone) as caught:
        await api.job(done.jobid)

    assert (caught.value.status, caught.value.error) == (410, "Job has expired")


async def test_422_moderated_prompt_maps_to_moderated(quiet):
    async with raw_client(quiet) as raw:
        answer = await raw.post("/v2/jobs/imagine", json={"prompt": "something forbidden"})
    assert answer.status_code == 422

    error = _api_error(answer, "POST /v2/jobs/imagine", None)

    assert isinstance(error, errors.Moderated)
    assert (error.status, error.error) == (422, "Moderated")
    assert error.error_details and "community standards" in error.error_details
    assert "422" in str(error) and "Moderated" in str(error)


def _built(status: int, body: Any = None, *, text: str | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    """An answer the simulator never gives, built by hand to check the error taxonomy."""
    request = httpx.Request("GET", SIM_ORIGIN + "/v3/midjourney/jobs")
    if text is not None:
        return httpx.Response(status, text=text, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(569, errors.ModerationPending), (503, errors.UpstreamError), (504, errors.UpstreamError), (418, errors.ApiError)],
)
def test_statuses_the_simulator_never_sends_still_map_to_their_class(status, kind):
    error = _api_error(_built(status, {"error": "as the service said", "code": status}), "GET /v3/midjourney/jobs", None)
    assert type(error) is kind
    assert (error.status, error.error) == (status, "as the service said")


def test_a_non_json_error_page_keeps_its_text():
    error = _api_error(_built(502, text="<html>Bad gateway</html>"), "GET /v3/midjourney/jobs", None)
    assert isinstance(error, errors.UpstreamError)
    assert error.error == "<html>Bad gateway</html>"


@pytest.mark.parametrize("header", ["inf", "1e400"])
def test_retry_after_is_never_infinite(header):
    error = _api_error(_built(429, {"error": "slow down"}, headers={"Retry-After": header}), "GET /v3/midjourney/jobs", None)
    assert error.retry_after is None or math.isfinite(error.retry_after)


@pytest.mark.parametrize("header", ["1e20", "99999999999", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_huge_retry_after_is_at_most_an_hour(header):
    error = _api_error(_built(429, {"error": "slow down"}, headers={"Retry-After": header}), "GET /v3/midjourney/jobs", None)
    assert error.retry_after == 3600.0


def test_a_retry_after_date_no_calendar_holds_is_ignored():
    header = "Fri, 31 Dec 99999999999999999999 23:59:59 GMT"
    error = _api_error(_built(429, {"error": "slow down"}, headers={"Retry-After": header}), "GET /v3/midjourney/jobs", None)
    assert error.retry_after is None


async def test_429_rate_limited_carries_retry_after(make_sim):
    sim = make_sim(channels=1, autopilot=False, faults="rate_limit=1,retry_after=7")
    sleep = RecordingSleep()
    async with useapi_client(sim, sleep=sleep) as api:
        with pytest.raises(errors.RateLimited) as caught:
            await api.running_jobs()
    assert (caught.value.status, caught.value.retry_after) == (429, 7.0)
    assert caught.value.error == "Too many requests, please slow down"
    assert sim.app.injected == {"rate_limit": 1}  # a 429 is the caller's to honour, not retried blindly
    assert sleep.delays == []


async def test_429_channel_at_capacity_maps_to_rate_limited(quiet):
    for n in range(3):
        submit(quiet, f"job {n}")
    async with raw_client(quiet) as raw:
        answer = await raw.post("/v2/jobs/imagine", json={"prompt": "one too many"})

    error = _api_error(answer, "POST /v2/jobs/imagine", None)

    assert isinstance(error, errors.RateLimited)
    assert error.error == "Maximum of 3 jobs executing in parallel supported"
    assert len(error.body["executingJobs"]) == 3


async def test_5xx_is_an_upstream_error_after_get_retries(make_sim):
    sim = make_sim(channels=1, autopilot=False, faults="server_error=1")
    sleep = RecordingSleep()
    async with useapi_client(sim, sleep=sleep) as api:
        with pytest.raises(errors.UpstreamError) as caught:
            await api.running_jobs()
    assert caught.value.status in (500, 502)
    assert (caught.value.error, caught.value.error_details) == ("Upstream failure", "Discord did not answer")
    assert sim.app.injected == {"server_error": 3}
    assert len(sleep.delays) == 2


async def test_596_on_list_and_job_names_the_channel(make_sim, clock):
    sim = make_sim(channels=2, autopilot=False, faults="moderation_after=10")
    halted = sim.world.accounts["main"].channels[0]
    job = submit(sim, channel=halted)
    sleep = RecordingSleep()
    async with useapi_client(sim, sleep=sleep) as api:
        assert (await api.running_jobs()).total == 1
        clock.advance(11)

        before = sim.world.requests
        with pytest.raises(errors.ModerationPending) as listed:
            await api.running_jobs()
        assert sim.world.requests == before + 1  # a halt is not retried: only a reset clears it
        with pytest.raises(errors.ModerationPending) as fetched:
            await api.job(job.jobid)
        with pytest.raises(errors.ModerationPending) as commanded:
            await api.command("relax", halted)

    for caught in (listed, fetched, commanded):
        assert caught.value.status == 596
        assert caught.value.error == MODERATION_ERROR
        assert caught.value.channel == halted
    assert listed.value.endpoint == "GET /v3/midjourney/jobs"
    assert sleep.delays == []


async def test_596_on_seed_async_is_the_job_shaped_answer(quiet, api, clock):
    parent = completed_job(quiet, clock)
    quiet.world.schedule_moderation(1, parent.channel)
    clock.advance(2)

    with pytest.raises(errors.ModerationPending) as caught:
        await api.seed_async(parent.jobid)

    error = caught.value
    assert (error.status, error.error) == (596, "Pending mod message")
    assert error.error_details == "You have a pending moderation message. Please acknowledge it before using the bot further."
    assert error.channel == parent.channel
    assert error.body["verb"] == "seed_async"
    assert error.body["parentJobId"] == parent.jobid
    assert error.body["status"] == "failed"


# -- 4. transport faults ----------------------------------------------------------------------------


@pytest.fixture
def hanging(make_sim) -> Simulator:
    return make_sim(channels=1, autopilot=False, faults="timeout=1,hang_seconds=5")


async def test_timeout_on_get_is_retried_then_is_a_read_timeout(hanging):
    sleep = RecordingSleep()
    async with useapi_client(hanging, timeout=0.05, sleep=sleep) as api:
        with pytest.raises(errors.ReadTimeout) as caught:
            await api.running_jobs()
    assert caught.value.endpoint == "GET /v3/midjourney/jobs"
    assert hanging.app.injected == {"timeout": 3}, "a GET that timed out is asked again, as the call's deadline allows"
    assert len(sleep.delays) == 2


async def test_a_poll_that_times_out_once_succeeds_on_its_retry(make_sim):
    # With world seed 0 the fault injector holds the first request past the timeout and answers the second.
    sim = make_sim(seed=0, channels=1, autopilot=False, faults="timeout=0.5,hang_seconds=5")
    job = submit(sim)
    sleep = RecordingSleep()
    async with useapi_client(sim, timeout=0.05, sleep=sleep) as api:
        listing = await api.running_jobs()
    assert [entry.job_id for entry in listing.channels[job.channel].jobs] == [job.jobid]
    assert sim.app.injected == {"timeout": 1}
    assert len(sleep.delays) == 1


@pytest.mark.parametrize("call", ["relax", "seed_async", "cancel"])
async def test_timeout_on_post_or_delete_is_outcome_unknown_sent_once(hanging, clock, call):
    job = submit(hanging)
    sleep = RecordingSleep()
    async with useapi_client(hanging, timeout=0.05, sleep=sleep) as api:
        action = {
            "relax": lambda: api.command("relax"),
            "seed_async": lambda: api.seed_async(job.jobid),
            "cancel": lambda: api.cancel(job.jobid),
        }[call]
        with pytest.raises(errors.OutcomeUnknown) as caught:
            await action()
    assert isinstance(caught.value.cause, errors.ReadTimeout)
    assert "may or may not have taken effect" in str(caught.value)
    assert hanging.app.injected == {"timeout": 1}
    assert sleep.delays == []


async def test_dropped_connection_is_connection_lost_on_get(make_sim):
    sim = make_sim(channels=1, autopilot=False, faults="drop=1")
    async with useapi_client(sim, sleep=RecordingSleep()) as api:
        with pytest.raises(errors.ConnectionLost) as caught:
            await api.running_jobs()
    assert caught.value.endpoint == "GET /v3/midjourney/jobs"
    assert sim.app.injected == {"drop": 3}


async def test_dropped_connection_is_outcome_unknown_on_post(make_sim):
    sim = make_sim(channels=1, autopilot=False, faults="drop=1")
    async with useapi_client(sim, sleep=RecordingSleep()) as api:
        with pytest.raises(errors.OutcomeUnknown) as caught:
            await api.command("relax")
    assert isinstance(caught.value.cause, errors.ConnectionLost)
    assert caught.value.endpoint == "POST /v2/jobs/relax"
    assert sim.app.injected == {"drop": 1}


@pytest.mark.parametrize("fault", ["malformed", "schema"])
async def test_garbled_answers_are_protocol_errors_naming_the_endpoint(make_sim, clock, fault):
    sim = make_sim(channels=1, autopilot=False, faults=f"{fault}=1")
    job = submit(sim)
    async with useapi_client(sim, sleep=RecordingSleep()) as api:
        with pytest.raises(errors.ProtocolError) as listed:
            await api.running_jobs()
        with pytest.raises(errors.ProtocolError) as fetched:
            await api.job(job.jobid)
        with pytest.raises(errors.ProtocolError) as commanded:
            await api.command("info")
    assert listed.value.endpoint == "GET /v3/midjourney/jobs"
    assert fetched.value.endpoint == "GET /v2/jobs/"
    assert commanded.value.endpoint == "POST /v2/jobs/info"
    expected = "the answer was not JSON" if fault == "malformed" else "unexpected answer"
    assert all(expected in caught.value.message for caught in (listed, fetched, commanded))
    assert "GET /v3/midjourney/jobs" in str(listed.value)


async def test_refused_connection_is_never_outcome_unknown():
    sleep = RecordingSleep()
    async with UseapiClient("user:1234-refused", "http://127.0.0.1:9", timeout=2.0, sleep=sleep) as api:
        with pytest.raises(errors.ConnectionRefused) as listed:
            await api.running_jobs()
        for post in (api.command("relax"), api.seed_async("j1:x"), api.cancel("j1:x"), api.reset("123")):
            with pytest.raises(errors.ConnectionRefused) as caught:
                await post
            assert not isinstance(caught.value, errors.OutcomeUnknown)
    assert listed.value.endpoint == "GET /v3/midjourney/jobs"
    assert len(sleep.delays) == 2  # only the GET was retried


# -- 4b. hostile answers: a size and a deadline -----------------------------------------------------


TOO_LARGE = "the answer is larger than 8 MB: not read further (GET /v3/midjourney/jobs)"


@pytest.mark.parametrize("attack", [bomb, endless], ids=["gzip-bomb", "endless-chunked"])
async def test_an_answer_over_the_cap_is_refused_with_memory_near_the_cap(attack):
    tracemalloc.start()
    try:
        with HostileServer(attack()) as server:
            async with UseapiClient("user:1-token", server.url, sleep=RecordingSleep()) as api:
                with pytest.raises(errors.AnswerTooLarge) as caught:
                    await api.running_jobs()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value) == TOO_LARGE
    assert server.requests == ["GET /v3/midjourney/jobs HTTP/1.1"], "not retried"
    assert peak < 3 * MAX_ANSWER_BYTES, f"{peak / 2**20:.0f} MB held to refuse an answer over {MAX_ANSWER_BYTES / 2**20:g} MB"


async def test_a_running_list_of_10000_jobs_fits_under_the_cap_four_times_over(make_sim):
    sim = make_sim(channels=100, max_jobs=100, autopilot=False)
    main = sim.world.accounts["main"]
    for channel in main.channels:
        for n in range(100):
            sim.world.submit(main, f"job {n}", channel)
    async with raw_client(sim) as raw:
        size = len((await raw.get("/v3/midjourney/jobs")).content)
    async with useapi_client(sim) as api:
        listing = await api.running_jobs()
    assert listing.total == 10_000
    assert 4 * size < MAX_ANSWER_BYTES, f"a 10,000-job list is {size / 2**20:.1f} MB: too close to the cap"


async def test_a_gzip_answer_under_the_cap_is_read_whole(quiet):
    for n in range(3):
        submit(quiet, f"job {n}")
    async with raw_client(quiet) as raw:
        listed = (await raw.get("/v3/midjourney/jobs")).content
    with HostileServer(answer("200 OK", "Content-Encoding: gzip", gzip.compress(listed))) as server:
        async with UseapiClient("user:1-token", server.url) as api:
            listing = await api.running_jobs()
    assert listing.total == 3 and len(next(iter(listing.channels.values())).jobs) == 3


async def test_an_error_page_that_never_ends_still_reports_its_status():
    with HostileServer(endless(status="502 Bad Gateway")) as server:
        async with UseapiClient("user:1-token", server.url, get_retries=0) as api:
            with pytest.raises(errors.UpstreamError) as caught:
                await api.running_jobs()
    assert caught.value.status == 502


@pytest.mark.parametrize("encoding", ["br", "gzip"], ids=["encoding-not-asked-for", "broken-gzip"])
async def test_an_error_page_that_cannot_be_decoded_keeps_its_status_and_a_get_is_retried_as_for_any_5xx(encoding):
    proxy_page = answer("502 Bad Gateway", f"Content-Encoding: {encoding}", b"\x8b\x05\x80<html>bad gateway</html>\x03")
    with HostileServer(proxy_page) as server:
        async with UseapiClient("user:1-token", server.url, sleep=RecordingSleep()) as api:
            with pytest.raises(errors.UpstreamError) as caught:
                await api.running_jobs()
    assert (caught.value.status, caught.value.error) == (502, "Bad Gateway")
    assert server.requests == ["GET /v3/midjourney/jobs HTTP/1.1"] * 3


SLOW = f"no answer in time: the answer came at under {MIN_ANSWER_RATE / 1024:g} KB/s"


async def test_a_drip_fails_after_a_timeout_though_every_read_is_quick_each_time_it_is_asked():
    with HostileServer(drip(interval=0.05, seconds=10)) as server:
        async with UseapiClient("user:1-token", server.url, timeout=0.3, sleep=RecordingSleep()) as api:
            with pytest.raises(errors.ReadTimeout) as caught:
                await api.running_jobs()
    assert str(caught.value) == f"{SLOW} (GET /v3/midjourney/jobs)"
    assert server.requests == ["GET /v3/midjourney/jobs HTTP/1.1"] * 3


async def test_an_answer_that_comes_steadily_but_never_ends_is_cut_at_the_calls_deadline():
    fast_enough = drip(interval=0.05, seconds=10, piece=MIN_ANSWER_RATE // 4)  # five times the rate asked for
    with HostileServer(fast_enough) as server:
        async with UseapiClient("user:1-token", server.url, timeout=0.1, sleep=RecordingSleep()) as api:
            with pytest.raises(errors.ReadTimeout) as caught:
                await api.running_jobs()
    deadline = 0.1 * CALL_DEADLINE_FACTOR
    assert str(caught.value) == f"no answer in time: not complete within {deadline:g} s (GET /v3/midjourney/jobs)"
    assert server.requests == ["GET /v3/midjourney/jobs HTTP/1.1"]


async def test_a_large_answer_on_a_slow_link_is_read_though_it_takes_longer_than_the_timeout(quiet):
    for n in range(3):
        submit(quiet, f"job {n}")
    async with raw_client(quiet) as raw:
        listed = (await raw.get("/v3/midjourney/jobs")).content
    pieces = 10  # one each 0.05 s: half a second, twice the timeout, at ten times the rate asked for
    body = listed.ljust(pieces * MIN_ANSWER_RATE // 2)  # JSON may end in spaces
    with HostileServer(trickle(body, MIN_ANSWER_RATE // 2, interval=0.05)) as server:
        async with UseapiClient("user:1-token", server.url, timeout=0.25, sleep=RecordingSleep()) as api:
            listing = await api.running_jobs()
    assert listing.total == 3
    assert server.requests == ["GET /v3/midjourney/jobs HTTP/1.1"]


@pytest.mark.parametrize("call", ["relax", "cancel"])
async def test_a_post_or_delete_whose_answer_drips_past_the_deadline_is_outcome_unknown(call):
    with HostileServer(drip(interval=0.05, seconds=10)) as server:
        async with UseapiClient("user:1-token", server.url, timeout=0.3, sleep=RecordingSleep()) as api:
            action = {"relax": lambda: api.command("relax"), "cancel": lambda: api.cancel("j1:x")}[call]
            with pytest.raises(errors.OutcomeUnknown) as caught:
                await action()
    assert isinstance(caught.value.cause, errors.ReadTimeout)
    assert SLOW in str(caught.value)
    assert len(server.requests) == 1, "sent once, never again"


async def test_an_image_has_a_deadline_and_a_cap_too():
    with HostileServer(drip(interval=0.05, seconds=10)) as server:
        async with UseapiClient("user:1-token", "https://api.example", timeout=0.1) as api:
            with pytest.raises(errors.ReadTimeout, match=r"not complete within 0.4 s \(GET image from 127.0.0.1\)"):
                await api.download(f"{server.url}/grid.png")
    with HostileServer(bomb()) as server:
        async with UseapiClient("user:1-token", "https://api.example") as api:
            with pytest.raises(errors.AnswerTooLarge, match="the image is larger than 16 MB"):
                await api.download(f"{server.url}/grid.png")


# -- 5. GET retries ---------------------------------------------------------------------------------


async def test_get_succeeds_after_a_5xx_with_backoff(make_sim, clock):
    # With world seed 3 the fault injector answers the first request 5xx and the second normally.
    sim = make_sim(seed=3, channels=1, autopilot=False, faults="server_error=0.5")
    job = submit(sim)
    sleep = RecordingSleep()
    async with useapi_client(sim, sleep=sleep) as api:
        listing = await api.running_jobs()
    assert [entry.job_id for entry in listing.channels[job.channel].jobs] == [job.jobid]
    assert sim.app.injected == {"server_error": 1}
    [delay] = sleep.delays
    assert 0.25 <= delay <= 0.5


async def test_get_backoff_grows_between_retries(make_sim):
    sim = make_sim(channels=1, autopilot=False, faults="server_error=1")
    sleep = RecordingSleep()
    async with useapi_client(sim, sleep=sleep, get_retries=3) as api:
        with pytest.raises(errors.UpstreamError):
            await api.running_jobs()
    assert sim.app.injected == {"server_error": 4}
    assert len(sleep.delays) == 3
    for attempt, delay in enumerate(sleep.delays):
        assert 0.25 * 2**attempt <= delay <= 0.5 * 2**attempt


@pytest.mark.parametrize("call", ["relax", "seed_async", "cancel", "reset"])
async def test_post_and_delete_are_never_retried_on_5xx(make_sim, clock, call):
    sim = make_sim(channels=1, autopilot=False, faults="server_error=1")
    job = submit(sim)
    sleep = RecordingSleep()
    async with useapi_client(sim, sleep=sleep) as api:
        action = {
            "relax": lambda: api.command("relax"),
            "seed_async": lambda: api.seed_async(job.jobid),
            "cancel": lambda: api.cancel(job.jobid),
            "reset": lambda: api.reset(job.channel),
        }[call]
        with pytest.raises(errors.UpstreamError):
            await action()
    assert sim.app.injected == {"server_error": 1}
    assert sleep.delays == []
    assert job.final_status is None


# -- 6. ImaginePro ----------------------------------------------------------------------------------


@pytest.fixture
def nova(make_sim) -> Simulator:
    return make_sim(channels=1, imaginepro=True, autopilot=False)


def token_id(sim: Simulator) -> int:
    return sim.world.channels[sim.world.accounts["ip"].channels[0]].token_id


async def nova_imagine(sim: Simulator, prompt: str) -> SimJob:
    async with raw_client(sim, "ip") as raw:
        answer = await raw.post("/api/v1/nova/imagine", json={"prompt": prompt})
    assert answer.status_code == 200 and answer.json()["success"] is True
    message_id = answer.json()["messageId"]
    return next(job for job in sim.world.jobs.values() if job.message_id == message_id)


async def test_imaginepro_command_sends_token_id_as_an_integer(nova, clock):
    ident = token_id(nova)
    async with raw_client(nova, "ip") as raw:
        as_text = await raw.post("/api/v1/nova/commands", json={"cmd": "info", "tokenId": str(ident)})
    assert as_text.status_code == 400 and as_text.json()["error"] == "tokenId must be an integer"

    clock.advance(GENERAL_GAP)  # one general request per 3 s
    async with imaginepro_client(nova) as api:
        answer = await api.command("relax", ident)
        assert answer.success is True and answer.message_id and answer.created_at
        progress = await api.message(answer.message_id)
    assert (progress.status, progress.progress) == (MessageStatus.DONE, 100)
    assert progress.is_final
    assert nova.world.channels[nova.world.accounts["ip"].channels[0]].mode == "relax"


async def test_imaginepro_message_progresses_to_done(nova, clock):
    job = await nova_imagine(nova, "an owl librarian")
    job.outcome = "completed"
    async with imaginepro_client(nova) as api:
        queued = await api.message(job.message_id)
        assert (queued.status, queued.progress) == (MessageStatus.QUEUED, 0)
        assert not queued.is_final

        clock.advance(job.start_at - clock.now() + (job.finish_at - job.start_at) / 2)
        working = await api.message(job.message_id)
        assert working.status == MessageStatus.PROCESSING
        assert 0 < working.progress < 100

        run_to_end(clock, job)
        done = await api.message(job.message_id)
    assert (done.status, done.progress) == (MessageStatus.DONE, 100)
    assert done.uri and done.uri.startswith(SIM_ORIGIN)
    assert "U1" in done.buttons


async def test_imaginepro_cancel_fails_the_message(nova, clock):
    job = await nova_imagine(nova, "a brutalist library")
    clock.advance(GENERAL_GAP)
    async with imaginepro_client(nova) as api:
        answer = await api.cancel(job.message_id)
        assert answer.success is True and answer.message_id == job.message_id
        progress = await api.message(job.message_id)
    assert progress.status == MessageStatus.FAIL
    assert progress.error == CANCELLED_ERROR
    assert progress.is_final


async def test_imaginepro_unsuccessful_answers_carry_the_apis_text(nova, clock):
    job = await nova_imagine(nova, "a paper-cut diorama")
    run_to_end(clock, job)
    async with imaginepro_client(nova) as api:
        with pytest.raises(errors.ApiError) as cancelled:
            await api.cancel(job.message_id)
        clock.advance(GENERAL_GAP)
        with pytest.raises(errors.ApiError) as pressed:
            await api.button(job.message_id, "Make Pizza")
        clock.advance(GENERAL_GAP)
        with pytest.raises(errors.NotFound) as unknown_token:
            await api.command("info", 4242)
        with pytest.raises(errors.NotFound) as unknown_message:
            await api.message("no-such-message")
    assert cancelled.value.error == CANCEL_REFUSED
    assert pressed.value.error == f"Button Make Pizza is not supported by job {job.jobid}"
    assert unknown_token.value.error == "Linked account 4242 not found"
    assert unknown_message.value.error == "Message no-such-message not found"


async def test_imaginepro_success_false_with_200_is_an_api_error():
    # The simulator always pairs `success: false` with an error status; this is the 200 form ImaginePro also sends.
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"success": False, "messageId": "", "createdAt": "", "error": "Token is disabled"})

    async with ImagineProClient("ip-secret", SIM_ORIGIN, transport=httpx.MockTransport(server)) as api:
        with pytest.raises(errors.ApiError) as caught:
            await api.command("info", 1)
    assert caught.value.error == "Token is disabled"
    assert caught.value.endpoint == "POST /api/v1/nova/commands"


# -- 7. tokens never leak ---------------------------------------------------------------------------


SECRET = "user:9876-SECRETtokenDoNotShow0123456789abcdef"


async def _every_failure(sim: Simulator, **options: Any) -> list[BaseException]:
    """Provoke one of each kind of failure with SECRET as the token and return what was raised."""
    caught: list[BaseException] = []
    async with UseapiClient(SECRET, SIM_ORIGIN, transport=sim.transport(), sleep=RecordingSleep(), **options) as api:
        for call in (
            lambda: api.running_jobs(),
            lambda: api.job("j1:missing"),
            lambda: api.command("relax", reply_ref="r" * 1025),
            lambda: api.seed_async("j1:missing"),
            lambda: api.cancel("j1:missing"),
            lambda: api.reset("123"),
        ):
            try:
                await call()
            except errors.MjtuiError as exc:
                caught.append(exc)
    return caught


def _assert_no_secret(failures: list[BaseException], secret: str) -> None:
    assert failures
    for failure in failures:
        shown = "".join(traceback.format_exception(failure)) + repr(failure) + str(failure)
        shown += repr(getattr(failure, "body", None)) + repr(getattr(failure, "cause", None))
        assert secret not in shown
        assert secret[5:-5] not in shown


@pytest.mark.parametrize(
    "faults", [None, "timeout=1,hang_seconds=5", "drop=1", "malformed=1", "schema=1", "server_error=1", "rate_limit=1"]
)
async def test_token_never_appears_in_errors(make_sim, faults):
    sim = make_sim(channels=1, autopilot=False, faults=faults)
    sim.world.accounts["main"].token = SECRET
    failures = await _every_failure(sim, timeout=0.05)
    _assert_no_secret(failures, SECRET)


async def test_token_never_appears_when_rejected_or_refused(quiet):
    failures = await _every_failure(quiet)  # SECRET is not the account's token: every call is a 401
    assert all(isinstance(failure, errors.Unauthorized) for failure in failures)
    async with UseapiClient(SECRET, "http://127.0.0.1:9", sleep=RecordingSleep()) as api:
        for call in (api.running_jobs(), api.command("relax")):
            with pytest.raises(errors.ConnectionRefused) as caught:
                await call
            failures.append(caught.value)
    _assert_no_secret(failures, SECRET)


async def test_repr_of_a_client_masks_the_token(quiet):
    async with UseapiClient(SECRET, SIM_ORIGIN, transport=quiet.transport()) as api:
        shown = repr(api)
    assert SECRET not in shown
    assert "use…def" in shown
    async with ImagineProClient("ip-SECRETimaginepro-xyz", SIM_ORIGIN, transport=quiet.transport()) as nova:
        assert "SECRETimaginepro" not in repr(nova)
        assert "ip-…xyz" in repr(nova)



# -- TLS -------------------------------------------------------------------------------------------------


async def test_every_client_verifies_servers_with_one_certificate_store_loaded_once(monkeypatch):
    """Four accounts over https load the certificate store once, not four times (~20 ms each at start-up),
    and still verify every server's certificate and name."""
    import ssl

    from mjtui.api import client as client_module

    loads: list[ssl.SSLContext] = []
    create = httpx.create_ssl_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        loads.append(create(*args, **kwargs))
        return loads[-1]

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    monkeypatch.setattr(client_module, "_tls", None)
    monkeypatch.setattr(urllib.request, "getproxies", dict)  # no proxy: a proxied client loads it at once
    clients = [UseapiClient("token-a"), ImagineProClient("token-b"), UseapiClient("token-c", "https://proxy.example")]
    try:
        assert [c._http for c in clients] and loads == [], "a client waits for the store only when it first sends"
        transports = [await c._http._transport.ready() for c in clients]  # what the first https request awaits
        assert len(loads) == 1
        context = loads[0]
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        assert context.cert_store_stats()["x509_ca"] > 0, "the certificate authorities are loaded"
        assert all(transport._pool._ssl_context is context for transport in transports)
    finally:
        for c in clients:
            await c.aclose()


async def test_a_plain_http_service_is_polled_without_loading_the_certificate_store(monkeypatch):
    """A gateway on the LAN or the simulator (http://) needs no TLS: the store (~25 ms, and a wait for its thread) is
    left unloaded, until an image is fetched from an https host."""
    from mjtui.api import client as client_module

    loads: list[object] = []
    monkeypatch.setattr(client_module, "_tls", None)
    monkeypatch.setattr(client_module, "tls_context", lambda: loads.append(1) or ssl.create_default_context())
    monkeypatch.setattr(urllib.request, "getproxies", dict)
    sim = Simulator.build(clock=ManualClock(), seed=5, channels=1)
    with serving(sim.app) as origin:
        async with UseapiClient(sim.token("main"), origin) as api:
            listed = await api.running_jobs()
            assert listed is not None and loads == [], "polled over plain http with no certificate store"
            with pytest.raises(errors.MjtuiError):  # nothing listens there: what matters is what it needed first
                await api.download("https://127.0.0.1:9/image.png")
            assert loads == [1], "an https image needs the store, and waits for it"


async def test_where_a_proxy_is_set_httpx_routes_through_it_with_the_store_loaded(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")  # as users behind a proxy set it
    async with UseapiClient("token-a") as api:
        mounted = [transport for transport in api._http._mounts.values() if transport is not None]
        assert mounted and all(transport._pool._proxy_url.host == b"proxy.example" for transport in mounted)


async def test_certificates_that_cannot_be_loaded_are_one_clear_error_naming_where_they_were_looked_for(
        monkeypatch, tmp_path):
    from mjtui.api import client as client_module

    monkeypatch.setattr(client_module, "_tls", None)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    client = UseapiClient("token-a")
    try:
        with pytest.raises(errors.CertificatesUnavailable) as caught:
            await client.running_jobs()
        assert str(tmp_path / "missing.pem") in str(caught.value) and "SSL_CERT_FILE" in str(caught.value)
        uncaught: list[object] = []
        monkeypatch.setattr(threading, "excepthook", uncaught.append)
        client_module.load_tls_in_background().join(10)
        assert uncaught == [], "the loading thread's failure is left to the request that needs it: no traceback"
    finally:
        await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):  # as a closed httpx client refuses
        await client.running_jobs()
