"""Text from strangers is inert wherever mjtui shows it (issue 6, "Hostile text").

Prompts, Midjourney's messages, error texts, button labels, file names and channel ids come from
the service. Hypothesis makes them as hostile as it can (Rich markup, ANSI CSI and OSC 8 / 52
sequences, C0 and C1 controls, zero-width and bidi characters, emoji with joiners, right-to-left
script, 10,000-character strings) and the tests show them in every widget that carries API text,
and in the CLI's output. What must hold is what a user would see:

- nothing on screen or in a printed line is a control character a terminal would act on, and no
  character that reorders (bidi controls) or hides (zero-width) text survives;
- markup is shown as written (`[bold]` stays `[bold]`): the visible text is exactly `clean(value)`;
- the layout holds: no pane, table or header changes width, and a table gets one row per job;
- the app keeps running, and `--json` prints the API's data unchanged.

The dashboard tests drive a dashboard shared by a test's examples (a fixture, hence the
suppressed function_scoped_fixture health check): each example changes what it shows and checks it.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import AsyncIterator, Callable
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from support.dashboard import account_panes, banner, make_dashboard, plain
from support.soak import QUIET, REFRESH, Session, running, settle_watched, submit_jobs
from textual.widgets import DataTable, Static

from mjtui import cli
from mjtui.api.client import UseapiClient, parse_model
from mjtui.api.models import (
    Attachment,
    Child,
    Embed,
    Job,
    MessageProgress,
    RunningJobs,
    Seed,
)
from mjtui.clock import ManualClock
from mjtui.connections import Connection
from mjtui.monitor.snapshot import snapshot_of
from mjtui.providers.useapi import Useapi
from mjtui.sim import Simulator
from mjtui.sim.faults import FaultProfile
from mjtui.store import HistoryEntry, Journal
from mjtui.text import clean
from mjtui.tui.channel_pane import STATUS_WIDTH, ChannelPane
from mjtui.tui.formatting import short_channel_id, short_job_id
from mjtui.tui.help import HelpScreen
from mjtui.tui.history import PROMPT_LIMIT, HistoryScreen
from mjtui.tui.inspector import InspectorScreen
from mjtui.tui.keys import on_dashboard
from mjtui.tui.notices import toast_line
from mjtui.tui.panels import FINISHED_KEEP, FINISHED_TRIM_TO, FinishedTable
from mjtui.tui.rows import RowTable

# -- hostile strings ------------------------------------------------------------------------------

MARKUP = ["[bold]x[/bold]", "[link=https://evil.example]y[/link]", "[@click=app.quit]z[/]", "[", "[/]", "[red",
          "[b]open", "\\[escaped]", "[on red]bg[/on red]", "[/bold]", "]", "[link=file:///etc/passwd]", "[i]"]
ESCAPES = ["\x1b[31m", "\x1b[0m", "\x1b[2J", "\x1b[?1049h", "\x1b[6n", "\x1b]8;;http://x\x1b\\", "\x1b]8;;\x1b\\",
           "\x1b]52;c;aGVsbG8=\x07", "\x1b]0;title\x07", "\x1bP+q\x1b\\", "\x1bc", "\x1b", "\x9b31m", "\x9d0;t\x9c"]
CONTROLS = [chr(code) for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))]
# Zero-width and bidi characters; U+061C (ALM) has its own test below, as clean() does not remove it yet.
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f",
             "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
EMOJI = ["👍", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇺🇦", "❤️", "🧑🏿‍🚀", "日本語", "שלום", "مرحبا", "e\u0301"]

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")

plain_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\u061c"), max_size=12)
fragment = st.one_of(st.sampled_from(MARKUP), st.sampled_from(ESCAPES), st.sampled_from(CONTROLS),
                     st.sampled_from(INVISIBLE), st.sampled_from(EMOJI), plain_text)
short_hostile = st.lists(fragment, min_size=1, max_size=8).map("".join)
long_hostile = short_hostile.filter(bool).map(lambda text: (text * (10_000 // len(text) + 1))[:10_000])
hostile = st.one_of(short_hostile, short_hostile, short_hostile, long_hostile)  # a quarter are 10k characters long
some_hostile = st.one_of(st.just(""), hostile)

DASHBOARD = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CLI = settings(max_examples=100, deadline=None)


def assert_inert(text: str, *, multiline: bool = False) -> None:
    """Nothing a terminal would act on (C0, DEL, C1: ESC among them), nothing that reorders or hides text."""
    bad = sorted({
        f"U+{ord(char):04X}" for char in text
        if (unicodedata.category(char) == "Cc" and not (multiline and char == "\n"))
        or char in BIDI_CONTROLS or char in ZERO_WIDTH
    })
    assert not bad, f"shown as is: {bad} in {text[:120]!r}"


def screen_lines(app) -> list[str]:
    """The screen as the terminal would get it, one string per line (text only)."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return ["".join(strip.text for strip in line) for line in update.strips]


