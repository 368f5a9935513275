"""ImaginePro's DIY plan: its linked Discord accounts as channels, the messages mjtui knows as their jobs.

A poll costs ONE general request, the linked-account list (or, in its place and never twice running: every
HISTORY_SECONDS the last 24 hours of messages, or the trace of a message whose linked account is not known,
the list then being the previous poll's), and at most FETCHES_PER_POLL message fetches of the
messages followed. ImaginePro allows one general request per 3 s and 10 message fetches per second, so
`min_poll_seconds` keeps polls 6 s apart, half the general budget, leaving the rest to actions; `Pace` makes
every request of this provider wait its turn, so none is sent over the limit whatever asks for it.

Commands go as the config's `token_id`, or as the linked account behind the channel named: one the list does not
name is refused, nothing sent (never the config's in its place). Where a message ran
is known for those sent from here; a message from the history is placed at once when there is one linked
account, else by its trace, one message every other poll; meanwhile it shows under UNPLACED.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import anyio
import httpx

from mjtui.api import errors
from mjtui.api.client import DEFAULT_TIMEOUT, ImagineProClient, Sleep
from mjtui.api.imaginepro_models import LinkedAccount, MessageTrace, count_of, job_of_message
from mjtui.api.models import Command, Job, JobStatus, MessageProgress, MessageStatus
from mjtui.clock import parse_iso
from mjtui.monitor.account_info import fast_time, subscription_parts
from mjtui.monitor.message_follow import MessageFollower, why_let_go
from mjtui.monitor.snapshot import EMPTY_STATS, Availability, ChannelInfo, ChannelStats, JobRow, RunState, Snapshot
from mjtui.providers.base import Capability, NotSupported, Polled, Provider, Sent

T = TypeVar("T")

GENERAL_GAP = 3.0  # "1 request per 3 seconds" for general endpoints (System Design page)
MESSAGE_BURST = 10  # "10 requests per second" for message fetches
MESSAGE_WINDOW = 1.0
MIN_POLL_SECONDS = 2 * GENERAL_GAP  # a poll's one general request takes half the budget; actions have the rest
FETCHES_PER_POLL = 6  # message fetches a poll makes at most: under the burst, leaving room for the inspector's
HISTORY_SECONDS = 300.0  # the last 24 h are asked for this often (in place of one poll's list)
HISTORY_SIZE = 50  # messages asked for from the history at once
FOLLOWED = 60  # messages followed at once; the oldest is let go for a newer one
FOLLOW_LIMIT = 2 * 3600.0  # a message still running after this is let go (a relax queue can be long)
UNPLACED = "unplaced"  # the channel of messages whose linked account is not known
_RUN_STATES: dict[str, RunState] = {MessageStatus.QUEUED: RunState.QUEUED, MessageStatus.PROCESSING: RunState.IN_PROGRESS}
_STANDINGS = {"VERIFYING": (Availability.VERIFYING, "ImaginePro is verifying the Discord token: no jobs meanwhile"),
              "BANNED": (Availability.BANNED, "ImaginePro reports the Discord account banned")}


class Pace:
    """When this provider may send its next request, by the documented limits: it waits (never refuses) till then.

    `clock` is the poller's, once it polls (so a test's hand-driven clock paces it too); `sleep` waits.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Sleep = anyio.sleep) -> None:
        self.clock = clock
        self.sleep = sleep
        self._general_at: float | None = None
        self._general_lock = anyio.Lock()
        self._fetch_lock = anyio.Lock()
        self._fetches: deque[float] = deque()

    def general_wait(self) -> float:
        """Seconds until a general request may go (0: now)."""
        return 0.0 if self._general_at is None else max(0.0, self._general_at + GENERAL_GAP - self.clock())

    def fetch_wait(self) -> float:
        """Seconds until a message fetch may go (0: now)."""
        now = self.clock()
        while self._fetches and now - self._fetches[0] >= MESSAGE_WINDOW:
            self._fetches.popleft()
        return 0.0 if len(self._fetches) < MESSAGE_BURST else self._fetches[0] + MESSAGE_WINDOW - now

    async def general(self, send: Callable[[], Awaitable[T]]) -> T:
        """Send a general request once its turn comes (one at a time: a poll's and a key's never cross)."""
        async with self._general_lock:
            wait = self.general_wait()
            if wait > 0:
                await self.sleep(wait)
            try:
                return await send()
            except errors.RateLimited as exc:
                # Another process (the dashboard, a script's last command) took the turn. A 429 is a refusal, not
                # an outcome unknown: nothing was done, so even a POST may ask once more, after the documented gap.
                exc.retry_after = GENERAL_GAP if exc.retry_after is None else exc.retry_after
                await self.sleep(exc.retry_after)
                try:
                    return await send()
                except errors.RateLimited as again:
                    again.retry_after = GENERAL_GAP if again.retry_after is None else again.retry_after
                    raise
            finally:
                # Counted from the answer: the service saw the request somewhere before it, never after.
                self._general_at = self.clock()

    async def fetch(self, send: Callable[[], Awaitable[T]]) -> T:
        """Send a message fetch once its turn comes (one at a time, each counted from its answer, as above)."""
        async with self._fetch_lock:
            wait = self.fetch_wait()
            if wait > 0:
                await self.sleep(wait)
            try:
                return await send()
            finally:
                self._fetches.append(self.clock())


