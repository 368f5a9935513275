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
    Binding("enter", "inspect", "Inspect", id="inspect", show=False,
            tooltip="Open the selected job: every field, its children, seed and images"),
    # One footer entry ("r f t i Mode") for the four: at 80 columns Help and Quit were pushed off the footer.
    Binding("r", "command('relax')", "Relax", id="relax", group=MODE_KEYS,
            tooltip="Switch the selected channel to relax mode (/relax)"),
    Binding("f", "command('fast')", "Fast", id="fast", group=MODE_KEYS,
            tooltip="Switch the selected channel to fast mode (/fast)"),
    Binding("t", "command('turbo')", "Turbo", id="turbo", group=MODE_KEYS,
            tooltip="Switch the selected channel to turbo mode (/turbo)"),
    Binding("i", "command('info')", "Info", id="info", group=MODE_KEYS,
            tooltip="Ask the selected channel for its account info: mode, fast time left (/info)"),
    Binding("x,delete", "cancel", "Cancel job", id="cancel", tooltip="Cancel the selected running job, after asking"),
    Binding("s", "seed", "Seed", id="seed", tooltip="Fetch the seed of the selected completed job"),
    Binding("R", "reset", "Reset 596 / locked", id="reset", show=False,
            tooltip="Reset a pending moderation message (596) or a locked account, after asking"),
    Binding("a", "toggle_link", "Linked account on / off", id="toggle", show=False,
            tooltip="Make the selected pane's linked account inactive, or active again, after asking"),
    Binding("slash", "filter", "Filter", id="filter", tooltip="Show only the jobs whose id, type, channel or prompt match"),
    Binding("h", "history", "History", id="history", tooltip="Browse the jobs the journal remembers"),
    Binding("o", "sort", "Sort", id="sort", show=False, tooltip="Sort the running jobs by another column"),
]
APP_BINDINGS: list[BindingType] = [  # the app's: on every screen
    # Pause is in help: the footer keeps room for Help and Quit at 80 columns.
    Binding("p", "pause", "Pause", id="pause", show=False, tooltip="Stop polling; press again to resume"),
    Binding("ctrl+r,f5", "refresh", "Refresh now", id="refresh", show=False,
            tooltip="Poll every account now, retrying any halted by 401 / 402 / 596"),
    Binding("plus,equals_sign", "interval(1)", "Slower refresh", id="slower", show=False,
            tooltip="Poll less often"),
    Binding("minus", "interval(-1)", "Faster refresh", id="faster", show=False,
            tooltip="Poll more often, down to what the service allows"),
    Binding("n", "notices", "Notifications", id="notices", show=False,
            tooltip="The last 50 notifications in full, with time and severity"),
    Binding("question_mark", "help", "Help", id="help", tooltip="List every key and its id for [keys] in config.toml"),
    Binding("q", "quit", "Quit", id="quit", tooltip="Quit the application"),
    Binding("ctrl+c", "quit", "Quit", id="quit.ctrl_c", show=False, priority=True),
]
INSPECTOR_BINDINGS: list[BindingType] = [  # the inspector's: here, so [keys] and help know them before it is opened
    Binding("escape", "close", "Back", id="inspector.close"),
    Binding("s", "seed", "Seed", id="inspector.seed"),
    Binding("y", "copy_seed", "Copy seed", id="inspector.copy_seed"),
    Binding("x,delete", "cancel", "Cancel job", id="inspector.cancel"),
    Binding("o", "open_parent", "Parent", id="inspector.parent"),
    # Off the footer: at 80 columns it pushed Help and Quit off; the Buttons section's title names it.
    Binding("b", "focus_buttons", "Buttons", id="inspector.press", show=False,
            tooltip="Go to the job's buttons (U1, 🔄, Vary, Zoom, ...): enter presses one, after asking"),
    Binding("e", "press_with_prompt", "Press with prompt", id="inspector.press_prompt", show=False,
            tooltip="Press the selected button with a prompt you edit (Custom Zoom; with Remix on V1-V4, 🔄, Vary, pans)"),
    Binding("ctrl+r,f5", "refresh", "Refresh", id="inspector.refresh"),
]
HISTORY_BINDINGS: list[BindingType] = [  # the history screen's: here too, so [keys] and help know them before it opens
    Binding("escape", "close", "Back", id="history.close"),
    # Short labels: the line above the table spells each filter out, and at 80 columns longer ones overflowed the footer.
    Binding("a", "cycle_status", "Status", id="history.status"),
    Binding("w", "cycle_period", "Period", id="history.period"),
    Binding("c", "toggle_channel", "Channel", id="history.channel"),
    Binding("slash", "search", "Search", id="history.search"),
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
