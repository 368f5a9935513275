"""Serving the simulator over TCP with uvicorn, for `mjtui sim --port N`."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from mjtui.sim import Simulator
from mjtui.sim.faults import ConnectionDropped
from mjtui.sim.proxy import ProxySimulator


class DropConnections:
    """Over TCP a dropped connection is real: half an answer, then the socket closes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except ConnectionDropped:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
            await send({"type": "http.response.body", "body": b'{"total": ', "more_body": True})
            # Returning with the body incomplete makes uvicorn close the connection.


class Distant:
    """Each request answered `seconds` late, as a service across the internet answers (a round trip
    from a laptop to a proxy's data centre is tens to hundreds of milliseconds)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.seconds > 0:
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


def bind(host: str, port: int) -> socket.socket:
    """Bind first, so the real port (for --port 0) is known before anything is printed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle off (TCP_NODELAY) only for sockets whose protocol says TCP,
    # and with Nagle on, an answer's body waited for the client's delayed ACK of its headers (40 ms a request on a
    # kept-alive connection).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(sim: Simulator | ProxySimulator, sock: socket.socket, *, log_level: str = "warning",
          on_ready: Callable[[], None] | None = None, latency: float = 0.0) -> None:
    """Serve `sim` on an already bound socket until interrupted, each answer `latency` seconds late."""
    config = uvicorn.Config(Distant(DropConnections(sim.app), latency), log_level=log_level, lifespan="off",
                            access_log=False)
    server = uvicorn.Server(config)
    if on_ready:
        on_ready()
    server.run(sockets=[sock])
