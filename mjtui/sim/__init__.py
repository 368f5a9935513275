"""A faithful, deterministic simulation of the service, for the demo, the tests and the benchmarks.

Never imports the client (`mjtui.api`): it is an independent reading of the
endpoint documents, which is what makes it a fair test of the client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Unpack

from mjtui.clock import Clock
from mjtui.sim.app import create_app
from mjtui.sim.faults import FaultProfile
from mjtui.sim.transport import SimTransport
from mjtui.sim.world import World, WorldOptions

if TYPE_CHECKING:
    from mjtui.sim.proxy import ProxySimulator

SIM_ORIGIN = "http://sim.mjtui.invalid"


@dataclass
class Simulator:
    """A world and its HTTP face, ready to hand to a client in-process or to serve over TCP."""

    world: World
    faults: FaultProfile = field(default_factory=FaultProfile)
    gateways: dict[str, ProxySimulator] = field(default_factory=dict)  # midjourney-proxy accounts served beside it (the demo's)

    def __post_init__(self) -> None:
        self.app = create_app(self.world, self.faults)

    @classmethod
    def build(cls, *, clock: Clock | None = None, faults: str | FaultProfile | None = None,
              **world_options: Unpack[WorldOptions]) -> Simulator:
        profile = faults if isinstance(faults, FaultProfile) else FaultProfile.parse(faults)
        return cls(World(clock=clock, **world_options), profile)

    def transport(self) -> SimTransport:
        """An httpx transport into this simulator; use with base URL `SIM_ORIGIN`."""
        return SimTransport(self.app)

    def token(self, account: str = "main") -> str:
        return self.world.accounts[account].token


__all__ = ["SIM_ORIGIN", "FaultProfile", "Simulator", "World"]
