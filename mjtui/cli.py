"""The `mjtui` command: the dashboard, and subcommands for scripts over the same client.

Exit status: 0 on success, 1 on an API or network failure, 2 on a usage
error or a refused confirmation. A failure is one line on stderr naming the
HTTP status and the API's own error text; never a traceback, never a token.
"""

from __future__ import annotations

import asyncio
import math
import re
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_args

import click

from mjtui.actions import Actions, Refused, SeedWait
from mjtui.api import errors
from mjtui.api.buttons import canonical, press_problem
from mjtui.api.client import check_channel, check_id
from mjtui.api.models import COMMANDS, Command, Job, MessageProgress
from mjtui.config import (
    ConfigError,
    ProviderName,
    masked_view,
    save_config,
    starter_config,
)
from mjtui.config_file import resolve_config_path
from mjtui.connections import (
    Connection,
)
from mjtui.entry import FiniteFloat, main
from mjtui.logs import default_log_path, log
from mjtui.monitor.snapshot import Availability, ChannelInfo, ChannelStats, JobRow, Snapshot
from mjtui.options import EXIT_FAILURE, Failure, Options, UsageProblem
from mjtui.providers import Capability, Polled, Provider, Sent
from mjtui.secrets import redact
from mjtui.store import (
    FORMATS,
    ExportFormat,
    HistoryEntry,
    Journal,
    JournalError,
    JournalMissing,
    Outcome,
    export,
    to_document,
)
from mjtui.text import cell_len, clean, inert_json, pad

if TYPE_CHECKING:  # the simulator (Starlette) is imported only when `mjtui sim` runs
    from mjtui.sim import Simulator
    from mjtui.sim.proxy import ProxySimulator

T = TypeVar("T")

SEED_POLL_FLOOR = 0.5  # seconds; the default --interval is the 10 s the service asks for


def describe_failure(exc: errors.MjtuiError, connection: Connection) -> str:
    """One line for a failed call: status, the API's text, and what to do where there is something to do."""
    if isinstance(exc, errors.NeedsAdminToken):
        return f"account '{connection.name}' ({connection.client.token_hint}): {exc}"
    if isinstance(exc, errors.Unauthorized):
        return (
            f"401 Unauthorized: the token for account '{connection.name}' ({connection.client.token_hint}) "
            f"was rejected ({exc.endpoint}); check the token in your config or its environment variable"
        )
    if isinstance(exc, errors.ModerationPending):
        channel = exc.channel or "CHANNEL"
        return (
            f"{exc} on channel {channel}: acknowledge the moderation message in Discord, "
            f"then run: mjtui reset {channel}"
        )
    if isinstance(exc, errors.RateLimited) and exc.retry_after is not None:
        limit = connection.service.rate_limit
        return f"{exc}; {limit + ': ' if limit else ''}retry after {_wait(exc.retry_after)}"
    if isinstance(exc, errors.OutcomeUnknown):
        return f"outcome unknown: {exc}; look at the channel (mjtui jobs) before sending it again"
    if isinstance(exc, errors.BadRequest) and exc.error == "channel is missing":
        return f"{exc}; the account has several channels: pass --channel ID (see mjtui jobs)"
    return str(exc)


