"""`mjtui history`, `mjtui export` and `--journal` as a user types them, against a journal filled here."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mjtui import cli
from mjtui.api.models import Job
from mjtui.monitor.snapshot import JobRow
from mjtui.store import Journal, read_export

HOUR = 3600.0
ESCAPED = "a \x1b[31mred\x1b[0m fox\x07"


def job(job_id: str, status: str, prompt: str, channel: str = "111") -> Job:
    return Job.model_validate({
        "jobid": job_id, "verb": "imagine", "status": status, "prompt": prompt, "channel": channel,
        "created": "2026-11-24T10:00:00.000Z", "updated": "2026-11-24T10:01:02.000Z", "novelField": 1,
    })


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    """Jobs relative to now, since `--since` counts back from the real clock."""
    path = tmp_path / "journal.sqlite3"
    now = time.time()
    with Journal(path) as journal:
        journal.record_poll("main", [], [("j-old", job("j-old", "completed", "an old barn"))], now - 3 * 24 * HOUR)
        journal.record_poll("main", [], [("j-fail", job("j-fail", "failed", "a blue whale", "222"))], now - 2 * HOUR)
        journal.record_poll("main", [], [("j-red", job("j-red", "completed", ESCAPED))], now - 30 * 60)
        journal.record_poll("ip", [], [("j-ip", job("j-ip", "completed", "a blue moon", "333"))], now - 20 * 60)
        journal.record_poll("main", [JobRow("j-run", "111", "video", "", None, now)], [], now - 60)
    return path


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli.main, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception  # never a traceback
    return result


def listed(result: Result) -> list[str]:
    """The job ids of a history table, in order."""
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["when", "account", "channel", "status", "run", "job", "prompt"]
    return [next(cell for cell in line.split() if cell.startswith("j-")) for line in lines[1:]]


def test_history_lists_newest_first_with_status_run_time_and_a_safe_prompt(journal_path: Path) -> None:
    result = run("--journal", str(journal_path), "history")
    assert listed(result) == ["j-run", "j-ip", "j-red", "j-fail", "j-old"]
    red = next(line for line in result.stdout.splitlines() if "j-red" in line)
    assert red.split()[2:5] == ["main", "111", "completed"] and " 1:02 " in red
    assert red.endswith("a red fox␇") and "\x1b" not in result.stdout
    running = next(line for line in result.stdout.splitlines() if "j-run" in line)
    assert " running " in running


@pytest.mark.parametrize(("args", "expected"), [
    (("--since", "90m"), ["j-run", "j-ip", "j-red"]),
    (("--since", "1d"), ["j-run", "j-ip", "j-red", "j-fail"]),
    (("--status", "failed"), ["j-fail"]),
    (("--channel", "222"), ["j-fail"]),
    (("--account", "ip"), ["j-ip"]),
    (("--search", "BLUE"), ["j-ip", "j-fail"]),
    (("--search", "j-fa"), ["j-fail"]),
    (("--limit", "2"), ["j-run", "j-ip"]),
    (("--since", "1h30m", "--account", "main", "--status", "completed"), ["j-red"]),
])
def test_history_filters(journal_path: Path, args: tuple[str, ...], expected: list[str]) -> None:
    assert listed(run("--journal", str(journal_path), "history", *args)) == expected


def test_the_global_account_narrows_history_too(journal_path: Path) -> None:
    assert listed(run("--journal", str(journal_path), "--account", "ip", "history")) == ["j-ip"]


def test_history_json_is_the_journal_fields_and_the_raw_api_record(journal_path: Path) -> None:
    result = run("--journal", str(journal_path), "history", "--json", "--status", "completed", "--account", "main")
    data = json.loads(result.stdout)
    assert [doc["jobId"] for doc in data] == ["j-red", "j-old"]
    red = data[0]
    assert red["record"]["prompt"] == ESCAPED and red["prompt"] == ESCAPED  # JSON is data: never cleaned
    assert red["record"]["novelField"] == 1 and red["record"]["jobid"] == "j-red"
    assert (red["status"], red["runSeconds"], red["channel"]) == ("completed", 62.0, "111")
    assert red["finishedAt"].endswith("Z")


@pytest.mark.parametrize("since", ["yesterday", "99999999999999999999w"])
def test_a_bad_since_is_a_one_line_usage_error(journal_path: Path, since: str) -> None:
    result = run("--journal", str(journal_path), "history", "--since", since)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"mjtui: --since: expected a duration such as 90m, 24h or 7d (at most 100 years), not '{since}'"]


def test_a_huge_limit_is_a_one_line_usage_error(journal_path: Path) -> None:
    result = run("--journal", str(journal_path), "history", "--limit", "99999999999999999999")
    assert result.exit_code == 2 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()[-1:]
    assert "--limit" in line and "10000000" in line


@pytest.mark.parametrize("kind", ["directory", "corrupt"])
def test_a_journal_that_cannot_be_opened_is_one_line_and_exit_1(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "journal.sqlite3"
    if kind == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"\x00garbage" * 512)
    for command in (("history",), ("export",)):
        result = run("--journal", str(path), *command)
        assert result.exit_code == 1 and result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"mjtui: journal {path}: ")


def test_no_journal_yet_is_said_and_nothing_is_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "journal.sqlite3"
    shown = run("--journal", str(path), "history")
    assert shown.exit_code == 0 and "no journal yet at" in shown.stdout
    assert json.loads(run("--journal", str(path), "history", "--json").stdout) == []
    assert not path.parent.exists()
    empty = run("--journal", ":memory:", "history")
    assert empty.exit_code == 0 and empty.stdout.strip() == "no jobs in the journal match"


def test_export_jsonl_to_stdout_round_trips(journal_path: Path) -> None:
    result = run("--journal", str(journal_path), "export", "--since", "1d")
    assert result.exit_code == 0
    exported = read_export(io.StringIO(result.stdout), "jsonl")
    with Journal(journal_path) as journal:
        assert exported == journal.history(since=time.time() - 24 * HOUR, limit=None)
    assert [entry.job_id for entry in exported] == ["j-run", "j-ip", "j-red", "j-fail"]
    assert exported[2].job().prompt == ESCAPED and "\x1b" not in result.stdout


def test_export_csv_to_a_file_round_trips_and_says_how_many(journal_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "jobs.csv"
    result = run("--journal", str(journal_path), "export", "--format", "csv", "--output", str(out), "--status", "completed")
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr.strip() == f"exported 3 jobs to {out}"
    with open(out, encoding="utf-8", newline="") as handle:
        exported = read_export(handle, "csv")
    with Journal(journal_path) as journal:
        assert exported == journal.history(status="completed", limit=None)
    one = run("--journal", str(journal_path), "export", "--output", str(out), "--limit", "1")
    assert one.stderr.strip() == f"exported 1 job to {out}", "one job, not '1 jobs' (#20)"


def test_export_csv_is_not_written_to_a_terminal(journal_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    result = run("--journal", str(journal_path), "export", "--format", "csv")
    assert result.exit_code == 2 and result.stdout == "" and "--output FILE" in result.stderr


def test_config_path_names_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    user_journal = tmp_path / "data" / "mjtui" / "journal.sqlite3"
    config_file = tmp_path / "config" / "mjtui" / "config.toml"

    assert run("config", "path", env=env).stdout.splitlines() == [str(config_file)]  # piped: one path, for $(...)
    assert run("config", "path", "journal", env=env).stdout.strip() == str(user_journal)
    assert run("--journal", ":memory:", "config", "path", "journal", env=env).stdout.strip() == ":memory:"
    demo = run("--demo", "config", "path", "journal", env=env).stdout.strip()
    assert demo != str(user_journal) and demo.startswith(str(tmp_path / "data"))  # the demo never writes the user's

    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    shown = run("--journal", str(tmp_path / "mine.sqlite3"), "config", "path", env=env).stdout.splitlines()
    assert shown[:2] == [str(config_file), f"journal: {tmp_path / 'mine.sqlite3'}"]
    assert len(shown) == 3 and shown[2].startswith("log: ") and shown[2].endswith("mjtui.log")


def test_history_columns_line_up_in_terminal_cells_with_wide_names(tmp_path: Path) -> None:
    """A CJK account name takes two cells a character: the columns after it still start where the header's do."""
    from rich.cells import cell_len

    path = tmp_path / "journal.sqlite3"
    now = time.time()
    with Journal(path) as journal:
        journal.record_poll("main", [], [("j-a", job("j-a", "completed", "a"))], now - 60)
        journal.record_poll("日本の口座", [], [("j-b", job("j-b", "completed", "b"))], now - 30)
    lines = run("--journal", str(path), "history").stdout.splitlines()

    def starts(line: str, text: str) -> int:
        return cell_len(line[:line.index(text)])

    assert starts(lines[1], "111") == starts(lines[2], "111") == starts(lines[0], "channel")
