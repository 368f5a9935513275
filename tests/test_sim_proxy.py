"""The simulated midjourney-proxy gateway, spoken to with raw httpx as a client would, on a hand-moved clock.

Each dialect's routes (and the 404 of a route it lacks), auth, the per-account
scheduler, a task's life, cancel, seeds, the /settings buttons, locked
accounts and their reset, speed prefixes, the request counts and the
`mjtui sim` options. Never imports the client: this is the double it runs against.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from mjtui.cli import main
from mjtui.clock import ManualClock
from mjtui.sim import SIM_ORIGIN
from mjtui.sim.proxy import ProxySimulator
from mjtui.sim.proxy.world import ProxyAccount

FLAVORS = ("trueai", "plus", "original")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def quiet(flavor: str, clock: ManualClock, **options: Any) -> ProxySimulator:
    """A gateway with no simulated user and no random failures: only the test's own tasks run."""
    options.setdefault("seed", 7)
    options.setdefault("accounts", 1)
    options.setdefault("locked", 0)
    options.setdefault("core_size", 2)
    options.setdefault("queue_size", 2)
    return ProxySimulator.build(flavor=flavor, clock=clock, autopilot=False, fail_rate=0.0, timeout_rate=0.0, **options)


@asynccontextmanager
async def client(sim: ProxySimulator, token: str | None = None, *,
                 header: str = "mj-api-secret") -> AsyncIterator[httpx.AsyncClient]:
    headers = {header: token if token is not None else sim.admin_token}
    async with httpx.AsyncClient(transport=sim.transport(), base_url=SIM_ORIGIN, headers=headers) as http:
        yield http


async def imagine(http: httpx.AsyncClient, prompt: str = "a red fox", path: str = "/mj/submit/imagine",
                  **body: Any) -> dict[str, Any]:
    response = await http.post(path, json={"prompt": prompt, **body})
    assert response.status_code == 200
    return response.json()


