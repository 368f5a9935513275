"""The simulated service's rules, driven directly through `World` on a hand-moved clock.

Every test here advances a `ManualClock` and then the world; nothing sleeps.
The simulator is the double every other test runs against, so what a user
would see from the real service (limits, statuses, buttons, modes, images)
has to hold here first.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import asdict
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from mjtui.clock import ManualClock
from mjtui.sim import SIM_ORIGIN, FaultProfile, Simulator
from mjtui.sim.app import job_json
from mjtui.sim.faults import PROFILES
from mjtui.sim.world import CANCELLED_ERROR, RUNNING, SimError, SimJob, World

FINAL = ("completed", "failed", "moderated")
IMAGINE_BUTTONS = {"U1", "U2", "U3", "U4", "V1", "V2", "V3", "V4", "🔄"}


def quiet_world(clock: ManualClock, **options: Any) -> World:
    """A world with no simulated user and no random failures: only the test's own jobs run."""
    options.setdefault("seed", 7)
    options.setdefault("channels", 1)
    options.setdefault("max_jobs", 15)
    return World(clock=clock, autopilot=False, fail_rate=0.0, moderation_rate=0.0, **options)


def step(world: World, clock: ManualClock, seconds: float) -> None:
    clock.advance(seconds)
    world.advance()


def run_until_final(world: World, clock: ManualClock, jobs: list[SimJob], *, tick: float = 1.0,
                    limit: float = 3600.0) -> dict[str, float]:
    """Advance in `tick`s until every job reads a final status; return when each first did, from its creation."""
    done: dict[str, float] = {}
    waited = 0.0
    while len(done) < len(jobs):
        assert waited < limit, "jobs never finished"
        step(world, clock, tick)
        waited += tick
        for job in jobs:
            if job.jobid not in done and job.status(world.now) in FINAL:
                done[job.jobid] = world.now - job.created
    return done


def snapshot(world: World) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    running = {channel_id: list(channel.running) for channel_id, channel in world.channels.items()}
    records = {jobid: asdict(job) for jobid, job in world.jobs.items()}
    return running, records


# -- determinism --------------------------------------------------------------------------------------


def busy_world_history(seed: int) -> list[tuple[dict[str, list[str]], dict[str, dict[str, Any]]]]:
    clock = ManualClock()
    world = World(seed=seed, clock=clock, channels=3)
    history = []
    for seconds in (3, 17, 0.5, 40, 120, 9, 300, 61):
        step(world, clock, seconds)
        history.append(snapshot(world))
    return history


def test_same_seed_and_same_advances_give_the_same_world() -> None:
    first, second = busy_world_history(seed=42), busy_world_history(seed=42)
    assert any(running for running, _ in (entry for entry in first) if any(running.values()))
    assert first == second


def test_a_different_seed_gives_a_different_world() -> None:
    first, other = busy_world_history(seed=42), busy_world_history(seed=43)
    assert first[-1][0] != other[-1][0]
    assert set(first[-1][1]).isdisjoint(other[-1][1])


# -- limits, as a state machine -----------------------------------------------------------------------


