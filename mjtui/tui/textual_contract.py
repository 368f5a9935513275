"""Every private member of Textual, Rich, textual-image and textual-serve that mjtui touches, in one list.

mjtui is pinned to a Textual minor series (pyproject.toml). Within it these members keep their shape;
the next series may move any of them. `tests/test_textual_contract.py` checks each entry against the
installed packages, so an upgrade fails there first, naming the member, instead of somewhere deep in a
screen. `python -m benchmarks.upgrade_check` runs that test against the newest releases.

Where a public API does the job it is used instead (the keymap mjtui holds itself; `App.bell()`).
Each entry says where it is used and what happens without it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App


@dataclass(frozen=True)
class Private:
    """One private member: `owner.name` (`owner` a dotted import path), what the code needs of it, and where."""

    owner: str
    name: str
    shape: str
    used_in: str
    without_it: str


CONTRACT: tuple[Private, ...] = (
    Private("textual._compositor", "ChopsUpdate", "a class; __init__(self, chops, spans, chop_ends, ...); "
            "render_segments(self, console) -> str", "tui/partial_writes.py",
            "partial writes are not installed (a warning is logged): more bytes per update"),
    Private("textual._compositor", "LayoutUpdate", "a class; __init__(self, strips, region, ...); "
            "render_segments(self, console) -> str", "tui/partial_writes.py", "as ChopsUpdate"),
    Private("textual.strip", "Strip._segments", "a slot holding the strip's list of Segments",
            "tui/partial_writes.py (the Pen)", "partial writes are not installed"),
    Private("textual.strip", "Strip.divide", "a method (self, cuts) -> list of Strips; caches [self] when cut at its "
            "own length", "tui/collector.py (keep_strips_acyclic)", "every painted line is a reference cycle again"),
    Private("textual.strip", "Strip.render_ansi", "a static method (style, color_system) -> str: a style's SGR",
            "tui/partial_writes.py (the Pen)", "the Pen fails at the first update"),
    Private("rich.style", "Style._ansi", "a slot: the cached SGR parameters, None until rendered once",
            "tui/partial_writes.py (the Pen)", "the Pen fails at the first update"),
    Private("rich.style", "Style._link", "a slot: the style's link URL or None", "tui/partial_writes.py",
            "links are written without their OSC 8 id"),
    Private("rich.style", "Style._link_id", "a slot: the link's id", "tui/partial_writes.py", "as _link"),
    Private("rich.console", "Console._color_system", "an attribute: the ColorSystem or None",
            "tui/partial_writes.py", "the Pen assumes truecolor"),
    Private("textual.widget", "Widget._set_dirty", "a method (*regions) marking the whole widget for repaint",
            "tui/offscreen.py", "a pane out of view shows what it showed, not what is true, when scrolled back"),
    Private("textual.widget", "Widget._closing", "a bool attribute, True once the widget is being removed",
            "tui/footer.py (forget_closed_watchers)", "a closed screen's footer keys stay in memory"),
    Private("textual.dom", "DOMNode.__watchers", "an attribute set by string name: {reactive: [(watcher, callback)]}",
            "tui/footer.py (forget_closed_watchers)", "as _closing"),
    Private("textual.widgets", "Footer._bindings_ready", "a bool attribute: the footer has composed its keys",
            "tui/footer.py (KeysFooter.bindings_changed)", "the footer may never show its keys"),
    Private("textual._styles_cache", "StylesCache.get_inner_outer", "an lru_cache-wrapped method with cache_clear()",
            "tui/collector.py (forget_painted_widgets)", "closed screens' painted lines kept up to 1,024 widgets"),
    Private("textual.app", "App._driver", "an attribute: the Driver, with write(str), or None when not running",
            "tui/textual_contract.py (write_to_terminal)", "no desktop notifications (OSC 9/777)"),
    Private("textual.widgets._toast", "ToastRack", "a widget class of that name: each screen's column of toasts, a "
            "child of the screen", "tui/notices.py (TOAST_CSS, keep_toasts_right_of)",
            "toasts show bottom right again, over the finished list and the filter; or over the top bar's count"),
    Private("textual.widgets._toast", "Toast", "a widget class of that name: one toast, in a ToastRack",
            "tui/notices.py (TOAST_CSS, clicked_a_toast)", "toasts are three lines high again, and show over dialogs; "
            "after a toast clicked away, lesser ones wait for its timeout"),
    Private("textual.widgets._toast", "ToastHolder", "a widget class: the container a ToastRack mounts around each Toast",
            "tui/textual_contract.py (drop_toasts)", "a replaced toast's empty holder keeps a row: the next toast shows "
            "one line lower, over the first account's header"),
    Private("textual_image._terminal", "get_cell_size", "a function () -> object with width and height in pixels",
            "tui/preview.py", "previews assume cells twice as tall as wide"),
    Private("textual_serve.server", "Server._make_app", "an async method () -> aiohttp.web.Application",
            "serve.py", "mjtui serve cannot start (no guard can be added)"),
    Private("textual_serve.app_service", "AppService._process", "an attribute: the asyncio subprocess or None",
            "serve.py", "a dashboard whose browser left is not ended by serve, nor its stderr kept off serve's stdout"),
)


def write_to_terminal(app: App, text: str) -> bool:
    """Write `text` (an OSC sequence: a desktop notification) straight to the terminal; False when not running.

    Textual has no public way to send an escape sequence of one's own: the driver's write is the way.
    """
    driver = app._driver
    if driver is None:
        return False
    driver.write(text)
    return True


def drop_toasts(app: App) -> None:
    """Take every toast off the screens, holders and all (Textual's own clearing leaves each toast's holder, a row)."""
    from textual.widgets._toast import ToastHolder

    for screen in app.screen_stack:
        screen.query(ToastHolder).remove()
