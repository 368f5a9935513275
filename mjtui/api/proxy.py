"""midjourney-proxy gateways (trueai-org, litter-coder's plus, novicezk's original): the client.

The protocol is the midjourney-proxy notes (shared/api/ beside the repository); the objects are in `mjtui.api.proxy_models`. Three
dialects share `/mj/task/*`; each lists its accounts and running tasks its own way (`Dialect`). The token
goes in the `mj-api-secret` header, which every dialect reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from mjtui import secrets
from mjtui.api import errors
from mjtui.api.client import BaseClient, check_id, parse_model
from mjtui.api.models import ApiModel
from mjtui.api.proxy_models import (
    BOT_TYPE,
    MAX_PAGES,
    NOT_ADMIN_TEXTS,
    PAGE_SIZE,
    RUNNING_TASK_STATUSES,
    SEED_WAIT,
    Account,
    Dialect,
    Listing,
    Page,
    Result,
    Rows,
    SubmitResult,
    Table,
    Task,
)

T = TypeVar("T", bound=ApiModel)


class Missing(errors.NotFound):
    """An empty answer (200 or 204) where a record was asked for: the gateway has no such thing."""

    def _compose(self) -> str:
        return f"not found: {self.error}"


class QueueFull(errors.ApiError):
    """A submit answered code 23 (trueai: 9 "队列已满"): the account's queue is full; nothing was started."""

    def _compose(self) -> str:
        return f"the channel's queue is full, nothing started: {self.error}"


MODAL = 21  # a submit's code: a MODAL task was made, waiting for /mj/submit/modal (plus, trueai)
_QUEUE_FULL_TEXT = "队列已满"


class NoAccountViews(errors.ProtocolError):
    """The origin answers none of the three dialects' account routes (a one-api/new-api relay, or not a gateway)."""


