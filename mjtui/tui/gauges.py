"""A gauge of running jobs against a channel's limit, coloured by how full it is."""

from __future__ import annotations

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
    """`jobs ███████░░░ 10/12`: a label, a bar and the count over the limit."""

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

    value: reactive[int] = reactive(0, layout=True)
    limit: reactive[int | None] = reactive(None, layout=True)

    def __init__(self, label: str, *, bar: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label
        self.bar = bar

    def set(self, value: int, limit: int | None) -> None:
        self.value, self.limit = value, limit

    @property
    def level(self) -> str:
        return fullness_level(self.value, self.limit)

    def render(self) -> Text:
        level = self.level
        style = self.get_component_rich_style(f"gauge--{level}")
        text = Text(f"{self.label} ", style=self.get_component_rich_style("gauge--label"))
        if self.bar:
            filled = 0 if not self.limit else min(BAR_WIDTH, round(BAR_WIDTH * self.value / self.limit))
            text.append("█" * filled, style=style)
            text.append("░" * (BAR_WIDTH - filled), style=self.get_component_rich_style("gauge--empty"))
            text.append(" ")
        limit = "?" if self.limit is None else str(self.limit)
        text.append(f"{self.value}/{limit}", style=style)
        if level == "full":
            text.append(" FULL", style=style)
        return text

    def get_content_width(self, container, viewport) -> int:  # noqa: ANN001 - Textual's signature
        return self.render().cell_len
