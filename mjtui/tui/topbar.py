"""The line across the top: the title, how many accounts, how many jobs run, the time."""

from __future__ import annotations

from rich.text import Text

from mjtui.tui.line import Line
from mjtui.tui.notices import MIN_TOAST_WIDTH


class TopBar(Line):
    DEFAULT_CSS = "TopBar { height: 1; background: $primary-background; color: $text; padding: 0 1; }"

    text_width = 0  # cells from the left edge to the end of its text
    _shown_from: tuple[str, int, int, str, str] | None = None  # what `show` was last given

    def show(self, title: str, accounts: int, running: int, clock: str, extra: str = "") -> None:
        """The line; on a terminal too narrow for it and a toast (`MIN_TOAST_WIDTH` cells), the title without its
        aside in parentheses (the demo's "(simulated service)"), so a toast leaves the running count and clock in sight."""
        self._shown_from = (title, accounts, running, clock, extra)
        text = _line(title, accounts, running, clock, extra)
        short = title.partition(" (")[0]
        width = self.size.width or self.app.size.width  # shown before its first layout: it spans the terminal
        if short != title and 1 + text.cell_len + 1 + MIN_TOAST_WIDTH > width:
            text = _line(short, accounts, running, clock, extra)
        self.text_width = 1 + text.cell_len  # its left padding, then the text
        self.show_line(text)

    def on_resize(self) -> None:
        if self._shown_from is not None:  # the title's aside comes and goes with the width
            self.show(*self._shown_from)


def _line(title: str, accounts: int, running: int, clock: str, extra: str) -> Text:
    text = Text()
    text.append(title, style="bold")
    text.append(f"   {accounts} account{'s' if accounts != 1 else ''} · {running} running")
    if extra:
        text.append(f" · {extra}", style="bold")
    text.append(f"   {clock}")
    return text
