"""A list of channels to choose one from: the history's channel filter when it was not opened from a pane."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from mjtui.tui.formatting import safe

Channel = tuple[str, str]  # (account, channel id)


class ChannelPicker(ModalScreen[Channel | None]):
    """Dismisses with the (account, channel id) chosen, or None (escape)."""

    DEFAULT_CSS = """
    ChannelPicker { align: center middle; }
    ChannelPicker > Vertical { width: 60; max-width: 100%; height: auto; max-height: 80%; border: thick $primary;
                               background: $surface; padding: 0 1; }
    ChannelPicker OptionList { height: auto; max-height: 20; }
    ChannelPicker #hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "dismiss_picker", "Cancel", id="picker.escape")]

    def __init__(self, channels: list[Channel], current: Channel | None = None) -> None:
        super().__init__()
        self.channels = channels
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "History of one channel"
            options = [Option(_label(account, channel), id=str(index)) for index, (account, channel) in enumerate(self.channels)]
            yield OptionList(*options)
            yield Static("enter shows its jobs · escape: every channel", id="hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.channels:
            options.highlighted = self.channels.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.channels[int(event.option.id or 0)])

    def action_dismiss_picker(self) -> None:
        self.dismiss(None)


def _label(account: str, channel: str) -> Text:
    text = safe(account, limit=24, style="bold")
    text.append("  ")
    text.append_text(safe(channel, limit=40))
    return text
