"""Screen updates in fewer bytes: cropped where the change starts, and colours set only when they change.

Two things Textual 8 does that cost an idle dashboard most of what it sends over SSH:

- It crops a partial update ("chops": for each changed line, the part of each widget on it that
  overlaps the change) on the right, at the end of the change, but not on the left
  (`ChopsUpdate.render_segments`, marked "TODO: crop to x extents"): a clock in a pane's first
  column is written with the pane's border and padding before it.
- It writes every run of text as `SGR + text + reset` (`Strip.render`), so a clock rewritten on
  each of 40 rows costs 40 full 24-bit colour sequences, although every one is the same.

`install()` replaces the two `render_segments` that write the full screen and partial updates
with the same walks through a `Pen`, which remembers the attributes the terminal has set (they
outlive cursor moves) and writes a colour sequence only where the next run needs different ones.
An update's first colour sequence resets first (whatever was written between updates may have
left an attribute on), and its last is a reset, so nothing written after it inherits a colour.
Every line starts with a cursor move, so the newline Textual writes between lines is left out
(it moved the cursor only to have it moved again).

A crop on the left happens only where it cannot split a character (single-width characters up
to the cut, no combining mark right after it); otherwise the chop is written from its start, as
Textual does. If Textual's classes no longer have the shape this was written for, nothing is
replaced.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from textual import _compositor
from textual.strip import Strip

_installed = False
RESET = "\x1b[0m"
# Textual's own writers, as they were before `install()` (tests compare screens written both ways).
TEXTUAL = {cls: cls.render_segments for name in ("ChopsUpdate", "LayoutUpdate")
           if (cls := getattr(_compositor, name, None)) is not None and hasattr(cls, "render_segments")}


class Pen:
    """Writes strips at cursor positions, carrying the terminal's colours and attributes between them."""

    __slots__ = ("_ansi", "_color_system", "_parts")

    def __init__(self, console: Console) -> None:
        self._parts: list[str] = []
        # The SGR parameters in force: "" is the terminal's default; None, unknown (anything written
        # between updates may have left an attribute on), so the first run resets before it sets.
        self._ansi: str | None = None
        self._color_system = console._color_system or ColorSystem.TRUECOLOR

    def move_to(self, x: int, y: int) -> None:
        self._parts.append(f"\x1b[{y + 1};{x + 1}H")

    def write(self, strip: Strip) -> None:
        append = self._parts.append
        current = self._ansi
        render_ansi = Strip.render_ansi
        color_system = self._color_system
        ansi: str | None
        for text, style, _control in strip._segments:
            if not text:
                continue
            if style is None:
                ansi = ""
            elif (ansi := style._ansi) is None:
                ansi = render_ansi(style, color_system)
            if ansi != current:
                append(RESET if not ansi else f"\x1b[{ansi}m" if current == "" else f"\x1b[0;{ansi}m")
                current = ansi
            if style is not None and style._link:
                append(f"\x1b]8;id={style._link_id};{style._link}\x1b\\{text}\x1b]8;;\x1b\\")
            else:
                append(text)
        self._ansi = current

    def finish(self) -> str:
        """Everything written, ending with the terminal's attributes reset."""
        if self._ansi:
            self._parts.append(RESET)
            self._ansi = ""
        return "".join(self._parts)


def _render_chops(self: _compositor.ChopsUpdate, console: Console) -> str:
    pen = Pen(console)
    for y, x1, x2 in self.spans:
        for end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items(), strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            start = x
            if x < x1 and _cuts_cleanly(strip.text, x1 - x):
                start = x1
            pen.move_to(start, y)
            if start == x and end <= x2:
                pen.write(strip)
                continue
            cropped = strip.crop(0, min(end, x2) - x)  # on the right exactly as Textual crops it
            pen.write(cropped.crop(start - x) if start > x else cropped)
    return pen.finish()


def _render_layout(self: _compositor.LayoutUpdate, console: Console) -> str:
    pen = Pen(console)
    x, y = self.region.x, self.region.y
    for index, line in enumerate(self.strips):
        pen.move_to(x, y + index)
        for strip in line:
            pen.write(strip)
    return pen.finish()


def _cuts_cleanly(text: str, cells: int) -> bool:
    """Whether `text` can be cut `cells` cells in: single-width characters up to there (each one cell,
    so cells are characters), and no zero-width one (a combining mark) just after, cut from its base."""
    head = text[:cells]
    if len(head) < cells or any(cell_len(char) != 1 for char in head):
        return False
    return cells >= len(text) or cell_len(text[cells]) != 0


def _has_shape(cls: type, names: tuple[str, ...]) -> bool:
    init = getattr(cls, "__init__", None)
    varnames = getattr(getattr(init, "__code__", None), "co_varnames", ())
    return hasattr(cls, "render_segments") and varnames[1:1 + len(names)] == names


def install() -> bool:
    """Write updates through a `Pen` from now on (idempotent); False if Textual's shape is not the expected one."""
    global _installed
    if _installed:
        return True
    chops = getattr(_compositor, "ChopsUpdate", None)
    layout = getattr(_compositor, "LayoutUpdate", None)
    if chops is None or layout is None:
        return False
    if not (_has_shape(chops, ("chops", "spans", "chop_ends")) and _has_shape(layout, ("strips", "region"))
            and hasattr(Strip, "render_ansi") and "_segments" in getattr(Strip, "__slots__", ())):
        return False
    chops.render_segments = _render_chops
    layout.render_segments = _render_layout
    _installed = True
    return True
