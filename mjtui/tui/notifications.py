"""Telling the user what finished: toasts, and by choice the terminal bell or a desktop notification.

Finishes and freed slots are announced per poll, in one toast: its first line the worst news (a few jobs one line
each, more a summary line), the rest in the notifications log (`n`), so a busy account never floods the screen. Desktop
notifications are OSC 9 (iTerm2, WezTerm, kitty, foot...) or OSC 777 (rxvt,
VTE terminals, Ghostty): their text is cleaned of anything a terminal acts on.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.notifications import SeverityLevel

from mjtui.config import NotifyConfig
from mjtui.monitor.snapshot import Snapshot
from mjtui.text import clean
from mjtui.tui.textual_contract import write_to_terminal

if TYPE_CHECKING:
    from mjtui.tui.app import MjtuiApp

MANY_FAILURES = 2  # more failures than this in one poll make one summary toast
OSC_TEXT_LIMIT = 120
SLOT_QUIET_SECONDS = 300.0  # a channel's free slot is announced at most this often
OUTCOMES = ("completed", "failed", "moderated", "cancelled")
_SEVERITY: dict[str, SeverityLevel] = {"completed": "information", "cancelled": "information", "moderated": "warning",
                                       "failed": "error"}
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
    severity: SeverityLevel = "information"


def announce_finished(finished: list[Finished], *, completed: bool = True) -> list[Announcement]:
    """What one poll's finished jobs say: at most one toast for the completed (unless `completed`
    is false), and the failures one by one with their error when there are few, else one summary."""
    finished = [item for item in finished if item.outcome in OUTCOMES]
    fine = [item for item in finished if item.outcome in ("completed", "cancelled")] if completed else []
    bad = [item for item in finished if item.outcome in ("failed", "moderated")]
    announcements = []
    if len(fine) == 1:
        announcements.append(_one(fine[0]))
    elif fine:
        announcements.append(Announcement(f"{_tally(fine)}{_where(fine)}", "information"))
    if len(bad) <= MANY_FAILURES:
        announcements += [_one(item) for item in bad]
    else:
        severity: SeverityLevel = "error" if any(item.outcome == "failed" for item in bad) else "warning"
        announcements.append(Announcement(f"{_tally(bad)}{_where(bad)}", severity))
    return announcements


def _tally(items: list[Finished]) -> str:
    """ "12 jobs completed, 2 cancelled" """
    counts = Counter(item.outcome for item in items)
    parts = [f"{counts[outcome]} {outcome}" for outcome in OUTCOMES if counts[outcome]]
    parts[0] = parts[0].replace(" ", " jobs " if sum(counts.values()) > 1 else " job ", 1)
    return ", ".join(parts)


def _where(items: list[Finished]) -> str:
    channels = {item.channel for item in items}
    return f" · {channels.pop()}" if len(channels) == 1 else f" · {len(channels)} channels"


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


def desktop_notification(messages: Iterable[str], *, desktop: str, in_tmux: bool = False) -> str:
    """The escape sequence that shows one batch of announcements as a desktop notification, or "" for none."""
    texts = [message for message in messages if message]
    if not texts or desktop not in ("osc9", "osc777"):
        return ""
    body = osc_text(" | ".join(texts))
    sequence = f"\x1b]9;mjtui: {body}\x07" if desktop == "osc9" else f"\x1b]777;notify;mjtui;{body.replace(';', ',')}\x07"
    return _tmux_passthrough(sequence) if in_tmux else sequence


def osc_text(text: str) -> str:
    """Text that cannot end or extend an OSC sequence: escapes and controls gone, one short line."""
    return clean(text, limit=OSC_TEXT_LIMIT)


def _tmux_passthrough(sequence: str) -> str:
    # tmux hands a DCS-wrapped sequence to the outer terminal (with `set -g allow-passthrough on`).
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def coalesced(announcements: list[Announcement]) -> Announcement:
    """One announcement for a poll's: the worst first (a toast shows the first line), each on its own line."""
    ordered = sorted(announcements, key=lambda a: -_RANK[a.severity])  # stable: among equals, as they were said
    return Announcement("\n".join(a.message for a in ordered), ordered[0].severity)


class Announcer:
    """What the dashboard says of finished jobs and freed slots: one toast a poll (unless turned off; the log keeps
    them all the same), then at most one bell and one desktop notification. Finished jobs and freed slots wait here
    until their poll (or their fetches) are done."""

    def __init__(self, app: MjtuiApp, settings: NotifyConfig, *, titled: bool) -> None:
        self.app = app
        self.settings = settings
        self.titled = titled  # several accounts: each toast names its own
        self.in_tmux = bool(os.environ.get("TMUX"))
        self._waiting: dict[str, list[Finished]] = {}  # account -> finished jobs not yet announced
        self._freed: dict[str, Announcement] = {}  # account -> its freed slots, said with the poll's finished jobs
        self._slot_said: dict[tuple[str, str], float] = {}  # (account, channel) -> when its free slot was announced

    def finished(self, account: str, item: Finished) -> None:
        self._waiting.setdefault(account, []).append(item)

    def say_finished(self, account: str) -> None:
        """Announce what has finished on the account since the last time (a backlog: what has come in so far), and
        the slots its last poll freed, together."""
        waiting = self._waiting.pop(account, [])
        freed = self._freed.pop(account, None)
        self.say(account, announce_finished(waiting, completed=self.settings.completed) + ([freed] if freed else []))

    def freed_slots(self, account: str, before: Snapshot, after: Snapshot, now: float,
                    label: Callable[[str], str]) -> None:
        """Channels full at the last poll with room now, each at most every SLOT_QUIET_SECONDS; said by the next
        `say_finished`, in the same toast."""
        freed = []
        for channel_id, stats in after.stats.items():
            was = before.stats.get(channel_id)
            if was is None or not was.full or stats.full or stats.max_jobs is None:
                continue
            key = (account, channel_id)
            if now - self._slot_said.get(key, -SLOT_QUIET_SECONDS) < SLOT_QUIET_SECONDS:
                continue
            self._slot_said[key] = now
            freed.append(label(channel_id))
        announcement = announce_free_slots(freed)
        if announcement is not None:
            self._freed[account] = announcement

    def say(self, account: str, announcements: list[Announcement]) -> None:
        """One toast for them all (the log keeps it whole, toasts on or off), a bell, a desktop notification."""
        if not announcements:
            return
        title = clean(account, limit=40) if self.titled else ""
        said = coalesced(announcements)
        timeout = 4 if said.severity == "information" else 8
        self.app.notify(said.message, title=title, severity=said.severity, timeout=timeout, toast=self.settings.toasts,
                        news=True)
        if self.settings.bell:
            self.app.bell()
        notification = desktop_notification([f"{title}: {a.message}" if title else a.message for a in announcements],
                                            desktop=self.settings.desktop, in_tmux=self.in_tmux)
        if notification:
            write_to_terminal(self.app, notification)
