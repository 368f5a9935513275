"""What `mjtui metrics` exposes: every metric's name, help and labels, and how each is read from the poller.

Names follow Prometheus's conventions: the `mjtui_` prefix, `_total` counters, base units (`_seconds`, ratios 0..1).
Labels are bounded: account and channel (from the config, or the service's own ids), provider, and fixed words
(outcome, kind, reason, mode); never a job id, a prompt or any free text from a service.
Gauges are read from the poller's account states at each scrape (nothing to keep in step, no stale series);
counters and the duration histogram count what the poller hears.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from mjtui.api import errors
from mjtui.api.models import Job, JobStatus
from mjtui.lease import Leases
from mjtui.monitor.account_info import fast_time
from mjtui.monitor.health import Health
from mjtui.monitor.snapshot import Availability, ChannelInfo, ChannelStats
from mjtui.poller import AccountState, Final
from mjtui.store.journal import run_seconds

ACCOUNT = ("account", "provider")
CHANNEL = ("account", "provider", "channel")
MODES = ("relax", "fast", "turbo")
OUTCOMES = ("completed", "failed", "moderated", "cancelled", "unknown")  # unknown: its final state could not be fetched
DURATION_BUCKETS = (10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200, 1800)
HALTS = {Health.UNAUTHORIZED: "unauthorized", Health.PAYMENT: "payment", Health.MODERATION: "moderation"}
# Most specific first: a poll error's kind, a label of a few fixed words.
ERROR_KINDS: tuple[tuple[type[errors.MjtuiError], str], ...] = (
    (errors.Unauthorized, "unauthorized"),
    (errors.PaymentRequired, "payment"),
    (errors.ModerationPending, "moderation"),
    (errors.RateLimited, "rate_limited"),
    (errors.UpstreamError, "server"),
    (errors.ReadTimeout, "timeout"),
    (errors.ConnectTimeout, "timeout"),
    (errors.TransportError, "network"),
    (errors.ProtocolError, "protocol"),
    (errors.ApiError, "api"),
)


def error_kind(error: errors.MjtuiError) -> str:
    """A poll error as one of a few words (`ERROR_KINDS`), else "other"."""
    return next((kind for cls, kind in ERROR_KINDS if isinstance(error, cls)), "other")


def outcome(final: Final) -> str:
    """What became of a job that left the list, as one of `OUTCOMES`."""
    job = final.job
    if job is None or job.status not in OUTCOMES:
        return "unknown"
    return str(job.outcome)  # useapi's failed "Job cancelled by user" is cancelled


def halt_reason(state: AccountState, channel: str, info: ChannelInfo | None) -> str | None:
    """Why the channel takes no jobs (a moderation halt, or its account locked / disabled / banned ...), or None."""
    if state.status.health is Health.MODERATION and state.status.moderation_channel in (None, channel):
        return "moderation"
    if info is not None and info.availability is not Availability.ENABLED:
        return info.availability.value
    return None


class Counted:
    """The counters and the histogram: what the poller heard, since this process started."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.finished = Counter("mjtui_jobs_finished", "Jobs that left the running list, by what became of them",
                                [*CHANNEL, "outcome"], registry=registry)
        self.duration = Histogram("mjtui_job_duration_seconds", "Run time of completed jobs (created to last update)",
                                  CHANNEL, buckets=DURATION_BUCKETS, registry=registry)
        self.polls = Counter("mjtui_polls", "Polls of the account's running list, answered or not", ACCOUNT,
                             registry=registry)
        self.poll_errors = Counter("mjtui_poll_errors", "Failed polls, by kind", [*ACCOUNT, "kind"], registry=registry)

    def polled(self, state: AccountState, error: errors.MjtuiError | None) -> None:
        self.polls.labels(state.name, state.provider).inc()
        if error is not None:
            self.poll_errors.labels(state.name, state.provider, error_kind(error)).inc()

    def finals(self, state: AccountState, finals: Iterable[Final]) -> None:
        for final in finals:
            labels = (state.name, state.provider, final.channel)
            self.finished.labels(*labels, outcome(final)).inc()
            seconds = _completed_seconds(final.job)
            if seconds is not None:
                self.duration.labels(*labels).observe(seconds)


def _completed_seconds(job: Job | None) -> float | None:
    if job is None or job.status != JobStatus.COMPLETED:
        return None
    return run_seconds(job)


