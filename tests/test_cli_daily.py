"""The CLI in daily use (issue 20): commands that need a channel, `jobs` over every account, counts, `--demo`'s ids.

Run in-process (CliRunner) against the simulator served on loopback, so each test takes a fraction of a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from support.cli import run_in_process as run
from support.dashboard import Wire, wire
from support.loopback import serving

from mjtui import cli
from mjtui.clock import ManualClock
from mjtui.sim import Simulator


@pytest.fixture(scope="module")
def sim() -> Simulator:
    """main: two useapi channels; alt1: one (and an ImaginePro account the tests leave out)."""
    return Simulator.build(clock=ManualClock(), seed=11, channels=3, accounts=2, imaginepro=True, warmup=60)


@pytest.fixture(scope="module")
def recorded(sim: Simulator) -> Wire:
    return wire(sim)


@pytest.fixture(scope="module")
def origin(sim: Simulator, recorded: Wire) -> Iterator[str]:
    with serving(sim.app) as url:
        yield url


USEAPI = ("main", "alt1")  # ImaginePro's one request per 3 s would make a test wait


def write_config(path: Path, sim: Simulator, origin: str, names: tuple[str, ...] = USEAPI,
                 **extra: dict[str, Any]) -> Path:
    accounts = {}
    for name in names:
        account = sim.world.accounts[name]
        accounts[name] = {"provider": account.provider, "token": account.token, "base_url": origin, **extra.get(name, {})}
    path.write_text(tomli_w.dumps({"accounts": accounts}), encoding="utf-8")
    path.chmod(0o600)
    return path


def posts(recorded: Wire) -> list[str]:
    return [path for method, path, _, _ in recorded.log if method == "POST"]


# -- 10a: a command without --channel on an account of several channels ----------------------------------------


@pytest.mark.parametrize("named", [False, True], ids=["channels-from-a-poll", "channels-from-the-config"])
def test_info_without_a_channel_on_an_account_of_several_is_a_usage_error_listing_them(
        sim: Simulator, origin: str, recorded: Wire, tmp_path: Path, named: bool) -> None:
    main_channels = sim.world.accounts["main"].channels
    extra = {"main": {"channels": {cid: f"studio-{n}" for n, cid in enumerate(main_channels)}}} if named else {}
    config = str(write_config(tmp_path / "config.toml", sim, origin, **extra))
    sent_before = posts(recorded)
    result = run("--config", config, "--journal", ":memory:", "info")
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("mjtui: info: account 'main' has 2 channels: pass --channel ID")
    for n, cid in enumerate(main_channels):
        assert (f"studio-{n} ({cid})" if named else cid) in line
    assert posts(recorded) == sent_before, "nothing was sent"

    alone = run("--config", config, "--journal", ":memory:", "--account", "alt1", "info")
    assert alone.exit_code == 0 and "Your info" in alone.stdout, "one channel: no need to name it"


# -- 10b: jobs covers every account ------------------------------------------------------------------------------


def test_jobs_lists_every_account_in_a_block_of_its_own_and_account_narrows_it(
        sim: Simulator, origin: str, tmp_path: Path) -> None:
    config = str(write_config(tmp_path / "config.toml", sim, origin))
    every = run("--config", config, "--journal", ":memory:", "jobs")
    assert every.exit_code == 0, every.output
    blocks = every.stdout.split("\n\n")
    heads = [block.split(":")[0] for block in blocks if not block.startswith("channel ")]
    assert heads == ["main", "alt1"]
    assert all(f"\nchannel {cid}  jobs " in every.stdout for name in USEAPI for cid in sim.world.accounts[name].channels)

    narrowed = run("--config", config, "--journal", ":memory:", "--account", "alt1", "jobs")
    assert narrowed.stdout.startswith("alt1: ") and "main: " not in narrowed.stdout

    keyed = json.loads(run("--config", config, "--journal", ":memory:", "jobs", "--json").stdout)
    assert list(keyed) == ["main", "alt1"]
    assert set(keyed["main"]["channels"]) <= set(sim.world.accounts["main"].channels)
    alone = json.loads(run("--config", config, "--journal", ":memory:", "--account", "alt1", "jobs", "--json").stdout)
    assert set(alone) >= {"total", "channels"}, "one account: the API's own object, as before"


def test_jobs_when_one_account_fails_shows_the_others_names_it_and_exits_1(
        sim: Simulator, origin: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    write_config(config, sim, origin, main={"token": "user:1-a-token-the-service-never-issued"})
    result = run("--config", str(config), "--journal", ":memory:", "jobs")
    assert result.exit_code == 1
    assert result.stdout.startswith("alt1: ") and "main: " not in result.stdout
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("mjtui: 401 Unauthorized: the token for account 'main'")

    keyed = json.loads(run("--config", str(config), "--journal", ":memory:", "jobs", "--json").stdout)
    assert list(keyed) == ["alt1"]


# -- 10c: counts read as English -------------------------------------------------------------------------------


def test_one_of_a_kind_is_counted_in_the_singular() -> None:
    from mjtui.api.client import UseapiClient
    from mjtui.connections import Connection
    from mjtui.monitor.snapshot import ChannelStats, JobRow, Snapshot
    from mjtui.providers.useapi import Useapi

    rows = {"m1": JobRow("m1", "c1", "image", "", 10, 0.0), "m2": JobRow("m2", "c1", "video", "", 10, 0.0)}
    snapshot = Snapshot(0.0, {"c1": ChannelStats(2, 1, 1, 3, None, None)}, {"c1": rows})
    lines = cli.format_running(snapshot, Connection("main", Useapi("main", UseapiClient("a-token-never-sent"))))
    assert lines[0] == "main: 2 running (1 image, 1 video) in 1 channel"


# -- 10d: --demo's ids do not outlive the call that printed them ------------------------------------------------

UNKNOWN_JOB = "j1124120000123456789i-u00000-c0000000000000000000-bot:midjourney"  # as `jobs --demo` prints, a call ago


@pytest.mark.parametrize("command", [("job", UNKNOWN_JOB), ("cancel", UNKNOWN_JOB, "--yes"), ("seed", UNKNOWN_JOB)])
def test_an_id_the_demo_does_not_know_says_the_demo_is_a_new_world_each_call(
        sim: Simulator, origin: str, tmp_path: Path, command: tuple[str, ...]) -> None:
    demo = run("--demo", "--journal", ":memory:", *command)
    assert demo.exit_code == 1
    failure, hint = demo.stderr.strip().splitlines()
    assert failure.startswith("mjtui: 404 Not Found: ")
    assert hint == "mjtui: the demo is a new world each call: run `mjtui sim` and point a config at it"

    config = str(write_config(tmp_path / "config.toml", sim, origin))
    served = run("--config", config, "--journal", ":memory:", *command)
    assert served.exit_code == 1 and "new world" not in served.stderr, "a real service's 404 is only the 404"


def test_jobs_with_an_account_that_has_no_token_lists_the_others_and_names_it_once(
        sim: Simulator, origin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MJTUI_TEST_UNSET_TOKEN", raising=False)
    config = tmp_path / "config.toml"
    write_config(config, sim, origin)
    accounts = tomli_w.dumps({"accounts": {"spare": {"provider": "useapi", "token_env": "MJTUI_TEST_UNSET_TOKEN"}}})
    config.write_text(config.read_text(encoding="utf-8") + "\n" + accounts, encoding="utf-8")
    result = run("--config", str(config), "--journal", ":memory:", "jobs")
    assert result.exit_code == 1
    assert result.stdout.startswith("main: ") and "\n\nalt1: " in result.stdout
    assert result.stderr.strip().splitlines() == [
        "mjtui: account 'spare': environment variable MJTUI_TEST_UNSET_TOKEN is not set"]
