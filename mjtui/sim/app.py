"""The simulated service over HTTP: a Starlette app serving every documented endpoint.

Bodies, status codes and error texts follow the endpoint documents in
shared/api/. The JSON here is written out by hand from those documents, not
from the client's models, so the client is tested against an independent
reading of the protocol.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from mjtui.clock import iso_utc
from mjtui.sim.faults import FaultInjector, FaultProfile, schedule_incidents
from mjtui.sim.images import png_for
from mjtui.sim.imaginepro_json import CANCEL_BUTTON, image_json, message_json, message_status, token_json, trace_json
from mjtui.sim.rate_gate import Kind
from mjtui.sim.world import MODES, Account, Channel, SimError, SimJob, World

MAX_REPLY_LENGTH = 1024
BANNED_WORDS = ("forbidden", "gore")
COMMAND_VERBS = (*MODES, "info")


def create_app(world: World, faults: FaultProfile | None = None, *, fault_seed: int | None = None) -> ASGIApp:
    """The ASGI app for `world`, with `faults` injected when given."""
    routes = [
        Route("/v3/midjourney/jobs", list_jobs, methods=["GET"]),
        Route("/v3/midjourney/jobs/{jobid:path}", cancel_job, methods=["DELETE"]),
        Route("/v2/jobs/", get_job, methods=["GET"]),
        Route("/v2/jobs", get_job, methods=["GET"]),
        *(Route(f"/v2/jobs/{verb}", run_command, methods=["POST"]) for verb in COMMAND_VERBS),
        Route("/v2/jobs/seed_async", seed_async, methods=["POST"]),
        Route("/v2/jobs/imagine", imagine, methods=["POST"]),
        Route("/v2/jobs/button", press_button, methods=["POST"]),
        Route("/v2/account/midjourney/{channel}/reset", reset_channel, methods=["POST"]),
        Route("/attachments/{size:int}/{index:int}/{key}.png", attachment, methods=["GET"]),
        Route("/api/v1/nova/commands", nova_command, methods=["POST"]),
        Route("/api/v1/nova/imagine", nova_imagine, methods=["POST"]),
        Route("/api/v1/nova/button", nova_button, methods=["POST"]),
        Route("/api/v1/message/fetch/{message_id}", nova_fetch, methods=["GET"]),
        Route("/api/v1/message/trace/{message_id}", nova_trace, methods=["GET"]),
        Route("/api/v1/nova/images", nova_images, methods=["GET"]),
        Route("/api/v1/discord/tokens", discord_tokens, methods=["GET"]),
        Route("/api/v1/discord/token/{token_id}", discord_token, methods=["GET", "PUT"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_exception})
    app.state.world = world
    if faults is None or not faults.active:
        return app
    schedule_incidents(world, faults)
    return FaultInjector(app, world, faults, seed=world.seed + 1 if fault_seed is None else fault_seed)


async def _http_exception(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return JSONResponse({"error": "Not found" if status == 404 else str(getattr(exc, "detail", "error")), "code": status}, status)


# -- plumbing ---------------------------------------------------------------------------------------


def _world(request: Request) -> World:
    return request.app.state.world


def _account(request: Request) -> Account:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return _world(request).authenticate(token.strip() if scheme.lower() == "bearer" else None)


def _error(exc: SimError, *, with_code: bool = True) -> JSONResponse:
    body: dict[str, Any] = {"error": exc.error, **exc.extra}
    if with_code:
        body["code"] = exc.status
    return JSONResponse(body, exc.status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise SimError(400, "Request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise SimError(400, "Request body must be a JSON object")
    return data


def _reply_fields(body: dict[str, Any]) -> tuple[str | None, str | None]:
    for name in ("replyUrl", "replyRef"):
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_REPLY_LENGTH):
            raise SimError(400, f"{name} is too long" if isinstance(value, str) else f"{name} must be a string")
    return body.get("replyUrl"), body.get("replyRef")


def _string(body: dict[str, Any], name: str) -> str | None:
    """An optional string field: None when absent or empty, 400 when not a string."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SimError(400, f"{name} must be a string")
    return value


def _required_string(body: dict[str, Any], name: str) -> str:
    """A required string field: 400 "<name> is missing" when absent or empty, as the documents answer."""
    value = _string(body, name)
    if value is None:
        raise SimError(400, f"{name} is missing")
    return value


def _masked(value: str) -> str:
    return f"{value[:3]}…secured…{value[-3:]}"