def assert_screen_inert(app) -> None:
    lines = screen_lines(app)
    assert len(lines) == app.size.height
    for line in lines:
        assert_inert(line)
        assert cell_len(line) == app.size.width, "every line fills the screen exactly: nothing spills over"


def cell(table: DataTable | RowTable, row: str, column: str) -> str:
    return table.get_cell(row, column).plain


def summary_lines(screen: InspectorScreen) -> list[str]:
    return [line.rstrip() for line in plain(screen.query_one("#summary", Static)).splitlines()]


# -- a hostile proxy --------------------------------------------------------------------------------

Rule = Callable[[int, Any], tuple[int, Any]]


class Tamper:
    """ASGI middleware that rewrites the simulator's JSON answers as a hostile proxy would.

    Answers are re-encoded with `json.dumps` (ASCII, so a lone surrogate goes out as `\\ud800`, as JSON allows).
    """

    def __init__(self, sim: Simulator) -> None:
        self.inner = sim.app
        self.rules: dict[tuple[str, str], Rule] = {}
        sim.app = self

    async def __call__(self, scope, receive, send) -> None:
        rule = self.rules.get((scope.get("method", ""), scope.get("path", ""))) if scope["type"] == "http" else None
        if rule is None:
            await self.inner(scope, receive, send)
            return
        answer: dict[str, Any] = {"status": 500, "body": bytearray()}

        async def keep(message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["body"].extend(message.get("body", b""))

        await self.inner(scope, receive, keep)
        status, data = rule(answer["status"], json.loads(answer["body"]) if answer["body"] else None)
        body = json.dumps(data).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


@dataclass
class Dash:
    s: Session
    tamper: Tamper
    journal: Journal
    widths: dict[str, int] = field(default_factory=dict)
    serial: int = 0

    @property
    def app(self):
        return self.s.app

    def measure(self) -> dict[str, int]:
        """The widths a user would see change if text broke the layout."""
        app = self.app
        sizes = {f"pane {channel}": pane.region.width for channel, pane in account_panes(app).items()}
        sizes["finished"] = app.query_one(FinishedTable).region.width
        for name in app.accounts:
            section = app.dashboard.section(name)
            sizes[f"header {name}"] = section.header.region.width
            sizes[f"header {name} height"] = section.header.region.height
        return sizes

    async def act(self, action: str) -> None:
        """What a key bound to `action` does (`Pilot.press` waits for the CPU to idle: too slow for many examples)."""
        self.s.user_polls.append(self.s.clock.now())
        await (self.app.dashboard if on_dashboard(action) else self.app).run_action(action)
        await settle_watched(self.s.pilot, self.s.watch)

    async def look(self) -> None:
        """Paint, then check the whole screen is inert and no width moved."""
        await self.s.pilot.pause(0)
        assert self.app.is_running
        assert_screen_inert(self.app)
        if len(self.app.screen_stack) == 1:
            assert self.measure() == self.widths, "a width changed"
        assert not [n for n in self.app._notifications if "journal write failed" in n.message]


@pytest.fixture
async def dash(clock: ManualClock) -> AsyncIterator[Dash]:
    journal = Journal(":memory:", clock=clock)
    holder: dict[str, Tamper] = {}

    def before(sim: Simulator) -> None:
        submit_jobs(sim, clock)
        holder["tamper"] = Tamper(sim)

    async with running(clock, FaultProfile(), journal=journal, before=before, **QUIET, speed_scale=1000.0) as s:
        d = Dash(s, holder["tamper"], journal)
        await s.pilot.pause()
        d.widths = d.measure()
        yield d


# -- the dashboard ------------------------------------------------------------------------------------


@DASHBOARD
@given(job_type=some_hostile, detail=hostile)
async def test_channel_pane_shows_a_hostile_job_type_and_status_literally(dash, job_type, detail):
    world = dash.s.sim.world
    channel = world.accounts["main"].channels[0]
    job = next(iter(world.channels[channel].running.values()))
    job.job_type = job_type  # served in the running list
    await dash.s.run(REFRESH, react=False)
    pane = account_panes(dash.app)[channel]
    pane.set_detail(job.jobid, detail)  # what the inspector's fetch says of a running job
    table = pane
    assert table.row_count == len(world.channels[channel].running), "one row per running job"
    assert cell(table, job.jobid, "type") == (clean(job_type, limit=5) if job_type else "?")
    assert cell(table, job.jobid, "status") == clean(detail, limit=STATUS_WIDTH)
    for column in ("id", "type", "status"):
        assert_inert(cell(table, job.jobid, column))
    await dash.look()


INSPECTED = ("status", "verb", "button", "prompt", "content", "channel", "server", "parent_job_id", "discord",
             "reply_ref", "reply_url", "error", "error_details")
LABELS = {"parent_job_id": "parent", "reply_ref": "replyRef", "reply_url": "replyUrl", "error_details": "details"}


@DASHBOARD
@given(fields=st.fixed_dictionaries(dict.fromkeys(INSPECTED, some_hostile)), job_id=hostile,
       labels=st.lists(hostile, min_size=2, max_size=3), names=st.lists(hostile, min_size=2, max_size=2),
       fetch_error=some_hostile)
async def test_the_inspector_shows_every_api_field_literally(dash, fields, job_id, labels, names, fetch_error):
    app = dash.app
    job = Job(
        jobid=job_id, **fields, buttons=[*labels, "U1"],
        children=[Child(button=label, jobid=f"{label}#{index}") for index, label in enumerate(labels)],
        attachments=[Attachment(filename=name, url=f"https://cdn.example/{name}", size=1234, width=64, height=64)
                     for name in names],
        embeds=[Embed(description=labels[0]), Embed(type=labels[1])],
        seed=Seed(value=42, attachments=[Attachment(url=name) for name in names]),
    )
    screen = app.screen if isinstance(app.screen, InspectorScreen) else None
    if screen is None:
        screen = InspectorScreen("main", job_id, job, from_journal=True)
        await app.push_screen(screen)
    screen.job_id, screen.error = job_id, fetch_error or None  # what a failed fetch would have said
    screen.show_job(job)
    await dash.look()
    title = plain(screen.query_one("#title", Static))
    assert title.startswith(f"Job {clean(job_id)}   account main")
    assert clean(fetch_error, limit=300) in title
    assert_inert(title, multiline=True)
    lines = summary_lines(screen)
    for name in INSPECTED:
        value = fields[name] if name != "status" else (fields[name] or "?")
        if value:
            assert f"{LABELS.get(name, name):<10}{clean(value, limit=600)}".rstrip() in lines, name
    assert f"{'buttons':<10}{clean('  '.join(f'[{label}]' for label in [*labels, 'U1']), limit=600)}".rstrip() in lines
    assert_inert("\n".join(lines), multiline=True)
    children = screen.query_one("#children", DataTable)
    assert children.row_count == len(labels)
    for index, label in enumerate(labels):
        assert [text.plain for text in children.get_row(f"{label}#{index}")] == [clean(label or "?"), clean(f"{label}#{index}")]
    images = screen.query_one("#attachments", DataTable)
    assert images.row_count == 2 * len(names), "the job's attachments, then its seed's images"
    for row, name in enumerate(names):
        shown = [text.plain for text in images.get_row_at(row)]
        assert shown[0] == f"attachment {row + 1}"
        assert shown[1] == clean(name or "?", limit=40) and shown[4] == clean(f"https://cdn.example/{name}", limit=120)
        assert_inert(" ".join(shown))
    seed = plain(screen.query_one("#seed", Static))
    for index, name in enumerate(names, 1):
        assert f"image {index}   {clean(name or '?', limit=200)}" in seed.splitlines()
    embeds = plain(screen.query_one("#embeds", Static)).splitlines()
    assert embeds == [f"embed     {clean(labels[0], limit=400)}", f"embed     {clean(labels[1], limit=400)}"]
    assert_inert(seed + "".join(embeds), multiline=True)


@settings(DASHBOARD, max_examples=10)
@given(prompt=hostile, content=hostile, button=hostile, filename=hostile, error=hostile)
async def test_a_served_job_with_hostile_fields_is_inspected_literally(dash, prompt, content, button, filename, error):
    """The same, end to end: the simulator serves the strings as JSON and the inspector fetches them."""
    app, world = dash.app, dash.s.sim.world
    account = world.accounts["main"]
    job = world.jobs[next(iter(world.channels[account.channels[0]].running))]
    job.prompt, job.content, job.error, job.error_details = prompt, content, error, error
    job.buttons = [button, "U1"]
    job.children = [{"button": button, "jobid": f"{button}-child", "messageId": "1"}]
    job.attachments = [{"id": "1", "content_type": "image/png", "filename": filename, "path": "/attachments/64/0/x.png",
                        "size": 10, "width": 64, "height": 64}]
    screen = app.open_inspector("main", job.jobid)
    await settle_watched(dash.s.pilot, dash.s.watch)
    await dash.look()
    assert screen.error is None and screen.job is not None and screen.job.prompt == prompt, "fetched as sent"
    lines = summary_lines(screen)
    for label, value in (("prompt", prompt), ("content", content), ("error", error)):
        if value:  # an empty field is not listed
            assert f"{label:<10}{clean(value, limit=600)}".rstrip() in lines
    assert screen.query_one("#children", DataTable).get_row(f"{button}-child")[0].plain == clean(button or "?")
    assert screen.query_one("#attachments", DataTable).get_row_at(0)[1].plain == clean(filename or "?", limit=40)
    await app.pop_screen()
    assert not isinstance(app.screen, InspectorScreen)


@DASHBOARD
@given(channel=hostile, job_id=hostile, status=some_hostile, error=some_hostile, prompt=hostile)
async def test_recently_finished_rows_are_literal_and_one_per_job(dash, channel, job_id, status, error, prompt):
    table = dash.app.query_one(FinishedTable)
    before = table.row_count
    new = job_id not in table.rows
    table.add("main", channel, job_id, Job(jobid=job_id, status=status, error=error or None, prompt=prompt),
              dash.s.clock.now())
    expected = before + new if before + new <= FINISHED_KEEP else FINISHED_TRIM_TO
    assert table.row_count == expected, "one row per job, the oldest dropped in bulk past FINISHED_KEEP"
    assert cell(table, job_id, "channel") == short_channel_id(channel)
    assert cell(table, job_id, "job") == short_job_id(job_id)
    assert cell(table, job_id, "status") == clean(status or "?")
    assert cell(table, job_id, "note") == clean(error or prompt, limit=120)
    assert_inert(" ".join(cell(table, job_id, column) for column in ("channel", "job", "status", "note")))
    await dash.look()


@DASHBOARD
@given(account=hostile, channel=hostile, job_id=hostile, status=some_hostile, prompt=hostile)
async def test_history_rows_from_the_journal_are_literal(dash, account, channel, job_id, status, prompt):
    app = dash.app
    dash.serial += 1
    job_id = f"{job_id}#{dash.serial}"  # a fresh row each example
    job = Job(jobid=job_id, status=status, prompt=prompt, channel=channel, created="2026-11-24T11:00:00.000Z",
              updated="2026-11-24T11:01:00.000Z")
    dash.journal.record_finals(account, [(job_id, job)], dash.s.clock.now())
    screen = app.screen if isinstance(app.screen, HistoryScreen) else None
    if screen is None:
        await dash.s.pilot.press("h")
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
    screen.reload()
    await settle_watched(dash.s.pilot, dash.s.watch)
    await dash.look()
    table = screen.query_one("#history-table", DataTable)
    key = f"{account}\x00{job_id}"
    assert key in table.rows and table.row_count == len(screen.entries)
    assert cell(table, key, "account") == clean(account, limit=8)
    assert cell(table, key, "channel") == short_channel_id(channel or "?")
    assert cell(table, key, "job") == short_job_id(job_id)
    assert cell(table, key, "status") == clean(status or "?")
    assert cell(table, key, "prompt") == clean(prompt, limit=PROMPT_LIMIT)
    assert_inert(" ".join(cell(table, key, column) for column in ("account", "channel", "job", "status", "prompt")))


async def focus_a_pane(dash: Dash) -> None:
    for _ in range(12):
        if isinstance(dash.app.focused, ChannelPane):
            return
        await dash.s.pilot.press("tab")
    raise AssertionError("tab never reached a channel pane")


@DASHBOARD
@given(content=some_hostile, error=hostile)
async def test_toasts_show_an_answer_and_an_error_text_literally(dash, content, error):
    app = dash.app
    await focus_a_pane(dash)
    app.clear_notifications()
    dash.tamper.rules[("POST", "/v2/jobs/info")] = lambda status, data: (status, {**data, "content": content})
    await dash.act("command('info')")  # i
    info = [(n.title, n.text) for n in app.notices][-1]  # whole, as the log (n) shows it
    await dash.s.pilot.pause(0)  # the toast is a message to the app
    assert [n.message for n in app._notifications] == [toast_line(info[1], "n", info[0])], "the toast: its first line"
    dash.tamper.rules[("POST", "/v2/jobs/relax")] = lambda status, data: (400, {"error": error, "code": 400})
    await dash.act("command('relax')")  # r
    failure = [(n.title, n.text) for n in app.notices][-1]
    await dash.s.pilot.pause(0)
    assert info[1].endswith(clean(content or "completed", keep_newlines=True, limit=4000)), "below what was read of it"
    assert [n.message for n in app._notifications] == [toast_line(failure[1], "n", failure[0])], "the error replaced it"
    said = f"400 Bad Request: {error}" if error else "400 Bad Request"
    assert failure == ("/relax failed", clean(f"{said} (POST /v2/jobs/relax)", limit=300))
    assert_inert(info[1], multiline=True)
    assert_inert(info[0] + failure[0] + failure[1])
    await dash.look()
    dash.tamper.rules.clear()


@settings(DASHBOARD, max_examples=10)  # each example halts and resumes two accounts twice: a relayout each
@given(error=hostile, channel=some_hostile)
async def test_the_banner_of_a_halted_account_shows_the_api_text_literally(dash, error, channel):
    app, _s = dash.app, dash.s
    list_get = ("GET", "/v3/midjourney/jobs")
    for status, body in ((402, {"error": error, "code": 402}), (596, {"error": error, "code": 596, "channel": channel})):
        dash.tamper.rules[list_get] = lambda _status, _data, status=status, body=body: (status, body)
        await dash.act("refresh")  # ctrl+r
        shown = plain(banner(app))
        assert banner(app).has_class("-visible")
        if status == 402:
            said = f"402 Payment Required: {error}" if error else "402 Payment Required"
            last_error = f"{said} (GET /v3/midjourney/jobs)"
            assert shown.startswith(f"{clean(last_error, limit=160)}. Renew the subscription")
        else:
            assert shown.startswith(f"Moderation pending on channel {clean(channel or '?')}: every call is halted.")
        assert_inert(shown)
        await dash.look()
        dash.tamper.rules.clear()
        await dash.act("refresh")
        assert not banner(app).has_class("-visible"), "back to live"


# -- fixed examples: on the screen itself -----------------------------------------------------------------


@pytest.mark.parametrize("markup", ["[bold]x[/bold]", "[link=https://evil.example]y[/link]", "[@click=app.quit]z[/]"])
async def test_markup_is_on_the_screen_as_written(dash, markup):
    """Where a user looks: the literal markup is on the painted screen, in each widget, and clicking it does nothing."""
    app, s = dash.app, dash.s
    await s.pilot.resize_terminal(160, 40)  # room for the whole string in the finished list's note
    await s.pilot.pause(0)
    dash.widths = dash.measure()
    job_id = f"{markup}job"
    app.query_one(FinishedTable).add("main", "chan", job_id, Job(jobid=job_id, status="failed", error=markup), s.clock.now())
    await dash.look()
    assert any(markup in line for line in screen_lines(app)), "in the recently-finished list"
    dash.tamper.rules[("GET", "/v3/midjourney/jobs")] = lambda status, data: (596, {"error": "halt", "channel": markup})
    await s.press("ctrl+r")
    await dash.look()
    assert any(f"channel {markup}: every" in line for line in screen_lines(app)), "in the banner"
    dash.tamper.rules.clear()
    await s.press("ctrl+r")
    screen = InspectorScreen("main", "j1", Job(jobid="j1", status="completed", prompt=markup, error=markup), from_journal=True)
    await app.push_screen(screen)
    await dash.look()
    lines = screen_lines(app)
    assert any(f"prompt    {markup}" in line for line in lines) and any(f"error     {markup}" in line for line in lines)
    row = next(index for index, line in enumerate(lines) if f"prompt    {markup}" in line)
    await s.pilot.click(offset=(lines[row].index(markup) + 2, row))
    await settle_watched(s.pilot, s.watch)
    assert app.is_running and app.screen is screen, "a click on it does nothing"


async def test_a_10000_character_string_everywhere_keeps_every_width_and_row_count(dash):
    app, s = dash.app, dash.s
    long = ("[bold]" + "\x1b[31m" + "👨‍👩‍👧‍👦" + "\u202e" + "w" * 40) * 200
    world = s.sim.world
    channel = world.accounts["main"].channels[0]
    job = next(iter(world.channels[channel].running.values()))
    job.job_type, job.prompt = long, long
    await s.run(REFRESH, react=False)
    pane = account_panes(app)[channel]
    pane.set_detail(job.jobid, long)
    finished = app.query_one(FinishedTable)
    rows = finished.row_count
    finished.add("main", long, long, Job(jobid=long, status=long, error=long), s.clock.now())
    await dash.look()
    assert finished.row_count == rows + 1 and pane.row_count == len(world.channels[channel].running)
    assert finished.virtual_size.height == finished.row_count + 1, "a long note does not make a row taller"
    app.notify(clean(long, limit=600))  # as long as a toast gets
    await dash.look()


async def test_lone_surrogates_in_an_answer_are_a_protocol_error_not_a_crash(dash):
    """JSON may escape a lone surrogate (\\ud800); no terminal can show one. It is refused like any bad answer."""
    app, s = dash.app, dash.s
    world = s.sim.world
    job = next(iter(world.channels[world.accounts["main"].channels[0]].running.values()))

    def surrogate_in_the_list(status: int, data: Any) -> tuple[int, Any]:
        for channel in data["channels"].values():
            for entry in channel["jobs"]:
                entry["jobType"] = "\ud800image"
        return status, data

    dash.tamper.rules[("GET", "/v3/midjourney/jobs")] = surrogate_in_the_list
    dash.tamper.rules[("GET", "/v2/jobs/")] = lambda status, data: (status, {**data, "prompt": "a \udfff b"})
    await s.run(REFRESH, react=False)
    assert app.accounts["main"].status.health.value == "retrying"
    assert "not JSON" in (app.accounts["main"].status.last_error or "")
    screen = app.open_inspector("main", job.jobid)
    await settle_watched(s.pilot, s.watch)
    await dash.look()
    assert "not JSON" in plain(screen.query_one("#title", Static)), "the inspector says why it shows nothing"
    assert screen.job is None


async def test_the_arabic_letter_mark_is_removed_like_the_other_bidi_controls(dash):
    app = dash.app
    screen = InspectorScreen("main", "j1", Job(jobid="j1", status="completed", prompt="abc\u061c 123"), from_journal=True)
    await app.push_screen(screen)
    await dash.look()
    assert_inert(plain(screen.query_one("#summary", Static)), multiline=True)


async def test_keymap_text_from_the_config_is_inert_in_the_help_screen_and_its_warning(make_sim, clock):
    sim = make_sim(channels=1, autopilot=False)
    app, _timers = make_dashboard(sim, clock, keymap={"relax": "\x1b[31m", "x\x1b]52;c;aGk=\x07": "z"})
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        warnings = [n.message for n in app._notifications]
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        shown = [text.plain for row in range(table.row_count) for text in table.get_row_at(row)]
        for text in [*warnings, *shown]:
            assert_inert(text)


async def test_a_theme_file_named_with_an_escape_is_named_inertly_in_its_warning(make_sim, clock, tmp_path):
    """A warning's toast names the file: the name must not reach the terminal as an escape sequence."""
    from mjtui.tui import themes

    (tmp_path / "evil\x1b]0;pwned\x07\x9b2J.toml").write_text("dark = 1\n", encoding="utf-8")
    _loaded, warnings = themes.load([tmp_path])
    assert warnings, "the bad file is warned about"
    sim = make_sim(channels=1, autopilot=False)
    app, _timers = make_dashboard(sim, clock, warnings=warnings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        shown = [n.message for n in app._notifications] + [f"{n.title} {n.text}" for n in app.notices]
        assert any("evil" in text for text in shown), shown
        for text in shown:
            assert_inert(text)
        assert_screen_inert(app)


# -- the CLI --------------------------------------------------------------------------------------------


def assert_lines_inert(lines: list[str]) -> None:
    for line in lines:
        assert "\n" not in line, "one printed line per entry"
        assert_inert(line)


@CLI
@given(channel=hostile, job_id=hostile, job_type=some_hostile, created=some_hostile, elapsed=some_hostile)
def test_cli_running_jobs_are_printed_literally(channel, job_id, job_type, created, elapsed):
    running = RunningJobs.model_validate({"total": 1, "channels": {channel: {"total": 1, "maxJobs": 3, "jobs": [
        {"jobId": job_id, "channel": channel, "jobType": job_type, "created": created, "elapsed": elapsed}]}}})
    connection = Connection("main", Useapi("main", UseapiClient("a-token-never-sent")))
    lines = cli.format_running(snapshot_of(running, 0.0), connection)
    assert_lines_inert(lines)
    assert f"channel {clean(channel)}  jobs 1/3" in lines[2]
    shown_id = clean(job_id)  # padded to the widest id shown (here its own), by terminal cells: CJK takes two
    assert lines[3].startswith(f"  {shown_id} {clean(job_type or '?')}")
    assert re.search(r" (\?|\d+:\d\d|\d+:\d\d:\d\d)$", lines[3]), "the elapsed time, or ? when it cannot be read"


@CLI
@given(fields=st.fixed_dictionaries(dict.fromkeys(("jobid", "status", "verb", "prompt", "button", "parent_job_id", "channel",
                                                   "content", "error", "error_details"), hostile)),
       label=hostile, name=hostile)
def test_cli_job_is_printed_literally(fields, label, name):
    job = Job(**fields, buttons=[label], children=[Child(button=label, jobid=name)], embeds=[Embed(description=label)],
              attachments=[Attachment(filename=name, url=name, width=1, height=2, size=3)],
              seed=Seed(value=7, attachments=[Attachment(url=name)]))
    dumped = job.dump()
    lines = cli.format_job(job)
    assert_lines_inert(lines)
    assert job.dump() == dumped, "printing a job does not change it"
    assert lines[:2] == [f"{'job':<11} {clean(fields['jobid'])}", f"{'status':<11} {clean(fields['status'])}"]
    for label_, value, limit in (("prompt", fields["prompt"], None), ("content", fields["content"], 300),
                                 ("error", fields["error"], None), ("details", fields["error_details"], None)):
        if value:
            assert f"{label_:<11} {clean(value, limit=limit)}" in lines, label_
    assert f"{'child':<11} {clean(label or '?')} -> {clean(name or '?')}" in lines
    assert f"{'attachment':<11} {clean(name or '?')}  1x2  3 B  {clean(name)}" in lines
    assert f"{'seed image':<11} {clean(name or '?')}" in lines
    assert_lines_inert(cli.format_seed(job))


@CLI
@given(message_id=hostile, status=hostile, uri=hostile, button=hostile, error=hostile, account=hostile, prompt=hostile)
def test_cli_message_and_history_are_printed_literally(message_id, status, uri, button, error, account, prompt):
    message = MessageProgress(message_id=message_id, status=status, progress=50, uri=uri, buttons=[button, "U1"], error=error)
    lines = cli.format_message(message)
    assert_lines_inert(lines)
    for label, value in (("message", message_id), ("status", status), ("uri", uri), ("error", error)):
        assert not value or f"{label:<11} {clean(value)}" in lines
    assert f"{'buttons':<11} {clean(button + '  U1')}" in lines
    entry = HistoryEntry(account=account, job_id=message_id, channel=uri, job_type=None, verb=None, prompt=prompt,
                         created=None, first_seen=0.0, last_seen=1.8e9, final_status=status, finished_at=1.8e9,
                         run_seconds=61.0, record=None, seed=None, seed_images=())
    history = cli.format_history([entry])
    assert_lines_inert(history)
    assert history[1].endswith(clean(prompt, limit=80).rstrip())


KNOWN = {*Job.model_fields, *(info.alias for info in Job.model_fields.values() if info.alias)}
API_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), some_hostile),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(hostile, children, max_size=3)),
    max_leaves=8,
)


