"""Async HTTP clients, one per provider, over httpx.

Each client takes the provider's origin (``https://api.useapi.net``, or a
simulator's ``http://127.0.0.1:8787``) and appends the documented paths.
GETs, and POSTs that only read (sent `idempotent=True`), are retried a few times
on transport failures and 5xx answers; other POSTs and DELETEs never are, because
relax, seed and cancel are not idempotent: when their answer is lost the caller
gets `OutcomeUnknown`.

Every answer is treated as hostile: it is read streamed, at most a set number
of bytes after decompression. Each read waits at most the client's timeout; once
an answer's headers are in, its body must keep coming at MIN_ANSWER_RATE on
average (a drip fails, a large answer on a slow link does not); and the whole
call, retries included, ends within CALL_DEADLINE_FACTOR timeouts. Ids going into
paths are checked before anything is sent.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import random
import re
import ssl
import threading
import urllib.request
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Self, TypeVar
from urllib.parse import quote, urlsplit

import anyio
import httpx
from pydantic import BaseModel, ValidationError

from mjtui import __version__, secrets
from mjtui.api import errors
from mjtui.api.models import (
    COMMANDS,
    ButtonRequest,
    Command,
    CommandRequest,
    ErrorBody,
    Job,
    MessageProgress,
    NovaButtonRequest,
    NovaCommandRequest,
    NovaCommandResponse,
    RunningJobs,
    SeedRequest,
)
from mjtui.kinds import IMAGINEPRO_ORIGIN, USEAPI_ORIGIN
from mjtui.text import mask_secret
from mjtui.urls import same_origin

if TYPE_CHECKING:  # imported by the methods that use them: a useapi dashboard starts without ImaginePro's models
    from mjtui.api.imaginepro_models import Images, LinkedAccounts, MessageTrace

M = TypeVar("M", bound=BaseModel)
CANCEL_BUTTON = "Cancel Job"  # ImaginePro cancels by pressing this button, only while progress < 100
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_TIMEOUT = 15.0
MAX_IMAGE_BYTES = 16 * 1024 * 1024  # a Midjourney upscale PNG is a few MB
MAX_ANSWER_BYTES = 8 * 1024 * 1024  # a running list of 10,000 jobs is 1.8 MB as the simulator writes it
IMAGE_DEADLINE_FACTOR = 4  # an image may take four answer timeouts (60 s by default): it is up to 16 MB
MIN_ANSWER_RATE = 4 * 1024  # bytes/s a body must average after `timeout` s of grace: 32 kbit/s, below any link in use
CALL_DEADLINE_FACTOR = 8  # a call, retries included, ends within eight timeouts (2 min): a 2 MB list at 140 kbit/s
MAX_RETRY_AFTER = 3600.0  # a server asking for longer is waited on for an hour, then asked again
_RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
_ACCEPT_ENCODING = "gzip"  # what _read_capped inflates (with a bound); not br or zstd even when installed
_ENCODINGS = frozenset({"identity", "gzip"})

_tls_lock = threading.Lock()
_tls: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """How every client in this process verifies servers: the certificate store, loaded once.

    httpx loads it afresh for each client it makes (~20 ms each: four accounts, four loads).
    Built as httpx builds it (`httpx.create_ssl_context`, so SSL_CERT_FILE and SSL_CERT_DIR count).
    Shared, so one client's settings are every client's: httpcore sets the same ALPN protocols on
    it for each connection (HTTP/1.1 for all of ours); a client wanting HTTP/2 or a certificate of
    its own would need a context of its own.
    """
    global _tls
    with _tls_lock:
        if _tls is None:
            try:
                _tls = httpx.create_ssl_context()
            except (OSError, ssl.SSLError) as exc:
                where = ", ".join(f"{name}={value}" for name in ("SSL_CERT_FILE", "SSL_CERT_DIR")
                                  if (value := os.environ.get(name)))
                raise errors.CertificatesUnavailable(
                    f"cannot load the certificates that verify servers ({where + ': ' if where else ''}"
                    f"{getattr(exc, 'strerror', None) or exc})") from None
        return _tls


def load_tls_in_background() -> threading.Thread:
    """Start loading the certificate store now, on another thread, so the first client finds it ready."""

    def load() -> None:
        with contextlib.suppress(errors.CertificatesUnavailable):  # the first request that needs it says so
            tls_context()

    thread = threading.Thread(target=load, name="mjtui-tls", daemon=True)
    thread.start()
    return thread


class VerifiedTransport(httpx.AsyncBaseTransport):
    """Every request but plain http's, its server verified with `tls_context`: the certificate store is awaited (on a
    thread, never blocking the event loop) when the first such request is sent, so a client of a plain-http service (the
    simulator, a gateway on the LAN) never waits for it, and loads it only to fetch an image from an https host."""

    def __init__(self) -> None:
        self.inner: httpx.AsyncHTTPTransport | None = None

    async def ready(self) -> httpx.AsyncHTTPTransport:
        if self.inner is None:
            context = await anyio.to_thread.run_sync(tls_context)  # CertificatesUnavailable: the request says so
            if self.inner is None:  # another request may have made it meanwhile
                self.inner = httpx.AsyncHTTPTransport(verify=context)
        return self.inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await (await self.ready()).handle_async_request(request)

    async def aclose(self) -> None:
        if self.inner is not None:
            await self.inner.aclose()


def _transports(given: httpx.AsyncBaseTransport | None) -> dict[str, Any]:
    """How a client's requests go: through `given` (a test's, the simulator's); through httpx's own, which takes the
    certificate store at once, where the system names a proxy (httpx then routes each request through it); else plain
    http with no TLS, and everything else verified by a `VerifiedTransport`."""
    if given is not None:
        return {"transport": given}
    if urllib.request.getproxies():
        return {"verify": tls_context()}
    return {"transport": VerifiedTransport(), "mounts": {"http://": httpx.AsyncHTTPTransport(verify=False)}}


class BaseClient:
    """What both providers share: auth, timeouts, error mapping, GET retries."""

    default_origin: str = ""

    def __init__(
        self,
        token: str,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        get_retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = anyio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = (base_url or self.default_origin).rstrip("/")
        self.token_hint = mask_secret(token)
        secrets.remember(token)  # whatever answer echoes it, it is masked from here on
        # Which account on which service: its origin and the token's hint (the part of it shown anywhere), never a
        # value worked out from the whole token (a short one could be guessed from it by whoever reads the journal).
        self.identity = f"{self.base_url} {self.token_hint}"
        self._token, self._timeout, self._transport = token, timeout, transport  # for the httpx client, made later
        self._closed = False
        self.get_retries = get_retries
        self._sleep = sleep
        self._rng = rng or random.Random()

    @functools.cached_property
    def _http(self) -> httpx.AsyncClient:
        """Made when first needed, which waits for the certificate store only where a proxy is set (`_transports`)."""
        if self._closed:
            raise RuntimeError("the client has been closed")  # as httpx says for a closed client of its own
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers={
                **self._auth_headers(self._token),
                "Accept": "application/json",
                "Accept-Encoding": _ACCEPT_ENCODING,
                "User-Agent": f"mjtui/{__version__}",
            },
            timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 10.0)),
            follow_redirects=False,
            **_transports(self._transport),
        )

    @staticmethod
    def _auth_headers(token: str) -> dict[str, str]:
        """The headers that carry the token (sent to the API's own origin only)."""
        return {"Authorization": f"Bearer {token}"}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, token={self.token_hint!r})"

    async def aclose(self) -> None:
        self._closed = True
        if "_http" in self.__dict__:  # made: close it (one never made has nothing open)
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- the one request path ---------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: BaseModel | None = None,
        channel: str | None = None,
        endpoint: str | None = None,
        content: bytes | None = None,
        wait: float | None = None,
        idempotent: bool = False,
    ) -> httpx.Response:
        """Send a request, map failures to typed errors, retry idempotent ones, all within CALL_DEADLINE_FACTOR timeouts.

        `endpoint` names the call in errors (the documented path, without ids) when not `path` itself.
        `content` is a JSON body already encoded (instead of `body`). `wait`: a call the service answers only
        when done (a seed it asks Discord for): its answer may take that long, and it is sent once.
        `idempotent`: a POST that only reads (a query with a JSON body), retried and failing as a GET does.
        The answer comes back read in full (at most MAX_ANSWER_BYTES); any other POST or DELETE whose whole
        answer does not come in time is OutcomeUnknown.
        """
        endpoint = f"{method} {endpoint or path}"
        headers = {}
        if body is not None:
            content = json.dumps(body.model_dump(by_alias=True, exclude_none=True), ensure_ascii=False).encode()
        if content is not None:
            headers["Content-Type"] = "application/json"
        timeout = httpx.USE_CLIENT_DEFAULT if wait is None else httpx.Timeout(wait, connect=min(self._timeout, 10.0))
        request = self._http.build_request(method, path, params=params, content=content, headers=headers, timeout=timeout)
        deadline = self._timeout * CALL_DEADLINE_FACTOR if wait is None else wait + self._timeout
        read = method == "GET" or idempotent
        try:
            with _deadline(deadline, endpoint):
                return await self._attempts(request, endpoint, channel, read=read, once=wait is not None)
        except errors.ReadTimeout as late:  # a POST or DELETE reaches here only past the deadline: OutcomeUnknown
            raise _as_sent(late, read=read) from None

    async def _attempts(self, request: httpx.Request, endpoint: str, channel: str | None, *, read: bool,
                        once: bool = False) -> httpx.Response:
        """`request` sent until it succeeds: 1 + get_retries times when it only `read`s (and not `once`), else once."""
        attempts = 1 + (self.get_retries if read and not once else 0)
        for attempt in range(attempts):
            try:
                response = await self._exchange(request, endpoint, limit=MAX_ANSWER_BYTES, what="the answer",
                                                min_rate=MIN_ANSWER_RATE)
            except httpx.HTTPError as exc:
                lost = _transport_error(exc, endpoint)
                if attempt + 1 < attempts:  # the call's deadline, not the attempt's, ends the retries
                    await self._backoff(attempt)
                    continue
                raise _as_sent(lost, read=read) from None
            if response.is_success:
                return response
            refused = _api_error(response, endpoint, channel)
            if attempt + 1 < attempts and response.status_code in _RETRYABLE_STATUSES:
                await self._backoff(attempt)
                continue
            raise refused
        raise AssertionError("unreachable")  # pragma: no cover

    async def _exchange(self, request: httpx.Request, endpoint: str, *, limit: int, what: str,
                        min_rate: int = 0) -> httpx.Response:
        """Send `request` and read its answer streamed: at most `limit` bytes after decompression.

        A larger answer is AnswerTooLarge, read no further; an error's body is cut at `limit` instead,
        so its status still tells what went wrong. A body averaging under `min_rate` bytes a second (0: no
        such rule) after a timeout's grace is an httpx.ReadTimeout. Raises httpx errors as httpx does.
        """
        response = await self._http.send(request, stream=True)
        try:
            with _paced(self._timeout, min_rate, request) as came:
                body = await _read_capped(response, limit, endpoint, what, cut=not response.is_success, came=came)
        finally:
            await response.aclose()
        return _with_body(response, body)

    async def download(self, url: str, *, limit: int = MAX_IMAGE_BYTES) -> bytes:
        """GET an absolute http(s) URL, a job's image, and return at most `limit` bytes of it.

        The token is sent only to the API's own origin: images usually live on
        another host (Discord's CDN). Never retried. Raises ProtocolError for a
        URL that is not http(s) or an answer larger than `limit`, ReadTimeout when
        the whole image does not come within IMAGE_DEADLINE_FACTOR timeouts, and the
        usual ApiError / TransportError otherwise.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise errors.ProtocolError("not an http(s) URL", endpoint="GET image")
        endpoint = f"GET image from {parts.hostname}"
        request = self._http.build_request("GET", url, headers={"Accept": "image/*"})
        if not same_origin(url, self.base_url):
            for name in self._auth_headers(""):
                del request.headers[name]
        try:
            with _deadline(self._timeout * IMAGE_DEADLINE_FACTOR, endpoint):
                response = await self._exchange(request, endpoint, limit=limit, what="the image")
        except httpx.HTTPError as exc:
            raise _transport_error(exc, endpoint) from None
        if not response.is_success:
            raise _api_error(response, endpoint, None)
        return response.content

    async def _backoff(self, attempt: int) -> None:
        await self._sleep(0.5 * (2**attempt) * self._rng.uniform(0.5, 1.0))

    async def _json(self, model: type[M], method: str, path: str, *, endpoint: str | None = None, **kwargs: Any) -> M:
        response = await self._send(method, path, endpoint=endpoint, **kwargs)
        return parse_model(model, secrets.redact_json_bytes(response.content), endpoint=f"{method} {endpoint or path}")


def parse_model(model: type[M], raw: bytes | str, *, endpoint: str) -> M:
    """Validate an answer body, turning anything unexpected into a ProtocolError that names the endpoint.

    Parsing is pydantic's own JSON parser: it bounds nesting depth and rejects
    lone surrogates, so whatever it accepts can be dumped back out again.
    """
    if not raw:
        raise errors.ProtocolError("the answer was an empty body", endpoint=endpoint)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            snippet = raw[:60].decode("utf-8", "replace") if isinstance(raw, bytes) else raw[:60]
            reason = first.get("ctx", {}).get("error", first["msg"])
            raise errors.ProtocolError(f"the answer was not JSON ({reason}): {snippet!r}", endpoint=endpoint) from None
        if not first["loc"]:
            raise errors.ProtocolError("unexpected answer: expected a JSON object", endpoint=endpoint) from None
        where = ".".join(str(part) for part in first["loc"])
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise errors.ProtocolError(f"unexpected answer: {where}: {first['msg']}{more}", endpoint=endpoint) from None


@contextlib.contextmanager
def _paced(grace: float, rate: int, request: httpx.Request) -> Iterator[Callable[[int], None]]:
    """Inside, a body must come at `rate` bytes/s on average after `grace` s: else httpx.ReadTimeout.

    Yields what to call with each piece's size as it comes; each moves the deadline on (`rate` 0: no deadline).
    """
    started, received = anyio.current_time(), 0
    with anyio.CancelScope(deadline=started + grace if rate else math.inf) as scope:

        def came(size: int) -> None:
            nonlocal received
            received += size
            if rate:
                scope.deadline = started + grace + received / rate

        yield came
    if scope.cancelled_caught:
        raise httpx.ReadTimeout(f"the answer came at under {rate / 1024:g} KB/s", request=request)


@contextlib.contextmanager
def _deadline(seconds: float, endpoint: str) -> Iterator[None]:
    """The whole of what runs inside must end within `seconds`: else ReadTimeout, however slowly bytes still come."""
    try:
        with anyio.fail_after(seconds):
            yield
    except TimeoutError:
        raise errors.ReadTimeout(f"no answer in time: not complete within {seconds:g} s", endpoint=endpoint) from None


async def _read_capped(response: httpx.Response, limit: int, endpoint: str, what: str, *, cut: bool,
                       came: Callable[[int], None]) -> bytes:
    """The body of a streamed answer, gzip undone, stopping past `limit` bytes: AnswerTooLarge, or the first `limit` when `cut`.

    Memory stays near `limit` whatever the compression ratio: gzip is inflated at most `limit` + 1 bytes at a time.
    A body that cannot be decoded is a ProtocolError, or, when `cut` (an error answer, whose status tells what went
    wrong), dropped. `came` is told the size of each piece read off the wire.
    """
    encoding = response.headers.get("Content-Encoding", "").strip().lower() or "identity"
    if encoding not in _ENCODINGS:  # e.g. brotli sent though not asked for: not inflated here
        return _undecodable(f"{what} came in an encoding not asked for ({encoding[:40]})", endpoint, cut=cut)
    declared = response.headers.get("Content-Length", "")
    if not cut and declared.isdigit() and int(declared) > limit:
        raise _too_large(what, limit, endpoint)
    body = bytearray()
    try:
        async for piece in _inflated(response, gzip=encoding != "identity", step=limit + 1, came=came):
            if len(body) + len(piece) > limit:
                if cut:
                    return bytes(body + piece[: limit - len(body)])
                raise _too_large(what, limit, endpoint)
            body += piece
    except zlib.error as exc:
        broken = f"{what} is not valid gzip ({exc})"  # said outside the except: no zlib traceback chained to it
    else:
        return bytes(body)
    return _undecodable(broken, endpoint, cut=cut)


def _undecodable(problem: str, endpoint: str, *, cut: bool) -> bytes:
    """No body, for an error answer (`cut`) that cannot be decoded: its status still counts; else ProtocolError."""
    if cut:
        return b""
    raise errors.ProtocolError(problem, endpoint=endpoint)


async def _inflated(response: httpx.Response, *, gzip: bool, step: int,
                    came: Callable[[int], None]) -> AsyncIterator[bytes]:
    """The raw body in pieces, inflated when `gzip`, none over `step` bytes however much a read inflates (a bomb's 1000x).

    `came` is told the size of each piece read off the wire, before it is inflated.
    """
    if response.is_stream_consumed:  # an answer built in memory (httpx.MockTransport): already whole and decoded
        yield response.content
        return
    inflate = zlib.decompressobj(wbits=31) if gzip else None  # 31: a gzip header and trailer around deflate
    async for raw in response.aiter_raw():
        came(len(raw))
        if inflate is None:
            yield raw  # at most a read: 64 KB
            continue
        pending = raw
        while pending and not inflate.eof:
            yield inflate.decompress(pending, step)
            pending = inflate.unconsumed_tail
        if inflate.eof:  # whatever follows the gzip stream is not read (httpx ignores it too)
            return


def _with_body(response: httpx.Response, body: bytes) -> httpx.Response:
    """A read answer: `response`'s status and headers with `body`, already decompressed, as its content."""
    headers = [(name, value) for name, value in response.headers.multi_items() if name.lower() != "content-encoding"]
    return httpx.Response(response.status_code, headers=headers, content=body, request=response.request,
                          extensions=response.extensions)


def _as_sent(failure: errors.TransportError, *, read: bool) -> errors.TransportError:
    """What a transport failure means to the caller: OutcomeUnknown for a call that acts (not `read`) and may have been sent."""
    if read or isinstance(failure, (errors.ConnectionRefused, errors.ConnectTimeout)):
        return failure
    return errors.OutcomeUnknown(
        f"sent, but the answer was lost ({failure.message}); it may or may not have taken effect",
        endpoint=failure.endpoint,
        cause=failure,
    )


def _transport_error(exc: httpx.HTTPError, endpoint: str) -> errors.TransportError:
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return errors.ConnectTimeout(f"timed out connecting: {detail}", endpoint=endpoint)
    if isinstance(exc, httpx.ConnectError):
        return errors.ConnectionRefused(f"cannot connect: {detail}", endpoint=endpoint)
    if isinstance(exc, httpx.TimeoutException):
        return errors.ReadTimeout(f"no answer in time: {detail}", endpoint=endpoint)
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return errors.ConnectionLost(f"connection lost: {detail}", endpoint=endpoint)
    return errors.TransportError(f"request failed: {detail}", endpoint=endpoint)


def _api_error(response: httpx.Response, endpoint: str, channel: str | None) -> errors.ApiError:
    body: Any = None
    error_text: str | None = None
    details: str | None = None
    raw = response.content  # an error text may echo the token ("rejected: Bearer ..."): masked once decoded
    try:
        body = secrets.redact_json(json.loads(raw))
    except (ValueError, UnicodeDecodeError, RecursionError):
        text = secrets.redact(raw.decode(response.encoding or "utf-8", "replace")).strip()
        error_text = text[:200] if text else response.reason_phrase or None
    if isinstance(body, dict):
        try:
            parsed = ErrorBody.model_validate(body)
            error_text, details = parsed.error, parsed.error_details
        except ValidationError:
            error_text = str(body.get("error") or body.get("message") or "")[:200] or None
        said = body.get("message") or body.get("description")  # midjourney-proxy's envelopes say it here
        if error_text is None and isinstance(said, str):
            error_text = said[:200]
        if channel and "channel" not in body:
            body = {**body, "channel": channel}
    elif channel:
        body = {"channel": channel}
    cls = errors.error_class_for(response.status_code)
    return cls(
        response.status_code,
        endpoint=endpoint,
        error=error_text,
        error_details=details,
        body=body,
        retry_after=_retry_after(response.headers.get("Retry-After")),
    )


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, either delta-seconds or an HTTP date, at most MAX_RETRY_AFTER."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return min(max(0.0, seconds), MAX_RETRY_AFTER) if math.isfinite(seconds) else None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(0.0, (moment - datetime.now(UTC)).total_seconds()), MAX_RETRY_AFTER)


def _too_large(what: str, limit: int, endpoint: str) -> errors.AnswerTooLarge:
    size = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
    return errors.AnswerTooLarge(f"{what} is larger than {size}: not read further", endpoint=endpoint)


# What an id can look like: useapi's job ids (`j1023141520123456789i-u12345-c1234567890123456789-bot:midjourney`),
# ImaginePro's message ids (uuids) and Discord's; never empty, `.`, `..`, spaces, controls or path characters.
_PLAUSIBLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=~-]{0,255}")
_CHANNEL_ID = re.compile(r"[0-9]{1,32}")  # Discord channel ids are snowflakes: digits


