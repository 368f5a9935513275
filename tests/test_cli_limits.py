"""The CLI at its edges: values too large (or not finite) to mean anything, --readonly, and a journal that fails after an action.

Run in-process (CliRunner) against the simulator served on loopback, so each test takes a fraction of a second.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from support.cli import run_in_process as run
from support.loopback import serving

from mjtui.api.models import Job
from mjtui.clock import ManualClock
from mjtui.sim import Simulator
from mjtui.store import Journal


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator.build(clock=ManualClock(), seed=7, channels=2, warmup=60)


@pytest.fixture(scope="module")
def origin(sim: Simulator) -> Iterator[str]:
    with serving(sim.app) as url:
        yield url


def requests_seen(sim: Simulator) -> list[str]:
    """What the service did: the world's running jobs and channel modes (a request that changed nothing leaves them)."""
    world = sim.world
    return sorted(f"{channel.id}:{channel.mode}:{len(channel.running)}" for channel in world.channels.values())


def write_config(path: Path, sim: Simulator, origin: str, **settings: Any) -> Path:
    account = {"provider": "useapi", "token": sim.token(), "base_url": origin}
    path.write_text(tomli_w.dumps({**settings, "accounts": {"main": account}}), encoding="utf-8")
    path.chmod(0o600)
    return path


def a_running_job(sim: Simulator) -> str:
    return next(job for channel in sim.world.channels.values() for job in channel.running)


@pytest.mark.parametrize(("key", "value", "said"), [
    ("journal_retention_days", 1e12, "journal_retention_days: must be at most 36500"),
    ("preview_cache_mb", 1e308, "preview_cache_mb: must be at most 1048576"),
    ("refresh_seconds", 1e9, "refresh_seconds: must be at most 3600"),
])
def test_a_value_too_large_to_mean_anything_is_refused_before_anything_is_sent(
        sim: Simulator, origin: str, tmp_path: Path, key: str, value: float, said: str) -> None:
    config = write_config(tmp_path / "config.toml", sim, origin, **{key: value})
    before = requests_seen(sim)
    result = run("--config", str(config), "--journal", str(tmp_path / "j.sqlite3"), "cancel", a_running_job(sim), "--yes")
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert said in line
    assert requests_seen(sim) == before, "the cancel was never sent"


RUNNING_JOB = "a running job"  # its seed is a 400 at once: without the check, nothing hangs or loops


