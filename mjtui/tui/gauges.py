"""A channel's gauges of running jobs against its limits, coloured by how full it is."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

BAR_WIDTH = 10
GAP = "  "


def fullness_level(value: int, limit: int | None) -> str:
    """ok / busy / full, the colour a gauge takes; "unknown" without a limit."""
    if not limit:
        return "unknown"
    ratio = value / limit
    if ratio >= 1:
        return "full"
    return "busy" if ratio >= 0.7 else "ok"


class Gauge:
    """`jobs ███████░░░ 10/12`: a label, a bar and the count over the limit (`FULL` after it when full).

    A `counted` gauge (a queue the service sets no limit on) shows its count alone while it has no limit.
    """

    def __init__(self, label: str, *, bar: bool = True, counted: bool = False) -> None:
        self.label = label
        self.bar = bar
        self.counted = counted
        self.value = 0
        self.limit: int | None = None
        self.shown = True  # a gauge the channel has no figure for (a gateway without a relax pool) is left out
        self.room = 0  # cells its count takes at least: the widest of the account's channels (`Gauges.align`)

    @property
    def level(self) -> str:
        return fullness_level(self.value, self.limit)

    def _count(self) -> str:
        if self.limit is None:
            return str(self.value) if self.counted else f"{self.value}/?"
        return f"{self.value}/{self.limit}"

    def count_width(self) -> int:
        """The cells its count needs: as many as at its limit, so a changing count never moves what follows it."""
        count = len(self._count())
        if self.limit is not None:
            count = max(count, 2 * len(str(self.limit)) + 1)
        elif self.counted:
            count = max(count, 2)  # a queue growing past 9 does not move what follows
        return count

    def width(self, bar_width: int = BAR_WIDTH) -> int:
        """The cells it takes: its count's (`room` at least) and, on a bar, the bar's and FULL's."""
        width = cell_len(self.label) + 1 + max(self.count_width(), self.room)
        if self.bar:
            width += bar_width + 1 + len(" FULL")
        return width

    def render(self, style: Callable[[str], Style] = lambda _name: Style(), bar_width: int = BAR_WIDTH) -> Text:
        """The gauge, `style(component)` giving the style of "label", "empty" and each level."""
        level = self.level
        text = Text(f"{self.label} ", style=style("label"))
        if self.bar:
            filled = 0 if not self.limit else min(bar_width, round(bar_width * self.value / self.limit))
            text.append("█" * filled, style=style(level))
            text.append("░" * (bar_width - filled), style=style("empty"))
            text.append(" ")
        text.append(self._count(), style=style(level))
        if level == "full" and self.bar:  # the count gauges show full by colour; the bar says it in words
            text.append(" FULL", style=style(level))
        return text


class Gauges:
    """A channel's gauges on one line, the first with a bar: by default jobs/maxJobs, images/maxImageJobs and
    videos/maxVideoJobs (`queue()` gives a gateway account's).

    Drawn by the channel's pane as its first line (`GAUGE_CSS` gives the colours).
    """

    def __init__(self, *gauges: Gauge) -> None:
        self.items = list(gauges) or [Gauge("jobs"), Gauge("img", bar=False), Gauge("vid", bar=False)]

    @classmethod
    def queue(cls) -> Gauges:
        """A gateway account's: jobs running against its concurrency, its relax pool, its queue against queueSize
        (a count alone where there is no such limit), or the fast and relax queues apart where the service counts them so."""
        return cls(Gauge("run"), Gauge("relax", bar=False), Gauge("queue", bar=False, counted=True),
                   Gauge("fast queue", bar=False, counted=True), Gauge("relax queue", bar=False, counted=True))

    @property
    def jobs(self) -> Gauge:
        return self.items[0]

    @property
    def images(self) -> Gauge:
        return self.items[1]

    @property
    def videos(self) -> Gauge:
        return self.items[2]

    @property
    def drawn_from(self) -> tuple[tuple[int, int | None, bool, int], ...]:
        """What the line shows: the same tuple, the same line."""
        return tuple((gauge.value, gauge.limit, gauge.shown, gauge.room) for gauge in self.items)

    def align(self, rooms: tuple[int, ...]) -> bool:
        """Each gauge's count given `rooms[i]` cells at least (`aligned_rooms` of the account's channels), so the next
        gauge starts in the same column on every channel's line; True when one changed."""
        changed = False
        for gauge, room in zip(self.items, rooms, strict=True):
            if gauge.room != room:
                gauge.room, changed = room, True
        return changed

    def set(self, *values: tuple[int, int | None] | None) -> bool:
        """(count, limit) of each gauge in order, None for one not shown; True when one changed."""
        changed = False
        for gauge, value in zip(self.items, values, strict=True):
            count, limit = value if value is not None else (0, None)
            if (gauge.value, gauge.limit, gauge.shown) != (count, limit, value is not None):
                gauge.value, gauge.limit, gauge.shown = count, limit, value is not None
                changed = True
        return changed

    def render(self, style: Callable[[str], Style] = lambda _name: Style(), bar_width: int = BAR_WIDTH) -> Text:
        """The line; `bar_width` cells of bar (the compact view's are shorter)."""
        line = Text()
        for gauge in self.items:
            if not gauge.shown:
                if gauge.room:  # another of the account's lines shows it: its column left blank, the next in line
                    line.append(" " * (gauge.width(bar_width) + len(GAP)))
                continue
            shown = gauge.render(style, bar_width)
            shown.pad_right(gauge.width(bar_width) - shown.cell_len)
            line.append_text(shown)
            line.append(GAP)
        line.rstrip()
        return line


def aligned_rooms(lines: Iterable[Gauges]) -> dict[int, tuple[int, ...]]:
    """For channels drawn one above the other (an account's), the room each gauge's count needs on all of them: the
    widest count of that gauge (a channel of maxJobs 12 beside one of 3), by the number of gauges a line has."""
    rooms: dict[int, list[int]] = {}
    for gauges in lines:
        widths = [gauge.count_width() if gauge.shown else 0 for gauge in gauges.items]
        widest = rooms.setdefault(len(widths), widths)
        if widest is not widths:
            widest[:] = map(max, widest, widths)
    return {count: tuple(widths) for count, widths in rooms.items()}


GAUGE_COMPONENTS = {"gauge--ok", "gauge--busy", "gauge--full", "gauge--unknown", "gauge--empty", "gauge--label"}
GAUGE_CSS = """
    & > .gauge--ok { color: $success; }
    & > .gauge--busy { color: $warning; }
    & > .gauge--full { color: $error; text-style: bold; }
    & > .gauge--unknown { color: $text-muted; }
    & > .gauge--empty { color: $border-blurred; }
    & > .gauge--label { color: $text-muted; }
"""
