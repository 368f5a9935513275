"""The dashboard against a service that misbehaves, stepped through simulated time (issue 6, "Faults").

The dashboard runs headless (Pilot) against the in-process simulator on a hand-driven clock:
time advances in steps, every timer that falls due fires, and workers finish before the next
step. A fault injector sits in front of the simulated service and a recorder in front of that,
so a test sees every request as the service does (`running` gives a `Session` of all of it).

Two things differ from `make_dashboard`, on purpose:
- the clients time out after 0.25 s of real time: the in-process transport enforces the read
  timeout in real time, so the default 15 s would make each timeout fault cost 15 real seconds;
- a session paints with `Pilot.pause` every PAINT_EVERY steps only: painting frames no terminal
  shows would take most of a long run.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from pydantic import ValidationError
from textual.worker import Worker, WorkerState

from mjtui.api.client import UseapiClient
from mjtui.api.models import RunningJobs
from mjtui.clock import ManualClock
from mjtui.connections import Connection
from mjtui.monitor.health import Health
from mjtui.providers.useapi import Useapi
from mjtui.sim import SIM_ORIGIN, Simulator
from mjtui.sim.faults import FaultInjector, FaultProfile, schedule_incidents
from mjtui.sim.world import SimJob, World
from mjtui.store import Journal
from mjtui.timers import ManualTimers
from mjtui.tui.app import MjtuiApp, make_app
from mjtui.tui.panels import FinishedTable
from support.dashboard import account_panes, banner, header_text, plain

LIST_PATH = "/v3/midjourney/jobs"
REFRESH = 10.0  # the configured interval (the default)
STEP = 5.0  # simulated seconds per step: half the interval, so a poll that came early would show
CLIENT_TIMEOUT = 0.25  # real seconds: see the module docstring
PAINT_EVERY = 12  # steps between paints of the screen (a simulated minute)
SIZE = (80, 24)


# -- the service's side: what reached it, and when --------------------------------------------------


@dataclass
class ListGet:
    token: str
    at: float  # simulated time it arrived
    status: int | None = None  # None: the connection dropped, or the client stopped waiting
    valid: bool = False  # the answer was a running list the dashboard should believe


@dataclass
class Listed:
    """The last valid running list served to a token: when, and channel -> job ids."""

    at: float
    job_ids: dict[str, set[str]]


@dataclass
class Poll:
    """One poll as the service saw it: a list GET and the client's retries, at one instant."""

    at: float
    gets: list[ListGet]


