"""What the configuration must know of each service mjtui speaks, and nothing that talks to one.

Read by `mjtui.config` at start-up, before the network stack is imported: this module imports
neither httpx nor `mjtui.providers` (those make the connections, later).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ProviderName = Literal["useapi", "imaginepro", "midjourney-proxy"]  # a config's `provider = "..."`
Flavor = Literal["trueai", "plus", "original"]  # a midjourney-proxy gateway's dialect

USEAPI_ORIGIN = "https://api.useapi.net"
IMAGINEPRO_ORIGIN = "https://api.imaginepro.ai"
MJPROXY_EXAMPLE_ORIGIN = "http://127.0.0.1:8086"  # trueai's docker default; named in messages, never assumed


@dataclass(frozen=True, slots=True)
class Kind:
    """One `provider = "..."` value: where it lives, where its token comes from, what else its table needs."""

    name: ProviderName
    default_origin: str | None  # None: self-hosted, so `base_url` is required
    token_env: str  # the environment variable a starter config reads the token from
    needs_token_id: bool = False  # ImaginePro sends commands as a linked Discord account, named by an integer
    has_flavor: bool = False  # `flavor = "..."` chooses among dialects of one protocol
    path_suffixes: tuple[str, ...] = ("/api/v1", "/v1", "/v2", "/v3")  # copied from docs; mjtui appends its own

    @property
    def example_origin(self) -> str:
        """An origin to show in a message about `base_url`."""
        return self.default_origin or MJPROXY_EXAMPLE_ORIGIN


PROVIDER_KINDS: dict[str, Kind] = {
    kind.name: kind for kind in (
        Kind("useapi", USEAPI_ORIGIN, "USEAPI_TOKEN"),
        Kind("imaginepro", IMAGINEPRO_ORIGIN, "IMAGINEPRO_TOKEN", needs_token_id=True),
        Kind("midjourney-proxy", None, "MJPROXY_TOKEN", has_flavor=True,
             path_suffixes=("/mj", "/api/v1", "/v1", "/v2", "/v3")),
    )
}
