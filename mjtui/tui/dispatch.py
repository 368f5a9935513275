"""The dashboard's actions as a user sees them: confirm, send once, say what came of it, follow what it started.

`mjtui.actions` decides whether an action may go and records it; this module is the TUI around it: the
confirmation dialog, the guard against a double key press, the seed job followed on the app's timers, and one
toast per outcome.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.notifications import SeverityLevel

from mjtui.actions import Actions, Refused, seed_settled
from mjtui.api import errors
from mjtui.api.buttons import NEEDS_MASK, NEEDS_PROMPT, NOT_PRESSED_HERE, TAKES_PROMPT, what_it_does
from mjtui.api.models import Command, Job
from mjtui.monitor.account_info import AccountInfo, parse_info
from mjtui.monitor.snapshot import Availability, ChannelInfo
from mjtui.poller import AccountState, internal_error
from mjtui.providers import Provider
from mjtui.text import clean
from mjtui.tui.channel_pane import plan_words
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.formatting import short_job_id
from mjtui.tui.keys import readonly_words

if TYPE_CHECKING:
    from mjtui.tui.dashboard import DashboardScreen
    from mjtui.tui.inspector import InspectorScreen

MODE_COMMANDS = ("relax", "fast", "turbo")


class Dispatcher:
    """Sends the dashboard's actions for the accounts in `screen`; each at most once at a time."""

    def __init__(self, screen: DashboardScreen, actions: Actions) -> None:
        self.screen = screen
        self.actions = actions
        self.in_flight: set[str] = set()  # "cancel:<job id>", "seed:<job id>", "<cmd>:<account>:<channel>"
        self.cancelled_here: set[tuple[str, str]] = set()  # (account, job id): its toast was the cancel's own

    # -- what a user is told -----------------------------------------------------------------------------

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None) -> None:
        self.screen.app.notify(message, title=title, severity=severity, timeout=timeout)

    def refused(self, action: str, service: Provider | None = None) -> bool:
        """Whether the action cannot go (`--readonly`, or the account's provider lacks it); said in a toast."""
        refusal = self.actions.refusal(action, service)
        if refusal is None:
            return False
        if refusal.readonly:
            self.notify(readonly_words(action), severity="warning")
        else:
            self.notify(refusal.message, severity="warning")
        return True

    def _claim(self, key: str, what: str) -> bool:
        """Mark the action as being sent; False (and a toast) when a double key press already sent it."""
        if key in self.in_flight:
            self.notify(f"{what} is already being sent", severity="warning", timeout=2)
            return False
        self.in_flight.add(key)
        return True

    def failed(self, state: AccountState, what: str, exc: errors.MjtuiError) -> None:
        if isinstance(exc, errors.OutcomeUnknown):  # never sent again from here: a press twice is two paid jobs
            then = "look at the channel before pressing again" if what.startswith("press") else "the next poll will tell"
            self.notify(f"{what}: outcome unknown, the answer was lost; {then}", severity="warning", timeout=8)
            return
        if isinstance(exc, Refused):  # the provider lacks it (a gateway's dialect, learned on the way): not a failure
            self.notify(clean(str(exc), limit=300), severity="warning")
            return
        if isinstance(exc, errors.ModerationPending):
            self.screen.halted(state, exc)
        self.notify(clean(str(exc), limit=300), title=f"{what} failed", severity="error", timeout=8)

    def cancelled_from_here(self, account: str, job_id: str) -> bool:
        """Whether this dashboard cancelled the job (forgotten now: its final state has come)."""
        key = (account, job_id)
        if key in self.cancelled_here:
            self.cancelled_here.discard(key)
            return True
        return False

    # -- destructive actions: ask, then send once -------------------------------------------------------

    def cancel(self, state: AccountState, job_id: str) -> None:
        """Cancel a running job, after a confirmation naming it."""
        service = state.service
        if service is None or self.refused("cancel", service):
            return
        key = f"cancel:{job_id}"
        if key in self.in_flight:
            self.notify("cancel is already being sent", severity="warning", timeout=2)
            return
        question = Text()
        question.append("Cancel job ")
        question.append(clean(job_id), style="bold")
        question.append(f" on account {clean(state.name)}?\nThe job stops and reads as {service.cancel_outcome}.")
        self._confirm_then(state, "cancel", job_id, key, ConfirmScreen("Cancel job", question, yes_label="Cancel job"),
                           lambda: self.actions.cancel(service, job_id), f"cancelled {short_job_id(job_id)}")

    def reset(self, state: AccountState, channel: str, down: ChannelInfo | None = None) -> None:
        """Clear a channel's moderation halt, or (`down`: what its service says of it) re-enable its locked or
        disabled account, after a confirmation naming it."""
        service = state.service
        if service is None or self.refused("reset", service):
            return
        question = Text()
        if down is None:
            question.append("Reset the moderation halt of channel ")
            question.append(clean(channel), style="bold")
            question.append(f" (account {clean(state.name)})?\nAcknowledge the moderation message in Discord first.")
            title = "Moderation reset"
        else:
            question.append(f"Reset {down.availability.value} channel ")
            question.append(clean(f"{down.name} ({channel})" if down.name else channel, limit=80), style="bold")
            question.append(f" of account {clean(state.name)}?")
            if down.reason:
                question.append(f"\nWhy: {clean(down.reason, limit=200)}")
            locked = down.availability is Availability.LOCKED
            question.append("\nThis marks its lock resolved and enables it again: solve its CAPTCHA first." if locked
                            else "\nThis enables it again: do first what Discord asked of it, if anything.")
            title = "Reset account"
        self._confirm_then(state, "reset", channel, f"reset:{state.name}:{channel}",
                           ConfirmScreen(title, question, yes_label="Reset"),
                           lambda: self.actions.reset(service, channel), f"channel {clean(channel)} reset; polling again")

    def toggle(self, state: AccountState, channel: str, info: ChannelInfo | None) -> None:
        """Make the linked account behind a channel inactive (active, when it is inactive), after a confirmation
        naming it and saying what follows."""
        service = state.service
        if service is None or self.refused("toggle", service):
            return
        active = info is not None and info.availability is Availability.INACTIVE
        name = channel_name(state, channel)
        question = Text()
        question.append("Make linked account ")
        question.append(clean(f"{name} ({channel})" if name else channel, limit=80), style="bold")
        question.append(f" of account {clean(state.name)} {'active' if active else 'inactive'}?\n")
        question.append("The service sends it jobs again." if active else
                        "The service sends it no new jobs until it is made active again (the same key).")
        self._confirm_then(state, "toggle", channel, f"toggle:{state.name}:{channel}",
                           ConfirmScreen("Toggle linked account", question, yes_label="Activate" if active else "Deactivate"),
                           lambda: self.actions.toggle(service, channel, active), "toggled")

    def press(self, state: AccountState, job: Job, button: str, screen: InspectorScreen | None = None, *,
              with_prompt: bool = False) -> None:
        """Press a completed job's button, after a confirmation naming the job, the button and the channel (it starts
        paid work); first a one-line prompt, prefilled with the job's, for a button that needs one or when asked."""
        service = state.service
        if service is None or self.refused("press", service):
            return
        if button in NEEDS_MASK or button in NOT_PRESSED_HERE:
            self.notify(f"{clean(button)}: {what_it_does(button)}" if button in NEEDS_MASK else
                        f"{clean(button)}: press x to cancel the job", severity="warning")
            return
        if not (with_prompt or button in NEEDS_PROMPT):
            self._confirm_press(state, job, button, None, screen)
            return
        if button not in TAKES_PROMPT:
            self.notify(f"{clean(button)} takes no prompt: enter presses it as it is", severity="warning")
            return
        from mjtui.tui.prompt import PromptScreen  # loaded when a button first asks for text

        question = Text()
        question.append(f"Prompt for {button} on job ")
        question.append(short_job_id(job.jobid or ""), style="bold")
        question.append(f" ({what_it_does(button)}):")

        def given(prompt: str | None) -> None:
            if prompt is None:
                self.notify(f"{clean(button)}: nothing sent", timeout=2)
            else:
                self._confirm_press(state, job, button, prompt, screen)

        self.screen.app.push_screen(PromptScreen(f"Press {clean(button)}", question, job.prompt or ""), given)

    def _confirm_press(self, state: AccountState, job: Job, button: str, prompt: str | None,
                       screen: InspectorScreen | None) -> None:
        service, job_id = state.service, job.jobid or ""
        assert service is not None
        question = Text()
        question.append("Press ")
        question.append(clean(button), style="bold")
        question.append(" on job ")
        question.append(clean(job_id), style="bold")
        question.append(f"\n(account {clean(state.name)}, channel "
                        f"{clean(channel_name(state, job.channel) or job.channel if job.channel else '?', limit=60)})?")
        if prompt is not None:
            question.append(f"\nPrompt: {clean(prompt, limit=300)}")
        question.append(f"\nIt starts a new job on the channel ({what_it_does(button)}): paid work.")

        async def send() -> str:
            child = await self.actions.press(service, job_id, button, prompt)
            if screen is not None and screen.is_attached:
                screen.pressed(child)
            return (f"{clean(button)} pressed on {short_job_id(job_id)}: new job {short_job_id(child.jobid or '?')}"
                    + (" (in Children: enter opens it)" if screen is not None else ""))

        self._confirm_then(state, f"press {clean(button)}", job_id, f"press:{job_id}:{button}",
                           ConfirmScreen("Press button", question, yes_label="Press"), send, "pressed")

    def _confirm_then(self, state: AccountState, what: str, target: str, key: str, dialog: ConfirmScreen,
                      call: Callable[[], Awaitable[object]], done: str) -> None:
        def decided(yes: bool | None) -> None:
            if yes and self._claim(key, what):
                self.screen.run_worker(self._perform(state, what, target, key, call, done), exit_on_error=False,
                                       description="action")

        self.screen.app.push_screen(dialog, decided)

    async def _perform(self, state: AccountState, what: str, target: str, key: str,
                       call: Callable[[], Awaitable[object]], done: str) -> None:
        try:
            said = await call()
            if what == "cancel":
                self.cancelled_here.add((state.name, target))  # its toast is this one, not the poll's
            self.notify(clean(said, limit=200) if isinstance(said, str) else done, title=what[:1].upper() + what[1:])
            self.screen.poll(state.name)
        except errors.MjtuiError as exc:
            self.failed(state, what, exc)
        except Exception as exc:  # noqa: BLE001 - a bug is told like any failure, never a dead worker
            self.failed(state, what, internal_error(exc))
        finally:
            self.in_flight.discard(key)

    # -- seeds: asked for, then followed until they settle ----------------------------------------------

    def seed(self, state: AccountState, job_id: str, screen: InspectorScreen | None = None) -> None:
        if state.service is None or self.refused("seed", state.service):
            return
        key = f"seed:{job_id}"
        if self._claim(key, "seed"):
            if screen is not None:
                screen.seed_progress("requesting…")
            self._seed_step(state, job_id, key, screen)

    def _seed_step(self, state: AccountState, job_id: str, key: str, screen: InspectorScreen | None,
                   started: Job | None = None) -> None:
        self.screen.run_worker(self._seed(state, job_id, key, screen, started), exit_on_error=False, description="seed")

    async def _seed(self, state: AccountState, job_id: str, key: str, screen: InspectorScreen | None,
                    started: Job | None) -> None:
        """Ask for the seed (`started` None), or check the seed job it started; until it settles, check again on
        the app's timers (each check its own worker: nothing waits between them). The inspector shows each step."""
        assert state.service is not None
        try:
            answer = await (self.actions.seed_check(state.service, started) if started
                            else self.actions.seed(state.service, job_id))
        except errors.MjtuiError as exc:
            self.in_flight.discard(key)
            _seed_report(screen, f"failed: {exc}")
            self.failed(state, "seed", exc)
            return
        if not seed_settled(answer):
            from mjtui.tui.inspector import FOLLOW_FLOOR  # the inspector's module loads when it is first opened

            interval = max(self.screen.poller.refresh_seconds, FOLLOW_FLOOR)
            _seed_report(screen, f"seed job {answer.jobid} {answer.status or 'started'}; checking every {interval:g}s…")
            self.screen.timers.call_later(interval, lambda: self._seed_step(state, job_id, key, screen, answer))
            return
        self.in_flight.discard(key)
        if answer.has_seed and answer.seed is not None:
            urls = [image.url for image in answer.seed.attachments if image.url]
            self.screen.record("record_seed", state.name, job_id, answer.seed.value, urls, self.screen.clock.now())
            _seed_report(screen, None, answer)
            self.notify(f"seed {answer.seed.value} ({len(answer.seed.attachments)} images); y copies it", title="Seed")
        else:
            _seed_report(screen, f"failed: {answer.error or answer.status}")
            self.notify(f"seed failed: {clean(answer.error or answer.status, limit=200)}", severity="error")

    # -- relax / fast / turbo / info ----------------------------------------------------------------------

    def command(self, state: AccountState, cmd: Command, channel: str | None) -> None:
        key = f"{cmd}:{state.name}:{channel}"
        if self._claim(key, f"/{cmd}"):
            self.screen.run_worker(self._command(state, cmd, channel, key), exit_on_error=False, description="command")

    async def _command(self, state: AccountState, cmd: Command, channel: str | None, key: str) -> None:
        assert state.service is not None
        try:
            sent = await self.actions.command(state.service, cmd, channel)
            if sent.message_id is not None:  # a message (ImaginePro), not an answer: the next poll shows its effect
                self.notify(f"/{cmd} sent to {clean(state.name)}: message {clean(sent.message_id)} "
                            f"(the next poll shows its outcome)")
                return
            if sent.error:
                self.notify(f"/{cmd} failed: {clean(sent.error, limit=200)}", severity="error")
                return
            if cmd in MODE_COMMANDS and channel:
                self.screen.set_mode(state, channel, cmd)
            title = f"/{cmd} on {clean((channel_name(state, channel) or channel) if channel else state.name, limit=60)}"
            said = clean(sent.content or sent.status or "done", keep_newlines=True, limit=4000)
            if cmd == "info" and channel:  # read into the pane's header; the toast says it in a line, the log whole
                info = parse_info(sent.content or "")
                self.screen.show_info(state, channel, info)
                summary = info_words(info)
                said = f"{summary}\n{said}" if summary else said
            self.notify(said, title=title, timeout=5)
        except errors.MjtuiError as exc:
            self.failed(state, f"/{cmd}", exc)
        except Exception as exc:  # noqa: BLE001
            self.failed(state, f"/{cmd}", internal_error(exc))
        finally:
            self.in_flight.discard(key)

def channel_name(state: AccountState, channel: str) -> str | None:
    """The channel's configured name, else the name its service gives the account behind it (a gateway's remark)."""
    info = state.snapshot.info.get(channel) if state.snapshot else None
    return state.channel_names.get(channel) or (info.name if info is not None else None)


def info_words(info: AccountInfo) -> str:
    """`fast · 12.34/30.0 hours left · Pro, renews 2027-01-14`: what /info said, in a line ("" when nothing)."""
    plan = plan_words(ChannelInfo(plan=info.plan, renews_at=info.renews_at))
    fast = f"{info.fast_time_remaining} left" if info.fast_time_remaining else ""
    return " · ".join(part for part in (info.mode or "", fast, plan) if part)


def _seed_report(screen: InspectorScreen | None, text: str | None, job: Job | None = None) -> None:
    if screen is not None and screen.is_attached:
        screen.seed_progress(text, job)
