"""The cyclic garbage collector while the dashboard runs: rare full passes, and little for them to find.

A full pass scans every tracked object that is not frozen. At a hundred channels that stopped
the UI 50-300 ms several times a minute, so the dashboard (1) freezes what lives as long as it
does (the panes) once they are mounted, and (2) makes full passes a hundred times rarer than
Python's default. (2) is safe only if little cyclic garbage reaches the old generation, where
nothing but a full pass frees it, and (1) only if no garbage is frozen. Under churn these did not
hold, and the process grew ~14 MB a minute:

- Textual's `Strip.divide` caches `[self]` on the strip when the cut is its own length, so
  almost every line a widget paints is a reference cycle; a line kept for a few frames is old
  when it is replaced. `keep_strips_acyclic()` answers that case without caching it.
- A closed screen (help, inspector, history, a dialog, the command palette) is a tree of
  widgets pointing at their parents, old by the time it closes: 1-1.5 MB each. The next tick
  after a screen closes runs one full pass (`Collector.tick`). It first empties Textual's
  `StylesCache.get_inner_outer` cache: an `lru_cache` on a method, so it kept the last 1,024
  widgets' style caches (their painted lines included) alive after the widgets were gone
  (Textual issue #6665); it holds two colours per entry, cheap to work out again.
- `gc.freeze()` freezes garbage too: each freeze now follows a full collection.

What still reaches the old generation is small (Textual's finished workers are cycles, ~15
objects each) and waits for the rare full passes. Textual's watchers (`watch`, `data_bind`) and
signal subscriptions outliving the widget that set them are handled where they occur
(mjtui/tui/footer.py, mjtui/tui/inspector.py). docs/upstream/textual-memory.md drafts the reports upstream.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence

from textual.app import App
from textual.strip import Strip

# Young passes as Python's default (short, about a millisecond); full passes a hundred times rarer.
GC_THRESHOLDS = (700, 10, 1000)

_textual_divide = Strip.divide


def _divide(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
    kept = [cut for cut in cuts if cut <= self.cell_length]
    if kept == [self.cell_length]:
        return [self]  # Textual would also keep this list on the strip: a cycle through itself
    return _textual_divide(self, kept)


def keep_strips_acyclic() -> None:
    """Strips divided at their own length are no longer cycles (idempotent; Textual 8's `Strip.divide`)."""
    Strip.divide = _divide  # type: ignore[method-assign]


class Collector:
    """The dashboard's collector policy: `start` on mount, `stop` on unmount, `tick` once a second."""

    def __init__(self) -> None:
        self._thresholds = gc.get_threshold()
        self._freeze_due = False
        self._screen_closed = False
        self._depth = 1

    def start(self, app: App) -> None:
        """Rare full passes from now on, and a closed screen noted (collected at the next `tick`)."""
        keep_strips_acyclic()
        gc.set_threshold(*GC_THRESHOLDS)
        app.screen_change_signal.subscribe(app, lambda _screen: self._on_screen_change(len(app.screen_stack)))

    def stop(self) -> None:
        """The thresholds and Textual's `Strip.divide` as they were before the dashboard (a process may go on)."""
        gc.set_threshold(*self._thresholds)
        Strip.divide = _textual_divide  # type: ignore[method-assign]

    def freeze_soon(self) -> None:
        """Freeze what is alive at the next `tick` (once, however many accounts mount panes meanwhile): not after the
        next frame, as the full pass before it (30-40 ms at start-up) then held back the frame showing the first jobs."""
        self._freeze_due = True

    def _freeze(self) -> None:
        self._freeze_due = False
        gc.collect()  # what is garbage now would otherwise be frozen with the rest, for good
        gc.freeze()

    def _on_screen_change(self, depth: int) -> None:
        if depth < self._depth:
            self._screen_closed = True
        self._depth = depth

    def tick(self, *, covered: bool = False) -> None:
        """Once a second: new panes frozen (`freeze_soon`), but not while a screen is open over them (`covered`: it
        would be frozen with them, and kept for good once closed); after a screen closed, one full pass frees it."""
        if self._freeze_due and not covered:
            self._freeze()
        if self._screen_closed:
            self._screen_closed = False
            forget_painted_widgets()
            gc.collect()


def forget_painted_widgets() -> None:
    """Empty the cache through which Textual 8 keeps removed widgets' painted lines (see above); a Textual
    without it (see textual_contract.py) keeps them, as it always did."""
    try:
        from textual._styles_cache import StylesCache
    except ImportError:
        return
    cache_clear = getattr(getattr(StylesCache, "get_inner_outer", None), "cache_clear", None)
    if cache_clear is not None:
        cache_clear()
