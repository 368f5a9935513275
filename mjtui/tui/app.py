"""The dashboard app: one poll loop per account, diffs applied to the panes, actions on key presses.

Data flows one way: client -> poll worker -> `PollDone` message -> snapshot
diff -> the panes that changed. Polls never overlap: the next is armed only
when the last has been handled.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import __version__ as textual_version
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Input

from mjtui.actions import Actions, seed_settled
from mjtui.api import errors
from mjtui.api.models import COMMANDS, Command, Job
from mjtui.clock import Clock, SystemClock
from mjtui.config import ConfigError, NotifyConfig
from mjtui.connections import Connection
from mjtui.logs import log
from mjtui.monitor.health import Health
from mjtui.monitor.message_follow import (
    LET_GO_CROWDED,
    LET_GO_LATE,
    Check,
    why_let_go,
)
from mjtui.monitor.snapshot import Snapshot
from mjtui.poller import AccountState, Answer, Final, Poller, internal_error
from mjtui.providers import Capability, Provider
from mjtui.secrets import redact
from mjtui.store import ChannelHistory, Journal, JournalWriter, Outcome
from mjtui.store.image_cache import ImageCache
from mjtui.text import clean
from mjtui.themes import DEFAULT_THEME
from mjtui.timers import TextualTimers, Timers
from mjtui.tui import partial_writes
from mjtui.tui.channel_pane import SORT_KEYS, ChannelPane, PaneStyles
from mjtui.tui.collector import Collector
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.footer import KeysFooter
from mjtui.tui.formatting import now_local, short_channel_id, short_job_id
from mjtui.tui.help import HelpScreen, describe_bindings
from mjtui.tui.history import HistoryScreen
from mjtui.tui.host import ScreenHost
from mjtui.tui.inspector import FOLLOW_FLOOR, InspectorScreen
from mjtui.tui.keys import DASHBOARD_BINDINGS, DASHBOARD_NEEDS, READONLY_WORDS, keymap_conflicts
from mjtui.tui.messages import FinalsFetched, FinalState, PollDone
from mjtui.tui.notifications import (
    SLOT_QUIET_SECONDS,
    Announcement,
    Finished,
    announce_finished,
    announce_free_slots,
    desktop_notification,
)
from mjtui.tui.panels import (
    PANE_MIN_WIDTH,
    AccountSection,
    FinishedTable,
    MessageTable,
    TopBar,
    final_label,
)
from mjtui.tui.preview import Preview, decode_preview
from mjtui.tui.rows import RowTable
from mjtui.tui.textual_contract import write_to_terminal
from mjtui.tui.themes import shipped as shipped_themes
from mjtui.tui.watchdog import ExitDeadline, TerminalModes

INTERVAL_STEPS = (2, 3, 5, 10, 15, 30, 60, 120, 300)
RECENT_ON_START = 30
CHANNEL_HISTORY_EVERY = 60.0  # seconds between refreshes of the panes' 24 h counts
DAY = 24 * 3600.0


class WorkerHost:
    """How the poller reaches the dashboard: its coroutines run as the app's workers, its news as messages."""

    def __init__(self, app: App[None]) -> None:
        self.app = app

    def run(self, work: Coroutine[Any, Any, None], description: str) -> None:
        # A description, not Textual's default (the arguments' repr): an account's state holds its last
        # snapshot, and writing out 1,200 jobs cost every poll a millisecond.
        self.app.run_worker(work, exit_on_error=False, description=description)

    def answered(self, answer: Answer) -> None:
        self.app.post_message(PollDone(answer))

    def finals(self, account: str, finals: list[Final]) -> None:
        self.app.post_message(FinalState(account, finals))

    def finals_done(self, account: str) -> None:
        self.app.post_message(FinalsFetched(account))


