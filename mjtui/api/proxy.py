"""midjourney-proxy gateways (trueai-org, litter-coder's plus, novicezk's original): models and client.

The protocol is ../shared/api/midjourney-proxy.md. Three dialects share `/mj/task/*`; each lists its
accounts and running tasks its own way (`Dialect`). Models keep the gateway's camelCase names and every
unknown field, so `dump()` is the gateway's own object (less the Discord credentials an account record
carries, which are masked). The token goes in the `mj-api-secret` header, which every dialect reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import Field, PrivateAttr, RootModel, ValidationError

from mjtui import secrets
from mjtui.api import errors
from mjtui.api.client import BaseClient, check_id, parse_model
from mjtui.api.models import ApiModel, Attachment, Job, JobStatus, Seed
from mjtui.clock import iso_utc
from mjtui.text import mask_secret

T = TypeVar("T", bound=ApiModel)

PAGE_SIZE = 100  # trueai caps a table page at 100
MAX_PAGES = 10  # a poll reads at most this many pages of one list: 1,000 accounts or running tasks
SEED_WAIT = 75.0  # seconds: trueai asks Discord and polls up to 60 s before it answers image-seed
BOT_TYPE = "MID_JOURNEY"


class Dialect(StrEnum):
    TRUEAI = "trueai"
    PLUS = "plus"
    ORIGINAL = "original"


class TaskStatus(StrEnum):
    NOT_START = "NOT_START"
    SUBMITTED = "SUBMITTED"
    IN_PROGRESS = "IN_PROGRESS"
    MODAL = "MODAL"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCEL = "CANCEL"


RUNNING_TASK_STATUSES = (TaskStatus.NOT_START, TaskStatus.SUBMITTED, TaskStatus.IN_PROGRESS, TaskStatus.MODAL)
CANCELLED_REASONS = frozenset({"取消任务", "删除任务"})  # trueai cancels (and deletes) as FAILURE with this reason
NOT_ADMIN_TEXTS = ("账号无权限", "Forbidden: User is not admin.")
# Credentials an account record may carry in full to an admin: masked in everything mjtui shows or stores.
_ACCOUNT_SECRETS = ("userToken", "botToken", "cookie", "loginPassword", "login2fa", "loginAccount", "cfHashUrl",
                    "permanentInvitationLink")


class NeedsAdminToken(errors.Unauthorized):
    """trueai's account views (/mj/admin/*) and its cancel answer only an admin token."""

    def _compose(self) -> str:
        return (f"{super()._compose()}: this token is not an admin token, and the gateway's account views need one "
                f"(trueai's AdminToken, or a user with the ADMIN role)")


class NoAccountViews(errors.ProtocolError):
    """The origin answers none of the three dialects' account routes (a one-api/new-api relay, or not a gateway)."""


def _ms_iso(value: int | None) -> str | None:
    """A gateway's epoch milliseconds as the ISO text the rest of mjtui reads."""
    if not isinstance(value, int) or value <= 0:
        return None
    try:
        return iso_utc(value / 1000)
    except (OverflowError, OSError, ValueError):
        return None


class Button(ApiModel):
    custom_id: str | None = Field(None, alias="customId")
    emoji: str | None = None
    label: str | None = None
    type: int | None = None
    style: int | None = None  # 3: green, a setting that is on

    @property
    def text(self) -> str:
        return self.label or self.emoji or self.custom_id or "?"


class ImageUrl(ApiModel):
    url: str | None = None
    thumbnail: str | None = None


