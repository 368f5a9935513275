"""The dashboard screen: a section per account, a pane per channel, what finished, and the keys that act on them.

Data flows one way: the poller's answer arrives as a `PollDone` message -> the snapshot diff -> only the panes
that changed. The selection (the focused pane, the finished list) decides what a key acts on; `Dispatcher`
sends it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Input

from mjtui.api import errors
from mjtui.api.models import COMMANDS, Job
from mjtui.clock import Clock
from mjtui.logs import log
from mjtui.monitor.account_info import AccountInfo
from mjtui.monitor.health import Health
from mjtui.monitor.snapshot import ChannelInfo
from mjtui.poller import AccountState, Answer, Poller, internal_error
from mjtui.text import clean
from mjtui.timers import Timers
from mjtui.tui.channel_pane import PANE_GUTTER, SORT_KEYS, ChannelPane, PaneStyles, running_words
from mjtui.tui.dispatch import Dispatcher, channel_name
from mjtui.tui.footer import KeysFooter
from mjtui.tui.formatting import now_local, short_channel_id, short_job_id
from mjtui.tui.gauges import aligned_rooms
from mjtui.tui.keys import DASHBOARD_BINDINGS, lacks, readonly_bindings
from mjtui.tui.messages import FinalsFetched, FinalState, PollDone
from mjtui.tui.notices import keep_toasts_right_of
from mjtui.tui.notifications import Finished
from mjtui.tui.panels import (
    FINISHED_ROWS,
    PANE_MIN_WIDTH,
    SHORT_FINISHED_ROWS,
    AccountSection,
    FinishedTable,
    StickyHeader,
    final_label,
)
from mjtui.tui.rows import RowTable
from mjtui.tui.topbar import TopBar

if TYPE_CHECKING:
    from mjtui.store import ChannelHistory, HistoryEntry
    from mjtui.tui.app import MjtuiApp
    from mjtui.tui.inspector import InspectorScreen

DAY = 24 * 3600.0
NO_LINK = "no linked account mjtui knows of is behind this pane: select a linked account's pane (tab moves between panes)"


class FinishedTitle(TopBar):
    DEFAULT_CSS = "FinishedTitle { height: 1; background: $panel; color: $text-muted; padding: 0 1; }"

    def on_mount(self) -> None:
        self.update("Recently finished (enter inspects, s fetches a seed)")


def is_short(height: int) -> bool:
    """A terminal too short for full-height panes (80x24, say)."""
    return height < 32


# The lines around the accounts: the top bar, Recently finished's title, the footer (its table: see `room_for_accounts`).
AROUND_ACCOUNTS = 3


def room_for_accounts(height: int) -> int:
    """Lines the accounts' sections have on a terminal `height` lines tall."""
    return height - AROUND_ACCOUNTS - (SHORT_FINISHED_ROWS if is_short(height) else FINISHED_ROWS)