async def fetch(http: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    response = await http.get(f"/mj/task/{task_id}/fetch")
    assert response.status_code == 200, response.text
    return response.json()


async def run_until(http: httpx.AsyncClient, clock: ManualClock, task_id: str, status: str, *,
                    limit: float = 900) -> dict[str, Any]:
    """Advance the clock a second at a time until the task reads `status`."""
    waited = 0.0
    while (task := await fetch(http, task_id))["status"] != status:
        assert waited < limit, f"task never reached {status}: {task['status']}"
        clock.advance(1)
        waited += 1
    return task


def only_account(sim: ProxySimulator) -> ProxyAccount:
    return next(iter(sim.world.accounts.values()))


# -- routes -----------------------------------------------------------------------------------------

ROUTES = {  # (method, path) -> the dialects that serve it
    ("GET", "/mj/task/{id}/fetch"): FLAVORS,
    ("POST", "/mj/task/list-by-condition"): FLAVORS,
    ("GET", "/mj/task/list"): FLAVORS,
    ("GET", "/mj/task/queue"): ("plus", "original"),
    ("GET", "/mj/account/list"): ("plus", "original"),
    ("POST", "/mj/submit/change"): ("original",),
    ("POST", "/mj/submit/action"): ("trueai", "plus"),
    ("POST", "/mj/submit/modal"): ("trueai", "plus"),
    ("POST", "/mj/task/{id}/cancel"): ("trueai", "plus"),
    ("GET", "/mj/task/{id}/image-seed"): ("trueai", "plus"),
    ("POST", "/mj/task/list-by-ids"): ("trueai", "plus"),
    ("POST", "/mj/task/query"): ("plus",),
    ("POST", "/mj/account/query"): ("plus",),
    ("POST", "/mj/account/{account}/action"): ("plus",),
    ("POST", "/mj/account/{account}/sync-info"): ("plus",),
    ("PUT", "/mj/account/{account}/update-reconnect"): ("plus",),
    ("GET", "/mj/admin/accounts"): ("trueai",),
    ("POST", "/mj/admin/accounts"): ("trueai",),
    ("POST", "/mj/admin/tasks"): ("trueai",),
    ("POST", "/mj/admin/account-action/{account}"): ("trueai",),
    ("POST", "/mj/admin/account-sync/{account}"): ("trueai",),
    ("GET", "/mj/admin/account-cf/{account}"): ("trueai",),
    ("POST", "/mj/admin/account-cf/{account}"): ("trueai",),
    ("POST", "/mj/admin/accounts-enable"): ("trueai",),
    ("PUT", "/mj/admin/account-reconnect/{account}"): ("trueai",),
}


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_each_dialect_serves_its_routes_and_answers_404_for_the_others(flavor: str) -> None:
    sim = quiet(flavor, ManualClock())
    async with client(sim) as http:
        task = (await imagine(http))["result"]
        account = only_account(sim).id
        for (method, template), flavors in ROUTES.items():
            path = template.format(id=task, account=account)
            response = await http.request(method, path, json={"id": account} if method == "PUT" else {})
            served = flavor in flavors
            assert (response.status_code != 404) == served, f"{flavor} {method} {path}: {response.status_code}"
    assert sim.requests["unmatched"] == sum(1 for flavors in ROUTES.values() if flavor not in flavors)


# -- auth -------------------------------------------------------------------------------------------


async def test_trueai_refuses_a_missing_token_and_keeps_admin_routes_for_the_admin_token() -> None:
    sim = quiet("trueai", ManualClock())
    async with client(sim, "") as anonymous, client(sim, sim.user_token) as user, client(sim, "not-a-token") as stranger:
        missing = await anonymous.get("/mj/task/list")
        assert (missing.status_code, missing.text) == (401, "Authorization header missing.")
        assert missing.headers["content-type"].startswith("text/plain")
        for http in (anonymous, stranger):  # the doc's §1: an unknown or missing token is refused first
            unknown = await http.post("/mj/admin/accounts", json={})
            assert (unknown.status_code, unknown.text) == (401, "Authorization header missing.")
        refused = await user.post("/mj/admin/accounts", json={})
        assert (refused.status_code, refused.text) == (401, "账号无权限")  # only a known non-admin token
        assert (await user.get("/mj/task/list")).status_code == 200
    async with client(sim, sim.admin_token, header="Authorization") as raw, \
            client(sim, f"Bearer {sim.admin_token}", header="Authorization") as bearer:
        assert (await raw.post("/mj/admin/accounts", json={})).status_code == 200
        assert (await bearer.post("/mj/admin/accounts", json={})).status_code == 401  # trueai strips no "Bearer "


@pytest.mark.parametrize("flavor", ["plus", "original"])
async def test_java_gateways_compare_the_secret_and_answer_401_with_no_body(flavor: str) -> None:
    sim = quiet(flavor, ManualClock())
    async with client(sim, "wrong") as wrong, client(sim, sim.user_token) as user:
        refused = await wrong.get("/mj/task/list")
        assert (refused.status_code, refused.content) == (401, b"")
        assert (await user.get("/mj/account/list")).status_code == 200


# -- the scheduler ----------------------------------------------------------------------------------

QUEUE_FULL = {"trueai": (9, "提交失败，队列已满，请稍后重试"), "plus": (23, "队列已满，请稍后尝试"),
              "original": (23, "队列已满，请稍后尝试")}


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_an_account_runs_at_most_core_size_queues_up_to_queue_size_and_rejects_the_rest(flavor: str) -> None:
    clock = ManualClock()
    sim = quiet(flavor, clock)
    async with client(sim) as http:
        answers = [await imagine(http, f"cat {n}") for n in range(5)]
        assert [a["code"] for a in answers] == [1, 1, 1, 22, QUEUE_FULL[flavor][0]]
        assert answers[3]["description"] == "排队中，前面还有1个任务"
        assert answers[3]["properties"]["numberOfQueues"] == 1
        assert (answers[4]["description"], answers[4]["result"]) == (QUEUE_FULL[flavor][1], None)
        ids = [a["result"] for a in answers[:4]]
        listed = (await http.post("/mj/task/list-by-condition", json={"ids": [*ids, "nope"]})).json()
        assert sorted(t["status"] for t in listed) == ["NOT_START", "NOT_START", "SUBMITTED", "SUBMITTED"]
        most = 0
        for _ in range(600):
            clock.advance(1)
            statuses = [t["status"] for t in (await http.post("/mj/task/list-by-condition", json={"ids": ids})).json()]
            most = max(most, sum(s in ("SUBMITTED", "IN_PROGRESS") for s in statuses))
            if statuses.count("SUCCESS") == 4:
                break
        assert statuses == ["SUCCESS"] * 4
        assert most == 2


# -- a task's life ----------------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_a_task_goes_submitted_in_progress_success_with_progress_image_and_buttons(flavor: str) -> None:
    clock = ManualClock()
    sim = quiet(flavor, clock)
    async with client(sim) as http:
        task_id = (await imagine(http, "a lighthouse", state="mjtui:1"))["result"]
        task = await fetch(http, task_id)
        assert (task["status"], task["progress"], task["state"]) == ("SUBMITTED", "0%", "mjtui:1")
        assert task["startTime"] >= task["submitTime"] and task["finishTime"] is None
        assert task["properties"]["discordInstanceId"] == only_account(sim).channel_id
        running = await run_until(http, clock, task_id, "IN_PROGRESS")
        assert re.fullmatch(r"\d{1,2}%", running["progress"]) and running["imageUrl"]
        done = await run_until(http, clock, task_id, "SUCCESS")
        assert (done["progress"], done["failReason"]) == ("100%", None)
        assert done["finishTime"] >= done["startTime"]
        image = await http.get(done["imageUrl"])
        assert image.headers["content-type"] == "image/png"
    if flavor == "original":
        assert "buttons" not in done
        return
    labels = [b["label"] or b["emoji"] for b in done["buttons"]]
    assert labels == ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]
    assert re.fullmatch(rf"MJ::JOB::upsample::1::{UUID}", done["buttons"][0]["customId"])
    if flavor == "trueai":
        assert (done["instanceId"], done["mode"], done["isCompleted"]) == (only_account(sim).channel_id, "FAST", True)
        assert len(done["imageUrls"]) == 4


