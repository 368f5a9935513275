"""Pressing a job's buttons through each provider and the actions layer: the new job, the documented errors, the
refusals made before anything is sent, the audit record, and a lost answer that is never sent again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w
from click.testing import Result
from support.cli import run_in_process
from support.loopback import serving

from mjtui.actions import Actions, Refused
from mjtui.api import errors
from mjtui.api.client import ImagineProClient
from mjtui.api.proxy import QueueFull
from mjtui.clock import ManualClock
from mjtui.providers import Capability, Provider, open_provider
from mjtui.providers.imaginepro import ImaginePro, Pace
from mjtui.sim import SIM_ORIGIN, Simulator
from mjtui.sim.proxy import ProxySimulator
from mjtui.sim.world import SimJob
from mjtui.store import Journal

Audited = list[tuple[str, str, str | None, str, str | None]]


def actions(audited: Audited, *, readonly: bool = False) -> Actions:
    return Actions(readonly=readonly, audit=lambda *record: audited.append(record))


def finish(sim: Simulator | ProxySimulator, clock: ManualClock, at: float) -> None:
    clock.advance(max(0.0, at - clock.now()) + 1)
    sim.world.advance()


def useapi(clock: ManualClock, **world: Any) -> tuple[Simulator, Provider]:
    sim = Simulator.build(clock=clock, seed=7, channels=1, autopilot=False, fail_rate=0.0, moderation_rate=0.0,
                          max_jobs=3, **world)
    return sim, open_provider("useapi", "main", sim.token(), SIM_ORIGIN, transport=sim.transport())


def completed(sim: Simulator, clock: ManualClock, prompt: str = "a red fox") -> SimJob:
    account = sim.world.accounts["main"]
    job = sim.world.submit(account, prompt, account.channels[0])
    finish(sim, clock, job.finish_at)
    assert job.status(clock.now()) == "completed"
    return job


def presses(sim: Simulator) -> int:
    return sum(job.verb == "button" for job in sim.world.jobs.values())


# -- useapi.net: POST /v2/jobs/button -----------------------------------------------------------------


async def test_u2_starts_an_upscale_that_its_parent_lists_and_that_completes(clock: ManualClock) -> None:
    sim, service = useapi(clock)
    parent = completed(sim, clock)
    audited: Audited = []
    child = await actions(audited).press(service, parent.jobid, "U2")
    assert child.jobid and child.button == "U2" and child.parent_job_id == parent.jobid and not child.is_final
    assert audited == [("main", "press", f"{parent.jobid} U2", "ok", None)]
    listed = await service.job(parent.jobid)
    assert [(c.button, c.jobid) for c in listed.children] == [("U2", child.jobid)]
    finish(sim, clock, sim.world.jobs[child.jobid].finish_at)
    done = await service.job(child.jobid)
    assert done.status == "completed" and "Vary (Region)" in done.buttons and "Animate (High motion)" in done.buttons


async def test_an_upscale_pressed_twice_is_a_409_in_one_line_and_audited_failed(clock: ManualClock) -> None:
    sim, service = useapi(clock)
    parent = completed(sim, clock)
    audited: Audited = []
    await actions(audited).press(service, parent.jobid, "U1")
    with pytest.raises(errors.Conflict) as raised:
        await actions(audited).press(service, parent.jobid, "U1")
    assert str(raised.value) == f"409 Conflict: Button U1 already executed for job {parent.jobid} (POST /v2/jobs/button)"
    assert audited[-1][3:] == ("failed", str(raised.value)) and presses(sim) == 1


async def test_a_full_channel_is_a_429_in_one_line(clock: ManualClock) -> None:
    sim, service = useapi(clock)
    parent = completed(sim, clock)
    account = sim.world.accounts["main"]
    for prompt in ("one", "two", "three"):
        sim.world.submit(account, prompt, account.channels[0])
    with pytest.raises(errors.RateLimited, match=r"^429 Too Many Requests: Maximum of 3 jobs executing in parallel "
                                                 r"supported \(POST /v2/jobs/button\)$"):
        await actions([]).press(service, parent.jobid, "🔄")
    assert presses(sim) == 0


@pytest.mark.parametrize(("button", "error", "said"), [
    ("Make Square", errors.BadRequest, "400 Bad Request: Button Make Square is not supported by job"),
    ("V3", errors.ModerationPending, "596 Moderation Pending: Your Discord account has received a pending moderation"),
], ids=["not-its-button", "halted"])
async def test_the_services_refusals_read_as_its_own_words(clock: ManualClock, button: str, error: type,
                                                           said: str) -> None:
    sim, service = useapi(clock)
    parent = completed(sim, clock)
    if error is errors.ModerationPending:
        sim.world.channels[parent.channel].pending_mod = True
    with pytest.raises(error, match=rf"^{said}"):
        await actions([]).press(service, parent.jobid, button)


async def test_custom_zoom_goes_with_its_prompt_and_without_one_is_refused_unsent(clock: ManualClock) -> None:
    sim, service = useapi(clock)
    parent = completed(sim, clock)
    upscale = await actions([]).press(service, parent.jobid, "U4")
    finish(sim, clock, sim.world.jobs[upscale.jobid].finish_at)
    audited: Audited = []
    for prompt in (None, "  "):
        with pytest.raises(Refused, match="Custom Zoom needs a prompt"):
            await actions(audited).press(service, upscale.jobid, "Custom Zoom", prompt)
    with pytest.raises(Refused, match=r"Vary \(Region\) needs a region drawn on the image: not supported from a terminal"):
        await actions(audited).press(service, upscale.jobid, "Vary (Region)")
    assert audited == [] and presses(sim) == 1
    zoom = await actions(audited).press(service, upscale.jobid, "Custom Zoom", "a red fox --zoom 1.5")
    assert sim.world.jobs[zoom.jobid].prompt == "a red fox --zoom 1.5"


async def test_readonly_sends_no_press_and_audits_none(clock: ManualClock) -> None:
    sim, service = useapi(clock)
    parent = completed(sim, clock)
    audited: Audited = []
    with pytest.raises(Refused) as refused:
        await actions(audited, readonly=True).press(service, parent.jobid, "U1")
    assert refused.value.readonly and audited == [] and presses(sim) == 0


async def test_a_lost_answer_is_outcome_unknown_audited_so_and_sent_once(clock: ManualClock) -> None:
    sim, _ = useapi(clock)
    parent = completed(sim, clock)
    inner = sim.transport()
    sent: list[str] = []

    class LosesButtonAnswers(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await inner.handle_async_request(request)
            if request.url.path == "/v2/jobs/button":
                sent.append(request.url.path)
                raise httpx.ReadError("connection reset")
            return response

    service = open_provider("useapi", "main", sim.token(), SIM_ORIGIN, transport=LosesButtonAnswers())
    audited: Audited = []
    with pytest.raises(errors.OutcomeUnknown):
        await actions(audited).press(service, parent.jobid, "U3")
    assert sent == ["/v2/jobs/button"] and presses(sim) == 1  # it went, once: the channel has the upscale
    assert audited[0][:4] == ("main", "press", f"{parent.jobid} U3", "unknown")


async def test_animate_makes_a_video_whose_own_buttons_extend_it(clock: ManualClock) -> None:
    sim, service = useapi(clock)
    parent = completed(sim, clock)
    upscale = await service.press(parent.jobid, "U1")
    finish(sim, clock, sim.world.jobs[upscale.jobid].finish_at)
    video = await service.press(upscale.jobid, "Animate (Low motion)")
    assert sim.world.jobs[video.jobid].job_type == "video"
    finish(sim, clock, sim.world.jobs[video.jobid].finish_at)
    assert (await service.job(video.jobid)).buttons == ["Extend (High motion)", "Extend (Low motion)"]


# -- ImaginePro: POST /api/v1/nova/button ----------------------------------------------------------------


def imaginepro(clock: ManualClock) -> tuple[Simulator, ImaginePro]:
    sim = Simulator.build(clock=clock, seed=7, channels=1, imaginepro=True, autopilot=False, fail_rate=0.0,
                          moderation_rate=0.0)
    links = sim.world.linked(sim.world.accounts["ip"])

    async def sleep(seconds: float) -> None:  # waiting its turn moves the test's clock
        clock.advance(seconds)

    client = ImagineProClient(sim.token("ip"), SIM_ORIGIN, transport=sim.transport())
    return sim, ImaginePro("ip", client, links[0].token_id, Pace(clock.now, sleep))


async def test_imaginepro_reroll_starts_a_message_that_the_next_poll_follows(clock: ManualClock) -> None:
    sim, service = imaginepro(clock)
    account = sim.world.accounts["ip"]
    done = sim.world.submit(account, "a greenhouse", account.channels[0])
    finish(sim, clock, done.finish_at)
    audited: Audited = []
    child = await actions(audited).press(service, done.message_id, "🔄")
    assert child.jobid != done.message_id and child.parent_job_id == done.message_id
    assert audited == [("ip", "press", f"{done.message_id} 🔄", "ok", None)]
    clock.advance(10)
    polled = await service.poll(clock.now)
    rows = {row.job_id: row for rows in polled.snapshot.jobs.values() for row in rows.values()}
    assert rows[child.jobid].channel == account.channels[0] and rows[child.jobid].action == "🔄"


async def test_imaginepro_a_button_the_message_lacks_is_its_error_in_one_line(clock: ManualClock) -> None:
    sim, service = imaginepro(clock)
    account = sim.world.accounts["ip"]
    done = sim.world.submit(account, "a greenhouse", account.channels[0])
    finish(sim, clock, done.finish_at)
    with pytest.raises(errors.BadRequest, match=r"^400 Bad Request: Button Zoom Out 2x is not supported by job .*"
                                                r"\(POST /api/v1/nova/button\)$"):
        await actions([]).press(service, done.message_id, "Zoom Out 2x")


# -- midjourney-proxy: /mj/submit/action, /mj/submit/modal ---------------------------------------------


def gateway(flavor: str, clock: ManualClock, **world: Any) -> tuple[ProxySimulator, Provider]:
    sim = ProxySimulator.build(flavor=flavor, clock=clock, seed=7, autopilot=False, accounts=1, fail_rate=0.0,
                               timeout_rate=0.0, **world)
    service = open_provider("midjourney-proxy", "pool", sim.admin_token, SIM_ORIGIN, transport=sim.transport())
    return sim, service


def succeeded(sim: ProxySimulator, clock: ManualClock, prompt: str = "a red fox") -> str:
    task, _, _ = sim.world.imagine(prompt)
    finish(sim, clock, task.finish_at)
    assert task.status(clock.now()) == "SUCCESS"
    return task.id


@pytest.mark.parametrize("flavor", ["trueai", "plus"])
async def test_a_gateway_presses_by_label_and_the_new_task_names_its_parent(clock: ManualClock, flavor: str) -> None:
    sim, service = gateway(flavor, clock)
    parent = succeeded(sim, clock)
    child = await actions([]).press(service, parent, "U2")
    task = sim.world.tasks[child.jobid]
    assert task.parent_id == parent and task.action == "UPSCALE" and task.index == 2
    reroll = await service.press(parent, "🔄")
    assert sim.world.tasks[reroll.jobid].action == "IMAGINE"


@pytest.mark.parametrize("flavor", ["trueai", "plus"])
async def test_a_gateways_custom_zoom_is_confirmed_with_the_prompt_typed(clock: ManualClock, flavor: str) -> None:
    sim, service = gateway(flavor, clock)
    upscale = await service.press(succeeded(sim, clock), "U1")
    finish(sim, clock, sim.world.tasks[upscale.jobid].finish_at)
    zoom = await service.press(upscale.jobid, "Custom Zoom", "a red fox --zoom 1.8")
    task = sim.world.tasks[zoom.jobid]
    assert task.action == "ZOOM" and task.prompt == "a red fox --zoom 1.8" and task.status(clock.now()) != "MODAL"


async def test_a_gateways_full_queue_reads_as_one_line_and_a_missing_button_sends_nothing(clock: ManualClock) -> None:
    sim, service = gateway("plus", clock, core_size=1, queue_size=1)
    parent = succeeded(sim, clock)
    for prompt in ("one", "two"):
        sim.world.imagine(prompt)
    with pytest.raises(QueueFull, match=r"^the channel's queue is full, nothing started: code 23: "):
        await actions([]).press(service, parent, "V1")
    before = sum(sim.requests.values())
    with pytest.raises(errors.MjtuiError, match=r"has no button 'Zoom Out 2x' \(its buttons: U1, U2, U3, U4, 🔄, V1"):
        await service.press(parent, "Zoom Out 2x")
    assert sum(sim.requests.values()) == before + 1  # the task's GET, no submit


async def test_the_original_gateway_has_no_buttons_and_says_so(clock: ManualClock) -> None:
    sim, service = gateway("original", clock)
    parent = succeeded(sim, clock)
    with pytest.raises(Refused, match=r"midjourney-proxy \(original dialect\), which has no buttons"):
        await actions([]).press(service, parent, "U1")
    assert not service.can(Capability.PRESS)


# -- the CLI: in-process against a quiet simulator on loopback -------------------------------------------------


@contextmanager
def cli_on(sim: Simulator, tmp_path: Path) -> Iterator[Callable[..., Result]]:
    """`mjtui --config ... --journal ... ARGS`, run in-process, against `sim` served on loopback."""
    config, journal = tmp_path / "config.toml", tmp_path / "journal.db"
    with serving(sim.app) as origin:
        config.write_text(tomli_w.dumps({"accounts": {"main": {"provider": "useapi", "token": sim.token(),
                                                               "base_url": origin}}}), encoding="utf-8")
        config.chmod(0o600)
        yield lambda *args: run_in_process("--config", str(config), "--journal", str(journal), *args)


def audit_log(tmp_path: Path) -> list[tuple[str, str | None, str]]:
    with Journal(tmp_path / "journal.db") as journal:
        return [(entry.action, entry.target, entry.outcome) for entry in reversed(journal.actions())]


def test_cli_press_starts_a_job_its_parent_lists_json_is_the_apis_answer_and_twice_is_a_409(tmp_path: Path,
                                                                                           clock: ManualClock) -> None:
    sim, _ = useapi(clock)
    parent = completed(sim, clock)
    with cli_on(sim, tmp_path) as mjtui:
        pressed = mjtui("press", parent.jobid, "U2", "--yes", "--json")
        again = mjtui("press", parent.jobid, "U2", "--yes")
    assert pressed.exit_code == 0, pressed.output
    answer = json.loads(pressed.stdout)
    assert answer["button"] == "U2" and answer["parentJobId"] == parent.jobid and answer["verb"] == "button"
    assert parent.children == [{"button": "U2", "jobid": answer["jobid"], "messageId": answer["messageId"]}]
    assert again.exit_code == 1 and again.stdout == ""
    assert again.stderr.strip() == f"mjtui: 409 Conflict: Button U2 already executed for job {parent.jobid} " \
                                   "(POST /v2/jobs/button)"
    assert audit_log(tmp_path) == [("press", f"{parent.jobid} U2", "ok"), ("press", f"{parent.jobid} U2", "failed")]


@pytest.mark.parametrize(("options", "args", "said"), [
    ((), ("reroll",), "mjtui: refusing to press without confirmation: no terminal to ask on; pass --yes"),
    (("--readonly",), ("U2", "--yes"), "mjtui: --readonly: not sending a button press"),
], ids=["no-terminal-no-yes", "readonly"])
def test_cli_press_refused_exits_2_in_one_line_and_starts_nothing(tmp_path: Path, clock: ManualClock,
                                                                  options: tuple[str, ...], args: tuple[str, ...],
                                                                  said: str) -> None:
    sim, _ = useapi(clock)
    parent = completed(sim, clock)
    with cli_on(sim, tmp_path) as mjtui:
        result = mjtui(*options, "press", parent.jobid, *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == said
    assert parent.children == [] and audit_log(tmp_path) == []


@pytest.mark.parametrize(("args", "said"), [
    (("Vary (Region)",), "mjtui: press: Vary (Region) needs a region drawn on the image: not supported from a terminal"),
    (("Custom Zoom",), "mjtui: press: Custom Zoom needs a prompt"),
    (("U1", "--prompt", "a fox"), "mjtui: press: U1 takes no prompt"),
], ids=["vary-region", "custom-zoom-without-prompt", "prompt-on-an-upscale"])
def test_cli_press_that_cannot_go_is_one_line_and_exit_2(args: tuple[str, ...], said: str) -> None:
    result = run_in_process("--demo", "press", "j1023141520123456789i-u12345-c1-bot:midjourney", *args, "--yes")
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(said)