class Task(ApiModel):
    """A task as every dialect sends it (§3); the trueai-only fields are optional like the rest."""

    id: str | None = None
    action: str | None = None
    status: str | None = None
    prompt: str | None = None
    prompt_en: str | None = Field(None, alias="promptEn")
    description: str | None = None
    state: str | None = None
    submit_time: int | None = Field(None, alias="submitTime")
    start_time: int | None = Field(None, alias="startTime")
    finish_time: int | None = Field(None, alias="finishTime")
    progress: str | None = None
    image_url: str | None = Field(None, alias="imageUrl")
    image_urls: list[ImageUrl] | None = Field(None, alias="imageUrls")
    fail_reason: str | None = Field(None, alias="failReason")
    properties: dict[str, Any] | None = None
    buttons: list[Button] | None = None
    parent_id: str | None = Field(None, alias="parentId")
    instance_id: str | None = Field(None, alias="instanceId")
    mode: str | None = None
    seed: str | int | None = None

    @property
    def channel(self) -> str | None:
        """The Discord channel (account) that runs it."""
        props = self.properties or {}
        for value in (props.get("discordInstanceId"), self.instance_id, props.get("discordChannelId")):
            if isinstance(value, str | int) and str(value):
                return str(value)
        return None

    @property
    def percent(self) -> int | None:
        """`progress` ("46%") as a number, None when absent or not one."""
        text = (self.progress or "").strip().rstrip("%")
        return int(text) if text.isdigit() and int(text) <= 100 else None

    @property
    def cancelled(self) -> bool:
        return self.status == TaskStatus.CANCEL or (self.status == TaskStatus.FAILURE and self.fail_reason in CANCELLED_REASONS)

    @property
    def seed_value(self) -> int | None:
        for value in (self.seed, (self.properties or {}).get("imageSeed")):
            if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                return int(value)
        return None


class Displays(ApiModel):
    mode: str | None = None
    niji_mode: str | None = Field(None, alias="nijiMode")
    subscribe_plan: str | None = Field(None, alias="subscribePlan")


class Account(ApiModel):
    """A Discord account of the pool (§6): its channel, limits, counters, mode and health."""

    id: str | None = None
    channel_id: str | None = Field(None, alias="channelId")
    name: str | None = None
    remark: str | None = None
    enable: bool | None = None
    status: str | None = None  # plus: ENABLE | DISABLED | LISTEN_ONLY
    lock: bool | None = None
    disabled_reason: str | None = Field(None, alias="disabledReason")
    running: bool | None = None  # trueai: the instance is connected
    core_size: int | None = Field(None, alias="coreSize")
    queue_size: int | None = Field(None, alias="queueSize")
    relax_core_size: int | None = Field(None, alias="relaxCoreSize")
    relax_queue_size: int | None = Field(None, alias="relaxQueueSize")
    running_count: int | None = Field(None, alias="runningCount")
    queue_count: int | None = Field(None, alias="queueCount")
    mode: str | None = None
    fast_time_remaining: str | None = Field(None, alias="fastTimeRemaining")
    displays: Displays | None = None
    buttons: list[Button] | None = None
    properties: dict[str, Any] | None = None

    @property
    def channel(self) -> str | None:
        return self.channel_id or self.id

    @property
    def label(self) -> str | None:
        """The name the operator gave it (`remark`, plus's `name`); a value the gateway masked is no name."""
        for value in (self.remark, self.name):
            if value and value.strip("*"):
                return value
        return None

    @property
    def reason(self) -> str | None:
        props = self.properties or {}
        reason = self.disabled_reason or props.get("disabledReason")
        return reason if isinstance(reason, str) and reason else None

    @property
    def job_mode(self) -> str | None:
        """relax / fast / turbo as the account reports it (a forced mode first, then /info's)."""
        props = self.properties or {}
        for value in (self.mode, self.displays.mode if self.displays else None, props.get("Job Mode")):
            if isinstance(value, str) and value.strip():
                return _mode_word(value)
        return None

    @property
    def fast_left(self) -> str | None:
        props = self.properties or {}
        value = self.fast_time_remaining or props.get("Fast Time Remaining")
        return value if isinstance(value, str) and value.strip() else None

    def button(self, word: str) -> Button | None:
        """The /settings button whose label names `word` ("relax" finds "Relax mode")."""
        for button in self.buttons or []:
            if word in (button.label or "").lower() and button.custom_id:
                return button
        return None

    def dump(self) -> dict[str, Any]:
        """The gateway's record with the Discord account's credentials masked (`abc…xyz`)."""
        document = super().dump()
        for key in _ACCOUNT_SECRETS:
            if isinstance(document.get(key), str) and document[key].strip("*"):
                document[key] = mask_secret(document[key])
        return document