async def test_a_task_running_past_the_timeout_fails_with_the_gateways_text() -> None:
    clock = ManualClock()
    sim = ProxySimulator.build(flavor="trueai", clock=clock, autopilot=False, accounts=1, locked=0, timeout_rate=1.0)
    async with client(sim) as http:
        task_id = (await imagine(http))["result"]
        clock.advance(299)
        assert (await fetch(http, task_id))["status"] == "IN_PROGRESS"
        clock.advance(2)
        failed = await fetch(http, task_id)
    assert (failed["status"], failed["failReason"], failed["progress"]) == ("FAILURE", "任务超时", "")


async def test_a_missing_task_is_204_on_trueai_and_an_empty_200_on_the_java_gateways() -> None:
    for flavor, status in (("trueai", 204), ("plus", 200), ("original", 200)):
        async with client(quiet(flavor, ManualClock())) as http:
            response = await http.get("/mj/task/1700000000000123/fetch")
        assert (response.status_code, response.content) == (status, b"")


# -- buttons, modals --------------------------------------------------------------------------------


async def test_a_button_press_makes_a_child_on_the_same_account_and_refuses_what_trueai_refuses() -> None:
    clock = ManualClock()
    sim = quiet("trueai", clock, accounts=2)
    async with client(sim) as http:
        parent_id = (await imagine(http))["result"]
        early = await http.post("/mj/submit/action", json={"taskId": parent_id, "customId": "MJ::JOB::upsample::1::x"})
        assert early.json()["code"] == 4 and early.json()["description"] == "关联任务状态错误"
        parent = await run_until(http, clock, parent_id, "SUCCESS")
        u2 = parent["buttons"][1]["customId"]
        child = await http.post("/mj/submit/action", json={"taskId": parent_id, "customId": u2})
        assert child.json()["code"] == 1
        fetched = await fetch(http, child.json()["result"])
        assert (fetched["action"], fetched["parentId"], fetched["instanceId"]) == ("UPSCALE", parent_id, parent["instanceId"])
        missing = await http.post("/mj/submit/action", json={"taskId": "1700000000000123", "customId": u2})
        assert (missing.status_code, missing.json()["code"], missing.json()["description"]) == (404, 3, "关联任务不存在或已失效")
        unknown = await http.post("/mj/submit/action", json={"taskId": parent_id, "customId": "MJ::Nope::1"})
        assert unknown.json() == {**unknown.json(), "code": 4, "description": "未知的 Action 类型"}


