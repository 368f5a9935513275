"""midjourney-proxy gateways: a pool of Discord accounts, each a channel, behind one self-hosted origin.

The dialect (trueai, plus, original) is the config's `flavor`, else detected once, at the first call that
needs it. What the original lacks (cancel, seed, modes, info, reset) it cannot do: `can()` says so once the
dialect is known. A poll costs one accounts request and the dialect's running-task queries (5 on trueai, 2
elsewhere), whatever the pool's size; the final states of the tasks that left come in one request.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import ClassVar

import httpx

from mjtui.api import errors
from mjtui.api.client import DEFAULT_TIMEOUT
from mjtui.api.models import Command, Job, JobStatus, Seed
from mjtui.api.proxy import MODAL, Missing, ProxyClient
from mjtui.api.proxy_models import Account, Dialect, Listing, ProxyJob, Task, TaskStatus, job_of
from mjtui.clock import iso_utc
from mjtui.monitor.account_info import subscription_parts
from mjtui.monitor.snapshot import EMPTY_STATS, Availability, ChannelInfo, ChannelStats, JobRow, RunState, Snapshot
from mjtui.providers.base import Capability, NotSupported, Polled, Provider, Sent

EVERYTHING = frozenset({
    Capability.RUNNING_LIST, Capability.JOB_DETAIL, Capability.MODES, Capability.INFO, Capability.CANCEL,
    Capability.SEED, Capability.RESET, Capability.PRESS,
})
CAPABILITIES: dict[Dialect, frozenset[Capability]] = {
    Dialect.TRUEAI: EVERYTHING,
    Dialect.PLUS: EVERYTHING,
    Dialect.ORIGINAL: frozenset({Capability.RUNNING_LIST, Capability.JOB_DETAIL}),
}
FINAL_BATCH = 100  # ids asked for in one list-by-condition (new-api relays take 1,000)
_RUN_STATES: dict[str, RunState] = {TaskStatus.NOT_START: RunState.QUEUED, TaskStatus.SUBMITTED: RunState.SUBMITTED,
               TaskStatus.IN_PROGRESS: RunState.IN_PROGRESS, TaskStatus.MODAL: RunState.MODAL}
_VIDEO_ACTIONS = frozenset({"VIDEO", "VIDEO_EXTEND", "SWAP_VIDEO_FACE"})
_BUSY = frozenset({RunState.SUBMITTED, RunState.IN_PROGRESS})  # what takes one of the account's slots
_RECONNECT_FIELDS = ("coreSize", "queueSize", "timeoutMinutes", "remark", "remixAutoSubmit", "mjBotChannelId",
                     "nijiBotChannelId", "userAgent", "userToken")  # plus's update-reconnect body


class MidjourneyProxy(Provider):
    kind = "midjourney-proxy"
    capabilities: ClassVar[frozenset[Capability]] = EVERYTHING  # before the dialect is known; see `can`
    final_batch = FINAL_BATCH
    cancel_outcome = "cancelled"  # trueai's FAILURE "取消任务" and plus's CANCEL both read as cancelled
    client: ProxyClient

    def __init__(self, account: str, client: ProxyClient, flavor: str | None = None) -> None:
        super().__init__(account, client)
        self.dialect: Dialect | None = Dialect(flavor) if flavor else None
        self._accounts: dict[str, Account] = {}  # channel id -> its account, as the last poll saw it

    @classmethod
    def open(cls, account: str, token: str, origin: str, *, timeout: float = DEFAULT_TIMEOUT,
             transport: httpx.AsyncBaseTransport | None = None, token_id: int | None = None,
             flavor: str | None = None) -> MidjourneyProxy:
        return cls(account, ProxyClient(token, origin, timeout=timeout, transport=transport), flavor)

    def can(self, capability: Capability) -> bool:
        return capability in (self.capabilities if self.dialect is None else CAPABILITIES[self.dialect])

    def lacking(self, capability: Capability) -> NotSupported:
        dialect = f" ({self.dialect} dialect)" if self.dialect else ""
        return NotSupported(f"account '{self.account}' is {self.kind}{dialect}, which has no {capability}")

    async def detect(self) -> Dialect:
        """The gateway's dialect: the config's flavor, else asked once."""
        if self.dialect is None:
            self.dialect = await self.client.detect()
        return self.dialect

    async def _able(self, capability: Capability) -> Dialect:
        dialect = await self.detect()
        if not self.can(capability):
            raise self.lacking(capability)
        return dialect

    # -- reading ------------------------------------------------------------------------------------

    async def poll(self, now: Callable[[], float], known_channels: Iterable[str] = ()) -> Polled:
        listing = await self.client.listing(await self.detect())
        self._accounts = {account.channel: account for account in listing.accounts if account.channel}
        return Polled(pool_snapshot(listing, now(), known_channels), listing.dump)

    async def job(self, job_id: str) -> Job:
        return job_of(await self.client.task(job_id))

    async def finals(self, job_ids: list[str]) -> dict[str, Job]:
        return {task.id: job_of(task) for task in await self.client.tasks(job_ids) if task.id}

    # -- acting -------------------------------------------------------------------------------------

    async def command(self, cmd: Command, channel: str | None) -> Sent:
        dialect = await self._able(Capability.INFO if cmd == "info" else Capability.MODES)
        account = await self._account(dialect, channel)
        account_id = account.id or ""
        if cmd == "info":
            await self.client.sync(dialect, account_id)
            fresh = await self.client.account(dialect, account_id)
            return Sent(content=describe_account(fresh), status="ok", document=fresh.dump())
        button = account.button(cmd) or (await self.client.account(dialect, account_id)).button(cmd)
        if button is None or button.custom_id is None:
            raise errors.MjtuiError(f"channel {account.channel} has no '{cmd.title()} mode' button in its /settings: "
                                    f"run info for it first (the gateway reads the buttons then)")
        answer = await self.client.press(dialect, account_id, button.custom_id)
        return Sent(content=f"pressed '{button.text}' on channel {account.channel}", status="ok", document=answer)

    async def cancel(self, job_id: str) -> None:
        """Cancel a running task; one the gateway does not have, or that has finished, is refused with nothing sent
        (trueai answers 200 to a cancel of any id, so its answer cannot tell)."""
        await self._able(Capability.CANCEL)
        try:
            job = job_of(await self.client.task(job_id))
        except Missing as exc:
            raise Missing(exc.status, endpoint=exc.endpoint, error=f"{exc.error}: nothing to cancel") from None
        if job.is_final:
            raise errors.MjtuiError(f"task {job_id} has already finished ({job.status}): nothing to cancel")
        await self.client.cancel(job_id)

    async def seed(self, job_id: str) -> Job:
        await self._able(Capability.SEED)
        answer = await self.client.image_seed(job_id)
        value = str(answer.result).strip() if answer.result is not None else ""
        if not value.isdigit():
            raise errors.ProtocolError(f"the seed is not a number: {value[:40]!r}", endpoint="GET /mj/task/{id}/image-seed")
        job = ProxyJob(jobid=job_id, status=JobStatus.COMPLETED, seed=Seed(value=int(value)))
        job._document = answer.dump()
        return job

    async def press(self, job_id: str, button: str, prompt: str | None = None) -> Job:
        """The task's button with this label (or emoji), by its customId; a MODAL answer (Custom Zoom, a remix) is
        confirmed at once with `prompt` (none: the gateway takes the task's own). A button the task lacks: nothing sent."""
        await self._able(Capability.PRESS)
        task = await self.client.task(job_id)
        found = next((b for b in task.buttons or [] if b.custom_id and button in (b.label, b.emoji)), None)
        if found is None or found.custom_id is None:
            labels = ", ".join(b.text for b in task.buttons or []) or "none"
            raise errors.MjtuiError(f"task {job_id} has no button '{button}' (its buttons: {labels}): nothing sent")
        answer = await self.client.action(job_id, found.custom_id)
        if answer.code == MODAL:
            answer = await self.client.modal(_new_task_id(answer.result), prompt)
        child = ProxyJob(jobid=_new_task_id(answer.result), parent_job_id=job_id, verb="button", button=button,
                         status=JobStatus.CREATED, prompt=prompt or task.prompt, channel=task.channel)
        child._document = answer.dump()
        return child

    async def reset(self, channel: str) -> None:
        dialect = await self._able(Capability.RESET)
        account = await self._account(dialect, channel)
        account_id = account.id or ""
        if dialect is Dialect.TRUEAI:
            await self.client.unlock(account_id)
            if account.enable is False:
                await self.client.enable([account_id])
            return
        fresh = (await self.client.account(dialect, account_id)).model_dump(by_alias=True, exclude_unset=True)
        kept = {key: fresh[key] for key in _RECONNECT_FIELDS if key in fresh and str(fresh[key]).strip("*")}
        await self.client.reconnect(account_id, kept)  # a value the gateway masked is not sent back as "****"

    async def _account(self, dialect: Dialect, channel: str | None) -> Account:
        """The account behind `channel` (the only one when None and the pool has one), as the last poll saw it."""
        if channel not in self._accounts:
            listing = await self.client.listing(dialect)
            self._accounts = {account.channel: account for account in listing.accounts if account.channel}
        if channel is None and len(self._accounts) == 1:
            return next(iter(self._accounts.values()))
        if channel is None:
            raise errors.MjtuiError(f"account '{self.account}' has {len(self._accounts)} channels: name one "
                                    f"(--channel ID; mjtui jobs lists them)")
        account = self._accounts.get(channel)
        if account is None or not account.id:
            known = ", ".join(sorted(self._accounts)[:10]) or "none"
            raise errors.MjtuiError(f"the gateway has no account on channel {channel} (channels: {known})")
        return account


def _new_task_id(result: object) -> str:
    """The task a submit started, as its `result` names it."""
    if not isinstance(result, str | int) or not str(result).strip():
        raise errors.ProtocolError(f"the answer names no task: {str(result)[:40]!r}", endpoint="POST /mj/submit/action")
    return str(result)


def describe_account(account: Account) -> str:
    """An account's /info in a line: mode, fast time left, and why it is not taking jobs when it is not."""
    info = account_info(account)
    words = [f"channel {account.channel}", f"mode {info.mode or '?'}", f"fast time remaining {info.fast_time_remaining or '?'}"]
    if info.availability is not Availability.ENABLED:
        words.append(f"{info.availability}{': ' + info.reason if info.reason else ''}")
    return ", ".join(words)


# -- the snapshot ----------------------------------------------------------------------------------


def pool_snapshot(listing: Listing, at: float, known_channels: Iterable[str] = ()) -> Snapshot:
    """The pool as channels: each account's running tasks, limits and state; an account with none appears empty."""
    snapshot = Snapshot(at)
    for channel_id in known_channels:
        snapshot.stats[channel_id] = EMPTY_STATS
        snapshot.jobs[channel_id] = {}
    rows_by_channel: dict[str, dict[str, JobRow]] = {}
    relax_by_channel: Counter[str] = Counter()  # running tasks the gateway put in an account's relax pool
    for task in listing.tasks:
        row = _row(task, at)
        if row is not None:
            rows_by_channel.setdefault(row.channel, {})[row.job_id] = row
            relax_by_channel[row.channel] += row.state in _BUSY and (task.mode or "").upper() == "RELAX"
    for account in listing.accounts:
        if not account.channel:
            continue
        rows = rows_by_channel.pop(account.channel, {})
        snapshot.jobs[account.channel] = rows
        snapshot.stats[account.channel] = _stats(rows, account, relax_by_channel[account.channel])
        snapshot.info[account.channel] = account_info(account)
    for orphan, rows in rows_by_channel.items():  # tasks of an account the listing left out
        snapshot.jobs[orphan] = rows
        snapshot.stats[orphan] = _stats(rows, None)
    return snapshot


def _row(task: Task, at: float) -> JobRow | None:
    state = _RUN_STATES.get(task.status or "")
    if not task.id or state is None:
        return None  # no id: cannot be shown or followed; a final status: no longer running
    began = task.start_time or task.submit_time
    return JobRow(
        job_id=task.id, channel=task.channel or "?", job_type="video" if task.action in _VIDEO_ACTIONS else "image",
        created=iso_utc(task.submit_time / 1000) if task.submit_time and task.submit_time > 0 else "",
        elapsed=max(0, int(at - began / 1000)) if began and began > 0 else None, seen_at=at,
        state=state, progress=task.percent, prompt=task.prompt, action=task.action,
    )


def _stats(rows: dict[str, JobRow], account: Account | None, relax: int = 0) -> ChannelStats:
    busy = [row for row in rows.values() if row.state in _BUSY]
    queued = sum(row.state == RunState.QUEUED for row in rows.values())
    counted = account is not None and account.running_count is not None
    return ChannelStats(
        total=account.running_count if account is not None and account.running_count is not None else len(busy),
        images=sum(row.job_type == "image" for row in busy), videos=sum(row.job_type == "video" for row in busy),
        max_jobs=_limit(account.core_size) if account else None, max_image_jobs=None, max_video_jobs=None,
        queued=account.queue_count if counted and account and account.queue_count is not None else queued,
        max_queued=_limit(account.queue_size) if account else None,
        max_relax_jobs=_limit(account.relax_core_size) if account else None,
        relax_jobs=relax if account is not None and _limit(account.relax_core_size) else None,
    )


def _limit(value: int | None) -> int | None:
    return value if value is not None and value > 0 else None


def account_info(account: Account) -> ChannelInfo:
    if account.lock:
        availability = Availability.LOCKED
    elif account.enable is False or (account.status or "").upper() == "DISABLED":
        availability = Availability.DISABLED
    elif account.running is False:
        availability = Availability.OFFLINE
    else:
        availability = Availability.ENABLED
    plan, renews_at = subscription_parts(account.subscription)
    return ChannelInfo(name=account.label, mode=account.job_mode, fast_time_remaining=account.fast_left,
                       availability=availability, reason=account.reason, plan=plan, renews_at=renews_at)
