"""The http(s) addresses mjtui is given, and the origins they belong to.

One set of rules for every address a user types (an account's `base_url`, `--base-url`, `$MJTUI_BASE_URL`,
`serve --public-url`), and one notion of origin for deciding who may see a token (the client) or open a
dashboard (`serve`).
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


class UrlProblem(ValueError):
    """What is wrong with an address, in words that follow its name ("base_url has no host name").

    Never repeats the address: it may carry a password.
    """


class CredentialsInUrl(UrlProblem):
    """The address has a user name or password in it (`https://me:secret@host`)."""


def checked_http_url(value: str) -> SplitResult:
    """`value` split, when it is `http(s)://HOST[:PORT][/PATH]` and nothing more; raises UrlProblem otherwise."""
    if not value or any(char.isspace() or ord(char) < 0x20 for char in value):
        raise UrlProblem("must be a URL like https://host[:port] without spaces")
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed [ of an IPv6 address
        raise UrlProblem("is not a URL: expected https://host[:port], with an IPv6 address in [brackets]") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise UrlProblem("must start with http:// or https://")
    if not parts.hostname:
        raise UrlProblem("has no host name")
    if parts.username is not None or parts.password is not None:
        raise CredentialsInUrl("must not contain a user name or password")
    if _port(parts) in (None, 0):
        raise UrlProblem("has an invalid port: expected a number from 1 to 65535")
    if "?" in value or "#" in value:  # even an empty one: `host/?` is a typo, not an address
        raise UrlProblem("must not have a query (?...) or fragment (#...)")
    return parts


def origin(url: str) -> str | None:
    """`scheme://host[:port]` as a browser sends it in `Origin` (lower case, the port only when not the scheme's
    default); None when `url` has no origin (not http(s), no host, a port out of range)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    default = DEFAULT_PORTS.get(parts.scheme)
    port = _port(parts)
    if default is None or not parts.hostname or port is None:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + ("" if port == default else f":{port}")


def same_origin(url: str, other: str) -> bool:
    """True when both have an origin and it is the same one (what may be sent a token meant for `other`)."""
    first = origin(url)
    return first is not None and first == origin(other)


def _port(parts: SplitResult) -> int | None:
    """The port, the scheme's default when none is written; None when it is not a number from 0 to 65535."""
    try:
        port = parts.port  # urlsplit checks the port only when asked
    except ValueError:
        return None
    return DEFAULT_PORTS.get(parts.scheme) if port is None else port