class DashboardScreen(Screen[None]):
    """Every account's channels, live; the app's first screen."""

    SHOWS_NEWS = True  # the polls' toasts (jobs finished, slots freed) show here, not over an inspector or the history

    DEFAULT_CSS = """
    DashboardScreen { layers: base overlay; }
    DashboardScreen #accounts { height: 1fr; scrollbar-gutter: stable; }  /* a scrollbar coming moves no width */
    DashboardScreen #filter { dock: bottom; display: none; margin: 0 0 1 0; }
    DashboardScreen #filter.-visible { display: block; }
    """ + f"DashboardScreen.-short FinishedTable {{ height: {SHORT_FINISHED_ROWS}; }}"  # FinishedTable's CSS is scoped to it
    BINDINGS = DASHBOARD_BINDINGS
    AUTO_FOCUS = "ChannelPane"  # back on this screen with nothing focused: the first pane, never the scroll area

    def __init__(self) -> None:
        super().__init__()
        self.sort_key = SORT_KEYS[0]
        self.filter_text = ""
        self._panes: dict[tuple[str, str], ChannelPane] = {}  # (account, channel id) -> its pane; panes stay
        self.compact = False  # a line a channel (see `choose_view`)
        self.view_chosen = False  # the user switched views with the key: the size no longer decides
        self._sections: dict[str, AccountSection] = {}  # account -> its section, in the accounts' order
        self._scroll = VerticalScroll(id="accounts", can_focus=False)  # focused, it showed nothing: a lost tab stop
        self._topbar = TopBar(id="topbar")
        self.sticky = StickyHeader()
        self._toasts_beside: tuple[int, int] | None = None  # (the top bar's text width, the screen's) toasts are set for

    @property
    def mjtui(self) -> MjtuiApp:
        return cast("MjtuiApp", self.app)

    # The app's parts this screen reads all the time, named as the app names them.
    @property
    def accounts(self) -> dict[str, AccountState]:
        return self.mjtui.accounts

    @property
    def poller(self) -> Poller:
        return self.mjtui.poller

    @property
    def dispatcher(self) -> Dispatcher:
        return self.mjtui.dispatcher

    @property
    def clock(self) -> Clock:
        return self.mjtui.clock

    @property
    def timers(self) -> Timers:
        return self.mjtui.timers

    def record(self, method: str, *args: object) -> None:
        self.mjtui.record(method, *args)

    # -- layout ---------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield PaneStyles()  # first: a theme change restyles it before the panes that read it
        yield self._topbar
        with self._scroll:
            yield self.sticky
            for index, state in enumerate(self.accounts.values()):
                self._sections[state.name] = AccountSection(state.name, state.provider, id=f"account-{index}")
                yield self._sections[state.name]
        yield Input(placeholder="filter jobs: id, type, channel, prompt (enter keeps it, esc clears)", id="filter")
        yield FinishedTitle()
        yield FinishedTable()
        yield KeysFooter()

    async def on_mount(self) -> None:
        if self.mjtui.exiting:  # stopped while it was being shown: its sections may never be composed
            return
        for state in self.accounts.values():
            self.show_header(state)
            if state.problem:
                banner = self.section(state.name).banner
                banner.set_class(True, "-visible")
                banner.update(Text(f"Not polled: {clean(state.problem)}"))
                continue
            await self._ensure_panes(state, state.channel_names, settle=False)
            if state.last_poll_at is None:  # polled already when start-up asked before the dashboard was built
                self.poll(state.name)
        self._layout_grids()
        self.choose_view()
        self.show_topbar()
        self.watch(self._scroll, "scroll_y", self.show_sticky_header, init=False)

    def on_resize(self, event: events.Resize) -> None:
        # The event's size: the screen's own may still be the old one while the event is handled.
        short = is_short(event.size.height)
        self.set_class(short, "-short")
        for pane in self._panes.values():
            pane.set_short(short)
        self.choose_view(event.size.width, event.size.height)
        self._layout_grids(event.size.width)

    def _layout_grids(self, width: int | None = None) -> None:
        width = max(1, self.app.size.width if width is None else width)
        for account, section in self._sections.items():
            columns = 1 if self.compact else self._columns(self._panes_of(account), width)
            if section.grid.styles.grid_size_columns != columns:
                section.grid.styles.grid_size_columns = columns

    @staticmethod
    def _columns(panes: list[ChannelPane], width: int) -> int:
        """Panes side by side in the full view: the same width in every account, but where panes need more (a gateway's
        queue, with its prompts)."""
        least = max([PANE_MIN_WIDTH, *(pane.min_width for pane in panes)])
        return max(1, width // least)

    def _align_gauges(self, account: str) -> None:
        """The account's channels' gauges in columns, one line under the other: each as wide as its widest (maxJobs
        12 on one channel, 3 on the next)."""
        panes = self._panes_of(account)
        rooms = aligned_rooms(pane.gauges for pane in panes)
        for pane in panes:
            pane.align_gauges(rooms)

    def _panes_of(self, account: str) -> list[ChannelPane]:
        """The account's panes, in their grid's order (panes are only ever added, each at the end)."""
        return [pane for (owner, _), pane in self._panes.items() if owner == account]

    # -- the compact view -----------------------------------------------------------------------------

    def choose_view(self, width: int | None = None, height: int | None = None) -> None:
        """The compact view where the full panes do not fit the terminal, unless the user chose a view with the key."""
        if self.view_chosen:
            return
        width = self.app.size.width if width is None else width
        height = self.app.size.height if height is None else height
        self.set_compact(self._full_height(width, height) > room_for_accounts(height))

    def _full_height(self, width: int, height: int) -> int:
        """Lines the accounts would take in the full view: each header, banner, rows of panes and the gap after it."""
        short = is_short(height)
        total = 0
        for account, section in self._sections.items():
            panes = self._panes_of(account)
            columns = self._columns(panes, max(1, width))
            heights = [pane.full_height(short=short) or pane.above + 2 + PANE_GUTTER for pane in panes]
            rows = sum(max(heights[start:start + columns]) for start in range(0, len(heights), columns))
            banner = max(1, section.banner.outer_size.height) if section.banner.has_class("-visible") else 0
            total += 1 + banner + rows + 1
        return total

    def set_compact(self, compact: bool) -> None:
        """Show every channel as one line (enter on one shows it in full), or every pane in full."""
        if compact == self.compact:
            return
        self.compact = compact
        with self.app.batch_update():
            for section in self._sections.values():  # a line a channel: every line counts. Inline, as a class on the
                section.styles.margin = (0, 0, 0 if compact else 1, 0)  # screen would restyle every pane (~30 ms at 100)
            for pane in self._panes.values():
                pane.set_compact(compact)
            self._layout_grids()
        selected = self.focused_pane()
        if selected is not None:
            self.call_after_refresh(selected.scroll_visible, animate=False)  # the selected channel stays in sight

    def action_view(self) -> None:
        """Switch between the compact and the full view; from now on the terminal's size no longer switches it."""
        self.view_chosen = True
        self.set_compact(not self.compact)
        self.app.notify("compact view: a line a channel, enter shows one in full" if self.compact else "full view",
                        timeout=2)

    def on_channel_pane_expand(self, message: ChannelPane.Expand) -> None:
        """Enter on a channel's line: that channel in full (the one shown before folds back)."""
        for pane in self._panes.values():
            if pane.expanded and pane is not message.pane:
                pane.set_compact(True)
        message.pane.set_compact(True, expanded=True)
        self.call_after_refresh(message.pane.scroll_visible, animate=False)

    def section(self, account: str) -> AccountSection:
        return self._sections[account]

    def pane(self, account: str, channel_id: str) -> ChannelPane | None:
        return self._panes.get((account, channel_id))

    async def _ensure_panes(self, state: AccountState, channel_ids: Iterable[str], *, settle: bool = True) -> None:
        """A pane for each channel that has none yet, mounted together (one layout, not one per pane); `settle`: the
        view and the grids' columns chosen again (else the caller does, once, when all are in)."""
        new = []
        for channel_id in channel_ids:
            if self.pane(state.name, channel_id) is not None:
                continue
            pane = ChannelPane(state.name, channel_id, state.channel_names.get(channel_id))
            pane.sort_key = self.sort_key
            pane.filter_text = self.filter_text
            pane.mode = state.modes.get(channel_id)
            pane.short = is_short(self.app.size.height)
            pane.set_compact(self.compact)
            self._panes[(state.name, channel_id)] = pane
            new.append(pane)
        if new:
            await self.section(state.name).grid.mount_all(new)
            if settle:
                self.choose_view()
                self._layout_grids()
            if self.focused is None:  # the first panes: Enter inspects the first job at once
                self._focus_first_pane(scroll_visible=False)  # laid out yet or not, the view stays at the top
            # Panes live as long as the app: out of the full passes' reach (at a hundred channels each scanned them ~0.3 s).
            self.mjtui.collector.freeze_soon()

    def show_info(self, state: AccountState, channel: str, info: AccountInfo) -> None:
        """What /info said of a channel's account: its mode, and the line under the pane's gauges."""
        if info.mode:
            self.set_mode(state, channel, info.mode)
        pane = self.pane(state.name, channel)
        if pane is not None:
            pane.set_account(ChannelInfo(mode=info.mode, fast_time_remaining=info.fast_time_remaining, plan=info.plan,
                                         renews_at=info.renews_at))

    def set_mode(self, state: AccountState, channel: str, mode: str) -> None:
        """A channel's mode, as a command's answer or /info said it."""
        state.modes[channel] = mode
        pane = self.pane(state.name, channel)
        if pane is not None:
            pane.set_mode(mode)

    # -- poll answers -----------------------------------------------------------------------------------

    def poll(self, account: str) -> None:
        """Poll the account now (see `Poller.poll`)."""
        self.poller.poll(account)

    async def on_poll_done(self, message: PollDone) -> None:
        answer = message.answer
        state = self.accounts[answer.account]
        if answer.error is None:
            try:
                await self._apply(state, answer, self.clock.now())
            except Exception as exc:  # noqa: BLE001
                log.error("applying a poll of %s failed", state.name, exc_info=exc)
                self.app.notify(clean(str(internal_error(exc)), limit=200), severity="error")
        self.show_account(state)

    async def _apply(self, state: AccountState, answer: Answer, now: float) -> None:
        """A poll's answer on screen: panes, freed slots, and what the journal keeps of it."""
        fresh, previous, changes = answer.snapshot, answer.previous, answer.changes
        assert fresh is not None and changes is not None
        first = previous is None
        if previous is not None and not state.finals.held:  # a list suspected of flapping frees no slot
            self.mjtui.announcer.freed_slots(state.name, previous, fresh, now, lambda c: self.channel_label(state, c))
        if self.mjtui.journal_link is not None:
            self.mjtui.journal_link.record_snapshot(state.name, fresh, now)
        if not (changes and changes.removed):  # else said with their final states, once fetched: one toast
            self.mjtui.announcer.say_finished(state.name)  # a backlog still draining: what has come in so far, once a poll
        if not changes:
            return
        # New to this poll (a channel that went idle and came back has its pane still); laid out once, with their jobs
        # (a frame between mounting and filling them laid out a hundred empty panes first).
        with self.app.batch_update():
            await self._ensure_panes(state, changes.new_channels, settle=not first)  # the first: settled below
            for channel_id, change in changes.channels.items():
                pane = self.pane(state.name, channel_id)
                if pane is not None:
                    pane.apply(change, now, highlight=not first)
            self._align_gauges(state.name)
        if first and self.mjtui.journal_link is not None:
            # Jobs running since an earlier session may have been inspected then; this session's set their prompt as fetched.
            added = (row for change in changes.channels.values() for row in change.added)
            self.mjtui.journal_link.find_prompts(state.name, added)
        if first:
            self.choose_view()  # the panes' heights are known now (their channels' maxJobs)
            self._layout_grids()  # a pane may have found itself a queue, which needs more width
            self.refresh_bindings()  # what the provider can do may be known only now (a gateway's dialect)
        self.show_topbar()

    def on_final_state(self, message: FinalState) -> None:
        now = self.clock.now()
        finals = [(final.job_id, final.job) for final in message.finals]
        if self.mjtui.journal_link is not None:
            self.mjtui.journal_link.keep_finals(message.account, finals)
        else:  # before the journal opened (see LateStore): this opens it, and they are kept
            self.mjtui.record("record_finals", message.account, finals, now)
        rows = []
        for final in message.finals:
            job, note = final.job, ""
            if job is None:
                note = final.error or ""
            elif job.is_running:
                note = f"left the list while {job.status}"
            elif self.dispatcher.cancelled_from_here(message.account, final.job_id) and final_label(job) == "cancelled":
                pass  # announced when it was cancelled
            else:
                channel = self.channel_label(self.accounts[message.account], final.channel)
                self.mjtui.announcer.finished(message.account, Finished(short_job_id(final.job_id), channel,
                                                                        final_label(job), job.error or ""))
            rows.append((message.account, final.channel, final.job_id, job, now, note))
        self.query_one(FinishedTable).add_many(rows)

    def on_finals_fetched(self, message: FinalsFetched) -> None:
        self.mjtui.announcer.say_finished(message.account)

    def halted(self, state: AccountState, exc: errors.MjtuiError) -> None:
        """An action's answer said the account is halted (596): shown as a poll saying so would."""
        state.status.failed(exc, self.clock.now(), self.poller.refresh_seconds)
        self.show_account(state)

    @staticmethod
    def channel_label(state: AccountState, channel_id: str) -> str:
        """The channel's name (configured, or its service's), else the tail of its id as Recently finished shows it."""
        name = channel_name(state, channel_id)
        if name:
            return clean(name, limit=40)
        return short_channel_id(channel_id)

    # -- the journal's view of the past ----------------------------------------------------------------

    def show_recent(self, entries: list[HistoryEntry]) -> None:
        """Recently finished jobs from the journal, oldest first, before the first poll answers."""
        table = self.query_one(FinishedTable)
        for entry in reversed(entries):
            if entry.account in self.accounts and entry.job_id not in table.rows:
                table.add(entry.account, entry.channel or "", entry.job_id, entry.job(), entry.finished_at or entry.last_seen)

    def show_channel_history(self, stats: dict[tuple[str, str], ChannelHistory]) -> None:
        from mjtui.store import ChannelHistory  # the journal's: loaded once it opens, not on the first poll's way

        for pane in self.query(ChannelPane):
            pane.set_history(stats.get((pane.account, pane.channel_id), ChannelHistory(0, 0, None)))

    # -- the once-a-second tick -----------------------------------------------------------------------

    def tick(self) -> None:
        now = self.clock.now()
        for pane in self._panes.values():
            if not self.accounts[pane.account].status.health.halted:  # frozen data does not pretend to move
                pane.tick(now)
        self.show_headers()
        self.show_topbar()
        self.show_sticky_header()  # the panes above may have changed height

    def show_sticky_header(self) -> None:
        """Over the accounts: the header of the account whose panes are at the top, once its own header scrolled off."""
        top = round(self._scroll.scroll_y)
        start, shown = 0, None
        for section in self._sections.values():  # stacked in order: each starts where the last ended
            end = start + section.outer_size.height
            if start < top < end:
                shown = section
                break
            start = end + section.styles.margin.bottom
        self.sticky.follow(shown)

    def show_account(self, state: AccountState) -> None:
        self.show_header(state)
        section = self.section(state.name)
        section.banner.show(state.status, state.name)
        section.set_class(state.status.health.halted, "-halted")

    def show_headers(self) -> None:
        for state in self.accounts.values():
            if state.problem is None:
                self.show_header(state)

    def show_header(self, state: AccountState) -> None:
        """The account's header line, why its last poll failed, and its panes dimmed while what they show is stale."""
        running = state.snapshot.running if state.snapshot else None
        interval, now, section = self.poller.interval(state.name), self.clock.now(), self.section(state.name)
        note = self.poller.leases.note(state.name) if self.poller.leases else None
        section.header.show(state.status, now, interval, running, rate_limited=interval == state.min_poll_seconds > 0,
                            note=note)
        section.problem.show(state.status)
        section.set_class(state.status.is_stale(now, interval), "-stale")
        if self.sticky.account == state.name and section.header.shown is not None:
            self.sticky.show_line(section.header.shown)

    def refresh_words(self) -> str:
        """What + / - set: the refresh interval, and the accounts whose service's rate limit polls them less often."""
        seconds = self.poller.refresh_seconds
        floors = {name: self.poller.interval(name) for name, state in self.accounts.items()
                  if self.poller.interval(name) == state.min_poll_seconds > 0}
        if not floors:
            return f"refresh every {seconds:g}s"
        if len(floors) == len(self.accounts):
            return f"refresh every {max(floors.values()):g}s: the service's rate limit allows no faster"
        limited = ", ".join(f"{clean(name, limit=20)} every {interval:g}s" for name, interval in floors.items())
        return f"refresh every {seconds:g}s ({limited}: the rate limit allows no faster)"

    def show_topbar(self) -> None:
        running = sum(state.snapshot.running for state in self.accounts.values() if state.snapshot)
        extra = "PAUSED" if self.poller.paused else ""
        if self.mjtui.readonly:
            extra = f"{extra} read-only".strip()
        if self.filter_text:
            extra = f"{extra} filter: {clean(self.filter_text, limit=20)}".strip()
        # Minutes: the bar is a whole terminal line, rewritten each time its text changes.
        clock = now_local(self.clock.now())[:5]
        self._topbar.show(self.mjtui.title_text, len(self.accounts), running, clock, extra)
        if (self._topbar.text_width, self.size.width) != self._toasts_beside:  # the running count stays readable
            self._toasts_beside = (self._topbar.text_width, self.size.width)
            keep_toasts_right_of(self, self._topbar.text_width)

    # -- selection ------------------------------------------------------------------------------------

    def focused_pane(self) -> ChannelPane | None:
        widget = self.focused
        while widget is not None and not isinstance(widget, ChannelPane):
            widget = widget.parent  # type: ignore[assignment]
        return widget

    def selected_account(self) -> AccountState | None:
        pane = self.focused_pane()
        if pane is not None:
            return self.accounts[pane.account]
        if isinstance(self.focused, FinishedTable) and self.focused.selected:
            return self.accounts[self.focused.selected[0]]
        live = [state for state in self.accounts.values() if state.connection is not None]
        return live[0] if len(live) == 1 else None

    def _selected_channel(self) -> tuple[AccountState, str | None] | None:
        pane = self.focused_pane()
        if pane is not None:
            return self.accounts[pane.account], pane.channel_id
        if isinstance(self.focused, FinishedTable) and self.focused.selected:
            account, _, job = self.focused.selected
            return self.accounts[account], job.channel if job else None
        state = self.selected_account()
        if state is None:
            return None
        if state.service is not None and not state.service.commands_need_a_channel:
            return state, None
        return state, self._only_channel(state)

    def _channel_of(self, state: AccountState) -> str | None:
        """The selected channel of this account, or its only channel."""
        pane = self.focused_pane()
        if pane is not None and pane.account == state.name:
            return pane.channel_id
        return self._only_channel(state)

    @staticmethod
    def _only_channel(state: AccountState) -> str | None:
        channels = list(state.snapshot.jobs) if state.snapshot else list(state.channel_names)
        return channels[0] if len(channels) == 1 else None

    def lacks(self, account: str, action: str) -> bool:
        """Whether the account's provider cannot do what the key `action` needs (known once it is connected)."""
        state = self.accounts.get(account)
        return state is not None and state.service is not None and bool(lacks(state.service, action))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The dashboard's keys are hidden while a dialog is on top (its footer shows through), and so is a key the
        selected account's provider cannot do (help says which)."""
        if self.app.screen is not self:
            return False
        name = str(parameters[0]) if action == "command" and parameters else action
        state = self.selected_account()
        return state is None or state.service is None or not lacks(state.service, name)

    # -- keys -----------------------------------------------------------------------------------------

    def on_row_table_selected(self, event: RowTable.Selected) -> None:
        if isinstance(event.table, (ChannelPane, FinishedTable)):
            event.stop()
            self.action_inspect()

    def action_inspect(self) -> None:
        pane = self.focused_pane()
        if pane is not None and pane.selected_job_id:
            self.open_inspector(pane.account, pane.selected_job_id)
            return
        if isinstance(self.focused, FinishedTable) and self.focused.selected:
            account, job_id, job = self.focused.selected
            self.open_inspector(account, job_id, job)
            return
        self.app.notify("select a job first (tab to a channel, arrows or j/k to a job)", severity="warning", timeout=3)

    def open_inspector(self, account: str, job_id: str, job: Job | None = None, *, fetch: bool = True) -> InspectorScreen:
        """Inspect a job; `fetch=False` shows a journal record as it is, with no request."""
        from mjtui.tui.inspector import inspector_class  # loaded when first opened: not on the way to live data

        screen = inspector_class(self.mjtui.readonly)(account, job_id, job, from_journal=not fetch)
        self.app.push_screen(screen)
        return screen

    def action_command(self, cmd: str) -> None:
        if cmd not in COMMANDS:  # a binding or the palette naming an unknown command: a bug, said once
            self.app.notify(f"no such command: /{cmd}", severity="error")
            return
        if self.dispatcher.refused(cmd):  # /info too: --readonly sends nothing but GETs
            return
        target = self._selected_channel()
        if target is None:
            self.app.notify(f"/{cmd}: select a channel first (tab moves between channels)", severity="warning")
            return
        state, channel = target
        if state.connection is None:
            self.app.notify(f"account '{state.name}' is not connected: {state.problem}", severity="error")
            return
        if channel is not None and state.service is not None and state.service.command_target(channel) is None:
            self.app.notify(f"/{cmd}: {NO_LINK}", severity="warning")
            return
        self.dispatcher.command(state, cmd, channel)

    def action_cancel(self) -> None:
        self.request_cancel()

    def request_cancel(self, account: str | None = None, job_id: str | None = None) -> None:
        """Cancel the selected running job (or the one named), after a confirmation naming it."""
        if self.dispatcher.refused("cancel"):
            return
        if job_id is None:
            pane = self.focused_pane()
            if pane is None or pane.selected_job_id is None:
                hint = " (enter shows the channel's jobs)" if pane is not None and pane.folded else ""
                self.app.notify(f"cancel: select a running job first{hint}", severity="warning")
                return
            account, job_id = pane.account, pane.selected_job_id
        assert account is not None
        self.dispatcher.cancel(self.accounts[account], job_id)

    def action_seed(self) -> None:
        if self.dispatcher.refused("seed"):
            return
        if isinstance(self.focused, FinishedTable) and self.focused.selected:
            account, job_id, job = self.focused.selected
            if job is not None and job.status != "completed":
                self.app.notify(f"seed: only completed jobs have a seed ({short_job_id(job_id)} is {final_label(job)})",
                                severity="warning")
                return
            self.request_seed(account, job_id, self.open_inspector(account, job_id, job))
            return
        pane = self.focused_pane()
        if pane is not None and pane.selected_job_id:
            self.app.notify("seed: the job is still running; its seed can be fetched once it completes",
                            severity="warning")
            return
        self.app.notify("seed: select a completed job (recently finished list, or in the inspector)", severity="warning")

    def request_seed(self, account: str, job_id: str, screen: InspectorScreen | None = None) -> None:
        if not self.dispatcher.refused("seed"):
            self.dispatcher.seed(self.accounts[account], job_id, screen)

    def action_reset(self) -> None:
        if self.dispatcher.refused("reset"):
            return
        pane = self.focused_pane()
        if pane is not None and pane.down and pane.info is not None:  # a locked or disabled account, as its service says
            self.dispatcher.reset(self.accounts[pane.account], pane.channel_id, pane.info)
            return
        halted = [s for s in self.accounts.values() if s.status.health is Health.MODERATION]
        selected = self.selected_account()
        state = selected if selected in halted else (halted[0] if len(halted) == 1 else None)
        if state is None:
            self.app.notify("reset: no account is halted by a pending moderation message (596), and the selected "
                            "channel is not locked or disabled", severity="warning")
            return
        channel = state.status.moderation_channel or self._channel_of(state)
        if not channel:
            self.app.notify("reset: the 596 answer did not name its channel: select the channel's pane, then press R",
                            severity="warning")
            return
        self.dispatcher.reset(state, channel)

    def action_toggle_link(self) -> None:
        """Make the selected pane's linked account inactive, or active again (confirmed)."""
        if self.dispatcher.refused("toggle"):
            return
        pane = self.focused_pane()
        if pane is None:
            self.app.notify("toggle: select a linked account's pane first (tab moves between panes)", severity="warning")
            return
        if pane.info is None:  # unplaced messages, or a linked account the list no longer names
            self.app.notify(f"toggle: {NO_LINK}", severity="warning")
            return
        self.dispatcher.toggle(self.accounts[pane.account], pane.channel_id, pane.info)

    def action_history(self) -> None:
        from mjtui.tui.history import HistoryScreen  # loaded when first opened: not on the way to live data

        pane = self.focused_pane()
        self.app.push_screen(HistoryScreen((pane.account, pane.channel_id) if pane else None))

    def action_filter(self) -> None:
        field_ = self.query_one("#filter", Input)
        field_.set_class(True, "-visible")
        field_.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        for pane in self.query(ChannelPane):
            pane.set_filter(self.filter_text)
        self.show_topbar()

    @on(Input.Submitted, "#filter")
    def _filter_kept(self) -> None:
        self.query_one("#filter", Input).set_class(False, "-visible")
        self._focus_first_pane()

    def on_key(self, event: events.Key) -> None:
        field_ = self.query_one("#filter", Input)
        if event.key == "escape" and field_.has_focus:
            event.stop()
            field_.value = ""
            field_.set_class(False, "-visible")
            self._focus_first_pane()
            return
        pane = self.focused_pane()
        if event.key == "escape" and pane is not None and pane.compact and pane.expanded:
            event.stop()  # the expanded channel folds back into its line
            pane.set_compact(True)

    def _focus_first_pane(self, *, scroll_visible: bool = True) -> None:
        tables = list(self.query(ChannelPane))
        if tables:
            tables[0].focus(scroll_visible=scroll_visible)

    def action_sort(self) -> None:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        for pane in self.query(ChannelPane):
            pane.set_sort(self.sort_key)
        self.app.notify(f"sorted by {self.sort_key}", timeout=2)

    async def job_detail(self, account: str, job_id: str) -> Job:
        """The inspector's detail GET; a running job's progress also shows in its pane."""
        state = self.accounts[account]
        if state.service is None:
            raise errors.MjtuiError(f"account '{account}' is not connected: {state.problem}")
        job = await state.service.job(job_id)
        if job.is_running and job.channel:
            pane = self.pane(account, job.channel)
            if pane is not None:
                pane.set_detail(job_id, running_words(job.status, job.progress), job.prompt)
            if job.prompt and self.mjtui.journal_link is not None:  # its row shows it in the next session too
                self.mjtui.journal_link.record_running(account, job_id, job)
        return job

    def show_prompts(self, account: str, prompts: dict[str, str]) -> None:
        """Prompts the journal knows of an account's running jobs, into their rows."""
        for (name, _channel), pane in self._panes.items():
            if name == account:
                pane.set_prompts(prompts)


class ReadonlyDashboardScreen(DashboardScreen):
    """The dashboard under `--readonly`: the footer offers no key that would only be refused."""

    BINDINGS = readonly_bindings(DASHBOARD_BINDINGS)
