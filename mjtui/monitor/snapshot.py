"""What one poll of the running list says, and what changed since the last one.

The dashboard touches only what `diff()` reports: a channel whose jobs did not
change is not redrawn, a job row is updated in place, and a job that left the
list is fetched once for its final state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mjtui.api.models import RunningJobs


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

    def elapsed_at(self, now: float) -> int | None:
        """Elapsed seconds now: the server's figure carried forward by the local clock (no clock skew)."""
        if self.elapsed is None:
            return None
        return self.elapsed + max(0, int(now - self.seen_at))

    def same_job(self, other: JobRow) -> bool:
        return (self.job_id == other.job_id and self.channel == other.channel
                and self.job_type == other.job_type and self.created == other.created)


@dataclass(frozen=True, slots=True)
class ChannelStats:
    total: int
    images: int
    videos: int
    max_jobs: int | None
    max_image_jobs: int | None
    max_video_jobs: int | None

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


@dataclass(slots=True)
class Snapshot:
    """One account's running jobs by channel, as of `at`."""

    at: float
    stats: dict[str, ChannelStats] = field(default_factory=dict)
    jobs: dict[str, dict[str, JobRow]] = field(default_factory=dict)  # channel -> job id -> row

    @property
    def total(self) -> int:
        return sum(len(rows) for rows in self.jobs.values())

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

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.stats)


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
    for channel_id in old_jobs:
        if channel_id not in new.jobs:
            new.jobs[channel_id] = {}
            previous = old_stats.get(channel_id, EMPTY_STATS)
            new.stats[channel_id] = ChannelStats(0, 0, 0, previous.max_jobs, previous.max_image_jobs, previous.max_video_jobs)
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
        if change or channel_id not in old_jobs:
            changes.channels[channel_id] = change
    return changes