class ChannelLimits(RuleBasedStateMachine):
    """Whatever users, buttons, cancels, seeds and mode switches do, no channel exceeds its limits."""

    @initialize(
        seed=st.integers(0, 10_000),
        max_jobs=st.sampled_from([1, 2, 3, 6]),
        autopilot=st.booleans(),
    )
    def build(self, seed: int, max_jobs: int, autopilot: bool) -> None:
        self.clock = ManualClock()
        self.world = World(seed=seed, clock=self.clock, channels=2, max_jobs=max_jobs, autopilot=autopilot)
        self.account = self.world.accounts["main"]

    def _channel(self, index: int) -> str:
        ids = list(self.world.channels)
        return ids[index % len(ids)]

    def _pick(self, jobs: list[SimJob], index: int) -> SimJob | None:
        return sorted(jobs, key=lambda job: job.jobid)[index % len(jobs)] if jobs else None

    def _completed(self) -> list[SimJob]:
        return [job for job in self.world.jobs.values() if job.job_type is not None and job.status(self.world.now) == "completed"]

    @rule(seconds=st.floats(0, 120, allow_nan=False))
    def advance_clock(self, seconds: float) -> None:
        step(self.world, self.clock, seconds)

    @rule(index=st.integers(0, 7), video=st.booleans())
    def submit(self, index: int, video: bool) -> None:
        channel = self.world.channels[self._channel(index)]
        job_type = "video" if video else "image"
        had_room = channel.has_room(job_type)
        try:
            job = self.world.submit(self.account, "a lighthouse in a storm", channel.id, job_type=job_type)
        except SimError as exc:
            assert exc.status == 429 and not had_room
            return
        assert had_room and job.jobid in channel.running

    @rule(index=st.integers(0, 1000), button=st.sampled_from(sorted(IMAGINE_BUTTONS)))
    def press(self, index: int, button: str) -> None:
        parent = self._pick([job for job in self._completed() if button in job.buttons], index)
        if parent is None:
            return
        channel = self.world.channels[parent.channel]
        had_room = channel.has_room("image")
        try:
            child = self.world.press(self.account, parent.jobid, button)
        except SimError as exc:
            assert exc.status == 429 and not had_room
            return
        assert {"button": button, "jobid": child.jobid, "messageId": child.message_id} in parent.children

    @rule(index=st.integers(0, 1000))
    def cancel(self, index: int) -> None:
        running = [job for channel in self.world.channels.values() for job in channel.running.values()]
        job = self._pick(running, index)
        if job is None:
            return
        self.world.cancel(self.account, job.jobid)
        assert job.status(self.world.now) == "failed" and job.error == CANCELLED_ERROR

    @rule(index=st.integers(0, 1000))
    def seed_async(self, index: int) -> None:
        parent = self._pick([job for job in self._completed() if job.verb in ("imagine", "button")], index)
        if parent is None:
            return
        try:
            self.world.seed_async(self.account, parent.jobid, None, None)
        except SimError as exc:
            assert exc.status == 409 and parent.seed_job is not None

    @rule(index=st.integers(0, 7), mode=st.sampled_from(["relax", "fast", "turbo"]))
    def switch_mode(self, index: int, mode: str) -> None:
        channel_id = self._channel(index)
        self.world.command(self.account, mode, channel_id, None, None)
        assert self.world.channels[channel_id].mode == mode

    @invariant()
    def within_limits_and_statuses_agree(self) -> None:
        now = self.world.now
        running_ids = set()
        for channel in self.world.channels.values():
            assert channel.count() <= channel.max_jobs
            assert channel.count("image") <= channel.max_image_jobs
            assert channel.count("video") <= channel.max_video_jobs
            for job in channel.running.values():
                assert job.status(now) in RUNNING, (job.jobid, job.status(now))
            running_ids |= set(channel.running)
        for job in self.world.jobs.values():
            if job.jobid in running_ids:
                continue
            if job.verb == "seed_async":
                # A seed job is followed through GET /v2/jobs, never through the running list.
                assert job.status(now) in ("started", "completed")
            else:
                assert job.status(now) in FINAL, (job.jobid, job.verb, job.status(now))


