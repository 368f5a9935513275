"""A simulated midjourney-proxy gateway (trueai, plus or the original), for tests, the demo and `mjtui sim`.

Written from the midjourney-proxy protocol notes (shared/api/), never from the client (`mjtui.api`).
In tests::

    clock = ManualClock()
    sim = ProxySimulator.build(flavor="trueai", clock=clock, accounts=3, autopilot=False, seed=7)
    http = httpx.Client(transport=sim.transport(), base_url=SIM_ORIGIN,
                        headers={"mj-api-secret": sim.admin_token})
    http.post("/mj/submit/imagine", json={"prompt": "a red fox"})   # {"code": 1, "result": "<task id>", ...}
    clock.advance(30)                                               # the world moves on the next request
    sim.requests                  # Counter: answered requests per route, e.g. sim.requests["POST /mj/admin/accounts"]
    sim.reset_requests()          # start counting afresh (one poll's cost)

`build` options (all keyword): `flavor` ("trueai" | "plus" | "original"), `clock`, `faults` (a profile
name or spec, as `mjtui sim --faults`), and the world's: `seed`, `accounts` (pool size, 50 is cheap),
`locked` (how many of the last accounts start locked/disabled, default 1), `core_size`, `queue_size`
(default: varied cores, queue 10), `autopilot` (a simulated user keeps the pool busy; False in
tests that submit their own work), `load`, `speed_scale`, `fail_rate`, `timeout_rate`, `warmup`,
`retain_finished`. `sim.world.accounts` (by account id: a GUID on trueai, the channel id
elsewhere) and `sim.world.tasks` are the state, for assertions.
Tokens: `admin_token` (trueai's ADMIN role: the /mj/admin API and cancel) and `user_token`; the
Java dialects accept both in `mj-api-secret`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Unpack

from mjtui.clock import Clock
from mjtui.sim.faults import FaultProfile
from mjtui.sim.proxy.app import create_proxy_app
from mjtui.sim.proxy.world import FLAVORS, ProxyWorld, ProxyWorldOptions
from mjtui.sim.transport import SimTransport


@dataclass
class ProxySimulator:
    """A midjourney-proxy world and its HTTP face, ready to hand to a client in-process or to serve over TCP."""

    world: ProxyWorld
    faults: FaultProfile = field(default_factory=FaultProfile)

    def __post_init__(self) -> None:
        self.app = create_proxy_app(self.world, self.faults)

    @classmethod
    def build(cls, *, flavor: str = "trueai", clock: Clock | None = None, faults: str | FaultProfile | None = None,
              **world_options: Unpack[ProxyWorldOptions]) -> ProxySimulator:
        """A simulator of one dialect; ValueError for an unknown flavor or fault profile."""
        profile = faults if isinstance(faults, FaultProfile) else FaultProfile.parse(faults)
        return cls(ProxyWorld(flavor=flavor, clock=clock, **world_options), profile)

    def transport(self) -> SimTransport:
        """An httpx transport into this simulator; use with base URL `mjtui.sim.SIM_ORIGIN`."""
        return SimTransport(self.app)

    @property
    def flavor(self) -> str:
        return self.world.flavor

    @property
    def admin_token(self) -> str:
        return self.world.admin_token

    @property
    def user_token(self) -> str:
        return self.world.user_token

    @property
    def requests(self) -> Counter[str]:
        """Answered requests per route ("POST /mj/admin/tasks"); unrouted ones count as "unmatched"."""
        return self.world.requests

    def reset_requests(self) -> None:
        self.world.requests.clear()


__all__ = ["FLAVORS", "ProxySimulator", "ProxyWorld"]