async def test_custom_zoom_waits_as_a_modal_until_submit_modal_sends_it() -> None:
    clock = ManualClock()
    sim = quiet("plus", clock)
    async with client(sim) as http:
        parent_id = (await imagine(http))["result"]
        await run_until(http, clock, parent_id, "SUCCESS")
        u1 = (await fetch(http, parent_id))["buttons"][0]["customId"]
        up = await http.post("/mj/submit/action", json={"taskId": parent_id, "customId": u1})
        upscale = await run_until(http, clock, up.json()["result"], "SUCCESS")
        zoom = next(b["customId"] for b in upscale["buttons"] if b["label"] == "Custom Zoom")
        answer = (await http.post("/mj/submit/action", json={"taskId": upscale["id"], "customId": zoom})).json()
        assert (answer["code"], answer["description"]) == (21, "Waiting for window confirm")
        assert (await fetch(http, answer["result"]))["status"] == "MODAL"
        sent = (await http.post("/mj/submit/modal", json={"taskId": answer["result"], "prompt": "a red fox --zoom 1.5"})).json()
        assert (sent["code"], sent["result"]) == (1, answer["result"])
        task = await fetch(http, answer["result"])
    assert (task["status"], task["prompt"]) == ("SUBMITTED", "a red fox --zoom 1.5")


# -- cancel -----------------------------------------------------------------------------------------


async def test_trueai_cancel_fails_the_task_for_an_admin_and_refuses_a_user() -> None:
    clock = ManualClock()
    sim = quiet("trueai", clock, core_size=1)
    async with client(sim) as admin, client(sim, sim.user_token) as user:
        first = (await imagine(admin))["result"]
        second = (await imagine(admin))["result"]
        refused = await user.post(f"/mj/task/{first}/cancel")
        assert (refused.status_code, refused.text) == (400, "演示模式，禁止操作")
        assert (await fetch(admin, first))["status"] == "SUBMITTED"
        done = await admin.post(f"/mj/task/{first}/cancel")
        assert (done.status_code, done.content) == (200, b"")
        cancelled = await fetch(admin, first)
        assert (cancelled["status"], cancelled["failReason"]) == ("FAILURE", "取消任务")
        assert (await fetch(admin, second))["status"] == "SUBMITTED"  # the freed slot went to the queued task
        assert (await admin.post("/mj/task/1700000000000123/cancel")).status_code == 200


async def test_plus_cancel_marks_the_task_cancel_and_answers_code_and_description() -> None:
    sim = quiet("plus", ManualClock())
    async with client(sim) as http:
        task_id = (await imagine(http))["result"]
        answer = await http.post(f"/mj/task/{task_id}/cancel")
        assert answer.json()["code"] == 1 and answer.json()["description"]
        assert (await fetch(http, task_id))["status"] == "CANCEL"
        again = (await http.post(f"/mj/task/{task_id}/cancel")).json()
    assert again["code"] != 1


