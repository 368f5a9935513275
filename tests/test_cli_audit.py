"""What the CLI does to an account is written to the journal's audit log, success or failure."""

import os
import shutil
import subprocess
import sys

import click
import pytest

from mjtui.store import Journal

MJTUI = shutil.which("mjtui", path=os.path.dirname(sys.executable)) or "mjtui"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MJTUI, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)


def test_cli_actions_are_audited_with_their_outcome(tmp_path):
    journal = tmp_path / "journal.sqlite3"
    ok = run("--demo", "--journal", str(journal), "--account", "ip", "info")
    assert ok.returncode == 0, ok.stderr
    failed = run("--demo", "--journal", str(journal), "cancel", "no-such-job", "--yes")
    assert failed.returncode == 1 and "404" in failed.stderr
    with Journal(journal) as opened:
        actions = [(a.account, a.action, a.target, a.outcome) for a in reversed(opened.actions())]
        errors = [a.error or "" for a in reversed(opened.actions())]
    assert actions[0][:2] == ("ip", "info") and actions[0][3] == "ok"
    assert actions[1] == ("main", "cancel", "no-such-job", "failed")
    assert "Unable to locate job no-such-job" in errors[1]


def test_journal_retention_comes_from_the_config(tmp_path):
    """`journal_retention_days` in config.toml decides what the journal keeps."""
    from mjtui.options import Options

    config = tmp_path / "config.toml"
    config.write_text('journal_retention_days = 7\n[accounts.main]\ntoken_env = "X_TOKEN"\n')
    config.chmod(0o600)
    assert Options(config_path=config).retention_days() == 7
    assert Options(config_path=tmp_path / "none.toml").retention_days() == 62, "no config file: the default"
    config.write_text('journal_retention_days = 0\n[accounts.main]\ntoken_env = "X_TOKEN"\n')
    with pytest.raises(click.ClickException) as refused:
        Options(config_path=config).retention_days()
    assert refused.value.exit_code == 2 and "journal_retention_days" in refused.value.message
