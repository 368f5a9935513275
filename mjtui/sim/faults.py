"""Fault injection for the simulator: what a flaky proxy, a busy Discord and a bad network do.

A `FaultProfile` says how often each fault happens; `FaultInjector` is ASGI
middleware that draws from a seeded RNG on every API request and acts:
answers 429 with Retry-After, 500/502, answers slowly, hangs past the
client's timeout, drops the connection mid-answer, sends malformed or
schema-violating JSON, or makes a running job vanish. Some answers are
rewritten on a rhythm: a running list now and then empty (flapping) or
stale (a lagging cache), an ImaginePro message stuck at PROCESSING. Timed
incidents (a token revoked, a moderation halt) are scheduled on the world's clock.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, Protocol

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Faultable(Protocol):
    """What the faults need of a simulated service (the useapi world, the midjourney-proxy world)."""

    seed: int

    def vanish(self) -> str | None: ...

    def schedule_revoke(self, after: float, account: str = ...) -> None: ...

    def schedule_moderation(self, after: float, channel: str | None = None) -> None: ...


class ConnectionDropped(Exception):
    """Raised by the fault injector when the connection should drop mid-answer.

    In-process, `SimTransport` turns it into the error httpx raises for a
    broken connection; over TCP, `server.py` sends half an answer and closes.
    """


@dataclass(frozen=True)
class FaultProfile:
    """Per-request probabilities of each fault, and the timed incidents."""

    rate_limit: float = 0.0
    retry_after: float = 5.0
    server_error: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 1.5
    timeout: float = 0.0
    hang_seconds: float = 30.0
    drop: float = 0.0
    malformed: float = 0.0
    schema: float = 0.0
    vanish: float = 0.0
    flap_every: float = 0.0  # every Nth running list of an account lists no job at all (0: never)
    stale_every: float = 0.0  # every Nth running list of an account is the one served two lists before it
    stuck: float = 0.0  # an ImaginePro message reads PROCESSING, whatever became of it
    revoke_after: float | None = None
    moderation_after: float | None = None

    @property
    def active(self) -> bool:
        return self != FaultProfile()

    def merged(self, other: FaultProfile) -> FaultProfile:
        """This profile with every fault that `other` sets (away from the default) taken from it."""
        default = FaultProfile()
        changes = {f.name: getattr(other, f.name) for f in fields(other) if getattr(other, f.name) != getattr(default, f.name)}
        return replace(self, **changes)

    @classmethod
    def parse(cls, spec: str | None) -> FaultProfile:
        """A named profile, optionally tuned: ``flaky``, ``flaky,timeout=0.1``, ``rate_limit=0.3,retry_after=2``."""
        profile = cls()
        if not spec:
            return profile
        names = {f.name for f in fields(cls)}
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            if "=" not in part:
                if part not in PROFILES:
                    raise ValueError(f"unknown fault profile {part!r} (profiles: {', '.join(PROFILES)})")
                profile = profile.merged(PROFILES[part])
                continue
            key, _, value = part.partition("=")
            key = key.strip().replace("-", "_")
            if key not in names:
                raise ValueError(f"unknown fault {key!r} (faults: {', '.join(sorted(names))})")
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"fault {key}={value!r}: expected a number") from None
            if not math.isfinite(number) or number < 0:
                raise ValueError(f"fault {key}={value!r}: expected a finite number, not negative")
            profile = replace(profile, **{key: number})
        return profile


PROFILES: dict[str, FaultProfile] = {
    "none": FaultProfile(),
    "flaky": FaultProfile(rate_limit=0.05, server_error=0.05, slow=0.05, drop=0.02),
    "ratelimit": FaultProfile(rate_limit=0.3, retry_after=3.0),
    "slow": FaultProfile(slow=0.5, slow_seconds=2.0),
    "timeouts": FaultProfile(timeout=0.2),
    "garbage": FaultProfile(malformed=0.1, schema=0.1),
    "vanish": FaultProfile(vanish=0.1),
    "flap": FaultProfile(flap_every=2.0),
    "stale": FaultProfile(stale_every=3.0),
    "stuck": FaultProfile(stuck=1.0),
    "auth": FaultProfile(revoke_after=300.0),
    "moderation": FaultProfile(moderation_after=120.0),
    "chaos": FaultProfile(
        rate_limit=0.04, server_error=0.04, slow=0.04, timeout=0.02, drop=0.02,
        malformed=0.02, schema=0.02, vanish=0.02, revoke_after=3600.0, moderation_after=1800.0,
    ),
}


def schedule_incidents(world: Faultable, profile: FaultProfile) -> None:
    """Put the profile's timed incidents (401, 596 mid-session) on the world's clock."""
    if profile.revoke_after is not None:
        world.schedule_revoke(profile.revoke_after)
    if profile.moderation_after is not None:
        world.schedule_moderation(profile.moderation_after)


class FaultInjector:
    """ASGI middleware injecting the profile's faults into API answers (not into images)."""

    def __init__(self, app: ASGIApp, world: Faultable, profile: FaultProfile, *, seed: int = 0) -> None:
        self.app = app
        self.world = world
        self.profile = profile
        self.rng = random.Random(seed)
        self.injected: dict[str, int] = {}
        self.lists: dict[bytes, int] = defaultdict(int)  # running lists served, per token
        self.served: dict[bytes, deque[bytes]] = defaultdict(lambda: deque(maxlen=2))  # the last lists, per token

    def _roll(self, name: str, chance: float) -> bool:
        hit = chance > 0 and self.rng.random() < chance
        if hit:
            self.injected[name] = self.injected.get(name, 0) + 1
        return hit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/attachments/"):
            await self.app(scope, receive, send)
            return
        p = self.profile
        if self._roll("vanish", p.vanish):
            self.world.vanish()
        if self._roll("slow", p.slow):
            await anyio.sleep(p.slow_seconds)
        if self._roll("timeout", p.timeout):
            await anyio.sleep(p.hang_seconds)
        if self._roll("rate_limit", p.rate_limit):
            await _json(send, 429, {"error": "Too many requests, please slow down", "code": 429},
                        [(b"retry-after", str(int(p.retry_after)).encode())])
            return
        if self._roll("server_error", p.server_error):
            status = self.rng.choice((500, 502))
            await _json(send, status, {"error": "Upstream failure", "errorDetails": "Discord did not answer", "code": status})
            return
        if self._roll("drop", p.drop):
            raise ConnectionDropped()
        garble = "malformed" if self._roll("malformed", p.malformed) else "schema" if self._roll("schema", p.schema) else None
        rewrite = self._rewrite(scope)
        if garble is None and rewrite is None:
            await self.app(scope, receive, send)
            return
        status, headers, body = await _capture(self.app, scope, receive)
        if rewrite is not None and status == 200:
            body = rewrite(body)
        if garble is not None:
            body = _truncate(body) if garble == "malformed" else _violate(body, self.rng)
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        await send({"type": "http.response.start", "status": status,
                    "headers": headers + [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _rewrite(self, scope: Scope) -> Callable[[bytes], bytes] | None:
        """The rhythmic faults: how to rewrite this answer, if it is one of theirs."""
        p, path = self.profile, scope["path"]
        if path.startswith("/api/v1/message/fetch/") and self._roll("stuck", p.stuck):
            return _stuck
        if scope["method"] != "GET" or path != "/v3/midjourney/jobs" or not (p.flap_every or p.stale_every):
            return None
        token = dict(scope.get("headers") or []).get(b"authorization", b"")
        self.lists[token] += 1
        count, served = self.lists[token], self.served[token]
        if p.flap_every >= 1 and count % int(p.flap_every) == 0:
            self.injected["flap"] = self.injected.get("flap", 0) + 1
            return lambda body: EMPTY_LIST
        if p.stale_every >= 1 and count % int(p.stale_every) == 0 and len(served) == 2:
            self.injected["stale"] = self.injected.get("stale", 0) + 1
            return lambda body: served[0]

        def keep(body: bytes) -> bytes:
            served.append(body)
            return body
        return keep


async def _json(send: Send, status: int, payload: dict[str, Any], extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra_headers or [])})
    await send({"type": "http.response.body", "body": body})


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    parts: list[bytes] = []

    async def keep(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, receive, keep)
    return status, headers, b"".join(parts)


EMPTY_LIST = json.dumps({"total": 0, "images": 0, "videos": 0, "channels": {}}).encode()


def _stuck(body: bytes) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if isinstance(data, dict):
        data.update(status="PROCESSING", progress=min(int(data.get("progress") or 0), 50))
        data.pop("uri", None)
    return json.dumps(data).encode()


def _truncate(body: bytes) -> bytes:
    return body[: max(1, len(body) // 2)] if body else b"{\"total\": "


def _violate(body: bytes, rng: random.Random) -> bytes:
    """Valid JSON of the wrong shape: a documented field given a value of the wrong type."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return b"[]"
    wrong = {
        "total": "many", "channels": ["not", "an", "object"], "status": {"s": 1}, "children": "U1",
        "buttons": 7, "attachments": {"url": 1}, "maxJobs": "lots", "seed": "123", "jobid": ["x"],
    }
    present = [key for key in wrong if key in data]
    key = rng.choice(present) if present else "channels"
    data[key] = wrong[key]
    return json.dumps(data).encode()
