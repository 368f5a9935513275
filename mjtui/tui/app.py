"""The app: builds the parts, starts and stops them, and keeps the theme; the screens show and act.

The dashboard (`mjtui.tui.dashboard`) is the first screen; polling is `mjtui.poller`'s, run here as workers; in
`mjtui.tui`: what a key sends (`dispatch`, the keys on every screen `app_keys`), what finished (`notifications`),
toasts and their log (`notices`), start-up's steps (`startup`), signals and a terminal that hung up (`watchdog`).
Given an `Opening` instead of connections, the app first shows `StartupScreen` (the accounts, "connecting"),
then opens the rest and puts the dashboard in its place: so this module imports only Textual and light modules,
and the dashboard's (the network stack, the API's models, the journal) where they are first used.
"""

from __future__ import annotations

import asyncio
import importlib
import random
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from textual import work
from textual.app import SystemCommand
from textual.screen import ModalScreen, Screen
from textual.theme import Theme

from mjtui.clock import Clock, SystemClock
from mjtui.config_file import ConfigError
from mjtui.themes import DEFAULT_THEME
from mjtui.timers import TextualTimers, Timers
from mjtui.tui import partial_writes
from mjtui.tui.bindings import APP_BINDINGS, keymap_conflicts
from mjtui.tui.collector import Collector
from mjtui.tui.notices import ToastingApp
from mjtui.tui.startup import LateStore, Opening, StartupScreen, account_states, tell_startup_problems
from mjtui.tui.themes import shipped as shipped_themes
from mjtui.tui.watchdog import ExitDeadline

if TYPE_CHECKING:
    from mjtui.api.models import Job
    from mjtui.config import NotifyConfig
    from mjtui.connections import Connection
    from mjtui.lease import Leases
    from mjtui.poller import AccountState, Poller
    from mjtui.store import Journal, JournalWriter, Outcome
    from mjtui.store.image_cache import ImageCache
    from mjtui.tui.dashboard import DashboardScreen
    from mjtui.tui.dispatch import Dispatcher
    from mjtui.tui.host import ScreenHost
    from mjtui.tui.inspector import InspectorScreen
    from mjtui.tui.journal_link import JournalLink
    from mjtui.tui.notifications import Announcer
    from mjtui.tui.preview import Preview


