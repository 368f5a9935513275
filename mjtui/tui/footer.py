"""Textual's footer, redrawn only when the keys it shows change, and forgetting the keys it removed."""

from __future__ import annotations

from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    """A compact footer that rebuilds its keys only when what it would show is different.

    Textual's rebuilds them whenever the screen's bindings are re-announced: on every focus
    change and every return from another screen, even when the keys are the same. Rebuilding
    removes and mounts a dozen widgets, and each removal lays out the whole screen again: with a
    hundred channel panes, two layouts more for each tab or closed inspector.

    Each key Textual's footer makes watches the footer's `compact` (`data_bind`), and Textual forgets
    a watcher only when the watched value changes, which `compact` never does: every key ever shown
    stayed alive, a dozen more each time a screen closed (Textual issue #6666; docs/upstream/textual-memory.md).
    A rebuild forgets the watchers of the keys it removed.
    """

    DEFAULT_CSS = """
    KeysFooter.-compact FooterLabel { margin: 0 1 0 0; }  /* a group's label ("r f t i Mode") apart from the next key */
    KeysFooter FooterKey.-command-palette { border-left: vkey $border-blurred; }  /* Textual's 20% is unreadable */
    """

    def __init__(self) -> None:
        super().__init__(compact=True)  # compact: more keys fit at 80 columns
        self._shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = (screen.app.app_focus, tuple(
            (binding.key, binding.description, binding.action, binding.group, enabled, tooltip)
            for _node, binding, enabled, tooltip in screen.active_bindings.values() if binding.show
        ))
        if shown == self._shown and self._bindings_ready:
            return
        self._shown = shown
        super().bindings_changed(screen)

    async def recompose(self) -> None:
        await super().recompose()
        forget_closed_watchers(self)


def forget_closed_watchers(node: DOMNode) -> None:
    """Drop the watchers of `node`'s reactives set by widgets since removed, as Textual does when a value changes."""
    for watchers in getattr(node, "__watchers", {}).values():
        watchers[:] = [(watcher, callback) for watcher, callback in watchers if not watcher._closing]
