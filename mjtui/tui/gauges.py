"""A gauge of running jobs against a channel's limit, coloured by how full it is."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

BAR_WIDTH = 10


def fullness_level(value: int, limit: int | None) -> str:
    """ok / busy / full, the colour a gauge takes; "unknown" without a limit."""
    if not limit:
        return "unknown"
    ratio = value / limit
    if ratio >= 1:
        return "full"
    return "busy" if ratio >= 0.7 else "ok"


class Gauge(Widget):
    """`jobs ███████░░░ 10/12`: a label, a bar and the count over the limit (`FULL` after it when full)."""

    COMPONENT_CLASSES = {"gauge--ok", "gauge--busy", "gauge--full", "gauge--unknown", "gauge--empty", "gauge--label"}
    DEFAULT_CSS = """
    Gauge { height: 1; width: auto; margin-right: 2; }
    Gauge > .gauge--ok { color: $success; }
    Gauge > .gauge--busy { color: $warning; }
    Gauge > .gauge--full { color: $error; text-style: bold; }
    Gauge > .gauge--unknown { color: $text-muted; }
    Gauge > .gauge--empty { color: $panel-lighten-2; }
    Gauge > .gauge--label { color: $text-muted; }
    """

    # Repaint only: a layout of the whole screen (hundreds of widgets at 100 channels) is asked for
    # in `_resized` when the laid-out width changes, which only a new limit does.
    value: reactive[int] = reactive(0)
    limit: reactive[int | None] = reactive(None)

    def __init__(self, label: str, *, bar: bool = True, id: str | None = None) -> None:
        self._width: int | None = None  # before super(): Textual calls the watchers when it sets up the reactives
        super().__init__(id=id)
        self.label = label
        self.bar = bar

    def set(self, value: int, limit: int | None) -> None:
        self.value, self.limit = value, limit

    def watch_value(self) -> None:
        self._resized()

    def watch_limit(self) -> None:
        self._resized()

    def _resized(self) -> None:
        if self._width is None:
            return  # not measured yet: the first layout will
        width = self._text_width()
        if width != self._width:
            self._width = width
            self.refresh(layout=True)

    @property
    def level(self) -> str:
        return fullness_level(self.value, self.limit)

    def _count(self) -> str:
        return f"{self.value}/{'?' if self.limit is None else self.limit}"

    def _text_width(self) -> int:
        """The cell width to lay out: room for the count at the limit, and for FULL on a bar.

        It depends on the limit only, so a changing count never asks for a layout of the
        whole screen (hundreds of widgets at a hundred channels).
        """
        count = len(self._count())
        if self.limit is not None:
            count = max(count, 2 * len(str(self.limit)) + 1)
        width = cell_len(self.label) + 1 + count
        if self.bar:
            width += BAR_WIDTH + 1 + len(" FULL")
        return width

    def render(self) -> Text:
        level = self.level
        style = self.get_component_rich_style(f"gauge--{level}")
        text = Text(f"{self.label} ", style=self.get_component_rich_style("gauge--label"))
        if self.bar:
            filled = 0 if not self.limit else min(BAR_WIDTH, round(BAR_WIDTH * self.value / self.limit))
            text.append("█" * filled, style=style)
            text.append("░" * (BAR_WIDTH - filled), style=self.get_component_rich_style("gauge--empty"))
            text.append(" ")
        text.append(self._count(), style=style)
        if level == "full" and self.bar:  # the count gauges show full by colour; the bar says it in words
            text.append(" FULL", style=style)
        return text

    def get_content_width(self, container, viewport) -> int:  # noqa: ANN001 - Textual's signature
        if self._width is None:
            self._width = self._text_width()
        return self._width
