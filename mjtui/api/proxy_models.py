"""midjourney-proxy's objects (the midjourney-proxy notes in shared/api/): tasks, accounts, envelopes, and a task as a Job.

The gateway's camelCase names are kept, with every unknown field, so `dump()` is the gateway's own object
(less the Discord credentials an account record carries, which are masked). No network imports: the
journal reads stored tasks back through `job_from_record` without loading the client.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import Field, PrivateAttr, RootModel, ValidationError

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
# Credentials an account record may carry in full to an admin (trueai masks these same ones for anyone else, and
# its CAPTCHA links: whoever holds one can unlock the account): masked in everything mjtui shows or stores.
_ACCOUNT_SECRETS = ("userToken", "botToken", "cookie", "loginPassword", "login2fa", "loginAccount", "cfHashUrl", "cfUrl",
                    "permanentInvitationLink")


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

    @property
    def subscription(self) -> str | None:
        """/info's subscription line ("Pro (Active monthly, renews next on <t:...>)"), else the plan's name."""
        props = self.properties or {}
        for value in (props.get("Subscription"), self.displays.subscribe_plan if self.displays else None):
            if isinstance(value, str) and value.strip():
                return value
        return None

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
    def items(self) -> list[T]:
        return self.rows

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
    def items(self) -> list[T]:
        return self.content

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

    def extra_fields(self) -> list[tuple[str, str]]:
        """The task's fields and properties worth reading that the Job has no place for (as the gateway wrote them)."""
        document = self._document
        properties = document.get("properties")
        pairs = [(key, document.get(key)) for key in _TASK_FIELDS]
        if isinstance(properties, dict):
            pairs += [(key, properties.get(key)) for key in _TASK_PROPERTIES]
        return [(label, str(value)) for label, value in pairs if _worth_showing(label, value, self.prompt)]

    def dump_json(self) -> str:
        return json.dumps(self._document, ensure_ascii=False, separators=(",", ":"))


_TASK_FIELDS = ("mode", "promptEn", "useTime", "version", "botType")  # action, progress, description: said already
_TASK_PROPERTIES = ("finalPrompt", "finalZhPrompt", "messageHash", "messageId", "custom_id")


def _worth_showing(label: str, value: object, prompt: str | None) -> bool:
    """A scalar with something in it, and not the prompt said again."""
    if isinstance(value, bool) or not isinstance(value, str | int | float) or not str(value).strip():
        return False
    return not (label in ("finalPrompt", "promptEn") and str(value) == prompt)


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


class Rows(RootModel[list[T]], Generic[T]):
    """A bare JSON array of records."""
