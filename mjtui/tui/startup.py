"""The dashboard's first frame: the title, a header per configured account saying "connecting", the keys.

Shown while the rest loads. This module imports Textual and light modules only, so the frame is on the
terminal before the network stack, the API's models, the providers, the journal and the simulator are
imported; `Opening.open` (called by the app once the frame is painted) imports and opens them.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen

from mjtui.clock import Clock
from mjtui.logs import log
from mjtui.monitor.health import AccountStatus
from mjtui.text import clean
from mjtui.tui.account_header import AccountHeader
from mjtui.tui.footer import KeysFooter
from mjtui.tui.formatting import now_local
from mjtui.tui.topbar import TopBar

if TYPE_CHECKING:
    from textual.theme import Theme

    from mjtui.config import NotifyConfig
    from mjtui.connections import Connection
    from mjtui.lease import Leases
    from mjtui.poller import AccountState
    from mjtui.store import Journal
    from mjtui.store.image_cache import ImageCache
    from mjtui.tui.app import MjtuiApp


@dataclass
class Opened:
    """What start-up opens after the first frame: a connection per account (and why an account has none), the
    checked config's notifications, the user's themes (and a line per bad file)."""

    connections: list[Connection]
    problems: dict[str, tuple[str, str]] = field(default_factory=dict)
    notify: NotifyConfig | None = None
    themes: list[Theme] = field(default_factory=list)
    theme_warnings: list[str] = field(default_factory=list)


@dataclass
class Stored:
    """What start-up opens once the first lists are on screen: the journal (or why not), the preview cache (None:
    previews are off)."""

    journal: Journal | None = None
    journal_problem: str | None = None
    previews: ImageCache | None = None
    leases: Leases | None = None  # one process polls an account per journal (mjtui.lease)


@dataclass(frozen=True)
class Opening:
    """Start-up in steps: the accounts as the config names them (name, provider), shown at once; `open`, which
    imports and opens what the first polls need once they are on screen (ConfigError: the config is bad, and the
    app ends); `open_store`, called once the first lists are shown (or a second has passed)."""

    accounts: list[tuple[str, str]]
    open: Callable[[], Opened]
    open_store: Callable[[], Stored] = Stored


def account_states(connections: Iterable[Connection], problems: dict[str, tuple[str, str]],
                   channel_names: dict[str, dict[str, str]]) -> dict[str, AccountState]:
    """A state to poll per connection, its channels named by the config then by the account; one per `problems`
    account, which has no connection, saying why."""
    from mjtui.poller import AccountState

    states: dict[str, AccountState] = {}
    for connection in connections:
        connection.client.get_retries = 0  # the poll loop owns retries and their pace; no bursts behind it
        state = AccountState(connection.name, connection.provider, connection)
        state.channel_names = dict(channel_names.get(connection.name, {}))
        if connection.account is not None:
            state.channel_names.update(connection.account.channels)
        states[connection.name] = state
    for name, (provider, problem) in problems.items():
        states[name] = AccountState(name, provider, None, problem=problem)
    return states


def tell_startup_problems(app: MjtuiApp, partial_writes: bool) -> None:
    """Once the dashboard is up, what the user should know of start-up: the keys the config got wrong, the warnings
    gathered on the way (and, in the log, a Textual that partial writes do not fit)."""
    if not partial_writes:
        from textual import __version__ as textual_version  # read from the package's metadata: slow to import

        log.warning("Textual %s is not the shape partial writes were made for: the dashboard works, "
                    "sending more bytes per update (see mjtui/tui/textual_contract.py)", textual_version)
    for conflict in app.key_conflicts:
        app.notify(conflict, severity="warning", timeout=8)
    if app.unknown_keys:
        app.notify(f"[keys] in the config names no binding: {', '.join(map(clean, app.unknown_keys))} (? lists the ids)",
                   severity="warning", timeout=8)
    for warning in app.startup_warnings:
        app.notify(warning, severity="warning", timeout=12)


STORE_AFTER = 1.0  # seconds after the dashboard is shown: the journal opens then even if an account has not answered
# Seconds after every account's first list is applied: by then the frame showing them is on the terminal (frames come
# 1/60 s apart), and opening the journal (sqlite3 and the store: ~20 ms) does not hold it back. "After the next refresh"
# did: that refresh could be one that did not yet lay the new panes out.
STORE_SETTLE = 0.25


class LateStore:
    """The journal and the preview cache, opened once every account's first list is on screen (or `STORE_AFTER`
    seconds after the dashboard is): sqlite3 and the store's modules are not on those lists' way."""

    def __init__(self, app: MjtuiApp, open_store: Callable[[], Stored]) -> None:
        self.app = app
        self.open_store = open_store
        self.opened = False
        app.timers.call_later(STORE_AFTER, self.open)

    def shown(self) -> None:
        """A poll's answer is on screen: with every account's first there, the store opens `STORE_SETTLE` s later."""
        if not self.opened and not any(state.polling for state in self.app.accounts.values()):
            self.app.timers.call_later(STORE_SETTLE, self.open)

    def open(self) -> None:
        if self.opened or self.app.exiting:
            return
        self.opened = True
        gc.enable()  # off while the dashboard started (see mjtui.launch.run_dashboard)
        stored = self.open_store()
        self.app.previews = stored.previews
        if stored.leases is not None:  # the polls from now on go through the journal's lease (the first went direct)
            self.app.leases = self.app.poller.leases = stored.leases
        self.app.link_journal(stored.journal, stored.journal_problem)
        link = self.app.journal_link
        if link is None:
            return
        for state in self.app.accounts.values():  # the polls shown before the journal opened
            if state.snapshot is not None and state.last_poll_at is not None:
                link.record_snapshot(state.name, state.snapshot, state.last_poll_at)
                # their first poll could not ask the journal for the prompts it knows (an earlier session's)
                link.find_prompts(state.name, (row for rows in state.snapshot.jobs.values() for row in rows.values()))


class StartupScreen(Screen[None]):
    """Where the dashboard will be, as it looks before its first poll: replaced by it once start-up has opened."""

    DEFAULT_CSS = """
    StartupScreen #accounts { height: 1fr; }
    StartupScreen AccountHeader { margin-bottom: 1; }
    """

    def __init__(self, title: str, accounts: list[tuple[str, str]], refresh_seconds: float, clock: Clock) -> None:
        super().__init__()
        self.title_text = title
        self.accounts = accounts
        self.refresh_seconds = refresh_seconds
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        with VerticalScroll(id="accounts"):
            for name, provider in self.accounts:
                yield AccountHeader(name, provider)
        yield KeysFooter()

    def on_mount(self) -> None:
        now = self.clock.now()
        self.query_one(TopBar).show(self.title_text, len(self.accounts), 0, now_local(now)[:5])
        for header in self.query(AccountHeader):
            header.show(AccountStatus(), now, self.refresh_seconds, None)  # a new status: "connecting"
