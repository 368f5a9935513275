"""Starting the dashboard from the command line; kept apart so `mjtui jobs` never imports Textual.

In two steps: what the options and the config's outline say is checked before the terminal is taken over (a bad
option or an unreadable file is one line, never a dashboard), and the dashboard's first frame shows the accounts
they name; `DashboardStart.open`, called once that frame is on the terminal, checks the whole config (a problem
ends the app, and `run_dashboard` prints it in one line once the terminal is restored), then imports and opens what
the first polls need: the providers and the network stack, the simulator for `--demo`, the log, the user's themes;
`DashboardStart.open_store`, called once the first lists are shown, the journal and the preview cache.
"""

from __future__ import annotations

import gc
import shlex
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import platformdirs

from mjtui.clock import Clock, ScaledClock
from mjtui.config_file import ConfigError, Outline, resolve_config_path
from mjtui.config_file import save_theme as save_config_theme
from mjtui.options import Options
from mjtui.text import clean
from mjtui.themes import DEFAULT_THEME, THEME_SUFFIX, shipped_themes_dir, theme_files, user_themes_dir

if TYPE_CHECKING:
    from textual.theme import Theme

    from mjtui.config import Config
    from mjtui.lease import Leases
    from mjtui.store import Journal
    from mjtui.store.image_cache import ImageCache
    from mjtui.tui.startup import Opened, Stored

DEMO_REFRESH = 5.0
DEMO_TITLE = "mjtui · demo (simulated service)"
# The demo simulator's accounts (mjtui.connections.demo_simulator), in its order: named here so its first frame
# comes before the simulator is imported; tests/test_startup.py keeps the two in step.
DEMO_ACCOUNTS = [("main", "useapi"), ("alt1", "useapi"), ("ip", "imaginepro"), ("gateway", "midjourney-proxy")]


