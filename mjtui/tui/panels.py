"""The account sections (header, banner, a grid of channel panes) and the recently-finished list."""

from __future__ import annotations

from functools import partial

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical

from mjtui.api.models import Job
from mjtui.text import clean
from mjtui.tui.account_header import AccountHeader, Banner, ProblemLine
from mjtui.tui.formatting import now_local, safe, short_channel_id, short_job_id
from mjtui.tui.line import Line
from mjtui.tui.rows import Column, RowTable

FINISHED_KEEP = 200  # most rows the finished list holds
FINISHED_TRIM_TO = 150  # rows it keeps when it trims
FINISHED_ROWS, SHORT_FINISHED_ROWS = 8, 4  # the finished list's height, and on a short terminal (the dashboard's CSS)
PANE_MIN_WIDTH = 56  # 51 cells of table columns before the prompt, border, padding, scrollbar room


def final_label(job: Job | None, fallback: str = "gone") -> str:
    """completed / failed / moderated / cancelled: what became of a job that left the running list."""
    if job is None:
        return fallback
    return clean(job.outcome or "?")


class AccountSection(Vertical):
    """Header, banner, and the account's channel grid."""

    DEFAULT_CSS = """
    AccountSection { height: auto; margin-bottom: 1; }
    AccountSection Grid { height: auto; grid-size: 1; grid-rows: auto; grid-gutter: 0 1; }
    AccountSection.-halted ChannelPane, AccountSection.-stale ChannelPane { text-opacity: 55%; }
    """

    def __init__(self, name: str, provider: str, *, id: str) -> None:
        super().__init__(id=id)
        self.account = name
        self.provider = provider
        # Kept, not queried: the dashboard reads them for every account every second, and each poll.
        self.header = AccountHeader(name, provider)
        self.problem = ProblemLine()
        self.banner = Banner()
        self.grid = Grid(classes="channels")

    def compose(self) -> ComposeResult:
        yield self.header
        yield self.problem
        yield self.banner
        yield self.grid


class StickyHeader(Line):
    """Docked over the accounts: the header of the account whose panes fill the top once its own header scrolled off,
    so every pane in view says whose it is."""

    DEFAULT_CSS = "StickyHeader { dock: top; height: 1; padding: 0 1; background: $panel; display: none; }"

    account: str | None = None

    def follow(self, section: AccountSection | None) -> None:
        """Show `section`'s header line, or nothing (None: the top of the view has its own header)."""
        self.account = section.account if section is not None else None
        if self.display != (section is not None):
            self.display = section is not None
        if section is not None:
            self.show_line(section.header.shown or Text())


class FinishedTable(RowTable):
    """Jobs that just left the running list, each with its final state (newest at the bottom).

    Rows are added a poll's worth at a time; past FINISHED_KEEP rows the oldest are dropped
    in bulk, down to FINISHED_TRIM_TO. The cursor follows the newest row unless the user
    has moved it up to read.
    """

    DEFAULT_CSS = f"FinishedTable {{ height: {FINISHED_ROWS}; }}" + """
    FinishedTable > .finished--completed { color: $success; }
    FinishedTable > .finished--bad { color: $error; }
    FinishedTable > .finished--cancelled { color: $text-muted; }
    """
    COMPONENT_CLASSES = RowTable.COMPONENT_CLASSES | {"finished--completed", "finished--bad", "finished--cancelled"}
    columns = (Column("at", "at", 8), Column("account", "account", 8), Column("channel", "channel", 8),
               Column("job", "job", 10), Column("status", "status", 9), Column("note", "note"))

    def __init__(self) -> None:
        super().__init__(id="finished")
        self.can_focus = False  # until a job finishes: an empty list is a tab stop that shows nothing
        self.jobs: dict[str, tuple[str, Job | None]] = {}
        self._status_styles: dict[str, Style] = {}  # component name -> its style in the current theme

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._restyle)

    def _status(self, job: Job | None) -> Text:
        label = final_label(job)
        name = {"completed": "finished--completed", "cancelled": "finished--cancelled"}.get(label, "finished--bad")
        style = self._status_styles.get(name)
        if style is None:  # partial: the row's background shows through
            style = self._status_styles[name] = self.get_component_rich_style(name, partial=True)
        return Text(label, style=style)

    def _restyle(self, _theme: object) -> None:
        """Rows keep the colours they were drawn in; a new theme redraws their status."""
        self._status_styles.clear()
        for job_id, (_account, job) in self.jobs.items():
            if self.is_made(job_id):  # a row not made yet is made in the new colours
                self.update_cell(job_id, "status", self._status(job))

    def add(self, account: str, channel: str, job_id: str, job: Job | None, now: float, note: str = "") -> None:
        self.add_many([(account, channel, job_id, job, now, note)])

    def add_many(self, entries: list[tuple[str, str, str, Job | None, float, str]]) -> None:
        """Add (account, channel, job id, job, when, note) rows; a job already listed is updated in place."""
        at_end = self.row_count == 0 or self.cursor_row >= self.row_count - 1
        rows = []
        for account, channel, job_id, job, now, note in entries:
            # Made when first drawn: a busy poll finishes hundreds of jobs, and the list shows eight.
            rows.append((job_id, partial(self._row, account, channel, job_id, job, now, note)))
            self.jobs[job_id] = (account, job)
        added = any(job_id not in self.rows for job_id, _ in rows)
        self.add_rows(rows)
        self.can_focus = self.row_count > 0
        if self.row_count > FINISHED_KEEP:
            kept = self.ordered_keys[-FINISHED_TRIM_TO:]
            self.remove_rows(self.ordered_keys[:-FINISHED_TRIM_TO])
            self.jobs = {job_id: self.jobs[job_id] for job_id in kept}
        if added and at_end and not self.has_focus:
            self.move_cursor(self.row_count - 1)

    def _row(self, account: str, channel: str, job_id: str, job: Job | None, now: float, note: str) -> list[Text]:
        detail = note or (job.error if job and job.error else (job.prompt if job and job.prompt else ""))
        return [
            Text(now_local(now)), safe(account, limit=8), Text(short_channel_id(channel)), Text(short_job_id(job_id)),
            self._status(job), safe(detail or "", limit=120),
        ]

    @property
    def selected(self) -> tuple[str, str, Job | None] | None:
        key = self.cursor_key
        if key is None or key not in self.jobs:
            return None
        account, job = self.jobs[key]
        return account, key, job
