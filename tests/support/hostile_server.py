"""A hostile HTTP server on loopback, for tests: it answers every request with the same attack.

It runs its own asyncio loop on a thread, so an in-process client and a `mjtui` subprocess can both
be pointed at it. The attacks are those of issue 14: a gzip bomb, an endless chunked body, a drip; and a slow but steady link.
"""

from __future__ import annotations

import asyncio
import threading
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

MB = 1024 * 1024
Attack = Callable[[asyncio.StreamWriter], Awaitable[None]]


def gzip_bomb(megabytes: int) -> bytes:
    """A gzip body that inflates to `megabytes` MB of zeros from about a thousandth of that.

    Each MB is the same deflate segment (a full flush resets the dictionary), so it costs nothing to
    build; the trailer's checksum is wrong, which only a client that read it all would notice.
    """
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MB)
    head = squeeze.compress(zeros) + squeeze.flush(zlib.Z_FULL_FLUSH)
    segment = squeeze.compress(zeros) + squeeze.flush(zlib.Z_FULL_FLUSH)
    return head + segment * (megabytes - 1) + squeeze.flush()


def bomb(megabytes: int = 512) -> Attack:
    """A 200 whose gzip body inflates to `megabytes` MB (half a MB on the wire for the default half GB)."""
    body = gzip_bomb(megabytes)

    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(f"Content-Encoding: gzip\r\nContent-Length: {len(body)}") + body)
        await writer.drain()

    return answer


def endless(status: str = "200 OK", chunk: int = 64 * 1024, most: int = 512 * MB) -> Attack:
    """A chunked body that does not end (until `most` bytes: a client without a cap fails its test, not the machine)."""
    piece = f"{chunk:x}\r\n".encode() + b" " * chunk + b"\r\n"

    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(_head("Transfer-Encoding: chunked", status))
        for _ in range(most // chunk):
            writer.write(piece)
            await writer.drain()

    return answer


def drip(interval: float, seconds: float, piece: int = 1) -> Attack:
    """A 200 announcing a body of spaces it sends `piece` bytes each `interval`, for `seconds` in all."""
    return trickle(b" " * (int(seconds / interval) * piece), piece, interval)


def trickle(body: bytes, piece: int, interval: float) -> Attack:
    """A 200 announcing `body`, then sending it `piece` bytes each `interval`: a slow link, or a drip."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(f"Content-Length: {len(body)}"))
        for start in range(0, len(body), piece):
            await writer.drain()
            await asyncio.sleep(interval)
            writer.write(body[start:start + piece])
        await writer.drain()

    return answer


def answer(status: str, extra: str, body: bytes) -> Attack:
    """A plain answer: `status` ("429 Too Many Requests"), extra header lines, and `body`."""

    async def send(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(f"{extra}\r\nContent-Length: {len(body)}", status) + body)
        await writer.drain()

    return send


def _head(extra: str, status: str = "200 OK") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}\r\nConnection: close\r\n\r\n".encode()


@dataclass
class HostileServer:
    """`with HostileServer(bomb()) as server:` then point a client at `server.url`; `server.requests` lists what came."""

    attack: Attack
    requests: list[str] = field(default_factory=list)
    url: str = ""
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _thread: threading.Thread | None = None
    _stop: asyncio.Event | None = None
    _handlers: set[asyncio.Task] = field(default_factory=set)

    def __enter__(self) -> HostileServer:
        started = threading.Event()

        async def serve() -> None:
            self._stop = asyncio.Event()
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            started.set()
            async with server:
                await self._stop.wait()
                for task in self._handlers:
                    task.cancel()
                await asyncio.gather(*self._handlers, return_exceptions=True)

        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(serve(),), daemon=True)
        self._thread.start()
        assert started.wait(10), "the hostile server did not start"
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._thread is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._handlers.add(asyncio.current_task())
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.requests.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
            await self.attack(writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client hung up, or the server is stopping: the attack is over
        finally:
            writer.close()
