"""The account sections: a useapi account's channel grid, an ImaginePro account's sent commands, and the
recently-finished list."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from mjtui.api.models import Job, MessageProgress
from mjtui.text import clean
from mjtui.tui.account_header import AccountHeader, Banner
from mjtui.tui.formatting import now_local, safe, short_job_id
from mjtui.tui.line import Line
from mjtui.tui.tables import SteadyTable

FINISHED_KEEP = 200  # most rows the finished list holds
FINISHED_TRIM_TO = 150  # rows it keeps when it trims
PANE_MIN_WIDTH = 54  # 49 cells of table columns, border, padding, scrollbar room


def final_label(job: Job | None, fallback: str = "gone") -> str:
    """completed / failed / moderated / cancelled: what became of a job that left the running list."""
    if job is None:
        return fallback
    if job.status == "failed" and (job.error or "").strip().lower() == "job cancelled by user":
        return "cancelled"
    return clean(job.status or "?")


class AccountSection(Vertical):
    """Header, banner, and the account's body (channel grid or command list)."""

    DEFAULT_CSS = """
    AccountSection { height: auto; margin-bottom: 1; }
    AccountSection Grid { height: auto; grid-size: 1; grid-rows: auto; grid-gutter: 0 1; }
    AccountSection.-halted ChannelPane { text-opacity: 55%; }
    """

    def __init__(self, name: str, provider: str, *, id: str) -> None:
        super().__init__(id=id)
        self.account = name
        self.provider = provider

    def compose(self) -> ComposeResult:
        yield AccountHeader(self.account, self.provider)
        yield Banner()
        if self.provider == "imaginepro":
            yield MessageTable(self.account)
        else:
            yield Grid(classes="channels")

    @property
    def header(self) -> AccountHeader:
        return self.query_one(AccountHeader)

    @property
    def banner(self) -> Banner:
        return self.query_one(Banner)


class MessageTable(DataTable):
    """ImaginePro has no running list: show the commands sent from here and their progress."""

    DEFAULT_CSS = "MessageTable { height: auto; max-height: 10; }"

    def __init__(self, account: str) -> None:
        super().__init__(cursor_type="row", classes="messages")
        self.account = account

    def on_mount(self) -> None:
        self.add_column("sent", key="sent", width=8)
        self.add_column("command", key="cmd", width=8)
        self.add_column("message", key="id", width=38)
        self.add_column("status", key="status", width=10)
        self.add_column("progress", key="progress", width=8)
        self.add_column("note", key="note")

    def sent(self, message_id: str, cmd: str, now: float) -> None:
        self.add_row(Text(now_local(now)), safe(cmd), safe(message_id), Text("SENT"), Text(""), Text(""), key=message_id)

    def progress(self, message: MessageProgress) -> None:
        key = message.message_id or ""
        if key not in self.rows:
            return
        self.update_cell(key, "status", safe(message.status or "?"))
        self.update_cell(key, "progress", Text(f"{message.progress}%" if message.progress is not None else ""))
        note = getattr(message, "content", None) or message.error or ""
        self.update_cell(key, "note", safe(note, limit=80))


