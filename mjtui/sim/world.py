"""The simulated service's state: accounts, channels, jobs, and time.

A `World` is a deterministic discrete-event simulation. Nothing happens on its
own: every call first advances the world to `clock.now()`, running the events
that fell due in time order (jobs starting, finishing, the simulated user
submitting more work). With a seeded RNG and a `ManualClock` the same calls
give the same answers, so tests never sleep.

This module knows the service's rules (limits, statuses, buttons, seeds,
moderation halts) but not HTTP; `mjtui.sim.app` maps requests onto it.
"""

from __future__ import annotations

import random
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypedDict

from mjtui.clock import Clock, ManualClock, iso_utc
from mjtui.sim.images import png_for
from mjtui.sim.rate_gate import RateGate
from mjtui.sim.timeline import Timeline

JOB_LIFESPAN = 31 * 24 * 3600  # v2 keeps job records at least 31 days
PROGRESS_STEPS = (0, 15, 31, 46, 62, 78, 93)
RUNNING = ("created", "started", "progress")
IMAGINE_BUTTONS = ("U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4")
UPSCALE_BUTTONS = (
    "Vary (Subtle)", "Vary (Strong)", "Upscale (Subtle)", "Upscale (Creative)",
    "Zoom Out 2x", "Zoom Out 1.5x", "Custom Zoom", "Make Square", "⬅️", "➡️", "⬆️", "⬇️",
)
ANIMATE_BUTTONS = ("Animate (High motion)", "Animate (Low motion)")  # an upscaled image's: a video of it
VIDEO_BUTTONS = ("Extend (High motion)", "Extend (Low motion)")  # a completed video's
MASK_BUTTONS = ("Vary (Region)",)  # need a region drawn on the image (`mask`)
PROMPT_BUTTONS = ("Custom Zoom",)  # need a `prompt`
UPSCALED_BUTTONS = (*UPSCALE_BUTTONS[:2], *MASK_BUTTONS, *UPSCALE_BUTTONS[2:], *ANIMATE_BUTTONS)  # in Discord's order
SEEDABLE_VERBS = ("imagine", "button", "blend")
FAST_PLANS = (200.0, 900.0, 1800.0)  # GPU minutes a month: Basic's 200 min ("minutes"), Standard's 15 h, Pro's 30 h
HISTORY_SECONDS = 24 * 3600  # ImaginePro's images endpoint lists the last 24 hours
MODES = ("fast", "relax", "turbo")
MODE_FACTOR = {"fast": 1.0, "turbo": 0.5, "relax": 3.0}
MODE_ANSWERS = {
    "relax": "Done! Your jobs now do not consume fast-hours, but might take a little longer. "
    "You can always switch back with `/fast`",
    "fast": "Done! Switching to fast mode. Your jobs will now consume fast-hours. "
    "You can always switch back with `/relax`",
    "turbo": "Done! Turbo mode enabled. Your jobs will run up to 4x faster and consume twice the fast-hours. "
    "You can always switch back with `/fast`",
}
CANCELLED_ERROR = "Job cancelled by user"
MODERATION_ERROR = (
    "Your Discord account has received a pending moderation message from Midjourney. "
    "Please address this issue and reset the /account pendingModMessage before making any new API calls."
)
PROMPTS = (
    "Steampunk cat --s 750 --v 5.2",
    "a lighthouse in a winter storm, oil painting --ar 3:2 --v 6.1",
    "isometric tiny greenhouse on a floating island --v 6.1 --stylize 250",
    "portrait of an astronaut made of moss, studio lighting --ar 4:5",
    "retro-futurist train station at dawn, 35mm film --v 6.1",
    "a fox reading a map by lantern light, watercolor --niji 6",
    "macro photo of frost on a spider web --ar 16:9 --q 2",
    "brutalist library carved into a cliff, overcast --chaos 20",
    "koi pond seen from above, ukiyo-e style --ar 1:1",
    "neon noodle bar in the rain, cinematic --ar 21:9 --v 6.1",
    "paper-cut diorama of a mountain village --style raw",
    "an owl librarian, children's book illustration --niji 6",
)
VIDEO_PROMPTS = (
    "slow dolly through a misty bamboo forest --motion low",
    "waves crashing on black sand, drone shot --motion high",
    "a paper boat drifting down a rain gutter --motion low",
)


