"""The dashboard left open for hours against a service that misbehaves (issue 6, "Faults").

The dashboard runs headless (Pilot) against the in-process simulator on a hand-driven clock:
time advances in steps, every timer that falls due fires, and workers finish before the next
step. A fault injector sits in front of the simulated service and a recorder in front of that,
so the test sees every request as the service does. One short test per fault shows what a user
sees; the soak mixes them all for simulated hours (a short one in the default run, a long one
marked `soak`: `pytest -m soak`).

Two things differ from `make_dashboard`, on purpose:
- the clients time out after 0.25 s of real time and a timeout fault holds its answer for 1 s: the
  in-process transport enforces the read timeout in real time, so the default 15 s would make each
  timeout fault cost 15 real seconds;
- the screen repaints 4 times a real second instead of 60, and the soak paints with `Pilot.pause`
  every PAINT_EVERY steps only: painting frames no terminal shows would take most of the run.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import re
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
import textual.screen
from pydantic import ValidationError
from rich.text import Text
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from mjtui.api.client import UseapiClient
from mjtui.api.models import RunningJobs
from mjtui.clock import ManualClock
from mjtui.connections import Connection
from mjtui.monitor.health import BACKOFF_CAP, Health
from mjtui.sim import SIM_ORIGIN, Simulator
from mjtui.sim.faults import FaultInjector, FaultProfile, schedule_incidents
from mjtui.sim.world import SimJob, World
from mjtui.store import Journal
from mjtui.tui.account_header import AccountHeader, Banner
from mjtui.tui.app import MjtuiApp, make_app
from mjtui.tui.channel_pane import ChannelPane
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.panels import FINISHED_KEEP, FinishedTable
from mjtui.tui.timers import ManualTimers

LIST_PATH = "/v3/midjourney/jobs"
REFRESH = 10.0  # the configured interval (the default)
STEP = 5.0  # simulated seconds per step: half the interval, so a poll that came early would show
CLIENT_TIMEOUT = 0.25  # real seconds: see the module docstring
HANG = 1.0  # real seconds a timeout fault holds its answer: past the client's timeout
GET_ATTEMPTS = 1  # the dashboard's clients do not retry: the poll loop paces every attempt
PAINT_EVERY = 12  # steps between paints of the screen (a simulated minute)
SIZE = (80, 24)
HOUR = 3600.0


@pytest.fixture(autouse=True)
def _few_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textual.screen, "UPDATE_PERIOD", 0.25)


# -- the service's side: what reached it, and when -------------------------------------------------


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


# -- the world, with the faults the injector does not make -------------------------------------------


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


def faulty_sim(clock: ManualClock, profile: FaultProfile, *, skew: float = 0.0, **world_options) -> tuple[Simulator, FaultInjector]:
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


# -- the dashboard ---------------------------------------------------------------------------------


def dashboard(sim: Simulator, clock: ManualClock, *, journal: Journal | None = None) -> tuple[MjtuiApp, ManualTimers]:
    """`make_dashboard`, with clients that time out after CLIENT_TIMEOUT (real seconds)."""
    timers = ManualTimers(clock)
    connections = []
    for index, (name, account) in enumerate(sim.world.accounts.items()):
        client = UseapiClient(account.token, SIM_ORIGIN, transport=sim.transport(), timeout=CLIENT_TIMEOUT,
                              rng=random.Random(index))
        connections.append(Connection(name, account.provider, client, simulator=sim))
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


async def settle(pilot, watch: WorkerWatch, *, paint: bool = True) -> None:
    """Let workers (polls, fetches, actions) and the messages they post be handled, until nothing new starts.

    `Pilot.pause` waits for every widget's queue, then lays out and paints the screen, which costs
    more than a step of polling; with `paint=False` only the app's queue (where polls and fetches
    report) is drained, and nothing is painted.
    """
    app = pilot.app

    async def through_the_app_queue() -> None:
        handled = asyncio.Event()
        app.call_later(handled.set)  # runs once everything the app was sent before it is handled
        await handled.wait()

    async def paint_it() -> None:
        await pilot.pause(0)  # every widget's queue, then a paint (`pause()` would also wait for the CPU to idle)

    drain = paint_it if paint else through_the_app_queue
    for _ in range(20):
        started = watch.started
        busy = [worker for worker in app.workers if not worker.is_finished]
        if busy:
            await app.workers.wait_for_complete(busy)
        await drain()  # what the workers posted before they finished is handled now
        if watch.started == started and not any(not worker.is_finished for worker in app.workers):
            return
    raise AssertionError(f"workers kept starting: {[worker.name for worker in app.workers]}")


def plain(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


def header(app: MjtuiApp, account: str = "main") -> str:
    """`● main  useapi  live  polled 3s ago · 41 ms · 0 errors · every 10s`."""
    return plain(app.section(account).query_one(AccountHeader))


def health_words(app: MjtuiApp, account: str = "main") -> str:
    """`live`, `retrying in 8s`, `unauthorized`: the state as the header shows it."""
    return header(app, account).split("  ")[2]


def banner(app: MjtuiApp, account: str = "main") -> Banner:
    return app.section(account).query_one(Banner)


def panes(app: MjtuiApp, account: str = "main") -> dict[str, ChannelPane]:
    return {pane.channel_id: pane for pane in app.section(account).query(ChannelPane)}


def alive(app: MjtuiApp) -> None:
    """No unhandled exception: the app runs, has not exited, and shows no error."""
    assert app.is_running, "the dashboard exited"
    assert app.return_code is None
    assert app._exception is None, f"unhandled exception: {app._exception!r}"


# -- a session ---------------------------------------------------------------------------------------


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
        await settle(self.pilot, self.watch, paint=self.steps % self.paint_every == 0)
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
        await settle(self.pilot, self.watch)

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
            shown = panes(self.app)
            assert jobid in shown[source].rows and jobid in shown[target].rows, "shown on both channels"
            self.duplicate_shown = True

    def check_reappeared(self) -> None:
        for job in self.vanishing.returned:
            state = self.app.accounts[job.account]
            row = state.snapshot.job(job.jobid) if state.snapshot else None
            if row is not None:
                jobid = job.jobid
                pane = panes(self.app, job.account).get(row.channel)
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
        await settle(pilot, watch)
        session.observe()
        yield session
        alive(app)
        assert not watch.failed, f"workers died of exceptions nobody was shown: {watch.failed[:5]}"
        assert_polls_never_overlap(session)


# -- what must hold ------------------------------------------------------------------------------------


def assert_polls_never_overlap(s: Session) -> None:
    for name, account in s.sim.world.accounts.items():
        assert s.recorder.most_in_flight[account.token] <= 1, f"two polls of {name} were in flight at once"


def assert_rate_within_the_interval(s: Session) -> None:
    """Never two list GETs of an account closer than the interval, failing or not; after a 429, not before
    its Retry-After; and never a silence longer than the back-off cap unless the account is halted.

    A user's ctrl+r or reset polls at once, so a gap holding one is not judged.
    """
    retry_after = s.injector.profile.retry_after
    for name, account in s.sim.world.accounts.items():
        polls = s.recorder.polls(account.token)
        assert len(polls) > 1, f"{name} was hardly polled"
        for poll, following in itertools.pairwise(polls):
            assert len(poll.gets) <= GET_ATTEMPTS, f"{name}: {len(poll.gets)} list GETs at one instant"
            if any(poll.at < pressed <= following.at for pressed in s.user_polls):
                continue
            gap = following.at - poll.at
            assert gap >= REFRESH, f"{name}: a poll at {poll.at} ({'good' if poll.at in s.successes[name] else 'failed'}) " \
                                   f"was followed {gap:g}s later"
            if poll.gets[-1].status == 429:
                assert gap >= retry_after, f"{name}: polled {gap:g}s after a 429 that said Retry-After {retry_after:g}"
            if poll.gets[-1].status not in (401, 596):
                assert gap <= BACKOFF_CAP + STEP, f"{name}: not polled for {gap:g}s"


async def assert_back_to_live_within_one_interval(s: Session) -> None:
    """The faults stop; one interval later (or at a back-off already scheduled past it) every account is live
    and its panes show what the service listed at that poll."""
    s.injector.profile = FaultProfile()
    world = s.sim.world
    for account in world.accounts.values():
        account.revoked = False
    for channel in world.channels.values():
        channel.pending_mod = False
    if any(state.status.health.halted for state in s.app.accounts.values()):
        await s.press("ctrl+r")  # halted accounts wait for the user
    stopped = s.clock.now()
    deadline = {}
    for name, state in s.app.accounts.items():
        retry_at = state.status.retry_at if state.status.health is Health.RETRYING else None
        deadline[name] = stopped + max(REFRESH, (retry_at or stopped) - stopped)
    await s.run(max(deadline.values()) - stopped, react=False)
    for name, state in s.app.accounts.items():
        assert state.status.health is Health.LIVE, f"{name} is {state.status.health} after the faults stopped"
        assert health_words(s.app, name) == "live"
        assert not banner(s.app, name).has_class("-visible")
        last = s.recorder.last_valid(s.token(name))
        assert last is not None and last.at == state.status.last_ok_at
        for channel_id, pane in panes(s.app, name).items():
            assert set(pane.rows) == last.job_ids.get(channel_id, set()), "the panes show what the service listed"


def assert_memory_bounded(s: Session) -> None:
    app = s.app
    finished = app.query_one(FinishedTable)
    assert s.most_finished_rows <= FINISHED_KEEP
    assert len(finished.jobs) == finished.row_count <= FINISHED_KEEP, "the finished list keeps a record per row, no more"
    assert not app.in_flight, f"actions still marked in flight: {app.in_flight}"
    assert s.most_pending_timers <= 4 + 2 * len(app.accounts), f"{s.most_pending_timers} timers were pending at once"
    assert len(app.workers) == 0, "every worker finished"
    assert sum(len(finals) for finals in app._finals.values()) <= 50, "finals wait for the next poll only"
    for name in app.accounts:
        shown = panes(app, name)
        assert set(shown) <= set(s.sim.world.accounts[name].channels), "a pane per channel, never more"
        for pane in shown.values():
            channel = s.sim.world.channels[pane.channel_id]
            assert len(pane.jobs) <= channel.max_jobs + 2, "a pane keeps the running jobs, not every job it saw"
            assert set(pane.details) <= set(pane.jobs) and set(pane.new_until) <= set(pane.jobs)
            assert pane.row_count == len(pane.jobs)


def assert_journal_intact(s: Session, journal: Journal) -> None:
    """After the app exited (its writer flushed and closed): the file is sound and holds what was seen."""
    with journal._lock:
        assert journal._conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    entries = journal.history(limit=None)
    recorded = defaultdict(set)
    for entry in entries:
        recorded[entry.account].add(entry.job_id)
    for name in s.sim.world.accounts:
        seen = s.recorder.seen[s.token(name)]
        assert seen, f"{name}: no valid running list was ever served"
        missing = seen - recorded[name]
        assert not missing, f"{name}: {len(missing)} jobs the dashboard was shown are not in the journal"
    finished = [entry for entry in entries if entry.final_status is not None]
    statuses = Counter(entry.final_status for entry in finished)
    assert statuses["completed"] and statuses["failed"] + statuses["moderated"], statuses
    for entry in finished:
        assert entry.record is not None and entry.record.get("jobid") == entry.job_id


def tui_memory(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes held by the dashboard's own objects (Textual, Rich, the TUI, its client and monitor), not the simulator's."""
    keep = [tracemalloc.Filter(True, f"*{part}*") for part in ("textual", "rich", "mjtui/tui", "mjtui/monitor", "mjtui/api")]
    return sum(stat.size for stat in snapshot.filter_traces(keep).statistics("filename"))


