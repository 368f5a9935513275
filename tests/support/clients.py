"""Clients of the simulator's accounts, talking to it in-process (no socket)."""

from __future__ import annotations

from mjtui.api.client import ImagineProClient, UseapiClient
from mjtui.sim import SIM_ORIGIN, Simulator


def useapi_client(sim: Simulator, account: str = "main", **options) -> UseapiClient:
    """A client for one of the simulator's useapi accounts; close it with `aclose()`."""
    return UseapiClient(sim.token(account), SIM_ORIGIN, transport=sim.transport(), **options)


def imaginepro_client(sim: Simulator, **options) -> ImagineProClient:
    return ImagineProClient(sim.token("ip"), SIM_ORIGIN, transport=sim.transport(), **options)