class FinishedTable(SteadyTable):
    """Jobs that just left the running list, each with its final state (newest at the bottom).

    Rows are added a poll's worth at a time. Past FINISHED_KEEP rows the oldest are dropped in
    bulk, down to FINISHED_TRIM_TO: removing one row re-indexes every row after it, and at a
    hundred busy channels a poll finishes hundreds of jobs.
    """

    DEFAULT_CSS = """
    FinishedTable { height: 8; overflow-x: hidden; }
    .-short FinishedTable { height: 4; }
    FinishedTable > .finished--completed { color: $success; }
    FinishedTable > .finished--bad { color: $error; }
    FinishedTable > .finished--cancelled { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"finished--completed", "finished--bad", "finished--cancelled"}
    COLUMNS = ("at", "account", "channel", "job", "status", "note")

    def __init__(self) -> None:
        super().__init__(cursor_type="row", id="finished")
        self.jobs: dict[str, tuple[str, Job | None]] = {}
        self._cells: dict[str, list[Text]] = {}  # job id -> its row, oldest first: what a trim lays out again

    def on_mount(self) -> None:
        for key, width in zip(self.COLUMNS, (8, 8, 8, 10, 9, None), strict=True):
            self.add_column(key, key=key, width=width)
        self.app.theme_changed_signal.subscribe(self, self._restyle)

    def _status(self, job: Job | None) -> Text:
        label = final_label(job)
        style = {"completed": "finished--completed", "cancelled": "finished--cancelled"}.get(label, "finished--bad")
        return Text(label, style=self.get_component_rich_style(style, partial=True))  # partial: the row's background shows

    def _restyle(self, _theme: object) -> None:
        """Rows keep the colours they were drawn in; a new theme redraws their status."""
        for job_id, (_account, job) in self.jobs.items():
            status = self._status(job)
            self._cells[job_id][self.COLUMNS.index("status")] = status
            self.update_cell(job_id, "status", status)

    def add(self, account: str, channel: str, job_id: str, job: Job | None, now: float, note: str = "") -> None:
        self.add_many([(account, channel, job_id, job, now, note)])

    def add_many(self, entries: list[tuple[str, str, str, Job | None, float, str]]) -> None:
        """Add (account, channel, job id, job, when, note) rows; a job already listed is updated in place."""
        at_end = self.row_count == 0 or self.cursor_row >= self.row_count - 1
        added = False
        for account, channel, job_id, job, now, note in entries:
            cells = self._row(account, channel, job_id, job, now, note)
            if job_id in self.rows:
                for key, value in zip(self.COLUMNS, cells, strict=True):
                    self.update_cell(job_id, key, value)
            else:
                self.add_row(*cells, key=job_id)
                added = True
            self._cells[job_id] = cells
            self.jobs[job_id] = (account, job)
        if self.row_count > FINISHED_KEEP:
            self._trim()
        if added and at_end and not self.has_focus:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def _row(self, account: str, channel: str, job_id: str, job: Job | None, now: float, note: str) -> list[Text]:
        detail = note or (job.error if job and job.error else (job.prompt if job and job.prompt else ""))
        return [
            Text(now_local(now)), safe(account, limit=8), safe("…" + channel[-6:]), Text(short_job_id(job_id)),
            self._status(job), safe(detail or "", limit=120),
        ]

    def _trim(self) -> None:
        """Keep the newest FINISHED_TRIM_TO rows, the cursor on the same job when it is still kept."""
        selected = self.selected
        kept = list(self._cells)[-FINISHED_TRIM_TO:]
        self._cells = {job_id: self._cells[job_id] for job_id in kept}
        self.jobs = {job_id: self.jobs[job_id] for job_id in kept}
        self.clear()
        for job_id, cells in self._cells.items():
            self.add_row(*cells, key=job_id)
        if selected is not None and selected[1] in self.rows:
            self.move_cursor(row=self.get_row_index(selected[1]), animate=False)

    @property
    def selected(self) -> tuple[str, str, Job | None] | None:
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except RowDoesNotExist:
            return None
        if key is None or key not in self.jobs:
            return None
        account, job = self.jobs[key]
        return account, key, job


class TopBar(Line):
    DEFAULT_CSS = "TopBar { height: 1; background: $primary-background; color: $text; padding: 0 1; }"

    def show(self, title: str, accounts: int, running: int, clock: str, extra: str = "") -> None:
        text = Text()
        text.append(title, style="bold")
        text.append(f"   {accounts} account{'s' if accounts != 1 else ''} · {running} running")
        if extra:
            text.append(f" · {extra}", style="bold")
        text.append(f"   {clock}")
        self.show_line(text)