def _attachment_json(origin: str, item: dict[str, Any]) -> dict[str, Any]:
    url = origin + item["path"]
    return {
        "url": url,
        "proxy_url": url + "?proxy=1",
        "width": item["width"],
        "height": item["height"],
        "content_type": item["content_type"],
        "id": item["id"],
        "filename": item["filename"],
        "size": item["size"],
    }


def _content(world: World, job: SimJob, status: str) -> str | None:
    if job.content is not None or job.job_type is None:
        return job.content
    user = world.accounts[job.account].user_id
    head = f"**{job.prompt}**"
    if status == "created":
        return f"{head} - <@{user}> (Waiting to start)"
    if status in ("started", "progress"):
        return f"{head} - <@{user}> ({job.progress(world.now)}%) ({job.mode})"
    if job.button and job.button[:1] == "U" and job.button[1:].isdigit():
        return f"{head} - Image #{job.button[1:]} <@{user}>"
    return f"{head} - <@{user}> ({job.mode})"


def job_json(world: World, job: SimJob, origin: str) -> dict[str, Any]:
    """A v2 job record, with the fields the documents show for its kind."""
    channel = world.channels[job.channel]
    status = job.status(world.now)
    body: dict[str, Any] = {"jobid": job.jobid, "verb": job.verb}
    if job.parent:
        body["parentJobId"] = job.parent
    body["status"] = status
    body["created"] = iso_utc(job.created)
    body["updated"] = iso_utc(job.updated_at(world.now))
    if job.prompt is not None:
        body["prompt"] = job.prompt
    if job.button:
        body["button"] = job.button
    if job.children:
        body["children"] = [dict(child) for child in job.children]
    if job.buttons:
        body["buttons"] = list(job.buttons)
    body["discord"] = _masked(channel.discord)
    body["channel"] = channel.id
    if job.job_type is not None:
        body["server"] = channel.server
        body["maxJobs"] = channel.max_jobs
    if job.reply_url:
        body["replyUrl"] = job.reply_url
    if job.reply_ref:
        body["replyRef"] = job.reply_ref
    if not (job.verb == "seed_async" and status != "completed" and job.code == 200):
        body["messageId"] = job.message_id
        body["timestamp"] = iso_utc(job.created + 0.107)[:-1] + "000+00:00"
        content = _content(world, job, status)
        if content is not None:
            body["content"] = content
    if job.attachments:
        body["attachments"] = [_attachment_json(origin, item) for item in job.attachments]
    if status == "moderated":
        body["embeds"] = [{"type": "rich", "description": job.error_details or ""}]
    if job.seed is not None:
        body["seed"] = {
            "content": job.seed["content"],
            "value": job.seed["value"],
            "attachments": [_attachment_json(origin, item) for item in job.seed["attachments"]],
        }
    if job.error:
        body["error"] = job.error
    if job.error_details:
        body["errorDetails"] = job.error_details
    body["code"] = job.code
    return body


