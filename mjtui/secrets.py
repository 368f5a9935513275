"""Every token this process knows, masked wherever text leaves it.

A service can echo a token back (`token rejected: Bearer <token>`), and that text
then travels on: into an error, a toast, the journal, stderr, a `--json` dump, an
export. Rather than trust each of those places to mask it, every token is
remembered here the moment a client or the config holds it, and `redact()` is
applied where text enters (each API answer) and again where it leaves (the
CLI's output, the journal's audit rows, toasts, the log).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from mjtui.text import mask_secret

MIN_LENGTH = 6  # shorter "tokens" would mask ordinary words; no real API token is this short

_lock = threading.Lock()
_known: tuple[str, ...] = ()  # longest first, so a token that contains another is masked whole
_known_bytes: tuple[tuple[bytes, bytes], ...] = ()


def remember(secret: str | None) -> None:
    """Mask `secret` from now on, wherever `redact` is applied."""
    global _known, _known_bytes
    if not secret or len(secret) < MIN_LENGTH or secret in _known:
        return
    with _lock:
        known = sorted({*_known, secret}, key=len, reverse=True)
        _known = tuple(known)
        _known_bytes = tuple((s.encode(), mask_secret(s).encode()) for s in known)


def redact(text: str) -> str:
    """`text` with every remembered token replaced by its masked form (`abc…xyz`)."""
    for secret in _known:
        if secret in text:
            text = text.replace(secret, mask_secret(secret))
    return text


def redact_bytes(data: bytes) -> bytes:
    """`redact` for an answer's raw body, before it is parsed: one scan per token, no copy when absent."""
    for secret, masked in _known_bytes:
        if secret in data:
            data = data.replace(secret, masked)
    return data


def redact_json_bytes(data: bytes) -> bytes:
    """A JSON answer with every remembered token masked, however it was written.

    The bytes are masked as they are; a token can still hide behind JSON's escapes (`\\u0075ser:...` is
    `user:...`), so an answer that has any escape and any token to hide is decoded, its strings masked,
    and written out again. Answers without escapes (nearly all) cost one scan.
    """
    data = redact_bytes(data)
    if not _known or b"\\" not in data:
        return data
    try:
        decoded = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return data  # not JSON: whoever reads it says so, and it holds no decodable escape to hide behind
    # ASCII out: a lone surrogate the escapes spelled stays an escape, for the parser to refuse as it would have
    return json.dumps(redact_json(decoded)).encode()


def redact_json(value: Any) -> Any:
    """Decoded JSON with every string (keys too) masked."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    if isinstance(value, dict):
        return {redact(key): redact_json(item) for key, item in value.items()}
    return value