class MjtuiApp(App[None]):
    """The live monitor."""

    TITLE = "mjtui"
    CSS = """
    Screen { layers: base overlay; }
    #accounts { height: 1fr; }
    #finished-title { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    #filter { dock: bottom; display: none; margin: 0 0 1 0; }
    #filter.-visible { display: block; }
    """
    BINDINGS = DASHBOARD_BINDINGS

    def __init__(
        self,
        connections: Iterable[Connection],
        *,
        clock: Clock | None = None,
        timers: Timers | None = None,
        refresh_seconds: float = 10.0,
        readonly: bool = False,
        keymap: dict[str, str] | None = None,
        problems: dict[str, tuple[str, str]] | None = None,
        title: str = "mjtui",
        channel_names: dict[str, dict[str, str]] | None = None,
        speed: float = 1.0,
        rng: random.Random | None = None,
        theme: str | None = None,
        themes: Iterable[Theme] | None = None,
        save_theme: Callable[[str], None] | None = None,
        journal: Journal | None = None,
        journal_problem: str | None = None,
        warnings: Iterable[str] = (),
        previews: ImageCache | None = None,
        notify: NotifyConfig | None = None,
    ) -> None:
        super().__init__()
        self.wanted_theme = theme or DEFAULT_THEME
        self.save_theme = save_theme
        self._theme_settled = False  # the theme set here is not a choice to save
        for registered in shipped_themes() if themes is None else themes:
            self.register_theme(registered)
        self._apply_theme()  # before the first frame, so it never flashes another theme
        self.previews = previews  # None: the inspector shows no pictures and downloads none
        self.notify_settings = notify or NotifyConfig()
        self._finished: dict[str, list[Finished]] = {}
        self._slot_announced: dict[tuple[str, str], float] = {}
        self._in_tmux = bool(os.environ.get("TMUX"))
        self.journal = journal
        self.journal_problem = journal_problem
        self.startup_warnings = list(warnings)
        self.writer: JournalWriter | None = None
        self._ui_loop: asyncio.AbstractEventLoop | None = None  # for the writer thread (Textual's own _loop is private)
        self._finals: dict[str, list[tuple[str, Job | None]]] = {}
        self.clock = clock or SystemClock()
        self.timers: Timers = timers or TextualTimers(self, speed)
        self.readonly = readonly
        self.title_text = title
        self.rng = rng or random.Random()
        self.sort_key = SORT_KEYS[0]
        self.filter_text = ""
        self.in_flight: set[str] = set()
        self.accounts: dict[str, AccountState] = {}
        for connection in connections:
            connection.client.get_retries = 0  # the poll loop owns retries and their pace; no bursts behind it
            state = AccountState(connection.name, connection.provider, connection)
            state.channel_names = dict((channel_names or {}).get(connection.name, {}))
            if connection.account is not None:
                state.channel_names.update(connection.account.channels)
            self.accounts[connection.name] = state
        for name, (provider, problem) in (problems or {}).items():
            self.accounts[name] = AccountState(name, provider, None, problem=problem)
        self.poller = Poller(WorkerHost(self), self.accounts, clock=self.clock, timers=self.timers,
                             refresh_seconds=refresh_seconds, rng=self.rng)
        self.collector = Collector()
        self.actions = Actions(readonly=readonly, audit=self._audit)
        self._cancelled_here: set[tuple[str, str]] = set()  # (account, job id) cancelled from this dashboard
        self._panes: dict[tuple[str, str], ChannelPane] = {}  # (account, channel id) -> its pane; panes stay
        self.user_keymap = dict(keymap or {})  # the user's [keys], kept here for help (Textual keeps its copy private)
        self.unknown_keys = sorted(set(self.user_keymap) - self.binding_ids())
        self.key_conflicts = keymap_conflicts(self.user_keymap)
        if self.user_keymap:
            self.set_keymap(self.user_keymap)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Toasts carry text from strangers (API answers, file names): never markup, never escapes, never a token."""
        super().notify(redact(clean(message, keep_newlines=True)), title=redact(clean(title)), severity=severity,
                       timeout=timeout, markup=False)

    # -- layout ---------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield PaneStyles()  # first: a theme change restyles it before the panes that read it
        yield TopBar(id="topbar")
        with VerticalScroll(id="accounts"):
            for index, state in enumerate(self.accounts.values()):
                yield AccountSection(state.name, state.provider, id=f"account-{index}")
        yield Input(placeholder="filter jobs: id, type, channel (enter keeps it, esc clears)", id="filter")
        yield FinishedTitle()
        yield FinishedTable()
        yield KeysFooter()

    def on_load(self) -> None:
        # before Textual takes the terminal over: the settings to give back if the app is ended outright
        self._exit_deadline = ExitDeadline(terminal=TerminalModes.save(sys.__stdin__, sys.__stderr__))

    async def on_mount(self) -> None:
        if not self.is_headless:
            self._trap_signals()  # first: the rest of start-up can keep the event loop busy (see _trap_signals)
        self.collector.start(self)
        if not partial_writes.install():
            log.warning("Textual %s is not the shape partial writes were made for: the dashboard works, "
                        "sending more bytes per update (see mjtui/tui/textual_contract.py)", textual_version)
        if self.theme != self.wanted_theme:
            self.notify(f"unknown theme {self.wanted_theme!r}; using {self.theme} (ctrl+p, Theme lists them)",
                        severity="warning", timeout=8)
        for state in self.accounts.values():
            self.section(state.name).header.show(state.status, self.clock.now(), self.refresh_seconds, None)
            if state.problem:
                banner = self.section(state.name).banner
                banner.set_class(True, "-visible")
                banner.update(Text(f"Not polled: {clean(state.problem)}"))
                continue
            await self._ensure_panes(state, state.channel_names)
            if not state.can(Capability.RUNNING_LIST):
                state.status.health = Health.COMMANDS_ONLY
                self._show_header(state)
            else:
                self.poll(state.name)
        for conflict in self.key_conflicts:
            self.notify(conflict, severity="warning", timeout=8)
        if self.unknown_keys:
            self.notify(f"[keys] in the config names no binding: {', '.join(map(clean, self.unknown_keys))} (? lists the ids)",
                        severity="warning", timeout=8)
        for warning in self.startup_warnings:
            self.notify(warning, severity="warning", timeout=12)
        if self.journal_problem:
            self.notify(f"journal unavailable, history is off: {self.journal_problem}", severity="warning", timeout=10)
        if self.journal is not None:
            self._ui_loop = asyncio.get_running_loop()
            self.writer = JournalWriter(self.journal, on_error=self._journal_failed, clock=self.clock)
            self._load_recent()
            self._load_channel_history()
            self.timers.every(CHANNEL_HISTORY_EVERY, self._load_channel_history)
        self.timers.every(1.0, self.tick)
        self._layout_grids()
        self._show_topbar()

    def on_unmount(self) -> None:
        self.collector.stop()
        if self.writer is None:
            return
        now = self.clock.now()
        for account, finals in self._finals.items():
            if finals:
                self.writer.submit(self.journal.record_finals, account, finals, now)  # type: ignore[union-attr]
        self._finals.clear()
        self.writer.close(timeout=5)

    # -- the theme ------------------------------------------------------------------------------------

    def _apply_theme(self) -> None:
        if self.wanted_theme in self.available_themes:
            self.theme = self.wanted_theme
        elif DEFAULT_THEME in self.available_themes:
            self.theme = DEFAULT_THEME
        self._theme_settled = True

    def watch_theme(self, name: str) -> None:
        """A theme picked in the command palette is kept in the config file, when there is one."""
        if self._theme_settled and self.save_theme is not None:
            self._save_theme(name)

    @work(thread=True, exclusive=True, group="save-theme", exit_on_error=False)
    def _save_theme(self, name: str) -> None:
        assert self.save_theme is not None
        try:
            self.save_theme(name)
        except ConfigError as exc:
            self.call_from_thread(self.notify, f"theme not saved: {exc}", severity="warning", timeout=8)

    # -- the journal ----------------------------------------------------------------------------------

    def _journal_failed(self, error: BaseException) -> None:
        """Called on the writer thread: the user hears of it, the monitor carries on."""
        log.error("journal write failed", exc_info=error)
        # Not call_from_thread: it waits for the UI, which may itself be waiting for the writer to close.
        assert self._ui_loop is not None  # set before the writer that calls this starts
        self._ui_loop.call_soon_threadsafe(lambda: self.notify(f"journal write failed: {error}", severity="error", timeout=8))

    def _journal(self, method: str, *args: object) -> None:
        """Queue a journal write; never waits, never raises into the UI."""
        if self.writer is not None and self.journal is not None:
            self.writer.submit(getattr(self.journal, method), *args)

    def _audit(self, account: str, action: str, target: str | None, outcome: Outcome, error: str | None) -> None:
        """What mjtui.actions did, into the journal's audit log (off the UI thread)."""
        self._journal("record_action", account, action, target, outcome, error, self.clock.now())

    @work(exit_on_error=False)
    async def _load_recent(self) -> None:
        """Before the first poll answers: the journal's recently finished jobs, oldest first."""
        assert self.writer is not None and self.journal is not None
        try:
            entries = await asyncio.wrap_future(self.writer.submit(self.journal.recent_finished, RECENT_ON_START))
        except Exception:  # noqa: BLE001 - reported by the writer
            return
        table = self.query_one(FinishedTable)
        for entry in reversed(entries):
            if entry.account in self.accounts and entry.job_id not in table.rows:
                table.add(entry.account, entry.channel or "", entry.job_id, entry.job(), entry.finished_at or entry.last_seen)

    @work(exit_on_error=False)
    async def _load_channel_history(self) -> None:
        """Each pane's last 24 h: completed / failed and mean run time, from the journal."""
        if self.writer is None or self.journal is None:
            return
        try:
            stats = await asyncio.wrap_future(self.writer.submit(self.journal.all_channel_stats, self.clock.now() - DAY))
        except Exception:  # noqa: BLE001 - reported by the writer
            return
        for pane in self.query(ChannelPane):
            pane.set_history(stats.get((pane.account, pane.channel_id), ChannelHistory(0, 0, None)))

    def _trap_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(sig, self._exit_on_signal)
                self._exit_deadline.arm(sig)  # ends the process if the loop never gets back to its handler
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not on this platform or not in the main thread

    def _exit_on_signal(self) -> None:
        self._exit_deadline.heard()  # the exit begins here: however slow, it is left to finish
        self.exit()

    def on_resize(self, event: events.Resize) -> None:
        # The event's size: the app's own may still be the old one while the event is handled.
        self._layout_grids(event.size.width)
        short = is_short(event.size.height)
        self.screen_stack[0].set_class(short, "-short")
        for pane in self._panes.values():
            pane.set_short(short)

    def _layout_grids(self, width: int | None = None) -> None:
        width = max(1, self.size.width if width is None else width)
        for grid in self.query(Grid).filter(".channels"):
            grid.styles.grid_size_columns = max(1, width // PANE_MIN_WIDTH)  # same pane width in every account

    def section(self, account: str) -> AccountSection:
        index = list(self.accounts).index(account)
        return self.query_one(f"#account-{index}", AccountSection)

    def pane(self, account: str, channel_id: str) -> ChannelPane | None:
        return self._panes.get((account, channel_id))

    async def _ensure_panes(self, state: AccountState, channel_ids: Iterable[str]) -> None:
        """A pane for each channel that has none yet, mounted together (one layout, not one per pane)."""
        new = []
        for channel_id in channel_ids:
            if self.pane(state.name, channel_id) is not None:
                continue
            pane = ChannelPane(state.name, channel_id, state.channel_names.get(channel_id))
            pane.sort_key = self.sort_key
            pane.filter_text = self.filter_text
            pane.mode = state.modes.get(channel_id)
            pane.short = is_short(self.size.height)
            self._panes[(state.name, channel_id)] = pane
            new.append(pane)
        if new:
            await self.section(state.name).query_one(".channels", Grid).mount_all(new)
            self._layout_grids()
            # Panes live as long as the app: out of the full passes' reach (at a hundred channels each scanned them ~0.3 s).
            self.collector.freeze_after_refresh(self)

    # -- polling --------------------------------------------------------------------------------------

    def poll(self, account: str) -> None:
        """Poll the account now (see `Poller.poll`)."""
        self.poller.poll(account)

    @property
    def paused(self) -> bool:
        return self.poller.paused

    @property
    def refresh_seconds(self) -> float:
        return self.poller.refresh_seconds

    async def on_poll_done(self, message: PollDone) -> None:
        answer = message.answer
        state = self.accounts[answer.account]
        if answer.error is None:
            try:
                await self._apply(state, answer, self.clock.now())
            except Exception as exc:  # noqa: BLE001
                log.error("applying a poll of %s failed", state.name, exc_info=exc)
                self.notify(clean(str(internal_error(exc)), limit=200), severity="error")
        self._show_account(state)

    async def _apply(self, state: AccountState, answer: Answer, now: float) -> None:
        """A poll's answer on screen: panes, freed slots, and what the journal keeps of it."""
        fresh, previous, changes = answer.snapshot, answer.previous, answer.changes
        assert fresh is not None and changes is not None
        first = previous is None
        if previous is not None and not state.finals.held:  # a list suspected of flapping frees no slot
            self._announce_free_slots(state, previous, fresh, now)
        self._journal("record_poll", state.name, [row for rows in fresh.jobs.values() for row in rows.values()],
                      self._finals.pop(state.name, []), now)
        self._announce_finished(state.name)  # a backlog still draining: what has come in so far, once a poll
        if not changes:
            return
        # New to this poll (a channel that went idle and came back has its pane still).
        await self._ensure_panes(state, changes.new_channels)
        with self.batch_update():
            for channel_id, change in changes.channels.items():
                pane = self.pane(state.name, channel_id)
                if pane is not None:
                    pane.apply(change, now, highlight=not first)
        self._show_topbar()

    def on_final_state(self, message: FinalState) -> None:
        now = self.clock.now()
        self._finals.setdefault(message.account, []).extend((final.job_id, final.job) for final in message.finals)
        rows = []
        finished = self._finished.setdefault(message.account, [])
        for final in message.finals:
            job, note = final.job, ""
            if job is None:
                note = final.error or ""
            elif job.is_running:
                note = f"left the list while {job.status}"
            elif self._took_back(message.account, final.job_id) and final_label(job) == "cancelled":
                pass  # announced when it was cancelled
            else:
                channel = self._channel_label(self.accounts[message.account], final.channel)
                finished.append(Finished(short_job_id(final.job_id), channel, final_label(job), job.error or ""))
            rows.append((message.account, final.channel, final.job_id, job, now, note))
        self.query_one(FinishedTable).add_many(rows)

    def _took_back(self, account: str, job_id: str) -> bool:
        """Whether this dashboard cancelled the job (forgotten now: its final state has come)."""
        key = (account, job_id)
        if key in self._cancelled_here:
            self._cancelled_here.discard(key)
            return True
        return False

    def on_finals_fetched(self, message: FinalsFetched) -> None:
        self._announce_finished(message.account)

    def _announce_finished(self, account: str) -> None:
        finished = self._finished.pop(account, [])
        self._announce(account, announce_finished(finished, completed=self.notify_settings.completed))

    # -- announcements --------------------------------------------------------------------------------

    def _announce_free_slots(self, state: AccountState, before: Snapshot, after: Snapshot, now: float) -> None:
        """Channels full at the last poll with room now; each at most every SLOT_QUIET_SECONDS."""
        freed = []
        for channel_id, stats in after.stats.items():
            was = before.stats.get(channel_id)
            if was is None or not was.full or stats.full or stats.max_jobs is None:
                continue
            key = (state.name, channel_id)
            if now - self._slot_announced.get(key, -SLOT_QUIET_SECONDS) < SLOT_QUIET_SECONDS:
                continue
            self._slot_announced[key] = now
            freed.append(self._channel_label(state, channel_id))
        announcement = announce_free_slots(freed)
        self._announce(state.name, [announcement] if announcement else [])

    @staticmethod
    def _channel_label(state: AccountState, channel_id: str) -> str:
        """The channel's configured name, else the tail of its id as Recently finished shows it."""
        name = state.channel_names.get(channel_id)
        if name:
            return clean(name, limit=40)
        return short_channel_id(channel_id)

    def _announce(self, account: str, announcements: list[Announcement]) -> None:
        """Toasts (unless turned off), then at most one bell and one desktop notification for the batch."""
        if not announcements:
            return
        settings = self.notify_settings
        title = clean(account, limit=40) if len(self.accounts) > 1 else ""
        if settings.toasts:
            for announcement in announcements:
                timeout = 4 if announcement.severity == "information" else 8
                self.notify(announcement.message, title=title, severity=announcement.severity, timeout=timeout)
        if settings.bell:
            self.bell()
        notification = desktop_notification([f"{title}: {a.message}" if title else a.message for a in announcements],
                                            desktop=settings.desktop, in_tmux=self._in_tmux)
        if notification:
            write_to_terminal(self, notification)

    # -- the once-a-second tick -----------------------------------------------------------------------

    def tick(self) -> None:
        self.collector.tick()
        now = self.clock.now()
        for pane in self._panes.values():
            if not self.accounts[pane.account].status.health.halted:  # frozen data does not pretend to move
                pane.tick(now)
        for state in self.accounts.values():
            if state.problem is None:
                self._show_header(state)
        self._show_topbar()

    def _show_account(self, state: AccountState) -> None:
        self._show_header(state)
        section = self.section(state.name)
        section.banner.show(state.status, state.name)
        section.set_class(state.status.health.halted, "-halted")

    def _show_header(self, state: AccountState) -> None:
        running = state.snapshot.total if state.snapshot else None
        self.section(state.name).header.show(state.status, self.clock.now(), self.refresh_seconds, running)

    def _show_topbar(self) -> None:
        running = sum(state.snapshot.total for state in self.accounts.values() if state.snapshot)
        extra = "PAUSED" if self.paused else ""
        if self.readonly:
            extra = f"{extra} read-only".strip()
        if self.filter_text:
            extra = f"{extra} filter: {clean(self.filter_text, limit=20)}".strip()
        # Minutes: the bar is a whole terminal line, rewritten each time its text changes.
        clock = now_local(self.clock.now())[:5]
        self.query_one(TopBar).show(self.title_text, len(self.accounts), running, clock, extra)

    # -- selection ------------------------------------------------------------------------------------

    def _focused_pane(self) -> ChannelPane | None:
        widget = self.focused
        while widget is not None and not isinstance(widget, ChannelPane):
            widget = widget.parent  # type: ignore[assignment]
        return widget

    def _selected_account(self) -> AccountState | None:
        pane = self._focused_pane()
        if pane is not None:
            return self.accounts[pane.account]
        if isinstance(self.focused, MessageTable):
            return self.accounts[self.focused.account]
        if isinstance(self.focused, FinishedTable) and self.focused.selected:
            return self.accounts[self.focused.selected[0]]
        live = [state for state in self.accounts.values() if state.connection is not None]
        return live[0] if len(live) == 1 else None

    def _selected_channel(self) -> tuple[AccountState, str | None] | None:
        pane = self._focused_pane()
        if pane is not None:
            return self.accounts[pane.account], pane.channel_id
        if isinstance(self.focused, FinishedTable) and self.focused.selected:
            account, _, job = self.focused.selected
            return self.accounts[account], job.channel if job else None
        state = self._selected_account()
        if state is None:
            return None
        if state.service is not None and not state.service.commands_need_a_channel:
            return state, None
        channels = list(state.snapshot.jobs) if state.snapshot else list(state.channel_names)
        return (state, channels[0]) if len(channels) == 1 else None

    def _channel_of(self, state: AccountState) -> str | None:
        """The selected channel of this account, or its only channel."""
        pane = self._focused_pane()
        if pane is not None and pane.account == state.name:
            return pane.channel_id
        channels = list(state.snapshot.jobs) if state.snapshot else list(state.channel_names)
        return channels[0] if len(channels) == 1 else None

    def _refused(self, action: str, service: Provider | None = None) -> bool:
        """Whether the action cannot go (`--readonly`, or the account's provider lacks it); said in a toast."""
        refused = self.actions.refusal(action, service)
        if refused is None:
            return False
        if refused.readonly:
            what = READONLY_WORDS.get(action, f"/{action}" if action in COMMANDS else action)
            self.notify(f"read-only mode (--readonly): {what} is off", severity="warning")
        else:
            self.notify(refused.message, severity="warning")
        return True

    def _begin(self, key: str, what: str) -> bool:
        """Guard against a double key press sending an action twice."""
        if key in self.in_flight:
            self.notify(f"{what} is already being sent", severity="warning", timeout=2)
            return False
        self.in_flight.add(key)
        return True

    # -- actions --------------------------------------------------------------------------------------

    DASHBOARD_ONLY = frozenset({"command", "cancel", "seed", "filter", "sort", "inspect", "reset", "history"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dashboard actions are hidden while another screen (the inspector, a dialog) is on top, and so is one
        the selected account's provider cannot do (help says which)."""
        if action in self.DASHBOARD_ONLY and len(self.screen_stack) > 1:
            return False
        name = str(parameters[0]) if action == "command" and parameters else action
        state = self._selected_account()
        return state is None or state.service is None or not self._lacks(state.service, name)

    @staticmethod
    def _lacks(service: Provider, action: str) -> list[Capability]:
        """What the dashboard would need of the provider for `action` that it cannot do."""
        return [capability for capability in DASHBOARD_NEEDS.get(action, ()) if not service.can(capability)]

    def on_row_table_selected(self, event: RowTable.Selected) -> None:
        if isinstance(event.table, (ChannelPane, FinishedTable)):
            event.stop()
            self.action_inspect()

    def action_inspect(self) -> None:
        pane = self._focused_pane()
        if pane is not None and pane.selected_job_id:
            self.open_inspector(pane.account, pane.selected_job_id)
            return
        if isinstance(self.focused, FinishedTable) and self.focused.selected:
            account, job_id, job = self.focused.selected
            self.open_inspector(account, job_id, job)
            return
        self.notify("select a job first (tab to a channel, arrows or j/k to a job)", severity="warning", timeout=3)

    def open_inspector(self, account: str, job_id: str, job: Job | None = None, *, fetch: bool = True) -> InspectorScreen:
        """Inspect a job; `fetch=False` shows a journal record as it is, with no request."""
        screen = InspectorScreen(account, job_id, job, from_journal=not fetch)
        self.push_screen(screen)
        return screen

    async def preview_image(self, account: str, url: str) -> tuple[Preview, bool]:
        """A job image for the inspector, decoded: from the disk cache, else downloaded and kept.

        The download goes through the account's own client (the token only ever
        reaches the API's origin). Returns the picture and whether it came from
        the cache; raises MjtuiError or PreviewError. Disk and decoding run in threads.
        """
        state = self.accounts[account]
        if self.previews is None or state.connection is None:
            raise errors.MjtuiError("previews are off")
        cache = self.previews
        data = await asyncio.to_thread(cache.get, url)
        cached = data is not None
        if data is None:
            data = await state.connection.service.download(url)
        preview = await asyncio.to_thread(decode_preview, data)
        if not cached:
            try:
                await asyncio.to_thread(cache.put, url, data)
            except OSError as exc:
                log.warning("could not keep a preview in %s: %s", cache.directory, exc)
        return preview, cached

    async def fetch_job(self, account: str, job_id: str) -> Job:
        """The inspector's detail GET; a running job's progress also shows in its pane."""
        state = self.accounts[account]
        if state.service is None:
            raise errors.MjtuiError(f"account '{account}' is not connected: {state.problem}")
        job = await state.service.job(job_id)
        if job.is_running and job.channel:
            pane = self.pane(account, job.channel)
            if pane is not None:
                progress = job.progress
                pane.set_detail(job_id, f"{progress}%" if progress is not None else job.status or "running")
        return job

    def action_command(self, cmd: str) -> None:
        if cmd not in COMMANDS:  # a binding or the palette naming an unknown command: a bug, said once
            self.notify(f"no such command: /{cmd}", severity="error")
            return
        if self._refused(cmd):  # /info too: --readonly sends nothing but GETs
            return
        target = self._selected_channel()
        if target is None:
            self.notify(f"/{cmd}: select a channel first (tab moves between channels)", severity="warning")
            return
        state, channel = target
        if state.connection is None:
            self.notify(f"account '{state.name}' is not connected: {state.problem}", severity="error")
            return
        key = f"{cmd}:{state.name}:{channel}"
        if self._begin(key, f"/{cmd}"):
            self._run_command(state, cmd, channel, key)

    @work(exit_on_error=False, description="command")
    async def _run_command(self, state: AccountState, cmd: Command, channel: str | None, key: str) -> None:
        assert state.service is not None
        try:
            sent = await self.actions.command(state.service, cmd, channel)
            if sent.message_id is not None:  # a message to follow (ImaginePro), not an answer
                self._track_message(state, cmd, sent.message_id)
                self.notify(f"/{cmd} sent to {clean(state.name)}: message {clean(sent.message_id)}")
                return
            if sent.error:
                self.notify(f"/{cmd} failed: {clean(sent.error, limit=200)}", severity="error")
                return
            if cmd in ("relax", "fast", "turbo") and channel:
                state.modes[channel] = cmd
                pane = self.pane(state.name, channel)
                if pane is not None:
                    pane.set_mode(cmd)
            title = f"/{cmd} on {clean(state.channel_names.get(channel or '', channel or state.name))}"
            self.notify(clean(sent.content or sent.status or "done", keep_newlines=True, limit=600), title=title,
                        timeout=10 if cmd == "info" else 5)
            if cmd == "info" and channel:
                self._learn_mode(state, channel, sent.content or "")
        except errors.MjtuiError as exc:
            self._notify_failure(state, f"/{cmd}", exc)
        except Exception as exc:  # noqa: BLE001
            self._notify_failure(state, f"/{cmd}", internal_error(exc))
        finally:
            self.in_flight.discard(key)

    def _learn_mode(self, state: AccountState, channel: str, content: str) -> None:
        for mode in ("relax", "fast", "turbo"):
            if f"job mode**: {mode}" in content.lower():
                state.modes[channel] = mode
                pane = self.pane(state.name, channel)
                if pane is not None:
                    pane.set_mode(mode)

    def _notify_failure(self, state: AccountState, what: str, exc: errors.MjtuiError) -> None:
        if isinstance(exc, errors.OutcomeUnknown):
            self.notify(f"{what}: outcome unknown, the answer was lost; the next poll will tell", severity="warning", timeout=8)
            return
        if isinstance(exc, errors.ModerationPending):
            state.status.failed(exc, self.clock.now(), self.refresh_seconds)
            self._show_account(state)
        self.notify(clean(str(exc), limit=300), title=f"{what} failed", severity="error", timeout=8)

    def _track_message(self, state: AccountState, cmd: str, message_id: str) -> None:
        """Show a message just sent and follow it (see `MessageFollower`: capped, backing off, for a limited time)."""
        tables = self.section(state.name).query(MessageTable)
        if not tables or not state.can(Capability.MESSAGES):
            return  # an account whose jobs show in its panes: the next poll lists what the command started
        table = tables.first()
        table.sent(message_id, cmd, self.clock.now())
        check, let_go = state.messages.follow(message_id, self.clock.now())
        for old in let_go:
            table.note(old, LET_GO_CROWDED)
        if check is not None:
            self._check_message_later(state, message_id, check)

    def _check_message_later(self, state: AccountState, message_id: str, check: Check) -> None:
        def due() -> None:
            if state.messages.ask(message_id, check.ticket):
                self._follow_message(state, message_id)

        self.timers.call_later(check.wait, due)

    @work(exit_on_error=False, description="follow message")
    async def _follow_message(self, state: AccountState, message_id: str) -> None:
        service = state.service
        if service is None or not service.can(Capability.MESSAGES):
            return
        table = self.section(state.name).query_one(MessageTable)
        try:
            message = await service.message(message_id)
        except errors.MjtuiError as exc:
            let_go = why_let_go(exc)
            table.note(message_id, let_go or str(exc))
            if let_go is not None:
                state.messages.let_go(message_id)
                return
            message = None
        final = message is not None and message.is_final
        followed = state.messages.follows(message_id)
        check = state.messages.answered(message_id, final, self.clock.now())
        if message is not None:
            table.progress(message)
        if check is not None:
            self._check_message_later(state, message_id, check)
        elif not final:  # too long, or let go for a newer one while this answer was on its way
            table.note(message_id, LET_GO_LATE if followed else LET_GO_CROWDED)

    def action_cancel(self) -> None:
        self.request_cancel()

    def request_cancel(self, account: str | None = None, job_id: str | None = None) -> None:
        """Cancel the selected running job (or the one named), after a confirmation naming it."""
        if self._refused("cancel"):
            return
        if job_id is None:
            pane = self._focused_pane()
            if pane is None or pane.selected_job_id is None:
                self.notify("cancel: select a running job first", severity="warning")
                return
            account, job_id = pane.account, pane.selected_job_id
        assert account is not None
        state = self.accounts[account]
        service = state.service
        if service is None or self._refused("cancel", service):
            return
        key = f"cancel:{job_id}"
        if key in self.in_flight:
            self.notify("cancel is already being sent", severity="warning", timeout=2)
            return
        question = Text()
        question.append("Cancel job ")
        question.append(clean(job_id), style="bold")
        question.append(f" on account {clean(account)}?\nThe job stops and reads as failed (\"Job cancelled by user\").")
        self._confirm_then(state, "cancel", job_id, key, ConfirmScreen("Cancel job", question, yes_label="Cancel job"),
                           lambda: self.actions.cancel(service, job_id), f"cancelled {short_job_id(job_id)}")

    def _confirm_then(self, state: AccountState, what: str, target: str, key: str, dialog: ConfirmScreen,
                      call: Callable[[], Awaitable[None]], done: str) -> None:
        """A destructive action: ask, then send once, then poll so the screen shows the result."""

        def decided(yes: bool | None) -> None:
            if yes and self._begin(key, what):
                self._perform(state, what, target, key, call, done)

        self.push_screen(dialog, decided)

    @work(exit_on_error=False, description="action")
    async def _perform(self, state: AccountState, what: str, target: str, key: str,
                       call: Callable[[], Awaitable[None]], done: str) -> None:
        try:
            await call()
            if what == "cancel":
                self._cancelled_here.add((state.name, target))  # its toast is this one, not the poll's
            self.notify(done, title=what.capitalize())
            self.poll(state.name)
        except errors.MjtuiError as exc:
            self._notify_failure(state, what, exc)
        finally:
            self.in_flight.discard(key)

    def action_seed(self) -> None:
        if self._refused("seed"):
            return
        if isinstance(self.focused, FinishedTable) and self.focused.selected:
            account, job_id, job = self.focused.selected
            if job is not None and job.status != "completed":
                self.notify(f"seed: only completed jobs have a seed ({short_job_id(job_id)} is {final_label(job)})",
                            severity="warning")
                return
            self.request_seed(account, job_id, self.open_inspector(account, job_id, job))
            return
        pane = self._focused_pane()
        if pane is not None and pane.selected_job_id:
            self.notify("seed: the job is still running; its seed can be fetched once it completes", severity="warning")
            return
        self.notify("seed: select a completed job (recently finished list, or in the inspector)", severity="warning")

    def request_seed(self, account: str, job_id: str, screen: InspectorScreen | None = None) -> None:
        if self._refused("seed"):
            return
        state = self.accounts[account]
        if state.service is None or self._refused("seed", state.service):
            return
        key = f"seed:{job_id}"
        if self._begin(key, "seed"):
            if screen is not None:
                screen.seed_progress("requesting…")
            self._run_seed(state, job_id, key, screen)

    @work(exit_on_error=False, description="seed")
    async def _run_seed(self, state: AccountState, job_id: str, key: str, screen: InspectorScreen | None,
                        started: Job | None = None) -> None:
        """Ask for the seed (`started` None), or check the seed job it started; until it settles, check again on
        the app's timers (each check its own worker: nothing waits between them). The inspector shows each step."""
        assert state.service is not None
        try:
            answer = await (self.actions.seed_check(state.service, started) if started
                            else self.actions.seed(state.service, job_id))
        except errors.MjtuiError as exc:
            self.in_flight.discard(key)
            self._seed_report(screen, f"failed: {exc}")
            self._notify_failure(state, "seed", exc)
            return
        if not seed_settled(answer):
            interval = max(self.refresh_seconds, FOLLOW_FLOOR)
            self._seed_report(screen, f"seed job {answer.jobid} {answer.status or 'started'}; checking every {interval:g}s…")
            self.timers.call_later(interval, lambda: self._run_seed(state, job_id, key, screen, answer))
            return
        self.in_flight.discard(key)
        if answer.has_seed and answer.seed is not None:
            urls = [image.url for image in answer.seed.attachments if image.url]
            self._journal("record_seed", state.name, job_id, answer.seed.value, urls, self.clock.now())
            self._seed_report(screen, None, answer)
            self.notify(f"seed {answer.seed.value} ({len(answer.seed.attachments)} images); y copies it", title="Seed")
        else:
            self._seed_report(screen, f"failed: {answer.error or answer.status}")
            self.notify(f"seed failed: {clean(answer.error or answer.status, limit=200)}", severity="error")

    @staticmethod
    def _seed_report(screen: InspectorScreen | None, text: str | None, job: Job | None = None) -> None:
        if screen is not None and screen.is_attached:
            screen.seed_progress(text, job)

    def action_reset(self) -> None:
        if self._refused("reset"):
            return
        halted = [s for s in self.accounts.values() if s.status.health is Health.MODERATION]
        selected = self._selected_account()
        state = selected if selected in halted else (halted[0] if len(halted) == 1 else None)
        if state is None:
            self.notify("reset: no account is halted by a pending moderation message (596)", severity="warning")
            return
        channel = state.status.moderation_channel or self._channel_of(state)
        if not channel:
            self.notify("reset: the 596 answer did not name its channel: select the channel's pane, then press R",
                        severity="warning")
            return
        question = Text()
        question.append("Reset the moderation halt of channel ")
        question.append(clean(channel), style="bold")
        question.append(f" (account {clean(state.name)})?\nAcknowledge the moderation message in Discord first.")
        key = f"reset:{state.name}:{channel}"
        service = state.service
        if service is None or self._refused("reset", service):
            return
        self._confirm_then(state, "reset", channel, key, ConfirmScreen("Moderation reset", question, yes_label="Reset"),
                           lambda: self.actions.reset(service, channel), f"channel {clean(channel)} reset; polling again")

    def action_history(self) -> None:
        pane = self._focused_pane()
        self.push_screen(HistoryScreen((pane.account, pane.channel_id) if pane else None))

    def action_filter(self) -> None:
        field_ = self.query_one("#filter", Input)
        field_.set_class(True, "-visible")
        field_.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        for pane in self.query(ChannelPane):
            pane.set_filter(self.filter_text)
        self._show_topbar()

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

    def _focus_first_pane(self) -> None:
        tables = list(self.query(ChannelPane))
        if tables:
            tables[0].focus()

    def action_sort(self) -> None:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        for pane in self.query(ChannelPane):
            pane.set_sort(self.sort_key)
        self.notify(f"sorted by {self.sort_key}", timeout=2)

    def action_pause(self) -> None:
        """Stop every poll and the inspector's follow; pressing again resumes."""
        pausing = not self.paused
        if pausing:
            self.poller.pause()
        else:
            self.poller.resume()  # live accounts poll now, a back-off keeps its Retry-After, halted ones wait
        for state in self.accounts.values():
            if state.problem is None:
                self._show_header(state)
        self._show_topbar()
        self.notify("paused: no polls until p is pressed again" if pausing else "resumed", timeout=2)
        for screen in self.screen_stack:
            if isinstance(screen, InspectorScreen):
                screen.stop_following() if pausing else screen.fetch()

    def action_refresh(self) -> None:
        """Poll every account now; this also retries accounts halted by 401 / 402 / 596."""
        if self.paused:
            self.notify("paused: press p to resume", severity="warning", timeout=2)
            return
        self.poller.poll_all()

    def action_interval(self, direction: int) -> None:
        steps = INTERVAL_STEPS
        current = min(range(len(steps)), key=lambda i: abs(steps[i] - self.refresh_seconds))
        self.poller.set_refresh(float(steps[max(0, min(len(steps) - 1, current + direction))]))
        self.notify(f"refresh every {self.refresh_seconds:g}s", timeout=2)
        for state in self.accounts.values():
            if state.problem is None:
                self._show_header(state)

    @classmethod
    def binding_ids(cls) -> set[str]:
        """Every id a user may rebind in [keys]."""
        bindings = [*cls.BINDINGS, *InspectorScreen.BINDINGS, *ConfirmScreen.BINDINGS]
        return {binding.id for binding in bindings if isinstance(binding, Binding) and binding.id}

    def help_rows(self) -> list[tuple[str, str, str]]:
        bindings = [binding for _, binding in self._bindings_with_keymap()]
        rows = describe_bindings(bindings, self.get_key_display)
        for context, screen_bindings in (("inspector", InspectorScreen.BINDINGS), ("dialog", ConfirmScreen.BINDINGS)):
            declared = [binding for binding in screen_bindings if isinstance(binding, Binding)]
            rows += [(key, f"{context}: {description}", binding_id)
                     for key, description, binding_id in describe_bindings(declared, self.get_key_display)]
        rows += [("tab / shift+tab", "Next / previous pane", "(textual)"), ("j/k, ↑/↓", "Move in a table", "(textual)"),
                 ("ctrl+p", "Command palette", "(textual)")]
        return rows + self._lacking_rows()

    def _lacking_rows(self) -> list[tuple[str, str, str]]:
        """A row per account whose provider lacks some of the keys: they are hidden while it is selected."""
        keys = {binding.id: binding.key for _, binding in self._bindings_with_keymap() if binding.id}
        rows = []
        for state in self.accounts.values():
            service = state.service
            if service is None:
                continue
            lacking = [action for action in DASHBOARD_NEEDS if self._lacks(service, action)]
            if lacking:
                shown = ", ".join(f"{action} ({keys.get(action, '?')})" for action in lacking)
                rows.append(("-", f"not for account {clean(state.name, limit=30)} ({service.kind}): {shown}", "(provider)"))
        return rows

    def _bindings_with_keymap(self) -> Iterator[tuple[str | None, Binding]]:
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.id and binding.id in self.user_keymap:
                yield binding.id, binding.with_key(self.user_keymap[binding.id])
            else:
                yield binding.id, binding

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_rows()))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for _, binding in self._bindings_with_keymap():
            if binding.id and binding.description and not binding.id.startswith("quit."):
                action = binding.action
                first_key = Binding(binding.key.split(",")[0], "")
                yield SystemCommand(f"{binding.description} ({self.get_key_display(first_key)})",
                                    f"mjtui: {binding.id}", lambda a=action: self.run_action(a))


class FinishedTitle(TopBar):
    DEFAULT_CSS = "FinishedTitle { height: 1; background: $panel; color: $text-muted; padding: 0 1; }"

    def on_mount(self) -> None:
        self.update("Recently finished (enter inspects, s fetches a seed)")


def is_short(height: int) -> bool:
    """A terminal too short for full-height panes (80x24, say)."""
    return height < 32


def make_app(connections: Iterable[Connection], **options: Any) -> MjtuiApp:
    """Build the dashboard from injected parts (clock, timers, journal, ...; see `MjtuiApp`).

    Tests and `--demo` pass a simulator's connections, a clock and timers they drive.
    """
    return MjtuiApp(connections, **options)


if TYPE_CHECKING:
    def _hosts_screens(app: MjtuiApp) -> ScreenHost:
        return app  # mypy checks here that the app gives its screens everything mjtui.tui.host promises