ChannelLimits.TestCase.settings = settings(
    max_examples=40, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_channel_limits_state_machine = ChannelLimits.TestCase


# -- one job's life -----------------------------------------------------------------------------------


def test_a_job_goes_created_started_progress_completed_and_shows_its_percentage() -> None:
    clock = ManualClock()
    world = quiet_world(clock)
    account = world.accounts["main"]
    channel = next(iter(world.channels.values()))
    job = world.submit(account, "Steampunk cat --v 6.1")
    statuses: list[str] = []
    percentages: list[int] = []
    for _ in range(400):
        status = job.status(world.now)
        record = job_json(world, job, SIM_ORIGIN)
        assert record["status"] == status
        assert (job.jobid in channel.running) == (status in RUNNING), status
        if status == "progress":
            percentage = job.progress(world.now)
            assert f"({percentage}%)" in record["content"]
            percentages.append(percentage)
        if not statuses or statuses[-1] != status:
            statuses.append(status)
        if status in FINAL:
            break
        step(world, clock, 1.0)
    assert statuses == ["created", "started", "progress", "completed"]
    assert percentages == sorted(percentages) and len(set(percentages)) >= 4
    assert percentages[0] > 0 and percentages[-1] < 100
    assert job_json(world, job, SIM_ORIGIN)["attachments"]


@pytest.mark.parametrize(("rates", "outcome", "error"), [
    ({"fail_rate": 1.0, "moderation_rate": 0.0}, "failed", "Job failed"),
    ({"fail_rate": 0.0, "moderation_rate": 1.0}, "moderated", "Job moderated"),
])
def test_a_job_can_end_failed_or_moderated_and_then_leaves_the_running_list(rates: dict[str, float], outcome: str,
                                                                           error: str) -> None:
    clock = ManualClock()
    world = World(seed=3, clock=clock, channels=1, autopilot=False, **rates)
    job = world.submit(world.accounts["main"], "a fox reading a map")
    channel = world.channels[job.channel]
    assert job.jobid in channel.running
    run_until_final(world, clock, [job])
    record = job_json(world, job, SIM_ORIGIN)
    assert record["status"] == outcome and record["error"] == error and record["errorDetails"]
    assert job.jobid not in channel.running
    assert "buttons" not in record and "attachments" not in record


def test_a_completed_imagine_job_offers_upscale_variation_and_reroll() -> None:
    clock = ManualClock()
    world = quiet_world(clock)
    job = world.submit(world.accounts["main"], "koi pond seen from above")
    run_until_final(world, clock, [job])
    record = job_json(world, job, SIM_ORIGIN)
    assert record["status"] == "completed"
    assert set(record["buttons"]) == IMAGINE_BUTTONS


def test_pressing_a_button_makes_a_child_listed_in_the_parent() -> None:
    clock = ManualClock()
    world = quiet_world(clock)
    account = world.accounts["main"]
    parent = world.submit(account, "an owl librarian")
    with pytest.raises(SimError) as early:
        world.press(account, parent.jobid, "U1")
    assert early.value.status == 400 and "must be completed" in early.value.error
    run_until_final(world, clock, [parent])

    upscale = world.press(account, parent.jobid, "U2")
    variation = world.press(account, parent.jobid, "V3")
    record = job_json(world, parent, SIM_ORIGIN)
    assert [(child["button"], child["jobid"]) for child in record["children"]] == [("U2", upscale.jobid), ("V3", variation.jobid)]
    assert job_json(world, upscale, SIM_ORIGIN)["parentJobId"] == parent.jobid
    assert upscale.button == "U2" and upscale.verb == "button"

    run_until_final(world, clock, [upscale, variation])
    assert "Vary (Subtle)" in upscale.buttons and "U1" not in upscale.buttons
    assert set(variation.buttons) == IMAGINE_BUTTONS
    with pytest.raises(SimError) as unknown:
        world.press(account, upscale.jobid, "U1")
    assert unknown.value.status == 400


# -- modes --------------------------------------------------------------------------------------------


def durations_in_mode(mode: str, jobs: int = 6) -> list[float]:
    clock = ManualClock()
    world = quiet_world(clock, seed=21)
    account = world.accounts["main"]
    answer = world.command(account, mode, None, None, None)
    assert answer.status(world.now) == "completed" and answer.content.startswith("Done!")
    submitted = [world.submit(account, f"prompt {n}") for n in range(jobs)]
    done = run_until_final(world, clock, submitted)
    assert all(job_json(world, job, SIM_ORIGIN)["content"].endswith(f"({mode})") for job in submitted)
    return [done[job.jobid] for job in submitted]


def test_relax_makes_new_jobs_slower_and_turbo_faster() -> None:
    relax, fast, turbo = durations_in_mode("relax"), durations_in_mode("fast"), durations_in_mode("turbo")
    for slow, normal, quick in zip(relax, fast, turbo, strict=True):
        assert slow > normal > quick
    assert sum(relax) > 2 * sum(fast) and sum(turbo) < 0.75 * sum(fast)


def test_switching_mode_leaves_jobs_already_running_at_their_speed() -> None:
    finished = []
    for mode in ("fast", "relax"):
        clock = ManualClock()
        world = quiet_world(clock, seed=5)
        account = world.accounts["main"]
        job = world.submit(account, "brutalist library")
        step(world, clock, 2)
        world.command(account, mode, None, None, None)
        finished.append(run_until_final(world, clock, [job])[job.jobid])
    assert finished[0] == finished[1]


def test_info_reports_the_channel_mode() -> None:
    clock = ManualClock()
    world = quiet_world(clock)
    account = world.accounts["main"]
    world.command(account, "relax", None, None, None)
    assert "**Job Mode**: Relax" in world.command(account, "info", None, None, None).content
    world.command(account, "turbo", None, None, None)
    assert "**Job Mode**: Turbo" in world.command(account, "info", None, None, None).content


# -- the simulated user over hours --------------------------------------------------------------------


def test_autopilot_keeps_every_channel_busy_and_within_limits_for_hours() -> None:
    clock = ManualClock()
    world = World(seed=9, clock=clock, channels=3)
    account = world.accounts["main"]
    occupancy: dict[str, list[float]] = {channel_id: [] for channel_id in world.channels}
    for tick in range(2 * 360):  # two simulated hours in 10 s steps
        if tick == 360:
            world.command(account, "relax", next(iter(world.channels)), None, None)
        step(world, clock, 10)
        for channel in world.channels.values():
            assert channel.count() <= channel.max_jobs
            assert channel.count("image") <= channel.max_image_jobs
            assert channel.count("video") <= channel.max_video_jobs
            occupancy[channel.id].append(channel.count() / channel.max_jobs)
    for channel_id, samples in occupancy.items():
        assert sum(samples) / len(samples) > 0.7, channel_id
        assert sum(1 for sample in samples if sample == 0) < len(samples) * 0.05, channel_id
    verbs = {job.verb for job in world.jobs.values()}
    assert {"imagine", "button"} <= verbs


def test_retain_finished_bounds_memory_over_many_hours() -> None:
    clock = ManualClock()
    retain = 30
    world = World(seed=4, clock=clock, channels=3, retain_finished=retain)
    slots = sum(channel.max_jobs for channel in world.channels.values())
    largest, seen = 0, set()
    for _ in range(6 * 120):  # six simulated hours in 30 s steps
        step(world, clock, 30)
        largest = max(largest, len(world.jobs))
        seen.update(world.jobs)
    assert largest <= retain + slots
    assert len(seen) > 20 * (retain + slots)
    newest_finished = max((job for job in world.jobs.values() if job.final_status), key=lambda job: job.updated)
    assert newest_finished.status(world.now) in FINAL


def test_retain_finished_bounds_memory_when_only_commands_and_seeds_finish() -> None:
    clock = ManualClock()
    world = quiet_world(clock, retain_finished=5)
    account = world.accounts["main"]
    job = world.submit(account, "macro photo of frost")
    run_until_final(world, clock, [job])
    world.seed_async(account, job.jobid, None, None)
    step(world, clock, 60)
    for _ in range(50):
        world.command(account, "info", None, None, None)
    assert len(world.jobs) <= 5


# -- images -------------------------------------------------------------------------------------------


def png_facts(data: bytes) -> tuple[int, int]:
    """Check `data` is a well-formed 8-bit RGB PNG (signature, chunk CRCs, pixel data); return (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, kind
        chunks.append((kind, body))
        offset += 12 + length
    assert offset == len(data)
    assert [kind for kind, _ in chunks][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (depth, colour) == (8, 2)
    pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    assert len(pixels) == height * (1 + width * 3)
    return width, height


async def test_served_images_are_valid_pngs_matching_their_attachment_records() -> None:
    clock = ManualClock()
    sim = Simulator.build(clock=clock, seed=12, channels=1, max_jobs=15, autopilot=False, fail_rate=0.0, moderation_rate=0.0)
    world = sim.world
    account = world.accounts["main"]
    grid = world.submit(account, "neon noodle bar")
    run_until_final(world, clock, [grid])
    upscale = world.press(account, grid.jobid, "U1")
    world.seed_async(account, grid.jobid, None, None)
    run_until_final(world, clock, [upscale])
    step(world, clock, 60)  # the seed job finishes within 15 s

    headers = {"Authorization": f"Bearer {sim.token()}"}
    async with httpx.AsyncClient(transport=sim.transport(), base_url=SIM_ORIGIN, headers=headers) as http:
        attachments = []
        for job in (grid, upscale):
            record = (await http.get("/v2/jobs/", params={"jobid": job.jobid})).json()
            attachments += record["attachments"]
            attachments += record.get("seed", {}).get("attachments", [])
        assert len(attachments) == 6
        for item in attachments:
            response = await http.get(item["url"])
            assert response.status_code == 200 and response.headers["content-type"] == "image/png"
            assert len(response.content) == item["size"]
            assert png_facts(response.content) == (item["width"], item["height"])
    assert {(item["width"], item["height"]) for item in attachments} == {(128, 128), (64, 64)}


@pytest.mark.parametrize(("account", "path", "body", "answer"), [
    ("main", "/v2/jobs/seed_async", {}, {"error": "jobid is missing", "code": 400}),  # 002's "<jobid> is missing"
    ("main", "/v2/jobs/seed_async", {"jobid": ""}, {"error": "jobid is missing", "code": 400}),
    ("main", "/v2/jobs/seed_async", {"jobid": 7}, {"error": "jobid must be a string", "code": 400}),
    ("main", "/v2/jobs/button", {"jobid": "PARENT"}, {"error": "button is missing", "code": 400}),
    ("main", "/v2/jobs/button", {"button": "U1"}, {"error": "jobid is missing", "code": 400}),
    ("ip", "/api/v1/nova/button", {"button": "U1"}, {"success": False, "error": "messageId is missing"}),
])
async def test_a_request_missing_a_required_field_is_a_400_naming_it(account: str, path: str, body: dict[str, Any],
                                                                     answer: dict[str, Any]) -> None:
    clock = ManualClock()
    sim = Simulator.build(clock=clock, seed=7, channels=1, accounts=1, imaginepro=True, autopilot=False)
    main = sim.world.accounts["main"]
    parent = sim.world.submit(main, "a quiet harbour")
    run_until_final(sim.world, clock, [parent])
    sent = {key: parent.jobid if value == "PARENT" else value for key, value in body.items()}
    jobs = len(sim.world.jobs)
    headers = {"Authorization": f"Bearer {sim.token(account)}"}
    async with httpx.AsyncClient(transport=sim.transport(), base_url=SIM_ORIGIN, headers=headers) as http:
        response = await http.post(path, json=sent)
    assert (response.status_code, response.json()) == (400, answer)
    assert len(sim.world.jobs) == jobs, "nothing was started"


async def test_imaginepros_general_requests_are_refused_within_3_s_of_the_last_admitted_one() -> None:
    clock = ManualClock()
    sim = Simulator.build(clock=clock, seed=7, channels=1, accounts=1, imaginepro=True, autopilot=False)
    headers = {"Authorization": f"Bearer {sim.token('ip')}"}
    async with httpx.AsyncClient(transport=sim.transport(), base_url=SIM_ORIGIN, headers=headers) as http:
        assert (await http.get("/api/v1/discord/tokens")).status_code == 200
        clock.advance(1)
        assert (await http.get("/api/v1/discord/tokens")).status_code == 429, "1 s later: within the 3 s"
        clock.advance(2.5)
        assert (await http.get("/api/v1/discord/tokens")).status_code == 200, "3.5 s after the admitted one"


# -- fault profiles -----------------------------------------------------------------------------------


def test_fault_profiles_parse_names_overrides_and_combinations() -> None:
    assert FaultProfile.parse(None) == FaultProfile.parse("") == FaultProfile.parse("none") == FaultProfile()
    assert not FaultProfile.parse("none").active
    assert FaultProfile.parse("flaky") == PROFILES["flaky"] and PROFILES["flaky"].active
    tuned = FaultProfile.parse("flaky,timeout=0.1")
    assert tuned.timeout == 0.1 and tuned.rate_limit == PROFILES["flaky"].rate_limit
    combined = FaultProfile.parse(" slow , ratelimit ")
    assert combined.slow == 0.5 and combined.rate_limit == 0.3 and combined.retry_after == 3.0
    assert FaultProfile.parse("rate_limit=0.2,retry-after=2") == FaultProfile(rate_limit=0.2, retry_after=2.0)
    assert FaultProfile.parse("moderation_after=5").moderation_after == 5.0


@pytest.mark.parametrize(("spec", "names"), [
    ("bogus", ["bogus", "flaky", "chaos"]),
    ("flaky,nonsense", ["nonsense", "flaky"]),
    ("rate_limits=0.1", ["rate_limits", "rate_limit"]),
    ("rate_limit=-0.1", ["rate_limit", "negative"]),
    ("moderation_after=-5", ["moderation_after", "negative"]),
    ("timeout=often", ["timeout", "often", "number"]),
    ("retry_after=", ["retry_after", "number"]),
])
def test_fault_profiles_reject_unknown_names_and_bad_values_with_a_clear_message(spec: str, names: list[str]) -> None:
    with pytest.raises(ValueError) as problem:
        FaultProfile.parse(spec)
    message = str(problem.value)
    for name in names:
        assert name in message
    assert "\n" not in message


@pytest.mark.parametrize("spec", ["rate_limit=nan", "slow_seconds=inf", "retry_after=-inf"])
def test_fault_profiles_reject_values_that_are_not_finite_numbers(spec: str) -> None:
    with pytest.raises(ValueError) as problem:
        FaultProfile.parse(spec)
    assert spec.partition("=")[0] in str(problem.value)


async def test_rhythmic_faults_flap_and_stale_lists_per_account_and_stuck_messages() -> None:
    clock = ManualClock()
    sim = Simulator.build(clock=clock, seed=7, channels=2, accounts=2, max_jobs=3, imaginepro=True,
                          faults="flap_every=2,stale_every=3,stuck=1")
    for name in ("main", "alt1"):
        account = sim.world.accounts[name]
        sim.world.submit(account, "a slow tide", account.channels[0])

    async def totals(account: str, times: int) -> list[int]:
        headers = {"Authorization": f"Bearer {sim.token(account)}"}
        async with httpx.AsyncClient(transport=sim.transport(), base_url=SIM_ORIGIN, headers=headers) as http:
            return [(await http.get("/v3/midjourney/jobs")).json()["total"] for _ in range(times)]

    assert await totals("main", 4) == [1, 0, 1, 0], "every 2nd list is empty"
    assert await totals("alt1", 2) == [1, 0], "each account has its own rhythm"
    stale = Simulator.build(clock=clock, seed=7, channels=1, max_jobs=3, faults="stale")
    main = stale.world.accounts["main"]
    headers = {"Authorization": f"Bearer {stale.token()}"}
    async with httpx.AsyncClient(transport=stale.transport(), base_url=SIM_ORIGIN, headers=headers) as http:
        seen = []
        for n in range(3):
            stale.world.submit(main, f"wave {n}", main.channels[0])
            seen.append((await http.get("/v3/midjourney/jobs")).json()["total"])
    assert seen == [1, 2, 1], "the 3rd list is the one served two lists before it"
    ip = {"Authorization": f"Bearer {sim.token('ip')}"}
    async with httpx.AsyncClient(transport=sim.transport(), base_url=SIM_ORIGIN, headers=ip) as http:
        sent = (await http.post("/api/v1/nova/commands", json={"cmd": "info", "tokenId": sim.world.channels[
            sim.world.accounts["ip"].channels[0]].token_id})).json()
        clock.advance(60)
        message = (await http.get(f"/api/v1/message/fetch/{sent['messageId']}")).json()
    assert message["status"] == "PROCESSING", "a command done at once, stuck all the same"
