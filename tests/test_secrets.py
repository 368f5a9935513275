"""A service that echoes the token back: the token never reaches the terminal, stderr, `--json`, the journal or an export."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import tomli_w
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from support.dashboard import screen_text, settle, toasts
from support.loopback import serving

from mjtui import cli
from mjtui.api.client import UseapiClient
from mjtui.connections import Connection
from mjtui.providers.useapi import Useapi
from mjtui.store import Journal, export
from mjtui.text import mask_secret
from mjtui.timers import ManualTimers
from mjtui.tui.app import make_app

TOKEN = "user:4242-" + "9f8e7d6c5b4a3f2e1d0c" * 2
JOB_ID = "job-0123456789"


def escaped(text: str) -> str:
    """`text` as JSON would carry it with every letter escaped: the same string once decoded, other bytes on the wire."""
    return "".join(f"\\u{ord(char):04x}" if char.isalpha() else char for char in text)


class EscapedJSON(JSONResponse):
    def render(self, content: object) -> bytes:
        return super().render(content).replace(b"@@", b"\\")  # JSONResponse would write the backslash as \\


async def echo(request: Request) -> JSONResponse:
    """Every answer quotes the caller's Authorization header: the error text of a rejected call, and a job's prompt.

    Under /escaped/ the quote is written with JSON escapes (as `\\u0075ser:...`), which no byte scan recognises."""
    said = request.headers.get("authorization", "")
    quoted = escaped(said).replace("\\", "@@") if request.url.path.startswith("/escaped/") else said
    kind = EscapedJSON if quoted != said else JSONResponse
    if request.method == "GET" and request.url.path.endswith("/v2/jobs/"):
        return kind({"jobid": JOB_ID, "verb": "imagine", "status": "completed", "prompt": f"a cat, {quoted}",
                     "error": f"rejected {quoted}"})
    return kind({"error": f"token rejected: {quoted}", "code": 403}, status_code=403)


ECHO = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST", "DELETE"])])


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(ECHO) as url:
        yield url


@pytest.fixture(params=["plain", "escaped"])
def config(tmp_path: Path, origin: str, request: pytest.FixtureRequest) -> Path:
    """The echoing service, quoting the token as it is or behind JSON escapes."""
    base_url = origin if request.param == "plain" else f"{origin}/escaped"
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps({"accounts": {"main": {"provider": "useapi", "token": TOKEN, "base_url": base_url}}}))
    path.chmod(0o600)
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout + result.stderr


def test_an_echoed_token_is_masked_on_stderr(config: Path) -> None:
    code, shown = run("--config", str(config), "jobs")
    assert code == 1 and "403" in shown and "token rejected" in shown
    assert TOKEN not in shown and mask_secret(TOKEN) in shown


def test_an_echoed_token_is_masked_in_json_output(config: Path) -> None:
    code, shown = run("--config", str(config), "job", JOB_ID, "--json")
    assert code == 0, shown
    assert TOKEN not in shown and json.loads(shown)["prompt"] == f"a cat, Bearer {mask_secret(TOKEN)}"


def test_an_echoed_token_is_masked_in_a_jobs_plain_lines(config: Path) -> None:
    code, shown = run("--config", str(config), "job", JOB_ID)
    assert code == 0, shown
    assert f"a cat, Bearer {mask_secret(TOKEN)}" in shown and f"rejected Bearer {mask_secret(TOKEN)}" in shown
    assert TOKEN not in shown


def test_an_echoed_token_is_masked_in_the_journal_and_its_exports(config: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    code, shown = run("--config", str(config), "--journal", str(journal), "cancel", JOB_ID, "--yes")
    assert code == 1 and TOKEN not in shown
    with Journal(journal) as opened:
        [action] = opened.actions()
        assert action.outcome == "failed" and "token rejected" in (action.error or "")
        assert TOKEN not in (action.error or "")
    assert TOKEN.encode() not in journal.read_bytes()


def test_an_export_masks_a_token_that_an_older_journal_kept(tmp_path: Path) -> None:
    from mjtui import secrets
    from mjtui.api.models import Job

    secrets.remember(TOKEN)
    with Journal(tmp_path / "journal.sqlite3") as journal:
        job = Job.model_validate({"jobid": JOB_ID, "status": "completed", "prompt": f"leaked {TOKEN}"})
        journal.record_poll("main", [], [(JOB_ID, job)], 1_800_000_000.0)
        for fmt in ("jsonl", "csv"):
            out = io.StringIO()
            export(out, fmt, journal.history())
            assert TOKEN not in out.getvalue() and mask_secret(TOKEN) in out.getvalue(), fmt


@pytest.mark.parametrize("base_url", ["http://hostile.test", "http://hostile.test/escaped"])
async def test_an_echoed_token_never_reaches_the_dashboard(clock, base_url: str) -> None:
    client = UseapiClient(TOKEN, base_url, transport=httpx.ASGITransport(ECHO))
    connection = Connection("main", Useapi("main", client), secret=TOKEN)
    timers = ManualTimers(clock)
    app = make_app([connection], clock=clock, timers=timers, rng=random.Random(0))
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        shown = screen_text(app) + "\n".join(toasts(app))
        assert "token rejected" in shown, "the service's own words are shown"
        assert TOKEN not in shown and TOKEN[-20:] not in shown


@pytest.mark.parametrize("base_url", ["http://hostile.test", "http://hostile.test/escaped"])
async def test_the_client_hands_on_no_echoed_token_in_any_field(base_url: str) -> None:
    """Masked as answers are read, so nothing built from them (a Job, an error's text and body) holds the token."""
    from mjtui.api import errors

    async with UseapiClient(TOKEN, base_url, transport=httpx.ASGITransport(ECHO)) as client:
        job = await client.job(JOB_ID)
        with pytest.raises(errors.ApiError) as failed:
            await client.running_jobs()
    assert job.prompt == f"a cat, Bearer {mask_secret(TOKEN)}" and TOKEN not in (job.error or "")
    assert TOKEN not in json.dumps(job.dump())
    error = failed.value
    assert error.error == f"token rejected: Bearer {mask_secret(TOKEN)}"
    assert TOKEN not in json.dumps(error.body) and TOKEN not in error.message
