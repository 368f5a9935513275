"""The worlds the benchmarks run against: small, large and churn, and a quiet one for idle measures."""

from __future__ import annotations

from dataclasses import dataclass

import mjtui.sim.world
from mjtui.clock import Clock, ManualClock, SystemClock
from mjtui.sim import Simulator

SEED = 7
WARMUP = 300.0  # simulated seconds before the dashboard starts: every channel is busy


@dataclass(frozen=True)
class Scenario:
    """A simulated service, described by the options of `Simulator.build`."""

    name: str
    channels: int
    accounts: int
    max_jobs: int
    load: float = 2.0  # twice the work the slots can take: channels stay full
    speed_scale: float = 1.0  # job durations scale with it (mean 50 s at 1.0)
    retain_finished: int = 2_000  # the service's history; small, so its own memory stays flat

    @property
    def slots(self) -> int:
        return self.channels * self.max_jobs

    def describe(self) -> str:
        return (f"{self.channels} channels x {self.max_jobs} jobs over {self.accounts} account"
                f"{'s' if self.accounts != 1 else ''}, load {self.load:g}, speed_scale {self.speed_scale:g}")

    def build(self, clock: Clock | None = None, *, warmup: float = WARMUP, **options) -> Simulator:
        skip_drawing_images()
        settings = {
            "seed": SEED, "channels": self.channels, "accounts": self.accounts, "max_jobs": self.max_jobs,
            "load": self.load, "speed_scale": self.speed_scale, "warmup": warmup, "retain_finished": self.retain_finished,
        }
        settings.update(options)
        return Simulator.build(clock=clock or ManualClock(), **settings)


SMALL = Scenario("small", channels=3, accounts=1, max_jobs=3)
LARGE = Scenario("large", channels=100, accounts=4, max_jobs=12)
# Jobs last 5-10 s against a 10 s poll: every poll sees jobs start and finish on every channel.
CHURN = Scenario("churn", channels=4, accounts=2, max_jobs=3, speed_scale=0.15)
SCENARIOS = (SMALL, LARGE, CHURN)


def quiet(scenario: Scenario, clock: Clock | None = None, *, lifetime: float = 6 * 3600.0,
          age: float = 600.0) -> Simulator:
    """Every slot of `scenario` busy with a job that runs for hours, and no simulated user.

    Nothing changes on the service for `lifetime` seconds, but each job has been
    running for up to `age` seconds, so its elapsed clock ticks on screen.
    """
    clock = clock or SystemClock()
    start = clock.now()
    staging = ManualClock(start - age)
    sim = scenario.build(staging, warmup=0.0, autopilot=False, fail_rate=0.0, moderation_rate=0.0,
                         speed_scale=lifetime / 50.0)
    world = sim.world
    for index, channel in enumerate(world.channels.values()):
        account = world.accounts[channel.account]
        for slot in range(scenario.max_jobs):
            staging.advance(age / (scenario.slots + 1))
            world.advance()
            world.submit(account, f"quiet job {index}.{slot}", channel.id)
    world.clock = clock  # from here on the world follows the caller's clock
    world.advance()
    return sim


_PNG = b"\x89PNG\r\n\x1a\n" + bytes(1024)


def skip_drawing_images() -> None:
    """The world draws a real PNG for each finished job only to put its byte size in the job record.

    The first few hundred take 2-3 s per process, which is the simulator's time, not the
    dashboard's; nothing here looks at images, so the records get a fixed 1 KB size instead.
    """
    mjtui.sim.world.png_for = lambda key, index, size: _PNG
