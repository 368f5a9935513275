"""`mjtui sim --port N` over real TCP."""

from __future__ import annotations

import asyncio
import socket

from mjtui.sim.server import bind


async def test_connections_to_the_simulator_send_small_writes_at_once() -> None:
    """Nagle's algorithm off on every connection the simulator accepts.

    uvicorn writes an answer's headers and its body separately; with Nagle on, the body waited for the client's
    delayed ACK of the headers, and every poll after the first on a kept-alive connection took 40 ms more.
    asyncio turns Nagle off only on a socket whose protocol is TCP, so it depends on how `bind` makes the socket.
    """
    listening = bind("127.0.0.1", 0)
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
    try:
        port = listening.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(accepted, 10) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
