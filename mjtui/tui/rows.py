"""A keyed table of fixed columns drawn line by line: the dashboard's running and finished jobs.

Textual's DataTable is a general grid: any row change re-measures columns and asks for a
layout, and one changed cell re-renders every visible cell (its caches share one counter).
A monitor changes a few cells of a hundred small tables every second, so these tables do
less: columns have fixed widths, a row is drawn only when it changed or scrolled into view,
and a change that keeps the table's size and scrollbars repaints lines instead of laying out
the screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from mjtui.tui.offscreen import PaintsWhenSeen

PADDING = 1  # cells of space either side of a cell's text


def as_line(segments: Iterable[Segment], style: Style, width: int) -> Strip:
    """Segments over `style`, `width` cells long, runs of one style merged into one segment.

    Merged, a line costs the terminal one style change per run instead of one per cell's
    text and padding: the tick rewrites a clock on every row in view each second.
    """
    return Strip(Segment.simplify(Segment.apply_style(segments, style))).adjust_cell_length(width, style)


class LiveCell(Protocol):
    """A cell worked out when it is drawn (an elapsed clock): `plain` is what it shows now."""

    @property
    def plain(self) -> str: ...

    def __rich__(self) -> Text: ...


Cell = Text | LiveCell
Cells = Sequence[Cell] | Callable[[], Sequence[Cell]]  # or made when first needed: most rows are never drawn


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int | None = None  # None: whatever the line has left (the last column only)
    least: int = 1  # cells of text it needs: with fewer left, it is not drawn (a prompt cut to "…" says nothing)


class RowTable(PaintsWhenSeen, ScrollView, can_focus=True):
    """Rows of cells under a header line, keyed by strings, with a row cursor that stays on its row.

    The cursor follows its row's key as rows come and go; when its row leaves, it stays at
    the same place (on the row that took it). Enter, or a click on the cursor's row, posts
    `RowTable.Selected`.
    """

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("home,g", "scroll_top", "Top", show=False),
        Binding("end,G", "scroll_bottom", "Bottom", show=False),
        Binding("enter", "select", "Select", show=False),
    ]
    COMPONENT_CLASSES = {"row-table--header", "row-table--cursor"}
    DEFAULT_CSS = """
    RowTable {
        background: $surface; color: $foreground; height: auto; overflow-x: hidden;
        & > .row-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .row-table--header { background: ansi_bright_blue; color: ansi_black; }
        & > .row-table--cursor {
            background: $block-cursor-blurred-background; color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .row-table--cursor {
                background: $block-cursor-background; color: $block-cursor-foreground; text-style: $block-cursor-text-style;
            }
        }
    }
    """

    class Selected(Message):
        """A row was chosen (enter, or a click on the cursor's row)."""

        def __init__(self, table: RowTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RowTable:
            return self.table

    columns: Sequence[Column] = ()
    above = 0  # lines drawn above the header by `render_above`, fixed like the header
    _pad = Segment(" " * PADDING)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, classes=classes)
        self._rows: dict[str, list[Cell] | Callable[[], Sequence[Cell]]] = {}
        self._order: list[str] = []
        self._index: dict[str, int] | None = {}  # key -> position; None until asked for after a change
        self._versions: dict[str, int] = {}  # key -> bumped when a cell changes: the line cache's check
        self._lines: dict[str, tuple[tuple, Strip]] = {}  # key -> (what it was drawn from, the line)
        self._parts: dict[str, tuple[tuple, list[list[Segment] | None]]] = {}  # key -> its Text cells, drawn
        self._styles: dict[str | None, Style] = {}
        self._header: tuple[tuple, Strip] | None = None
        self._cursor = 0
        self._cursor_key: str | None = None
        self._offsets = self._column_offsets()

    # -- reading --------------------------------------------------------------------------------------

    @property
    def rows(self) -> Mapping[str, object]:
        """The rows by key, in order (for `in` and their keys; `get_cell` reads a cell)."""
        return self._rows

    def _cells_of(self, key: str) -> list[Cell]:
        """A row's cells, made now if they were given as a function."""
        cells = self._rows[key]
        if callable(cells):
            cells = self._rows[key] = list(cells())
        return cells

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def ordered_keys(self) -> list[str]:
        return list(self._order)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        return self._order[self._cursor] if self._order else None

    def get_row_index(self, key: str) -> int:
        if self._index is None:
            self._index = {k: i for i, k in enumerate(self._order)}
        return self._index[key]

    def get_cell(self, key: str, column: str) -> Text:
        value = self._cells_of(key)[self._column_index(column)]
        return value if isinstance(value, Text) else value.__rich__()

    # -- changing -------------------------------------------------------------------------------------

    def change_rows(self, remove: Iterable[str] = (), add: Iterable[tuple[str, Cells]] = ()) -> None:
        """Remove rows by key, then append (key, cells) rows (a key already present has its cells
        replaced where it is): one poll's changes to a table, resized and repainted once."""
        gone = {key for key in remove if key in self._rows}
        top = round(self.scroll_offset.y)
        above = sum(1 for key in gone if self.get_row_index(key) < top) if gone and top else 0
        for key in gone:
            del self._rows[key]
            self._versions.pop(key, None)
            self._lines.pop(key, None)
            self._parts.pop(key, None)
        if gone:
            self._order = [key for key in self._order if key not in gone]
            self._index = None
        if above and self.is_mounted:
            # Rows left from above the view: scroll up as many, so the rows in view stay where they are.
            self.scroll_to(y=top - above, animate=False, immediate=True)
        added = False
        for key, cells in add:
            if key in self._rows:
                self.update_row(key, cells)
                continue
            self._rows[key] = cells if callable(cells) else list(cells)
            self._versions[key] = 0
            if self._index is not None:
                self._index[key] = len(self._order)
            self._order.append(key)
            added = True
        if gone or added:
            self._rows_changed()

    def add_rows(self, rows: Iterable[tuple[str, Cells]]) -> None:
        self.change_rows(add=rows)

    def remove_rows(self, keys: Iterable[str]) -> None:
        self.change_rows(remove=keys)

    def set_rows(self, rows: Iterable[tuple[str, Cells]]) -> None:
        """All the rows, in this order (a filter or a sort); the cursor stays on its row if it is kept."""
        self._rows = {key: cells if callable(cells) else list(cells) for key, cells in rows}
        self._order = list(self._rows)
        self._index = None
        self._versions = dict.fromkeys(self._order, 0)
        self._lines.clear()
        self._parts.clear()
        self._rows_changed()

    def clear(self) -> None:
        self.set_rows([])

    def update_cell(self, key: str, column: str, value: Cell) -> None:
        if key in self._rows:
            cells = list(self._cells_of(key))
            cells[self._column_index(column)] = value
            self._set_cells(key, cells)

    def update_row(self, key: str, cells: Cells) -> None:
        if key not in self._rows:
            return
        if callable(cells):  # made when next drawn
            self._rows[key] = cells
            self._versions[key] += 1
            self.refresh_rows([key])
        else:
            self._set_cells(key, list(cells))

    def is_made(self, key: str) -> bool:
        """Whether the row's cells exist yet (a row given as a function is made when first needed)."""
        return key in self._rows and not callable(self._rows[key])

    def _set_cells(self, key: str, cells: list[Cell]) -> None:
        old = self._rows[key]
        if not callable(old) and len(old) == len(cells) and all(a is b for a, b in zip(old, cells, strict=True)):
            return  # (not ==: Rich's Text compares its text and spans, not its style)
        self._rows[key] = cells
        self._versions[key] += 1
        self.refresh_rows([key])

    def refresh_rows(self, keys: Iterable[str], span: tuple[int, int] | None = None) -> None:
        """Repaint these rows where they are in view: whole, or only the cells `span` (x, width) covers."""
        if not self.is_mounted:
            return
        first = round(self.scroll_offset.y)
        height = self.size.height
        x, width = span if span is not None else (0, self.line_width)
        top = self.above + 1
        for key in keys:
            if key not in self._rows:
                continue
            y = self.get_row_index(key) - first + top
            if top <= y < height:
                self.refresh(Region(x, y, width, 1))

    def refresh_live(self) -> None:
        """Repaint the live cells (clocks) of the rows in view that now read otherwise than when drawn.

        Live cells change without being set (an elapsed clock's tick); the rest of the row is left.
        """
        if not self.is_mounted:
            return
        first = round(self.scroll_offset.y)
        width, top = self.line_width, self.above + 1
        span = None
        for row, key in enumerate(self._order[first:first + self.rows_in_view], first):
            cells = self._rows[key]
            if callable(cells):
                continue  # not made yet: it is drawn afresh anyway
            live = tuple(cell.plain for cell in cells if not isinstance(cell, Text))
            drawn = self._lines.get(key)
            if not live or (drawn is not None and drawn[0][1] == live):
                continue
            if span is None:
                columns = [index for index, cell in enumerate(cells) if not isinstance(cell, Text)]
                start = self._offsets[columns[0]]
                span = (start, self._offsets[columns[-1]] + self._width_of(columns[-1]))
            x1, x2 = span
            if drawn is not None:
                version, _live, cursor, drawn_width = drawn[0]
                if (version, cursor, drawn_width) == (self._versions[key], row == self._cursor, width):
                    x1, x2 = _changed_cells(drawn[1].text, self._row_line(row, key, width).text, x1, x2)
            if x1 < x2:
                self.refresh(Region(x1, row - first + top, x2 - x1, 1))

    def _rows_changed(self) -> None:
        """Rows came or went: keep the cursor on its row, resize the scrolling area, repaint."""
        self._place_cursor()
        self._resize()
        self.refresh()

    # -- the cursor -----------------------------------------------------------------------------------

    def _place_cursor(self) -> None:
        if self._cursor_key is not None and self._cursor_key in self._rows:
            self._cursor = self.get_row_index(self._cursor_key)
        else:
            self._cursor = max(0, min(self._cursor, len(self._order) - 1))
        self._cursor_key = self.cursor_key

    def move_cursor(self, row: int, *, scroll: bool = True) -> None:
        if not self._order:
            return
        row = max(0, min(row, len(self._order) - 1))
        before = self._cursor_key
        self._cursor, self._cursor_key = row, self._order[row]
        if before in self._rows:
            self.refresh_rows([before])
        self.refresh_rows([self._cursor_key])
        if scroll:
            self._scroll_to_cursor()

    @property
    def line_width(self) -> int:
        """Cells a line has in view: the content's width less a vertical scrollbar's."""
        return max(0, self.size.width - self.scrollbar_size_vertical)

    @property
    def rows_in_view(self) -> int:
        return max(1, self.size.height - self.above - 1)

    def on_resize(self) -> None:
        if self.has_focus:
            self._scroll_to_cursor()  # fewer rows in view (a shorter terminal): the cursor stays in sight

    def _scroll_to_cursor(self) -> None:
        shown = self.rows_in_view
        top = round(self.scroll_offset.y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + shown:
            self.scroll_to(y=self._cursor - shown + 1, animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self._cursor + self.rows_in_view)

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor - self.rows_in_view)

    def action_scroll_top(self) -> None:
        self.move_cursor(0)

    def action_scroll_bottom(self) -> None:
        self.move_cursor(len(self._order) - 1)

    def action_select(self) -> None:
        if self._order:
            self.post_message(self.Selected(self, self._order[self._cursor]))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y <= self.above:
            return
        row = round(self.scroll_offset.y) + offset.y - self.above - 1
        if row >= len(self._order):
            return
        event.stop()
        if row == self._cursor:
            self.action_select()
        else:
            self.move_cursor(row)

    # -- size -----------------------------------------------------------------------------------------

    def _resize(self) -> None:
        """Set the scrolling area to the rows; lay out the screen only if a scrollbar comes or goes.

        Setting `virtual_size` the usual way lays out the whole screen, which at a hundred
        panes is most of a poll's cost; when this table's height is fixed and its scrollbars
        stay, its own scrollbars are brought up to date instead.
        """
        size = Size(self._offsets[-1], self.above + 1 + len(self._order))
        if size == self.virtual_size:
            return
        self.set_reactive(Widget.virtual_size, size)
        if not self._steady():
            self.refresh(layout=True)
            return
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.window_virtual_size = size.height
        bottom = max(0, size.height - self.scrollable_content_region.height)
        if self.scroll_offset.y > bottom:
            self.scroll_to(y=bottom, animate=False, immediate=True)

    def _steady(self) -> bool:
        height = self.styles.height
        if height is None or not height.is_cells or not self.is_mounted or self.outer_size.height != int(height.value):
            return False  # sized by its rows, or not laid out at its height yet
        return (self.virtual_size.height > self.scrollable_content_region.height) == self.show_vertical_scrollbar

    # -- drawing --------------------------------------------------------------------------------------

    def _column_index(self, key: str) -> int:
        for index, column in enumerate(self.columns):
            if column.key == key:
                return index
        raise KeyError(key)

    def _column_offsets(self) -> list[int]:
        """Where each column starts, and (last) the width of the fixed columns."""
        offsets = [0]
        for column in self.columns:
            offsets.append(offsets[-1] + (column.width or 0) + 2 * PADDING)
        return offsets

    def _width_of(self, index: int) -> int:
        width = self.columns[index].width
        if width is None:  # the rest of the line
            return max(0, self.line_width - self._offsets[index])
        return width + 2 * PADDING

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._forget_lines()

    def _forget_lines(self) -> None:
        """Focus or a theme changed the cursor's or the header's style: draw every line afresh.

        Called from `notify_style_update`, which a change of focus brings too (the `:focus` rule).
        """
        self._lines.clear()
        self._styles.clear()
        self._header = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.line_width
        if y < self.above:
            return self.render_above(y, width)
        if y == self.above:
            return self._header_line(width)
        row = round(self.scroll_offset.y) + y - self.above - 1
        if row >= len(self._order):
            return Strip.blank(width, self._style())
        return self._row_line(row, self._order[row], width)

    def _row_line(self, row: int, key: str, width: int) -> Strip:
        """The line of row number `row` (key `key`), from the cache while nothing it was drawn from changed."""
        cells = self._cells_of(key)
        live = tuple(cell.plain for cell in cells if not isinstance(cell, Text))
        drawn_from = (self._versions[key], live, row == self._cursor, width)
        cached = self._lines.get(key)
        if cached is not None and cached[0] == drawn_from:
            return cached[1]
        parts = self._parts.get(key)
        if parts is None or parts[0] != (self._versions[key], width):
            parts = ((self._versions[key], width), self._draw_text_cells(cells))
            self._parts[key] = parts
        segments = [segment for drawn in self._draw_cells(cells, fixed=parts[1]) for segment in drawn]
        style = self._style("row-table--cursor" if row == self._cursor else None)
        line = as_line(segments, style, width)
        self._lines[key] = (drawn_from, line)
        return line

    def render_above(self, y: int, width: int) -> Strip:
        """Line `y` of the `above` lines over the header."""
        return Strip.blank(width, self._style())

    def refresh_above(self, y: int) -> None:
        if self.is_mounted:
            self.refresh(Region(0, y, self.line_width, 1))

    def _style(self, component: str | None = None) -> Style:
        """The table's style, with a component's over it; kept until the styles change."""
        style = self._styles.get(component)
        if style is None:
            style = self.rich_style
            if component is not None:
                style += self.get_component_rich_style(component)
            self._styles[component] = style
        return style

    def sort_mark(self) -> tuple[str, str] | None:
        """(column key, mark) of the column the rows are sorted by, drawn after its label; None: no mark."""
        return None

    def _header_line(self, width: int) -> Strip:
        mark = self.sort_mark()
        if self._header is not None and self._header[0] == (width, mark):
            return self._header[1]
        style = self._style("row-table--header")
        labels = [Text(c.label + (mark[1] if mark and mark[0] == c.key else "")) for c in self.columns]
        segments = [segment for drawn in self._draw_cells(labels) for segment in drawn]
        line = as_line(segments, style, width)
        self._header = ((width, mark), line)
        return line

    def _draw_cells(self, cells: Sequence[Cell], *, fixed: Sequence[list[Segment] | None] | None = None) -> list[list[Segment]]:
        """Each cell's segments, padded to its column; with `fixed` (from `_draw_text_cells`), the Text cells come from it
        and only live cells are drawn."""
        console = self.app.console
        drawn: list[list[Segment]] = []
        for index, cell, room in self._with_room(cells):
            kept = fixed[index] if fixed is not None and isinstance(cell, Text) else None
            drawn.append(kept if kept is not None else self._draw_cell(cell, room, console))
        return drawn

    def _draw_text_cells(self, cells: Sequence[Cell]) -> list[list[Segment] | None]:
        """The plain Text cells' segments, None for a live cell: the parts of a row that change only when it is set."""
        console = self.app.console
        return [self._draw_cell(cell, room, console) if isinstance(cell, Text) else None
                for _index, cell, room in self._with_room(cells)]

    def _with_room(self, cells: Sequence[Cell]) -> Iterator[tuple[int, Cell, int]]:
        """(index, cell, cells of text its column has room for), up to the first column with none."""
        for index, cell in enumerate(cells):
            room = self._width_of(index) - 2 * PADDING
            if room < max(1, self.columns[index].least):
                return
            yield index, cell, room

    def _draw_cell(self, cell: Cell, room: int, console: Console) -> list[Segment]:
        text = (cell if isinstance(cell, Text) else cell.__rich__()).copy()  # one line: cells hold cleaned text
        text.truncate(room, overflow="ellipsis", pad=True)
        own = text.style if isinstance(text.style, Style) else console.get_style(text.style, default=Style.null())
        # render() leaves the text's own style out
        return [self._pad, *Segment.apply_style(text.render(console), own), self._pad]


def _changed_cells(before: str, after: str, start: int, end: int) -> tuple[int, int]:
    """The cells from `start` to `end` where two drawings of a line differ, narrowed to the characters
    that changed (a clock going from 9:41 to 9:42 rewrites one cell); the whole span unless both are
    one character per cell up to `end`."""
    old, new = before[:end], after[:end]
    for text in (old, new):
        span = text[start:]
        if len(text) != end or cell_len(text[:start]) != start or not (span.isascii() and span.isprintable()):
            return start, end
    while start < end and old[start] == new[start]:
        start += 1
    while end > start and old[end - 1] == new[end - 1]:
        end -= 1
    return start, end
