"""What one poll of the running list says, and what changed since the last one.

The dashboard touches only what `diff()` reports: a channel whose jobs did not
change is not redrawn, a job row is updated in place, and a job that left the
list is fetched once for its final state.

Every provider fills the same fields; what only some services tell is optional and None elsewhere:
- `JobRow.state` / `progress` / `prompt` / `action`: a midjourney-proxy gateway lists its queue with each
  task's status (`RunState`), progress %, prompt and action; useapi's running list has none of these.
- `ChannelStats.queued` / `max_queued` / `max_relax_jobs` / `relax_jobs`: a gateway account's queue against
  its `queueSize`, and its separate relax pool (trueai's `relaxCoreSize`) with the jobs running in it;
  `queued_relax`: of the queued, those in a separate relax queue (ImaginePro's /info counts fast and relax apart).
- `Snapshot.info`: per channel, the account behind it (`ChannelInfo`): its name, mode, fast time left,
  and whether it is enabled, disabled, locked, verifying or banned, and why. ImaginePro's linked Discord
  accounts are channels too: their running count against `concurrency` and queued fast + relax jobs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from mjtui.api.models import RunningJobs


class RunState(StrEnum):
    """Where a listed job is, when the service says (midjourney-proxy); the value is what a pane shows."""

    QUEUED = "queued"  # waiting for a free slot on its account
    SUBMITTED = "submitted"  # sent to Discord, no answer yet
    IN_PROGRESS = "in progress"
    MODAL = "waiting for a modal"  # needs /submit/modal; takes no slot


@dataclass(slots=True)
class JobRow:
    """A running job as the list shows it; `elapsed` is the server's count at `seen_at`.

    Read-only by convention rather than frozen: a poll builds one per running job (1,200 at a
    hundred channels) and a frozen dataclass takes nearly twice as long to build.
    """

    job_id: str
    channel: str
    job_type: str
    created: str
    elapsed: int | None
    seen_at: float
    state: str | None = None  # a RunState, when the service tells
    progress: int | None = None  # percent
    prompt: str | None = None
    action: str | None = None  # the service's own word: IMAGINE, UPSCALE, ...

    def elapsed_at(self, now: float) -> int | None:
        """Elapsed seconds now: the server's figure carried forward by the local clock (no clock skew)."""
        if self.elapsed is None:
            return None
        return self.elapsed + max(0, int(now - self.seen_at))

    def same_job(self, other: JobRow) -> bool:
        return (self.job_id == other.job_id and self.channel == other.channel
                and self.job_type == other.job_type and self.created == other.created
                and self.state == other.state and self.progress == other.progress
                and self.prompt == other.prompt and self.action == other.action)


@dataclass(frozen=True, slots=True)
class ChannelStats:
    total: int
    images: int
    videos: int
    max_jobs: int | None
    max_image_jobs: int | None
    max_video_jobs: int | None
    queued: int | None = None  # jobs waiting for a slot (midjourney-proxy), against max_queued (queueSize)
    max_queued: int | None = None
    max_relax_jobs: int | None = None  # a separate relax pool's concurrency (trueai's relaxCoreSize)
    relax_jobs: int | None = None  # of `total`, those running in that relax pool (None: no separate pool)
    queued_relax: int | None = None  # of `queued`, those in a separate relax queue (None: not told apart)

    @property
    def fullness(self) -> float | None:
        """Running jobs over maxJobs, 0..1 (None when the limit is unknown)."""
        if not self.max_jobs:
            return None
        return min(1.0, self.total / self.max_jobs)

    @property
    def full(self) -> bool:
        return self.max_jobs is not None and self.total >= self.max_jobs


EMPTY_STATS = ChannelStats(0, 0, 0, None, None, None)


class Availability(StrEnum):
    """Whether the account behind a channel takes jobs; the value is what a pane shows."""

    ENABLED = "enabled"
    DISABLED = "disabled"  # by the operator, or by the gateway after a ban or expiry (see `reason`)
    LOCKED = "locked"  # a CAPTCHA or moderation lock: reset clears it
    OFFLINE = "offline"  # enabled, but its connection to Discord is down
    VERIFYING = "verifying"  # ImaginePro is verifying the Discord token: no jobs meanwhile
    BANNED = "banned"  # ImaginePro says the Discord account is banned
    INACTIVE = "inactive"  # switched off by its owner (ImaginePro's isActive false): toggling it on takes jobs again


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """The account behind a channel, as a midjourney-proxy gateway describes it (useapi says none of this)."""

    name: str | None = None  # the operator's remark / name
    mode: str | None = None  # "relax", "fast", "turbo" (or the gateway's own word)
    fast_time_remaining: str | None = None  # as Midjourney's /info words it: "12.34/15.0 hours (82.27%)"
    availability: Availability = Availability.ENABLED
    reason: str | None = None  # why it is disabled or locked, the gateway's text
    plan: str | None = None  # the Midjourney subscription: "Pro"
    renews_at: float | None = None  # when it renews (epoch seconds), as /info's <t:EPOCH> says


