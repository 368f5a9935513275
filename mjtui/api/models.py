"""Pydantic models of every documented request and answer.

Field names are the API's own (documented in ../shared/api/); Python names are
snake_case with the API name as alias, and `dump()` gives the API's JSON back.
Every documented field is optional, as the documents say. Unknown fields are
kept (``extra="allow"``) and survive a round trip. Enumerated values (status,
verb, button labels, job type) are plain strings so a value the documents do
not list is kept rather than rejected; the StrEnums below name the known ones.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from mjtui.clock import parse_iso


class JobStatus(StrEnum):
    CREATED = "created"
    STARTED = "started"
    PROGRESS = "progress"
    COMPLETED = "completed"
    FAILED = "failed"
    MODERATED = "moderated"
    CANCELLED = "cancelled"


RUNNING_STATUSES = frozenset({JobStatus.CREATED, JobStatus.STARTED, JobStatus.PROGRESS})
FINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.MODERATED, JobStatus.CANCELLED})
CANCELLED_ERROR = "job cancelled by user"  # a cancelled job's error, lower-cased (public docs: "Job cancelled by user")

Command = Literal["relax", "fast", "turbo", "info"]
COMMANDS: tuple[Command, ...] = ("relax", "fast", "turbo", "info")


class ApiModel(BaseModel):
    """Base of every model: lenient about extras, faithful on the way out."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False, defer_build=True)

    def dump(self) -> dict[str, Any]:
        """The object as the API would send it: API field names, unknown fields kept, unset fields left out."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")

    def dump_json(self) -> str:
        """`dump()` as compact JSON text, non-ASCII kept, written by pydantic in one step (half the time of
        json.dumps(dump()))."""
        return self.model_dump_json(by_alias=True, exclude_unset=True)


# --- GET /v3/midjourney/jobs -------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _clock_seconds(text: str) -> int | None:
    """"mm:ss" or "h:mm:ss" in seconds, None when unreadable. Cached (for clock-sized text only): a
    poll lists 1,200 jobs, and their clocks take a few thousand values at most."""
    try:
        parts = [int(part) for part in text.split(":")]
    except ValueError:
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


class RunningJob(ApiModel):
    job_id: str | None = Field(None, alias="jobId")
    channel: str | None = None
    job_type: str | None = Field(None, alias="jobType")  # 'image' | 'video'
    created: str | None = None
    elapsed: str | None = None  # "mm:ss"

    @property
    def elapsed_seconds(self) -> int | None:
        """`elapsed` ("mm:ss", or "h:mm:ss") in seconds, or None when absent or unreadable."""
        if not self.elapsed:
            return None
        return _clock_seconds(self.elapsed) if len(self.elapsed) <= 12 else _clock_seconds.__wrapped__(self.elapsed)


def _count(value: int | None) -> int | None:
    return value if value is None or value >= 0 else None


# A count or a limit: a negative one is nonsense from the service, shown as unknown rather than as "-3/-5 FULL".
Count = Annotated[int | None, AfterValidator(_count)]


class ChannelJobs(ApiModel):
    total: Count = None
    images: Count = None
    videos: Count = None
    max_jobs: Count = Field(None, alias="maxJobs")
    max_image_jobs: Count = Field(None, alias="maxImageJobs")
    max_video_jobs: Count = Field(None, alias="maxVideoJobs")
    jobs: list[RunningJob] = Field(default_factory=list)


class RunningJobs(ApiModel):
    total: Count = None
    images: Count = None
    videos: Count = None
    channels: dict[str, ChannelJobs] = Field(default_factory=dict)


# --- GET /v2/jobs/?jobid= and the job-shaped answers of relax/fast/turbo/info/seed_async ---------


class Attachment(ApiModel):
    id: str | None = None
    content_type: str | None = None
    filename: str | None = None
    url: str | None = None
    proxy_url: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    placeholder_version: int | None = None
    placeholder: str | None = None


class EmbedImage(ApiModel):
    url: str | None = None
    proxy_url: str | None = None
    width: int | None = None
    height: int | None = None


class Embed(ApiModel):
    type: str | None = None
    description: str | None = None
    image: EmbedImage | None = None


class Seed(ApiModel):
    value: int | None = None
    content: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)


class Child(ApiModel):
    message_id: str | None = Field(None, alias="messageId")
    button: str | None = None
    jobid: str | None = None


class Job(ApiModel):
    """A v2 job record: every verb's answer has this shape."""

    jobid: str | None = None
    parent_job_id: str | None = Field(None, alias="parentJobId")
    verb: str | None = None
    status: str | None = None
    seed: Seed | None = None
    created: str | None = None
    updated: str | None = None
    prompt: str | None = None
    blend_urls: list[str] | None = Field(None, alias="blendUrls")
    blend_dimensions: str | None = Field(None, alias="blendDimensions")
    describe_url: str | None = Field(None, alias="describeUrl")
    button: str | None = None
    children: list[Child] = Field(default_factory=list)
    buttons: list[str] = Field(default_factory=list)
    discord: str | None = None
    channel: str | None = None
    server: str | None = None
    max_jobs: Count = Field(None, alias="maxJobs")
    message_id: str | None = Field(None, alias="messageId")
    content: str | None = None
    timestamp: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    embeds: list[Embed] = Field(default_factory=list)
    error: str | None = None
    error_details: str | None = Field(None, alias="errorDetails")
    reply_url: str | None = Field(None, alias="replyUrl")
    reply_ref: str | None = Field(None, alias="replyRef")
    executing_jobs: list[str] | None = Field(None, alias="executingJobs")
    code: int | None = None

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def outcome(self) -> str | None:
        """The status as a user names it: useapi reports a cancel as failed with "Job cancelled by user"."""
        if self.status == JobStatus.FAILED and (self.error or "").strip().lower() == CANCELLED_ERROR:
            return JobStatus.CANCELLED
        return self.status

    @property
    def has_seed(self) -> bool:
        return self.seed is not None and self.seed.value is not None

    @property
    def progress(self) -> int | None:
        """The percentage Midjourney reports in `content`, e.g. "(46%)", when there is one."""
        return progress_from_content(self.content)

    @property
    def created_at(self) -> datetime | None:
        return parse_iso(self.created)

    @property
    def updated_at(self) -> datetime | None:
        return parse_iso(self.updated)

    def extra_fields(self) -> list[tuple[str, str]]:
        """(label, value) of what only some services tell about a job, for the inspector; none here."""
        return []


