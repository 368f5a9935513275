"""ImaginePro's DIY-plan answers (the ImaginePro notes in shared/api/, §5-§7), and readings of the display text in them.

A linked account's `info` is Midjourney's /info scraped into strings ("None", "0", "199.00/200.0 minutes
(99.50%)"): every value is read leniently (`count_of`, `fast_time`), a value that cannot be read is unknown
(None), never an error. The Discord token ImaginePro lists with each account is masked as it is read, and
remembered as a secret, so no output (not even --json) carries it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PrivateAttr, RootModel, field_validator

from mjtui import secrets
from mjtui.api.models import ApiModel, Attachment, Count, Job, JobStatus, MessageProgress, MessageStatus
from mjtui.text import mask_secret


def _text(value: Any) -> str | None:
    """Display text: a number is taken as its text, anything else but a string as unknown."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return value if isinstance(value, str) else None


def _whole(value: Any) -> Any:
    """A number sent as text ("12") or with a fraction (12.0) is still the number."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and math.isfinite(value):
        return round(value)
    return value


Text = Annotated[str | None, BeforeValidator(_text)]
Whole = Annotated[int | None, BeforeValidator(_whole)]


class LinkInfo(ApiModel):
    """A linked account's `info`: Midjourney's /info as display strings."""

    job_mode: Text = Field(None, alias="jobMode")
    running_jobs: Text = Field(None, alias="runningJobs")
    relaxed_usage: Text = Field(None, alias="relaxedUsage")
    subscription: Text = None
    lifetime_usage: Text = Field(None, alias="lifetimeUsage")
    queued_jobs_fast: Text = Field(None, alias="queuedJobsFast")
    visibility_mode: Text = Field(None, alias="visibilityMode")
    queued_jobs_relax: Text = Field(None, alias="queuedJobsRelax")
    fast_time_remaining: Text = Field(None, alias="fastTimeRemaining")


class LinkedAccount(ApiModel):
    """One linked Discord account (GET /api/v1/discord/tokens); `id` is the tokenId commands are sent with."""

    id: Whole = None
    token: str | None = None  # masked as it is read
    channel_id: Text = Field(None, alias="channelId")
    server_id: Text = Field(None, alias="serverId")
    is_active: bool | None = Field(None, alias="isActive")
    status: Text = None  # FAST, RELAX, VERIFYING, BANNED
    info: LinkInfo | None = None
    concurrency: Annotated[Count, BeforeValidator(_whole)] = None

    @field_validator("token", mode="before")
    @classmethod
    def _masked(cls, value: Any) -> Any:
        if isinstance(value, str) and value:
            secrets.remember(value)
            return mask_secret(value)
        return None if value is None else "(not text)"

    @field_validator("info", mode="before")
    @classmethod
    def _info_or_nothing(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None


class LinkedAccounts(RootModel[list[LinkedAccount]]):
    """An array of linked accounts; a single object (the by-id answer, documented as an array) is one of them."""

    @field_validator("root", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    def dump(self) -> list[dict[str, Any]]:
        return [account.dump() for account in self.root]


class ToggleRequest(ApiModel):
    """Body of PUT /api/v1/discord/token/{id}."""

    is_active: bool = Field(alias="isActive")


class HistoryImage(ApiModel):
    """One item of GET /api/v1/nova/images: `id` is the message id."""

    id: Text = None
    type: Text = None
    button: Text = None
    prompt: Text = None
    uri: Text = None
    created_at: Text = Field(None, alias="createdAt")


class Images(ApiModel):
    """GET /api/v1/nova/images: what was made in the last 24 hours."""

    images: list[HistoryImage] = Field(default_factory=list)


class MessageTrace(ApiModel):
    """GET /api/v1/message/trace/{messageId}: the linked account that ran a message."""

    message_id: Text = Field(None, alias="messageId")
    token_id: Whole = Field(None, alias="tokenId")
    discord_channel_id: Text = Field(None, alias="discordChannelId")
    token_status: Text = Field(None, alias="tokenStatus")


# -- the display text --------------------------------------------------------------------------------

_NONE_WORDS = frozenset({"none", "-", "—", "n/a", "no jobs", "nothing"})
_NUMBER = re.compile(r"\d[\d,]*")
_COUNTED = re.compile(r"(\d[\d,]*)\s+[a-z]+", re.IGNORECASE)  # "2 jobs"
_IDS = re.compile(r"[,;\s]+")


def count_of(text: str | None) -> int | None:
    """A count in /info's words: "None" is 0, "3" or "1,024" a number, "2 jobs" 2, a list of job ids their number."""
    if text is None:
        return None
    words = text.strip()
    if not words:
        return None
    if words.lower() in _NONE_WORDS:
        return 0
    if _NUMBER.fullmatch(words):
        return int(words.replace(",", ""))
    counted = _COUNTED.fullmatch(words)
    if counted:
        return int(counted.group(1).replace(",", ""))
    return len([part for part in _IDS.split(words) if part])


# -- a message as mjtui's Job ------------------------------------------------------------------------

_JOB_STATUS: dict[str, str] = {MessageStatus.QUEUED: JobStatus.CREATED, MessageStatus.PROCESSING: JobStatus.PROGRESS,
               MessageStatus.DONE: JobStatus.COMPLETED, MessageStatus.FAIL: JobStatus.FAILED}


class MessageJob(Job):
    """A message as mjtui's Job (what the inspector, the CLI and the journal read), dumping ImaginePro's own object."""

    _document: dict[str, Any] = PrivateAttr(default_factory=dict)

    def dump(self) -> dict[str, Any]:
        return self._document

    def dump_json(self) -> str:
        return json.dumps(self._document, ensure_ascii=False, separators=(",", ":"))


def job_of_message(message: MessageProgress, *, channel: str | None = None, verb: str | None = None) -> MessageJob:
    """The message as a Job: status in mjtui's words, progress in `content`, the image as an attachment, its parent."""
    status = _JOB_STATUS.get(message.status or "", message.status)
    content = None
    if status in (JobStatus.CREATED, JobStatus.PROGRESS):
        content = f"{message.prompt or ''} ({message.progress or 0}%)".strip()
    images = [url for url in (message.uri, message.original_url) if url]
    job = MessageJob(
        jobid=message.message_id, parentJobId=message.parent, verb=verb, status=status, prompt=message.prompt,
        created=message.created_at, updated=message.updated_at, buttons=list(message.buttons), channel=channel,
        content=content, error=message.error,
        attachments=[Attachment(url=url, filename=url.rsplit("/", 1)[-1].split("?")[0] or None) for url in images[:1]],
    )
    job._document = message.dump()
    return job