@dataclass(slots=True)
class Snapshot:
    """One account's running jobs by channel, as of `at`."""

    at: float
    stats: dict[str, ChannelStats] = field(default_factory=dict)
    jobs: dict[str, dict[str, JobRow]] = field(default_factory=dict)  # channel -> job id -> row
    info: dict[str, ChannelInfo] = field(default_factory=dict)  # channel -> its account, where the service says

    @property
    def total(self) -> int:
        """Job rows listed (a gateway lists its queued tasks too; ImaginePro the messages mjtui follows)."""
        return sum(len(rows) for rows in self.jobs.values())

    @property
    def running(self) -> int:
        """Jobs running, as the service counts them: what takes a slot, not what waits for one."""
        return sum(stats.total for stats in self.stats.values())

    def job(self, job_id: str) -> JobRow | None:
        for rows in self.jobs.values():
            if job_id in rows:
                return rows[job_id]
        return None


def snapshot_of(running: RunningJobs, at: float, known_channels: Iterable[str] = ()) -> Snapshot:
    """Flatten the API's running list; channels we know of but the list omits appear empty."""
    snapshot = Snapshot(at)
    for channel_id in known_channels:
        snapshot.stats[channel_id] = EMPTY_STATS
        snapshot.jobs[channel_id] = {}
    for channel_id, channel in running.channels.items():
        rows: dict[str, JobRow] = {}
        for job in channel.jobs:
            if not job.job_id:
                continue  # a job without an id cannot be shown, acted on or followed
            rows[job.job_id] = JobRow(
                job_id=job.job_id,
                channel=job.channel or channel_id,
                job_type=job.job_type or "?",
                created=job.created or "",
                elapsed=job.elapsed_seconds,
                seen_at=at,
            )
        previous = snapshot.stats.get(channel_id, EMPTY_STATS)
        snapshot.stats[channel_id] = ChannelStats(
            total=channel.total if channel.total is not None else len(rows),
            images=channel.images if channel.images is not None else sum(r.job_type == "image" for r in rows.values()),
            videos=channel.videos if channel.videos is not None else sum(r.job_type == "video" for r in rows.values()),
            max_jobs=channel.max_jobs if channel.max_jobs is not None else previous.max_jobs,
            max_image_jobs=channel.max_image_jobs if channel.max_image_jobs is not None else previous.max_image_jobs,
            max_video_jobs=channel.max_video_jobs if channel.max_video_jobs is not None else previous.max_video_jobs,
        )
        snapshot.jobs[channel_id] = rows
    return snapshot


@dataclass(slots=True)
class ChannelChanges:
    added: list[JobRow] = field(default_factory=list)
    removed: list[JobRow] = field(default_factory=list)
    changed: list[JobRow] = field(default_factory=list)
    stats: ChannelStats | None = None  # set when the counts or limits changed
    info: ChannelInfo | None = None  # set when the account's mode, state or name changed

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.stats or self.info)


@dataclass(slots=True)
class Changes:
    """What one poll changed: new channels, and per channel the jobs added, removed and changed."""

    new_channels: list[str] = field(default_factory=list)
    channels: dict[str, ChannelChanges] = field(default_factory=dict)

    @property
    def removed(self) -> list[JobRow]:
        return [row for change in self.channels.values() for row in change.removed]

    def __bool__(self) -> bool:
        return bool(self.new_channels or self.channels)


def diff(old: Snapshot | None, new: Snapshot) -> Changes:
    """Compare two polls. A channel missing from `new` keeps its pane: its jobs count as removed.

    `new` is completed in place with the channels `old` had and `new` lacks
    (empty), so the next diff compares like with like.
    """
    changes = Changes()
    old_jobs = old.jobs if old else {}
    old_stats = old.stats if old else {}
    old_info = old.info if old else {}
    for channel_id in old_jobs:
        if channel_id not in new.jobs:
            new.jobs[channel_id] = {}
            previous = old_stats.get(channel_id, EMPTY_STATS)
            new.stats[channel_id] = ChannelStats(0, 0, 0, previous.max_jobs, previous.max_image_jobs, previous.max_video_jobs,
                                                 0 if previous.queued is not None else None, previous.max_queued,
                                                 previous.max_relax_jobs, 0 if previous.relax_jobs is not None else None)
            if channel_id in old_info:
                new.info[channel_id] = old_info[channel_id]
    for channel_id, rows in new.jobs.items():
        if channel_id not in old_jobs:
            changes.new_channels.append(channel_id)
        before = old_jobs.get(channel_id, {})
        change = ChannelChanges()
        for job_id, row in rows.items():
            previous_row = before.get(job_id)
            if previous_row is None:
                change.added.append(row)
            elif not previous_row.same_job(row):
                change.changed.append(row)
        change.removed.extend(row for job_id, row in before.items() if job_id not in rows)
        stats = new.stats[channel_id]
        if old_stats.get(channel_id) != stats:
            change.stats = stats
        info = new.info.get(channel_id)
        if info is not None and old_info.get(channel_id) != info:
            change.info = info
        if change or channel_id not in old_jobs:
            changes.channels[channel_id] = change
    return changes