@dataclass(slots=True)
class Known:
    """A message mjtui knows of: sent from here (its linked account known) or read from the history."""

    message_id: str
    token_id: int | None
    action: str | None
    prompt: str | None = None
    created: str | None = None
    last: MessageProgress | None = None  # its last fetched state
    due: float = 0.0  # when it is to be fetched next (the follower's wait)
    ticket: int = 0
    followed: bool = True


class ImaginePro(Provider):
    kind = "imaginepro"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.RUNNING_LIST, Capability.JOB_DETAIL, Capability.MODES, Capability.INFO, Capability.CANCEL,
        Capability.MESSAGES, Capability.TOGGLE, Capability.PRESS,
    })
    commands_need_a_channel = False  # sent by the linked Discord account's token_id
    final_batch = 50  # a message that left the list was fetched as it did: its final state costs no request
    min_poll_seconds = MIN_POLL_SECONDS
    rate_limit = f"ImaginePro allows one request every {GENERAL_GAP:g} s"
    client: ImagineProClient

    def __init__(self, account: str, client: ImagineProClient, token_id: int | None, pace: Pace | None = None) -> None:
        super().__init__(account, client)
        self.token_id = token_id
        self.pace = pace or Pace()
        self.links: list[LinkedAccount] | None = None  # as the last list said
        self.known: dict[str, Known] = {}
        self.follower = MessageFollower(limit=FOLLOWED, ceiling=MIN_POLL_SECONDS, give_up_after=FOLLOW_LIMIT)
        self._history_at: float | None = None
        self._listed_last: bool | None = None  # whether the last poll's general request was the list
        self._list_next = False  # a command or toggle changed a linked account: the next general turn reads the list

    @classmethod
    def open(cls, account: str, token: str, origin: str, *, timeout: float = DEFAULT_TIMEOUT,
             transport: httpx.AsyncBaseTransport | None = None, token_id: int | None = None,
             flavor: str | None = None) -> ImaginePro:
        return cls(account, ImagineProClient(token, origin, timeout=timeout, transport=transport), token_id)

    def command_target(self, channel: str | None) -> str | None:
        token_id = self._token_for(channel)
        return None if token_id is None else str(token_id)

    # -- reading ------------------------------------------------------------------------------------

    async def poll(self, now: Callable[[], float], known_channels: Iterable[str] = ()) -> Polled:
        self.pace.clock = now
        if self.links is None or self.pace.general_wait() == 0:  # else a fresh action took the turn: last list kept
            await self._general_turn(now())
        await self._follow_due(now())
        return Polled(self.snapshot(now(), known_channels), self._document)

    async def survey(self, now: Callable[[], float], known_channels: Iterable[str] = ()) -> Polled:
        """The list and the last 24 hours (3 s apart, as the limit says), every running message fetched."""
        await self._read_links()
        await self._read_history(now())
        while await self._follow_due(now(), limit=MESSAGE_BURST):
            pass
        return Polled(self.snapshot(now(), known_channels), self._document)

    async def _read_links(self) -> list[LinkedAccount]:
        """The linked-account list, in its turn (a poll's, or a one-off process's: `mjtui jobs`, `mjtui toggle`)."""
        self.links = (await self.pace.general(self.client.linked_accounts)).root
        return self.links

    async def _general_turn(self, now: float) -> None:
        """A poll's one general request: the list; the history when due; every other poll, while a followed
        message's linked account is not known, its trace."""
        unplaced = [known for known in self.known.values() if known.followed and known.token_id is None]
        if self.links is None or self._list_next or (self._listed_last is False and not self._history_due(now)):
            await self._read_links()
            self._listed_last, self._list_next = True, False
        elif self._history_due(now):
            await self._read_history(now)
            self._listed_last = False
        elif unplaced and len(self.links) > 1:
            await self._place(unplaced[0])
            self._listed_last = False
        else:
            await self._read_links()

    async def _place(self, known: Known) -> MessageTrace | None:
        """Ask which linked account runs a message (the trace endpoint); kept, so it is asked once."""
        try:
            trace = await self.pace.general(lambda: self.client.trace(known.message_id))
        except errors.MjtuiError as exc:
            if why_let_go(exc) is not None:
                known.token_id = 0  # never to be placed: shown unplaced, not asked about again
            return None
        known.token_id = trace.token_id if trace.token_id is not None else 0
        return trace

    def _history_due(self, now: float) -> bool:
        return self._history_at is None or now - self._history_at >= HISTORY_SECONDS

    async def _read_history(self, now: float) -> None:
        self._history_at = now
        images = await self.pace.general(lambda: self.client.images(1, HISTORY_SIZE))
        for image in images.images:
            if not image.id or image.id in self.known or image.uri:  # with its image: done, nothing to follow
                continue
            self._learn(Known(image.id, None, image.button or image.type, image.prompt, image.created_at), now)

    def _learn(self, known: Known, now: float) -> None:
        """Follow a message from now on (the oldest followed is let go when there are too many)."""
        check, let_go = self.follower.follow(known.message_id, now)
        self.known[known.message_id] = known
        if check is not None:
            known.due, known.ticket = now, check.ticket  # asked at the next poll
        for old in let_go:
            if old in self.known:
                self.known[old].followed = False

    async def _follow_due(self, now: float, limit: int = FETCHES_PER_POLL) -> int:
        """Fetch the followed messages that are due, oldest due first, at most `limit`; how many were fetched."""
        due = sorted((known for known in self.known.values() if known.followed and known.due <= now),
                     key=lambda known: known.due)[:limit]
        for known in due:
            if self.follower.ask(known.message_id, known.ticket):
                await self._fetch(known, now)
        return len(due)

    async def _fetch(self, known: Known, now: float) -> None:
        try:
            known.last = await self.pace.fetch(lambda: self.client.message(known.message_id))
        except errors.MjtuiError as exc:
            if why_let_go(exc) is not None:
                self.follower.let_go(known.message_id)
                known.followed = False
                return
        check = self.follower.answered(known.message_id, known.last is not None and known.last.is_final, now)
        if check is None:
            known.followed = False
        else:
            known.due, known.ticket = now + check.wait, check.ticket

    async def job(self, job_id: str) -> Job:
        """The message's record; the linked account that ran it from the trace when not known here (best effort)."""
        message = await self.pace.fetch(lambda: self.client.message(job_id))
        known = self.known.get(job_id) or self._met(job_id, message)
        channel = self._channel_of(known.token_id)
        if channel is None and known.token_id is None and self.pace.general_wait() == 0:  # never waits for the poll's turn
            trace = await self._place(known)
            channel = self._channel_of(known.token_id) if self.links or trace is None else trace.discord_channel_id
        return job_of_message(message, channel=channel, verb=known.action)

    def _met(self, message_id: str, message: MessageProgress) -> Known:
        """A message first seen by its id (the inspector, `mjtui job`): followed while it runs, as the history's are."""
        known = Known(message_id, None, None, message.prompt, message.created_at, last=message)
        if message.is_final:
            known.followed = False
            self.known[known.message_id] = known
        else:
            self._learn(known, self.pace.clock())
        return known

    async def finals(self, job_ids: list[str]) -> dict[str, Job]:
        """The messages' last fetched states (no request); one not known final is fetched."""
        found: dict[str, Job] = {}
        for job_id in job_ids:
            known = self.known.get(job_id)
            if known is not None and known.last is not None and known.last.is_final:
                found[job_id] = job_of_message(known.last, channel=self._channel_of(known.token_id), verb=known.action)
                continue
            try:
                found[job_id] = await self.job(job_id)
            except errors.NotFound:
                continue
        return found

    async def message(self, message_id: str) -> MessageProgress:
        return await self.pace.fetch(lambda: self.client.message(message_id))

    # -- acting -------------------------------------------------------------------------------------

    async def command(self, cmd: Command, channel: str | None) -> Sent:
        token_id = await self._token_of(channel)
        answer = await self.pace.general(lambda: self.client.command(cmd, token_id))
        self._list_next = True  # its mode, its queues: the list says, not the message
        if answer.message_id:
            self._learn(Known(answer.message_id, token_id, f"/{cmd}"), self.pace.clock())
        return Sent(status="sent", message_id=answer.message_id, document=answer.dump())

    async def cancel(self, job_id: str) -> None:
        """The "Cancel Job" button, pressed only while the message runs (progress < 100): else refused, unsent."""
        message = await self.message(job_id)
        if message.is_final or (message.progress or 0) >= 100:
            raise errors.MjtuiError(f"message {job_id} is {message.status or 'done'} at {message.progress or 0}%: "
                                    f"ImaginePro cancels only while a job is in progress (progress < 100)")
        await self.pace.general(lambda: self.client.cancel(job_id))

    async def press(self, job_id: str, button: str, prompt: str | None = None) -> Job:
        """A message's button: the new message it starts is followed from now on, on the same linked account."""
        answer = await self.pace.general(lambda: self.client.button(job_id, button, prompt))
        if not answer.message_id:
            raise errors.ProtocolError("the answer names no new message", endpoint="POST /api/v1/nova/button")
        parent = self.known.get(job_id)
        token_id = parent.token_id if parent else None
        prompt = prompt or (parent.prompt if parent else None)
        self._learn(Known(answer.message_id, token_id, button, prompt, answer.created_at), self.pace.clock())
        child = Job(jobid=answer.message_id, parent_job_id=job_id, verb="button", button=button, prompt=prompt,
                    status=JobStatus.CREATED, created=answer.created_at, channel=self._channel_of(token_id))
        return child

    async def toggle(self, link: str, active: bool) -> str:
        """Make the linked account `link` (its token id, or its channel) active or inactive: only one the list names."""
        token_id = await self._token_of(link)
        answer = await self.pace.general(lambda: self.client.toggle(token_id, active))
        self._list_next = True
        now = next((fresh for fresh in answer.root if fresh.id == token_id), None)
        if now is not None and self.links is not None:
            self.links = [now if old.id == token_id else old for old in self.links]
        state = "unknown" if now is None or now.is_active is None else "active" if now.is_active else "inactive"
        return f"linked account {token_id} is now {state}"

    # -- the snapshot -------------------------------------------------------------------------------

    def snapshot(self, at: float, known_channels: Iterable[str] = ()) -> Snapshot:
        """Each linked account as a channel (its gauges from `info`), the running messages as its jobs."""
        snapshot = Snapshot(at)
        for channel_id in known_channels:
            snapshot.stats[channel_id] = EMPTY_STATS
            snapshot.jobs[channel_id] = {}
        rows = self._rows(at)
        for link in self.links or []:
            key = channel_key(link)
            mine = rows.pop(key, {})
            snapshot.jobs[key] = mine
            snapshot.stats[key] = link_stats(link, mine)
            snapshot.info[key] = link_info(link)
        for key, orphans in rows.items():  # the history's messages of an account not known, or not listed
            snapshot.jobs[key] = orphans
            snapshot.stats[key] = link_stats(None, orphans)
        return snapshot

    def _rows(self, at: float) -> dict[str, dict[str, JobRow]]:
        rows: dict[str, dict[str, JobRow]] = {}
        for known in self.known.values():
            if not known.followed or (known.last is not None and known.last.is_final):
                continue
            row = _row(known, self._channel_of(known.token_id) or UNPLACED, at)
            rows.setdefault(row.channel, {})[row.job_id] = row
        return rows

    def _channel_of(self, token_id: int | None) -> str | None:
        """The channel of a linked account; with one linked account, every message's."""
        links = self.links or []
        if not token_id:  # None: not known yet; 0: cannot be known
            return channel_key(links[0]) if len(links) == 1 else None
        return next((channel_key(link) for link in links if link.id == token_id), f"token-{token_id}" if links else None)

    def _token_for(self, channel: str | None) -> int | None:
        """The token id commands go to: the config's when no channel is named, else the linked account's behind
        `channel` (its channel or its token id), None when the list names no such account."""
        if channel is None:
            return self.token_id
        return next((link.id for link in self.links or []
                     if link.id is not None and channel in (channel_key(link), str(link.id))), None)

    async def _token_of(self, channel: str | None) -> int:
        """`_token_for`, the list read first when this process has none; refused, nothing sent, when there is none."""
        if channel is not None and self.links is None:
            await self._read_links()
        token_id = self._token_for(channel)
        if token_id is not None:
            return token_id
        if channel is None:  # the config requires one: only a hand-built provider lacks it
            raise NotSupported(f"account '{self.account}' has no token_id (ImaginePro needs it)")
        raise errors.MjtuiError(f"{channel} is no linked Discord account of account '{self.account}' "
                                f"(mjtui jobs lists them): nothing sent")

    def _document(self) -> dict[str, Any]:
        """--json: the linked accounts as the API sent them (tokens masked) and the messages followed."""
        return {"accounts": [link.dump() for link in self.links or []],
                "messages": [known.last.dump() if known.last else {"messageId": known.message_id}
                             for known in self.known.values() if known.followed]}


