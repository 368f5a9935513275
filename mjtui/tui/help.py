"""`?`: every key binding, from the same list the footer and the command palette use."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from mjtui.text import clean


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 78; max-width: 100%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    HelpScreen DataTable { height: auto; max-height: 100%; }
    HelpScreen #hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, rows: Iterable[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Keys"
            table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="help-table")
            table.add_columns(Text("key"), Text("action"), Text("id (for [keys] in config.toml)"))
            for key, description, binding_id in self.rows:
                # Keys and ids can come from the user's config file: show them, never let them act.
                table.add_row(Text(clean(key), style="bold"), Text(clean(description)), Text(clean(binding_id), style="dim"))
            yield table
            yield Static(Text('Rebind any key in config.toml, e.g.  [keys]  cancel = "x,delete".  Esc closes.'), id="hint")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)


def describe_bindings(bindings: Iterable[Binding], key_display: Callable[[Binding], str]) -> list[tuple[str, str, str]]:
    """Rows of (keys, description, id) for the bindings that have an id and a description."""
    rows = []
    for binding in bindings:
        if binding.id and binding.description:
            keys = ", ".join(key_display(Binding(key.strip(), "")) for key in binding.key.split(","))
            rows.append((keys, binding.description, binding.id))
    return rows