def _mode_word(text: str) -> str:
    lowered = text.lower()
    for word in ("relax", "turbo", "fast"):
        if word in lowered:
            return word
    return text.strip()


class Pagination(ApiModel):
    current: int | None = None
    page_size: int | None = Field(None, alias="pageSize")
    total: int | None = None


class Table(ApiModel, Generic[T]):
    """trueai's StandardTableResult (§2.4)."""

    rows: list[T] = Field(default_factory=list, alias="list")
    pagination: Pagination | None = None

    @property
    def more(self) -> bool:
        total = self.pagination.total if self.pagination else None
        current = (self.pagination.current if self.pagination else None) or 1
        return total is not None and current * PAGE_SIZE < total and len(self.rows) >= PAGE_SIZE


class Page(ApiModel, Generic[T]):
    """plus's Spring Data page (§2.5)."""

    content: list[T] = Field(default_factory=list)
    total_elements: int | None = Field(None, alias="totalElements")
    last: bool | None = None
    number: int | None = None

    @property
    def more(self) -> bool:
        if self.last is not None:
            return not self.last
        return self.total_elements is not None and ((self.number or 0) + 1) * PAGE_SIZE < self.total_elements


class SubmitResult(ApiModel):
    """SubmitResultVO (§2.1): every submit, image-seed, plus's cancel and account actions."""

    code: int | None = None
    description: str | None = None
    result: Any = None
    properties: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.code in (1, 22)  # 22: accepted, queued


class Result(ApiModel):
    """trueai's admin envelope (§2.3)."""

    success: bool | None = None
    code: int | None = None
    message: str | None = None
    data: Any = None


class Listing(ApiModel):
    """What one poll read: the pool's accounts and its running tasks (the `jobs --json` document)."""

    dialect: str
    accounts: list[Account] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)

    def dump(self) -> dict[str, Any]:
        return {"dialect": self.dialect, "accounts": [account.dump() for account in self.accounts],
                "tasks": [task.dump() for task in self.tasks]}


class ProxyJob(Job):
    """A task as mjtui's Job (what the inspector, the CLI and the journal read), dumping the gateway's own object."""

    _document: dict[str, Any] = PrivateAttr(default_factory=dict)

    def dump(self) -> dict[str, Any]:
        return self._document

    def dump_json(self) -> str:
        return json.dumps(self._document, ensure_ascii=False, separators=(",", ":"))


_JOB_STATUS: dict[str, str] = {
    TaskStatus.NOT_START: JobStatus.CREATED, TaskStatus.SUBMITTED: JobStatus.STARTED, TaskStatus.MODAL: JobStatus.STARTED,
    TaskStatus.IN_PROGRESS: JobStatus.PROGRESS, TaskStatus.SUCCESS: JobStatus.COMPLETED,
    TaskStatus.FAILURE: JobStatus.FAILED, TaskStatus.CANCEL: JobStatus.CANCELLED,
}


