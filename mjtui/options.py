"""The global options (`mjtui --config ... --account ... COMMAND`) and the two ways a command fails on one line.

Shared by the CLI's commands and by what starts the dashboard (mjtui/launch.py), so neither imports the other.
Exit status: 0 on success, 1 on an API or network failure (`Failure`), 2 on a usage error or a refused
confirmation (`UsageProblem`); each is one line on stderr, masked and cleaned, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mjtui.config_file import ConfigError, Outline, read_outline, resolve_config_path
from mjtui.logs import setup_logging
from mjtui.secrets import redact
from mjtui.text import clean

if TYPE_CHECKING:  # the dashboard's first frame comes before pydantic, the journal and the network stack are imported
    from mjtui.config import Config
    from mjtui.connections import Connection
    from mjtui.store import Journal

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageProblem(click.ClickException):
    """A usage error or a refused confirmation: exit 2, one line."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"mjtui: {redact(clean(self.message))}", err=True)


class Failure(click.ClickException):
    """The API or the network failed: exit 1, one line (and a `hint` line, where one helps)."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def show(self, file: Any = None) -> None:
        click.echo(f"mjtui: {redact(clean(self.message))}", err=True)
        if self.hint:
            click.echo(f"mjtui: {self.hint}", err=True)


@dataclass
class Options:
    """The global options, given before the subcommand."""

    config_path: Path | None = None
    account: str | None = None
    base_url: str | None = None
    refresh: float | None = None
    demo: bool = False
    readonly: bool = False
    journal: str | None = None
    log_level: str = "info"
    theme: str | None = None
    _config: Config | None = field(default=None, repr=False)
    _outline: Outline | None = field(default=None, repr=False)

    def config(self) -> Config:
        """The config, checked: UsageProblem (one line) for anything wrong in it; its warnings told once, on stderr."""
        if self._config is None:
            try:
                config = self.checked_config()
            except ConfigError as exc:
                raise UsageProblem(str(exc)) from None
            if self._outline is None:  # else told when the outline was read
                self._tell(config.warnings, list(config.accounts))
        return self.checked_config()

    def outline(self) -> Outline:
        """What the dashboard's first frame draws of the config, read without checking it (that is `checked_config`,
        after the frame): UsageProblem when the file cannot be read or parsed; its warnings told on stderr."""
        if self._outline is None:
            try:
                self._outline = read_outline(self.config_path)
            except ConfigError as exc:
                raise UsageProblem(str(exc)) from None
            self._tell(self._outline.warnings, [name for name, _ in self._outline.accounts])
        return self._outline

    def checked_config(self) -> Config:
        """The config, checked (this imports pydantic), telling nothing: ConfigError for anything wrong in it."""
        if self._config is None:
            from mjtui.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    def _tell(self, warnings: list[str], accounts: list[str]) -> None:
        for warning in warnings:
            click.echo(f"mjtui: warning: {clean(warning)}", err=True)
        if self.base_url is not None and self.account is None and len(accounts) > 1:
            # else every account's token would go to that one URL
            raise UsageProblem(f"--base-url applies to one account: add --account NAME (accounts: {', '.join(accounts)})")

    def global_args(self) -> list[str]:
        """These options as `mjtui` arguments, so another process (a browser tab's dashboard) runs with the same."""
        from mjtui.store import MEMORY

        args: list[str] = []
        if self.config_path is not None:
            args += ["--config", str(Path(self.config_path).expanduser().resolve())]
        for flag, value in (("--account", self.account), ("--base-url", self.base_url), ("--refresh", self.refresh),
                            ("--theme", self.theme)):
            if value is not None:
                args += [flag, str(value)]
        if self.journal is not None:
            args += ["--journal", self.journal if self.journal == MEMORY else str(Path(self.journal).expanduser().resolve())]
        args += ["--demo"] * self.demo + ["--readonly"] * self.readonly + ["--log-level", self.log_level]
        return args

    def journal_location(self) -> str | Path:
        """The journal to use: `--journal`, else the demo's own with `--demo` (never the user's), else the default."""
        from mjtui.store import MEMORY, default_journal_path

        if self.journal:
            return self.journal if self.journal == MEMORY else Path(self.journal).expanduser()
        return default_journal_path(demo=self.demo)

    def read_journal(self) -> Journal:
        """The journal, opened to read (never created nor written); exit 1 with one line when it cannot be
        (JournalMissing passes through)."""
        from mjtui.store import Journal, JournalError, JournalMissing

        try:
            return Journal(self.journal_location(), readonly=True, retention_days=self.retention_days())
        except JournalMissing:
            raise
        except JournalError as exc:
            raise Failure(str(exc)) from None

    def connect(self) -> Connection:
        """The chosen account's connection: a simulator's in `--demo`, else from the config."""
        from mjtui.connections import demo_connection, demo_simulator, open_connection

        try:
            if self.demo:
                connection = demo_connection(demo_simulator(), self.account)
            else:
                connection = open_connection(self.config(), self.account, base_url=self.base_url)
        except ConfigError as exc:
            raise UsageProblem(str(exc)) from None
        self.start_logging([connection.secret])
        return connection

    def connect_every(self) -> tuple[list[Connection], dict[str, str]]:
        """Every account's connection (`--account`'s alone when given), and why each that cannot have one cannot."""
        from mjtui.connections import demo_accounts, demo_connection, demo_simulator, open_connections

        if self.account is not None or (not self.demo and len(self.config().accounts) <= 1):
            return [self.connect()], {}
        problems: dict[str, tuple[str, str]] = {}
        if self.demo:
            simulator = demo_simulator()
            connections = [demo_connection(simulator, name) for name in demo_accounts(simulator)]
        else:
            connections, problems = open_connections(self.config(), list(self.config().accounts), base_url=self.base_url)
        self.start_logging([connection.secret for connection in connections])
        return connections, {name: reason for name, (_, reason) in problems.items()}

    def retention_days(self) -> float:
        """How long the journal keeps rows: the config's `journal_retention_days` (62 without a config)."""
        from mjtui.store import DEFAULT_RETENTION_DAYS

        path, _ = resolve_config_path(self.config_path)
        if self.demo or not path.exists():
            return DEFAULT_RETENTION_DAYS
        return self.config().journal_retention_days

    def start_logging(self, secrets: list[str]) -> None:
        setup_logging(self.log_level, secrets=secrets)
