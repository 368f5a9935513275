"""An account's one-line status (live, stale, retrying, halted), why its last poll failed, and the banner of a halted
account."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from mjtui.monitor.health import AccountStatus, Health
from mjtui.text import clean
from mjtui.tui.formatting import age, now_local
from mjtui.tui.line import Line

HEALTH_CLASS = {
    Health.CONNECTING: "muted",
    Health.LIVE: "ok",
    Health.STALE: "warn",
    Health.RETRYING: "warn",
    Health.PAUSED: "muted",
    Health.UNAUTHORIZED: "bad",
    Health.PAYMENT: "bad",
    Health.MODERATION: "bad",
}


AGE_STEP = 5.0


def status_words(status: AccountStatus, now: float, interval: float) -> str:
    """The state as a user reads it: `live`, `retrying in 8s`, `stale since 12:03:04, retrying in 8s`, `unauthorized`..."""
    health = status.health
    if status.paused:
        return "paused"
    if health.halted:
        return health.value  # its banner says the rest
    retrying = f"retrying in {max(0, round(status.retry_at - now))}s" if (
        health is Health.RETRYING and status.retry_at is not None) else None
    if status.is_stale(now, interval) and status.last_ok_at is not None:
        since = f"stale since {now_local(status.last_ok_at)}"
        return f"{since}, {retrying}" if retrying else since
    return retrying or health.value


def fresh_age(seconds: float, interval: float) -> float:
    """The age of the last poll as shown: in AGE_STEP steps while the next poll is not yet due.

    The header is rewritten (a whole terminal line) each time this text changes; a fresh
    poll's age ticking each second said nothing the `live` beside it does not.
    """
    if seconds >= interval:
        return seconds
    return seconds - seconds % AGE_STEP


class AccountHeader(Line):
    """`● main  useapi  live  polled 3s ago · 41 ms · 0 errors · every 10s` (`live  every 6s (rate limit) · polled ...`
    where the service's rate limit, not the refresh interval, sets how often)."""

    COMPONENT_CLASSES = {"account-header--ok", "account-header--warn", "account-header--bad",
                         "account-header--muted", "account-header--name", "account-header--dim"}
    DEFAULT_CSS = """
    AccountHeader { height: 1; padding: 0 1; background: $panel; }
    AccountHeader > .account-header--ok { color: $success; text-style: bold; }
    AccountHeader > .account-header--warn { color: $warning; text-style: bold; }
    AccountHeader > .account-header--bad { color: $error; text-style: bold; }
    AccountHeader > .account-header--muted { color: $text-muted; text-style: bold; }
    AccountHeader > .account-header--name { color: $text; text-style: bold; }
    AccountHeader > .account-header--dim { color: $text-muted; }
    """

    def __init__(self, name: str, provider: str) -> None:
        super().__init__(classes="account-header")
        self.account_name = clean(name)
        self.provider = clean(provider)

    def show(self, status: AccountStatus, now: float, interval: float, running: int | None, *,
             rate_limited: bool = False, note: str | None = None) -> None:
        """The line; `interval` is how often the account is polled, `rate_limited` when its service's limit set it,
        `note` who polls it when another mjtui does (read from the journal)."""
        words = status_words(status, now, interval)
        kind = "warn" if words.startswith("stale") else "muted" if words == "paused" else HEALTH_CLASS[status.health]
        style = self.get_component_rich_style(f"account-header--{kind}")
        dim = self.get_component_rich_style("account-header--dim")
        text = Text()
        text.append("● ", style=style)
        text.append(self.account_name, style=self.get_component_rich_style("account-header--name"))
        text.append(f"  {self.provider}  ", style=dim)
        text.append(words, style=style)
        # Where the service's rate limit sets the interval, it goes first: at 80 columns the line's end is cut.
        details = [f"every {interval:g}s (rate limit)"] if rate_limited else []
        if note:
            details.insert(0, clean(note, limit=120))  # first: the rest is that process's polling, seen second-hand
        if status.last_ok_at is not None:
            details.append(f"polled {age(fresh_age(now - status.last_ok_at, interval))} ago")
        if status.latency is not None:
            details.append(f"{status.latency * 1000:.0f} ms")
        details.append(f"{status.errors} error{'s' if status.errors != 1 else ''}")
        if not rate_limited:
            details.append(f"every {interval:g}s")
        if running is not None:
            details.append(f"{running} running")
        text.append("  " + " · ".join(details), style=dim)
        self.show_line(text)


class ProblemLine(Static):
    """Why the last poll failed, whole (wrapped, never cut), under the header while the account retries."""

    DEFAULT_CSS = """
    ProblemLine { height: auto; padding: 0 1; color: $text-warning; display: none; }
    ProblemLine.-visible { display: block; }
    """
    _shown: str | None = None

    def show(self, status: AccountStatus) -> None:
        message = problem_text(status)
        if message == self._shown:
            return  # set every second: an unchanged line costs no layout
        self._shown = message
        self.set_class(message is not None, "-visible")
        self.update(Text(message or ""))


def problem_text(status: AccountStatus) -> str | None:
    """`last error at 12:03:04: no answer in time: not complete within 10 s`, while the account retries."""
    if status.health is not Health.RETRYING or not status.last_problem:
        return None  # a halt has its banner; a good poll, nothing to say
    when = f" at {now_local(status.last_error_at)}" if status.last_error_at is not None else ""
    return f"last error{when}: {clean(status.last_problem, limit=2000)}"


class Banner(Static):
    """Why an account stopped polling, and what to press about it."""

    DEFAULT_CSS = """
    Banner { height: auto; padding: 0 1; background: $error 25%; color: $text; display: none; }
    Banner.-visible { display: block; }
    """

    def show(self, status: AccountStatus, account: str) -> None:
        message = banner_text(status, account)
        self.set_class(message is not None, "-visible")
        if message is not None:
            self.update(Text(message))


def banner_text(status: AccountStatus, account: str) -> str | None:
    error = clean(status.last_error or "", limit=160)
    if status.health is Health.UNAUTHORIZED and status.needs_admin:
        return (f"{clean(status.last_problem or '', limit=240)}. Give account '{clean(account)}' an admin token in the "
                f"config, then press ctrl+r to retry.")
    if status.health is Health.UNAUTHORIZED:
        return (f"401 Unauthorized: the service rejected the token of account '{clean(account)}'. "
                f"Fix it in the config, then press ctrl+r to retry. The jobs shown are from the last good poll.")
    if status.health is Health.PAYMENT:
        return f"{error}. Renew the subscription, then press ctrl+r to retry. The jobs shown are from the last good poll."
    if status.health is Health.MODERATION:
        channel = clean(status.moderation_channel or "?")
        return (
            f"Moderation pending on channel {channel}: every call is halted. Acknowledge the message in Discord, "
            f"then press R to reset the channel. The jobs shown are from the last good poll."
        )
    return None
