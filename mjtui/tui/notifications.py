"""Telling the user what finished: toasts, and by choice the terminal bell or a desktop notification.

Finishes are announced per poll: a few jobs get a toast each, more get one
summary toast, so a busy account never floods the screen. Desktop
notifications are OSC 9 (iTerm2, WezTerm, kitty, foot...) or OSC 777 (rxvt,
VTE terminals, Ghostty): their text is cleaned of anything a terminal acts on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from mjtui.text import clean

MANY = 3  # more finishes than this in one poll make one summary toast
OSC_TEXT_LIMIT = 120
SLOT_QUIET_SECONDS = 300.0  # a channel's free slot is announced at most this often
OUTCOMES = ("completed", "failed", "moderated", "cancelled")
_SEVERITY = {"completed": "information", "cancelled": "information", "moderated": "warning", "failed": "error"}
_RANK = {"information": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, slots=True)
class Finished:
    """One job that left the running list, and what became of it."""

    short_id: str
    channel: str
    outcome: str
    error: str = ""


@dataclass(frozen=True, slots=True)
class Announcement:
    message: str
    severity: str = "information"


def announce_finished(finished: list[Finished]) -> list[Announcement]:
    """A toast per job for a few, one summary for many (counted by outcome, worst severity)."""
    finished = [item for item in finished if item.outcome in OUTCOMES]
    if len(finished) <= MANY:
        return [_one(item) for item in finished]
    counts = Counter(item.outcome for item in finished)
    tally = ", ".join(f"{counts[outcome]} {outcome}" for outcome in OUTCOMES if counts[outcome])
    severity = max((_SEVERITY[outcome] for outcome in counts), key=_RANK.__getitem__)
    return [Announcement(f"{len(finished)} jobs finished: {tally}", severity)]


def _one(item: Finished) -> Announcement:
    message = f"job {item.short_id} on {item.channel} {item.outcome}"
    if item.error and item.outcome != "completed":
        message += f": {clean(item.error, limit=120)}"
    return Announcement(message, _SEVERITY[item.outcome])


def announce_free_slots(channels: list[str]) -> Announcement | None:
    """One toast for every channel that was full at the last poll and has room now."""
    if not channels:
        return None
    if len(channels) == 1:
        return Announcement(f"channel {channels[0]} has a free slot")
    named = ", ".join(channels[:3]) + (f" and {len(channels) - 3} more" if len(channels) > 3 else "")
    return Announcement(f"{len(channels)} channels have a free slot: {named}")


def terminal_alert(messages: Iterable[str], *, bell: bool, desktop: str, in_tmux: bool = False) -> str:
    """The bytes to write to the terminal for one batch of announcements: a bell and/or one notification."""
    texts = [message for message in messages if message]
    if not texts:
        return ""
    out = "\x07" if bell else ""
    if desktop in ("osc9", "osc777"):
        body = osc_text("; ".join(texts))
        sequence = f"\x1b]9;mjtui: {body}\x07" if desktop == "osc9" else f"\x1b]777;notify;mjtui;{body.replace(';', ',')}\x07"
        out += _tmux_passthrough(sequence) if in_tmux else sequence
    return out


def osc_text(text: str) -> str:
    """Text that cannot end or extend an OSC sequence: escapes and controls gone, one short line."""
    return clean(text, limit=OSC_TEXT_LIMIT)


def _tmux_passthrough(sequence: str) -> str:
    # tmux hands a DCS-wrapped sequence to the outer terminal (with `set -g allow-passthrough on`).
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