class SimError(Exception):
    """A rule of the service was broken; `app` turns it into the documented answer."""

    def __init__(self, status: int, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.extra = extra


@dataclass(slots=True)
class Account:
    name: str
    token: str
    provider: str  # "useapi" | "imaginepro"
    user_id: str
    channels: list[str] = field(default_factory=list)
    subscribed: bool = True
    revoked: bool = False


@dataclass(slots=True)
class Channel:
    id: str
    account: str
    server: str
    discord: str
    max_jobs: int
    max_image_jobs: int
    max_video_jobs: int
    token_id: int | None = None  # ImaginePro's id for the linked Discord account
    mode: str = "fast"
    active: bool = True  # ImaginePro's isActive: an inactive linked account takes no jobs
    standing: str | None = None  # ImaginePro's VERIFYING or BANNED, else the status follows the mode
    fast_used: float = 0.0  # GPU minutes spent in fast or turbo mode
    fast_total: float = 200.0  # GPU minutes of the Midjourney plan
    pending_mod: bool = False
    running: dict[str, SimJob] = field(default_factory=dict)
    backlog: deque[Submission] = field(default_factory=deque)
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=24))

    def count(self, job_type: str | None = None) -> int:
        if job_type is None:
            return len(self.running)
        return sum(1 for job in self.running.values() if job.job_type == job_type)

    @property
    def takes_jobs(self) -> bool:
        """Whether work starts on it: not halted, and (ImaginePro) active and neither verifying nor banned."""
        return not self.pending_mod and self.active and self.standing is None

    def has_room(self, job_type: str) -> bool:
        type_limit = self.max_video_jobs if job_type == "video" else self.max_image_jobs
        return self.count() < self.max_jobs and self.count(job_type) < type_limit


@dataclass(slots=True)
class Submission:
    """Work the simulated user wants to run, waiting for a free slot."""

    verb: str
    job_type: str
    prompt: str
    parent: str | None = None
    button: str | None = None


@dataclass(slots=True)
class SimJob:
    jobid: str
    verb: str
    account: str
    channel: str
    created: float
    message_id: str
    job_type: str | None = "image"  # None: commands and seed jobs, never in the running list
    prompt: str | None = None
    mode: str = "fast"
    button: str | None = None
    parent: str | None = None
    start_at: float = 0.0
    finish_at: float = 0.0
    outcome: str = "completed"
    final_status: str | None = None
    updated: float = 0.0
    children: list[dict[str, str]] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    seed: dict[str, Any] | None = None
    seed_job: str | None = None
    content: str | None = None
    error: str | None = None
    error_details: str | None = None
    reply_url: str | None = None
    reply_ref: str | None = None
    code: int = 200

    def status(self, now: float) -> str:
        if self.final_status:
            return self.final_status
        if self.verb == "seed_async":
            return "started"
        if now < self.start_at:
            return "created"
        return "progress" if self.progress(now) else "started"

    def progress(self, now: float) -> int:
        """Midjourney's coarse percentage steps, from where `now` lies between start and finish."""
        span = max(self.finish_at - self.start_at, 1e-9)
        fraction = min(max((now - self.start_at) / span, 0.0), 0.999)
        return PROGRESS_STEPS[int(fraction * len(PROGRESS_STEPS))]

    def updated_at(self, now: float) -> float:
        if self.final_status:
            return self.updated
        return max(self.updated, min(now, self.finish_at))


class WorldOptions(TypedDict, total=False):
    """`World`'s keyword options but the clock, for callers that pass them through (`Simulator.build`)."""

    seed: int
    channels: int
    accounts: int
    max_jobs: int | None
    imaginepro: bool
    imaginepro_links: int
    autopilot: bool
    load: float
    speed_scale: float
    fail_rate: float
    moderation_rate: float
    warmup: float
    retain_finished: int