@dataclass
class DashboardStart:
    """What the options and the config say of the dashboard to start, checked; `open` opens the rest."""

    options: Options
    accounts: list[tuple[str, str]]  # (name, provider), in the dashboard's order
    outline: Outline | None = None  # None: the demo
    clock: Clock | None = None
    later_themes: bool = False  # the user's themes are read once the first frame is painted
    config: Config | None = field(default=None, init=False)  # checked by `open`
    problem: str | None = field(default=None, init=False)  # what `open` found wrong in the config
    journal: Journal | None = field(default=None, init=False)
    demo_claim: IO[str] | None = field(default=None, init=False)
    leases: Leases | None = field(default=None, init=False)

    @classmethod
    def demo(cls, options: Options) -> DashboardStart:
        names = [name for name, _ in DEMO_ACCOUNTS]
        if options.account is not None and options.account not in names:
            raise ConfigError(f"no account named {options.account!r} in the demo (accounts: {', '.join(names)})")
        accounts = [(name, provider) for name, provider in DEMO_ACCOUNTS if options.account in (None, name)]
        return cls(options, accounts, clock=ScaledClock(1.0))

    @classmethod
    def configured(cls, options: Options) -> DashboardStart:
        """From the config file's outline (an unreadable file is a UsageProblem; with `--account`, a ConfigError);
        the whole file is checked by `open`."""
        outline = options.outline()
        if options.account:
            outline.check_account(options.account)
        accounts = [(name, provider) for name, provider in outline.accounts if options.account in (None, name)]
        return cls(options, accounts, outline=outline)

    def app_options(self) -> dict[str, Any]:
        """What `make_app` is given besides the opening: refresh, title, keys, theme, warnings."""
        outline = self.outline
        if outline is None:
            return {"clock": self.clock, "refresh_seconds": self.options.refresh or DEMO_REFRESH, "title": DEMO_TITLE}
        save_theme: Callable[[str], None] | None = None
        if outline.path is not None:  # a theme picked in the dashboard is kept in the file it came from
            save_theme = partial(save_config_theme, outline.path)
        # the config's warnings were printed before the screen took over; they are shown again where they are seen
        return {"refresh_seconds": self.options.refresh or outline.refresh_seconds, "title": "mjtui",
                "keymap": dict(outline.keys), "theme": outline.theme, "save_theme": save_theme,
                "warnings": list(outline.warnings)}

    @property
    def shows_previews(self) -> bool:
        return self.outline is None or self.outline.previews

    def open(self) -> Opened:
        """Check the config, then open the connections and the log and read the user's themes: called by the app once
        its first frame is on the terminal. Raises ConfigError (kept in `problem`) for a bad config."""
        if self.outline is not None:
            try:
                self.config = self.options.checked_config()
            except ConfigError as exc:
                self.problem = str(exc)
                raise
        opened = self._connect()
        if self.config is not None:
            opened.notify = self.config.notify
        if self.later_themes:
            opened.themes, opened.theme_warnings = load_themes(self.options, with_shipped=False)
        self.options.start_logging([connection.secret for connection in opened.connections])
        return opened

    def open_store(self) -> Stored:
        """The journal (or why there is none) and the preview cache: called by the app once the first lists are on
        screen (sqlite3 and the store's modules are not on their way)."""
        from mjtui.store import Journal, JournalError
        from mjtui.store.image_cache import ImageCache
        from mjtui.store.journal import default_journal_path, start_afresh
        from mjtui.tui.startup import Stored

        stored = Stored()
        try:
            if self.config is None and not self.options.journal:
                # a new demo world: the last one's records would mislead
                self.demo_claim = start_afresh(default_journal_path(demo=True))
            self.journal = stored.journal = Journal(self.options.journal_location(), clock=self.clock,
                                                    retention_days=self.options.retention_days())
        except JournalError as exc:
            stored.journal_problem = str(exc)
        else:
            self.leases = stored.leases = self._leases(self.journal)
        stored.previews = ImageCache() if self.config is None else preview_cache(self.config)
        return stored

    def _leases(self, journal: Journal) -> Leases | None:
        """Shared with `mjtui metrics` on the same journal; not in the demo, whose world is each process's own."""
        from mjtui.clock import SystemClock
        from mjtui.lease import Leases
        from mjtui.store import MEMORY

        if self.config is None or journal.path == MEMORY:
            return None
        return Leases(journal, "a dashboard", SystemClock())

    def _connect(self) -> Opened:
        from mjtui.connections import demo_connection, demo_simulator, open_connections
        from mjtui.tui.startup import Opened

        if self.config is None:
            simulator = demo_simulator(clock=self.clock)
            return Opened([demo_connection(simulator, name) for name, _ in self.accounts])
        from mjtui.api.client import load_tls_in_background

        names = [name for name, _ in self.accounts]
        connections, problems = open_connections(self.config, names, base_url=self.options.base_url)
        if any(connection.service.client.base_url.startswith("https:") for connection in connections):
            load_tls_in_background()  # while the dashboard's own modules load: the first https request awaits it
        return Opened(connections, problems)

    def close(self) -> None:
        if self.leases is not None:
            self.leases.release()  # another mjtui on the journal polls these accounts from its next poll
        if self.journal is not None:
            self.journal.close()
        if self.demo_claim is not None:
            self.demo_claim.close()


def run_dashboard(options: Options) -> int:
    """Open the dashboard on every configured account (or just `--account`), or on the simulator with `--demo`.

    The cyclic garbage collector is off while it starts (its passes over what the imports make cost ~15-20 ms before
    the first jobs are on screen); the app turns it on once they are (`LateStore.open`), or this does as it returns."""
    gc.disable()
    try:
        return _run_dashboard(options)
    finally:
        gc.enable()


def _run_dashboard(options: Options) -> int:
    from mjtui.tui.app import make_app
    from mjtui.tui.preview import detect_graphics
    from mjtui.tui.startup import Opening
    from mjtui.tui.themes import shipped
    from mjtui.tui.watchdog import TerminalWatchdog, can_hang_up

    try:
        start = DashboardStart.demo(options) if options.demo else DashboardStart.configured(options)
    except ConfigError as exc:
        print(f"mjtui: {clean(exc)}", file=sys.stderr)
        return 2
    app_options = start.app_options()
    app_options["theme"] = options.theme or app_options.get("theme")
    themes, theme_warnings = themes_for_the_first_frame(options, app_options["theme"])
    problem = theme_option_problem(options.theme, themes or list(shipped()), theme_warnings)
    if problem is not None:
        print(f"mjtui: {clean(problem)}", file=sys.stderr)
        return 2
    start.later_themes = themes is None and bool(theme_files(_user_themes(options)))
    app_options["warnings"] = [*app_options.get("warnings", []), *theme_warnings]
    opening = Opening(start.accounts, start.open, start.open_store)
    app = make_app([], opening=opening, readonly=options.readonly, themes=themes, **app_options)
    if start.shows_previews:
        # asks the terminal, which only answers before the app takes it over
        detect_graphics(memory=platformdirs.user_cache_path("mjtui") / "terminals.json")
    # a terminal, or the pipe from `mjtui serve`: when it hangs up, nobody is left to use the dashboard
    watchdog = TerminalWatchdog.for_this_process() if can_hang_up(sys.stdin) else None
    try:
        app.run()
    finally:
        if watchdog is not None:
            watchdog.stop()
        start.close()
    if start.problem is not None:  # found in the config after the first frame; the terminal is the user's again
        print(f"mjtui: {clean(start.problem)}", file=sys.stderr)
        return 2
    return 0


