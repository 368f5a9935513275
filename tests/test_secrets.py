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
from support.hostile import serving
from test_dashboard import screen_text, settle, toasts

from mjtui import cli
from mjtui.api.client import UseapiClient
from mjtui.connections import Connection
from mjtui.store import Journal, export
from mjtui.text import mask_secret
from mjtui.tui.app import make_app
from mjtui.tui.timers import ManualTimers

TOKEN = "user:4242-" + "9f8e7d6c5b4a3f2e1d0c" * 2
JOB_ID = "job-0123456789"


async def echo(request: Request) -> JSONResponse:
    """Every answer quotes the caller's Authorization header: the error text of a rejected call, and a job's prompt."""
    said = request.headers.get("authorization", "")
    if request.method == "GET" and request.url.path == "/v2/jobs/":
        return JSONResponse({"jobid": JOB_ID, "verb": "imagine", "status": "completed", "prompt": f"a cat, {said}"})
    return JSONResponse({"error": f"token rejected: {said}", "code": 403}, status_code=403)


ECHO = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST", "DELETE"])])


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(ECHO) as url:
        yield url


@pytest.fixture
def config(tmp_path: Path, origin: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps({"accounts": {"main": {"provider": "useapi", "token": TOKEN, "base_url": origin}}}))
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


async def test_an_echoed_token_never_reaches_the_dashboard(clock) -> None:
    client = UseapiClient(TOKEN, "http://hostile.test", transport=httpx.ASGITransport(ECHO))
    connection = Connection("main", "useapi", client, secret=TOKEN)
    timers = ManualTimers(clock)
    app = make_app([connection], clock=clock, timers=timers, rng=random.Random(0))
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        shown = screen_text(app) + "\n".join(toasts(app))
        assert "token rejected" in shown, "the service's own words are shown"
        assert TOKEN not in shown and TOKEN[-20:] not in shown
