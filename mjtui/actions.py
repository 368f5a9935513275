"""What mjtui does to an account, for every front end: the refusals, the audit record, the lost-answer rule.

The CLI and the dashboard call these and only these to change something on a service. Each call:
- refuses before sending when `--readonly` is on (mjtui then sends nothing but GETs) or when the
  account's provider cannot do it (`Refused`, a usage problem: nothing was sent);
- sends once, never retried;
- records what it did in the audit log through `audit` (the journal, in practice): "ok", "failed"
  with the service's text, or "unknown" when the request went out and its answer was lost
  (`OutcomeUnknown`: the caller tells the user to look, and never sends it again by itself).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from mjtui.api import errors
from mjtui.api.buttons import press_problem
from mjtui.api.client import Sleep
from mjtui.api.models import Command, Job
from mjtui.logs import log
from mjtui.providers import Capability, NotSupported, Provider, Sent

if TYPE_CHECKING:
    from mjtui.store.entries import Outcome

T = TypeVar("T")

NEEDS: dict[str, Capability] = {
    "relax": Capability.MODES, "fast": Capability.MODES, "turbo": Capability.MODES, "info": Capability.INFO,
    "cancel": Capability.CANCEL, "seed": Capability.SEED, "reset": Capability.RESET, "toggle": Capability.TOGGLE,
    "press": Capability.PRESS,
}


class Refused(errors.MjtuiError):
    """Not sent: `--readonly` (`readonly` True; each front end words that its own way), or the provider has no such call."""

    def __init__(self, message: str, *, action: str, readonly: bool) -> None:
        super().__init__(message)
        self.action = action
        self.readonly = readonly


class Audit(Protocol):
    def __call__(self, account: str, action: str, target: str | None, outcome: Outcome, error: str | None) -> None: ...


@dataclass(frozen=True)
class SeedWait:
    """How a seed request is followed to its end: a check every `interval` seconds, for at most `timeout`."""

    interval: float
    timeout: float
    sleep: Sleep
    now: Callable[[], float]


class Actions:
    """The actions, bound to one front end's `--readonly` and audit log."""

    def __init__(self, *, readonly: bool, audit: Audit) -> None:
        self.readonly = readonly
        self._audit = audit

    def refusal(self, action: str, service: Provider | None = None) -> Refused | None:
        """Why `action` ("cancel", "relax", ...) cannot be sent (to this account's `service`, when known), or None.

        Front ends ask before they confirm or even connect, and word a `--readonly` refusal their own way."""
        if self.readonly:
            return Refused(f"--readonly: not sending {action}", action=action, readonly=True)
        if service is not None and not service.can(NEEDS[action]):
            return Refused(service.lacking(NEEDS[action]).message, action=action, readonly=False)
        return None

    async def command(self, service: Provider, cmd: Command, channel: str | None) -> Sent:
        """relax / fast / turbo / info; a `Sent` with the service's error counts as failed in the audit log."""
        return await self._run(service, cmd, service.command_target(channel), lambda: service.command(cmd, channel))

    async def cancel(self, service: Provider, job_id: str) -> None:
        await self._run(service, "cancel", job_id, lambda: service.cancel(job_id))

    async def reset(self, service: Provider, channel: str) -> None:
        await self._run(service, "reset", channel, lambda: service.reset(channel))

    async def toggle(self, service: Provider, link: str, active: bool) -> str:
        """Make a linked account (ImaginePro's token id) active or inactive; a line saying what it is now."""
        return await self._run(service, "toggle", link, lambda: service.toggle(link, active))

    async def press(self, service: Provider, job_id: str, button: str, prompt: str | None = None) -> Job:
        """Press a completed job's button (paid work: a new job); the job it started. Audited as "press" on
        "JOBID BUTTON". A button that cannot go from here (Vary (Region), Custom Zoom with no prompt) is refused,
        nothing sent; a lost answer is OutcomeUnknown: look at the channel before pressing again."""
        refused = self.refusal("press", service) or _press_refusal(button, prompt)
        if refused is not None:
            raise refused
        return await self._run(service, "press", f"{job_id} {button}", lambda: service.press(job_id, button, prompt))

    async def seed(self, service: Provider, job_id: str, wait: SeedWait | None = None) -> Job:
        """Ask for a completed job's seed; with `wait`, follow the seed job it started (`seed_settled`, every
        `wait.interval`) until it has the seed, fails, or `wait.timeout` passes.

        The audit log records the request and its answer ("ok": the service took it); how the seed job then
        went is the job's own record, so a wait that times out or a follow-up GET that fails is not audited."""
        answer = await self._run(service, "seed", job_id, lambda: service.seed(job_id))
        if wait is None:
            return answer
        deadline = wait.now() + wait.timeout
        while not seed_settled(answer):
            await wait.sleep(max(0.0, min(wait.interval, deadline - wait.now())))
            answer = await self.seed_check(service, answer)
            if not seed_settled(answer) and wait.now() >= deadline:
                raise errors.MjtuiError(f"timed out after {wait.timeout:g}s waiting for seed job {answer.jobid} "
                                        f"(status {answer.status})")
        return answer

    async def seed_check(self, service: Provider, started: Job) -> Job:
        """One look at a seed job `seed()` started (a read: not audited, retried as any GET)."""
        return await service.job(started.jobid or "")


    async def _run(self, service: Provider, action: str, target: str | None, send: Callable[[], Awaitable[T]]) -> T:
        refused = self.refusal(action, service)
        if refused is not None:
            raise refused
        try:
            result = await send()
        except NotSupported as exc:
            raise Refused(exc.message, action=action, readonly=False) from None
        except errors.MjtuiError as exc:
            self._record(service.account, action, target, "unknown" if isinstance(exc, errors.OutcomeUnknown) else "failed",
                         str(exc))
            raise
        error = result.error if isinstance(result, Sent) else None
        self._record(service.account, action, target, "failed" if error else "ok", error)
        return result

    def _record(self, account: str, action: str, target: str | None, outcome: Outcome, error: str | None) -> None:
        level = logging.INFO if outcome == "ok" else logging.WARNING
        log.log(level, "%s %s on account %s: %s%s", action, target or "-", account, outcome, f": {error}" if error else "")
        self._audit(account, action, target, outcome, error)


def _press_refusal(button: str, prompt: str | None) -> Refused | None:
    problem = press_problem(button, prompt)
    return None if problem is None else Refused(problem, action="press", readonly=False)


def seed_settled(answer: Job) -> bool:
    """Whether a seed request's answer is the end of it: the seed is there, or the seed job ended without it."""
    return answer.has_seed or answer.is_final or not answer.jobid
