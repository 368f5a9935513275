"""The line across the top: the title, how many accounts, how many jobs run, the time."""

from __future__ import annotations

from rich.text import Text

from mjtui.tui.line import Line


class TopBar(Line):
    DEFAULT_CSS = "TopBar { height: 1; background: $primary-background; color: $text; padding: 0 1; }"

    text_width = 0  # cells from the left edge to the end of its text

    def show(self, title: str, accounts: int, running: int, clock: str, extra: str = "") -> None:
        text = Text()
        text.append(title, style="bold")
        text.append(f"   {accounts} account{'s' if accounts != 1 else ''} · {running} running")
        if extra:
            text.append(f" · {extra}", style="bold")
        text.append(f"   {clock}")
        self.text_width = 1 + text.cell_len  # its left padding, then the text
        self.show_line(text)