class Gauges(Collector):
    """Every account's and channel's present state, read from the poller's account states at each scrape."""

    def __init__(self, accounts: Mapping[str, AccountState], leases: Leases | None) -> None:
        self.accounts = accounts
        self.leases = leases

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = _Families()
        for state in self.accounts.values():
            families.account(state, self.leases)
            snapshot = state.snapshot
            if snapshot is None:
                continue
            for channel, stats in snapshot.stats.items():
                families.channel(state, channel, stats, snapshot.info.get(channel))
        yield from families.all()


class _Families:
    """One scrape's gauge families, filled account by account, channel by channel."""

    def __init__(self) -> None:
        def gauge(name: str, text: str, labels: tuple[str, ...] = CHANNEL) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, text, labels=list(labels))

        self.up = gauge("mjtui_account_up", "1 when the account's last poll succeeded", ACCOUNT)
        self.last_ok = gauge("mjtui_account_last_successful_poll_timestamp_seconds",
                             "When the account's running list was last read", ACCOUNT)
        self.account_halted = gauge("mjtui_account_halted", "1 while polling is halted until someone acts, by reason",
                                    (*ACCOUNT, "reason"))
        self.elsewhere = gauge("mjtui_account_polled_elsewhere",
                               "1 while another mjtui on the same journal polls the account (read from the journal)", ACCOUNT)
        self.running = gauge("mjtui_channel_running_jobs", "Jobs running on the channel (taking a slot)")
        self.images = gauge("mjtui_channel_running_image_jobs", "Image jobs running on the channel")
        self.videos = gauge("mjtui_channel_running_video_jobs", "Video jobs running on the channel")
        self.limit = gauge("mjtui_channel_job_limit", "Jobs the channel runs at once (maxJobs, coreSize, concurrency)")
        self.queued = gauge("mjtui_channel_queued_jobs", "Jobs waiting for a slot, where the service tells")
        self.queue_limit = gauge("mjtui_channel_queue_limit", "Jobs that may wait (queueSize), where the service tells")
        self.mode = gauge("mjtui_channel_mode", "1 for the channel's speed mode, where the service tells", (*CHANNEL, "mode"))
        self.fast_seconds = gauge("mjtui_channel_fast_time_remaining_seconds", "Fast GPU time left of the plan")
        self.fast_ratio = gauge("mjtui_channel_fast_time_remaining_ratio", "Fast GPU time left, of the plan's (0..1)")
        self.halted = gauge("mjtui_channel_halted", "1 while the channel takes no jobs, with why (none when 0)",
                            (*CHANNEL, "reason"))

    def all(self) -> list[GaugeMetricFamily]:
        return [family for family in vars(self).values() if isinstance(family, GaugeMetricFamily)]

    def account(self, state: AccountState, leases: Leases | None) -> None:
        labels = [state.name, state.provider]
        status = state.status
        self.up.add_metric(labels, 1.0 if status.failures_in_a_row == 0 and status.last_ok_at is not None else 0.0)
        if status.last_ok_at is not None:
            self.last_ok.add_metric(labels, status.last_ok_at)
        reason = HALTS.get(status.health)
        self.account_halted.add_metric([*labels, reason or "none"], 1.0 if reason else 0.0)
        if leases is not None:
            self.elsewhere.add_metric(labels, 1.0 if leases.note(state.name) else 0.0)

    def channel(self, state: AccountState, channel: str, stats: ChannelStats, info: ChannelInfo | None) -> None:
        labels = [state.name, state.provider, channel]
        self.running.add_metric(labels, stats.total)
        self.images.add_metric(labels, stats.images)
        self.videos.add_metric(labels, stats.videos)
        for family, value in ((self.limit, stats.max_jobs), (self.queued, stats.queued),
                              (self.queue_limit, stats.max_queued)):
            if value is not None:
                family.add_metric(labels, value)
        reason = halt_reason(state, channel, info)
        self.halted.add_metric([*labels, reason or "none"], 1.0 if reason else 0.0)
        if info is None:
            return
        if info.mode:
            mode = info.mode.strip().lower()
            self.mode.add_metric([*labels, mode if mode in MODES else "other"], 1.0)
        fast = fast_time(info.fast_time_remaining)
        if fast is not None:
            self.fast_seconds.add_metric(labels, fast.left_minutes * 60)
            self.fast_ratio.add_metric(labels, fast.left_minutes / fast.total_minutes)
