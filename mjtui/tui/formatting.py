"""Short forms for the screen: job ids, durations, times, ages."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from mjtui.clock import parse_iso
from mjtui.text import clean


def short_job_id(job_id: str) -> str:
    """`j1124114017794014949v-u52649-c945…-bot:midjourney` -> `794014949v`: the distinct tail of the first part."""
    head = job_id.split("-", 1)[0]
    return clean(head[-10:] if len(head) > 10 else head)


def short_channel_id(channel_id: str) -> str:
    """`9455569105950150116` -> `…150116`: the tail that tells a user's channels apart (short ids as they are)."""
    return clean("…" + channel_id[-6:] if len(channel_id) > 8 else channel_id)


def duration(seconds: float | None) -> str:
    """`0:07`, `12:45`, `1:02:03`; `-` when unknown."""
    if seconds is None:
        return "-"
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def local_time(iso: str | None) -> str:
    """An API timestamp as local HH:MM:SS, or `?`."""
    moment = parse_iso(iso)
    return moment.astimezone().strftime("%H:%M:%S") if moment else "?"


def local_datetime(iso: str | None) -> str:
    moment = parse_iso(iso)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "?"


def age(seconds: float | None) -> str:
    """How long ago, briefly: `3s`, `4m`, `2h`, `5d`."""
    if seconds is None:
        return "never"
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def epoch_of(iso: str | None) -> float | None:
    moment = parse_iso(iso)
    return moment.timestamp() if moment else None


def safe(value: object, *, limit: int | None = None, style: str = "") -> Text:
    """API text made inert and wrapped in a Text, so markup in it stays literal."""
    return Text(clean(value, limit=limit), style=style)


def local_date(epoch: float) -> str:
    """An epoch as the local date, `2027-01-14`."""
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%d")


def now_local(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).strftime("%H:%M:%S")
