"""What the keys on every screen do (pause, refresh, the poll interval), and the command palette's entry per key.

The app's actions call these once the dashboard is there (`MjtuiApp.check_action` dims the keys until then).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding

from mjtui.tui.bindings import with_keymap
from mjtui.tui.keys import on_dashboard

if TYPE_CHECKING:
    from mjtui.tui.app import MjtuiApp

INTERVAL_STEPS = (2, 3, 5, 10, 15, 30, 60, 120, 300)


def toggle_pause(app: MjtuiApp) -> None:
    """Stop every poll and the inspector's follow; called again, resume them."""
    from mjtui.tui.inspector import InspectorScreen

    pausing = not app.paused
    if pausing:
        app.poller.pause()
    else:
        app.poller.resume()  # live accounts poll now, a back-off keeps its Retry-After, halted ones wait
    app.dashboard.show_headers()
    app.dashboard.show_topbar()
    app.notify("paused: no polls until p is pressed again" if pausing else "resumed", timeout=2)
    for screen in app.screen_stack:
        if isinstance(screen, InspectorScreen):
            screen.stop_following() if pausing else screen.fetch()


def poll_now(app: MjtuiApp) -> None:
    """Poll every account now (halted ones too), unless paused: then say how to resume."""
    if app.paused:
        app.notify("paused: press p to resume", severity="warning", timeout=2)
        return
    app.poller.poll_all()


def step_interval(app: MjtuiApp, direction: int) -> None:
    """Poll every account one step of INTERVAL_STEPS less (-1) or more (+1) often, from the step nearest now's."""
    steps = INTERVAL_STEPS
    current = min(range(len(steps)), key=lambda i: abs(steps[i] - app.refresh_seconds))
    app.poller.set_refresh(float(steps[max(0, min(len(steps) - 1, current + direction))]))
    app.notify(app.dashboard.refresh_words(), timeout=2)
    app.dashboard.show_headers()


def palette_commands(app: MjtuiApp, offered: set[str]) -> Iterator[SystemCommand]:
    """A command palette entry per key with a description, `Description (its first key)`; none for those `offered`
    already (Textual's "Quit": not listed twice)."""
    for binding in with_keymap(app.user_keymap):
        if binding.id and binding.description and binding.description not in offered:
            offered.add(binding.description)  # ctrl+c's Quit too
            first_key = Binding(binding.key.split(",")[0], "")
            yield SystemCommand(f"{binding.description} ({app.get_key_display(first_key)})",
                                binding.tooltip or binding.description, partial(run_key_action, app, binding.action))


async def run_key_action(app: MjtuiApp, action: str) -> None:
    """A key's action picked in the palette: the dashboard's own run there, the app's on the app."""
    await (app.dashboard if on_dashboard(action) else app).run_action(action)