def _origin(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _elapsed(seconds: float) -> str:
    whole = max(0, int(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"


# -- useapi.net v3 ----------------------------------------------------------------------------------


async def list_jobs(request: Request) -> Response:
    try:
        account = _account(request)
        world = _world(request)
        channels: dict[str, Any] = {}
        totals = {"total": 0, "images": 0, "videos": 0}
        for channel in world.running_channels(account):
            jobs = list(channel.running.values())
            images = sum(1 for job in jobs if job.job_type == "image")
            counts = {"total": len(jobs), "images": images, "videos": len(jobs) - images}
            entry = {
                **counts,
                "maxJobs": channel.max_jobs,
                "maxImageJobs": channel.max_image_jobs,
                "maxVideoJobs": channel.max_video_jobs,
                "jobs": [
                    {
                        "jobId": job.jobid,
                        "channel": channel.id,
                        "jobType": job.job_type,
                        "created": iso_utc(job.created),
                        "elapsed": _elapsed(world.now - job.created),
                    }
                    for job in jobs
                ],
            }
            for key in totals:
                totals[key] += counts[key]
            if jobs:
                channels[channel.id] = entry
    except SimError as exc:
        return _error(exc, with_code=exc.status not in (401,))
    return JSONResponse({**totals, "channels": channels})


async def cancel_job(request: Request) -> Response:
    try:
        account = _account(request)
        _world(request).cancel(account, request.path_params["jobid"])
    except SimError as exc:
        return _error(exc)
    return Response(status_code=204)


# -- useapi.net v2 ----------------------------------------------------------------------------------


async def get_job(request: Request) -> Response:
    try:
        account = _account(request)
        jobid = request.query_params.get("jobid")
        if not jobid:
            raise SimError(400, "Query param jobid not provided")
        world = _world(request)
        job = world.job_for(account, jobid)
    except SimError as exc:
        return _error(exc)
    return JSONResponse(job_json(world, job, _origin(request)))


async def run_command(request: Request) -> Response:
    verb = request.url.path.rsplit("/", 1)[-1]
    try:
        account = _account(request)
        body = await _body(request)
        reply_url, reply_ref = _reply_fields(body)
        world = _world(request)
        job = world.command(account, verb, _string(body, "channel"), reply_url, reply_ref)
    except SimError as exc:
        return _error(exc)
    return JSONResponse(job_json(world, job, _origin(request)))


async def seed_async(request: Request) -> Response:
    world = _world(request)
    try:
        account = _account(request)
        body = await _body(request)
        jobid = _required_string(body, "jobid")
        reply_url, reply_ref = _reply_fields(body)
        try:
            job = world.seed_async(account, jobid, reply_url, reply_ref)
        except SimError as exc:
            if exc.status != 596:
                raise
            halted = world.seed_halted(account, jobid, reply_url, reply_ref)
            return JSONResponse(job_json(world, halted, _origin(request)), 596)
    except SimError as exc:
        return _error(exc)
    return JSONResponse(job_json(world, job, _origin(request)))


async def imagine(request: Request) -> Response:
    """Not one of mjtui's documents: the service's way to start work, used by tests and the demo."""
    try:
        account = _account(request)
        body = await _body(request)
        prompt = _required_string(body, "prompt")
        if any(word in prompt.lower() for word in BANNED_WORDS):
            raise SimError(422, "Moderated",
                           errorDetails="Sorry! Our AI moderator thinks this prompt is probably against our community standards.")
        job_type = "video" if body.get("jobType") == "video" else "image"
        world = _world(request)
        job = world.submit(account, prompt, _string(body, "channel"), job_type=job_type)
    except SimError as exc:
        return _error(exc)
    return JSONResponse(job_json(world, job, _origin(request)))


async def press_button(request: Request) -> Response:
    try:
        account = _account(request)
        body = await _body(request)
        jobid = _required_string(body, "jobid")
        button = _required_string(body, "button")
        world = _world(request)
        job = world.press(account, jobid, button, _string(body, "prompt"), _string(body, "mask"))
    except SimError as exc:
        return _error(exc)
    return JSONResponse(job_json(world, job, _origin(request)))


async def reset_channel(request: Request) -> Response:
    try:
        account = _account(request)
        _world(request).reset(account, request.path_params["channel"])
    except SimError as exc:
        return _error(exc)
    return Response(status_code=204)


async def attachment(request: Request) -> Response:
    params = request.path_params
    if params["size"] > 512 or params["index"] > 8:
        return JSONResponse({"error": "Not found", "code": 404}, 404)
    data = png_for(params["key"], params["index"], params["size"])
    return Response(data, media_type="image/png", headers={"cache-control": "public, max-age=86400"})


# -- ImaginePro -------------------------------------------------------------------------------------
# Every route is rate limited as the System Design page says (see rate_gate.py); the answer to a request over
# the limit is not documented: this one is NestJS's default (ImaginePro's SDKs read `message` and `error`).

THROTTLED_MESSAGE = "ThrottlerException: Too Many Requests"
THROTTLED = {"statusCode": 429, "message": THROTTLED_MESSAGE}
CANCEL_REFUSED = "Cancel Job is only available while the job is in progress (progress < 100)"
HISTORY_PAGE_LIMIT = 100


def _nova_error(exc: SimError) -> JSONResponse:
    if exc.status == 429 and exc.error == THROTTLED_MESSAGE:
        return JSONResponse(THROTTLED, 429)
    return JSONResponse({"success": False, "error": exc.error, **exc.extra}, exc.status)


def _nova_account(request: Request, kind: Kind = "general") -> Account:
    """The ImaginePro account the request is made with, once it is within the account's rate limit."""
    account = _account(request)
    world = _world(request)
    if not world.gate.admit(account.name, kind, world.now):
        raise SimError(429, THROTTLED_MESSAGE)
    return account


def _token_id(body: dict[str, Any]) -> int:
    value = body.get("tokenId")
    if value is None:
        raise SimError(400, "tokenId is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise SimError(400, "tokenId must be an integer")
    return value


def _path_token_id(request: Request) -> int:
    text = request.path_params["token_id"]
    if not text.isdigit() or len(text) > 18:
        raise SimError(400, "id must be an integer")
    return int(text)


def _working(channel: Channel) -> Channel:
    """The linked account, when it can run a command now: active, neither verifying nor banned."""
    if not channel.active:
        raise SimError(400, f"Linked account {channel.token_id} is not active")
    if channel.standing is not None:
        raise SimError(400, f"Linked account {channel.token_id} is {channel.standing}")
    return channel


def _created(job: SimJob) -> dict[str, Any]:
    return {"success": True, "messageId": job.message_id, "createdAt": iso_utc(job.created)}


async def nova_command(request: Request) -> Response:
    try:
        account = _nova_account(request)
        body = await _body(request)
        cmd = body.get("cmd")
        if cmd not in COMMAND_VERBS:
            raise SimError(400, f"cmd must be one of {', '.join(COMMAND_VERBS)}")
        world = _world(request)
        channel = _working(world.channel_by_token_id(account, _token_id(body)))
        job = world.command(account, cmd, channel.id, body.get("webhookOverride"), body.get("ref"))
    except SimError as exc:
        return _nova_error(exc)
    return JSONResponse(_created(job))


async def nova_imagine(request: Request) -> Response:
    try:
        account = _nova_account(request)
        body = await _body(request)
        prompt = _required_string(body, "prompt")
        world = _world(request)
        working = [channel for channel in world.linked(account) if channel.takes_jobs]
        if not working:
            raise SimError(400, "No active linked Discord account")
        job = world.submit(account, prompt, working[0].id)
    except SimError as exc:
        return _nova_error(exc)
    return JSONResponse(_created(job))


async def nova_button(request: Request) -> Response:
    try:
        account = _nova_account(request)
        body = await _body(request)
        message_id = _required_string(body, "messageId")
        button = _required_string(body, "button")
        world = _world(request)
        job = world.job_by_message(account, message_id)
        if button == CANCEL_BUTTON:
            if message_status(world, job)[0] not in ("QUEUED", "PROCESSING"):
                raise SimError(400, CANCEL_REFUSED)
            world.cancel(account, job.jobid)
            return JSONResponse({"success": True, "messageId": job.message_id, "createdAt": iso_utc(world.now)})
        child = world.press(account, job.jobid, button, _string(body, "prompt"), _string(body, "mask"))
    except SimError as exc:
        return _nova_error(exc)
    return JSONResponse(_created(child))


async def nova_fetch(request: Request) -> Response:
    try:
        account = _nova_account(request, "message")
        world = _world(request)
        job = world.job_by_message(account, request.path_params["message_id"])
    except SimError as exc:
        return _nova_error(exc)
    return JSONResponse(message_json(world, job, _origin(request)))


async def nova_trace(request: Request) -> Response:
    try:
        account = _nova_account(request)
        world = _world(request)
        job = world.job_by_message(account, request.path_params["message_id"])
    except SimError as exc:
        return _nova_error(exc)
    return JSONResponse(trace_json(world, job))


async def nova_images(request: Request) -> Response:
    try:
        account = _nova_account(request)
        page = _positive(request.query_params.get("page"), "page", 1)
        size = min(_positive(request.query_params.get("size"), "size", 10), HISTORY_PAGE_LIMIT)
        world = _world(request)
        jobs = world.history(account)[(page - 1) * size: page * size]
    except SimError as exc:
        return _nova_error(exc)
    return JSONResponse({"images": [image_json(world, job, _origin(request)) for job in jobs]})


def _positive(text: str | None, name: str, default: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not 0 < int(text) < 10_000:
        raise SimError(400, f"{name} must be a positive number")
    return int(text)


async def discord_tokens(request: Request) -> Response:
    try:
        account = _nova_account(request)
        world = _world(request)
    except SimError as exc:
        return _nova_error(exc)
    return JSONResponse([token_json(world, channel) for channel in world.linked(account)])


async def discord_token(request: Request) -> Response:
    """GET one linked account, or PUT `{"isActive": bool}` to toggle it; both answer an array, as documented."""
    try:
        account = _nova_account(request)
        world = _world(request)
        token_id = _path_token_id(request)
        if request.method == "PUT":
            active = (await _body(request)).get("isActive")
            if not isinstance(active, bool):
                raise SimError(400, "isActive must be a boolean")
            channel = world.toggle(account, token_id, active)
        else:
            channel = world.link(account, token_id)
    except SimError as exc:
        return _nova_error(exc)
    return JSONResponse([token_json(world, channel)])
