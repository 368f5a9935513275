"""The notifications log (`n`): the last NOTICES_KEPT toasts in full, and where toasts show so they hide little.

Every notification is kept here whole, with its time and severity; its toast is one line (the first of its text)
in the top right corner, over the top bar and the first header's end, and never over a dialog.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.notifications import Notify, SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from mjtui.clock import Clock
from mjtui.secrets import redact
from mjtui.text import clean
from mjtui.tui.formatting import now_local
from mjtui.tui.textual_contract import drop_toasts

NOTICES_KEPT = 50
# Toasts: one line each, one at a time, top right, over the top bar's empty end rather than the finished list,
# the filter or the footer; hidden while a dialog, help or the palette is up (the log keeps them).
TOAST_CSS = """
ToastRack { dock: top; align: right top; margin: 0; }
Toast { width: auto; max-width: 50%; padding: 0 1; margin: 0; text-wrap: nowrap; text-overflow: ellipsis; }
ToastRack.-beside-bar Toast { max-width: 100%; }  /* the rack starts after the top bar's text: see keep_toasts_right_of */
ModalScreen Toast { visibility: hidden; }
Toast:ansi { background: ansi_default; }  /* Textual's: the default foreground on ansi_black, unreadable on a light scheme */
"""


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification as it was raised: when (the app's clock), how bad, and its whole text."""

    at: float
    severity: SeverityLevel
    title: str
    text: str


class NoticeLog:
    """The last `size` notifications, oldest first."""

    def __init__(self, size: int = NOTICES_KEPT) -> None:
        self._notices: deque[Notice] = deque(maxlen=size)

    def add(self, notice: Notice) -> None:
        self._notices.append(notice)

    def __iter__(self) -> Iterator[Notice]:
        return iter(self._notices)

    def __len__(self) -> int:
        return len(self._notices)


def toast_line(text: str, key: str, title: str = "") -> str:
    """A toast's one line: `title: ` and the first line of `text`, saying which key shows the rest when there is more."""
    first, _, rest = text.partition("\n")
    first = f"{title}: {first}" if title else first
    return f"{first} … ({key} shows all)" if rest.strip() else first


SEVERITY_RANK: dict[SeverityLevel, int] = {"information": 0, "warning": 1, "error": 2}


NEWS_BELOW = len(SEVERITY_RANK)  # news ranks under every answer to what the user did, whatever their severities


class ToastGate:
    """One toast on screen at a time: a new one replaces the one showing, unless that one matters more and is still up:
    the answer to what the user just did outranks news (jobs finished, slots freed: the polls' own), and an error a
    lesser toast of its kind (a finished job's toast from one account must not wipe another account's error, nor the
    "U2 pressed" the user waits for; the log keeps them all)."""

    def __init__(self) -> None:
        self._showing: tuple[int, float] | None = None  # (rank, when it goes: monotonic seconds)

    def admit(self, severity: SeverityLevel, timeout: float, now: float, *, news: bool = False) -> bool:
        """Whether a toast of `severity` shown at `now` for `timeout` seconds goes on screen (then it is the one);
        `news`: the polls' own, not an answer to a key."""
        rank = SEVERITY_RANK[severity] + (0 if news else NEWS_BELOW)
        if self._showing is not None and self._showing[1] > now and self._showing[0] > rank:
            return False
        self._showing = (rank, now + timeout)
        return True

    def forget(self) -> None:
        """The toasts were cleared."""
        self._showing = None


def clicked_a_toast(event: events.Click) -> bool:
    """Whether the click was on a toast (Textual dismisses it: the gate should forget it, or lesser toasts would wait
    for it to time out though it is gone)."""
    from textual.widgets._toast import Toast  # private: see mjtui.tui.textual_contract

    return isinstance(event.widget, Toast)


