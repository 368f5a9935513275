"""Midjourney's /info answer (Discord markup) read into what a channel's pane shows: mode, fast time left, plan, renewal.

The answer is the service's text, so it is read as hostile: any string gives an `AccountInfo` (unknown parts None),
never an exception; sizes are bounded before any pattern runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mjtui.text import clean

INFO_TEXT_LIMIT = 8000  # more than any /info answer: the rest is not read
FIELD_LIMIT = 200
LATEST_EPOCH = 253402300799  # 9999-12-31: a date any platform can render
MODES = ("relax", "turbo", "fast")
_FIELD = re.compile(r"^\W*(?P<key>[A-Za-z][A-Za-z ()]{0,40}?)\W*:\W*(?P<value>.*)$")
_TIMESTAMP = re.compile(r"<t:(-?\d{1,15})(?::[A-Za-z])?>")
_MARKUP = re.compile(r"[*_`~]+")
_FAST = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*/\s*(\d[\d,]*(?:\.\d+)?)\s*([a-z]*)\s*(?:\(\s*(\d+(?:\.\d+)?)\s*%\s*\))?",
                   re.IGNORECASE)
_MINUTES = frozenset({"m", "min", "mins", "minute", "minutes"})
_HOURS = frozenset({"h", "hr", "hrs", "hour", "hours", ""})  # Midjourney says hours when it says nothing


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """What /info said of the Midjourney account behind a channel; None where it said nothing readable."""

    mode: str | None = None  # relax / fast / turbo (or the answer's own word)
    fast_time_remaining: str | None = None  # "12.34/30.0 hours (41.13%)"
    plan: str | None = None  # "Pro"
    renews_at: float | None = None  # epoch seconds, from Discord's <t:EPOCH> tag


def parse_info(text: str) -> AccountInfo:
    """Read an /info answer (`**Job Mode**: Fast`, `**Subscription**: Pro (Active monthly, renews next on <t:...>)`...)."""
    fields = info_fields(text)
    plan, renews_at = subscription_parts(fields.get("subscription"))
    return AccountInfo(mode=mode_word(fields.get("job mode")), fast_time_remaining=fast_words(fields.get("fast time remaining")),
                       plan=plan, renews_at=renews_at)


def info_fields(text: str) -> dict[str, str]:
    """`**Key**: value` lines as {"key": "value"} (keys lowercased, markup gone, values cut to FIELD_LIMIT)."""
    fields: dict[str, str] = {}
    for line in str(text)[:INFO_TEXT_LIMIT].splitlines():
        found = _FIELD.match(_MARKUP.sub("", line).strip()[:FIELD_LIMIT * 2])
        if found is not None:
            fields.setdefault(found["key"].strip().lower(), found["value"].strip()[:FIELD_LIMIT])
    return fields


def mode_word(value: str | None) -> str | None:
    """relax / fast / turbo from "Fast", "Relaxed", "Turbo mode"; another word as said (short, cleaned)."""
    if not value or not value.strip():
        return None
    lowered = value.lower()
    return next((mode for mode in MODES if mode in lowered), clean(value, limit=12) or None)


def fast_words(value: str | None) -> str | None:
    """Fast time left as mjtui writes it everywhere ("12.34/30.0 hours (41.13%)"), else as said; None for "None"."""
    if not value or value.strip().lower() in ("", "none"):
        return None
    fast = fast_time(value)
    return fast.text() if fast else clean(value, limit=60)


def subscription_parts(value: str | None) -> tuple[str | None, float | None]:
    """("Pro", 1798439419.0) from "Pro (Active monthly, renews next on <t:1798439419>)"; None for what is not there."""
    if not value:
        return None, None
    plan = clean(_TIMESTAMP.sub("", value).split("(", 1)[0].strip(), limit=24) or None
    stamp = _TIMESTAMP.search(value)
    renews_at = float(stamp[1]) if stamp is not None and 0 < int(stamp[1]) <= LATEST_EPOCH else None
    return plan, renews_at


@dataclass(frozen=True, slots=True)
class FastTime:
    """Fast GPU time left of the plan's, in minutes, as /info's "Fast Time Remaining" says."""

    left_minutes: float
    total_minutes: float
    in_hours: bool  # how Midjourney worded it (so it is shown the same way)

    @property
    def percent(self) -> float:
        return 100 * self.left_minutes / self.total_minutes if self.total_minutes else 0.0

    def text(self) -> str:
        """As Midjourney writes it: "199.00/200.0 minutes (99.50%)", "12.34/15.0 hours (82.27%)"."""
        scale, unit = (60, "hours") if self.in_hours else (1, "minutes")
        return f"{self.left_minutes / scale:.2f}/{self.total_minutes / scale:.1f} {unit} ({self.percent:.2f}%)"


def fast_time(text: str | None) -> FastTime | None:
    """/info's fast time read leniently (commas, "hrs", "mins", no percentage); None when it says none or is unreadable."""
    found = _FAST.search((text or "")[:FIELD_LIMIT])  # a gateway's raw field: the pattern is quadratic in a run of digits
    if found is None:
        return None
    left, total = (float(found.group(n).replace(",", "")) for n in (1, 2))
    unit = found.group(3).lower()
    if unit not in _MINUTES and unit not in _HOURS or total <= 0 or left > total * 1.001:
        return None
    scale = 1 if unit in _MINUTES else 60
    return FastTime(left * scale, total * scale, in_hours=scale == 60)
