"""The simulated midjourney-proxy gateway over HTTP: a Starlette app serving one dialect's routes.

Only the routes the dialect has are served (§4-§6 and §8 of the
midjourney-proxy protocol notes in shared/api/); any other path answers 404 as that gateway
does (trueai: empty; the Java gateways: Spring's JSON). Auth is §1's: trueai
reads the raw `Authorization` header, else `mj-api-secret`, and answers 401
text/plain "Authorization header missing." to an unknown or missing token, and "账号无权限" to a
known non-admin token on /mj/admin/*;
the Java gateways compare `mj-api-secret` and answer 401 with an empty body.
Every routed request is counted per route in `world.requests`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mjtui.clock import iso_utc
from mjtui.sim.app import attachment
from mjtui.sim.faults import FaultInjector, FaultProfile, schedule_incidents
from mjtui.sim.proxy import wire
from mjtui.sim.proxy.world import (
    BAD_PARAMS,
    FINAL_STATUSES,
    AdminFailure,
    ProxyAccount,
    ProxyTask,
    ProxyWorld,
    Refusal,
)

Handler = Callable[[ProxyWorld, Request], Awaitable[Response]]
MODE_PREFIXES = {"/mj-relax": "RELAX", "/mj-fast": "FAST", "/mj-turbo": "TURBO"}
PREFIXED = ("/mj/submit/", "/mj/task/")  # the controllers the speed prefixes alias (trueai SubmitController, TaskController)
NO_HEADER = "Authorization header missing."
NOT_ADMIN = "账号无权限"
DEMO_MODE = "演示模式，禁止操作"
ACCOUNT_MISSING = "账号不存在"
TRUEAI_LIST_SIZE = 100


class BadBody(Exception):
    """The request body is not the JSON the route takes."""


def create_proxy_app(world: ProxyWorld, faults: FaultProfile | None = None) -> ASGIApp:
    """The ASGI app for `world`'s dialect, with `faults` injected when given."""
    routes = [Route("/attachments/{size:int}/{index:int}/{key}.png", attachment, methods=["GET"])]
    for method, path, handler in ROUTES[world.flavor]:
        routes.append(Route(path, _endpoint(world, method, path, handler), methods=[method]))
    app = Starlette(routes=routes, exception_handlers={HTTPException: _not_routed})
    app.state.world = world
    outer: ASGIApp = SpeedPrefix(app) if world.flavor != "original" else app
    if faults is None or not faults.active:
        return outer
    schedule_incidents(world, faults)
    return FaultInjector(outer, world, faults, seed=world.seed + 1)


class SpeedPrefix:
    """`/mj-relax|/mj-fast|/mj-turbo/mj/...` are the submit and task routes with a requested speed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        for prefix, mode in MODE_PREFIXES.items():
            rest = path[len(prefix):]
            if path.startswith(prefix + "/") and rest.startswith(PREFIXED):
                scope = {**scope, "path": rest, "raw_path": rest.encode(), "mjtui.mode": mode}
                break
        await self.app(scope, receive, send)


async def _not_routed(request: Request, exc: Exception) -> Response:
    world: ProxyWorld = request.app.state.world
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    world.requests["unmatched"] += 1
    if world.flavor == "trueai":
        return Response(status_code=status)
    error = "Not Found" if status == 404 else "Method Not Allowed"
    return JSONResponse({"timestamp": iso_utc(world.now), "status": status, "error": error, "path": request.url.path}, status)


def _endpoint(world: ProxyWorld, method: str, path: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Count the request, bring the world to now, check the token, then answer."""
    key = f"{method} {path}"

    async def answer(request: Request) -> Response:
        world.requests[key] += 1
        world.advance()
        refused = _authorize(world, request)
        if refused is not None:
            return refused
        try:
            return await handler(world, request)
        except BadBody:
            return JSONResponse(wire.submit_result(world, 4, BAD_PARAMS, None), 400)

    return answer


def _role(world: ProxyWorld, request: Request) -> str | None:
    """"admin", "user" or None for the request's token, read where the dialect reads it."""
    if world.flavor == "trueai":
        token = request.headers.get("authorization") or request.headers.get("mj-api-secret")
    else:
        token = request.headers.get("mj-api-secret")
    if world.revoked or not token:
        return None
    return {world.admin_token: "admin", world.user_token: "user"}.get(token)