# -- seeds ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("flavor", "missing", "early"), [("trueai", 404, 400), ("plus", 200, 200)])
async def test_image_seed_answers_a_seed_once_the_task_has_its_image(flavor: str, missing: int, early: int) -> None:
    clock = ManualClock()
    sim = quiet(flavor, clock)
    async with client(sim) as http:
        absent = await http.get("/mj/task/1700000000000123/image-seed")
        assert (absent.status_code, absent.json()["code"]) == (missing, 3)
        task_id = (await imagine(http))["result"]
        running = await http.get(f"/mj/task/{task_id}/image-seed")
        assert (running.status_code, running.json()["code"], running.json()["description"]) == (early, 4, "关联任务状态错误")
        await run_until(http, clock, task_id, "SUCCESS")
        seed = (await http.get(f"/mj/task/{task_id}/image-seed")).json()
        assert seed["code"] == 1 and seed["result"].isdigit()
        assert (await http.get(f"/mj/task/{task_id}/image-seed")).json()["result"] == seed["result"]
        task = await fetch(http, task_id)
    shown = task["seed"] if flavor == "trueai" else task["properties"]["imageSeed"]
    assert shown == seed["result"]


# -- the /settings buttons --------------------------------------------------------------------------


def styles(account: dict[str, Any]) -> dict[str, int]:
    return {b["label"]: b["style"] for b in account["buttons"]}


async def test_trueai_account_action_switches_the_speed_the_buttons_and_new_tasks_show() -> None:
    sim = quiet("trueai", ManualClock())
    account_id = only_account(sim).id
    async with client(sim) as http:
        before = (await http.get(f"/mj/admin/account/{account_id}")).json()
        relax = next(b["customId"] for b in before["buttons"] if b["label"] == "Relax mode")
        assert styles(before)["Fast mode"] == 3 and styles(before)["Relax mode"] == 2
        pressed = (await http.post(f"/mj/admin/account-action/{account_id}",
                                   params={"customId": relax, "botType": "MID_JOURNEY"})).json()
        assert (pressed["success"], pressed["message"]) == (True, "操作成功")
        after = (await http.get(f"/mj/admin/account/{account_id}")).json()
        assert (styles(after)["Relax mode"], styles(after)["Fast mode"]) == (3, 2)
        assert (after["displays"]["mode"], after["properties"]["Job Mode"]) == ("Relax", "Relax")
        task = await fetch(http, (await imagine(http))["result"])
    assert task["mode"] == "RELAX"


async def test_remix_on_makes_a_variation_wait_as_a_modal() -> None:
    clock = ManualClock()
    sim = quiet("plus", clock)
    account_id = only_account(sim).id
    async with client(sim) as http:
        remix = next(b["customId"] for b in only_account(sim).buttons() if b["label"] == "Remix mode")
        answer = (await http.post(f"/mj/account/{account_id}/action", params={"customId": remix})).json()
        assert answer["code"] == 1 and styles(answer["result"])["Remix mode"] == 3
        parent_id = (await imagine(http))["result"]
        parent = await run_until(http, clock, parent_id, "SUCCESS")
        v1 = next(b["customId"] for b in parent["buttons"] if b["label"] == "V1")
        variation = (await http.post("/mj/submit/action", json={"taskId": parent_id, "customId": v1})).json()
    assert variation["code"] == 21


# -- locked and disabled accounts -------------------------------------------------------------------


async def test_trueai_default_world_has_a_locked_account_that_account_cf_unlocks() -> None:
    sim = ProxySimulator.build(flavor="trueai", clock=ManualClock(), seed=3)
    async with client(sim) as http:
        accounts = (await http.post("/mj/admin/accounts", json={"pagination": {"current": 1, "pageSize": 100}})).json()["list"]
        locked = [a for a in accounts if a["lock"]]
        assert [(a["disabledReason"], a["enable"]) for a in locked] == [("CF 人工验证...", True)]
        account_id, channel = locked[0]["id"], locked[0]["channelId"]
        refused = await imagine(http, accountFilter={"instanceId": channel})
        assert (refused["code"], refused["description"]) == (3, "无可用的账号实例")
        cf = (await http.get(f"/mj/admin/account-cf/{account_id}")).json()
        assert cf["success"] and cf["data"]["cfUrl"].startswith("https://")
        assert (await http.post(f"/mj/admin/account-cf/{account_id}")).json()["success"]
        after = (await http.get(f"/mj/admin/account/{account_id}")).json()
        assert (after["lock"], after["disabledReason"]) == (False, None)
        assert (await imagine(http, accountFilter={"instanceId": channel}))["code"] == 1
        missing = (await http.post("/mj/admin/account-cf/nope")).json()
    assert (missing["success"], missing["code"], missing["message"]) == (False, -1, "账号不存在")


