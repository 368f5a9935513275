"""Widgets that, out of view, note a repaint for later instead of asking the screen for one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from textual.dom import NoScreen
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    _MixedInto = Widget  # to the type checker, the Widget the mixin always comes ahead of (its super() is that Widget's)
else:
    _MixedInto = object  # at run time not a Widget itself: see PaintsWhenSeen's docstring


class PaintsWhenSeen(_MixedInto):
    """Mix into a widget (first among its bases) whose repaints should cost nothing while it is scrolled out of view.

    Textual treats a repaint asked for by a widget out of view as a sign the screen's
    map of where every widget is has gone stale, and builds that map again on the next
    frame: at a hundred channel panes, about 20 ms, on every poll and every tick of the
    elapsed clocks. Out of view, the repaint is only noted on the widget (its cached lines
    are marked stale), so it is drawn afresh when it scrolls into view. In view, or for a
    layout, Textual's own refresh is used.

    Not a Widget itself: a Widget base ahead of a container or scroll view in the bases
    would put Widget's default styles (overflow hidden) ahead of theirs.
    """

    _stale_out_of_view = False  # repainted out of view, not yet drawn afresh

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        if repaint and not layout and not recompose and self.is_mounted and not self.in_view:
            if not self._stale_out_of_view:
                self._set_dirty()  # all of it, once: drawn afresh as a whole when it is next seen
                self._stale_out_of_view = True
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._stale_out_of_view = False  # seen again: the next repaint out of view marks it anew
        return super().render_lines(crop)

    @property
    def in_view(self) -> bool:
        """Drawn in the last frame, at least in part (True when that cannot be told: Textual decides)."""
        try:
            return self.screen.can_view_partial(self)
        except NoScreen:  # being removed: let Textual decide
            return True