@CLI
@given(prompt=hostile, content=hostile, buttons=st.lists(hostile, max_size=3), filename=hostile, error=hostile,
       unknown=st.dictionaries(hostile.filter(lambda key: key not in KNOWN), API_JSON, max_size=2))
def test_json_output_is_the_api_data_and_inert_on_a_terminal(prompt, content, buttons, filename, error, unknown):
    """`--json` prints the API's own objects (cleaning text for the screen never touches them), with every C1
    control and bidi or invisible mark escaped as \\uXXXX: the same JSON value, nothing a terminal acts on."""
    data = {"jobid": "j1", "status": "completed", "prompt": prompt, "buttons": buttons, "content": content,
            "attachments": [{"filename": filename, "url": filename, "size": 1}], "error": error, **unknown}
    job = parse_model(Job, json.dumps(data), endpoint="GET /v2/jobs/")
    cli.format_job(job)  # shown on screen first: must not alter the data
    with redirect_stdout(io.StringIO()) as out:
        cli.emit_json(job.dump())
    printed = out.getvalue()
    assert json.loads(printed) == data
    assert not any(0x7F <= ord(char) <= 0x9F or char in INVISIBLE for char in printed), "raw controls reach the terminal"
    plain = {"jobid": "j1", "status": "completed", "prompt": "ein Kätzchen, 子猫", "buttons": ["U1"]}
    with redirect_stdout(io.StringIO()) as out:
        cli.emit_json(plain)
    assert out.getvalue() == json.dumps(plain, ensure_ascii=False, indent=2) + "\n", "plain text is printed as it is"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x30FF)) | st.text(alphabet=st.sampled_from("a1 [\x1b\t\n\x07\x9b\u202e")))
def test_the_fast_path_for_plain_text_cleans_exactly_as_the_full_walk_does(text):
    from mjtui.text import _ESCAPES, _clean_chars

    assert clean(text) == _clean_chars(_ESCAPES.sub("", text), False)
