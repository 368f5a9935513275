"""What the dashboard's keys need of a provider, and `?` help's rows; the keys themselves are in `mjtui.tui.bindings`.

What a key needs of an account's provider (`DASHBOARD_NEEDS`) decides whether it is shown while that account is selected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from textual.binding import Binding, BindingType

from mjtui.actions import NEEDS
from mjtui.api.models import COMMANDS
from mjtui.providers import Capability, Provider
from mjtui.text import clean
from mjtui.tui.bindings import DASHBOARD_BINDINGS, HISTORY_BINDINGS, INSPECTOR_BINDINGS, all_bindings, with_keymap
from mjtui.tui.confirm import ConfirmScreen

READONLY_WORDS = {"reset": "moderation reset", "press": "pressing buttons"}  # how the TUI names an action it will not send
# What each key needs of an account's provider; the dashboard cancels a job picked in a channel's running list.
DASHBOARD_NEEDS: dict[str, tuple[Capability, ...]] = {
    **{action: (capability,) for action, capability in NEEDS.items()},
    "cancel": (Capability.CANCEL, Capability.RUNNING_LIST),
    "toggle_link": (Capability.TOGGLE,),  # the toggle key's action (Textual's own `toggle` is another)
}


def binding_ids() -> set[str]:
    """Every id a user may rebind in [keys]."""
    bindings = [*all_bindings(), *INSPECTOR_BINDINGS, *HISTORY_BINDINGS, *ConfirmScreen.BINDINGS]
    return {binding.id for binding in bindings if isinstance(binding, Binding) and binding.id}


def help_rows(keymap: dict[str, str], key_display: Callable[[Binding], str],
              accounts: Iterable[tuple[str, Provider | None]]) -> list[tuple[str, str, str]]:
    """`?`'s rows: every key as bound now, the inspector's, the history's and the dialog's, Textual's own, and per account
    the keys its provider lacks (hidden while it is selected)."""
    from mjtui.tui.help import describe_bindings  # the help screen's module loads when help is first asked for

    bound = list(with_keymap(keymap))
    rows = describe_bindings(bound, key_display)
    for context, screen_bindings in (("inspector", INSPECTOR_BINDINGS), ("history", HISTORY_BINDINGS),
                                     ("dialog", ConfirmScreen.BINDINGS)):
        declared = [binding for binding in screen_bindings if isinstance(binding, Binding)]
        rows += [(key, f"{context}: {description}", binding_id)
                 for key, description, binding_id in describe_bindings(declared, key_display)]
    rows += [("tab / shift+tab", "Next / previous pane", "(textual)"), ("j/k, ↑/↓", "Move in a table", "(textual)"),
             ("ctrl+p", "Command palette", "(textual)")]
    keys = {binding.id: binding.key for binding in bound if binding.id}
    for name, service in accounts:
        if service is None:
            continue
        lacking = [action for action in DASHBOARD_NEEDS if action in keys and lacks(service, action)]  # keyless: no row
        if lacking:
            shown = ", ".join(f"{action} ({keys[action]})" for action in lacking)
            rows.append(("-", f"not for account {clean(name, limit=30)} ({service.kind}): {shown}", "(provider)"))
    return rows


def readonly_bindings(bindings: Iterable[BindingType]) -> list[BindingType]:
    """`bindings` with the keys `--readonly` refuses kept off the footer (pressed, they still say why)."""
    return [replace(binding, show=False) if isinstance(binding, Binding) and binding.id and sent_by(binding.id) in NEEDS
            else binding for binding in bindings]


def sent_by(binding_id: str) -> str:
    """The action a key sends, by its id: `seed` and `inspector.seed` a seed, `inspector.press_prompt` a press."""
    name = binding_id.rpartition(".")[2]
    return "press" if name.startswith("press") else name


def readonly_words(action: str) -> str:
    """What a key `--readonly` refuses says when pressed."""
    return f"read-only mode (--readonly): {READONLY_WORDS.get(action, f'/{action}' if action in COMMANDS else action)} is off"


def on_dashboard(action: str) -> bool:
    """Whether a binding's action is the dashboard screen's (else the app's)."""
    return any(isinstance(binding, Binding) and binding.action == action for binding in DASHBOARD_BINDINGS)


def lacks(service: Provider, action: str) -> list[Capability]:
    """What the dashboard would need of the provider for `action` that it cannot do."""
    return [capability for capability in DASHBOARD_NEEDS.get(action, ()) if not service.can(capability)]