# -- one short test per fault: what the user sees, and the recovery -----------------------------------


RETRYING = [
    pytest.param(FaultProfile(rate_limit=1.0, retry_after=15.0), "429 Too Many Requests", id="rate_limit-429-with-retry-after"),
    pytest.param(FaultProfile(server_error=1.0), "Upstream Error", id="server_error-500-502"),
    pytest.param(FaultProfile(timeout=1.0, hang_seconds=HANG), "no answer in time", id="timeout"),
    pytest.param(FaultProfile(drop=1.0), "connection lost", id="drop-connection"),
    pytest.param(FaultProfile(malformed=1.0), "not JSON", id="malformed-json"),
    pytest.param(FaultProfile(schema=1.0), "unexpected answer", id="schema-violating-json"),
]


@pytest.mark.parametrize(("fault", "reason"), RETRYING)
async def test_a_failed_poll_shows_retrying_keeps_the_last_jobs_and_recovers(clock, caplog, fault, reason):
    caplog.set_level(logging.WARNING, logger="mjtui")
    async with running(clock, FaultProfile(), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        app = s.app
        shown = {channel: set(pane.rows) for channel, pane in panes(app).items()}
        assert health_words(app) == "live" and all(shown.values())
        s.injector.profile = fault
        await s.run(REFRESH)
        assert health_words(app).startswith("retrying in "), header(app)
        assert "1 error" in header(app)
        assert not banner(app).has_class("-visible"), "a passing fault is not a halt"
        assert {channel: set(pane.rows) for channel, pane in panes(app).items()} == shown, "the last good jobs stay"
        assert any(reason in record.getMessage() for record in caplog.records), "the reason is logged"
        failed = s.recorder.polls(s.token())[-1]
        assert len(failed.gets) == GET_ATTEMPTS, "one list GET per poll: the poll loop, not the client, retries"
        if fault.rate_limit:
            retry_in = int(re.search(r"retrying in (\d+)s", header(app)).group(1))
            wait = max(REFRESH, fault.retry_after)  # never sooner than the interval, nor than Retry-After
            assert retry_in == wait - (s.clock.now() - failed.at), "the wait honours Retry-After and the interval"
        s.injector.profile = FaultProfile()
        retry_at = app.accounts["main"].status.retry_at
        await s.run(retry_at - s.clock.now() + STEP)
        assert health_words(app) == "live"
        assert "1 error" in header(app), "the error count remembers the fault"
        if fault.rate_limit:
            first_after = next(p for p in s.recorder.polls(s.token()) if p.at > failed.at)
            assert first_after.at - failed.at >= fault.retry_after, "not polled before the Retry-After"


async def test_slow_answers_keep_the_account_live_and_show_the_latency(clock):
    async with running(clock, FaultProfile(slow=1.0, slow_seconds=0.06), before=lambda sim: submit_jobs(sim, clock),
                       **QUIET) as s:
        await s.run(3 * REFRESH)
        assert health_words(s.app) == "live"
        latency = int(re.search(r"· (\d+) ms ·", header(s.app)).group(1))
        assert latency >= 60, header(s.app)
        assert "0 errors" in header(s.app)


async def test_a_job_that_vanishes_shows_as_gone_and_reappears_in_its_pane(clock):
    async with running(clock, FaultProfile(), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        app, world = s.app, s.sim.world
        vanished: list[str] = []

        def once(jobid: str) -> None:
            vanished.append(jobid)
            s.injector.profile = FaultProfile()  # one job vanishes, at the next request

        s.vanishing.then = once
        s.injector.profile = FaultProfile(vanish=1.0)
        await s.run(REFRESH)
        (jobid,) = vanished
        job = s.vanishing.gone[0][1]
        assert all(jobid not in pane.rows for pane in panes(app, job.account).values())
        finished = app.query_one(FinishedTable)
        assert finished.get_cell(jobid, "status").plain == "gone"
        assert "404" in finished.get_cell(jobid, "note").plain
        assert s.vanishing.reappear(older_than=world.now) == [jobid]
        await s.run(REFRESH)
        assert jobid in panes(app, job.account)[job.channel].rows, "back in its channel's pane"
        await s.run(job.finish_at - world.now + 2 * REFRESH)
        assert finished.get_cell(jobid, "status").plain == "completed", "the final fetch settles it"


async def test_401_mid_session_halts_that_account_only_until_the_token_is_fixed_and_ctrl_r(clock):
    async with running(clock, FaultProfile(revoke_after=30.0), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        app = s.app
        await s.run(40, react=False)
        assert health_words(app) == "unauthorized"
        assert banner(app).has_class("-visible") and "press ctrl+r" in plain(banner(app))
        assert health_words(app, "alt1") == "live", "the other account carries on"
        gets = len(s.recorder.lists(s.token()))
        await s.run(5 * REFRESH, react=False)
        assert len(s.recorder.lists(s.token())) == gets, "a halted account is not polled"
        assert health_words(app, "alt1") == "live"
        s.sim.world.accounts["main"].revoked = False
        await s.press("ctrl+r")
        assert health_words(app) == "live" and not banner(app).has_class("-visible")


async def test_596_mid_session_halts_behind_a_banner_and_a_confirmed_reset_resumes(clock):
    async with running(clock, FaultProfile(moderation_after=30.0), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        app, world = s.app, s.sim.world
        halted = next(iter(world.channels))
        await s.run(40, react=False)
        assert health_words(app) == "moderation pending"
        assert f"Moderation pending on channel {halted}" in plain(banner(app))
        assert health_words(app, "alt1") == "live"
        await s.press("R")
        assert isinstance(app.screen, ConfirmScreen), "a reset is confirmed first"
        assert halted in plain(app.screen.query_one("#question", Static))
        assert world.channels[halted].pending_mod, "nothing is sent before yes"
        await s.press("y")
        assert not world.channels[halted].pending_mod, "the reset reached the service"
        assert health_words(app) == "live" and not banner(app).has_class("-visible")
        assert ("POST", f"/v2/account/midjourney/{halted}/reset") in {(m, p) for m, p, _ in s.recorder.others}


async def test_a_job_id_listed_on_two_channels_is_shown_on_both_and_finishes_once(clock):
    journal = Journal(":memory:", clock=clock)
    async with running(clock, FaultProfile(), journal=journal, before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        s.duplicate_a_job()
        jobid, source, target = s.duplicate
        await s.run(REFRESH)
        s.check_duplicate()
        assert s.duplicate_shown
        gauges = panes(s.app)[target].gauges.jobs.render().plain
        assert gauges.endswith(f"{len(s.sim.world.channels[target].running)}/3 FULL"), gauges
        s.undo_duplicate()
        await s.run(REFRESH)
        assert jobid in panes(s.app)[source].rows and jobid not in panes(s.app)[target].rows
        job = s.sim.world.jobs[jobid]
        await s.run(job.finish_at - s.sim.world.now + REFRESH)
        finished = s.app.query_one(FinishedTable)
        assert finished.ordered_keys.count(jobid) == 1
        assert finished.get_cell(jobid, "status").plain == "completed"
        assert all(jobid not in pane.rows for pane in panes(s.app).values())
    entry = journal.entry("main", jobid)
    assert entry is not None and entry.final_status == "completed"


@pytest.mark.parametrize("skew", [-300.0, 300.0], ids=["service-5-min-behind", "service-5-min-ahead"])
async def test_clock_skew_does_not_change_elapsed_times(clock, skew):
    async with running(clock, FaultProfile(), skew=skew, **QUIET) as s:
        world = s.sim.world
        channel = next(iter(world.channels.values()))
        job = world.submit(world.accounts[channel.account], "a skewed lighthouse", channel.id)
        await s.run(30)
        pane = panes(s.app, channel.account)[channel.id]
        served = world.now - job.created
        shown = pane.get_cell(job.jobid, "elapsed").plain
        assert shown == f"{int(served) // 60}:{int(served) % 60:02d}", "elapsed is the service's count, not our clock's"


# -- a failing service: how often it is asked -----------------------------------------------------------


async def test_a_failing_service_is_not_polled_more_often_than_the_interval(clock):
    async with running(clock, FaultProfile(), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        s.injector.profile = FaultProfile(server_error=1.0)
        start = s.clock.now()
        await s.run(60, step=1.0, react=False)
        polls = [poll.at - start for poll in s.recorder.polls(s.token()) if poll.at >= start - REFRESH]
        gaps = [later - earlier for earlier, later in itertools.pairwise(polls)]
        assert min(gaps) >= REFRESH, f"polled at {polls} s (the service failing from 0 s)"


async def test_a_poll_of_a_failing_service_is_one_list_get(clock):
    async with running(clock, FaultProfile(), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        s.injector.profile = FaultProfile(server_error=1.0)
        await s.run(REFRESH, react=False)
        assert [len(poll.gets) for poll in s.recorder.polls(s.token())] == [1, 1]


async def test_after_a_five_minute_outage_polls_have_backed_off_and_it_is_live_within_the_cap(clock):
    """A failing service is asked less and less often (up to once a minute); once it is back, the
    dashboard is live by the next attempt: at most the 60 s cap (plus one step) after it recovered.

    The issue asks for "back within one interval"; with the back-off the issues also ask for (cap 60 s),
    a long outage can only be noticed as over at the next attempt. Sporadic faults (the soak) recover
    within one interval, which the soak test checks.
    """
    async with running(clock, FaultProfile(), before=lambda sim: submit_jobs(sim, clock), **QUIET) as s:
        s.injector.profile = FaultProfile(server_error=1.0)
        start = s.clock.now()
        await s.run(300, react=False)
        polls = [poll.at - start for poll in s.recorder.polls(s.token()) if poll.at >= start]
        gaps = [later - earlier for earlier, later in itertools.pairwise(polls)]
        assert gaps and min(gaps) >= REFRESH and max(gaps) <= BACKOFF_CAP, gaps
        assert gaps[-1] > 3 * REFRESH, f"the waits grew: {gaps}"
        s.injector.profile = FaultProfile()
        await s.run(BACKOFF_CAP + STEP, react=False)
        assert health_words(s.app) == "live", header(s.app)


# -- the soak -----------------------------------------------------------------------------------------


def soak_faults(hours: float) -> FaultProfile:
    return FaultProfile(
        rate_limit=0.03, retry_after=15.0,  # 429 with Retry-After: the next poll waits 15 s, not the interval's 10
        server_error=0.03,  # 500 / 502
        slow=0.05, slow_seconds=0.01,
        timeout=0.004, hang_seconds=HANG,
        drop=0.02,
        malformed=0.02, schema=0.02,
        vanish=0.01,
        revoke_after=0.4 * hours * HOUR,  # 401 mid-session
        moderation_after=0.7 * hours * HOUR,  # 596 mid-session
    )


async def soak(clock: ManualClock, hours: float, *, measure_memory: bool = False) -> None:
    journal = Journal(":memory:", clock=clock)
    world = {"channels": 3, "accounts": 2, "max_jobs": 4, "speed_scale": 6.0, "warmup": 1200.0}
    async with running(clock, soak_faults(hours), journal=journal, skew=-97.0, **world) as s:
        start = clock.now()
        every = 6 * HOUR  # a long soak gets a 401 and a 596 again every 6 hours
        next_incident = start + every
        incidents = 0
        memory: list[int] = []

        def each_step() -> None:
            nonlocal next_incident, incidents
            elapsed = clock.now() - start
            if s.duplicate is None and elapsed >= 0.15 * hours * HOUR:
                s.duplicate_a_job()
            if elapsed >= 0.3 * hours * HOUR:
                s.undo_duplicate()
            s.check_duplicate()
            s.vanishing.reappear(older_than=s.sim.world.now - 2 * REFRESH)
            s.check_reappeared()
            if clock.now() >= next_incident:
                sim_world = s.sim.world
                (sim_world.schedule_revoke if incidents % 2 == 0 else sim_world.schedule_moderation)(60.0)
                incidents += 1
                next_incident += every / 2
            if measure_memory and elapsed >= (len(memory) + 1) * hours * HOUR / 6:
                memory.append(tui_memory(tracemalloc.take_snapshot()))

        if measure_memory:
            tracemalloc.start()
        try:
            await s.run(hours * HOUR, each_step=each_step)
        finally:
            tracemalloc.stop()
        injected = s.injector.injected
        for fault in ("rate_limit", "server_error", "slow", "timeout", "drop", "malformed", "schema", "vanish"):
            assert injected.get(fault, 0) > 0, f"the soak never injected {fault}: {injected}"
        assert s.halts["401"] >= 1 and s.halts["596"] >= 1, f"a 401 and a 596 mid-session: {dict(s.halts)}"
        assert {"live", "retrying", "unauthorized", "moderation"} <= s.words_seen, s.words_seen
        assert s.duplicate_shown, "the job listed on two channels was shown in both panes"
        assert s.vanishing.returned and s.reappeared_shown, "vanished jobs came back and were shown again"
        assert_polls_never_overlap(s)
        assert_rate_within_the_interval(s)
        await assert_back_to_live_within_one_interval(s)
        assert_memory_bounded(s)
        if measure_memory:  # a sample every sixth of the run; by the second, the finished list and caches are full
            baseline, later = memory[1], memory[2:]
            assert max(later) <= 1.1 * baseline + 1_000_000, f"the dashboard's memory kept growing: {memory}"
    assert_journal_intact(s, journal)


@pytest.fixture
def quiet_log(caplog: pytest.LogCaptureFixture) -> None:
    """Only errors from mjtui's log: pytest keeps every record of a test, and each failed poll's warning
    holds its exception (and that its traceback's frames) until the test ends, which over simulated hours
    is memory the dashboard itself does not keep."""
    caplog.set_level(logging.ERROR, logger="mjtui")


async def test_hours_of_mixed_faults_leave_the_dashboard_live_polite_bounded_and_its_journal_intact(clock, quiet_log):
    await soak(clock, hours=1)


@pytest.mark.soak
async def test_seventy_two_hours_of_mixed_faults(clock, quiet_log):
    await soak(clock, hours=72, measure_memory=True)
