"""Starting the dashboard from the command line; kept apart so `mjtui jobs` never imports Textual."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from mjtui.config import Config, ConfigError, NotifyConfig
from mjtui.connections import Connection, demo_connection, demo_simulator, open_connection
from mjtui.store.image_cache import ImageCache
from mjtui.text import clean

if TYPE_CHECKING:
    from mjtui.cli import Options

DEMO_REFRESH = 5.0


def run_dashboard(options: Options) -> int:
    """Open the dashboard on every configured account (or just `--account`), or on the simulator with `--demo`."""
    from mjtui.clock import ScaledClock
    from mjtui.store import Journal, JournalError
    from mjtui.tui.app import make_app
    from mjtui.tui.preview import detect_graphics
    from mjtui.tui.watchdog import TerminalWatchdog

    connections: list[Connection] = []
    problems: dict[str, tuple[str, str]] = {}
    keymap: dict[str, str] = {}
    theme = None
    warnings: list[str] = []
    previews: ImageCache | None = ImageCache()
    notify = NotifyConfig()
    if options.demo:
        clock = ScaledClock(1.0)
        simulator = demo_simulator(clock=clock)
        names = [options.account] if options.account else list(simulator.world.accounts)
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
        for name in names:
            try:
                connections.append(open_connection(config, name, base_url=options.base_url))
            except ConfigError as exc:
                problems[name] = (config.accounts[name].provider, str(exc))
        refresh = options.refresh or config.refresh_seconds
        keymap = dict(config.keys)
        theme = config.theme
        warnings = list(config.warnings)  # printed before the screen took over; shown again where they are seen
        previews = preview_cache(config)
        notify = config.notify
        title = "mjtui"
    options.start_logging([connection.secret for connection in connections])
    journal, journal_problem = None, None
    try:
        journal = Journal(options.journal_location(), clock=clock, retention_days=options.retention_days())
    except JournalError as exc:
        journal_problem = str(exc)
    app = make_app(
        connections, clock=clock, refresh_seconds=refresh, readonly=options.readonly,
        keymap=keymap, problems=problems, title=title, theme=theme, journal=journal, journal_problem=journal_problem,
        warnings=warnings, previews=previews, notify=notify,
    )
    if previews is not None:
        detect_graphics()  # asks the terminal, which only answers before the app takes it over
    watchdog = TerminalWatchdog.for_this_process() if sys.stdin.isatty() else None
    try:
        app.run()
    finally:
        if watchdog is not None:
            watchdog.stop()
        if journal is not None:
            journal.close()
    return 0


def preview_cache(config: Config) -> ImageCache | None:
    """The inspector's image cache as the config sets it; None when `previews = false`."""
    if not config.previews:
        return None
    return ImageCache(cap_bytes=int(config.preview_cache_mb * 1024 * 1024))
