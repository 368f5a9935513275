"""The `mjtui` command: its global options, then the dashboard or a subcommand.

The dashboard's path imports no subcommand: they (and the client they use) are in `mjtui.cli`, loaded
when one is named or listed, so the dashboard's first frame does not wait for the network stack.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

import click

from mjtui import __version__
from mjtui.config_file import MAX_REFRESH_SECONDS, MIN_REFRESH_SECONDS, normalise_base_url
from mjtui.logs import LEVELS, default_log_path
from mjtui.options import Options, UsageProblem
from mjtui.text import clean

SUBCOMMANDS = "mjtui.cli"  # importing it adds every subcommand to `main`


class Commands(click.Group):
    """The group of subcommands, loaded from `SUBCOMMANDS` the first time one is looked up or listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        importlib.import_module(SUBCOMMANDS)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        importlib.import_module(SUBCOMMANDS)
        return super().get_command(ctx, cmd_name)


class FiniteFloat(click.FloatRange):
    """`click.FloatRange` that also refuses nan and inf, on one line: nan passes every bound of FloatRange
    (and `asyncio.sleep(nan)` returns at once, so `seed --wait --interval nan` would poll in a hot loop)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            name = param.opts[0] if param is not None and param.opts else "a value"
            raise UsageProblem(f"{name}: expected a finite number, not '{clean(str(value), limit=40)}'")
        return super().convert(number, param, ctx)


def _base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Checked as the config's base_url is: http(s), a host, no user:password@, no query."""
    if value is None:
        return None
    try:
        return normalise_base_url(value)
    except ValueError as exc:
        raise UsageProblem(f"--base-url {exc}") from None


@click.group(cls=Commands, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Config file (default: $MJTUI_CONFIG, then the user config dir).")
@click.option("--account", help="Account to use (a table [accounts.NAME] in the config).")
@click.option("--base-url", callback=_base_url,
              help="Override one account's API origin (with several, name it with --account), e.g. http://127.0.0.1:8787.")
@click.option("--refresh", type=FiniteFloat(min=MIN_REFRESH_SECONDS, max=MAX_REFRESH_SECONDS),
              help="Dashboard refresh interval in seconds.")
@click.option("--demo", is_flag=True, help="Use a built-in simulator of the service instead of a real account.")
@click.option("--readonly", is_flag=True, help="Send nothing but GETs: no relax/fast/turbo/info, cancel, seed or reset.")
@click.option("--journal", "journal", metavar="PATH",
              help="Job journal file (default: in the user data dir; :memory: for none kept).")
@click.option("--log-level", type=click.Choice(LEVELS), default="info", show_default=True,
              help=f"What goes into the log file ({default_log_path()}).")
@click.option("--theme", metavar="NAME",
              help="Dashboard theme for this run, e.g. mjtui-light, mjtui-ansi (ctrl+p, Theme lists them).")
@click.version_option(__version__, "--version", prog_name="mjtui")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, account: str | None, base_url: str | None,
         refresh: float | None, demo: bool, readonly: bool, journal: str | None, log_level: str,
         theme: str | None) -> None:
    """Watch and steer Midjourney jobs from a terminal.

    With no command, opens the dashboard.
    """
    if journal is not None and not journal.strip():
        raise UsageProblem("--journal: the path is empty")
    if theme is not None and not theme.strip():
        raise UsageProblem("--theme: the name is empty")
    ctx.obj = Options(config_path, account, base_url, refresh, demo, readonly, journal, log_level, theme=theme)
    if ctx.invoked_subcommand is None:
        from mjtui.launch import run_dashboard

        ctx.exit(run_dashboard(ctx.obj))