class ProxyClient(BaseClient):
    """One midjourney-proxy gateway, as its admin sees it."""

    @staticmethod
    def _auth_headers(token: str) -> dict[str, str]:
        return {"mj-api-secret": token}  # trueai reads Authorization raw (no Bearer), so this header it is

    async def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return await super()._send(method, path, **kwargs)
        except errors.ApiError as exc:
            _not_admin(exc)
            raise

    # -- what every dialect has ---------------------------------------------------------------------

    async def task(self, task_id: str) -> Task:
        """GET /mj/task/{id}/fetch; an empty answer (200 or 204) is NotFound."""
        endpoint = "/mj/task/{id}/fetch"
        check_id(task_id, "task id", endpoint=f"GET {endpoint}")
        response = await self._send("GET", f"/mj/task/{task_id}/fetch", endpoint=endpoint)
        if not response.content.strip() or response.content.strip() == b"null":
            raise Missing(response.status_code, endpoint=f"GET {endpoint}",
                                  error=f"the gateway has no task {task_id}")
        return self._parse(Task, response.content, f"GET {endpoint}")

    async def tasks(self, task_ids: Iterable[str]) -> list[Task]:
        """POST /mj/task/list-by-condition: these tasks, in any order; ids the gateway does not know are left out."""
        ids = [check_id(task_id, "task id", endpoint="POST /mj/task/list-by-condition") for task_id in task_ids]
        return await self._list(Task, "POST", "/mj/task/list-by-condition", {"ids": ids})

    async def image_seed(self, task_id: str) -> SubmitResult:
        """GET /mj/task/{id}/image-seed (plus, trueai): the seed in `result`; the gateway may take 60 s to answer."""
        endpoint = "/mj/task/{id}/image-seed"
        check_id(task_id, "task id", endpoint=f"GET {endpoint}")
        response = await self._send("GET", f"/mj/task/{task_id}/image-seed", endpoint=endpoint, wait=SEED_WAIT)
        return _submitted(self._parse(SubmitResult, response.content, f"GET {endpoint}"), f"GET {endpoint}")

    async def cancel(self, task_id: str) -> None:
        """POST /mj/task/{id}/cancel (plus, trueai): trueai answers 200 empty, plus a SubmitResultVO."""
        endpoint = "/mj/task/{id}/cancel"
        check_id(task_id, "task id", endpoint=f"POST {endpoint}")
        try:
            response = await self._send("POST", f"/mj/task/{task_id}/cancel", endpoint=endpoint, content=b"{}")
        except errors.BadRequest as exc:
            if exc.error and "演示模式" in exc.error:  # trueai: only an admin may cancel
                raise errors.NeedsAdminToken(401, endpoint=exc.endpoint, error=exc.error) from None
            raise
        if response.content.strip():
            _submitted(self._parse(SubmitResult, response.content, f"POST {endpoint}"), f"POST {endpoint}")

    async def action(self, task_id: str, custom_id: str) -> SubmitResult:
        """POST /mj/submit/action (plus, trueai): press a task's button. Code 1 or 22: `result` is the new task;
        MODAL (21): a task waiting for `modal()`. Sent once."""
        return await self._submit("/mj/submit/action", {"taskId": task_id, "customId": custom_id}, waiting=True)

    async def modal(self, task_id: str, prompt: str | None) -> SubmitResult:
        """POST /mj/submit/modal: confirm a MODAL task with `prompt` (none: the gateway uses its parent's)."""
        return await self._submit("/mj/submit/modal", {"taskId": task_id, **({"prompt": prompt} if prompt else {})})

    async def _submit(self, path: str, body: dict[str, Any], *, waiting: bool = False) -> SubmitResult:
        """A submit's SubmitResultVO: a refusal is an ApiError with the gateway's code and text (QueueFull for a full
        queue); `waiting`: a MODAL answer is returned, not refused."""
        endpoint = f"POST {path}"
        response = await self._send("POST", path, content=_json(body))
        answer = self._parse(SubmitResult, response.content, endpoint)
        if waiting and answer.code == MODAL:
            return answer
        if answer.code == 23 or (answer.code == 9 and _QUEUE_FULL_TEXT in (answer.description or "")):
            raise QueueFull(response.status_code, endpoint=endpoint, error=f"code {answer.code}: {answer.description}")
        return _submitted(answer, endpoint)

    # -- detection ----------------------------------------------------------------------------------

    async def detect(self) -> Dialect:
        """Which dialect the gateway speaks, in one request for trueai, two for plus, three for the original."""
        try:
            await self._send("GET", "/mj/admin/accounts")
            return Dialect.TRUEAI
        except errors.ApiError as exc:
            if exc.status not in (404, 405):
                raise
        try:
            await self._send("POST", "/mj/account/query", content=_json({"pageNumber": 0, "pageSize": 1, "current": 1}),
                             idempotent=True)
            return Dialect.PLUS
        except errors.ApiError as exc:
            if exc.status not in (404, 405):
                raise
        try:
            await self._send("GET", "/mj/account/list")
        except errors.ApiError as exc:
            if exc.status not in (404, 405):
                raise
            raise NoAccountViews(
                "this origin answers none of midjourney-proxy's account routes (/mj/admin/accounts, /mj/account/query, "
                "/mj/account/list): a one-api/new-api relay has none; point base_url at the gateway itself",
                endpoint="GET /mj/account/list") from None
        return Dialect.ORIGINAL

    # -- one poll -----------------------------------------------------------------------------------

    async def listing(self, dialect: Dialect) -> Listing:
        """The pool's accounts and running tasks: 5 requests on trueai, 2 on plus and the original (more pages
        only past PAGE_SIZE of one)."""
        if dialect is Dialect.TRUEAI:
            accounts = await self._table(Account, "/mj/admin/accounts", {})
            tasks: list[Task] = []
            for status in RUNNING_TASK_STATUSES:
                tasks += await self._table(Task, "/mj/admin/tasks", {"status": status.value})
        elif dialect is Dialect.PLUS:
            accounts = await self._pages(Account, "/mj/account/query", {})
            tasks = await self._pages(Task, "/mj/task/query",
                                      {"sort": "id,desc", "statusSet": [status.value for status in RUNNING_TASK_STATUSES]})
        else:
            accounts = await self._list(Account, "GET", "/mj/account/list")
            tasks = await self._list(Task, "GET", "/mj/task/queue")
        return Listing(dialect=dialect.value, accounts=accounts, tasks=tasks)

    async def account(self, dialect: Dialect, account_id: str) -> Account:
        """One account afresh: trueai GET /mj/admin/account/{id}, plus and the original GET /mj/account/{id}/fetch."""
        check_id(account_id, "account id")
        if dialect is Dialect.TRUEAI:
            path, endpoint = f"/mj/admin/account/{account_id}", "/mj/admin/account/{id}"
        else:
            path, endpoint = f"/mj/account/{account_id}/fetch", "/mj/account/{id}/fetch"
        response = await self._send("GET", path, endpoint=endpoint)
        if not response.content.strip() or response.content.strip() == b"null":
            raise Missing(response.status_code, endpoint=f"GET {endpoint}", error="the gateway has no such account")
        return self._parse(Account, response.content, f"GET {endpoint}")

    # -- account actions (plus, trueai) ---------------------------------------------------------------

    async def press(self, dialect: Dialect, account_id: str, custom_id: str) -> dict[str, Any]:
        """Press one of the account's /settings buttons (Relax mode, Fast mode, ...); the answer as sent."""
        check_id(account_id, "account id")
        params = {"customId": custom_id, "botType": BOT_TYPE}
        if dialect is Dialect.TRUEAI:
            return await self._admin("POST", f"/mj/admin/account-action/{account_id}", "/mj/admin/account-action/{id}",
                                     params=params)
        return await self._plus("POST", f"/mj/account/{account_id}/action", "/mj/account/{id}/action", params=params)

    async def sync(self, dialect: Dialect, account_id: str) -> dict[str, Any]:
        """Run /info and /settings for the account (trueai account-sync, plus sync-info)."""
        check_id(account_id, "account id")
        if dialect is Dialect.TRUEAI:
            return await self._admin("POST", f"/mj/admin/account-sync/{account_id}", "/mj/admin/account-sync/{id}")
        return await self._plus("POST", f"/mj/account/{account_id}/sync-info", "/mj/account/{id}/sync-info")

    async def unlock(self, account_id: str) -> dict[str, Any]:
        """trueai: mark the account's CAPTCHA lock resolved (clears lock and disabledReason)."""
        check_id(account_id, "account id")
        return await self._admin("POST", f"/mj/admin/account-cf/{account_id}", "/mj/admin/account-cf/{id}")

    async def enable(self, account_ids: list[str]) -> dict[str, Any]:
        """trueai: enable these accounts."""
        return await self._admin("POST", "/mj/admin/accounts-enable", "/mj/admin/accounts-enable", body=account_ids)

    async def reconnect(self, account_id: str, record: dict[str, Any]) -> dict[str, Any]:
        """plus: PUT the account's record back with `enable: true`, re-enabling it after a ban or moderation."""
        check_id(account_id, "account id")
        return await self._plus("PUT", f"/mj/account/{account_id}/update-reconnect", "/mj/account/{id}/update-reconnect",
                                body={**record, "enable": True})

    # -- the envelopes ------------------------------------------------------------------------------

    async def _admin(self, method: str, path: str, endpoint: str, *, params: dict[str, str] | None = None,
                     body: Any = None) -> dict[str, Any]:
        """A trueai admin call answering `Result`: `success: false` is an ApiError with the gateway's message."""
        response = await self._send(method, path, endpoint=endpoint, params=params,
                                    content=_json(body if body is not None else {}))
        answer = self._parse(Result, response.content, f"{method} {endpoint}") if response.content.strip() else Result()
        if answer.success is False:
            raise errors.ApiError(response.status_code, endpoint=f"{method} {endpoint}", error=answer.message or "failed")
        return answer.dump()

    async def _plus(self, method: str, path: str, endpoint: str, *, params: dict[str, str] | None = None,
                    body: Any = None) -> dict[str, Any]:
        """A plus account call answering a SubmitResultVO (or nothing): a code other than success is an ApiError."""
        response = await self._send(method, path, endpoint=endpoint, params=params,
                                    content=_json(body if body is not None else {}))
        if not response.content.strip():
            return {}
        answer = self._parse(SubmitResult, response.content, f"{method} {endpoint}")
        if answer.code is not None:
            _submitted(answer, f"{method} {endpoint}")
        return answer.dump()

    async def _table(self, model: type[T], path: str, search: dict[str, Any]) -> list[T]:
        """trueai's table query, page by page (1-based)."""
        return await self._paged(Table[model], path, lambda number: {  # type: ignore[valid-type]
            "pagination": {"current": number + 1, "pageSize": PAGE_SIZE}, "sort": {"predicate": "", "reverse": False},
            "search": search})

    async def _pages(self, model: type[T], path: str, filters: dict[str, Any]) -> list[T]:
        """plus's Spring query, page by page (0-based; its admin UI sends `current` too)."""
        return await self._paged(Page[model], path, lambda number: {  # type: ignore[valid-type]
            "pageNumber": number, "current": number + 1, "pageSize": PAGE_SIZE, **filters})

    async def _paged(self, envelope: type[Table[T] | Page[T]], path: str, request: Callable[[int], dict[str, Any]]) -> list[T]:
        """Every row of a paged POST query, at most MAX_PAGES pages: a page is asked for only when the last was full."""
        rows: list[T] = []
        for number in range(MAX_PAGES):
            response = await self._send("POST", path, content=_json(request(number)), idempotent=True)
            page = self._parse(envelope, response.content, f"POST {path}")
            rows += page.items
            if not page.more:
                break
        return rows

    async def _list(self, model: type[T], method: str, path: str, body: Any = None) -> list[T]:
        """A bare array of records; a POST here only reads (list-by-condition), so it is retried as a GET is."""
        response = await self._send(method, path, content=None if body is None else _json(body), idempotent=True)
        return self._parse(Rows[model], response.content, f"{method} {path}").root  # type: ignore[valid-type]

    @staticmethod
    def _parse(model: type[Any], raw: bytes, endpoint: str) -> Any:
        return parse_model(model, secrets.redact_json_bytes(raw), endpoint=endpoint)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _not_admin(exc: errors.ApiError) -> None:
    """Raise NeedsAdminToken for trueai's answer to a non-admin token on an admin route."""
    if exc.status == 401 and exc.error and any(text in exc.error for text in NOT_ADMIN_TEXTS):
        raise errors.NeedsAdminToken(exc.status, endpoint=exc.endpoint, error=exc.error) from None


def _submitted(answer: SubmitResult, endpoint: str) -> SubmitResult:
    if not answer.ok:
        raise errors.ApiError(200, endpoint=endpoint, error=f"code {answer.code}: {answer.description or 'failed'}")
    return answer

