"""The line across the top: the title, how many accounts, how many jobs run, the time."""

from __future__ import annotations

from rich.text import Text

from mjtui.tui.line import Line


class TopBar(Line):
    DEFAULT_CSS = "TopBar { height: 1; background: $primary-background; color: $text; padding: 0 1; }"

    def show(self, title: str, accounts: int, running: int, clock: str, extra: str = "") -> None:
        text = Text()
        text.append(title, style="bold")
        text.append(f"   {accounts} account{'s' if accounts != 1 else ''} · {running} running")
        if extra:
            text.append(f" · {extra}", style="bold")
        text.append(f"   {clock}")
        self.show_line(text)