async def test_a_disabled_trueai_account_leaves_the_enabled_list_until_accounts_enable() -> None:
    clock = ManualClock()
    sim = ProxySimulator.build(flavor="trueai", clock=clock, autopilot=False, accounts=2, locked=0, faults="moderation_after=5")
    async with client(sim) as http:
        clock.advance(6)
        enabled = (await http.get("/mj/admin/accounts")).json()
        disabled = [a for a in sim.world.accounts.values() if not a.enable]
        assert len(enabled) == 1 and len(disabled) == 1
        answer = (await http.post("/mj/admin/accounts-enable", json=[disabled[0].id])).json()
        assert (answer["success"], answer["message"]) == (True, "已启用 1 个账号")
        assert len((await http.get("/mj/admin/accounts")).json()) == 2


async def test_plus_update_reconnect_with_enable_true_re_enables_a_disabled_account() -> None:
    sim = ProxySimulator.build(flavor="plus", clock=ManualClock(), autopilot=False, accounts=2, locked=1)
    async with client(sim) as http:
        page = (await http.post("/mj/account/query", json={"pageNumber": 0, "pageSize": 10})).json()
        off = [a for a in page["content"] if a["status"] == "DISABLED"]
        assert len(off) == 1 and off[0]["properties"]["disabledReason"]
        assert off[0]["id"] == off[0]["channelId"]
        answer = await http.put(f"/mj/account/{off[0]['id']}/update-reconnect", json={"enable": True})
        assert answer.json()["code"] == 1
        again = (await http.get(f"/mj/account/{off[0]['id']}/fetch")).json()
    assert (again["status"], again["enable"], again["properties"]["disabledReason"]) == ("ENABLE", True, None)


# -- speed prefixes ---------------------------------------------------------------------------------


async def test_a_speed_prefix_sets_the_requested_mode_and_counts_as_the_plain_route() -> None:
    sim = quiet("trueai", ManualClock())
    async with client(sim) as http:
        task_id = (await imagine(http, path="/mj-relax/mj/submit/imagine"))["result"]
        task = (await http.get(f"/mj-turbo/mj/task/{task_id}/fetch")).json()
        assert (task["mode"], task["requestMode"]) == ("RELAX", "RELAX")
        assert (await http.get("/mj-relax/mj/admin/accounts")).status_code == 404  # only submit and task take one
    assert sim.requests["POST /mj/submit/imagine"] == 1 and sim.requests["GET /mj/task/{id}/fetch"] == 1
    async with client(quiet("original", ManualClock())) as http:
        assert (await http.post("/mj-relax/mj/submit/imagine", json={"prompt": "x"})).status_code == 404


# -- what a poll reads, and what it costs -----------------------------------------------------------


async def test_trueai_counters_come_only_with_the_post_table_and_tasks_filter_by_one_status() -> None:
    clock = ManualClock()
    sim = quiet("trueai", clock, core_size=1)
    async with client(sim) as http:
        for _ in range(2):
            await imagine(http)
        table = (await http.post("/mj/admin/accounts", json={"pagination": {"current": 1, "pageSize": 10}})).json()
        plain = (await http.get("/mj/admin/accounts")).json()
        assert [(a["runningCount"], a["queueCount"]) for a in table["list"]] == [(1, 1)]
        assert [(a["runningCount"], a["queueCount"]) for a in plain] == [(0, 0)]
        waiting = (await http.post("/mj/admin/tasks", json={"pagination": {"current": 1, "pageSize": 10},
                                                             "search": {"status": "NOT_START"}})).json()
    assert [t["status"] for t in waiting["list"]] == ["NOT_START"]
    assert waiting["pagination"]["total"] == 1 and waiting["extendData"]["total"] == 1