def themes_for_the_first_frame(options: Options, wanted: str | None) -> tuple[list[Theme] | None, list[str]]:
    """The themes to register before the first frame, and a line per bad file. None when `wanted` is mjtui's or
    Textual's own: the shipped themes, read unchecked, draw the frame and the user's are checked after it (pydantic
    then, not before the frame); else every theme, checked now, as the first frame may draw one of the user's."""
    from mjtui.tui.themes import available, shipped

    name = wanted or DEFAULT_THEME
    if name in available(shipped()) and not (_user_themes(options) / f"{name}{THEME_SUFFIX}").exists():
        return None, []
    return load_themes(options)


def load_themes(options: Options, *, with_shipped: bool = True) -> tuple[list[Theme], list[str]]:
    """mjtui's themes (unless `with_shipped` is False), then the user's (the `themes/` folder next to the config
    file), and a line per bad file."""
    from mjtui.tui import themes

    user = _user_themes(options)
    return themes.load([shipped_themes_dir(), user] if with_shipped else [user])


def _user_themes(options: Options) -> Path:
    config_path, _ = resolve_config_path(options.config_path)
    return user_themes_dir(config_path)


def theme_option_problem(name: str | None, themes: list[Theme], warnings: list[str]) -> str | None:
    """Why `--theme NAME` cannot be used (its file is bad, or there is no such theme), or None."""
    from mjtui.tui.themes import available

    names = available(themes)
    if name is None or name in names:
        return None
    bad_file = next((warning for warning in warnings if f"{name}{THEME_SUFFIX}:" in warning), None)
    return f"--theme {name}: {bad_file or 'no such theme'}; available: {', '.join(names)}"


def serve_dashboard(options: Options, host: str, port: int, public_url: str | None, max_sessions: int) -> int:
    """Serve the dashboard with textual-serve until interrupted: each browser tab starts `mjtui GLOBAL-OPTIONS`."""
    from mjtui.serve import DashboardServer, new_secret

    themes, theme_warnings = load_themes(options)
    problem = theme_option_problem(options.theme, themes, theme_warnings)
    if problem is not None:
        print(f"mjtui: {clean(problem)}", file=sys.stderr)
        return 2
    try:
        _check_can_listen(host, port)
    except OSError as exc:
        print(f"mjtui: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    # exec: the shell textual-serve starts it with becomes the dashboard, so a signal to that process reaches it
    command = "exec " + shlex.join([sys.executable, "-m", "mjtui", *options.global_args()])
    shown = f"[{host}]" if ":" in host else host
    server = DashboardServer(command, host=host, port=port, public_url=public_url or f"http://{shown}:{port}",
                             secret=new_secret(), max_sessions=max_sessions)
    print(f"mjtui dashboard on {server.page_url}\n(each browser tab runs its own, {max_sessions} at most; only this "
          f"address, with its secret, opens it; Ctrl+C stops it)", flush=True)
    try:
        server.serve()
    except OSError as exc:  # lost a race for the port since the check
        print(f"mjtui: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


def _check_can_listen(host: str, port: int) -> None:
    """Raise OSError now, before any banner, if the server could not listen there (a busy port, no such address)."""
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE):
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself will
            probe.bind(address)


def preview_cache(config: Config) -> ImageCache | None:
    """The inspector's image cache as the config sets it; None when `previews = false`."""
    from mjtui.store.image_cache import ImageCache

    if not config.previews:
        return None
    return ImageCache(cap_bytes=int(config.preview_cache_mb * 1024 * 1024))
