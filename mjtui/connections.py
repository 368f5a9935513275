"""From configuration to a ready client: one place that knows how accounts become connections.

The CLI and the dashboard both ask for a `Connection`; `--demo` gets one wired
to an in-process simulator instead of the network.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mjtui.api.client import BaseClient
from mjtui.clock import Clock, ScaledClock
from mjtui.config import AccountConfig, Config, ConfigError
from mjtui.providers import Provider, open_provider

if TYPE_CHECKING:  # the simulator (Starlette) is imported only for --demo and tests, not on every start
    from mjtui.sim import Simulator

DEMO_SEED = 2026
DEMO_GATEWAY = "gateway"  # the demo's midjourney-proxy account: a trueai gateway with a pool of four, one locked


@dataclass
class Connection:
    """One account's service (its provider, with a client of its own), with what the user called it."""

    name: str
    service: Provider
    account: AccountConfig | None = None
    simulator: Simulator | None = None
    secret: str = field(default="", repr=False)  # the token, only so logs can mask it

    @property
    def provider(self) -> str:
        """The config's name for the service: "useapi", "imaginepro"."""
        return self.service.kind

    @property
    def client(self) -> BaseClient:
        return self.service.client

    def channel_name(self, channel_id: str) -> str:
        return self.account.channel_name(channel_id) if self.account else channel_id

    async def aclose(self) -> None:
        await self.service.aclose()


def open_connection(
    config: Config,
    name: str | None = None,
    *,
    base_url: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Connection:
    """A client for the named (or default) account; ConfigError when it cannot be built."""
    account_name, account = config.account(name)
    token = account.resolve_token(environ)
    origin = (base_url or account.origin).rstrip("/")
    service = open_provider(account.provider, account_name, token, origin, timeout=account.timeout,
                            token_id=account.token_id, flavor=account.flavor)
    return Connection(account_name, service, account=account, secret=token)


def open_connections(
    config: Config, names: list[str], *, base_url: str | None = None, environ: Mapping[str, str] = os.environ
) -> tuple[list[Connection], dict[str, tuple[str, str]]]:
    """A connection per named account, and for each that cannot have one, its provider and why (a config problem)."""
    connections: list[Connection] = []
    problems: dict[str, tuple[str, str]] = {}
    for name in names:
        try:
            connections.append(open_connection(config, name, base_url=base_url, environ=environ))
        except ConfigError as exc:
            problems[name] = (config.accounts[name].provider, str(exc))
    return connections, problems


DEMO_LOAD = 0.6  # busy, full about a third of the time: a button pressed in the demo finds a free slot two times in three


def demo_simulator(*, clock: Clock | None = None, seed: int = DEMO_SEED, speed: float = 1.0) -> Simulator:
    """The world `--demo` shows: two useapi accounts, an ImaginePro one and a midjourney-proxy gateway, already busy."""
    from mjtui.sim import Simulator
    from mjtui.sim.proxy import ProxySimulator

    clock = clock or ScaledClock(speed)
    simulator = Simulator.build(
        clock=clock,
        seed=seed,
        channels=5,
        accounts=2,
        imaginepro=True,
        warmup=150.0,
        load=DEMO_LOAD,
    )
    simulator.gateways[DEMO_GATEWAY] = ProxySimulator.build(flavor="trueai", clock=clock, seed=seed, accounts=4,
                                                            warmup=150.0)
    return simulator


def demo_accounts(simulator: Simulator) -> list[str]:
    """The demo's account names, in the dashboard's order."""
    return [*simulator.world.accounts, *simulator.gateways]


def demo_connection(simulator: Simulator, name: str | None = None) -> Connection:
    """A client for one of the simulator's accounts, talking to it in-process."""
    from mjtui.sim import SIM_ORIGIN

    accounts = simulator.world.accounts
    account_name = name or next(iter(accounts))
    gateway = simulator.gateways.get(account_name)
    if gateway is not None:
        service = open_provider("midjourney-proxy", account_name, gateway.admin_token, SIM_ORIGIN,
                                transport=gateway.transport(), flavor=gateway.flavor)
        return Connection(account_name, service, simulator=simulator, secret=gateway.admin_token)
    if account_name not in accounts:
        names = ", ".join(demo_accounts(simulator))
        raise ConfigError(f"no account named {account_name!r} in the demo (accounts: {names})")
    account = accounts[account_name]
    token_id = simulator.world.channels[account.channels[0]].token_id if account.channels else None
    service = open_provider(account.provider, account_name, account.token, SIM_ORIGIN,
                            transport=simulator.transport(), token_id=token_id)
    return Connection(account_name, service, simulator=simulator, secret=account.token)
