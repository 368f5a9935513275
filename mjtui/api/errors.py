"""One small hierarchy for everything that can go wrong talking to the service.

Every error names the endpoint it came from ("GET /v3/midjourney/jobs") and
carries the API's own `error` / `errorDetails` text. The UI and the CLI map
these classes to banners and exit codes in one place each.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mjtui.secrets import redact


class MjtuiError(Exception):
    """Base of every error the client raises."""

    def __init__(self, message: str, *, endpoint: str = "") -> None:
        message = redact(message)  # a service that echoes the token must not have it shown, stored or logged
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint

    def __str__(self) -> str:
        return f"{self.message} ({self.endpoint})" if self.endpoint else self.message


class ApiError(MjtuiError):
    """The service answered with a non-2xx status."""

    status_label: ClassVar[str] = "error"

    def __init__(
        self,
        status: int,
        *,
        endpoint: str,
        error: str | None = None,
        error_details: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.error = error
        self.error_details = error_details
        self.body = body
        self.retry_after = retry_after
        super().__init__(self._compose(), endpoint=endpoint)

    def _compose(self) -> str:
        text = f"{self.status} {self.status_label}"
        if self.error:
            text += f": {self.error}"
        if self.error_details and self.error_details != self.error:
            text += f" ({self.error_details})"
        return text

    @property
    def channel(self) -> str | None:
        """The channel named in the answer's body, when it names one."""
        if isinstance(self.body, dict) and isinstance(self.body.get("channel"), str):
            return self.body["channel"]
        return None


class BadRequest(ApiError):
    status_label = "Bad Request"


class Unauthorized(ApiError):
    status_label = "Unauthorized"


class NeedsAdminToken(Unauthorized):
    """A token the service knows, but whose user may not use this route (a midjourney-proxy gateway's admin views)."""

    def _compose(self) -> str:
        return (f"{super()._compose()}: this token is not an admin token, and the gateway's account views and "
                f"cancel need one (trueai's AdminToken, or a user with the ADMIN role)")


class PaymentRequired(ApiError):
    status_label = "Payment Required"


class NotFound(ApiError):
    status_label = "Not Found"


class Conflict(ApiError):
    status_label = "Conflict"


class Gone(ApiError):
    """410: the job has expired (records are kept at least 31 days)."""

    status_label = "Gone"


class Moderated(ApiError):
    """422: Midjourney moderated the prompt."""

    status_label = "Unprocessable (moderated)"


class RateLimited(ApiError):
    """429: the channel is at capacity or calls are too frequent; wait `retry_after` seconds when given."""

    status_label = "Too Many Requests"


class UpstreamError(ApiError):
    """5xx: the service or Discord behind it failed."""

    status_label = "Upstream Error"


class ModerationPending(ApiError):
    """596: a pending moderation message or CAPTCHA; every call for the channel is halted until reset."""

    status_label = "Moderation Pending"


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    402: PaymentRequired,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Moderated,
    429: RateLimited,
    596: ModerationPending,
    569: ModerationPending,  # the seed_async document's prose says 569 for the same halt
}


def error_class_for(status: int) -> type[ApiError]:
    """The ApiError subclass for an HTTP status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 500 <= status <= 599:
        return UpstreamError
    return ApiError


class ProtocolError(MjtuiError):
    """The answer was not what the documents describe: not JSON, or JSON of the wrong shape."""


class AnswerTooLarge(ProtocolError):
    """The answer was larger than the client reads (counted after decompression); it was not parsed."""


class InvalidId(MjtuiError):
    """A job, message or channel id that cannot be one (empty, `..`, spaces, ...): refused before any request."""


class CertificatesUnavailable(MjtuiError):
    """The certificates that verify servers could not be loaded (a bad SSL_CERT_FILE or SSL_CERT_DIR)."""


class TransportError(MjtuiError):
    """The request did not get an answer: refused, reset, timed out."""


class ConnectTimeout(TransportError):
    """No connection within the timeout; the request was never sent."""


class ConnectionRefused(TransportError):
    """Nothing listening, or DNS failed; the request was never sent."""


class ReadTimeout(TransportError):
    """The request was sent but no answer came in time."""


class ConnectionLost(TransportError):
    """The connection dropped before the whole answer arrived."""


class OutcomeUnknown(TransportError):
    """A request that changes something (POST, DELETE) was sent, but its answer was lost.

    It may or may not have taken effect; it is never retried automatically.
    The next look at the job or channel settles it.
    """

    def __init__(self, message: str, *, endpoint: str, cause: TransportError) -> None:
        super().__init__(message, endpoint=endpoint)
        self.cause = cause
