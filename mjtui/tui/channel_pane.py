"""One channel: its gauges against maxJobs, and its running jobs, updated in place.

A channel whose service says more (a midjourney-proxy account: each job's state, progress, action and prompt;
the account's mode, fast time left and whether it takes jobs) is drawn as a queue: other columns, other gauges
and a second line with the account's state. What decides it is what the poll carries, never the provider's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.css.types import EdgeType
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from mjtui.monitor.snapshot import Availability, ChannelChanges, ChannelInfo, ChannelStats, JobRow, RunState
from mjtui.text import clean
from mjtui.tui.formatting import (
    duration,
    epoch_of,
    local_date,
    local_time,
    safe,
    short_channel_id,
    short_job_id,
)
from mjtui.tui.gauges import GAUGE_COMPONENTS, GAUGE_CSS, Gauges, fullness_level
from mjtui.tui.rows import Column, RowTable, as_line

if TYPE_CHECKING:
    from mjtui.store import ChannelHistory

NEW_HIGHLIGHT_SECONDS = 3.0
MAX_TABLE_ROWS = 16  # a pane shows at most this many job rows; a bigger channel scrolls
SHORT_TABLE_ROWS = 6  # ... and this many on a short terminal (80x24), so more than one pane is in view
SORT_KEYS = ("created", "newest", "type")
# the column header that says each sort (▲ ascending, ▼ descending)
SORT_MARKS: dict[str, tuple[str, str]] = {"created": ("created", "▲"), "newest": ("created", "▼"), "type": ("type", "▲")}
STATUS_WIDTH = 11  # "running 45%"
CLASSIC_COLUMNS: tuple[Column, ...] = (Column("elapsed", "elapsed", 7), Column("id", "job", 10), Column("type", "type", 5),
                   Column("created", "created", 8), Column("status", "status", STATUS_WIDTH), Column("prompt", "prompt", least=8))
QUEUE_COLUMNS: tuple[Column, ...] = (Column("elapsed", "elapsed", 7), Column("id", "job", 10), Column("status", "status", 11),
                 Column("progress", "%", 4), Column("action", "action", 9), Column("prompt", "prompt"))
PANE_GUTTER = 2  # a full pane's border, top and bottom
COMPACT_NAME_WIDTH = 19  # a Discord channel id whole, or a name and the id's tail
COMPACT_BAR_WIDTH = 6
QUEUE_PANE_MIN_WIDTH = 76  # the queue's fixed columns, border, padding, scrollbar, and ~20 cells of prompt
QUEUE_SPARE_ROWS = 2  # a queue pane has room for its slots and this many waiting jobs; more scroll
STATE_WORDS: dict[str, str] = {RunState.MODAL: "needs modal"}  # a state too long for its column, said shorter
DOWN = frozenset({Availability.DISABLED, Availability.LOCKED})  # takes no jobs until an operator acts
ALARM = DOWN | {Availability.BANNED}  # drawn in the error colour; the other states that take no jobs in the warning one


class Elapsed:
    """A job's elapsed-time cell (`0:07`, `1:02:03`), worked out from its pane's clock when it is drawn.

    The tick then repaints only the cells on screen: a pane that scrolls into
    view draws the right values at once, without every off-screen row being
    rewritten each second.
    """

    __slots__ = ("pane", "row")

    def __init__(self, pane: ChannelPane, row: JobRow) -> None:
        self.pane = pane
        self.row = row

    @property
    def plain(self) -> str:
        return duration(self.row.elapsed_at(self.pane.now))

    def __rich__(self) -> Text:
        return Text(self.plain)


class PaneStyles(Widget):
    """The colours every channel pane draws with (gauges, borders, a new job), declared once.

    Textual styles each component class of each widget as it mounts and whenever the widget's
    classes or focus change; a hundred panes with ten components each made start-up and every
    focus change restyle a thousand of them. The app mounts one of these; panes read from it.
    """

    COMPONENT_CLASSES = GAUGE_COMPONENTS | {
        "channel-pane--new", "channel-pane--border", "channel-pane--focused", "channel-pane--full",
        "channel-pane--down", "channel-pane--offline", "channel-pane--mode"}
    DEFAULT_CSS = """
    PaneStyles {
        display: none; background: $surface;  /* what panes are drawn on: see `style` */
        & > .channel-pane--border { color: $border-blurred; }
        & > .channel-pane--focused { color: $accent; }
        & > .channel-pane--full { color: $error; }
        & > .channel-pane--new { color: $accent; text-style: bold; }
        & > .channel-pane--down { color: $error; text-style: bold; }
        & > .channel-pane--offline { color: $warning; text-style: bold; }
        & > .channel-pane--mode { color: $text; text-style: bold; }
    """ + GAUGE_CSS + """
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._drawn: dict[str, Style] = {}  # partial styles with their colour resolved, by component

    def style(self, component: str, *, partial: bool = True) -> Style:
        """A component's style; partial (the default): only what it sets, so a pane's background shows."""
        if not partial:
            return self.get_component_rich_style(component)
        if component not in self._drawn:
            style = self.get_component_rich_style(component, partial=True)
            colour = self._drawn_colour(component)
            self._drawn[component] = style if colour is None else style + Style(color=colour.rich_color)
        return self._drawn[component]

    def _drawn_colour(self, component: str) -> Color | None:
        """The colour of a component as a pane shows it, where a partial style leaves it unresolved ("auto", or
        translucent: $text-muted drew white on the light theme's white); None where nothing needs resolving."""
        styles = self.get_component_styles(component)
        colour = styles.color
        if not styles.has_rule("color") or not (styles.auto_color or colour.a < 1):
            return None
        background = self.background_colors[1]
        if styles.auto_color:
            colour = background.get_contrast_text(colour.a)
        if colour.ansi is not None or background.ansi is not None:  # the terminal's own colours do not mix
            return None
        return background + colour

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn.clear()  # a new theme: its colours


class ChannelPane(RowTable):
    """A channel of one account, one widget: a border titled with the channel and its mode, the gauges
    line, and a table of its running jobs (row keys are job ids).

    One widget rather than a container of three: at a hundred channels every widget is laid
    out and restyled whenever the screen is (start, resize, opening and closing the inspector).
    Elapsed is the first column: it changes every second, and Textual writes a changed cell to
    the terminal together with every cell to its left on that line; first, it is the only one.
    """

    above = 1  # the gauges (a queue: and the account's state)
    columns = CLASSIC_COLUMNS
    DEFAULT_CSS = """
    ChannelPane {
        height: auto; max-height: 20; border: round $border-blurred; padding: 0 1;  /* 16 rows, gauges, header, border */
        border-title-color: $text; border-subtitle-color: $text-muted;
    }
    """

    def __init__(self, account: str, channel_id: str, name: str | None = None) -> None:
        super().__init__(classes="channel-pane")
        self.account = account
        self.channel_id = channel_id
        self.display_name = clean(name) if name and name != channel_id else None
        self.configured_name = self.display_name is not None  # the config's name wins over the service's
        self.mode: str | None = None
        self.queue = False  # drawn as a gateway account's queue: see `_become_queue`
        self.info: ChannelInfo | None = None
        self.stats: ChannelStats | None = None
        self.jobs: dict[str, JobRow] = {}
        self.details: dict[str, str] = {}  # job id -> its status as the detail endpoint said it
        self.prompts: dict[str, str] = {}  # job id -> its prompt, from the detail endpoint or the journal
        self.new_until: dict[str, float] = {}
        self.filter_text = ""
        self.history: ChannelHistory | None = None
        self.sort_key = "created"
        self.short = False  # on a short terminal: see set_short
        self.compact = False  # in the compact view: one line (see set_compact) unless expanded
        self.expanded = False  # drawn in full in the compact view (enter on its line; escape folds it)
        self._compact_line: tuple[tuple, Strip] | None = None
        self.now = 0.0
        self.gauges = Gauges()
        self._titles: tuple[str, str] | None = None
        self._border: tuple[EdgeType, Color | None] | None = None
        self._gauge_line: tuple[tuple, Strip] | None = None  # (what it was drawn from, the line)
        self._info_line: tuple[tuple, Strip] | None = None
        self._shared: PaneStyles | None = None

    class Expand(Message):
        """Enter on a channel's line in the compact view: show that channel in full."""

        def __init__(self, pane: ChannelPane) -> None:
            super().__init__()
            self.pane = pane

    def on_mount(self) -> None:
        self._update_title()
        self._paint_border()

    @property
    def folded(self) -> bool:
        """Drawn as one line: the compact view, not expanded."""
        return self.compact and not self.expanded

    def set_compact(self, compact: bool, *, expanded: bool = False) -> None:
        """One line (the compact view) or the full pane; `expanded`: in full within the compact view."""
        if (compact, expanded) == (self.compact, self.expanded):
            return
        self.compact, self.expanded = compact, expanded and compact
        self.styles.overflow_y = "hidden" if self.folded else "auto"  # a line has no room for a scrollbar
        self._forget_lines()
        self._paint_border()
        self._size_table()

    def render_line(self, y: int) -> Strip:
        if not self.folded:
            return super().render_line(y)
        width = self.line_width
        return self._summary_line(width) if y == 0 else Strip.blank(width, self._style())

    def _summary_line(self, width: int) -> Strip:
        """The compact view's line: the channel, its gauges, its mode (or why it takes no jobs); the cursor's colours when
        focused."""
        drawn_from = (self.gauges.drawn_from, self._titles, self.info, self.has_focus, width)
        if self._compact_line is not None and self._compact_line[0] == drawn_from:
            return self._compact_line[1]
        shared = self.shared
        line = Text()
        line.append(self._compact_name())
        line.pad_right(COMPACT_NAME_WIDTH + 1 - line.cell_len)
        state = self._compact_state()
        gauges = self.gauges.render(lambda name: shared.style(f"gauge--{name}"), COMPACT_BAR_WIDTH)
        # The gauges' tail gives way first: a LOCKED or VERIFYING at the end says more than a queue's count.
        gauges.truncate(max(0, width - line.cell_len - (state.cell_len + 2 if state else 0)), overflow="ellipsis")
        line.append_text(gauges)
        if state:
            line.append("  ")
            line.append_text(state)
        line.truncate(width, overflow="ellipsis")
        style = self._style("row-table--cursor" if self.has_focus else None)
        strip = as_line(line.render(self.app.console), style, width)
        self._compact_line = (drawn_from, strip)
        return strip

    def _compact_name(self) -> str:
        """The channel's name and the tail of its id, or its whole id, cut to the name's column."""
        name = f"{self.display_name} {short_channel_id(self.channel_id)}" if self.display_name else clean(self.channel_id)
        if len(name) > COMPACT_NAME_WIDTH:
            name = name[:COMPACT_NAME_WIDTH - 1] + "…"
        return name

    def _compact_state(self) -> Text:
        """The channel's mode, or (in the theme's warning or error colour) why its account takes no jobs."""
        info = self.info
        if info is not None and info.availability is not Availability.ENABLED:
            name = "channel-pane--down" if info.availability in ALARM else "channel-pane--offline"
            return Text(info.availability.value.upper(), style=self.shared.style(name))
        return Text(self.mode or "", style=self.shared.style("channel-pane--mode"))

    def action_select(self) -> None:
        if self.folded:
            self.post_message(self.Expand(self))
            return
        super().action_select()

    def action_cursor_down(self) -> None:
        if self.folded:  # the compact view is a list of channels: down is the next one
            self.screen.focus_next(ChannelPane)
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.folded:
            self.screen.focus_previous(ChannelPane)
            return
        super().action_cursor_up()

    @property
    def shared(self) -> PaneStyles:
        """The dashboard's one PaneStyles (its screen's: the app's first screen may be the start-up one beneath)."""
        if self._shared is None:
            self._shared = self.screen.query_one(PaneStyles)
        return self._shared

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Its set height (see _size_table) when it has one: a grid row of `auto` height asks for this."""
        height = self.styles.height
        if height is not None and height.is_cells:
            return int(height.value) - self.styles.gutter.height
        return super().get_content_height(container, viewport, width)

    @property
    def min_width(self) -> int:
        """The narrowest this pane's columns read well in."""
        return QUEUE_PANE_MIN_WIDTH if self.queue else 0

    @property
    def down(self) -> bool:
        """The account behind it takes no jobs (disabled or locked) until reset."""
        return self.info is not None and self.info.availability in DOWN

    def _paint_border(self) -> None:
        """The border: accent when focused, error when full or its account is down or banned, warning when it
        takes no jobs for a while (offline, verifying, inactive); double when focused and either.

        Set here rather than by CSS rules on a `-full` class or `:focus`: a class or a pseudo
        class that changes restyles the pane and each of its component styles, about a
        millisecond a pane, and at start a hundred channels fill at once.
        """
        if self.folded:  # a line: its colours say what the border would
            if self._border != ("none", None):
                self._border = ("none", None)
                self.styles.border = ("none", Color(0, 0, 0))
            return
        full, focused = self.has_class("-full"), self.has_focus
        availability = self.info.availability if self.info is not None else Availability.ENABLED
        offline = availability is not Availability.ENABLED
        alarm = "down" if availability in ALARM else ("full" if full else ("offline" if offline else None))
        name = alarm or ("focused" if focused else "border")
        color = self.shared.style(f"channel-pane--{name}", partial=False).color
        edge: EdgeType = "double" if alarm and focused else "round"
        edge_color = Color.from_rich_color(color) if color else None
        if (edge, edge_color) != self._border:
            self._border = (edge, edge_color)
            self.styles.border = (edge, edge_color) if edge_color is not None else None  # no colour: the CSS border

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._border = None  # a new theme: its colours
        if self.is_mounted:
            self._paint_border()

    def _forget_lines(self) -> None:
        self._gauge_line = None
        self._info_line = None
        self._compact_line = None
        super()._forget_lines()

    def render_above(self, y: int, width: int) -> Strip:
        if y == 1:
            return self._account_line(width)
        gauges = self.gauges
        drawn_from = (gauges.drawn_from, width)
        if self._gauge_line is not None and self._gauge_line[0] == drawn_from:
            return self._gauge_line[1]
        shared = self.shared
        line = gauges.render(lambda name: shared.style(f"gauge--{name}"))
        line.truncate(width)
        strip = as_line(line.render(self.app.console), self._style(), width)
        self._gauge_line = (drawn_from, strip)
        return strip

    def _account_line(self, width: int) -> Strip:
        """A queue's second line: the account's mode and fast time left, or why it takes no jobs."""
        drawn_from = (self.info, width)
        if self._info_line is not None and self._info_line[0] == drawn_from:
            return self._info_line[1]
        line = account_line(self.info, self.shared.style)
        line.truncate(width)  # by cells: a reason in Chinese takes two a character
        strip = as_line(line.render(self.app.console), self._style(), width)
        self._info_line = (drawn_from, strip)
        return strip

    def _update_title(self) -> None:
        title = f"{self.display_name} {short_channel_id(self.channel_id)}" if self.display_name else clean(self.channel_id)
        if self.mode:
            title += f" · {self.mode}"
        if self.info is not None and self.info.availability is not Availability.ENABLED:
            title += f" · {self.info.availability.value.upper()}"
        stats = self.stats
        parts = []
        if stats is not None:
            parts.append("idle" if stats.total == 0 else f"{stats.total} running")
        history = self.history
        if history is not None and (history.completed or history.failed):
            day = f"24h {history.completed} done, {history.failed} failed"
            if history.mean_run_seconds is not None:
                day += f", ~{duration(history.mean_run_seconds)} each"
            parts.append(day)
        subtitle = " · ".join(parts)
        if (title, subtitle) == self._titles:
            return  # setting a border title repaints the whole pane
        self._titles = (title, subtitle)
        if self.folded:
            self.refresh_above(0)  # the line shows the mode
        self.border_title = Text(title)  # a plain str border title would be read as markup
        self.border_subtitle = Text(subtitle)

    def set_history(self, history: ChannelHistory) -> None:
        """The journal's last 24 hours for this channel, shown under the pane."""
        if history != self.history:
            self.history = history
            self._update_title()

    def set_account(self, info: ChannelInfo) -> None:
        """What /info said of the account behind the channel, on the line under the gauges (a channel whose poll says
        it, a queue's, keeps the poll's: the next one says it anyway)."""
        if self.queue:
            return
        if self.above != 2:
            self.above = 2
            self._header = None  # the column header moved down a line
            self._forget_lines()  # every line below the gauges moved: none drawn before is right
            self._rebuild()
        self._set_info(info)
        self.refresh()

    def set_mode(self, mode: str | None) -> None:
        if mode != self.mode:
            self.mode = mode
            self._update_title()

    # -- data -------------------------------------------------------------------------------------

    @property
    def selected_job_id(self) -> str | None:
        """The job under the cursor; none while folded into a line (what a key would act on is not in view)."""
        return None if self.folded else self.cursor_key

    def _visible(self, row: JobRow) -> bool:
        if not self.filter_text:
            return True
        needle = self.filter_text.lower()
        haystack = (f"{row.job_id} {row.job_type} {self.details.get(row.job_id, '')} {self.display_name or ''} {self.channel_id}"
                    f" {row.state or ''} {row.action or ''} {self._prompt_of(row)}")  # what a row has of these: a queue's
        return needle in haystack.lower()

    def _cells(self, row: JobRow) -> list[Text | Elapsed]:
        new = self.new_until.get(row.job_id, 0) > self.now
        id_style = self.shared.style("channel-pane--new") if new else ""
        if self.queue:
            return [Elapsed(self, row), Text(short_job_id(row.job_id), style=id_style), *queue_cells(row)]
        return [
            Elapsed(self, row),
            Text(short_job_id(row.job_id), style=id_style),
            safe(row.job_type, limit=5),
            Text(local_time(row.created)),
            safe(self._status_of(row), limit=STATUS_WIDTH),
            safe(self._prompt_of(row), limit=200),
        ]

    def _status_of(self, row: JobRow) -> str:
        """`running`, or `running 45%` where the list or a detail fetch told its progress."""
        detail = self.details.get(row.job_id)
        if detail is not None:
            return detail
        return running_words(None, row.progress)

    def _prompt_of(self, row: JobRow) -> str:
        return row.prompt or self.prompts.get(row.job_id) or ""

    def apply(self, change: ChannelChanges, now: float, *, highlight: bool = True) -> None:
        """Apply one poll's changes to this channel; the table keeps its cursor on the same job."""
        self.now = now
        if not self.queue and (change.info is not None or any(row.state for row in (*change.added, *change.changed))):
            self._become_queue()
        if change.info is not None:
            self._set_info(change.info)
        if change.stats is not None:
            self._set_stats(change.stats)
        if not (change.added or change.removed or change.changed):
            return
        for row in change.removed:
            self.jobs.pop(row.job_id, None)
            self.details.pop(row.job_id, None)
            self.prompts.pop(row.job_id, None)
            self.new_until.pop(row.job_id, None)
        for row in change.changed:
            self.jobs[row.job_id] = row
            if row.job_id in self.rows:  # not a row the filter hides
                self.update_row(row.job_id, partial(self._cells, row))
        added = []
        for row in change.added:
            self.jobs[row.job_id] = row
            if highlight:
                self.new_until[row.job_id] = now + NEW_HIGHLIGHT_SECONDS
            if self._visible(row):
                added.append((row.job_id, partial(self._cells, row)))  # made when first drawn
        if added and self.sort_key != "created":
            self._rebuild()  # new rows go where the order puts them: at most maxJobs rows are set again
        else:
            self.change_rows(remove=[row.job_id for row in change.removed], add=added)
        self._update_title()

    def _become_queue(self) -> None:
        """The poll says more than a running list: draw this channel as a gateway account's queue from now on."""
        self.queue = True
        self.columns = QUEUE_COLUMNS
        self._offsets = self._column_offsets()
        self.above = 2
        self.gauges = Gauges.queue()
        self._header = None
        if self.stats is not None:
            self._set_stats(self.stats)
        self._rebuild()

    def _set_info(self, info: ChannelInfo) -> None:
        """The account behind the channel: its mode in the title, its state on the second line and the border."""
        self.info = info
        if info.name and not self.configured_name:
            self.display_name = clean(info.name, limit=40) if info.name != self.channel_id else None
        if info.mode:
            self.mode = clean(info.mode, limit=12)
        self.refresh_above(1)
        self._paint_border()
        self._size_table()
        self._update_title()

    def _set_stats(self, stats: ChannelStats) -> None:
        self.stats = stats
        if self.queue:
            changed = self.gauges.set((self._slots_taken(stats), stats.max_jobs),
                                      (stats.relax_jobs or 0, stats.max_relax_jobs) if stats.max_relax_jobs else None,
                                      *queue_gauges(stats))
        else:
            changed = self.gauges.set((stats.total, stats.max_jobs), (stats.images, stats.max_image_jobs),
                                      (stats.videos, stats.max_video_jobs))
        if changed:
            self.refresh_above(0)
        full = fullness_level(self._slots_taken(stats), stats.max_jobs) == "full"
        if full != self.has_class("-full"):
            self.set_class(full, "-full", update=False)  # for queries and tests: the border says it on screen
            self._paint_border()
        self._size_table()
        self._update_title()

    def align_gauges(self, rooms: dict[int, tuple[int, ...]]) -> None:
        """Each gauge given the room its account's widest needs (`aligned_rooms`): its channels' lines in columns."""
        if self.gauges.align(rooms[len(self.gauges.items)]):
            self.refresh_above(0)

    @staticmethod
    def _slots_taken(stats: ChannelStats) -> int:
        """The jobs counted against maxJobs: those of a separate relax pool count against its own limit."""
        return stats.total - (stats.relax_jobs or 0)

    def set_short(self, short: bool) -> None:
        """A short terminal: fewer rows per pane."""
        if short != self.short:
            self.short = short
            self._size_table()

    def full_height(self, *, short: bool | None = None) -> int | None:
        """Its height as a full pane (`short`: on a short terminal; default: as it is now): room for maxJobs rows, so the
        pane keeps its size as jobs come and go (the grid stays still); None: sized by its rows (no maxJobs known yet)."""
        max_jobs = self.stats.max_jobs if self.stats is not None else None
        most = SHORT_TABLE_ROWS if (self.short if short is None else short) else MAX_TABLE_ROWS
        if max_jobs and self.queue:  # its slots and a few waiting; a locked account's, only what it still holds
            max_jobs = max(1, len(self.jobs)) if self.down else max_jobs + QUEUE_SPARE_ROWS
            most -= self.above - 1  # the pane's max-height: the account's line takes a row
        rows = min(max(1, max_jobs), most) if max_jobs else None
        # and the gauges, the header and the border
        return None if rows is None else rows + self.above + 1 + PANE_GUTTER

    def _size_table(self) -> None:
        """One line folded in the compact view, else its full height."""
        height = 1 if self.folded else self.full_height()
        current = self.styles.height
        if (current.value if current is not None and current.is_cells else None) == height:
            return
        self.styles.height = height if height is not None else "auto"  # an inline style: no restyle of the pane

    def tick(self, now: float) -> None:
        """Once a second: carry each elapsed clock forward, end the new-job highlight.

        Elapsed cells read `now` when drawn: on screen, the rows whose clock now reads otherwise
        than drawn are repainted (that cell only); off screen, the pane is only marked for a
        repaint, which happens when it scrolls into view (no per-row work).
        """
        self.now = now
        for job_id, until in list(self.new_until.items()):
            if until <= now:
                del self.new_until[job_id]
                if self.is_made(job_id):  # a row not made yet is made without the highlight
                    self.update_cell(job_id, "id", Text(short_job_id(job_id)))
        if self.folded:
            return  # its line has no clock
        if self.in_view:
            self.refresh_live()
        else:
            self.refresh()  # out of view: only marked, drawn afresh when it scrolls into view

    def set_detail(self, job_id: str, status: str, prompt: str | None = None) -> None:
        """What a detail fetch said about a running job: its status or progress (`running 45%`), and its prompt."""
        if job_id not in self.jobs or self.queue:
            return  # a queue's rows carry their progress and prompt from the poll
        if prompt:
            self.set_prompts({job_id: prompt})
        if self.details.get(job_id) != status:
            self.details[job_id] = status
            self.update_cell(job_id, "status", safe(status, limit=STATUS_WIDTH))

    def set_prompts(self, prompts: Mapping[str, str]) -> None:
        """Prompts of running jobs (the journal's or a detail fetch's), shown in the rows whose list says none."""
        if self.queue:
            return
        for job_id, prompt in prompts.items():
            row = self.jobs.get(job_id)
            if row is None or row.prompt or self.prompts.get(job_id) == prompt:
                continue
            self.prompts[job_id] = prompt
            if self.is_made(job_id):  # a row not made yet reads it when it is
                self.update_cell(job_id, "prompt", safe(prompt, limit=200))

    def set_filter(self, text: str) -> None:
        if text == self.filter_text:
            return
        self.filter_text = text
        self._rebuild()

    def set_sort(self, key: str) -> None:
        self.sort_key = key
        self._rebuild()

    def _rebuild(self) -> None:
        """Filter or sort changed: the rows are set again, in order; the table keeps its cursor's job."""
        self.set_rows((row.job_id, partial(self._cells, row)) for row in sorted(self.jobs.values(), key=self._sort_key_of)
                            if self._visible(row))

    def sort_mark(self) -> tuple[str, str] | None:
        # a queue has no created or type column (its elapsed clock runs from a task's start, not its submission)
        return None if self.queue else SORT_MARKS.get(self.sort_key)

    def _sort_key_of(self, row: JobRow) -> tuple:
        if self.sort_key == "newest":
            return (-(epoch_of(row.created) or 0.0),)
        if self.sort_key == "type":
            return (row.job_type, row.created)
        return (row.created,)


def running_words(status: str | None, progress: int | None) -> str:
    """A running job's status cell: `running 45%` where its progress is known, else its status (`running`)."""
    if progress is not None:
        return f"running {progress}%"
    return status or "running"


def queue_gauges(stats: ChannelStats) -> tuple[tuple[int, int | None] | None, ...]:
    """The queue gauges' (count, limit): one queue, or the fast and relax queues apart where the service tells them."""
    queued = stats.queued
    if queued is None:
        return None, None, None
    if stats.queued_relax is None:
        return (queued, stats.max_queued), None, None
    return None, (max(0, queued - stats.queued_relax), None), (stats.queued_relax, None)


def queue_cells(row: JobRow) -> list[Text]:
    """A queued or running gateway job's status, progress, action and prompt (cleaned: the gateway's text)."""
    state = row.state or ""
    progress = f"{row.progress}%" if row.progress is not None and state == RunState.IN_PROGRESS else ""
    return [
        safe(STATE_WORDS.get(state, state), limit=11),
        Text(progress),
        safe((row.action or "").lower(), limit=9),
        safe(row.prompt or "", limit=200),
    ]


def account_line(info: ChannelInfo | None, style: Callable[[str], Style]) -> Text:
    """`fast · fast time left 12.3/15.0 hours (82%)`, or `LOCKED  <why>` in the theme's error colour (`VERIFYING`,
    `INACTIVE`, `OFFLINE`: its warning colour)."""
    text = Text()
    if info is None:
        return text
    if info.availability is not Availability.ENABLED:
        name = "channel-pane--down" if info.availability in ALARM else "channel-pane--offline"
        text.append(info.availability.value.upper(), style=style(name))
        if info.reason:
            text.append("  ")
            text.append(clean(info.reason, limit=200), style=style(name))
        return text
    if not (info.mode or info.fast_time_remaining):
        text.append("taking jobs (no mode or fast time reported)", style=style("gauge--label"))
        return text
    text.append(clean(info.mode or "mode ?", limit=12), style=style("channel-pane--mode"))
    if info.fast_time_remaining:
        text.append(" · fast time left ", style=style("gauge--label"))
        text.append(clean(info.fast_time_remaining, limit=60))
    if info.plan or info.renews_at:
        text.append(" · ", style=style("gauge--label"))
        text.append(plan_words(info))
    return text


def plan_words(info: ChannelInfo) -> str:
    """`Pro, renews 2027-01-14` (the date local), `renews 2027-01-14`, or `Pro`."""
    renews = f"renews {local_date(info.renews_at)}" if info.renews_at is not None else ""
    return ", ".join(part for part in (clean(info.plan or "", limit=24), renews) if part)
