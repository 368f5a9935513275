"""DataTables that keep their size, so rows coming and going never lay out the whole screen."""

from __future__ import annotations

from typing import Self

from textual.geometry import Region
from textual.widgets import DataTable


class SteadyTable(DataTable):
    """A DataTable of fixed height (in cells) that repaints, rather than asking for a layout, when only its rows change.

    DataTable asks for a layout whenever a row comes or goes or its virtual size changes,
    and Textual answers by laying out the whole screen: at a hundred channels that was most
    of a poll's cost. A table whose height is fixed and whose scrollbars would stay as they
    are does not need one; its scrollbars' thumbs are brought up to date here instead.
    Any other change (a new height, a scrollbar to show or hide) is laid out as usual.
    """

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        if layout and self._steady():
            layout = False
            self._sync_scrollbars()
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _steady(self) -> bool:
        height = self.styles.height
        if height is None or not height.is_cells or not self.is_mounted or self.outer_size.height != int(height.value):
            return False  # sized by its content, or not laid out at its height yet
        room, virtual = self.scrollable_content_region, self.virtual_size
        return ((virtual.height > room.height) == self.show_vertical_scrollbar
                and (virtual.width > room.width) == self.show_horizontal_scrollbar)

    def _sync_scrollbars(self) -> None:
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.window_virtual_size = self.virtual_size.height
        if self.show_horizontal_scrollbar:
            self.horizontal_scrollbar.window_virtual_size = self.virtual_size.width
