"""`h`: the journal's jobs, filtered by channel, status, time and prompt; enter opens one with no network call."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from mjtui.store import HistoryEntry
from mjtui.text import clean
from mjtui.tui.bindings import HISTORY_BINDINGS
from mjtui.tui.channel_picker import ChannelPicker
from mjtui.tui.footer import KeysFooter
from mjtui.tui.formatting import (
    duration,
    now_local,
    safe,
    short_channel_id,
    short_job_id,
)
from mjtui.tui.panels import final_label

if TYPE_CHECKING:
    from mjtui.tui.host import ScreenHost

STATUSES = (None, "completed", "failed", "cancelled", "moderated")  # as stored
PERIODS = ((24 * 3600, "24h"), (7 * 24 * 3600, "7d"), (31 * 24 * 3600, "31d"), (None, "all"))
PAGE = 500  # rows read at a time: the next page is read when the cursor reaches the last row
# (label, key, width): every column but the prompt, which takes the rest of the line.
COLUMNS = (("when", "at", 8), ("account", "account", 8), ("channel", "channel", 8), ("job", "job", 10),
           ("status", "status", 9), ("run", "run", 6))
PROMPT_MIN = 10
PROMPT_LIMIT = 1000  # characters of a prompt kept: the table cuts it at the screen's edge, this bounds the work
SCROLLBAR = 2  # the table's vertical scrollbar, in cells
CELL_PADDING = 1  # DataTable's default, either side of every cell


def _status(entry: HistoryEntry) -> str:
    if entry.finished_at is None:
        return "running"
    if entry.final_status:  # in mjtui's words whatever the service's (ImaginePro's record says DONE): as `a` filters
        return clean(entry.final_status)
    return final_label(entry.job(), "gone") if entry.record else "gone"


def prompt_width(screen_width: int) -> int:
    """What is left of the line for the prompt once the other columns are drawn."""
    taken = sum(width for _label, _key, width in COLUMNS) + 2 * CELL_PADDING * (len(COLUMNS) + 1) + SCROLLBAR
    return max(PROMPT_MIN, screen_width - taken)


class HistoryTable(DataTable):
    """The jobs, with the keys of the dashboard's tables: j/k, and g/G or home/end for the first and last row."""

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("home,g", "scroll_top", "Top", show=False),
        Binding("end,G", "scroll_bottom", "Bottom", show=False),  # DataTable's end scrolls sideways
    ]


