"""useapi.net's Midjourney API (v2 jobs, v3 running list): the reference protocol and the simulator's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

import httpx

from mjtui.api.client import DEFAULT_TIMEOUT, UseapiClient
from mjtui.api.models import Command, Job
from mjtui.monitor.snapshot import snapshot_of
from mjtui.providers.base import Capability, Polled, Provider, Sent


class Useapi(Provider):
    kind = "useapi"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.RUNNING_LIST, Capability.JOB_DETAIL, Capability.MODES, Capability.INFO, Capability.CANCEL,
        Capability.SEED, Capability.RESET, Capability.PRESS,
    })
    client: UseapiClient

    @classmethod
    def open(cls, account: str, token: str, origin: str, *, timeout: float = DEFAULT_TIMEOUT,
             transport: httpx.AsyncBaseTransport | None = None, token_id: int | None = None,
             flavor: str | None = None) -> Useapi:
        return cls(account, UseapiClient(token, origin, timeout=timeout, transport=transport))

    async def poll(self, now: Callable[[], float], known_channels: Iterable[str] = ()) -> Polled:
        running = await self.client.running_jobs()
        return Polled(snapshot_of(running, now(), known_channels), running.dump)

    async def job(self, job_id: str) -> Job:
        return await self.client.job(job_id)

    async def command(self, cmd: Command, channel: str | None) -> Sent:
        job = await self.client.command(cmd, channel)
        return Sent(content=job.content, status=job.status, error=job.error, document=job.dump())

    async def cancel(self, job_id: str) -> None:
        await self.client.cancel(job_id)

    async def seed(self, job_id: str) -> Job:
        return await self.client.seed_async(job_id)

    async def reset(self, channel: str) -> None:
        await self.client.reset(channel)

    async def press(self, job_id: str, button: str, prompt: str | None = None) -> Job:
        return await self.client.button(job_id, button, prompt)