@pytest.mark.parametrize(("args", "said"), [
    (("seed", RUNNING_JOB, "--wait", "--interval", "nan"), "--interval: expected a finite number, not 'nan'"),
    (("seed", RUNNING_JOB, "--wait", "--timeout", "nan"), "--timeout: expected a finite number, not 'nan'"),
    (("seed", RUNNING_JOB, "--wait", "--timeout", "inf"), "--timeout: expected a finite number, not 'inf'"),
    (("--refresh", "nan", "jobs"), "--refresh: expected a finite number, not 'nan'"),
    # a bad --faults is refused after the options are read: it says which came first
    (("sim", "--port", "0", "--faults", "bogus", "--speed", "NaN"), "--speed: expected a finite number, not 'NaN'"),
    (("sim", "--port", "0", "--faults", "bogus", "--latency", "nan"), "--latency: expected a finite number, not 'nan'"),
], ids=["seed-interval", "seed-timeout-nan", "seed-timeout-inf", "refresh", "sim-speed", "sim-latency"])
def test_a_number_option_that_is_not_finite_is_refused_on_one_line(
        sim: Simulator, origin: str, tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    config = write_config(tmp_path / "config.toml", sim, origin)
    args = tuple(a_running_job(sim) if arg == RUNNING_JOB else arg for arg in args)
    result = run("--config", str(config), "--journal", str(tmp_path / "j.sqlite3"), *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [f"mjtui: {said}"]


def test_readonly_refuses_info_too(sim: Simulator, origin: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", sim, origin)
    result = run("--config", str(config), "--readonly", "info", "--channel", next(iter(sim.world.channels)))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == ["mjtui: --readonly: not sending /info"]


def test_an_action_that_succeeded_exits_0_when_its_journal_write_fails(
        sim: Simulator, origin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scripts retry what exits 1: a cancel that reached the service must not, whatever the journal does after."""
    config = write_config(tmp_path / "config.toml", sim, origin)

    def overflow(*_args: object, **_kwargs: object) -> int:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(Journal, "record_action", overflow)
    job = a_running_job(sim)
    result = run("--config", str(config), "--journal", str(tmp_path / "j.sqlite3"), "cancel", job, "--yes")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"cancelled {job}"
    assert result.stderr.strip().splitlines() == [
        "mjtui: warning: the action was not journalled: Python int too large to convert to SQLite INTEGER"]
    assert job not in {j for channel in sim.world.channels.values() for j in channel.running}


def on_a_read_only_mount(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`mjtui ARGS` with `folder` bind-mounted read-only at `folder`/../mounted, in a mount namespace of its own
    (nothing is left mounted whatever happens; `--map-root-user` lets a non-root user do it where user namespaces are on)."""
    mounted = folder.parent / "mounted"
    mounted.mkdir(exist_ok=True)
    script = (f'mount --bind "{folder}" "{mounted}" && mount -o remount,bind,ro "{mounted}" && '
              f'! touch "{mounted}/probe" 2>/dev/null && exec "$0" -m mjtui "$@"')
    return subprocess.run(["unshare", "--mount", "--map-root-user", "sh", "-c", script, sys.executable, *args],
                          capture_output=True, text=True, timeout=60, cwd=folder.parent)


def a_journal(folder: Path, *prompts: str) -> Journal:
    """A journal in `folder` with one finished job per prompt (j-1, j-2, ...); left open, its WAL holds the last one."""
    journal = Journal(folder / "journal.sqlite3")
    for number, prompt in enumerate(prompts, start=1):
        job = Job.model_validate({"jobid": f"j-{number}", "status": "completed", "prompt": prompt, "channel": "111"})
        journal.record_poll("main", [], [(f"j-{number}", job)], 1_800_000_000.0 + number)
    return journal


def test_history_and_export_read_a_journal_on_a_read_only_mount(tmp_path: Path) -> None:
    folder = tmp_path / "journals"
    folder.mkdir()
    a_journal(folder, "a lighthouse").close()
    journal = str(tmp_path / "mounted" / "journal.sqlite3")
    shown = on_a_read_only_mount(folder, "--journal", journal, "history")
    assert shown.returncode == 0, shown.stderr
    assert "j-1" in shown.stdout and "a lighthouse" in shown.stdout and shown.stderr == ""
    exported = on_a_read_only_mount(folder, "--journal", journal, "export")
    assert exported.returncode == 0 and '"jobId":"j-1"' in exported.stdout
    assert sorted(path.name for path in folder.iterdir()) == ["journal.sqlite3"], "nothing was written beside it"


def test_a_read_only_journal_whose_latest_writes_cannot_be_read_says_so(tmp_path: Path) -> None:
    """A copy taken while a dashboard wrote it: the WAL came along, its index did not, and SQLite cannot read the
    WAL without one on a read-only mount. History shows what it can, and says the newest jobs may be missing."""
    live, copy = tmp_path / "live", tmp_path / "copy"
    live.mkdir()
    copy.mkdir()
    writer = a_journal(live, "older", "newest")
    for name in ("journal.sqlite3", "journal.sqlite3-wal"):
        (copy / name).write_bytes((live / name).read_bytes())
    writer.close()
    shown = on_a_read_only_mount(copy, "--journal", str(tmp_path / "mounted" / "journal.sqlite3"), "history")
    assert shown.returncode == 0, shown.stderr
    assert "journal.sqlite3-wal" in shown.stderr and "newest jobs may be missing" in shown.stderr


@pytest.mark.parametrize(("args", "said"), [
    (("--account", "ip", "seed", "m-1"), "mjtui: account 'ip' is imaginepro, which has no seed endpoint; "
                                           "choose another account with --account"),
    (("--account", "ip", "reset", "1234567890", "--yes"), "mjtui: account 'ip' is imaginepro, which has no moderation "
                                                          "reset; choose another account with --account"),
    (("--readonly", "--account", "main", "fast"), "mjtui: --readonly: not sending /fast"),
])
def test_a_refused_action_exits_2_and_is_not_audited(tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    journal = tmp_path / "journal.sqlite3"
    result = run("--demo", "--journal", str(journal), *args)
    assert result.exit_code == 2 and result.stderr.strip().splitlines() == [said]
    if journal.exists():
        with Journal(journal) as opened:
            assert opened.actions() == [], "nothing was sent, so nothing is audited"
