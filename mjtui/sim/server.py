"""Serving the simulator over TCP with uvicorn, for `mjtui sim --port N`."""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn

from mjtui.sim import Simulator
from mjtui.sim.faults import ConnectionDropped


class DropConnections:
    """Over TCP a dropped connection is real: half an answer, then the socket closes."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        try:
            await self.app(scope, receive, send)
        except ConnectionDropped:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
            await send({"type": "http.response.body", "body": b'{"total": ', "more_body": True})
            # Returning with the body incomplete makes uvicorn close the connection.


def bind(host: str, port: int) -> socket.socket:
    """Bind first, so the real port (for --port 0) is known before anything is printed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(sim: Simulator, sock: socket.socket, *, log_level: str = "warning", on_ready: Callable[[], None] | None = None) -> None:
    """Serve `sim` on an already bound socket until interrupted."""
    config = uvicorn.Config(DropConnections(sim.app), log_level=log_level, lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    if on_ready:
        on_ready()
    server.run(sockets=[sock])