def _authorize(world: ProxyWorld, request: Request) -> Response | None:
    role = _role(world, request)
    if world.flavor != "trueai":
        return None if role else Response(status_code=401)
    if role is None:  # an unknown or missing token is refused before any role check (SimpleAuthMiddleware's order)
        return PlainTextResponse(NO_HEADER, 401)
    if request.url.path.startswith("/mj/admin"):
        return None if role == "admin" else PlainTextResponse(NOT_ADMIN, 401)
    return None


def _is_admin(world: ProxyWorld, request: Request) -> bool:
    return _role(world, request) == "admin"


async def _json_body(request: Request, kind: type = dict) -> Any:
    raw = await request.body()
    if not raw:
        return kind()
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadBody from None
    if not isinstance(data, kind):
        raise BadBody
    return data


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) and value else None


def _int(data: dict[str, Any], name: str, default: int, low: int = 0, high: int = 10_000) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return min(max(value, low), high)


def _origin(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _tasks_json(world: ProxyWorld, tasks: list[ProxyTask], request: Request) -> list[dict[str, Any]]:
    origin = _origin(request)
    return [wire.task_json(world, task, origin) for task in tasks]


def _newest_first(tasks: list[ProxyTask]) -> list[ProxyTask]:
    return sorted(tasks, key=lambda task: (task.submit_time, task.id), reverse=True)


def _submitted(world: ProxyWorld, run: Callable[[], tuple[ProxyTask, int, str]]) -> Response:
    """A submit's `SubmitResultVO`: the task id with code 1/21/22, or the refusal with its HTTP status."""
    try:
        task, code, description = run()
    except Refusal as refusal:
        return JSONResponse(wire.submit_result(world, refusal.code, refusal.description, None, **refusal.properties),
                            refusal.http)
    extra: dict[str, Any] = {}
    if code == 22:
        extra["numberOfQueues"] = task.ahead
    if code == 21:
        extra.update(finalPrompt=task.prompt, remix=task.remix)
    return JSONResponse(wire.submit_result(world, code, description, task.id, task.instance, **extra))


# -- tasks ------------------------------------------------------------------------------------------


async def fetch(world: ProxyWorld, request: Request) -> Response:
    """One task; a missing one is trueai's 204 or the Java gateways' 200 with no body."""
    task = world.task(request.path_params["id"])
    if task is None:
        return Response(status_code=204 if world.flavor == "trueai" else 200)
    return JSONResponse(wire.task_json(world, task, _origin(request)))


async def list_by_condition(world: ProxyWorld, request: Request) -> Response:
    data = await _json_body(request)
    ids = data.get("ids")
    if not isinstance(ids, list):
        return JSONResponse([])
    wanted = {item.strip() for item in ids if isinstance(item, str) and item.strip()}
    return JSONResponse(_tasks_json(world, [world.tasks[i] for i in sorted(wanted) if i in world.tasks], request))


async def task_list(world: ProxyWorld, request: Request) -> Response:
    """trueai: the 100 newest; the Java gateways: every stored task, newest first."""
    tasks = _newest_first(list(world.tasks.values()))
    if world.flavor == "trueai":
        tasks = tasks[:TRUEAI_LIST_SIZE]
    return JSONResponse(_tasks_json(world, tasks, request))


async def task_queue(world: ProxyWorld, request: Request) -> Response:
    """The Java gateways: every waiting or running task of an enabled account, oldest first."""
    now = world.now
    tasks = [task for task in world.tasks.values()
             if task.status(now) in ("NOT_START", "SUBMITTED", "IN_PROGRESS") and world.accounts[task.account].enable]
    return JSONResponse(_tasks_json(world, sorted(tasks, key=lambda t: (t.submit_time, t.id)), request))


async def task_query(world: ProxyWorld, request: Request) -> Response:
    """plus `/mj/task/query`: filters (`statusSet`, `instanceId`, `status`, `action`, `ids`) and a Spring Page."""
    data = await _json_body(request)
    number, size = _int(data, "pageNumber", 0), _int(data, "pageSize", 10, 1, 1000)
    status_set = data.get("statusSet") if isinstance(data.get("statusSet"), list) else None
    ids = data.get("ids") if isinstance(data.get("ids"), list) else None
    now = world.now
    chosen = [
        task for task in world.tasks.values()
        if (status_set is None or task.status(now) in status_set)
        and (_text(data, "status") is None or task.status(now) == data["status"])
        and (_text(data, "instanceId") is None or task.instance == data["instanceId"])
        and (_text(data, "action") is None or task.action == data["action"])
        and (ids is None or task.id in ids)
    ]
    chosen.sort(key=lambda task: task.id, reverse=_text(data, "sort") != "id,asc")
    page = chosen[number * size:(number + 1) * size]
    return JSONResponse(wire.spring_page(_tasks_json(world, page, request), number, size, len(chosen)))


async def cancel(world: ProxyWorld, request: Request) -> Response:
    """trueai: admin only (else 400 text), 200 with no body whatever became of it; plus: `{code, description}`."""
    task_id = request.path_params["id"]
    if world.flavor == "trueai":
        if not _is_admin(world, request):
            return PlainTextResponse(DEMO_MODE, 400)
        world.cancel(task_id)
        return Response(status_code=200)
    before = world.task(task_id)
    if before is None:
        return JSONResponse({"code": 3, "description": "任务不存在"})
    if before.status(world.now) in FINAL_STATUSES:
        return JSONResponse({"code": 4, "description": f"任务状态错误: {before.status(world.now)}"})
    world.cancel(task_id)
    return JSONResponse({"code": 1, "description": "取消成功"})


async def image_seed(world: ProxyWorld, request: Request) -> Response:
    try:
        seed = world.image_seed(request.path_params["id"])
    except Refusal as refusal:
        return JSONResponse(wire.submit_result(world, refusal.code, refusal.description, None), refusal.http)
    return JSONResponse(wire.submit_result(world, 1, "成功", seed))


# -- submitting -------------------------------------------------------------------------------------


def _requested_mode(request: Request, data: dict[str, Any]) -> str | None:
    """The speed asked for: the path prefix, else (trueai) `accountFilter.modes[0]`."""
    mode = request.scope.get("mjtui.mode")
    account_filter = data.get("accountFilter")
    if mode is None and isinstance(account_filter, dict) and isinstance(account_filter.get("modes"), list):
        modes = [m for m in account_filter["modes"] if m in ("RELAX", "FAST", "TURBO")]
        mode = modes[0] if modes else None
    return mode


async def imagine(world: ProxyWorld, request: Request) -> Response:
    data = await _json_body(request)
    account_filter = data.get("accountFilter") if world.flavor == "trueai" else None
    instance = _text(account_filter, "instanceId") if isinstance(account_filter, dict) else None
    bot = "NIJI_JOURNEY" if data.get("botType") == "NIJI_JOURNEY" else "MID_JOURNEY"
    return _submitted(world, lambda: world.imagine(_text(data, "prompt") or "", instance=instance,
                                                   mode=_requested_mode(request, data), state=_text(data, "state"),
                                                   bot_type=bot))


async def submit_action(world: ProxyWorld, request: Request) -> Response:
    data = await _json_body(request)
    return _submitted(world, lambda: world.action(_text(data, "taskId") or "", _text(data, "customId") or "",
                                                  mode=_requested_mode(request, data), state=_text(data, "state")))


async def submit_modal(world: ProxyWorld, request: Request) -> Response:
    data = await _json_body(request)
    return _submitted(world, lambda: world.modal(_text(data, "taskId") or "", _text(data, "prompt")))


async def submit_change(world: ProxyWorld, request: Request) -> Response:
    """The original's `/submit/change`: `{taskId, action: UPSCALE|VARIATION|REROLL, index}`."""
    data = await _json_body(request)
    task_id, action, index = _text(data, "taskId"), data.get("action"), _int(data, "index", 0)
    if task_id is None:
        return JSONResponse(wire.submit_result(world, 4, "taskId不能为空", None))
    if action not in ("UPSCALE", "VARIATION", "REROLL") or (action != "REROLL" and not 1 <= index <= 4):
        return JSONResponse(wire.submit_result(world, 4, "action参数错误", None))
    return _submitted(world, lambda: world.change(task_id, action, index, state=_text(data, "state")))


# -- accounts: the Java gateways --------------------------------------------------------------------


async def account_list(world: ProxyWorld, request: Request) -> Response:
    return JSONResponse([wire.account_json(world, account) for account in world.accounts.values()])


async def account_fetch(world: ProxyWorld, request: Request) -> Response:
    account = world.account(request.path_params["id"])
    if account is None:
        return Response(status_code=200)
    return JSONResponse(wire.account_json(world, account))


async def account_query(world: ProxyWorld, request: Request) -> Response:
    """plus `/mj/account/query`: ProTable params (`pageNumber` 0-based, `channelId`, `remark`) → Spring Page."""
    data = await _json_body(request)
    number, size = _int(data, "pageNumber", 0), _int(data, "pageSize", 10, 1, 1000)
    chosen = [
        account for account in world.accounts.values()
        if (_text(data, "channelId") is None or account.channel_id == data["channelId"])
        and (_text(data, "remark") is None or data["remark"] in account.remark)
    ]
    page = [wire.account_json(world, account) for account in chosen[number * size:(number + 1) * size]]
    return JSONResponse(wire.spring_page(page, number, size, len(chosen)))


def _plus_account(world: ProxyWorld, request: Request) -> ProxyAccount | Response:
    account = world.account(request.path_params["id"])
    return account if account is not None else JSONResponse({"code": 3, "description": ACCOUNT_MISSING})


def _press(world: ProxyWorld, account: ProxyAccount, request: Request) -> str | None:
    """Press the /settings button the `customId` query names; the failure's text, if any."""
    try:
        world.press_setting(account, request.query_params.get("customId", ""))
    except AdminFailure as failure:
        return str(failure)
    return None


async def plus_account_action(world: ProxyWorld, request: Request) -> Response:
    account = _plus_account(world, request)
    if isinstance(account, Response):
        return account
    failure = _press(world, account, request)
    if failure is not None:
        return JSONResponse({"code": 4, "description": failure})
    return JSONResponse({"code": 1, "description": "成功", "result": {"buttons": account.buttons(), "nijiButtons": []}})


async def plus_sync(world: ProxyWorld, request: Request) -> Response:
    account = _plus_account(world, request)
    if isinstance(account, Response):
        return account
    world.sync(account)
    return JSONResponse({"code": 1, "description": "成功"})


async def plus_update_reconnect(world: ProxyWorld, request: Request) -> Response:
    account = _plus_account(world, request)
    if isinstance(account, Response):
        return account
    world.update(account, await _json_body(request))
    return JSONResponse({"code": 1, "description": "成功"})


# -- accounts and tasks: trueai's /mj/admin ---------------------------------------------------------


def _admin(world: ProxyWorld, failure: str | None = None, data: Any = None, *, message: str | None = None,
           with_data: bool = False) -> JSONResponse:
    """A `Result`: a failure's text (success false), or a success with an optional message and data."""
    return JSONResponse(wire.admin_result(world, failure is None, failure or message, data, with_data=with_data))


def _pagination(data: dict[str, Any]) -> tuple[int, int]:
    page = data.get("pagination")
    if not isinstance(page, dict):
        page = {}
    return _int(page, "current", 1, 1), _int(page, "pageSize", 10, 1, 100)


def _search(data: dict[str, Any]) -> dict[str, Any]:
    search = data.get("search")
    return search if isinstance(search, dict) else {}


async def admin_accounts_get(world: ProxyWorld, request: Request) -> Response:
    """The enabled accounts, with `runningCount`/`queueCount` left at 0 as trueai leaves them."""
    enabled = [account for account in world.accounts.values() if account.enable]
    enabled.sort(key=lambda account: account.created)
    return JSONResponse([wire.account_json(world, account, counters=False) for account in enabled])


async def admin_accounts_table(world: ProxyWorld, request: Request) -> Response:
    """The accounts table with live counters; `search` by channelId, guildId, enable, remark; newest first."""
    data = await _json_body(request)
    current, size = _pagination(data)
    search = _search(data)
    chosen = [
        account for account in world.accounts.values()
        if (_text(search, "channelId") is None or account.channel_id == search["channelId"])
        and (_text(search, "guildId") is None or account.guild_id == search["guildId"])
        and (not isinstance(search.get("enable"), bool) or account.enable == search["enable"])
        and (_text(search, "remark") is None or search["remark"] in account.remark)
    ]
    chosen.sort(key=lambda account: account.created, reverse=True)
    page = [wire.account_json(world, account) for account in chosen[(current - 1) * size:current * size]]
    return JSONResponse(wire.table(page, current, size, len(chosen)))


async def admin_tasks(world: ProxyWorld, request: Request) -> Response:
    """The tasks table: `search` by id (or state), instanceId, status (one), action, mode; newest first."""
    data = await _json_body(request)
    current, size = _pagination(data)
    search = _search(data)
    now = world.now
    wanted_mode = _text(search, "mode")
    chosen = [
        task for task in world.tasks.values()
        if (_text(search, "id") is None or search["id"] in (task.id, task.state))
        and (_text(search, "instanceId") is None or task.instance == search["instanceId"])
        and (_text(search, "status") is None or task.status(now) == search["status"])
        and (_text(search, "action") is None or task.action == search["action"])
        and (wanted_mode is None or task.mode == wanted_mode)
    ]
    page = _newest_first(chosen)[(current - 1) * size:current * size]
    extend = {"total": len(chosen), "actionStats": None, "actionUseCount": 0}
    return JSONResponse(wire.table(_tasks_json(world, page, request), current, size, len(chosen), extend))


def _admin_account(world: ProxyWorld, request: Request) -> ProxyAccount | Response:
    account = world.account(request.path_params["id"])
    return account if account is not None else _admin(world, ACCOUNT_MISSING)


async def admin_account(world: ProxyWorld, request: Request) -> Response:
    account = _admin_account(world, request)
    if isinstance(account, Response):
        return account
    return JSONResponse(wire.account_json(world, account))


async def admin_account_action(world: ProxyWorld, request: Request) -> Response:
    account = _admin_account(world, request)
    if isinstance(account, Response):
        return account
    return _admin(world, _press(world, account, request))


async def admin_account_sync(world: ProxyWorld, request: Request) -> Response:
    account = _admin_account(world, request)
    if isinstance(account, Response):
        return account
    if not account.usable:
        return _admin(world, "同步失败，请稍后重试")
    world.sync(account)
    return _admin(world)


async def admin_cf_get(world: ProxyWorld, request: Request) -> Response:
    account = _admin_account(world, request)
    if isinstance(account, Response):
        return account
    if not account.lock or not account.cf_url:
        return _admin(world, "CF 验证链接不存在")
    return _admin(world, data=wire.account_json(world, account), with_data=True)


async def admin_cf_post(world: ProxyWorld, request: Request) -> Response:
    account = _admin_account(world, request)
    if isinstance(account, Response):
        return account
    world.clear_lock(account)
    return _admin(world)


async def admin_enable(world: ProxyWorld, request: Request) -> Response:
    ids = await _json_body(request, list)
    wanted = {item.strip() for item in ids if isinstance(item, str) and item.strip()}
    if not wanted:
        return _admin(world, BAD_PARAMS)
    disabled = [account for account in world.accounts.values() if account.id in wanted and not account.enable]
    for account in disabled:
        world.enable(account)
    return _admin(world, message=f"已启用 {len(disabled)} 个账号")


async def admin_reconnect(world: ProxyWorld, request: Request) -> Response:
    data = await _json_body(request)
    if data.get("id") != request.path_params["id"]:
        return _admin(world, BAD_PARAMS)
    account = _admin_account(world, request)
    if isinstance(account, Response):
        return account
    world.update(account, data)
    return _admin(world)


COMMON: list[tuple[str, str, Handler]] = [
    ("GET", "/mj/task/{id}/fetch", fetch),
    ("POST", "/mj/task/list-by-condition", list_by_condition),
    ("GET", "/mj/task/list", task_list),
    ("POST", "/mj/submit/imagine", imagine),
]
JAVA: list[tuple[str, str, Handler]] = [
    ("GET", "/mj/task/queue", task_queue),
    ("GET", "/mj/account/list", account_list),
    ("GET", "/mj/account/{id}/fetch", account_fetch),
]
BUTTONS: list[tuple[str, str, Handler]] = [
    ("POST", "/mj/submit/action", submit_action),
    ("POST", "/mj/submit/modal", submit_modal),
    ("POST", "/mj/task/{id}/cancel", cancel),
    ("GET", "/mj/task/{id}/image-seed", image_seed),
    ("POST", "/mj/task/list-by-ids", list_by_condition),
]
ROUTES: dict[str, list[tuple[str, str, Handler]]] = {
    "original": [*COMMON, *JAVA, ("POST", "/mj/submit/change", submit_change)],
    "plus": [
        *COMMON, *JAVA, *BUTTONS,
        ("POST", "/mj/account/query", account_query),
        ("POST", "/mj/task/query", task_query),
        ("POST", "/mj/account/{id}/action", plus_account_action),
        ("POST", "/mj/account/{id}/sync-info", plus_sync),
        ("PUT", "/mj/account/{id}/update-reconnect", plus_update_reconnect),
    ],
    "trueai": [
        *COMMON, *BUTTONS,
        ("GET", "/mj/admin/accounts", admin_accounts_get),
        ("POST", "/mj/admin/accounts", admin_accounts_table),
        ("GET", "/mj/admin/account/{id}", admin_account),
        ("POST", "/mj/admin/tasks", admin_tasks),
        ("POST", "/mj/admin/account-action/{id}", admin_account_action),
        ("POST", "/mj/admin/account-sync/{id}", admin_account_sync),
        ("GET", "/mj/admin/account-cf/{id}", admin_cf_get),
        ("POST", "/mj/admin/account-cf/{id}", admin_cf_post),
        ("POST", "/mj/admin/accounts-enable", admin_enable),
        ("PUT", "/mj/admin/account-reconnect/{id}", admin_reconnect),
    ],
}
