"""The dashboard's keys, in one table: the footer, `?` help, the command palette and a user's [keys] all read it.

Each binding has an id (what `[keys]` in config.toml rebinds) and a description. What a key needs of an account's
provider (`DASHBOARD_NEEDS`) decides whether it is shown while that account is selected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from textual.binding import Binding, BindingType

from mjtui.actions import NEEDS
from mjtui.providers import Capability, Provider
from mjtui.text import clean
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.help import describe_bindings
from mjtui.tui.inspector import InspectorScreen

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


READONLY_WORDS = {"reset": "moderation reset"}  # how the dashboard names an action it will not send
# What each key needs of an account's provider; the dashboard cancels a job picked in a channel's running list.
DASHBOARD_NEEDS: dict[str, tuple[Capability, ...]] = {
    **{action: (capability,) for action, capability in NEEDS.items()},
    "cancel": (Capability.CANCEL, Capability.RUNNING_LIST),
}


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


def binding_ids() -> set[str]:
    """Every id a user may rebind in [keys]."""
    bindings = [*all_bindings(), *InspectorScreen.BINDINGS, *ConfirmScreen.BINDINGS]
    return {binding.id for binding in bindings if isinstance(binding, Binding) and binding.id}


def help_rows(keymap: dict[str, str], key_display: Callable[[Binding], str],
              accounts: Iterable[tuple[str, Provider | None]]) -> list[tuple[str, str, str]]:
    """`?`'s rows: every key as bound now, the inspector's and the dialog's, Textual's own, and per account
    the keys its provider lacks (hidden while it is selected)."""
    bound = list(with_keymap(keymap))
    rows = describe_bindings(bound, key_display)
    for context, screen_bindings in (("inspector", InspectorScreen.BINDINGS), ("dialog", ConfirmScreen.BINDINGS)):
        declared = [binding for binding in screen_bindings if isinstance(binding, Binding)]
        rows += [(key, f"{context}: {description}", binding_id)
                 for key, description, binding_id in describe_bindings(declared, key_display)]
    rows += [("tab / shift+tab", "Next / previous pane", "(textual)"), ("j/k, ↑/↓", "Move in a table", "(textual)"),
             ("ctrl+p", "Command palette", "(textual)")]
    keys = {binding.id: binding.key for binding in bound if binding.id}
    for name, service in accounts:
        if service is None:
            continue
        lacking = [action for action in DASHBOARD_NEEDS if lacks(service, action)]
        if lacking:
            shown = ", ".join(f"{action} ({keys.get(action, '?')})" for action in lacking)
            rows.append(("-", f"not for account {clean(name, limit=30)} ({service.kind}): {shown}", "(provider)"))
    return rows


def on_dashboard(action: str) -> bool:
    """Whether a binding's action is the dashboard screen's (else the app's)."""
    return any(isinstance(binding, Binding) and binding.action == action for binding in DASHBOARD_BINDINGS)


def lacks(service: Provider, action: str) -> list[Capability]:
    """What the dashboard would need of the provider for `action` that it cannot do."""
    return [capability for capability in DASHBOARD_NEEDS.get(action, ()) if not service.can(capability)]