class Noticeboard(NoticeLog):
    """The app's notifications: every one kept whole in the log, and a one-line toast for those the gate lets show."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = ToastGate()

    def post(self, at: float, severity: SeverityLevel, title: str, message: str, *, seconds: float, key: str,
             toast: bool = True, news: bool = False) -> str | None:
        """Keep a notification (text from strangers: cleaned, never a token) and say its toast's line, `key` showing
        the rest; None: no toast (`toast` False, or one that matters more still up; `news`: see ToastGate)."""
        message, title = redact(clean(message, keep_newlines=True)), redact(clean(title))
        self.add(Notice(at, severity, title, message))
        if toast and self.gate.admit(severity, seconds, time.monotonic(), news=news):  # Textual times toasts itself
            return toast_line(message, key, title)
        return None


MIN_TOAST_WIDTH = 30  # cells a toast keeps on a narrow terminal, though it then covers the end of the top bar's text


def keep_toasts_right_of(screen: Screen, text_width: int) -> None:
    """Toasts on `screen` start after its first row's text (`text_width` cells): the top bar's running count and clock
    stay readable under them (a busy pool toasts every poll), but a toast keeps at least MIN_TOAST_WIDTH cells."""
    from textual.widgets._toast import ToastRack  # private: see mjtui.tui.textual_contract

    width = screen.size.width
    left = max(0, min(text_width + 1, width - MIN_TOAST_WIDTH))
    for rack in screen.query_children(ToastRack):  # none where Textual shows no toasts (a test without them)
        rack.add_class("-beside-bar")
        rack.styles.margin = (0, 0, 0, left)
        rack.styles.width = max(1, width - left)


class ToastingApp(App[None]):
    """An app whose every notification goes into its notifications log (`n`) and shows as one toast at a time."""

    CSS = TOAST_CSS
    clock: Clock
    user_keymap: dict[str, str]  # the user's [keys] (`n` may be another key)

    def __init__(self) -> None:
        super().__init__()
        self.notices = Noticeboard()  # every notification, whole (`n` shows them); one toast on screen at a time

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False, toast: bool = True, news: bool = False) -> None:
        """Toasts carry text from strangers (API answers, file names): never markup, never escapes, never a token.

        The whole text goes into the notifications log (`n`); the toast shows its first line (`toast=False`: none;
        `news`: the polls' own, which never hides the answer to a key and toasts only over a screen whose
        `SHOWS_NEWS` is true, the dashboard).
        """
        seconds = self.NOTIFICATION_TIMEOUT if timeout is None else timeout
        if news and not getattr(self._under_dialogs(), "SHOWS_NEWS", False):
            toast = False  # a job's inspector or the history: a toast there covers its title, for news of other jobs
        key = self.user_keymap.get("notices", "n").split(",")[0].strip()
        line = self.notices.post(self.clock.now(), severity, title, message, seconds=seconds, key=key, toast=toast,
                                 news=news)
        if line is not None:  # "" is a toast too: an empty notification still shows one
            super().notify(line, severity=severity, timeout=seconds, markup=False)

    def _under_dialogs(self) -> Screen | None:
        """The screen a toast would show over once the dialogs over it close (toasts hide while one is up)."""
        return next((screen for screen in reversed(self.screen_stack) if not isinstance(screen, ModalScreen)), None)

    def on_notify(self, event: Notify) -> None:
        """A toast about to show replaces the one showing (runs before App's own handler adds it: subclass first).

        The replaced toasts' holders go too: Textual removes only the toast, and its empty holder kept a row."""
        drop_toasts(self)
        super().clear_notifications()

    def clear_notifications(self) -> None:
        """No toast left: the next one shows whatever its severity."""
        self.notices.gate.forget()
        super().clear_notifications()

    def on_click(self, event: events.Click) -> None:
        if clicked_a_toast(event):  # dismissed: as if cleared
            self.notices.gate.forget()

    def action_notices(self) -> None:
        """The notifications log: the last ones whole, with time and severity."""
        self.push_screen(NoticesScreen(self.notices))


class NoticesScreen(ModalScreen[None]):
    """The notifications log, newest first: time, severity, and the whole text."""

    DEFAULT_CSS = """
    NoticesScreen { align: center middle; }
    NoticesScreen > VerticalScroll {
        width: 100; max-width: 100%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    NoticesScreen Static { margin-bottom: 1; }
    NoticesScreen .-warning { color: $text-warning; }
    NoticesScreen .-error { color: $text-error; }
    NoticesScreen #hint { color: $text-muted; margin: 0; }
    """
    BINDINGS = [Binding("escape,n,q", "close", "Close", id="notices.close")]

    def __init__(self, notices: NoticeLog) -> None:
        super().__init__()
        self.notices = list(notices)

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = f"Notifications (the last {NOTICES_KEPT})"
            box.can_focus = True  # scrolled with the arrows when it is longer than the screen
            for notice in reversed(self.notices):
                yield Static(notice_text(notice), classes=f"notice -{notice.severity}")
            if not self.notices:
                yield Static("No notifications yet.", classes="notice")
            yield Static("Esc closes.", id="hint")

    def action_close(self) -> None:
        self.dismiss(None)


def notice_text(notice: Notice) -> Text:
    """`12:03:04  error  cancel failed: <the whole text>` (the text was cleaned when it was raised)."""
    text = Text()
    text.append(now_local(notice.at), style="dim")
    text.append(f"  {notice.severity}  ", style="bold")
    if notice.title:
        text.append(f"{notice.title}: ", style="bold")
    text.append(notice.text)
    return text