def job_of(task: Task, document: dict[str, Any] | None = None) -> ProxyJob:
    """The task as a Job: status in mjtui's words, progress in `content`, images as attachments, the seed."""
    status: str | None = JobStatus.CANCELLED if task.cancelled else _JOB_STATUS.get(task.status or "", task.status)
    content = task.description or task.prompt
    if task.percent is not None and status in (JobStatus.STARTED, JobStatus.PROGRESS):
        content = f"{content or ''} ({task.percent}%)".strip()
    urls = [task.image_url, *(image.url for image in task.image_urls or [])]
    seed = task.seed_value
    job = ProxyJob(
        jobid=task.id, parent_job_id=task.parent_id, verb=(task.action or "").lower() or None, status=status,
        prompt=task.prompt, channel=task.channel, created=_ms_iso(task.submit_time),
        updated=_ms_iso(task.finish_time or task.start_time), content=content,
        buttons=[button.text for button in task.buttons or []],
        attachments=[Attachment(url=url, filename=url.rsplit("/", 1)[-1].split("?")[0]) for url in urls if url],
        seed=Seed(value=seed) if seed is not None else None,
        error=None if task.cancelled else task.fail_reason,
        error_details=task.fail_reason if task.cancelled else None,
    )
    job._document = document if document is not None else task.dump()
    return job


def job_from_record(record: dict[str, Any]) -> Job:
    """A stored final record as a Job: a gateway task (an `id`, no `jobid`) is mapped, any other read as a Job."""
    if "jobid" not in record and isinstance(record.get("id"), str) and "status" in record:
        try:
            return job_of(Task.model_validate(record), record)
        except ValidationError:
            pass
    return Job.model_validate(record)


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
            raise errors.NotFound(response.status_code, endpoint=f"GET {endpoint}",
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
                raise NeedsAdminToken(401, endpoint=exc.endpoint, error=exc.error) from None
            raise
        if response.content.strip():
            _submitted(self._parse(SubmitResult, response.content, f"POST {endpoint}"), f"POST {endpoint}")

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
            await self._send("POST", "/mj/account/query", content=_json({"pageNumber": 0, "pageSize": 1, "current": 1}))
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
            raise errors.NotFound(response.status_code, endpoint=f"GET {endpoint}", error="the gateway has no such account")
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
        rows: list[T] = []
        for page in range(1, MAX_PAGES + 1):
            body = {"pagination": {"current": page, "pageSize": PAGE_SIZE}, "sort": {"predicate": "", "reverse": False},
                    "search": search}
            response = await self._send("POST", path, content=_json(body))
            table = self._parse(Table[model], response.content, f"POST {path}")  # type: ignore[valid-type]
            rows += table.rows
            if not table.more:
                break
        return rows

    async def _pages(self, model: type[T], path: str, filters: dict[str, Any]) -> list[T]:
        rows: list[T] = []
        for number in range(MAX_PAGES):
            body = {"pageNumber": number, "current": number + 1, "pageSize": PAGE_SIZE, **filters}
            response = await self._send("POST", path, content=_json(body))
            page = self._parse(Page[model], response.content, f"POST {path}")  # type: ignore[valid-type]
            rows += page.content
            if not page.more:
                break
        return rows

    async def _list(self, model: type[T], method: str, path: str, body: Any = None) -> list[T]:
        response = await self._send(method, path, content=None if body is None else _json(body))
        return self._parse(_Rows[model], response.content, f"{method} {path}").root  # type: ignore[valid-type]

    @staticmethod
    def _parse(model: type[Any], raw: bytes, endpoint: str) -> Any:
        return parse_model(model, secrets.redact_json_bytes(raw), endpoint=endpoint)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _not_admin(exc: errors.ApiError) -> None:
    """Raise NeedsAdminToken for trueai's answer to a non-admin token on an admin route."""
    if exc.status == 401 and exc.error and any(text in exc.error for text in NOT_ADMIN_TEXTS):
        raise NeedsAdminToken(exc.status, endpoint=exc.endpoint, error=exc.error) from None


def _submitted(answer: SubmitResult, endpoint: str) -> SubmitResult:
    if not answer.ok:
        raise errors.ApiError(200, endpoint=endpoint, error=f"code {answer.code}: {answer.description or 'failed'}")
    return answer


class _Rows(RootModel[list[T]], Generic[T]):
    """A bare JSON array of records."""