async def test_plus_task_query_pages_the_running_tasks_of_one_account() -> None:
    sim = ProxySimulator.build(flavor="plus", clock=ManualClock(), seed=5, warmup=120)
    account = next(a for a in sim.world.accounts.values() if a.running_count)
    async with client(sim) as http:
        page = (await http.post("/mj/task/query", json={
            "pageNumber": 0, "pageSize": 100, "instanceId": account.channel_id,
            "statusSet": ["NOT_START", "SUBMITTED", "MODAL", "IN_PROGRESS"]})).json()
    assert page["totalElements"] == account.running_count + account.queue_count
    assert {t["properties"]["discordInstanceId"] for t in page["content"]} == {account.channel_id}
    assert (page["number"], page["first"]) == (0, True)


async def test_original_queue_grouped_by_instance_gives_each_accounts_running_and_waiting_tasks() -> None:
    sim = ProxySimulator.build(flavor="original", clock=ManualClock(), seed=5, warmup=120)
    async with client(sim) as http:
        queue = (await http.get("/mj/task/queue")).json()
        accounts = (await http.get("/mj/account/list")).json()
    grouped: dict[str, int] = {}
    for task in queue:
        grouped[task["properties"]["discordInstanceId"]] = grouped.get(task["properties"]["discordInstanceId"], 0) + 1
    expected = {a.channel_id: a.running_count + a.queue_count for a in sim.world.accounts.values()
                if a.running_count + a.queue_count}
    assert grouped == expected and expected
    assert {a["id"] for a in accounts} == {a["channelId"] for a in accounts}


async def test_a_fifty_account_pool_is_polled_in_counted_requests() -> None:
    clock = ManualClock()
    sim = ProxySimulator.build(flavor="trueai", clock=clock, accounts=50, seed=11, warmup=60)
    assert len(sim.world.accounts) == 50
    async with client(sim) as http:
        clock.advance(10)
        sim.reset_requests()
        accounts = (await http.post("/mj/admin/accounts", json={"pagination": {"current": 1, "pageSize": 100}})).json()
        for status in ("NOT_START", "SUBMITTED", "IN_PROGRESS", "MODAL"):
            await http.post("/mj/admin/tasks", json={"pagination": {"current": 1, "pageSize": 100}, "search": {"status": status}})
    assert accounts["pagination"]["total"] == 50 and sum(a["runningCount"] for a in accounts["list"]) > 0
    assert sim.requests == {"POST /mj/admin/accounts": 1, "POST /mj/admin/tasks": 4}


async def test_fault_profiles_apply_to_the_gateway_routes() -> None:
    sim = ProxySimulator.build(flavor="plus", clock=ManualClock(), faults="rate_limit=1,retry_after=2")
    async with client(sim) as http:
        response = await http.get("/mj/task/list")
    assert (response.status_code, response.headers["retry-after"]) == (429, "2")


# -- mjtui sim --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["--protocol", "midjourney-proxy", "--imaginepro"], "--imaginepro is for --protocol useapi"),
    (["--protocol", "midjourney-proxy", "--channels", "4"], "--channels is for --protocol useapi"),
    (["--flavor", "plus"], "--flavor is for --protocol midjourney-proxy"),
])
def test_mjtui_sim_refuses_an_option_of_the_other_protocol_in_one_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["sim", "--port", "0", *args])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"mjtui: {message}"]


@pytest.mark.parametrize("args", [["--protocol", "grpc"], ["--protocol", "midjourney-proxy", "--flavor", "nope"],
                                  ["--protocol", "midjourney-proxy", "--accounts", "51"]])
def test_mjtui_sim_rejects_an_unknown_protocol_flavor_or_pool_size(args: list[str]) -> None:
    result = CliRunner().invoke(main, ["sim", "--port", "0", *args])
    assert result.exit_code == 2 and "Traceback" not in result.output