class Recorder:
    """ASGI middleware in front of the fault injector: every running-list GET, per token, and how many overlapped."""

    def __init__(self, sim: Simulator, clock: ManualClock) -> None:
        self.inner = sim.app
        self.clock = clock
        self.gets: list[ListGet] = []
        self.latest: dict[str, Listed] = {}
        self.seen: defaultdict[str, set[str]] = defaultdict(set)  # token -> every job id validly listed
        self.in_flight: Counter[str] = Counter()
        self.most_in_flight: Counter[str] = Counter()
        self.others: list[tuple[str, str, float]] = []  # method, path, when: every other API request
        sim.app = self  # clients are built from sim.app: build the dashboard after this

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/attachments/"):
            await self.inner(scope, receive, send)
            return
        if (scope["method"], scope["path"]) != ("GET", LIST_PATH):
            self.others.append((scope["method"], scope["path"], self.clock.now()))
            await self.inner(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        call = ListGet(headers.get(b"authorization", b"").decode().removeprefix("Bearer "), self.clock.now())
        self.gets.append(call)
        self.in_flight[call.token] += 1
        self.most_in_flight[call.token] = max(self.most_in_flight[call.token], self.in_flight[call.token])
        body = bytearray()

        async def keep(message) -> None:
            if message["type"] == "http.response.start":
                call.status = message["status"]
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.inner(scope, receive, keep)
        finally:
            self.in_flight[call.token] -= 1
        if call.status == 200:
            try:
                running = RunningJobs.model_validate_json(bytes(body))
            except ValidationError:
                return  # a garbled answer: the dashboard must not believe it either
            call.valid = True
            listed = {channel: {job.job_id for job in jobs.jobs if job.job_id} for channel, jobs in running.channels.items()}
            self.latest[call.token] = Listed(call.at, listed)
            self.seen[call.token].update(*listed.values())

    def lists(self, token: str) -> list[ListGet]:
        return [call for call in self.gets if call.token == token]

    def polls(self, token: str) -> list[Poll]:
        polls: list[Poll] = []
        for call in self.lists(token):
            if polls and polls[-1].at == call.at:
                polls[-1].gets.append(call)
            else:
                polls.append(Poll(call.at, [call]))
        return polls

    def last_valid(self, token: str) -> Listed | None:
        return self.latest.get(token)


# -- the world, with the faults the injector does not make ------------------------------------------


class SkewedClock:
    """The service's clock, `offset` seconds off ours (clock skew)."""

    def __init__(self, clock: ManualClock, offset: float) -> None:
        self.clock = clock
        self.offset = offset

    def now(self) -> float:
        return self.clock.now() + self.offset

    async def sleep(self, seconds: float) -> None:
        await self.clock.sleep(seconds)


class Vanishing:
    """Records each job the injector's `vanish` fault takes away, so that it can come back."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.gone: list[tuple[float, SimJob]] = []
        self.returned: list[SimJob] = []
        self.then: Callable[[str], None] | None = None  # called after each vanishing
        self._vanish = world.vanish
        world.vanish = self.vanish  # type: ignore[method-assign] - the injector calls world.vanish()

    def vanish(self) -> str | None:
        running = {job.jobid: job for channel in self.world.channels.values() for job in channel.running.values()}
        jobid = self._vanish()
        if jobid is not None:
            self.gone.append((self.world.now, running[jobid]))
            if self.then is not None:
                self.then(jobid)
        return jobid

    def reappear(self, *, older_than: float) -> list[str]:
        """The service lists again the jobs that vanished before `older_than` and are not about to finish."""
        back, keep = [], []
        for when, job in self.gone:
            if when >= older_than:
                keep.append((when, job))
            elif job.finish_at > self.world.now + 3 * REFRESH:  # its finish event is still queued
                self.world.jobs[job.jobid] = job
                self.world.channels[job.channel].running[job.jobid] = job
                back.append(job)
        self.gone = keep
        self.returned = [*self.returned[-50:], *back]
        return [job.jobid for job in back]


def faulty_sim(clock: ManualClock, profile: FaultProfile, *, skew: float = 0.0,
               **world_options) -> tuple[Simulator, FaultInjector]:
    """A simulator whose fault injector can be switched while it runs (`injector.profile = ...`)."""
    world_options.setdefault("seed", 7)
    world = World(clock=SkewedClock(clock, skew) if skew else clock, **world_options)
    sim = Simulator(world)  # no faults: the plain app, wrapped here in an injector the test keeps
    injector = FaultInjector(sim.app, world, profile, seed=world.seed + 1)
    schedule_incidents(world, profile)
    sim.app = injector
    return sim, injector


QUIET = {"channels": 3, "accounts": 2, "autopilot": False, "max_jobs": 3, "fail_rate": 0.0, "moderation_rate": 0.0}


def submit_jobs(sim: Simulator, clock: ManualClock, per_channel: int = 2) -> None:
    """Work on every channel of a world with no simulated user (QUIET)."""
    world = sim.world
    for channel in world.channels.values():
        for index in range(per_channel):
            world.submit(world.accounts[channel.account], f"a lighthouse, take {index}", channel.id)
            clock.advance(1)
            world.advance()


# -- the dashboard ----------------------------------------------------------------------------------


def dashboard(sim: Simulator, clock: ManualClock, *, journal: Journal | None = None) -> tuple[MjtuiApp, ManualTimers]:
    """`make_dashboard`, with clients that time out after CLIENT_TIMEOUT (real seconds)."""
    timers = ManualTimers(clock)
    connections = []
    for index, (name, account) in enumerate(sim.world.accounts.items()):
        client = UseapiClient(account.token, SIM_ORIGIN, transport=sim.transport(), timeout=CLIENT_TIMEOUT,
                              rng=random.Random(index))
        connections.append(Connection(name, Useapi(name, client), simulator=sim))
    app = make_app(connections, clock=clock, timers=timers, refresh_seconds=REFRESH, rng=random.Random(0), journal=journal)
    return app, timers


class WorkerWatch:
    """Every worker the app starts, so that one that died of an exception is noticed.

    The app's workers run with `exit_on_error=False`: an exception escaping one would be lost
    silently (the app stays up, nothing is shown). The issue wants every exception shown.
    """

    def __init__(self, app: MjtuiApp) -> None:
        self.live: list[Worker] = []
        self.failed: list[str] = []
        self.started = 0
        manager = app.workers
        add = manager.add_worker

        def add_worker(worker: Worker, start: bool = True, exclusive: bool = True) -> None:
            self.live.append(worker)
            self.started += 1
            add(worker, start=start, exclusive=exclusive)

        manager.add_worker = add_worker  # type: ignore[method-assign]

    def check(self) -> None:
        still = []
        for worker in self.live:
            if worker.state is WorkerState.ERROR:
                self.failed.append(f"{worker.name}: {worker.error!r}")
            elif not worker.is_finished:
                still.append(worker)
        self.live = still


async def settle_watched(pilot, watch: WorkerWatch, *, paint: bool = True) -> None:
    """Let workers (polls, fetches, actions) and the messages they post be handled, until nothing new starts.

    Unlike `support.dashboard.settle`, it goes on while `watch` sees new workers start (a poll that
    re-arms, a fetch it started), and it can leave the screen unpainted.
    `Pilot.pause` waits for every widget's queue, then lays out and paints the screen, which costs
    more than a step of polling; with `paint=False` only the dashboard screen's queue (where polls and
    fetches report) is drained, and nothing is painted.
    """
    app = pilot.app

    async def through_the_dashboards_queue() -> None:
        handled = asyncio.Event()
        app.dashboard.call_later(handled.set)  # runs once everything the dashboard was sent before it is handled
        await handled.wait()

    async def paint_it() -> None:
        await pilot.pause(0)  # every widget's queue, then a paint (`pause()` would also wait for the CPU to idle)

    drain = paint_it if paint else through_the_dashboards_queue
    for _ in range(20):
        started = watch.started
        busy = [worker for worker in app.workers if not worker.is_finished]
        if busy:
            await app.workers.wait_for_complete(busy)
        await drain()  # what the workers posted before they finished is handled now
        if watch.started == started and not any(not worker.is_finished for worker in app.workers):
            return
    raise AssertionError(f"workers kept starting: {[worker.name for worker in app.workers]}")


def health_words(app: MjtuiApp, account: str = "main") -> str:
    """`live`, `retrying in 8s`, `unauthorized`: the state as the header shows it."""
    return header_text(app, account).split("  ")[2]


def alive(app: MjtuiApp) -> None:
    """No unhandled exception: the app runs, has not exited, and shows no error."""
    assert app.is_running, "the dashboard exited"
    assert app.return_code is None
    assert app._exception is None, f"unhandled exception: {app._exception!r}"


# -- a session --------------------------------------------------------------------------------------


@dataclass
class Session:
    """The dashboard, the service, and what the test (as the user) did, stepped through simulated time."""

    pilot: object
    app: MjtuiApp
    timers: ManualTimers
    clock: ManualClock
    sim: Simulator
    injector: FaultInjector
    recorder: Recorder
    watch: WorkerWatch
    vanishing: Vanishing
    paint_every: int = PAINT_EVERY
    user_polls: list[float] = field(default_factory=list)  # instants the user made the dashboard poll
    successes: dict[str, set[float]] = field(default_factory=lambda: defaultdict(set))
    halts: Counter[str] = field(default_factory=Counter)  # what the user had to act on
    words_seen: set[str] = field(default_factory=set)  # first word of each header state shown
    most_pending_timers: int = 0
    most_finished_rows: int = 0
    duplicate: tuple[str, str, str] | None = None  # (job id, its channel, the channel it was copied to)
    duplicate_shown: bool = False
    reappeared_shown: set[str] = field(default_factory=set)
    steps: int = 0
    _todo: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def token(self, account: str = "main") -> str:
        return self.sim.world.accounts[account].token

    async def step(self, seconds: float = STEP) -> None:
        self.clock.advance(seconds)
        for act in self._todo:  # what the user decided on the last screen, done before the timers fire
            await act()
        self._todo.clear()
        await self.timers.fire_due()
        self.steps += 1
        await settle_watched(self.pilot, self.watch, paint=self.steps % self.paint_every == 0)
        self.observe()

    async def run(self, seconds: float, *, step: float = STEP, each_step: Callable[[], None] | None = None,
                  react: bool = True) -> None:
        end = self.clock.now() + seconds
        while self.clock.now() < end - 1e-9:
            await self.step(min(step, end - self.clock.now()))
            if each_step is not None:
                each_step()
            if react:
                self.react()

    async def press(self, *keys: str) -> None:
        """A key press that makes the dashboard poll now (ctrl+r, a confirmed reset)."""
        self.user_polls.append(self.clock.now())
        await self.pilot.press(*keys)
        await settle_watched(self.pilot, self.watch)

    def observe(self) -> None:
        alive(self.app)
        self.watch.check()
        for name, state in self.app.accounts.items():
            if state.status.last_ok_at is not None:
                self.successes[name].add(state.status.last_ok_at)
            self.words_seen.add(health_words(self.app, name).split(" ")[0])
        self.most_pending_timers = max(self.most_pending_timers, len(self.timers.pending()))
        self.most_finished_rows = max(self.most_finished_rows, self.app.query_one(FinishedTable).row_count)

    def react(self) -> None:
        """What a user watching the screen does next: fix a revoked token, or acknowledge and reset a 596."""
        world = self.sim.world
        for name, state in self.app.accounts.items():
            health = state.status.health
            if self._todo or len(self.app.screen_stack) > 1:
                return
            if health is Health.UNAUTHORIZED:
                assert "401 Unauthorized" in plain(banner(self.app, name)), "a 401 is explained on a banner"
                self.halts["401"] += 1
                world.accounts[name].revoked = False  # the user fixes the token ...
                self._todo.append(lambda: self.press("ctrl+r"))  # ... and asks for a poll
            elif health is Health.MODERATION:
                assert "Moderation pending" in plain(banner(self.app, name)), "a 596 is explained on a banner"
                self.halts["596"] += 1
                self._todo.append(lambda: self.press("R", "y"))  # acknowledged in Discord, reset here

    # -- faults the injector does not make

    def duplicate_a_job(self) -> None:
        """The same job id listed on two channels of one account (a proxy's bookkeeping gone wrong)."""
        world = self.sim.world
        channels = world.accounts["main"].channels
        source = next(c for c in channels if world.channels[c].running)
        target = next(c for c in channels if c != source)
        job = max(world.channels[source].running.values(), key=lambda j: j.finish_at)
        world.channels[target].running[job.jobid] = job
        self.duplicate = (job.jobid, source, target)

    def undo_duplicate(self) -> None:
        if self.duplicate is not None:
            jobid, _, target = self.duplicate
            self.sim.world.channels[target].running.pop(jobid, None)

    def check_duplicate(self) -> None:
        """While the last poll listed the job on both channels, both panes show it."""
        if self.duplicate is None:
            return
        jobid, source, target = self.duplicate
        last = self.recorder.last_valid(self.token())
        if last is None or last.at != self.app.accounts["main"].status.last_ok_at:
            return
        if jobid in last.job_ids.get(source, ()) and jobid in last.job_ids.get(target, ()):
            shown = account_panes(self.app)
            assert jobid in shown[source].rows and jobid in shown[target].rows, "shown on both channels"
            self.duplicate_shown = True

    def check_reappeared(self) -> None:
        for job in self.vanishing.returned:
            state = self.app.accounts[job.account]
            row = state.snapshot.job(job.jobid) if state.snapshot else None
            if row is not None:
                jobid = job.jobid
                pane = account_panes(self.app, job.account).get(row.channel)
                assert pane is not None and jobid in pane.rows, "a job that came back is shown again"
                self.reappeared_shown.add(jobid)


@asynccontextmanager
async def running(clock: ManualClock, profile: FaultProfile, *, journal: Journal | None = None, skew: float = 0.0,
                  before: Callable[[Simulator], None] | None = None, **world_options) -> AsyncIterator[Session]:
    """The dashboard on a simulator injecting `profile`, after its first poll; checks it is still up at the end."""
    sim, injector = faulty_sim(clock, profile, skew=skew, **world_options)
    if before is not None:
        before(sim)
    vanishing = Vanishing(sim.world)
    recorder = Recorder(sim, clock)
    app, timers = dashboard(sim, clock, journal=journal)
    watch = WorkerWatch(app)
    async with app.run_test(size=SIZE) as pilot:
        session = Session(pilot, app, timers, clock, sim, injector, recorder, watch, vanishing)
        await settle_watched(pilot, watch)
        session.observe()
        yield session
        alive(app)
        assert not watch.failed, f"workers died of exceptions nobody was shown: {watch.failed[:5]}"
        assert_polls_never_overlap(session)


def assert_polls_never_overlap(s: Session) -> None:
    for name, account in s.sim.world.accounts.items():
        assert s.recorder.most_in_flight[account.token] <= 1, f"two polls of {name} were in flight at once"
