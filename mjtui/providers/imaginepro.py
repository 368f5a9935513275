"""ImaginePro's DIY plan: Midjourney commands sent by the linked Discord account's token_id, followed by message."""

from __future__ import annotations

from typing import ClassVar

import httpx

from mjtui.api.client import DEFAULT_TIMEOUT, ImagineProClient
from mjtui.api.models import Command, MessageProgress
from mjtui.providers.base import Capability, NotSupported, Provider, Sent


class ImaginePro(Provider):
    kind = "imaginepro"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.MODES, Capability.INFO, Capability.CANCEL, Capability.MESSAGES,
    })
    commands_need_a_channel = False  # sent by the linked Discord account's token_id
    client: ImagineProClient

    def __init__(self, account: str, client: ImagineProClient, token_id: int | None) -> None:
        super().__init__(account, client)
        self.token_id = token_id

    @classmethod
    def open(cls, account: str, token: str, origin: str, *, timeout: float = DEFAULT_TIMEOUT,
             transport: httpx.AsyncBaseTransport | None = None, token_id: int | None = None,
             flavor: str | None = None) -> ImaginePro:
        return cls(account, ImagineProClient(token, origin, timeout=timeout, transport=transport), token_id)

    def command_target(self, channel: str | None) -> str | None:
        return None if self.token_id is None else str(self.token_id)

    async def command(self, cmd: Command, channel: str | None) -> Sent:
        if self.token_id is None:  # the config requires one: only a hand-built provider lacks it; nothing is sent
            raise NotSupported(f"account '{self.account}' has no token_id (ImaginePro needs it)")
        answer = await self.client.command(cmd, self.token_id)
        return Sent(status="sent", message_id=answer.message_id, document=answer.dump())

    async def cancel(self, job_id: str) -> None:
        await self.client.cancel(job_id)

    async def message(self, message_id: str) -> MessageProgress:
        return await self.client.message(message_id)