def channel_key(link: LinkedAccount) -> str:
    """A linked account's channel: its Discord channel id, else its token id."""
    channel = link.channel_id or ""
    return channel if channel.isdigit() else f"token-{link.id}"


def _row(known: Known, channel: str, at: float) -> JobRow:
    last = known.last
    created = (last.created_at if last else None) or known.created
    began = parse_iso(created)
    return JobRow(
        job_id=known.message_id, channel=channel, job_type="image", created=created or "",
        elapsed=max(0, int(at - began.timestamp())) if began else None, seen_at=at,
        state=_RUN_STATES.get(last.status or "", RunState.SUBMITTED) if last else RunState.SUBMITTED,
        progress=last.progress if last else None, prompt=(last.prompt if last else None) or known.prompt,
        action=known.action,
    )


def link_stats(link: LinkedAccount | None, rows: dict[str, JobRow]) -> ChannelStats:
    """Running against `concurrency`, and the queued jobs (fast + relax, the relax ones apart), as /info counts them."""
    info = link.info if link else None
    running = count_of(info.running_jobs) if info else None
    if running is None:
        running = sum(row.state == RunState.IN_PROGRESS for row in rows.values())
    fast, relax = (count_of(info.queued_jobs_fast), count_of(info.queued_jobs_relax)) if info else (None, None)
    queued = None if fast is None and relax is None else (fast or 0) + (relax or 0)
    concurrency = link.concurrency if link and link.concurrency else None
    return ChannelStats(total=running, images=running, videos=0, max_jobs=concurrency, max_image_jobs=None,
                        max_video_jobs=None, queued=queued, queued_relax=relax)


def link_info(link: LinkedAccount) -> ChannelInfo:
    """Its name, mode, fast time left, and whether it takes jobs (inactive, verifying, banned: why not)."""
    info = link.info
    status = (link.status or "").upper()
    mode = (info.job_mode if info else None) or (status.lower() if status in ("FAST", "RELAX") else None)
    fast = fast_time(info.fast_time_remaining) if info else None
    raw_fast = (info.fast_time_remaining or "").strip() if info else ""
    availability, reason = _STANDINGS.get(status, (Availability.ENABLED, None))
    if link.is_active is False:
        availability = Availability.INACTIVE
        reason = f"ImaginePro sends it no jobs (mjtui toggle {link.id} makes it active)"
    plan, renews_at = subscription_parts(info.subscription if info else None)
    return ChannelInfo(name=f"token {link.id}", mode=mode.lower() if mode else None,
                       fast_time_remaining=fast.text() if fast else raw_fast if raw_fast.lower() not in ("", "none") else None,
                       availability=availability, reason=reason, plan=plan, renews_at=renews_at)