def check_id(value: str, what: str = "job id", *, endpoint: str = "") -> str:
    """`value` when it can be a job or message id; InvalidId, naming `what` it should be, when not."""
    if not _PLAUSIBLE_ID.fullmatch(value):
        raise errors.InvalidId(f"{value[:80]!r} is not a {what}: not sent", endpoint=endpoint)
    return value


def check_channel(value: str, *, endpoint: str = "") -> str:
    """`value` when it can be a channel id (a Discord snowflake, digits); InvalidId when not."""
    if not _CHANNEL_ID.fullmatch(value):
        raise errors.InvalidId(f"{value[:80]!r} is not a channel id (digits, e.g. 1234567890123456789): not sent",
                               endpoint=endpoint)
    return value


def _path_segment(value: str) -> str:
    """URL-encode one path segment: job ids contain ':'."""
    return quote(value, safe="")


class UseapiClient(BaseClient):
    """useapi.net's Midjourney endpoints (v2 jobs, v3 running list)."""

    default_origin = USEAPI_ORIGIN

    async def running_jobs(self) -> RunningJobs:
        """GET /v3/midjourney/jobs: the running jobs of every channel, with their limits."""
        return await self._json(RunningJobs, "GET", "/v3/midjourney/jobs")

    async def job(self, jobid: str) -> Job:
        """GET /v2/jobs/?jobid=: one job's full record."""
        check_id(jobid, endpoint="GET /v2/jobs/")
        return await self._json(Job, "GET", "/v2/jobs/", params={"jobid": jobid})

    async def command(
        self, cmd: Command, channel: str | None = None, *, reply_url: str | None = None, reply_ref: str | None = None
    ) -> Job:
        """POST /v2/jobs/{relax|fast|turbo|info}; the answer is the command's job."""
        if cmd not in COMMANDS:
            raise ValueError(f"unknown command {cmd!r}; expected one of {', '.join(COMMANDS)}")
        if channel is not None:
            check_channel(channel, endpoint=f"POST /v2/jobs/{cmd}")
        body = CommandRequest(channel=channel, reply_url=reply_url, reply_ref=reply_ref)
        return await self._json(Job, "POST", f"/v2/jobs/{cmd}", body=body, channel=channel)

    async def seed_async(
        self,
        jobid: str,
        *,
        discord: str | None = None,
        reply_url: str | None = None,
        reply_ref: str | None = None,
    ) -> Job:
        """POST /v2/jobs/seed_async.

        The answer is either a started `seed_async` job to follow with `job()`,
        or, when the seed was fetched before, the original job carrying `seed`.
        """
        check_id(jobid, endpoint="POST /v2/jobs/seed_async")
        body = SeedRequest(jobid=jobid, discord=discord, reply_url=reply_url, reply_ref=reply_ref)
        return await self._json(Job, "POST", "/v2/jobs/seed_async", body=body)

    async def button(self, jobid: str, button: str, prompt: str | None = None) -> Job:
        """POST /v2/jobs/button: press a completed job's button; the answer is the job it started. Sent once."""
        check_id(jobid, endpoint="POST /v2/jobs/button")
        return await self._json(Job, "POST", "/v2/jobs/button", body=ButtonRequest(jobid=jobid, button=button, prompt=prompt))

    async def cancel(self, jobid: str) -> None:
        """DELETE /v3/midjourney/jobs/{jobid}: cancel a running job (204 on success)."""
        check_id(jobid, endpoint="DELETE /v3/midjourney/jobs/{jobid}")
        await self._send("DELETE", f"/v3/midjourney/jobs/{_path_segment(jobid)}", endpoint="/v3/midjourney/jobs/{jobid}")

    async def reset(self, channel: str) -> None:
        """POST /v2/account/midjourney/{channel}/reset: clear a 596 moderation halt."""
        check_channel(channel, endpoint="POST /v2/account/midjourney/{channel}/reset")
        await self._send(
            "POST",
            f"/v2/account/midjourney/{_path_segment(channel)}/reset",
            channel=channel,
            endpoint="/v2/account/midjourney/{channel}/reset",
        )


