"""The services mjtui speaks, behind one interface (`Provider`); front ends import only this package.

`KINDS` maps a config's `provider = "..."` to its implementation (imported when first used); `open_provider`
builds one.
"""

from __future__ import annotations

import importlib

import httpx

from mjtui.api.client import DEFAULT_TIMEOUT
from mjtui.providers.base import Capability, NotSupported, Polled, Provider, Sent, Waiting

# kind -> (module, class): an implementation and its models are imported when an account uses it
KINDS: dict[str, tuple[str, str]] = {
    "useapi": ("mjtui.providers.useapi", "Useapi"),
    "imaginepro": ("mjtui.providers.imaginepro", "ImaginePro"),
    "midjourney-proxy": ("mjtui.providers.midjourney_proxy", "MidjourneyProxy"),
}


def provider_class(kind: str) -> type[Provider]:
    """The implementation of `kind` (a config's `provider` value)."""
    module, name = KINDS[kind]
    cls: type[Provider] = getattr(importlib.import_module(module), name)
    return cls


def open_provider(kind: str, account: str, token: str, origin: str, *, timeout: float = DEFAULT_TIMEOUT,
                  transport: httpx.AsyncBaseTransport | None = None, token_id: int | None = None,
                  flavor: str | None = None) -> Provider:
    """The provider `kind` (a config's `provider` value) for `account`, talking to `origin`."""
    return provider_class(kind).open(account, token, origin, timeout=timeout, transport=transport,
                                     token_id=token_id, flavor=flavor)


__all__ = ["KINDS", "Capability", "NotSupported", "Polled", "Provider", "Sent", "Waiting", "open_provider", "provider_class"]