class HistoryScreen(Screen[None]):
    """Jobs the journal remembers, newest first."""

    DEFAULT_CSS = """
    HistoryScreen #filters { height: auto; padding: 0 1; background: $panel; }  /* wraps at 80 columns */
    HistoryScreen #search { height: 3; }
    HistoryScreen DataTable { height: 1fr; }
    HistoryScreen DataTable:ansi > .datatable--header { color: ansi_black; }  /* Textual's: default on bright blue */
    HistoryScreen #empty { color: $text-muted; padding: 1 2; }
    """
    BINDINGS = HISTORY_BINDINGS

    def __init__(self, channel: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.status_index = 0
        self.period_index = 0
        self.channel = channel  # (account, channel id) the user was on, or picked with `c`
        self.from_pane = channel is not None  # else `c` offers a list of channels
        self.only_channel = False
        self.search = ""
        self.entries: dict[str, HistoryEntry] = {}
        self.total = 0  # how many match, of which `entries` are read so far
        self.read = 0  # rows read so far: where the next page starts
        self._generation = 0  # a page read for older filters is dropped
        self._prompt_width = 0

    @property
    def mjtui(self) -> ScreenHost:
        return cast("ScreenHost", self.app)  # Textual types every node's app as App[object]; its host is one of these

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="filters")
            yield Input(placeholder="search prompts and job ids (enter applies, esc leaves)", id="search")
            yield HistoryTable(cursor_type="row", zebra_stripes=True, id="history-table")
            yield Static(id="empty")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self.query_one("#history-table", DataTable).focus()
        self.reload()

    def on_resize(self, event: events.Resize) -> None:
        width = prompt_width(event.size.width)
        if width != self._prompt_width:
            self._prompt_width = width
            self._refill()

    def _refill(self) -> None:
        """Lay the columns out for this width and put the rows read back in, the cursor where it was."""
        table = self.query_one("#history-table", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        for label, key, width in (*COLUMNS, ("prompt", "prompt", self._prompt_width)):
            table.add_column(Text(label), key=key, width=width)
        for key, entry in self.entries.items():
            self._add_row(table, key, entry)
        if self.entries:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)

    def _filters_text(self) -> Text:
        status = STATUSES[self.status_index] or "any"
        period = PERIODS[self.period_index][1]
        where = f"channel {short_channel_id(self.channel[1])}" if self.only_channel and self.channel else "all channels"
        text = Text()
        text.append("History  ", style="bold")
        text.append(f"status {status} (a) · last {period} (w) · {where} (c) · ")
        text.append(f"search {self.search!r} (/)" if self.search else "search: none (/)")
        shown = len(self.entries)
        jobs = f"{shown} of {self.total} jobs" if self.read < self.total else f"{shown} job{'' if shown == 1 else 's'}"
        text.append(f" · {jobs}", style="bold")
        if self.read < self.total:
            text.append(" (more at the end)")
        return text

    def _query(self) -> dict[str, Any]:
        """The journal's filters for what the line above the table says."""
        seconds = PERIODS[self.period_index][0]
        account, channel = self.channel if (self.only_channel and self.channel) else (None, None)
        return {"since": self.mjtui.clock.now() - seconds if seconds else None, "status": STATUSES[self.status_index],
                "channel": channel, "account": account, "search": self.search or None}

    @work(exclusive=True, group="history", exit_on_error=False)
    async def reload(self) -> None:
        """Read the first page for the filters as they now are."""
        self._generation += 1
        await self._read_page(0)

    @work(group="history-more", exit_on_error=False)
    async def read_more(self) -> None:
        """Read the next page, below what is shown."""
        await self._read_page(self.read)

    async def _read_page(self, offset: int) -> None:
        journal, writer = self.mjtui.journal, self.mjtui.writer
        empty = self.query_one("#empty", Static)
        if journal is None or writer is None:
            empty.update(Text("No journal: history is off (see the warning at start)."))
            self.query_one("#filters", Static).update(self._filters_text())
            return
        query, generation = self._query(), self._generation

        def read() -> tuple[list[HistoryEntry], int]:  # on the writer's thread: a page, and how many match in all
            return journal.history(**query, limit=PAGE, offset=offset), journal.history_count(**query)

        try:
            entries, total = await asyncio.wrap_future(writer.submit(read))
        except Exception as exc:  # noqa: BLE001 - the writer has reported it too
            empty.update(Text(f"The journal could not be read: {exc}"))
            return
        if generation == self._generation:
            self.show(entries, total, more=offset > 0)

    def show(self, entries: list[HistoryEntry], total: int, *, more: bool = False) -> None:
        """Show a page of `total` matching jobs: the first (the table starts again), or the next (`more`)."""
        table = self.query_one("#history-table", DataTable)
        if not more:
            table.clear()
            self.entries, self.read = {}, 0
        self.read += len(entries)
        self.total = max(total, self.read)
        for entry in entries:
            key = f"{entry.account}\x00{entry.job_id}"
            if key not in self.entries:  # jobs recorded since the last page shift the next one down
                self.entries[key] = entry
                self._add_row(table, key, entry)
        self.query_one("#empty", Static).update(Text("" if self.entries else "No jobs match."))
        self.query_one("#filters", Static).update(self._filters_text())

    @staticmethod
    def _add_row(table: DataTable, key: str, entry: HistoryEntry) -> None:
        table.add_row(
            Text(now_local(entry.when)), safe(entry.account, limit=8), Text(short_channel_id(entry.channel or "?")),
            Text(short_job_id(entry.job_id)), safe(_status(entry)),
            Text(duration(entry.run_seconds) if entry.run_seconds is not None else "-"),
            safe(entry.prompt or "", limit=PROMPT_LIMIT), key=key,
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row == event.data_table.row_count - 1 and self.read < self.total:
            self.read_more()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_cycle_status(self) -> None:
        self.status_index = (self.status_index + 1) % len(STATUSES)
        self.reload()

    def action_cycle_period(self) -> None:
        self.period_index = (self.period_index + 1) % len(PERIODS)
        self.reload()

    def action_toggle_channel(self) -> None:
        if self.only_channel or self.from_pane:
            self.only_channel = not self.only_channel
            self.reload()
        else:
            self.pick_channel()

    @work(group="history-pick", exit_on_error=False)
    async def pick_channel(self) -> None:
        """Offer the channels the journal knows; the one chosen narrows the history to it."""
        journal, writer = self.mjtui.journal, self.mjtui.writer
        if journal is None or writer is None:
            self.app.notify("no journal: history is off", severity="warning")
            return
        channels = await asyncio.wrap_future(writer.submit(journal.channels))
        if not channels:
            self.app.notify("no channel in the journal yet", severity="warning")
            return
        self.app.push_screen(ChannelPicker(channels, self.channel), self._picked)

    def _picked(self, channel: tuple[str, str] | None) -> None:
        if channel is not None:
            self.channel, self.only_channel = channel, True
            self.reload()

    def action_search(self) -> None:
        field = self.query_one("#search", Input)
        field.display = True
        field.focus()

    @on(Input.Submitted, "#search")
    def _searched(self, event: Input.Submitted) -> None:
        self.search = event.value.strip()
        event.input.display = False
        self.query_one("#history-table", DataTable).focus()
        self.reload()

    def on_key(self, event: events.Key) -> None:
        field = self.query_one("#search", Input)
        if event.key == "escape" and field.has_focus:
            event.stop()
            field.display = False
            self.query_one("#history-table", DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        entry = self.entries.get(event.row_key.value or "")
        if entry is not None:
            self.mjtui.open_inspector(entry.account, entry.job_id, entry.job(), fetch=False)
