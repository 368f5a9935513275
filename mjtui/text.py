"""Making text from strangers safe to show, and secrets safe to mention.

Prompts, Midjourney messages, error texts, button labels and file names all
come from the service. Before any of it reaches a terminal it passes through
`clean()`, which removes what a terminal would act on rather than print.
Build Rich output with `rich.text.Text` (never markup strings) so that `[bold]`
in a prompt stays literal.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from rich.cells import cell_len

# CSI / OSC / DCS / other escape sequences, then any remaining C0/C1 control.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]            # CSI ... final byte
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)? # OSC ... BEL or ST (OSC 8 links, OSC 52 clipboard)
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?      # DCS, SOS, PM, APC ... ST
    | \x1b[@-_]                          # two-byte escapes
    | \x9b[0-?]*[ -/]*[@-~]              # 8-bit CSI
    | \x9d[^\x07\x9c]*(?:\x07|\x9c)?     # 8-bit OSC
    """,
    re.VERBOSE,
)
# Bidi controls can reorder what follows them on screen; zero-width ones hide text.
_INVISIBLE = {
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c",
}


def clean(value: object, *, keep_newlines: bool = False, limit: int | None = None) -> str:
    """Return `value` as text that is inert on a terminal.

    Escape sequences are dropped, other control characters become visible
    replacement symbols, invisible and direction-changing characters are
    removed. Newlines and tabs become spaces unless `keep_newlines`.
    `limit` truncates with an ellipsis.
    """
    text = "" if value is None else str(value)
    # The usual case (ids, statuses, most prompts) is plain ASCII: nothing in it can act on a terminal.
    result = text if text.isascii() and text.isprintable() else _clean_chars(_ESCAPES.sub("", text), keep_newlines)
    if limit is not None and len(result) > limit:
        result = result[: max(0, limit - 1)] + "…"
    return result


def _clean_chars(text: str, keep_newlines: bool) -> str:
    out: list[str] = []
    for char in text:
        if char == "\n" and keep_newlines:
            out.append(char)
        elif char in "\t\n\r":
            out.append(" ")
        elif char in _INVISIBLE:
            continue
        elif unicodedata.category(char) == "Cc":
            out.append(chr(0x2400 + ord(char)) if ord(char) < 0x20 else "\ufffd")
        else:
            out.append(char)
    return "".join(out)


# JSON leaves C1 controls and bidi/zero-width marks raw; as \u escapes they mean the same and a terminal ignores them.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def inert_json(data: Any, *, indent: int | None = None) -> str:
    """`data` as JSON that is safe to print on a terminal and parses to the same value.

    C0 controls are escaped by JSON itself; C1 controls (a lone U+009B starts a CSI on
    many terminals), bidi overrides and invisible marks are escaped here.
    """
    separators = None if indent is not None else (",", ":")
    text = json.dumps(data, ensure_ascii=False, indent=indent, separators=separators)
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


def mask_secret(secret: str | None) -> str:
    """Show a token as the service shows `discord`: first 3 and last 3 characters."""
    if not secret:
        return "(none)"
    if len(secret) <= 8:
        return "***"
    return f"{secret[:3]}…{secret[-3:]}"


def pad(text: str, width: int, *, right: bool = False) -> str:
    """`text` padded with spaces to `width` terminal cells (wide characters count two), on the left when `right`."""
    fill = " " * max(0, width - cell_len(text))
    return fill + text if right else text + fill


__all__ = ["cell_len", "clean", "inert_json", "mask_secret", "pad"]
