"""A one-line bar whose size never depends on its text, rewritten only when the text changes."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from mjtui.tui.offscreen import PaintsWhenSeen


class Line(PaintsWhenSeen, Static):
    """A Static one line high and as wide as its container (a header, the top bar).

    Its owner sets it every second; an unchanged line costs nothing, and a changed one
    repaints without asking Textual to lay out the screen.
    """

    _shown: Text | None = None

    @property
    def shown(self) -> Text | None:
        """The line it shows (None before the first)."""
        return self._shown

    def show_line(self, text: Text) -> None:
        if text == self._shown:
            return
        self._shown = text
        self.update(text, layout=False)
