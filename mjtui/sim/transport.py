"""The in-process road to the simulator: httpx talking to the ASGI app with no socket."""

from __future__ import annotations

import anyio
import httpx
from starlette.types import ASGIApp

from mjtui.sim.faults import ConnectionDropped


class SimTransport(httpx.ASGITransport):
    """`httpx.ASGITransport` that behaves like a network where the faults need it to.

    It enforces the request's read timeout (ASGITransport has none, so a hung
    answer would otherwise hang the test) and turns a dropped connection into
    the error httpx raises for one over TCP.
    """

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app=app, client=("127.0.0.1", 49152))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = (request.extensions.get("timeout") or {}).get("read")
        try:
            with anyio.fail_after(timeout):
                return await super().handle_async_request(request)
        except TimeoutError:
            raise httpx.ReadTimeout("timed out waiting for the simulator's answer", request=request) from None
        except ConnectionDropped:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body",
                                            request=request) from None
