"""Starting the dashboard from the command line; kept apart so `mjtui jobs` never imports Textual."""

from __future__ import annotations

import shlex
import socket
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from mjtui.api.client import load_tls_in_background
from mjtui.config import Config, ConfigError, NotifyConfig, resolve_config_path
from mjtui.config import save_theme as save_config_theme
from mjtui.connections import (
    Connection,
    demo_accounts,
    demo_connection,
    demo_simulator,
    open_connections,
)
from mjtui.options import Options
from mjtui.store.image_cache import ImageCache, default_cache_dir
from mjtui.text import clean
from mjtui.themes import THEME_SUFFIX, shipped_themes_dir, user_themes_dir

if TYPE_CHECKING:
    from textual.theme import Theme

DEMO_REFRESH = 5.0


def run_dashboard(options: Options) -> int:
    """Open the dashboard on every configured account (or just `--account`), or on the simulator with `--demo`."""
    if not options.demo:
        load_tls_in_background()  # while the dashboard's own modules load
    from mjtui.clock import ScaledClock
    from mjtui.store import Journal, JournalError
    from mjtui.store.journal import default_journal_path, start_afresh
    from mjtui.tui.app import make_app
    from mjtui.tui.preview import detect_graphics
    from mjtui.tui.watchdog import TerminalWatchdog, can_hang_up

    themes, theme_warnings = load_themes(options)
    problem = theme_option_problem(options.theme, themes, theme_warnings)
    if problem is not None:
        print(f"mjtui: {clean(problem)}", file=sys.stderr)
        return 2
    connections: list[Connection] = []
    problems: dict[str, tuple[str, str]] = {}
    keymap: dict[str, str] = {}
    theme = None
    save_theme: Callable[[str], None] | None = None
    warnings: list[str] = []
    previews: ImageCache | None = ImageCache()
    notify = NotifyConfig()
    if options.demo:
        clock = ScaledClock(1.0)
        simulator = demo_simulator(clock=clock)
        names = [options.account] if options.account else demo_accounts(simulator)
        try:
            connections = [demo_connection(simulator, name) for name in names]
        except ConfigError as exc:
            print(f"mjtui: {clean(exc)}", file=sys.stderr)
            return 2
        refresh = options.refresh or DEMO_REFRESH
        title = "mjtui · demo (simulated service)"
    else:
        clock = None
        config = options.config()
        names = [options.account] if options.account else list(config.accounts)
        if options.account:
            try:
                config.account(options.account)
            except ConfigError as exc:
                print(f"mjtui: {clean(exc)}", file=sys.stderr)
                return 2
        connections, problems = open_connections(config, names, base_url=options.base_url)
        refresh = options.refresh or config.refresh_seconds
        keymap = dict(config.keys)
        theme = config.theme
        if config.path is not None:  # a theme picked in the dashboard is kept in the file it came from
            save_theme = partial(save_config_theme, config.path)
        warnings = list(config.warnings)  # printed before the screen took over; shown again where they are seen
        previews = preview_cache(config)
        notify = config.notify
        title = "mjtui"
    options.start_logging([connection.secret for connection in connections])
    journal, journal_problem, demo_claim = None, None, None
    try:
        if options.demo and not options.journal:
            demo_claim = start_afresh(default_journal_path(demo=True))  # a new demo world: the last one's would mislead
        journal = Journal(options.journal_location(), clock=clock, retention_days=options.retention_days())
    except JournalError as exc:
        journal_problem = str(exc)
    app = make_app(
        connections, clock=clock, refresh_seconds=refresh, readonly=options.readonly,
        keymap=keymap, problems=problems, title=title, theme=options.theme or theme, themes=themes,
        save_theme=save_theme, journal=journal, journal_problem=journal_problem, warnings=[*warnings, *theme_warnings],
        previews=previews, notify=notify,
    )
    if previews is not None:
        # asks the terminal, which only answers before the app takes it over
        detect_graphics(memory=default_cache_dir().parent / "terminals.json")
    # a terminal, or the pipe from `mjtui serve`: when it hangs up, nobody is left to use the dashboard
    watchdog = TerminalWatchdog.for_this_process() if can_hang_up(sys.stdin) else None
    try:
        app.run()
    finally:
        if watchdog is not None:
            watchdog.stop()
        if journal is not None:
            journal.close()
        if demo_claim is not None:
            demo_claim.close()
    return 0


def load_themes(options: Options) -> tuple[list[Theme], list[str]]:
    """mjtui's themes, then the user's (the `themes/` folder next to the config file), and a line per bad file."""
    from mjtui.tui import themes

    config_path, _ = resolve_config_path(options.config_path)
    return themes.load([shipped_themes_dir(), user_themes_dir(config_path)])


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
    if not config.previews:
        return None
    return ImageCache(cap_bytes=int(config.preview_cache_mb * 1024 * 1024))