class World(Timeline):
    """The simulated service: accounts with channels, and the jobs running on them.

    `autopilot` runs a simulated user on every channel who keeps submitting
    imagine, button and video jobs so the channels stay busy; tests that want
    full control turn it off and submit work themselves.
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        clock: Clock | None = None,
        channels: int = 3,
        accounts: int = 1,
        max_jobs: int | None = None,
        imaginepro: bool = False,
        imaginepro_links: int = 1,
        autopilot: bool = True,
        load: float = 0.9,
        speed_scale: float = 1.0,
        fail_rate: float = 0.03,
        moderation_rate: float = 0.02,
        warmup: float = 0.0,
        retain_finished: int = 20_000,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        clock = clock or ManualClock()
        super().__init__(clock, clock.now() - warmup)
        self.autopilot = autopilot
        self.load = load
        self.speed_scale = speed_scale
        self.fail_rate = fail_rate
        self.moderation_rate = moderation_rate
        self.retain_finished = retain_finished
        self.accounts: dict[str, Account] = {}
        self.channels: dict[str, Channel] = {}
        self.jobs: dict[str, SimJob] = {}
        self.requests = 0
        self.gate = RateGate()
        self._finished: deque[str] = deque()
        self._build(channels, accounts, max_jobs, imaginepro, imaginepro_links)
        if autopilot:
            for channel in self.channels.values():
                self._schedule(self._now + self.rng.uniform(0, 5), self._user_submits, channel.id)
        self.advance()

    # -- construction ---------------------------------------------------------------------------

    def _digits(self, n: int) -> str:
        return str(self.rng.randrange(10 ** (n - 1), 10**n))

    def _build(self, channels: int, accounts: int, max_jobs: int | None, imaginepro: bool, links: int) -> None:
        accounts = max(1, min(accounts, max(channels, 1)))
        for index in range(accounts):
            name = "main" if index == 0 else f"alt{index}"
            self._add_account(name, "useapi")
        names = list(self.accounts)
        for index in range(channels):
            self._add_channel(self.accounts[names[index % len(names)]], max_jobs)
        if imaginepro:
            account = self._add_account("ip", "imaginepro")
            first = 0
            for index in range(max(1, links)):
                channel = self._add_channel(account, max_jobs)
                first = first or 10_000 + self.rng.randrange(90_000)
                channel.token_id = first + index
                channel.fast_total = FAST_PLANS[channel.token_id % len(FAST_PLANS)]

    def _add_account(self, name: str, provider: str) -> Account:
        prefix = "user:" if provider == "useapi" else "ip-"
        token = f"{prefix}{self.rng.randrange(1000, 9999)}-{self.rng.getrandbits(128):032x}"
        account = Account(name=name, token=token, provider=provider, user_id=self._digits(18))
        self.accounts[name] = account
        return account

    def _add_channel(self, account: Account, max_jobs: int | None) -> Channel:
        limit = max_jobs or self.rng.choice((3, 3, 6, 12, 15))
        discord = "".join(self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(70))
        channel = Channel(
            id=self._digits(19),
            account=account.name,
            server=self._digits(19),
            discord=discord,
            max_jobs=limit,
            max_image_jobs=limit,
            max_video_jobs=max(1, limit // 3),
        )
        self.channels[channel.id] = channel
        account.channels.append(channel.id)
        return channel

    # -- time ---------------------------------------------------------------------------------------

    def schedule_revoke(self, after: float, account: str = "main") -> None:
        """After `after` seconds every call with this account's token answers 401 (token revoked)."""
        self._schedule(self._now + after, self._revoke, account)

    def schedule_moderation(self, after: float, channel: str | None = None) -> None:
        """After `after` seconds the channel gets a pending moderation message: 596 until reset."""
        target = channel or next(iter(self.channels))
        self._schedule(self._now + after, self._halt, target)

    def _revoke(self, account: str) -> None:
        if account in self.accounts:
            self.accounts[account].revoked = True

    def _halt(self, channel: str) -> None:
        if channel in self.channels:
            self.channels[channel].pending_mod = True

    # -- the simulated user -------------------------------------------------------------------------

    def _mean_duration(self, channel: Channel) -> float:
        return 50.0 * MODE_FACTOR[channel.mode] * self.speed_scale

    def _user_submits(self, channel_id: str) -> None:
        channel = self.channels[channel_id]
        if channel.takes_jobs and len(channel.backlog) < channel.max_jobs * 2:
            channel.backlog.append(self._invent_submission(channel))
            self._admit(channel)
        rate = channel.max_jobs * self.load / self._mean_duration(channel)
        self._schedule(self._now + self.rng.expovariate(rate), self._user_submits, channel_id)

    def _invent_submission(self, channel: Channel) -> Submission:
        roll = self.rng.random()
        if roll < 0.2 and channel.recent:
            parent = self.jobs.get(self.rng.choice(channel.recent))
            pressable = [b for b in parent.buttons if b not in (*ANIMATE_BUTTONS, *MASK_BUTTONS)] if parent else []
            if parent and pressable:  # the simulated user makes images, and draws no masks
                button = self.rng.choice([b for b in pressable if b in IMAGINE_BUTTONS] or pressable)
                return Submission("button", "image", parent.prompt or "", parent=parent.jobid, button=button)
        if roll > 0.92:
            return Submission("animate", "video", self.rng.choice(VIDEO_PROMPTS))
        return Submission("imagine", "image", self.rng.choice(PROMPTS))

    def _admit(self, channel: Channel) -> None:
        """Start waiting work while the channel has room: limits are never exceeded."""
        waiting = len(channel.backlog)
        for _ in range(waiting):
            submission = channel.backlog.popleft()
            if not channel.takes_jobs or not channel.has_room(submission.job_type):
                channel.backlog.append(submission)
                continue
            parent = self.jobs.get(submission.parent) if submission.parent else None
            if submission.parent and (parent is None or parent.status(self._now) != "completed"):
                continue
            self._start_job(channel, submission, parent)

    # -- jobs ---------------------------------------------------------------------------------------

    def _new_jobid(self, channel: Channel, kind: str = "i") -> str:
        stamp = iso_utc(self._now)
        mmddhhmmss = stamp[5:7] + stamp[8:10] + stamp[11:13] + stamp[14:16] + stamp[17:19]
        account = self.accounts[channel.account]
        return f"j{mmddhhmmss}{self._digits(9)}{kind}-u{account.user_id[-5:]}-c{channel.id}-bot:midjourney"

    def _start_job(self, channel: Channel, submission: Submission, parent: SimJob | None) -> SimJob:
        job = SimJob(
            jobid=self._new_jobid(channel, "v" if submission.job_type == "video" else "i"),
            verb=submission.verb,
            account=channel.account,
            channel=channel.id,
            created=self._now,
            message_id=self._digits(19),
            job_type=submission.job_type,
            prompt=submission.prompt,
            mode=channel.mode,
            button=submission.button,
            parent=submission.parent,
            updated=self._now,
        )
        duration = self._mean_duration(channel) * self.rng.uniform(0.6, 1.4)
        if submission.job_type == "video":
            duration *= 3
        if submission.button and submission.button.startswith("U"):
            duration *= 0.3
        job.start_at = self._now + self.rng.uniform(1.0, 5.0) * self.speed_scale
        job.finish_at = job.start_at + duration
        roll = self.rng.random()
        if roll < self.moderation_rate:
            job.outcome = "moderated"
        elif roll < self.moderation_rate + self.fail_rate:
            job.outcome = "failed"
        self.jobs[job.jobid] = job
        channel.running[job.jobid] = job
        if parent is not None:
            parent.children.append({"button": submission.button or "", "jobid": job.jobid, "messageId": job.message_id})
            parent.updated = self._now
        self._schedule(job.finish_at, self._finish, job.jobid)
        return job

    def _finish(self, jobid: str) -> None:
        job = self.jobs.get(jobid)
        if job is None or job.final_status:
            return
        if job.verb == "seed_async":
            self._finish_seed(job)
            return
        job.final_status = job.outcome
        job.updated = self._now
        self._spend_fast_time(job)
        if job.outcome == "completed":
            self._complete(job)
        elif job.outcome == "moderated":
            job.error = "Job moderated"
            job.error_details = "Sorry! Our AI moderator thinks this prompt is probably against our community standards."
        else:
            job.error = "Job failed"
            job.error_details = "There was an error processing your request. Please try again."
        self._retire(job)

    def _spend_fast_time(self, job: SimJob) -> None:
        """Fast and turbo jobs use the plan's GPU minutes (turbo twice as many); relax ones none."""
        channel = self.channels.get(job.channel)
        if channel is not None and job.mode != "relax":
            minutes = (job.finish_at - job.start_at) / 60 * (2 if job.mode == "turbo" else 1)
            channel.fast_used = min(channel.fast_total, channel.fast_used + minutes)

    def _complete(self, job: SimJob) -> None:
        channel = self.channels[job.channel]
        upscale = _is_upscale(job.button)
        if job.job_type == "video":
            job.buttons = list(VIDEO_BUTTONS)
        elif upscale:
            job.buttons = list(UPSCALED_BUTTONS)
        else:
            job.buttons = list(IMAGINE_BUTTONS)
        size = 64 if upscale else 128
        job.attachments = [self._attachment(job.jobid, 0, size)]
        if job.job_type == "image":
            channel.recent.append(job.jobid)

    def _attachment(self, key: str, index: int, size: int) -> dict[str, Any]:
        url_key = _url_key(key)
        data = png_for(url_key, index, size)
        slug = f"{zlib.crc32(key.encode()):010d}_{index}"
        return {
            "id": self._digits(19),
            "content_type": "image/png",
            "filename": f"sim_{slug}.png",
            "path": f"/attachments/{size}/{index}/{url_key}.png",
            "size": len(data),
            "width": size,
            "height": size,
        }

    def _retire(self, job: SimJob) -> None:
        """A job left the running list: free its slot, admit waiting work, bound the history."""
        channel = self.channels.get(job.channel)
        if channel is not None:
            channel.running.pop(job.jobid, None)
            self._admit(channel)
        self._remember(job)

    def _remember(self, job: SimJob) -> None:
        """A job reached its final state: keep its record, within `retain_finished`."""
        self._finished.append(job.jobid)
        while len(self._finished) > self.retain_finished:
            self.jobs.pop(self._finished.popleft(), None)

    # -- what requests do ---------------------------------------------------------------------------

    def authenticate(self, token: str | None) -> Account:
        """The account a bearer token belongs to; 401 or 402 otherwise."""
        self.requests += 1
        self.advance()
        for account in self.accounts.values():
            if token and account.token == token:
                if account.revoked:
                    break
                if not account.subscribed:
                    raise SimError(402, "Account has no subscription or subscription expired")
                return account
        raise SimError(401, "Unauthorized")

    def channel_for(self, account: Account, channel_id: str | None, *, missing: str = "channel is missing") -> Channel:
        """The request's channel: named, or the account's only one; halted channels answer 596."""
        if not channel_id:
            if len(account.channels) != 1:
                raise SimError(400, missing)
            channel_id = account.channels[0]
        channel = self.channels.get(channel_id)
        if channel is None or channel.account != account.name:
            raise SimError(400, f"Unable to locate channel {channel_id}")
        self.check_halt(channel)
        return channel

    def check_halt(self, channel: Channel) -> None:
        if channel.pending_mod:
            raise SimError(596, MODERATION_ERROR, channel=channel.id)

    def running_channels(self, account: Account) -> Iterator[Channel]:
        for channel_id in account.channels:
            channel = self.channels[channel_id]
            self.check_halt(channel)
            yield channel

    def job_for(self, account: Account, jobid: str, *, parent: bool = False) -> SimJob:
        job = self.jobs.get(jobid)
        if job is None or job.account != account.name:
            raise SimError(404, f"Unable to locate {'parent ' if parent else ''}job {jobid}")
        if self._now - job.created > JOB_LIFESPAN:
            raise SimError(410, "Job has expired")
        self.check_halt(self.channels[job.channel])
        return job

    def submit(self, account: Account, prompt: str, channel_id: str | None = None, *, job_type: str = "image") -> SimJob:
        """Start a job now (the imagine endpoint): 429 when the channel is full."""
        channel = self.channel_for(account, channel_id)
        if not channel.has_room(job_type):
            raise SimError(
                429,
                f"Maximum of {channel.max_jobs} jobs executing in parallel supported",
                executingJobs=list(channel.running),
            )
        verb = "animate" if job_type == "video" else "imagine"
        return self._start_job(channel, Submission(verb, job_type, prompt), None)

    def press(self, account: Account, jobid: str, button: str, prompt: str | None = None,
              mask: str | None = None) -> SimJob:
        """Press a button on a completed job: a child job (a video for Animate and Extend), listed in the parent's
        children. 400: not one of its buttons, or missing the prompt or mask it needs; 409: an upscale pressed before;
        429: the channel is full; 596 (from `job_for`): the channel is halted."""
        parent = self.job_for(account, jobid, parent=True)
        if parent.status(self._now) != "completed":
            raise SimError(400, "Parent job must be completed")
        if button not in parent.buttons:
            raise SimError(400, f"Button {button} is not supported by job {jobid}")
        if button in PROMPT_BUTTONS and not prompt:
            raise SimError(400, f"Parameter prompt is required for button {button}")
        if button in MASK_BUTTONS and not mask:
            raise SimError(400, f"Parameter mask is required for button {button}")
        if _is_upscale(button) and any(child["button"] == button for child in parent.children):
            raise SimError(409, f"Button {button} already executed for job {jobid}")  # useapi's ButtonResponseErrorUpscaled
        channel = self.channels[parent.channel]
        job_type = "video" if button in (*ANIMATE_BUTTONS, *VIDEO_BUTTONS) else "image"
        if not channel.has_room(job_type):
            raise SimError(
                429,
                f"Maximum of {channel.max_jobs} jobs executing in parallel supported",
                executingJobs=list(channel.running),
            )
        return self._start_job(channel, Submission("button", job_type, prompt or parent.prompt or "", jobid, button), parent)

    def command(self, account: Account, verb: str, channel_id: str | None, reply_url: str | None,
                reply_ref: str | None) -> SimJob:
        """relax / fast / turbo / info: a job that completes at once with Midjourney's answer."""
        channel = self.channel_for(account, channel_id)
        if verb in MODES:
            channel.mode = verb
            content = MODE_ANSWERS[verb]
        else:
            content = self._info(channel)
        job = self._side_job(channel, verb, final_status="completed", content=content, reply_url=reply_url, reply_ref=reply_ref)
        self._remember(job)
        return job

    def _side_job(self, channel: Channel, verb: str, **fields: Any) -> SimJob:
        """A job that is not image or video work (a command, a seed request): never in the running list."""
        job = SimJob(
            jobid=self._new_jobid(channel),
            verb=verb,
            account=channel.account,
            channel=channel.id,
            created=self._now,
            message_id=self._digits(19),
            job_type=None,
            updated=self._now + 0.8,
            **fields,
        )
        self.jobs[job.jobid] = job
        return job

    def _info(self, channel: Channel) -> str:
        running = len(channel.running)
        queued = len(channel.backlog)
        fast_hours = max(0.0, 15.0 - (self._now % 54000) / 3600)
        return (
            f"**Your info - sim-{channel.id[-4:]}**\n"
            f"**Subscription**: Pro (Active monthly, renews next on <t:{int(self._now) + 2_000_000}>)\n"
            f"**Job Mode**: {channel.mode.capitalize()}\n"
            f"**Visibility Mode**: Stealth\n"
            f"**Fast Time Remaining**: {fast_hours:.2f}/30.0 hours\n"
            f"**Queued Jobs (fast)**: {queued if channel.mode != 'relax' else 0}\n"
            f"**Queued Jobs (relax)**: {queued if channel.mode == 'relax' else 0}\n"
            f"**Running Jobs**: {running}"
        )

    def seed_async(self, account: Account, jobid: str, reply_url: str | None, reply_ref: str | None) -> SimJob:
        """Start a seed job for a completed job, or return that job when its seed is already known."""
        parent = self.job_for(account, jobid, parent=True)
        if parent.verb not in SEEDABLE_VERBS:
            raise SimError(400, f"Job of type {parent.verb} not supported")
        if parent.status(self._now) != "completed":
            raise SimError(400, "Parent job must be completed")
        if parent.seed is not None:
            return parent
        if parent.seed_job is not None:
            raise SimError(409, f"Seed job {parent.seed_job} is already running for job {jobid}", executingJobs=[parent.seed_job])
        channel = self.channels[parent.channel]
        job = self._side_job(channel, "seed_async", parent=parent.jobid, start_at=self._now + 1.0,
                             reply_url=reply_url, reply_ref=reply_ref)
        job.finish_at = self._now + self.rng.uniform(5.0, 15.0) * self.speed_scale
        parent.seed_job = job.jobid
        self._schedule(job.finish_at, self._finish, job.jobid)
        return job

    def _finish_seed(self, job: SimJob) -> None:
        parent = self.jobs.get(job.parent or "")
        value = self.rng.randrange(0, 4_294_967_295)
        content = f"**{parent.prompt if parent else ''}**\n**Job ID**: {job.parent}\n**seed** {value}"
        seed = {
            "content": content,
            "value": value,
            "attachments": [self._attachment(job.parent or job.jobid, index + 1, 64) for index in range(4)],
        }
        job.final_status = "completed"
        job.updated = self._now
        job.seed = seed
        job.content = content
        if parent is not None:
            parent.seed = seed
            parent.seed_job = None
        self._remember(job)

    def seed_halted(self, account: Account, jobid: str, reply_url: str | None, reply_ref: str | None) -> SimJob:
        """The job-shaped 596 answer of seed_async: a failed seed job naming the moderation message."""
        channel = self.channels[self.jobs[jobid].channel]
        job = self._side_job(
            channel,
            "seed_async",
            parent=jobid,
            final_status="failed",
            error="Pending mod message",
            error_details="You have a pending moderation message. Please acknowledge it before using the bot further.",
            reply_url=reply_url,
            reply_ref=reply_ref,
            code=596,
        )
        self._remember(job)
        return job

    def cancel(self, account: Account, jobid: str) -> None:
        job = self.job_for(account, jobid)
        if job.final_status or job.job_type is None:
            raise SimError(409, f"Job {jobid} is not running (status {job.status(self._now)})")
        job.final_status = "failed"
        job.error = CANCELLED_ERROR
        job.updated = self._now
        self._retire(job)

    def reset(self, account: Account, channel_id: str) -> None:
        channel = self.channels.get(channel_id)
        if channel is None or channel.account != account.name:
            raise SimError(404, f"Unable to locate channel {channel_id}")
        channel.pending_mod = False
        self._admit(channel)

    def vanish(self) -> str | None:
        """A running job disappears from the service (a fault): gone from the list and from GET."""
        running = [job for channel in self.channels.values() for job in channel.running.values()]
        if not running:
            return None
        job = self.rng.choice(running)
        self.channels[job.channel].running.pop(job.jobid, None)
        self.jobs.pop(job.jobid, None)
        self._admit(self.channels[job.channel])
        return job.jobid

    def channel_by_token_id(self, account: Account, token_id: int) -> Channel:
        for channel_id in account.channels:
            channel = self.channels[channel_id]
            if channel.token_id == token_id:
                self.check_halt(channel)
                return channel
        raise SimError(404, f"Linked account {token_id} not found")

    def job_by_message(self, account: Account, message_id: str) -> SimJob:
        for job in self.jobs.values():
            if job.message_id == message_id and job.account == account.name:
                return job
        raise SimError(404, f"Message {message_id} not found")

    # -- ImaginePro's DIY plan: linked Discord accounts ------------------------------------------------

    def linked(self, account: Account) -> list[Channel]:
        """The account's linked Discord accounts (its channels with a token id), in the order linked."""
        return [self.channels[channel_id] for channel_id in account.channels if self.channels[channel_id].token_id is not None]

    def link(self, account: Account, token_id: int) -> Channel:
        """One linked account by its token id, whatever its state; 404 when the account has none such."""
        for channel in self.linked(account):
            if channel.token_id == token_id:
                return channel
        raise SimError(404, f"Linked account {token_id} not found")

    def toggle(self, account: Account, token_id: int, active: bool) -> Channel:
        """Activate or deactivate a linked account: an inactive one starts no work (running jobs finish)."""
        channel = self.link(account, token_id)
        channel.active = active
        if active:
            self._admit(channel)
        return channel

    def set_standing(self, token_id: int, standing: str | None) -> None:
        """Make a linked account VERIFYING or BANNED (None: its mode again), as ImaginePro would after Discord's say."""
        for channel in self.channels.values():
            if channel.token_id == token_id:
                channel.standing = standing
                if standing is None:
                    self._admit(channel)

    def history(self, account: Account) -> list[SimJob]:
        """The account's image and video jobs of the last 24 hours, newest first."""
        since = self._now - HISTORY_SECONDS
        mine = set(account.channels)
        found = [job for job in self.jobs.values()
                 if job.channel in mine and job.job_type is not None and job.created >= since]
        return sorted(found, key=lambda job: job.created, reverse=True)

    def parent_of(self, job: SimJob) -> SimJob | None:
        return self.jobs.get(job.parent) if job.parent else None


def _is_upscale(button: str | None) -> bool:
    """U1 ... U4: an image of the grid, upscaled."""
    return bool(button and button.startswith("U") and button[1:].isdigit())


def _url_key(jobid: str) -> str:
    """A URL-safe stand-in for a job id in image paths."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in jobid)