class MjtuiApp(ToastingApp):
    """The live monitor."""

    TITLE = "mjtui"
    BINDINGS = APP_BINDINGS

    def __init__(
        self,
        connections: Iterable[Connection] = (),
        *,
        opening: Opening | None = None,
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
        leases: Leases | None = None,
    ) -> None:
        super().__init__()
        self.wanted_theme = theme or DEFAULT_THEME
        self.save_theme = save_theme
        self._theme_settled = False  # the theme set here is not a choice to save
        for registered in shipped_themes() if themes is None else themes:
            self.register_theme(registered)
        self._apply_theme()  # before the first frame, so it never flashes another theme
        self.previews = previews  # None: the inspector shows no pictures and downloads none
        self.journal = journal
        self.journal_problem = journal_problem
        self.leases = leases
        self.startup_warnings = list(warnings)
        self.journal_link: JournalLink | None = None  # once the dashboard is up, with a journal
        self.clock = clock or SystemClock()
        self.timers: Timers = timers or TextualTimers(self, speed)
        self.readonly = readonly
        self.title_text = title
        self.opening = opening
        self._start_refresh = refresh_seconds
        self._channel_names = channel_names or {}
        self._rng = rng or random.Random()
        self._notify_config = notify  # None: the defaults
        self.collector = Collector()
        self.user_keymap = dict(keymap or {})  # the user's [keys], kept here for help (Textual keeps its copy private)
        self.key_conflicts = keymap_conflicts(self.user_keymap)
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        self._partial_writes = True
        self.exiting = False
        self.accounts: dict[str, AccountState] = {}
        self._dashboard: DashboardScreen | None = None
        self._late_store: LateStore | None = None  # given an opening: the journal, once the first lists are shown
        if opening is None:
            self._start_accounts(connections, problems or {})
            self._build_dashboard()

    def _start_accounts(self, connections: Iterable[Connection], problems: dict[str, tuple[str, str]]) -> None:
        from mjtui.poller import Poller
        from mjtui.tui.messages import WorkerHost

        self.accounts.update(account_states(connections, problems, self._channel_names))
        self._worker_host = WorkerHost(self)
        self.poller: Poller = Poller(self._worker_host, self.accounts, clock=self.clock, timers=self.timers,
                                     refresh_seconds=self._start_refresh, rng=self._rng, leases=self.leases)

    def _build_dashboard(self) -> None:
        from mjtui.actions import Actions
        from mjtui.config import NotifyConfig
        from mjtui.tui.dashboard import DashboardScreen, ReadonlyDashboardScreen
        from mjtui.tui.dispatch import Dispatcher
        from mjtui.tui.keys import binding_ids
        from mjtui.tui.notifications import Announcer

        self.announcer: Announcer = Announcer(self, self._notify_config or NotifyConfig(), titled=len(self.accounts) > 1)
        self.unknown_keys = sorted(set(self.user_keymap) - binding_ids())
        self._dashboard = ReadonlyDashboardScreen() if self.readonly else DashboardScreen()
        self.dispatcher: Dispatcher = Dispatcher(self._dashboard, Actions(readonly=self.readonly, audit=self._audit))
        self._worker_host.dashboard_built()

    def get_default_screen(self) -> Screen[Any]:
        if self._dashboard is not None:
            return self._dashboard
        assert self.opening is not None
        return StartupScreen(self.title_text, self.opening.accounts, self._start_refresh, self.clock)

    @property
    def dashboard(self) -> DashboardScreen:
        assert self._dashboard is not None, "the dashboard is built once start-up has opened the connections"
        return self._dashboard

    def exit(self, result: None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        self.exiting = True  # Textual keeps its own flag private; start-up asks this one
        super().exit(result, return_code, message)

    # -- start and stop -------------------------------------------------------------------------------

    def on_load(self) -> None:
        # before Textual takes the terminal over: the settings to give back if the app is ended outright
        self._exit_deadline = ExitDeadline.for_this_terminal()

    def on_mount(self) -> None:
        if not self.is_headless:
            self._exit_deadline.trap(self.exit)  # first: the rest of start-up can keep the event loop busy
        self.collector.start(self)
        self._partial_writes = partial_writes.install()
        if self.theme != self.wanted_theme:
            self.notify(f"unknown theme {self.wanted_theme!r}; using {self.theme} (ctrl+p, Theme lists them)",
                        severity="warning", timeout=8)
        if self.opening is None:
            self._go_live()

    def on_ready(self) -> None:
        """The first frame is on the terminal (Textual's Ready): the rest opens now, not a throttled frame later."""
        if self.opening is not None:
            self.call_later(self._open)

    async def _open(self) -> None:
        """Open the connections, the log and the journal (importing them), then show the dashboard over the start-up
        screen (pushed: Textual cannot switch away from the first screen; the dashboard hides it for good)."""
        assert self.opening is not None
        try:
            opened = self.opening.open()
        except ConfigError:
            self.exit(return_code=2)  # the launcher says why once the terminal is restored
            return
        if self.exiting:  # quit (or stopped by serve) while the rest was opening: nothing to show it on
            return
        self._notify_config = opened.notify or self._notify_config
        for theme in opened.themes:
            self.register_theme(theme)
        self.startup_warnings += opened.theme_warnings
        self._start_accounts(opened.connections, opened.problems)
        self.poller.poll_all()  # the first lists are asked for now, and go out while the dashboard's modules load:
        await asyncio.sleep(0)  # the polls run up to their requests first (their imports would share the CPU with these)
        await asyncio.to_thread(importlib.import_module, "mjtui.tui.dashboard")  # off the event loop
        self._build_dashboard()
        await self.push_screen(self.dashboard)
        self._go_live()

    def _go_live(self) -> None:
        """With the dashboard up: what the user should know of start-up, the journal's writer, the clock's tick."""
        tell_startup_problems(self, self._partial_writes)
        if self.opening is None:
            self.link_journal(self.journal, self.journal_problem)
        else:
            self._late_store = LateStore(self, self.opening.open_store)
        self.timers.every(1.0, self.tick)

    def on_poll_done(self) -> None:
        """A poll's answer, bubbled up from the dashboard once shown (see `LateStore`)."""
        if self._late_store is not None:
            self._late_store.shown()

    def link_journal(self, journal: Journal | None, problem: str | None) -> None:
        """Start writing to the journal and fill the dashboard from it (or say why there is none)."""
        self.journal, self.journal_problem = journal, problem
        if problem:
            self.notify(f"journal unavailable, history is off: {problem}", severity="warning", timeout=10)
        if journal is not None:
            from mjtui.tui.journal_link import JournalLink

            self.journal_link = JournalLink(self, journal)
            self.journal_link.start()

    def on_unmount(self) -> None:
        self.collector.stop()
        if self.journal_link is not None:
            self.journal_link.close()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Until the dashboard is there, the keys that act on it are shown dimmed and do nothing (quit works)."""
        if self._dashboard is None and action in {"pause", "refresh", "interval", "help"}:
            return None
        return not (action == "notices" and isinstance(self.screen, ModalScreen))  # not over a dialog, nor the log

    def tick(self) -> None:
        self.collector.tick(covered=self.screen is not self.dashboard)
        self.dashboard.tick()

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

    # -- the journal (mjtui.tui.journal_link) -------------------------------------------------------------

    @property
    def writer(self) -> JournalWriter | None:
        """The journal's writer thread, through which the history screen reads too (None: no journal)."""
        link = self._journal_now()
        return link.writer if link else None

    def record(self, method: str, *args: object) -> None:
        """Queue a journal write (nothing without a journal); never waits, never raises into the UI."""
        if (link := self._journal_now()) is not None:
            link.record(method, *args)

    def _audit(self, account: str, action: str, target: str | None, outcome: Outcome, error: str | None) -> None:
        if (link := self._journal_now()) is not None:
            link.audit(account, action, target, outcome, error)

    def _journal_now(self) -> JournalLink | None:
        if self._late_store is not None:
            self._late_store.open()  # asked for before the first lists were all shown: opened now, nothing is lost
        return self.journal_link

    # -- keys on every screen -------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self.poller.paused

    @property
    def refresh_seconds(self) -> float:
        return self.poller.refresh_seconds

    def action_pause(self) -> None:
        """Stop every poll and the inspector's follow; pressing again resumes."""
        from mjtui.tui.app_keys import toggle_pause

        toggle_pause(self)

    def action_refresh(self) -> None:
        """Poll every account now; this also retries accounts halted by 401 / 402 / 596."""
        from mjtui.tui.app_keys import poll_now

        poll_now(self)

    def action_interval(self, direction: int) -> None:
        """Poll less (-1) or more (+1) often, by a step."""
        from mjtui.tui.app_keys import step_interval

        step_interval(self, direction)

    def help_rows(self) -> list[tuple[str, str, str]]:
        from mjtui.tui.keys import help_rows

        accounts = [(state.name, state.service) for state in self.accounts.values()]
        return help_rows(self.user_keymap, self.get_key_display, accounts)

    def action_help(self) -> None:
        from mjtui.tui.help import HelpScreen

        self.push_screen(HelpScreen(self.help_rows()))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        textuals = list(super().get_system_commands(screen))
        yield from textuals
        if self._dashboard is not None:  # else still starting: the keys' actions need the dashboard
            from mjtui.tui.app_keys import palette_commands

            yield from palette_commands(self, {command.title for command in textuals})

    # -- what the inspector and the history screen ask for (mjtui.tui.host.ScreenHost) ------------------

    def open_inspector(self, account: str, job_id: str, job: Job | None = None, *, fetch: bool = True) -> InspectorScreen:
        return self.dashboard.open_inspector(account, job_id, job, fetch=fetch)

    def request_seed(self, account: str, job_id: str, screen: InspectorScreen | None = None) -> None:
        self.dashboard.request_seed(account, job_id, screen)

    def request_cancel(self, account: str | None = None, job_id: str | None = None) -> None:
        self.dashboard.request_cancel(account, job_id)

    def request_press(self, account: str, job: Job, button: str, screen: InspectorScreen | None = None, *,
                      with_prompt: bool = False) -> None:
        self.dispatcher.press(self.accounts[account], job, button, screen, with_prompt=with_prompt)

    def lacks(self, account: str, action: str) -> bool:
        return self.dashboard.lacks(account, action)

    async def fetch_job(self, account: str, job_id: str) -> Job:
        return await self.dashboard.job_detail(account, job_id)

    async def preview_image(self, account: str, url: str) -> tuple[Preview, bool]:
        """A job image for the inspector (see `mjtui.tui.preview.load_preview`); raises MjtuiError or PreviewError."""
        from mjtui.tui.preview import load_account_preview

        return await load_account_preview(self.previews, self.accounts[account].connection, url)


def make_app(connections: Iterable[Connection], **options: Any) -> MjtuiApp:
    """Build the dashboard from injected parts (clock, timers, journal, ...; see `MjtuiApp`).

    Tests and `--demo` pass a simulator's connections, a clock and timers they drive.
    """
    return MjtuiApp(connections, **options)


if TYPE_CHECKING:
    def _hosts_screens(app: MjtuiApp) -> ScreenHost:
        return app  # mypy checks here that the app gives its screens everything mjtui.tui.host promises