class ImagineProClient(BaseClient):
    """ImaginePro's DIY-plan endpoints: Midjourney commands and message progress."""

    default_origin = IMAGINEPRO_ORIGIN

    async def command(
        self, cmd: Command, token_id: int, *, ref: str | None = None, webhook_override: str | None = None
    ) -> NovaCommandResponse:
        """POST /api/v1/nova/commands."""
        if cmd not in COMMANDS:
            raise ValueError(f"unknown command {cmd!r}; expected one of {', '.join(COMMANDS)}")
        body = NovaCommandRequest(cmd=cmd, token_id=token_id, ref=ref, webhook_override=webhook_override)
        answer = await self._json(NovaCommandResponse, "POST", "/api/v1/nova/commands", body=body)
        return _require_success(answer, "POST /api/v1/nova/commands")

    async def message(self, message_id: str) -> MessageProgress:
        """GET /api/v1/message/fetch/{messageId}: a message's status and progress."""
        check_id(message_id, "message id", endpoint="GET /api/v1/message/fetch/{messageId}")
        return await self._json(
            MessageProgress,
            "GET",
            f"/api/v1/message/fetch/{_path_segment(message_id)}",
            endpoint="/api/v1/message/fetch/{messageId}",
        )

    async def button(self, message_id: str, button: str, prompt: str | None = None) -> NovaCommandResponse:
        """POST /api/v1/nova/button: press a button on a message; the answer's `messageId` is the new message."""
        check_id(message_id, "message id", endpoint="POST /api/v1/nova/button")
        body = NovaButtonRequest(message_id=message_id, button=button, prompt=prompt)
        answer = await self._json(NovaCommandResponse, "POST", "/api/v1/nova/button", body=body)
        return _require_success(answer, "POST /api/v1/nova/button")

    async def cancel(self, message_id: str) -> NovaCommandResponse:
        """Cancel a running message: the "Cancel Job" button."""
        return await self.button(message_id, CANCEL_BUTTON)

    async def linked_accounts(self) -> LinkedAccounts:
        """GET /api/v1/discord/tokens: every linked Discord account, with its concurrency, status and /info."""
        from mjtui.api.imaginepro_models import LinkedAccounts

        return await self._json(LinkedAccounts, "GET", "/api/v1/discord/tokens")

    async def toggle(self, token_id: int, active: bool) -> LinkedAccounts:
        """PUT /api/v1/discord/token/{id}: make a linked account active or inactive; the answer is its new state."""
        from mjtui.api.imaginepro_models import LinkedAccounts, ToggleRequest

        body = ToggleRequest(is_active=active)
        return await self._json(LinkedAccounts, "PUT", f"/api/v1/discord/token/{int(token_id)}", body=body,
                                endpoint="/api/v1/discord/token/{id}")

    async def images(self, page: int = 1, size: int = 10) -> Images:
        """GET /api/v1/nova/images: the messages of the last 24 hours, newest first, a page at a time."""
        from mjtui.api.imaginepro_models import Images

        return await self._json(Images, "GET", "/api/v1/nova/images", params={"page": str(page), "size": str(size)})

    async def trace(self, message_id: str) -> MessageTrace:
        """GET /api/v1/message/trace/{messageId}: the linked account that ran a message."""
        check_id(message_id, "message id", endpoint="GET /api/v1/message/trace/{messageId}")
        from mjtui.api.imaginepro_models import MessageTrace

        return await self._json(MessageTrace, "GET", f"/api/v1/message/trace/{_path_segment(message_id)}",
                                endpoint="/api/v1/message/trace/{messageId}")


def _require_success(answer: NovaCommandResponse, endpoint: str) -> NovaCommandResponse:
    """ImaginePro can answer 200 with `success: false`; that is a failure with the API's own text."""
    if answer.success is False:
        raise errors.ApiError(200, endpoint=endpoint, error=answer.error or "the request was not successful")
    return answer
