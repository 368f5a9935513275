"""The services mjtui speaks, behind one interface (`Provider`); front ends import only this package.

`KINDS` maps a config's `provider = "..."` to its implementation; `open_provider` builds one.
"""

from __future__ import annotations

import httpx

from mjtui.api.client import DEFAULT_TIMEOUT
from mjtui.providers.base import Capability, NotSupported, Polled, Provider, Sent
from mjtui.providers.imaginepro import ImaginePro
from mjtui.providers.midjourney_proxy import MidjourneyProxy
from mjtui.providers.useapi import Useapi

KINDS: dict[str, type[Provider]] = {cls.kind: cls for cls in (Useapi, ImaginePro, MidjourneyProxy)}


def open_provider(kind: str, account: str, token: str, origin: str, *, timeout: float = DEFAULT_TIMEOUT,
                  transport: httpx.AsyncBaseTransport | None = None, token_id: int | None = None,
                  flavor: str | None = None) -> Provider:
    """The provider `kind` (a config's `provider` value) for `account`, talking to `origin`."""
    return KINDS[kind].open(account, token, origin, timeout=timeout, transport=transport, token_id=token_id,
                            flavor=flavor)


__all__ = ["KINDS", "Capability", "NotSupported", "Polled", "Provider", "Sent", "open_provider"]
