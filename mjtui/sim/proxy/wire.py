"""The three dialects' JSON: tasks, accounts and envelopes.

Written from the midjourney-proxy protocol notes (shared/api/, §2, §3 and §6).

trueai (C#, System.Text.Json) emits every member of its models, null or not,
and dates as ISO strings; the Java gateways (original, plus) emit ms epochs.
Written by hand from the protocol document, never from the client's models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mjtui.sim.proxy.world import FAST_HOURS, ProxyAccount, ProxyTask, ProxyWorld

SUBSCRIPTION = "Pro"
DOTNET_EPOCH_TICKS = 621_355_968_000_000_000  # 1970-01-01 in .NET ticks


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def _iso(seconds: float | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _shown(seconds: float | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _image(origin: str, task: ProxyTask, index: int, size: int) -> str:
    return f"{origin}/attachments/{size}/{index}/t{task.id}.png"


def task_json(world: ProxyWorld, task: ProxyTask, origin: str) -> dict[str, Any]:
    """A task as the world's dialect shows it (§3): the common fields, plus buttons and trueai's extras."""
    now = world.now
    status = task.status(now)
    image = None
    if status == "SUCCESS":
        image = _image(origin, task, 0, 128)
    elif status == "IN_PROGRESS":
        image = _image(origin, task, 0, 64)
    properties: dict[str, Any] = {"discordInstanceId": task.instance, "finalPrompt": task.prompt, "nonce": task.nonce}
    if task.message_id:
        properties["messageId"] = task.message_id
        properties["progressMessageId"] = task.message_id
    if task.message_hash:
        properties["messageHash"] = task.message_hash
    if task.custom_id:
        properties["custom_id"] = task.custom_id
    body: dict[str, Any] = {
        "id": task.id,
        "action": task.action,
        "status": status,
        "prompt": task.prompt,
        "promptEn": task.prompt,
        "description": task.description,
        "state": task.state,
        "submitTime": _ms(task.submit_time),
        "startTime": _ms(task.start_at),
        "finishTime": _ms(task.finished),
        "imageUrl": image,
        "progress": task.progress(now),
        "failReason": task.fail_reason,
        "properties": properties,
    }
    if world.flavor == "original":
        return body
    properties["botType"] = task.bot_type
    if task.remix:
        properties["remix"] = True
    if task.seed and world.flavor == "plus":
        properties["imageSeed"] = task.seed
    body["buttons"] = [dict(button) for button in task.buttons] if status == "SUCCESS" else []
    if world.flavor == "plus":
        return body
    properties["discordChannelId"] = task.instance
    return {**body, **_trueai_task_extras(world, task, origin, status)}


def _trueai_task_extras(world: ProxyWorld, task: ProxyTask, origin: str, status: str) -> dict[str, Any]:
    done = status == "SUCCESS"
    used = None
    if task.finished is not None and task.start_at is not None:
        used = f"{task.finished - task.start_at:.2f} s"
    return {
        "parentId": task.parent_id,
        "botType": task.bot_type,
        "realBotType": task.bot_type,
        "userId": None,
        "nonce": task.nonce,
        "messageId": task.message_id,
        "messageIds": [task.message_id] if task.message_id else [],
        "instanceId": task.instance,
        "subInstanceId": None,
        "promptFull": task.prompt,
        "imageUrls": [{"url": _image(origin, task, n, 128), "thumbnail": _image(origin, task, n, 64)} for n in range(1, 5)]
        if done and task.action != "UPSCALE" else [],
        "thumbnailUrl": _image(origin, task, 0, 64) if done else None,
        "seed": task.seed,
        "seedError": None,
        "jobId": task.job_id if task.start_at is not None else None,
        "mode": task.mode,
        "requestMode": task.request_mode,
        "accountFilter": None,
        "width": 1024 if done else None,
        "height": 1024 if done else None,
        "version": "v 7",
        "isCompleted": status in ("SUCCESS", "FAILURE", "CANCEL"),
        "useTime": used,
        "displays": {
            "status": status,
            "submitTime": _shown(task.submit_time),
            "startTime": _shown(task.start_at),
            "finishTime": _shown(task.finished),
            "action": task.action,
            "discordInstanceId": task.instance,
        },
        "isPartner": False,
        "isOfficial": False,
        "isDiscord": True,
    }


def _info(world: ProxyWorld, account: ProxyAccount) -> dict[str, Any]:
    """The parsed /info embed, keyed as Midjourney writes it."""
    return {
        "Subscription": f"{SUBSCRIPTION} (Active monthly, renews next on <t:{int(world.now) + 1_800_000}>)",
        "Job Mode": account.job_mode.capitalize(),
        "Visibility Mode": "Stealth",
        "Fast Time Remaining": _fast_time(account),
        "Lifetime Usage": f"{account.lifetime_images} images ({account.lifetime_images * 0.02:.2f} hours)",
        "Relaxed Usage": f"{account.lifetime_images // 3} images ({account.lifetime_images * 0.005:.2f} hours)",
        "Queued Jobs (fast)": str(len(account.pools["fast"].waiting)),
        "Queued Jobs (relax)": str(len(account.pools["relax"].waiting)),
        "Running Jobs": str(account.running_count) if account.running_count else "None",
    }


def _fast_time(account: ProxyAccount) -> str:
    left = account.fast_remaining()
    return f"{left:.2f}/{FAST_HOURS:.1f} hours ({left / FAST_HOURS:.2%})"


def _displays(world: ProxyWorld, account: ProxyAccount) -> dict[str, Any]:
    return {
        "subscribePlan": SUBSCRIPTION,
        "billedWay": "Monthly",
        "renewDate": _shown(world.now + 1_800_000),
        "mode": account.job_mode.capitalize(),
        "nijiMode": account.job_mode.capitalize(),
    }


def account_json(world: ProxyWorld, account: ProxyAccount, *, counters: bool = True) -> dict[str, Any]:
    """An account as the world's dialect shows it (§6); trueai's GET list passes `counters=False` (always 0)."""
    if world.flavor == "original":
        return {
            "id": account.id, "guildId": account.guild_id, "channelId": account.channel_id,
            "userToken": account.user_token,
            "userAgent": "Mozilla/5.0", "enable": account.enable, "coreSize": account.core_size,
            "queueSize": account.queue_size, "timeoutMinutes": account.timeout_minutes, "properties": {},
        }
    common = {
        "id": account.id,
        "channelId": account.channel_id,
        "guildId": account.guild_id,
        "enable": account.enable,
        "coreSize": account.core_size,
        "queueSize": account.queue_size,
        "timeoutMinutes": account.timeout_minutes,
        "runningCount": account.running_count if counters else 0,
        "queueCount": account.queue_count if counters else 0,
        "remark": account.remark,
        "userToken": account.user_token,  # in full: the OSS gateway always, plus and trueai to their admin
        "fastTimeRemaining": _fast_time(account),
        "relaxedUsage": f"{account.lifetime_images // 3}",
        "lifetimeUsage": f"{account.lifetime_images}",
        "buttons": account.buttons(),
        "nijiButtons": [],
        "remixAutoSubmit": False,
        "version": "7",
        "displays": _displays(world, account),
    }
    if world.flavor == "plus":
        return {
            **common,
            "name": account.remark,
            "status": "ENABLE" if account.enable else "DISABLED",
            "subscribePlan": "PRO",
            "renewDate": _ms(world.now + 1_800_000),
            "mjBotChannelId": None,
            "nijiBotChannelId": None,
            "dateCreated": _ms(account.created),
            "properties": {"weight": 1, "disabledReason": account.disabled_reason},
        }
    return {
        **common,
        "lock": account.lock,
        "disabledReason": account.disabled_reason,
        "cfUrl": account.cf_url,
        "cfHashUrl": account.cf_url,
        "botToken": None,
        "loginAccount": f"{account.remark}@example.com",
        "loginPassword": account.login_password,
        "login2fa": account.login_2fa,
        "permanentInvitationLink": account.invitation,
        "fastExhausted": account.fast_remaining() <= 0,
        "relaxCoreSize": account.relax_core_size,
        "relaxQueueSize": account.relax_queue_size,
        "maxQueueSize": 100,
        "mode": account.mode,
        "allowModes": [],
        "enableAutoSetRelax": None,
        "running": account.enable,
        "sort": 0,
        "weight": 1,
        "dateCreated": _iso(account.created),
        "infoUpdated": _iso(account.info_updated),
        "mjRemixOn": account.remix,
        "mjFastModeOn": account.job_mode != "RELAX",
        "nijiRemixOn": False,
        "nijiFastModeOn": account.job_mode != "RELAX",
        "relaxTimeRemaining": None,
        "turboUsage": None,
        "fastUsage": f"{account.fast_used:.2f}",
        "isDiscord": True,
        "isYouChuan": False,
        "isOfficial": False,
        "properties": _info(world, account),
    }


def submit_result(world: ProxyWorld, code: int, description: str, result: str | None,
                  instance: str | None = None, **extra: Any) -> dict[str, Any]:
    """A `SubmitResultVO` (§2.1); trueai mirrors the instance id into `discordChannelId`."""
    properties: dict[str, Any] = dict(extra)
    if instance:
        properties["discordInstanceId"] = instance
        if world.flavor == "trueai":
            properties["discordChannelId"] = instance
    return {"code": code, "description": description, "result": result, "properties": properties}


def admin_result(world: ProxyWorld, success: bool = True, message: str | None = None, data: Any = None, *,
                 with_data: bool = False) -> dict[str, Any]:
    """trueai's `Result` envelope (§2.3); a success with no message reads "操作成功"."""
    body: dict[str, Any] = {
        "success": success,
        "code": 0 if success else -1,
        "message": message if message is not None or not success else "操作成功",
        "timestamp": str(int(world.now * 10_000_000) + DOTNET_EPOCH_TICKS),  # .NET DateTime.Now.Ticks
    }
    if with_data:
        body["data"] = data
    return body


def table(items: list[dict[str, Any]], current: int, size: int, total: int, extend: Any = None) -> dict[str, Any]:
    """trueai's `StandardTableResult` (§2.4)."""
    return {"list": items, "pagination": {"current": current, "pageSize": size, "total": total,
                                           "pageCount": (total + size - 1) // size if size else 0}, "extendData": extend}


def spring_page(items: list[dict[str, Any]], number: int, size: int, total: int) -> dict[str, Any]:
    """A Spring Data `Page` (§2.5), plus's paging."""
    pages = (total + size - 1) // size if size else 0
    return {
        "content": items, "totalElements": total, "totalPages": pages, "number": number, "size": size,
        "numberOfElements": len(items), "first": number == 0, "last": number >= pages - 1, "empty": not items,
        "pageable": {"pageNumber": number, "pageSize": size, "offset": number * size, "paged": True, "unpaged": False},
        "sort": {"sorted": True, "unsorted": False, "empty": False},
    }
