"""The dashboard's keys, in one table: the footer, `?` help, the command palette and a user's [keys] all read it.

Each binding has an id (what `[keys]` in config.toml rebinds) and a description. Only Textual's bindings are
imported here: the app's keys are on its first frame, before the dashboard's modules load.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual.binding import Binding, BindingType

from mjtui.text import clean

MODE_KEYS = Binding.Group("Mode")  # relax, fast, turbo, info

DASHBOARD_BINDINGS: list[BindingType] = [  # the dashboard screen's: gone while the inspector or a dialog is on top
    Binding("enter", "inspect", "Inspect", id="inspect", show=False),
    # One footer entry ("r f t i Mode") for the four: at 80 columns Help and Quit were pushed off the footer.
    Binding("r", "command('relax')", "Relax", id="relax", group=MODE_KEYS),
    Binding("f", "command('fast')", "Fast", id="fast", group=MODE_KEYS),
    Binding("t", "command('turbo')", "Turbo", id="turbo", group=MODE_KEYS),
    Binding("i", "command('info')", "Info", id="info", group=MODE_KEYS),
    Binding("x,delete", "cancel", "Cancel job", id="cancel"),
    Binding("s", "seed", "Seed", id="seed"),
    Binding("R", "reset", "Reset 596 / locked", id="reset", show=False),
    Binding("a", "toggle_link", "Linked account on / off", id="toggle", show=False),
    Binding("slash", "filter", "Filter", id="filter"),
    Binding("h", "history", "History", id="history"),
    Binding("o", "sort", "Sort", id="sort", show=False),
]
APP_BINDINGS: list[BindingType] = [  # the app's: on every screen
    Binding("p", "pause", "Pause", id="pause", show=False),  # in help; the footer keeps room for Help and Quit at 80 columns
    Binding("ctrl+r,f5", "refresh", "Refresh now", id="refresh", show=False),
    Binding("plus,equals_sign", "interval(1)", "Slower refresh", id="slower", show=False),
    Binding("minus", "interval(-1)", "Faster refresh", id="faster", show=False),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("q", "quit", "Quit", id="quit"),
    Binding("ctrl+c", "quit", "Quit", id="quit.ctrl_c", show=False, priority=True),
]
INSPECTOR_BINDINGS: list[BindingType] = [  # the inspector's: here, so [keys] and help know them before it is opened
    Binding("escape", "close", "Back", id="inspector.close"),
    Binding("s", "seed", "Seed", id="inspector.seed"),
    Binding("y", "copy_seed", "Copy seed", id="inspector.copy_seed"),
    Binding("x,delete", "cancel", "Cancel job", id="inspector.cancel"),
    Binding("o", "open_parent", "Parent", id="inspector.parent"),
    Binding("ctrl+r,f5", "refresh", "Refresh", id="inspector.refresh"),
]



TABLE_KEYS = {"j", "k", "g", "G", "up", "down", "left", "right", "pageup", "pagedown", "home", "end",
              "enter", "escape", "tab", "shift+tab"}


def keymap_conflicts(keymap: dict[str, str]) -> list[str]:
    """Keys the user bound that the job tables use to move: a table keeps them, so say so."""
    conflicts = []
    for binding_id, keys in sorted(keymap.items()):
        taken = [key.strip() for key in keys.split(",") if key.strip() in TABLE_KEYS]
        if taken:
            conflicts.append(f"[keys] {clean(binding_id)} = {', '.join(taken)}: the tables use that key to move, "
                             f"so it will not reach {clean(binding_id)}; choose another")
    return conflicts


def all_bindings() -> list[Binding]:
    """The dashboard's and the app's bindings, in the footer's order."""
    return [binding for binding in (*DASHBOARD_BINDINGS, *APP_BINDINGS) if isinstance(binding, Binding)]


def with_keymap(keymap: dict[str, str]) -> Iterator[Binding]:
    """Each binding as the user's [keys] rebound it."""
    for binding in all_bindings():
        yield binding.with_key(keymap[binding.id]) if binding.id and binding.id in keymap else binding