_PERCENT = re.compile(r"\((\d{1,3})%\)", re.ASCII)


def progress_from_content(content: str | None) -> int | None:
    """The last "(NN%)" in a Midjourney message, or None."""
    found = _PERCENT.findall(content or "")
    value = int(found[-1]) if found else None
    return value if value is not None and value <= 100 else None


# --- request bodies ------------------------------------------------------------------------------


class CommandRequest(ApiModel):
    """Body of POST /v2/jobs/relax (and fast, turbo, info)."""

    channel: str | None = None
    reply_url: str | None = Field(None, alias="replyUrl")
    reply_ref: str | None = Field(None, alias="replyRef")


class SeedRequest(ApiModel):
    """Body of POST /v2/jobs/seed_async."""

    jobid: str
    discord: str | None = None
    reply_url: str | None = Field(None, alias="replyUrl")
    reply_ref: str | None = Field(None, alias="replyRef")


class ButtonRequest(ApiModel):
    """Body of POST /v2/jobs/button: `prompt` is required for Custom Zoom, taken by others with Remix on."""

    jobid: str
    button: str
    prompt: str | None = None


class ErrorBody(ApiModel):
    """The JSON body of a non-2xx answer: `error`, often `errorDetails` and `code`, sometimes a whole job."""

    error: str | None = None
    error_details: str | None = Field(None, alias="errorDetails")
    code: int | None = None
    channel: str | None = None
    jobid: str | None = None


# --- ImaginePro ----------------------------------------------------------------------------------


class NovaCommandRequest(ApiModel):
    """Body of POST /api/v1/nova/commands."""

    cmd: str | None = None
    token_id: int = Field(alias="tokenId")
    ref: str | None = None
    webhook_override: str | None = Field(None, alias="webhookOverride")


class NovaButtonRequest(ApiModel):
    """Body of POST /api/v1/nova/button (cancel is the button "Cancel Job")."""

    message_id: str = Field(alias="messageId")
    button: str
    prompt: str | None = None  # the Inpainting page's optional prompt
    ref: str | None = None
    webhook_override: str | None = Field(None, alias="webhookOverride")


class NovaCommandResponse(ApiModel):
    success: bool | None = None
    message_id: str | None = Field(None, alias="messageId")
    created_at: str | None = Field(None, alias="createdAt")
    error: str | None = None


class MessageStatus(StrEnum):
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    DONE = "DONE"
    FAIL = "FAIL"


def _percent(value: Any) -> Any:
    """`progress` is a number in the example and a string in the schema: "46", 46 and 46.0 are all 46."""
    if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
        value = float(value)
    if isinstance(value, float):
        return round(value) if 0 <= value <= 100 else None
    return value


class MessageProgress(ApiModel):
    """GET /api/v1/message/fetch/{messageId}."""

    message_id: str | None = Field(None, alias="messageId")
    prompt: str | None = None
    status: str | None = None
    progress: Annotated[int | None, BeforeValidator(_percent)] = None
    uri: str | None = None
    original_url: str | None = Field(None, alias="originalUrl")
    buttons: list[str] = Field(default_factory=list)
    originating_message_id: str | None = Field(None, alias="originatingMessageId")
    original_message_id: str | None = Field(None, alias="originalMessageId")  # the current schema's name for it
    created_at: str | None = Field(None, alias="createdAt")
    updated_at: str | None = Field(None, alias="updatedAt")
    ref: str | None = None
    error: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in (MessageStatus.DONE, MessageStatus.FAIL)

    @property
    def parent(self) -> str | None:
        """The message this one came from (a button's), under either documented name."""
        return self.originating_message_id or self.original_message_id