def _wait(seconds: float) -> str:
    """A wait as a person reads it: `7s`, `2m30s`, `1h`."""
    hours, rest = divmod(math.ceil(seconds), 3600)
    parts = [f"{value}{unit}" for value, unit in ((hours, "h"), (rest // 60, "m"), (rest % 60, "s")) if value]
    return "".join(parts) or "0s"


def plausible(value: str, check: Callable[[str], str] = check_id) -> str:
    """`value` when the client would send it as an id; else exit 2 with one line, before asking or sending anything."""
    try:
        return check(value)
    except errors.InvalidId as exc:
        raise UsageProblem(exc.message) from None


DEMO_IDS = "the demo is a new world each call: run `mjtui sim` and point a config at it"


def run_api(connection: Connection, work: Callable[[], Awaitable[T]], *, of_an_id: bool = False) -> T:
    """Run one async call against the connection, mapping failures to exit 1 and closing the client.

    `of_an_id`: the call names a job; in `--demo`, one the service does not know gets a line on why.
    """

    async def main() -> T:
        try:
            return await work()
        finally:
            await connection.aclose()

    try:
        return asyncio.run(main())
    except Refused as refused:  # nothing was sent: a usage problem
        raise UsageProblem(refusal_words(refused)) from None
    except errors.MjtuiError as exc:
        unknown_in_demo = of_an_id and isinstance(exc, errors.NotFound) and connection.simulator is not None
        raise Failure(describe_failure(exc, connection), hint=DEMO_IDS if unknown_in_demo else None) from None


def run_action(options: Options, connection: Connection, act: Callable[[Actions], Awaitable[T]], *,
               of_an_id: bool = False) -> T:
    """`run_api` for a call that changes something (see mjtui.actions): refused, or sent once and audited."""
    actions = Actions(readonly=options.readonly, audit=partial(audit, options))
    return run_api(connection, lambda: act(actions), of_an_id=of_an_id)


def audit(options: Options, account: str, action: str, target: str | None, outcome: Outcome, error: str | None) -> None:
    """Best effort: a journal that cannot be written is a warning, never a changed exit status."""
    with _after_the_action("the action"), Journal(options.journal_location(),
                                                  retention_days=options.retention_days()) as journal:
        journal.record_action(account, action, target, outcome, error, time.time())


def _journal_seed(options: Options, account: str, jobid: str, job: Job) -> None:
    assert job.seed is not None and job.seed.value is not None
    urls = [image.url for image in job.seed.attachments if image.url]
    with _after_the_action("the seed"), Journal(options.journal_location(),
                                                retention_days=options.retention_days()) as journal:
        journal.record_seed(account, jobid, job.seed.value, urls, time.time())


@contextmanager
def _after_the_action(what: str) -> Iterator[None]:
    """Journal writes made once the request went out: whatever fails (a full disk, a bad config value, a bug)
    is one warning line, because the action's own outcome decides the exit status and scripts must not retry it."""
    try:
        yield
    except click.ClickException as exc:
        click.echo(f"mjtui: warning: {what} was not journalled: {redact(clean(exc.message))}", err=True)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.error("journalling %s failed", what, exc_info=exc)
        click.echo(f"mjtui: warning: {what} was not journalled: {redact(clean(exc))}", err=True)


def service_that_can(connection: Connection, capability: Capability) -> Provider:
    """The account's service, when it can do this; else exit 2 with one line naming what it lacks."""
    service = connection.service
    if not service.can(capability):
        raise UsageProblem(f"{service.lacking(capability).message}; {ANOTHER_ACCOUNT}")
    return service


ANOTHER_ACCOUNT = "choose another account with --account"
READONLY_WORDS = {"cancel": "a cancel", "seed": "a seed request", "reset": "a reset",
                  "toggle": "a toggle", "press": "a button press"}  # the rest are /relax etc.


def refuse(options: Options, action: str, connection: Connection | None = None) -> None:
    """Exit 2 with one line, before confirming or sending, when `action` cannot go (see mjtui.actions)."""
    refused = Actions(readonly=options.readonly, audit=partial(audit, options)).refusal(
        action, connection.service if connection else None)
    if refused is not None:
        raise UsageProblem(refusal_words(refused))


def refusal_words(refused: Refused) -> str:
    if refused.readonly:
        return f"--readonly: not sending {READONLY_WORDS.get(refused.action, '/' + refused.action)}"
    return f"{refused.message}; {ANOTHER_ACCOUNT}"


def show(text: str) -> None:
    """Print what came from the service or the journal: masked once more on the way out (no token, even one
    stored by an older mjtui)."""
    click.echo(redact(text))


def emit_json(data: Any) -> None:
    """`--json` output: valid JSON that no API text can turn into terminal commands, with no token in it."""
    click.echo(redact(inert_json(data, indent=2)))


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def confirm(question: str, *, yes: bool, what: str) -> None:
    """Ask on a terminal; with no terminal and no --yes, refuse (exit 2)."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageProblem(f"refusing to {what} without confirmation: no terminal to ask on; pass --yes")
    if not click.confirm(question, default=False):
        raise UsageProblem(f"{what}: not confirmed")


# -- formatting -------------------------------------------------------------------------------------


def _size(num: int | None) -> str:
    if num is None:
        return "?"
    size = float(num)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""  # pragma: no cover


def counted(number: int, noun: str) -> str:
    """"1 video", "2 videos", "0 channels"."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _ratio(value: int | None, limit: int | None) -> str:
    return f"{value if value is not None else '?'}/{limit if limit is not None else '?'}"


def format_running(snapshot: Snapshot, connection: Connection) -> list[str]:
    """The running-jobs table: a header per channel with its limits, a line per job."""
    channels = snapshot.stats.values()
    images, videos = sum(stats.images for stats in channels), sum(stats.videos for stats in channels)
    queued = sum(stats.queued or 0 for stats in channels)
    waiting = f", {queued} queued" if queued else ""
    lines = [f"{clean(connection.name)}: {snapshot.running} running ({counted(images, 'image')}, {counted(videos, 'video')})"
             f"{waiting} in {counted(len(snapshot.stats), 'channel')}"]
    # Ids as wide as the longest (useapi's run to ~70 characters, a gateway's are 16 digits), so columns line up.
    id_width = min(70, max((cell_len(clean(job_id)) for rows in snapshot.jobs.values() for job_id in rows), default=0))
    for channel_id, stats in snapshot.stats.items():
        info = snapshot.info.get(channel_id)
        name = clean(connection.channel_name(channel_id))
        if name == clean(channel_id) and info is not None and info.name:
            name = clean(info.name)
        label = name if name == clean(channel_id) else f"{name} ({clean(channel_id)})"
        lines.append("")
        lines.append(
            f"channel {label}  jobs {_ratio(stats.total, stats.max_jobs)}{' FULL' if stats.full else ''}"
            f"{_kinds_words(stats)}{_account_words(stats, info)}"
        )
        for job in snapshot.jobs[channel_id].values():
            lines.append(
                f"  {pad(clean(job.job_id), id_width)} {pad(clean(job.job_type), 6)} "
                f"{pad(clean(job.created or '?'), 25)} {_clock(job.elapsed)}{_job_words(job)}"
            )
    return lines


def _kinds_words(stats: ChannelStats) -> str:
    """Images and videos against their own limits, where the service has such limits (or runs videos)."""
    if stats.max_image_jobs is None and stats.max_video_jobs is None and not stats.videos:
        return ""
    return f"  images {_ratio(stats.images, stats.max_image_jobs)}  videos {_ratio(stats.videos, stats.max_video_jobs)}"


def _account_words(stats: ChannelStats, info: ChannelInfo | None) -> str:
    """What a midjourney-proxy gateway adds to a channel's header: the queue, relax pool, mode, fast time, state."""
    words = []
    if stats.max_queued is not None or stats.queued is not None:
        queued = _ratio(stats.queued, stats.max_queued) if stats.max_queued is not None else str(stats.queued)
        relax = f" ({stats.queued_relax} relax)" if stats.queued_relax else ""
        words.append(f"queued {queued}{relax}")
    if stats.max_relax_jobs is not None:
        words.append(f"relax pool {stats.max_relax_jobs}")
    if info is not None:
        words += [f"mode {clean(info.mode)}"] if info.mode else []
        words += [f"fast left {clean(info.fast_time_remaining)}"] if info.fast_time_remaining else []
        if info.availability is not Availability.ENABLED:
            words.append(f"{info.availability.upper()}{': ' + clean(info.reason, limit=80) if info.reason else ''}")
    return "".join(f"  {word}" for word in words)


def _job_words(job: JobRow) -> str:
    """A gateway's task: its state, progress, action and prompt (useapi's list has none of them)."""
    if job.state is None:
        return ""
    progress = f" {job.progress}%" if job.progress is not None else ""
    return f"  {clean(job.state)}{progress}  {clean(job.action or '?')}  {clean(job.prompt or '', limit=60)}"


def _clock(seconds: int | None) -> str:
    """Elapsed time as the API writes it: mm:ss, or h:mm:ss past an hour; ? when unknown."""
    if seconds is None:
        return "?"
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def format_job(job: Job) -> list[str]:
    """One job, a field per line, only the fields the answer carries."""
    rows: list[tuple[str, str]] = [("job", clean(job.jobid)), ("status", clean(job.status)), ("verb", clean(job.verb))]
    if job.progress is not None and job.is_running:
        rows.append(("progress", f"{job.progress}%"))
    for label, value in (
        ("prompt", job.prompt),
        ("button", job.button),
        ("parent", job.parent_job_id),
        ("channel", job.channel),
        ("created", job.created),
        ("updated", job.updated),
    ):
        if value:
            rows.append((label, clean(value)))
    if job.content:
        rows.append(("content", clean(job.content, limit=300)))
    if job.buttons:
        rows.append(("buttons", "  ".join(clean(b) for b in job.buttons)))
    for child in job.children:
        rows.append(("child", f"{clean(child.button or '?')} -> {clean(child.jobid or '?')}"))
    if job.seed is not None and job.seed.value is not None:
        rows.append(("seed", str(job.seed.value)))
        for image in job.seed.attachments:
            rows.append(("seed image", clean(image.url or "?")))
    for item in job.attachments:
        dims = f"{item.width}x{item.height}" if item.width and item.height else "?x?"
        rows.append(("attachment", f"{clean(item.filename or '?')}  {dims}  {_size(item.size)}  {clean(item.url or '')}"))
    for embed in job.embeds:
        if embed.description:
            rows.append(("embed", clean(embed.description, limit=300)))
    if job.error:
        rows.append(("error", clean(job.error)))
    if job.error_details:
        rows.append(("details", clean(job.error_details)))
    return [f"{label:<11} {value}" for label, value in rows]


def format_message(message: MessageProgress) -> list[str]:
    progress = f"{message.progress}%" if message.progress is not None else None
    rows = [("message", message.message_id), ("status", message.status), ("progress", progress),
            ("uri", message.uri), ("buttons", "  ".join(message.buttons) if message.buttons else None), ("error", message.error)]
    return [f"{label:<11} {clean(value)}" for label, value in rows if value]


def format_seed(job: Job) -> list[str]:
    assert job.seed is not None
    return [f"seed {job.seed.value}", *(clean(item.url or "?") for item in job.seed.attachments)]


def _options(ctx: click.Context) -> Options:
    options = ctx.find_object(Options)
    assert options is not None, "set by main() before any subcommand runs"
    return options


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the API's running-jobs object.")
@click.pass_context
def jobs(ctx: click.Context, as_json: bool) -> None:
    """List the running jobs of every channel of every account (or of --account), with each channel's limits.

    With several accounts, --json prints an object keyed by account name; an account that did not answer
    is left out of it and named on stderr, and the exit status is 1.
    """
    connections, problems = _options(ctx).connect_every()
    if len(connections) == 1 and not problems:
        connection = connections[0]
        service = service_that_can(connection, Capability.RUNNING_LIST)
        polled = run_api(connection, lambda: service.survey(time.time))
        emit_json(polled.document()) if as_json else show("\n".join(format_running(polled.snapshot, connection)))
        return
    answers = asyncio.run(_survey_each(connections))
    answered = {connection.name: (connection, answer) for connection, answer in zip(connections, answers, strict=True)
                if isinstance(answer, Polled)}
    if as_json:
        emit_json({name: polled.document() for name, (_, polled) in answered.items()})
    elif answered:
        show("\n\n".join("\n".join(format_running(polled.snapshot, connection)) for connection, polled in answered.values()))
    failures = [*problems.items(), *((connection.name, describe_failure(answer, connection))
                                     for connection, answer in zip(connections, answers, strict=True)
                                     if isinstance(answer, errors.MjtuiError))]
    for name, reason in failures:
        named = reason if f"account '{name}'" in reason else f"account '{name}': {reason}"
        click.echo(f"mjtui: {redact(clean(named))}", err=True)
    if failures:
        ctx.exit(EXIT_FAILURE)


async def _survey_each(connections: list[Connection]) -> list[Polled | errors.MjtuiError]:
    """Every account's running jobs at once, each answer or failure in the connections' order; clients closed."""

    async def one(connection: Connection) -> Polled | errors.MjtuiError:
        try:
            return await connection.service.survey(time.time)
        except errors.MjtuiError as exc:
            return exc
        finally:
            await connection.aclose()

    return list(await asyncio.gather(*(one(connection) for connection in connections)))


@main.command()
@click.argument("jobid")
@click.option("--json", "as_json", is_flag=True, help="Print the API's job object.")
@click.pass_context
def job(ctx: click.Context, jobid: str, as_json: bool) -> None:
    """Show one job: status, prompt, progress, buttons, children, seed, attachments, error.

    For an ImaginePro account, JOBID is a message id.
    """
    plausible(jobid)
    connection = _options(ctx).connect()
    service = connection.service
    if not service.can(Capability.JOB_DETAIL) and service.can(Capability.MESSAGES):
        message = run_api(connection, lambda: service.message(jobid), of_an_id=True)
        emit_json(message.dump()) if as_json else show("\n".join(format_message(message)))
        return
    service_that_can(connection, Capability.JOB_DETAIL)
    record = run_api(connection, lambda: service.job(jobid), of_an_id=True)
    emit_json(record.dump()) if as_json else show("\n".join(format_job(record)))


def _command(cmd: Command) -> click.Command:
    @click.option("--channel", help="Channel id (needed when the account has several).")
    @click.option("--json", "as_json", is_flag=True, help="Print the API's answer.")
    @click.pass_context
    def run(ctx: click.Context, channel: str | None, as_json: bool) -> None:
        options = _options(ctx)
        refuse(options, cmd)  # /info too: --readonly sends nothing but GETs
        if channel is not None:
            plausible(channel, check_channel)
        connection = options.connect()
        refuse(options, cmd, connection)
        service = connection.service
        if channel and not service.commands_need_a_channel:
            raise UsageProblem(f"--channel: account '{connection.name}' ({connection.provider}) sends commands to the "
                               "account, not to a channel")

        async def send(actions: Actions) -> Sent:
            if channel is None and service.commands_need_a_channel:
                await _refuse_if_several_channels(connection, cmd)
            return await actions.command(service, cmd, channel)

        sent = run_action(options, connection, send)
        if as_json:
            emit_json(sent.document)
        elif sent.error:
            raise Failure(f"/{cmd} failed: {sent.error}")
        elif sent.message_id is not None:
            show(f"/{cmd} sent: message {clean(sent.message_id)}; follow it with: mjtui job {clean(sent.message_id)}")
        else:
            show(clean(sent.content or f"/{cmd}: {sent.status}", keep_newlines=True))

    run.__doc__ = {
        "relax": "Switch a channel to relax mode (/relax).",
        "fast": "Switch a channel to fast mode (/fast).",
        "turbo": "Switch a channel to turbo mode (/turbo).",
        "info": "Show Midjourney's /info for a channel.",
    }[cmd]
    return main.command(name=cmd)(run)


async def _refuse_if_several_channels(connection: Connection, cmd: Command) -> None:
    """Exit 2 listing the channels when the account has several and none was named: the service would refuse it."""
    configured = list(connection.account.channels) if connection.account else []
    channels = configured if len(configured) > 1 else await _polled_channels(connection)
    if len(channels) > 1:
        listed = ", ".join(_channel_label(connection, channel_id) for channel_id in channels)
        raise UsageProblem(f"{cmd}: account '{connection.name}' has {len(channels)} channels: pass --channel ID "
                           f"(one of {listed})")


async def _polled_channels(connection: Connection) -> list[str]:
    """The channels a poll shows, where the service can list them (else none, and the service decides)."""
    if not connection.service.can(Capability.RUNNING_LIST):
        return []
    return list((await connection.service.survey(time.time)).snapshot.stats)


def _channel_label(connection: Connection, channel_id: str) -> str:
    name = clean(connection.channel_name(channel_id))
    return name if name == clean(channel_id) else f"{name} ({clean(channel_id)})"


for _cmd in COMMANDS:
    _command(_cmd)


@main.command()
@click.argument("jobid")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def cancel(ctx: click.Context, jobid: str, yes: bool) -> None:
    """Cancel a running job (for ImaginePro, a message id)."""
    options = _options(ctx)
    refuse(options, "cancel")
    plausible(jobid)
    connection = options.connect()
    refuse(options, "cancel", connection)
    service = connection.service
    confirm(f"Cancel job {clean(jobid)} on account '{connection.name}'?", yes=yes, what="cancel")
    run_action(options, connection, lambda actions: actions.cancel(service, jobid), of_an_id=True)
    click.echo(f"cancelled {clean(jobid)}")


@main.command()
@click.argument("jobid")
@click.argument("button")
@click.option("--prompt", help="The prompt to send with it: Custom Zoom needs one (with --zoom); with Remix on, "
              "V1-V4, 🔄, Vary and the pans take one.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's answer.")
@click.pass_context
def press(ctx: click.Context, jobid: str, button: str, prompt: str | None, yes: bool, as_json: bool) -> None:
    """Press a completed job's BUTTON (U1, V2, 🔄 or reroll, "Vary (Strong)", "Zoom Out 2x", ...): a new job.

    For an ImaginePro account, JOBID is a message id. Sent once: when the answer is lost, look at the channel
    before pressing again.
    """
    options = _options(ctx)
    refuse(options, "press")
    plausible(jobid)
    button = canonical(button)
    problem = press_problem(button, prompt)
    if problem is not None:
        raise UsageProblem(f"press: {problem}")
    connection = options.connect()
    refuse(options, "press", connection)
    service = connection.service
    confirm(f"Press {clean(button)} on job {clean(jobid)} of account '{connection.name}'? It starts a new job "
            "(paid work).", yes=yes, what="press")
    child = run_action(options, connection, lambda actions: actions.press(service, jobid, button, prompt), of_an_id=True)
    if as_json:
        emit_json(child.dump())
    else:
        show(f"pressed {clean(button)} on {clean(jobid)}: new job {clean(child.jobid)}; "
             f"follow it with: mjtui job {clean(child.jobid)}")


@main.command()
@click.argument("jobid")
@click.option("--wait", is_flag=True, help="Follow the seed job until it finishes and print the seed.")
@click.option("--interval", type=FiniteFloat(min=SEED_POLL_FLOOR), default=10.0, show_default=True,
              help="Seconds between checks with --wait (the service asks for 10-30).")
@click.option("--timeout", type=FiniteFloat(min=1), default=300.0, show_default=True, help="Give up after this many seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's job object.")
@click.pass_context
def seed(ctx: click.Context, jobid: str, wait: bool, interval: float, timeout: float, as_json: bool) -> None:
    """Fetch the seed of a completed job and its 4 seed images."""
    options = _options(ctx)
    refuse(options, "seed")
    plausible(jobid)
    connection = options.connect()
    refuse(options, "seed", connection)
    service = connection.service
    follow = SeedWait(interval, timeout, asyncio.sleep, time.monotonic) if wait else None
    answer = run_action(options, connection, lambda actions: actions.seed(service, jobid, follow), of_an_id=True)
    if answer.has_seed and answer.seed is not None and answer.seed.value is not None:
        _journal_seed(options, connection.name, jobid, answer)
    if as_json:
        emit_json(answer.dump())
    elif answer.has_seed:
        show("\n".join(format_seed(answer)))
    elif answer.status == "failed" or answer.error:
        raise Failure(f"seed job {clean(answer.jobid)} failed: {clean(answer.error or answer.status)}")
    else:
        click.echo(
            f"seed job {clean(answer.jobid)} {clean(answer.status)}; run `mjtui seed {clean(jobid)}` again later, or add --wait"
        )


@main.command()
@click.argument("channel")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def reset(ctx: click.Context, channel: str, yes: bool) -> None:
    """Clear a channel's moderation halt (596) after acknowledging the message in Discord."""
    options = _options(ctx)
    refuse(options, "reset")
    plausible(channel, check_channel)
    connection = options.connect()
    refuse(options, "reset", connection)
    service = connection.service
    confirm(
        f"Reset the moderation halt of channel {clean(channel)}? Acknowledge the message in Discord first.",
        yes=yes,
        what="reset",
    )
    run_action(options, connection, lambda actions: actions.reset(service, channel))
    click.echo(f"channel {clean(channel)} reset")


@main.command()
@click.argument("token_id", metavar="TOKENID")
@click.option("--off", "active", flag_value=False, help="Make it inactive: ImaginePro sends it no jobs.")
@click.option("--on", "active", flag_value=True, default=True, help="Make it active again (the default).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def toggle(ctx: click.Context, token_id: str, active: bool, yes: bool) -> None:
    """Make a linked Discord account (ImaginePro's token id, see mjtui jobs) active or inactive."""
    options = _options(ctx)
    refuse(options, "toggle")
    if not token_id.isdigit() or len(token_id) > 18:
        raise UsageProblem(f"{clean(token_id, limit=40)!r} is not a token id (a number; mjtui jobs lists them)")
    connection = options.connect()
    refuse(options, "toggle", connection)
    service = connection.service
    state = "active" if active else "inactive"
    confirm(f"Make linked account {token_id} of account '{connection.name}' {state}?", yes=yes, what="toggle")
    show(clean(run_action(options, connection, lambda actions: actions.toggle(service, token_id, active))))


SIM_PROTOCOLS = ("useapi", "midjourney-proxy")
PROXY_FLAVORS = ("trueai", "plus", "original")
USEAPI_SIM_OPTIONS = ("channels", "max_jobs", "imaginepro")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True, help="Port (0 picks a free one).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed: the same seed gives the same world.")
@click.option("--channels", type=click.IntRange(1, 500), default=3, show_default=True, help="Channels to simulate.")
@click.option("--accounts", type=click.IntRange(1, 50), default=None,
              help="useapi accounts to spread the channels over (default 1); "
              "midjourney-proxy: Discord accounts in the pool (default 4).")
@click.option("--max-jobs", type=click.IntRange(1, 15), default=None, help="maxJobs of every channel (default: varied).")
@click.option("--imaginepro", is_flag=True, help="Add an ImaginePro account too.")
@click.option("--speed", type=FiniteFloat(min=0.01, max=10000), default=1.0, show_default=True,
              help="Simulated seconds per real second.")
@click.option("--faults", default="none", show_default=True,
              help="Fault profile, e.g. flaky, chaos, ratelimit, or rate_limit=0.2,retry_after=3.")
@click.option("--latency", type=FiniteFloat(min=0, max=30), default=0.0, show_default=True,
              help="Seconds each answer is held back, as a distant service's would be.")
@click.option("--protocol", type=click.Choice(SIM_PROTOCOLS), default="useapi", show_default=True,
              help="The protocol served: useapi (with ImaginePro) or a midjourney-proxy gateway.")
@click.option("--flavor", type=click.Choice(PROXY_FLAVORS), default=None,
              help="midjourney-proxy dialect (default trueai).")
@click.pass_context
def sim(ctx: click.Context, host: str, port: int, seed: int, channels: int, accounts: int | None, max_jobs: int | None,
        imaginepro: bool, speed: float, faults: str, latency: float, protocol: str, flavor: str | None) -> None:
    """Serve the simulated service over HTTP, for pointing mjtui (or anything) at it."""
    from mjtui.clock import ScaledClock
    from mjtui.sim import FaultProfile, Simulator
    from mjtui.sim.proxy import ProxySimulator
    from mjtui.sim.server import bind, serve

    proxy = protocol == "midjourney-proxy"
    _check_sim_options(ctx, proxy)
    try:
        profile = FaultProfile.parse(faults)
    except ValueError as exc:
        raise UsageProblem(f"--faults: {exc}") from None
    simulator: Simulator | ProxySimulator
    if proxy:
        simulator = ProxySimulator.build(flavor=flavor or "trueai", clock=ScaledClock(speed), faults=profile, seed=seed,
                                         accounts=accounts or 4, warmup=120.0)
    else:
        simulator = Simulator.build(
            clock=ScaledClock(speed), faults=profile, seed=seed, channels=channels, accounts=accounts or 1,
            max_jobs=max_jobs, imaginepro=imaginepro, warmup=120.0,
        )
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise UsageProblem(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    base_url = f"http://{shown}:{bound_port}"
    if host not in ("127.0.0.1", "::1", "localhost"):
        click.echo(f"mjtui sim: warning: listening on {host}, reachable beyond this machine", err=True)

    def ready() -> None:
        distance = f", answers {latency:g} s late" if latency else ""
        served = f" ({protocol}, {simulator.flavor})" if isinstance(simulator, ProxySimulator) else ""
        click.echo(f"mjtui simulator{served} on {base_url}  (seed {seed}, speed {speed:g}x, faults {faults}{distance})")
        click.echo(f"base_url = {base_url}")
        if isinstance(simulator, ProxySimulator):
            _echo_proxy_tokens(simulator)
        else:
            _echo_useapi_tokens(simulator)
        click.echo("Ctrl+C stops it.")
        sys.stdout.flush()

    serve(simulator, sock, on_ready=ready, latency=latency)


def _check_sim_options(ctx: click.Context, proxy: bool) -> None:
    """An option of the other protocol, given on the command line, is a usage error."""
    given = {name for name in (*USEAPI_SIM_OPTIONS, "flavor")
             if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)}
    wrong = sorted(given & set(USEAPI_SIM_OPTIONS)) if proxy else sorted(given & {"flavor"})
    if wrong:
        option = "--" + wrong[0].replace("_", "-")
        raise UsageProblem(f"{option} is for --protocol {'useapi' if proxy else 'midjourney-proxy'}")


def _echo_useapi_tokens(simulator: Simulator) -> None:
    """Each account's token (and ImaginePro's token_id) and its channel ids."""
    for account in simulator.world.accounts.values():
        token_id = simulator.world.channels[account.channels[0]].token_id if account.channels else None
        extra = f"  token_id = {token_id}" if token_id is not None else ""  # a linked Discord account's id
        # A simulator's token guards nothing; it is printed so it can be used.
        channels = ", ".join(account.channels)
        click.echo(f"account {account.name} ({account.provider}): token = {account.token}{extra}  channels: {channels}")


def _echo_proxy_tokens(simulator: ProxySimulator) -> None:
    """The gateway's two tokens (sent as mj-api-secret) and its accounts' channel ids."""
    channels = ", ".join(account.channel_id for account in simulator.world.accounts.values())
    # A simulator's token guards nothing; it is printed so it can be used.
    click.echo(f"account admin (midjourney-proxy): token = {simulator.admin_token}  channels: {channels}")
    click.echo(f"account user (midjourney-proxy): token = {simulator.user_token}  channels: {channels}")


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _max_sessions(ctx: click.Context, param: click.Parameter, value: str) -> int:
    from mjtui.serve import MAX_SESSIONS_LIMIT

    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_SESSIONS_LIMIT:
        raise UsageProblem(f"--max-sessions: expected a whole number from 1 to {MAX_SESSIONS_LIMIT}, got {value!r}")
    return number


def _public_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from mjtui.serve import public_url_problem

    problem = None if value is None else public_url_problem(value)
    if problem is not None:
        raise UsageProblem(f"--public-url {problem}")  # as --base-url: the URL is not repeated (it may hold a password)
    return value


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; anything but loopback asks first.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--public-url", metavar="URL", callback=_public_url,
              help="The address browsers use, when not http://HOST:PORT (a proxy, a host name); only its origin may connect.")
@click.option("--max-sessions", metavar="N", default="4", show_default=True, callback=_max_sessions,
              help="Dashboards (browser tabs) running at once; more are refused.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before listening beyond loopback.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, public_url: str | None, max_sessions: int, yes: bool) -> None:
    """Serve the dashboard to a web browser (textual-serve): each tab runs its own, with these global options."""
    options = _options(ctx)
    if host in WILDCARD_HOSTS and public_url is None:
        raise UsageProblem(f"--host {host} listens on every address: give --public-url, the address browsers will "
                           f"open (only that origin may connect)")
    if host not in LOOPBACK_HOSTS:
        click.echo(f"mjtui serve: warning: {host}:{port} is reachable beyond this machine, over plain HTTP unless a "
                   f"proxy adds TLS: whoever sees the printed address (its secret) controls your accounts (cancel "
                   f"jobs, spend credits). Prefer loopback and an SSH tunnel: ssh -L {port}:127.0.0.1:{port} HOST",
                   err=True)
        confirm(f"Serve the dashboard on {host}:{port} anyway?", yes=yes, what=f"serve beyond loopback on {host}")
    if not options.demo:
        options.config()  # a bad config is one line here, not a broken page in the browser
    from mjtui.launch import serve_dashboard

    ctx.exit(serve_dashboard(options, host, port, public_url, max_sessions))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; anything but loopback warns.")
@click.option("--port", type=click.IntRange(0, 65535), default=9464, show_default=True, help="Port (0 picks a free one).")
@click.pass_context
def metrics(ctx: click.Context, host: str, port: int) -> None:
    """Poll every account with no dashboard and serve Prometheus metrics at /metrics (writes the journal too)."""
    from mjtui.metrics.command import run_metrics

    ctx.exit(run_metrics(_options(ctx), host, port))


# -- the journal ---------------------------------------------------------------------------------------

_DURATION = re.compile(r"(?:\d+(?:\.\d+)?[smhdw])+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_DURATION_SECONDS = 100 * 365.25 * 86400  # further back than any journal reaches
MAX_LIMIT = 10_000_000  # SQLite's LIMIT overflows at 2**63; no journal holds this many


def parse_duration(text: str) -> float:
    """"90m", "24h", "7d", "1h30m" in seconds; ValueError for anything else."""
    compact = text.strip().lower()
    if not _DURATION.fullmatch(compact):
        raise ValueError(text)
    seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(compact))
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(text)
    return seconds


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError:
        raise UsageProblem(
            f"--since: expected a duration such as 90m, 24h or 7d (at most 100 years), not '{clean(value, limit=40)}'") from None


def _history_filters(limit: int | None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The filters `history` and `export` share; `limit` is the default --limit (None: every job)."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed((
            click.option("--since", callback=_since, metavar="DURATION",
                         help="Only jobs seen in the last DURATION, e.g. 90m, 24h, 7d."),
            click.option("--status", help="Only jobs whose final status is this, e.g. completed, failed, cancelled, moderated."),
            click.option("--channel", "channel_id", metavar="ID", help="Only jobs of this channel."),
            click.option("--account", "account_name", metavar="NAME",
                         help="Only jobs of this account (default: the global --account, else all)."),
            click.option("--search", metavar="TEXT", help="Only jobs whose prompt or job id contains this text."),
            click.option("--limit", type=click.IntRange(min=1, max=MAX_LIMIT), default=limit, show_default=limit is not None,
                         help="At most this many jobs, newest first."),
        )):
            command = option(command)
        return command

    return decorate


def _journal_entries(options: Options, since: float | None, status: str | None, channel_id: str | None,
                     account_name: str | None, search: str | None, limit: int | None) -> list[HistoryEntry] | None:
    """The matching entries, newest first; None when there is no journal file yet."""
    try:
        journal = options.read_journal()
    except JournalMissing:
        return None
    for warning in journal.warnings:
        click.echo(f"mjtui: warning: {clean(warning)}", err=True)
    with journal:
        try:
            return journal.history(
                since=None if since is None else time.time() - since, status=status, channel=channel_id,
                account=account_name or options.account, search=search, limit=limit,
            )
        except JournalError as exc:
            raise Failure(str(exc)) from None


def _no_journal(options: Options) -> str:
    return f"no journal yet at {options.journal_location()}: the dashboard records the jobs it sees there"


def _local_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def _run_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def format_history(entries: list[HistoryEntry]) -> list[str]:
    """The history table: when it finished (or started, if running), where, how it ended, how long it ran."""
    header = ("when", "account", "channel", "status", "run", "job", "prompt")
    rows = [
        (
            _local_time(entry.when),
            clean(entry.account),
            clean(entry.channel or "?"),
            clean(entry.final_status) if entry.final_status else ("running" if entry.finished_at is None else "gone"),
            _run_time(entry.run_seconds),
            clean(entry.job_id),
            clean(entry.prompt or "", limit=80),
        )
        for entry in entries
    ]
    widths = [max(cell_len(row[column]) for row in (header, *rows)) for column in range(len(header) - 1)]
    return [_aligned(row, widths) for row in (header, *rows)]


def _aligned(row: tuple[str, ...], widths: list[int]) -> str:
    """Cells padded to their column's width in terminal cells (a CJK name takes two a character), the run time
    to the right; the last one, the prompt, as is."""
    cells = [pad(cell, width, right=column == 4) for column, (cell, width) in enumerate(zip(row, widths, strict=False))]
    return "  ".join([*cells, row[-1]]).rstrip()


@main.command()
@_history_filters(limit=50)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array: journal fields and each job's API record.")
@click.pass_context
def history(ctx: click.Context, since: float | None, status: str | None, channel_id: str | None, account_name: str | None,
            search: str | None, limit: int, as_json: bool) -> None:
    """List the jobs the journal remembers, newest first."""
    options = _options(ctx)
    entries = _journal_entries(options, since, status, channel_id, account_name, search, limit)
    if as_json:
        emit_json([to_document(entry) for entry in entries or []])
    elif entries is None:
        click.echo(_no_journal(options))
    elif not entries:
        click.echo("no jobs in the journal match")
    else:
        show("\n".join(format_history(entries)))


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True,
              help="JSON Lines (one object per job, with its API record) or CSV with a header.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@_history_filters(limit=None)
@click.pass_context
def export_cmd(ctx: click.Context, fmt: ExportFormat, output: Path | None, since: float | None, status: str | None,
               channel_id: str | None, account_name: str | None, search: str | None, limit: int | None) -> None:
    """Write the journal's jobs as JSON Lines or CSV, newest first, for other tools."""
    options = _options(ctx)
    if output is None and fmt == "csv" and _stdout_is_terminal():
        raise UsageProblem("CSV carries the API's text raw, escape sequences and all: not writing it to a terminal; "
                           "pass --output FILE or pipe it")
    entries = _journal_entries(options, since, status, channel_id, account_name, search, limit)
    if entries is None:
        click.echo(f"mjtui: {_no_journal(options)}", err=True)
    if output is None:
        export(sys.stdout, fmt, entries or [])
        return
    try:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            count = export(handle, fmt, entries or [])
    except OSError as exc:
        raise UsageProblem(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"exported {counted(count, 'job')} to {output}", err=True)


# -- config ---------------------------------------------------------------------------------------


@main.group()
def config() -> None:
    """Create, locate and show the configuration."""


@config.command("path")
@click.argument("which", type=click.Choice(["config", "journal", "log", "previews"]), required=False)
@click.pass_context
def config_path_cmd(ctx: click.Context, which: str | None) -> None:
    """Print the config file in use; `config path journal` / `log` / `previews` print those locations.

    On a terminal, further lines name the journal and the log too. Piped, the
    output is the one path asked for, so `$(mjtui config path)` works in scripts.
    """
    options = _options(ctx)
    if which == "journal":
        click.echo(str(options.journal_location()))
        return
    if which == "log":
        click.echo(str(default_log_path()))
        return
    if which == "previews":
        from mjtui.store.image_cache import default_cache_dir

        click.echo(str(default_cache_dir()))
        return
    path, _ = resolve_config_path(options.config_path)
    click.echo(str(path))
    if which is None and _stdout_is_terminal():
        click.echo(f"journal: {options.journal_location()}")
        click.echo(f"log: {default_log_path()}")


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of TOML.")
@click.pass_context
def config_show(ctx: click.Context, as_json: bool) -> None:
    """Print the effective configuration, tokens masked."""
    view = masked_view(_options(ctx).config())
    if as_json:
        emit_json(view)
        return
    import tomli_w

    click.echo(tomli_w.dumps(view).rstrip())


@config.command("init")
@click.option("--provider", type=click.Choice(get_args(ProviderName)), default="useapi", show_default=True)
@click.option("--token-env",
              help="Environment variable holding the token (default USEAPI_TOKEN / IMAGINEPRO_TOKEN / MJPROXY_TOKEN).")
@click.option("--token-id", type=int, help="ImaginePro: the linked Discord account's token id.")
@click.option("--base-url", "init_base_url", help="API origin, when not the provider's own (midjourney-proxy: the gateway's).")
@click.option("--name", "account_name", default="main", show_default=True, help="Account name.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_context
def config_init(ctx: click.Context, provider: ProviderName, token_env: str | None, token_id: int | None,
                init_base_url: str | None, account_name: str, force: bool) -> None:
    """Write a starter config file (mode 0600) that reads the token from an environment variable."""
    path, _ = resolve_config_path(_options(ctx).config_path)
    if path.exists() and not force:
        raise UsageProblem(f"{path} exists; pass --force to overwrite it")
    try:
        starter = starter_config(provider, token_env, init_base_url, account_name, token_id=token_id)
        save_config(starter, path)
    except ConfigError as exc:
        raise UsageProblem(str(exc)) from None
    except OSError as exc:
        raise UsageProblem(f"cannot write {path}: {exc.strerror or exc}") from None
    env_name = starter.accounts[account_name].token_env
    click.echo(f"wrote {path}")
    click.echo(f"set the token with: export {env_name}=...   then try: mjtui jobs")

