"""`h`: the journal's jobs, filtered by channel, status, time and prompt; enter opens one with no network call."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from mjtui.store import HistoryEntry
from mjtui.tui.bindings import HISTORY_BINDINGS
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

STATUSES = (None, "completed", "failed", "moderated")  # as stored; a cancel is a failed job
PERIODS = ((24 * 3600, "24h"), (7 * 24 * 3600, "7d"), (31 * 24 * 3600, "31d"), (None, "all"))
HISTORY_LIMIT = 500


def _status(entry: HistoryEntry) -> str:
    if entry.finished_at is None:
        return "running"
    return final_label(entry.job(), "gone") if entry.record else (entry.final_status or "gone")


class HistoryScreen(Screen[None]):
    """Jobs the journal remembers, newest first."""

    DEFAULT_CSS = """
    HistoryScreen #filters { height: 1; padding: 0 1; background: $panel; }
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
        self.channel = channel  # (account, channel id) the user was on; `c` toggles it
        self.only_channel = False
        self.search = ""
        self.entries: dict[str, HistoryEntry] = {}

    @property
    def mjtui(self) -> ScreenHost:
        return cast("ScreenHost", self.app)  # Textual types every node's app as App[object]; its host is one of these

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="filters")
            yield Input(placeholder="search prompts (enter applies, esc leaves)", id="search")
            table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="history-table")
            for label, key, width in (("when", "at", 8), ("account", "account", 8), ("channel", "channel", 8),
                                      ("job", "job", 10), ("status", "status", 9), ("run", "run", 6), ("prompt", "prompt", None)):
                table.add_column(Text(label), key=key, width=width)
            yield table
            yield Static(id="empty")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self.query_one("#history-table", DataTable).focus()
        self.reload()

    def _filters_text(self) -> Text:
        status = STATUSES[self.status_index] or "any"
        period = PERIODS[self.period_index][1]
        where = f"channel {short_channel_id(self.channel[1])}" if self.only_channel and self.channel else "all channels"
        text = Text()
        text.append("History  ", style="bold")
        text.append(f"status {status} (a) · last {period} (w) · {where} (c) · ")
        text.append(f"search {self.search!r} (/)" if self.search else "search: none (/)")
        text.append(f" · {len(self.entries)} jobs", style="bold")
        return text

    @work(exclusive=True, group="history", exit_on_error=False)
    async def reload(self) -> None:
        journal, writer = self.mjtui.journal, self.mjtui.writer
        empty = self.query_one("#empty", Static)
        if journal is None or writer is None:
            empty.update(Text("No journal: history is off (see the warning at start)."))
            self.query_one("#filters", Static).update(self._filters_text())
            return
        seconds = PERIODS[self.period_index][0]
        status = STATUSES[self.status_index]
        account, channel = self.channel if (self.only_channel and self.channel) else (None, None)
        since = self.mjtui.clock.now() - seconds if seconds else None
        future = writer.submit(journal.history, since=since, status=status, channel=channel, account=account,
                               search=self.search or None, limit=HISTORY_LIMIT)
        try:
            entries = await asyncio.wrap_future(future)
        except Exception as exc:  # noqa: BLE001 - the writer has reported it too
            empty.update(Text(f"The journal could not be read: {exc}"))
            return
        self.show(entries)

    def show(self, entries: list[HistoryEntry]) -> None:
        table = self.query_one("#history-table", DataTable)
        table.clear()
        self.entries = {}
        for entry in entries:
            key = f"{entry.account}\x00{entry.job_id}"
            if key in self.entries:
                continue
            self.entries[key] = entry
            at = entry.finished_at or entry.last_seen
            table.add_row(
                Text(now_local(at)), safe(entry.account, limit=8), Text(short_channel_id(entry.channel or "?")),
                Text(short_job_id(entry.job_id)), safe(_status(entry)),
                Text(duration(entry.run_seconds) if entry.run_seconds is not None else "-"), safe(entry.prompt or "", limit=200),
                key=key,
            )
        self.query_one("#empty", Static).update(Text("" if entries else "No jobs match."))
        self.query_one("#filters", Static).update(self._filters_text())

    def action_close(self) -> None:
        self.dismiss(None)

    def action_cycle_status(self) -> None:
        self.status_index = (self.status_index + 1) % len(STATUSES)
        self.reload()

    def action_cycle_period(self) -> None:
        self.period_index = (self.period_index + 1) % len(PERIODS)
        self.reload()

    def action_toggle_channel(self) -> None:
        if self.channel is None:
            self.app.notify("open history from a channel pane to filter by it", severity="warning")
            return
        self.only_channel = not self.only_channel
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
