"""The CLI on a midjourney-proxy account: the simulated gateway served on loopback, reached through a config file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.cli import clean_env
from support.loopback import serving

from mjtui.cli import main
from mjtui.clock import ManualClock
from mjtui.sim.proxy import ProxySimulator

TOKEN_ENV = "MJPROXY_TOKEN"


class Gateway:
    """A simulated gateway on a port, with a config naming it and a way to run `mjtui` against it."""

    def __init__(self, flavor: str, origin: str, sim: ProxySimulator, clock: ManualClock, home: Path) -> None:
        self.flavor, self.sim, self.clock, self.home = flavor, sim, clock, home
        self.config = home / "config.toml"
        self.config.write_text(f'[accounts.pool]\nprovider = "midjourney-proxy"\nbase_url = "{origin}"\n'
                               f'token_env = "{TOKEN_ENV}"\n', encoding="utf-8")
        self.config.chmod(0o600)

    def run(self, *args: str, token: str | None = None, journal: str = ":memory:") -> Result:
        env = clean_env(self.home, {TOKEN_ENV: token or self.sim.admin_token})
        return CliRunner().invoke(main, ["--config", str(self.config), "--journal", journal, *args], env=env)

    def submit(self, prompt: str = "a red fox") -> str:
        task, _, _ = self.sim.world.imagine(prompt)
        return task.id

    def channel(self) -> str:
        return next(account.channel_id for account in self.sim.world.accounts.values() if account.usable)


@pytest.fixture(params=["trueai", "plus", "original"])
def gateway(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Gateway]:
    clock = ManualClock()
    sim = ProxySimulator.build(flavor=request.param, clock=clock, seed=7, accounts=3, autopilot=False)
    with serving(sim.app) as origin:
        yield Gateway(request.param, origin, sim, clock, tmp_path)


def one_line(result: Result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_jobs_lists_every_account_and_json_is_the_gateways_objects(gateway: Gateway) -> None:
    task_id = gateway.submit("a lighthouse in a storm")
    gateway.clock.advance(5)
    shown = gateway.run("jobs")
    assert shown.exit_code == 0, shown.output
    for account in gateway.sim.world.accounts.values():
        assert f"({account.channel_id})" in shown.output or f"channel {account.channel_id}" in shown.output
    assert task_id in shown.output and "a lighthouse in a storm" in shown.output
    dumped = gateway.run("jobs", "--json")
    document = json.loads(dumped.output)
    assert document["dialect"] == gateway.flavor
    assert {account["coreSize"] for account in document["accounts"]}  # camelCase, as the gateway sent it
    assert task_id in {task["id"] for task in document["tasks"]}


def test_job_shows_the_task_and_its_json(gateway: Gateway) -> None:
    task_id = gateway.submit()
    gateway.clock.advance(3600)
    shown = gateway.run("job", task_id)
    assert shown.exit_code == 0 and "completed" in shown.output and "a red fox" in shown.output
    document = json.loads(gateway.run("job", task_id, "--json").output)
    assert document["id"] == task_id and document["status"] == "SUCCESS"


def test_an_unknown_task_is_one_line_and_exit_1(gateway: Gateway) -> None:
    result = gateway.run("job", "1234567890123")
    assert result.exit_code == 1
    assert "no task 1234567890123" in one_line(result)


def test_cancel_works_where_the_dialect_has_it_and_is_a_usage_error_where_not(gateway: Gateway) -> None:
    task_id = gateway.submit()
    result = gateway.run("cancel", task_id, "--yes")
    if gateway.flavor == "original":
        assert result.exit_code == 2 and "no cancel" in one_line(result)
        assert gateway.sim.world.tasks[task_id].final_status is None
    else:
        assert result.exit_code == 0, result.output
        assert gateway.sim.world.tasks[task_id].final_status in ("FAILURE", "CANCEL")


@pytest.mark.parametrize("gateway", ["trueai", "plus"], indirect=True)
def test_cancel_of_an_unknown_or_finished_task_is_one_line_exit_1_and_sends_nothing(gateway: Gateway) -> None:
    unknown = gateway.run("cancel", "1234567890123456", "--yes")
    assert unknown.exit_code == 1
    assert "no task 1234567890123456: nothing to cancel" in one_line(unknown)
    finished = gateway.submit()
    gateway.clock.advance(3600)
    result = gateway.run("cancel", finished, "--yes")
    assert result.exit_code == 1
    assert f"task {finished} has already finished (completed): nothing to cancel" in one_line(result)
    assert gateway.sim.requests["POST /mj/task/{id}/cancel"] == 0
    assert gateway.sim.world.tasks[finished].status(gateway.sim.world.now) == "SUCCESS"


def test_relax_and_info_name_the_account_by_its_channel(gateway: Gateway) -> None:
    channel = gateway.channel()
    relax = gateway.run("relax", "--channel", channel)
    info = gateway.run("info", "--channel", channel)
    if gateway.flavor == "original":
        assert (relax.exit_code, info.exit_code) == (2, 2)
        return
    assert relax.exit_code == 0, relax.output
    assert info.exit_code == 0 and "mode relax" in info.output


def test_seed_prints_the_seed(gateway: Gateway) -> None:
    task_id = gateway.submit()
    gateway.clock.advance(3600)
    result = gateway.run("seed", task_id)
    if gateway.flavor == "original":
        assert result.exit_code == 2
        return
    assert result.exit_code == 0, result.output
    assert f"seed {gateway.sim.world.tasks[task_id].seed}" in result.output


def test_reset_re_enables_the_halted_account(gateway: Gateway) -> None:
    halted = next(account for account in gateway.sim.world.accounts.values() if not account.usable)
    result = gateway.run("reset", halted.channel_id, "--yes")
    if gateway.flavor == "original":
        assert result.exit_code == 2
        return
    assert result.exit_code == 0, result.output
    assert halted.usable


def test_the_discord_credentials_never_reach_the_output_the_journal_or_the_log(gateway: Gateway) -> None:
    secrets = [value for account in gateway.sim.world.accounts.values()
               for value in (account.user_token, account.login_password, account.login_2fa, account.invitation) if value]
    halted = next(account for account in gateway.sim.world.accounts.values() if not account.usable)
    journal = str(gateway.home / "journal.sqlite3")
    runs = [("jobs",), ("jobs", "--json")]
    if gateway.flavor != "original":  # reset reads the account's record in full, and is journalled and logged
        runs += [("info", "--channel", gateway.channel(), "--json"), ("reset", halted.channel_id, "--yes")]
    outputs = [gateway.run("--log-level", "debug", *args, journal=journal) for args in runs]
    assert [result.exit_code for result in outputs] == [0] * len(runs), [result.output for result in outputs]
    assert json.loads(outputs[1].output)["accounts"]
    written = [path.read_bytes() for path in gateway.home.rglob("*") if path.is_file()]
    if gateway.flavor != "original":  # the journal and the log were written: the look below means something
        assert sum(b"reset" in data for data in written) >= 2
    seen = [result.output for result in outputs] + [data.decode("utf-8", "replace") for data in written]
    assert [secret for secret in secrets if any(secret in text for text in seen)] == []


@pytest.mark.parametrize("gateway", ["trueai"], indirect=True)
def test_a_user_token_on_trueai_is_one_line_asking_for_an_admin_token(gateway: Gateway) -> None:
    result = gateway.run("jobs", token=gateway.sim.user_token)
    assert result.exit_code == 1
    line = one_line(result)
    assert "admin token" in line and "account 'pool'" in line
    assert gateway.sim.user_token not in result.output
