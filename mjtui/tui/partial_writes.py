"""Partial screen updates that start where the change starts, not at the left edge of the widget.

Textual writes a partial update as "chops": for each changed line, the part of each widget on
it that overlaps the change. It crops a chop on the right, at the end of the change, but not
on the left (`ChopsUpdate.render_segments`, marked "TODO: crop to x extents" in Textual 8): a
clock in a pane's first column is written with the pane's border and padding before it, and
any change mid-line with everything of the widget to its left. The dashboard rewrites a clock
on every row in view each second, so that is most of what an idle dashboard sends over SSH.

`install()` replaces that one method with the same walk, cropped on both sides. A crop on the
left happens only where it cannot split a character (single-width characters up to the cut, no
combining mark right after it); otherwise the chop is written from its start, as Textual does.
If Textual's class no longer has the shape this was written for, nothing is replaced.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.control import Control
from textual import _compositor

_installed = False


def _render_segments(self: _compositor.ChopsUpdate, console: Console) -> str:
    sequences: list[str] = []
    append = sequences.append
    move_to = Control.move_to
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        for end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items(), strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            start = x
            if x < x1 and _cuts_cleanly(strip.text, x1 - x):
                start = x1
            if start == x and end <= x2:
                append(move_to(x, y).segment.text)
                append(strip.render(console))
                continue
            append(move_to(start, y).segment.text)
            cropped = strip.crop(0, min(end, x2) - x)  # on the right exactly as Textual crops it
            append((cropped.crop(start - x) if start > x else cropped).render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def _cuts_cleanly(text: str, cells: int) -> bool:
    """Whether `text` can be cut `cells` cells in: single-width characters up to there (each one cell,
    so cells are characters), and no zero-width one (a combining mark) just after, cut from its base."""
    head = text[:cells]
    if len(head) < cells or any(cell_len(char) != 1 for char in head):
        return False
    return cells >= len(text) or cell_len(text[cells]) != 0


def install() -> bool:
    """Crop partial updates on the left from now on (idempotent); False if Textual's shape is not the expected one."""
    global _installed
    if _installed:
        return True
    chops = getattr(_compositor, "ChopsUpdate", None)
    init = getattr(chops, "__init__", None)
    names = getattr(getattr(init, "__code__", None), "co_varnames", ())
    if chops is None or not hasattr(chops, "render_segments") or names[1:4] != ("chops", "spans", "chop_ends"):
        return False
    chops.render_segments = _render_segments
    _installed = True
    return True
