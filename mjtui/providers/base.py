"""What every service mjtui speaks can do, behind one interface.

A front end (the dashboard, the CLI) holds a `Provider` per account and asks it what it can do
(`can(Capability.SEED)`) instead of asking which service it is. A call the service cannot make
raises `NotSupported`, naming the account, its provider and what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

import httpx

from mjtui.api.client import DEFAULT_TIMEOUT, BaseClient
from mjtui.api.errors import MjtuiError
from mjtui.api.models import Command, Job, MessageProgress
from mjtui.monitor.snapshot import Snapshot


class Waiting(Exception):  # noqa: N818 - not an error: nothing is wrong, there is only nothing to read yet
    """A poll read the journal before the process that polls the account published anything (see mjtui.lease): no
    news, and no failure either."""


class Capability(StrEnum):
    """Something a provider may be able to do; the value is how it is named to a user."""

    RUNNING_LIST = "running-jobs list"  # poll(): the jobs running on each channel, with the channel's limits
    JOB_DETAIL = "job endpoint"  # job(): one job's full record
    MODES = "relax / fast / turbo"  # command() with relax, fast or turbo
    INFO = "info"  # command("info")
    CANCEL = "cancel"
    SEED = "seed endpoint"
    RESET = "moderation reset"
    MESSAGES = "message progress"  # message(): what a command started, followed by its id
    TOGGLE = "account toggle"  # toggle(): make one of the service's linked accounts active or inactive
    PRESS = "buttons"  # press(): a job's button (U1, 🔄, Vary (Strong), ...), which starts a new job


class NotSupported(MjtuiError):
    """The account's provider has no such call: a usage problem, never sent."""


@dataclass(frozen=True)
class Polled:
    """One poll's answer: the snapshot every front end reads, and the answer as the API sent it, made on demand."""

    snapshot: Snapshot
    document: Callable[[], dict[str, Any]]  # for --json; building it for 1,200 jobs costs, so only when asked


@dataclass(frozen=True)
class Sent:
    """What a command's answer says: its text, or a message to follow for it, or the service's error."""

    content: str | None = None
    status: str | None = None
    error: str | None = None
    message_id: str | None = None
    document: dict[str, Any] | None = None  # the answer as the API sent it, for --json


class Provider:
    """One account on one service: the calls the front ends make, each typed, each optional.

    Subclasses set `kind` (the config's `provider` value) and `capabilities`, and implement the
    calls their capabilities promise; the rest raise NotSupported here.
    """

    kind: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    commands_need_a_channel: ClassVar[bool] = True  # relax / fast / turbo / info go to a channel, else to the account
    final_batch: ClassVar[int] = 1  # final states `finals()` asks for in one request; 1: a `job()` each
    cancel_outcome: ClassVar[str] = 'failed ("Job cancelled by user")'  # how a cancelled job reads afterwards
    min_poll_seconds: ClassVar[float] = 0.0  # the service's rate limit allows no more polls than one per this
    rate_limit: ClassVar[str] = ""  # the service's documented request limit, in words, said with its 429

    def __init__(self, account: str, client: BaseClient) -> None:
        self.account = account
        self.client = client

    @classmethod
    def open(cls, account: str, token: str, origin: str, *, timeout: float = DEFAULT_TIMEOUT,
             transport: httpx.AsyncBaseTransport | None = None, token_id: int | None = None,
             flavor: str | None = None) -> Provider:
        """The provider for `account`, with a client of its own for `origin` (`flavor`: a dialect, where there are several)."""
        raise NotImplementedError

    @property
    def identity(self) -> str:
        """Which account on which service this is, the same in every process, and no more of the token than its hint:
        two configs may name different accounts alike (see mjtui.lease)."""
        return f"{self.kind}:{self.client.identity}"

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def lacking(self, capability: Capability) -> NotSupported:
        return NotSupported(f"account '{self.account}' is {self.kind}, which has no {capability}")


    def command_target(self, channel: str | None) -> str | None:
        """What a command is sent to, as the audit log names it: the channel (or the account's own id)."""
        return channel

    async def poll(self, now: Callable[[], float], known_channels: Iterable[str] = ()) -> Polled:
        """The running jobs of every channel with their limits (`known_channels` shown even if idle), as of
        `now()` read when the answer came: an elapsed count is the server's at that moment, not at the asking."""
        raise self.lacking(Capability.RUNNING_LIST)

    async def survey(self, now: Callable[[], float], known_channels: Iterable[str] = ()) -> Polled:
        """A one-off look (the CLI's `jobs`): what `poll()` tells, with whatever a first poll alone cannot know."""
        return await self.poll(now, known_channels)

    async def job(self, job_id: str) -> Job:
        raise self.lacking(Capability.JOB_DETAIL)

    async def finals(self, job_ids: list[str]) -> dict[str, Job]:
        """The records of jobs that left the running list, by id (at most `final_batch` ids); an id missing from
        the answer is one the service does not know. Here, a `job()` each."""
        return {job_id: await self.job(job_id) for job_id in job_ids}

    async def command(self, cmd: Command, channel: str | None) -> Sent:
        raise self.lacking(Capability.INFO if cmd == "info" else Capability.MODES)

    async def cancel(self, job_id: str) -> None:
        raise self.lacking(Capability.CANCEL)

    async def seed(self, job_id: str) -> Job:
        """Ask for a completed job's seed: the job carrying it, or a started seed job to follow with `job()`."""
        raise self.lacking(Capability.SEED)

    async def reset(self, channel: str) -> None:
        raise self.lacking(Capability.RESET)

    async def press(self, job_id: str, button: str, prompt: str | None = None) -> Job:
        """Press one of a completed job's buttons (with `prompt`, where it takes one): the job it started, as the
        answer tells it (at least its id)."""
        raise self.lacking(Capability.PRESS)

    async def message(self, message_id: str) -> MessageProgress:
        raise self.lacking(Capability.MESSAGES)

    async def toggle(self, link: str, active: bool) -> str:
        """Make the linked account `link` active or inactive; a line saying what it is now."""
        raise self.lacking(Capability.TOGGLE)

    async def download(self, url: str) -> bytes:
        """A job's image (the token goes to the API's own origin only)."""
        return await self.client.download(url)

    async def aclose(self) -> None:
        await self.client.aclose()
