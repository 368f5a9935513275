"""The `mjtui` command as a user runs it: a subprocess against `mjtui sim` on a loopback port.

Every command goes through `Cli.run`, which also checks what a user must never
see: a traceback, or a token in full. Where the simulated jobs have to move,
tests poll (with a deadline) instead of sleeping a fixed time.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w
from support.cli import MJTUI, clean_env, poll
from support.hostile_server import HostileServer, answer, bomb, drip, endless

from mjtui import __version__
from mjtui.api.client import CALL_DEADLINE_FACTOR
from mjtui.clock import ManualClock
from mjtui.connections import demo_simulator
from mjtui.sim.world import World
from mjtui.text import mask_secret

SIM_ARGS = ("--seed", "5", "--speed", "50", "--channels", "3", "--imaginepro")
UNKNOWN_JOB = "j1124120000123456789i-u00000-c0000000000000000000-bot:midjourney"
CANCELLED = "Job cancelled by user"
FINAL = ("completed", "failed", "moderated")
SIM_LINE = re.compile(r"^account (\S+) \((\w+)\): token = (\S+)(?:  token_id = (\d+))?  channels: (.*)$", re.M)


# -- the simulator, as a process ----------------------------------------------------------------------


@dataclass
class SimProcess:
    process: subprocess.Popen
    stderr_path: Path
    base_url: str
    tokens: dict[str, str]
    channels: dict[str, list[str]]
    token_id: int

    def http(self, account: str = "main") -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.tokens[account]}"}, timeout=10)

    def running(self) -> dict[str, Any]:
        with self.http() as http:
            return http.get("/v3/midjourney/jobs").raise_for_status().json()

    def job(self, jobid: str) -> dict[str, Any]:
        with self.http() as http:
            return http.get("/v2/jobs/", params={"jobid": jobid}).raise_for_status().json()

    def set_mode(self, mode: str, channel: str) -> None:
        with self.http() as http:
            http.post(f"/v2/jobs/{mode}", json={"channel": channel}).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_sim(directory: Path, home: Path, *extra: str) -> SimProcess:
    """Start `mjtui sim --port 0 ...` and read its base URL and tokens from what it prints."""
    out_path, err_path = directory / "sim.out", directory / "sim.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen([*MJTUI, "sim", "--port", "0", *SIM_ARGS, *extra],
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=clean_env(home))

    def ready() -> str | None:
        text = out_path.read_text(encoding="utf-8")
        if "Ctrl+C stops it." in text:
            return text
        if process.poll() is not None:
            pytest.fail(f"mjtui sim exited with {process.returncode}: {err_path.read_text(encoding='utf-8')}")
        return None

    try:
        text = poll(ready, "mjtui sim to start")
    except BaseException:
        process.kill()
        process.wait(timeout=10)
        raise
    base_url = re.search(r"^base_url = (\S+)$", text, re.M)[1]
    tokens, channels, token_id = {}, {}, 0
    for name, _provider, token, tid, channel_list in SIM_LINE.findall(text):
        tokens[name] = token
        channels[name] = channel_list.split(", ")
        token_id = int(tid) if tid else token_id
    return SimProcess(process, err_path, base_url, tokens, channels, token_id)


def sim_fixture(tmp_path_factory: pytest.TempPathFactory, cli: Cli, *extra: str) -> Iterator[SimProcess]:
    sim = start_sim(tmp_path_factory.mktemp("sim"), cli.home, *extra)
    cli.secrets.update(sim.tokens.values())
    try:
        yield sim
    finally:
        sim.stop()
    assert "Traceback" not in sim.stderr_path.read_text(encoding="utf-8")


# -- running the command ------------------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.strip().splitlines()


PEAK_REPORTER = """\
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


@dataclass
class Cli:
    home: Path
    secrets: set[str] = field(default_factory=set)

    def run(self, *args: str, config: Path | None = None, env: dict[str, str] | None = None, timeout: float = 30) -> Result:
        """Run `mjtui [--config CONFIG] ARGS` with stdin not a terminal; check no traceback and no token leaks."""
        argv = [*MJTUI, *(["--config", str(config)] if config else []), *args]
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                              env=clean_env(self.home, env))
        return self._checked(Result(done.returncode, done.stdout.decode("utf-8", "replace"),
                                    done.stderr.decode("utf-8", "replace")), args)

    def run_measured(self, *args: str, config: Path, directory: Path) -> tuple[Result, float]:
        """`run`, also returning the most memory (RSS, in MB) the mjtui process ever held.

        Measured by a small parent of its own: Linux counts a child's peak from its parent's at the fork,
        and this test process may itself be large by then.
        """
        report = directory / "peak-rss"
        argv = [sys.executable, "-c", PEAK_REPORTER, str(report), *MJTUI, "--config", str(config), *args]
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60, env=clean_env(self.home))
        result = Result(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))
        peak = int(report.read_text(encoding="ascii"))  # kB on Linux, bytes on macOS
        return self._checked(result, args), peak / (1024 if sys.platform != "darwin" else 2**20)

    def _checked(self, result: Result, args: tuple[str, ...]) -> Result:
        shown = result.out + result.err
        assert "Traceback" not in shown, shown
        for secret in self.secrets:
            assert secret not in shown, f"a token was printed in full by mjtui {' '.join(args)}"
        return result

    def ok(self, *args: str, **options: Any) -> Result:
        result = self.run(*args, **options)
        assert result.code == 0, (args, result)
        return result


def write_config(path: Path, accounts: dict[str, dict[str, Any]]) -> Path:
    path.write_text(tomli_w.dumps({"accounts": accounts}), encoding="utf-8")
    path.chmod(0o600)
    return path


def sim_accounts(sim: SimProcess) -> dict[str, dict[str, Any]]:
    return {
        "main": {"provider": "useapi", "token": sim.tokens["main"], "base_url": sim.base_url},
        "ip": {"provider": "imaginepro", "token": sim.tokens["ip"], "token_id": sim.token_id, "base_url": sim.base_url},
    }


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli(home=tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory, cli: Cli) -> Iterator[SimProcess]:
    yield from sim_fixture(tmp_path_factory, cli)


@pytest.fixture(scope="module")
def moderated_sim(tmp_path_factory: pytest.TempPathFactory, cli: Cli) -> Iterator[SimProcess]:
    yield from sim_fixture(tmp_path_factory, cli, "--faults", "moderation_after=5")


@pytest.fixture(scope="module")
def config(sim: SimProcess, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(tmp_path_factory.mktemp("config") / "config.toml", sim_accounts(sim))


@pytest.fixture(scope="module")
def limits(sim: SimProcess) -> dict[str, tuple[int, int, int]]:
    """Each channel's (maxJobs, maxImageJobs, maxVideoJobs), from the same seed's world built in-process."""
    twin = World(seed=5, channels=3, imaginepro=True, autopilot=False)
    assert {name: account.token for name, account in twin.accounts.items()} == sim.tokens, "the twin world differs from the sim"
    return {cid: (ch.max_jobs, ch.max_image_jobs, ch.max_video_jobs) for cid, ch in twin.channels.items()}


def newest_running_job(sim: SimProcess, channel: str | None = None) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        jobs = [job for cid, entry in sim.running()["channels"].items() if channel in (None, cid) for job in entry["jobs"]]
        return max(jobs, key=lambda job: job["created"]) if jobs else None

    return poll(probe, "a running job")


@pytest.fixture(scope="module")
def completed_job(sim: SimProcess) -> str:
    """An imagine or button job that has completed, found by following the running list."""
    followed: set[str] = set()

    def probe() -> str | None:
        for entry in sim.running()["channels"].values():
            followed.update(job["jobId"] for job in entry["jobs"] if job["jobType"] == "image")
        for jobid in sorted(followed):
            record = sim.job(jobid)
            if record["status"] == "completed" and record["verb"] in ("imagine", "button"):
                return jobid
        return None

    return poll(probe, "a completed image job", interval=0.2)


# -- jobs and job -------------------------------------------------------------------------------------


def test_jobs_lists_every_channel_with_its_limits_and_json_is_the_apis_object(
    cli: Cli, sim: SimProcess, config: Path, limits: dict[str, tuple[int, int, int]]
) -> None:
    channels = sim.channels["main"]

    def all_channels_shown() -> tuple[Result, dict[str, re.Match[str]]] | None:
        result = cli.ok("--account", "main", "jobs", config=config)  # one account: as before #20 (test_cli_daily: all)
        lines = {cid: re.search(rf"^channel {cid}  jobs (\d+)/(\d+)( FULL)?  images \d+/(\d+)  videos \d+/(\d+)$",
                                result.out, re.M)
                 for cid in channels}
        return (result, lines) if all(lines.values()) else None

    result, lines = poll(all_channels_shown, "every channel to have running jobs")
    assert re.match(r"main: \d+ running \(\d+ images?, \d+ videos?\) in 3 channels", result.out)
    for cid, line in lines.items():
        running, max_jobs = int(line[1]), int(line[2])
        assert (max_jobs, int(line[4]), int(line[5])) == limits[cid]
        assert 0 < running <= max_jobs
        assert bool(line[3]) == (running == max_jobs)
    assert len(re.findall(r"^  j\S+:midjourney\s+(?:image|video) ", result.out, re.M)) >= 3

    data = json.loads(cli.ok("--account", "main", "jobs", "--json", config=config).out)
    assert {"total", "images", "videos", "channels"} <= set(data)
    assert set(data["channels"]) <= set(channels) and data["channels"]
    assert data["total"] == sum(entry["total"] for entry in data["channels"].values())
    for cid, entry in data["channels"].items():
        assert (entry["maxJobs"], entry["maxImageJobs"], entry["maxVideoJobs"]) == limits[cid]
        assert "max_jobs" not in entry and len(entry["jobs"]) == entry["total"] <= entry["maxJobs"]
        for job in entry["jobs"]:
            assert {"jobId", "channel", "jobType", "created", "elapsed"} <= set(job) and "job_id" not in job
            assert job["channel"] == cid and ":" in job["jobId"]


def test_job_shows_a_completed_record_and_its_json(cli: Cli, sim: SimProcess, config: Path, completed_job: str) -> None:
    shown = cli.ok("job", completed_job, config=config).out
    assert re.search(rf"^job +{re.escape(completed_job)}$", shown, re.M)
    assert re.search(r"^status +completed$", shown, re.M)
    assert re.search(r"^buttons +U1  U2  U3  U4  🔄  V1  V2  V3  V4$", shown, re.M) or "Vary (Subtle)" in shown
    assert re.search(rf"^attachment +\S+\.png  \d+x\d+  [\d.]+ K?B  {re.escape(sim.base_url)}/attachments/", shown, re.M)
    assert re.search(r"^prompt +\S", shown, re.M)

    record = json.loads(cli.ok("job", completed_job, "--json", config=config).out)
    assert record["jobid"] == completed_job and record["status"] == "completed"
    assert record["verb"] in ("imagine", "button") and record["channel"] in sim.channels["main"]
    assert {"created", "updated", "prompt", "buttons", "attachments", "maxJobs", "messageId"} <= set(record)
    assert "…secured…" in record["discord"]


def test_job_of_a_running_job_shows_its_progress(cli: Cli, sim: SimProcess, config: Path) -> None:
    channel = sim.channels["main"][0]
    sim.set_mode("relax", channel)  # long enough to still be running when the command asks
    try:
        def running_record() -> str | None:
            jobid = newest_running_job(sim, channel)["jobId"]
            shown = cli.ok("job", jobid, config=config).out
            return shown if re.search(r"^status +progress$", shown, re.M) else None

        shown = poll(running_record, "a job in progress when shown")
    finally:
        sim.set_mode("fast", channel)
    percentage = re.search(r"^progress +(\d+)%$", shown, re.M)[1]
    assert 0 < int(percentage) < 100
    assert re.search(rf"^content +\*\*.+\*\* - <@\d+> \({percentage}%\) \((fast|relax)\)$", shown, re.M)


def test_unknown_job_is_a_404_on_one_line(cli: Cli, sim: SimProcess, config: Path) -> None:
    result = cli.run("job", UNKNOWN_JOB, config=config)
    assert result.code == 1 and result.out == ""
    assert len(result.err_lines) == 1
    assert "404" in result.err and f"Unable to locate job {UNKNOWN_JOB}" in result.err


# -- modes --------------------------------------------------------------------------------------------


def test_relax_turbo_fast_switch_the_mode_info_shows(cli: Cli, sim: SimProcess, config: Path) -> None:
    channel = sim.channels["main"][1]

    def mode_shown() -> str:
        info = cli.ok("info", "--channel", channel, config=config).out.replace("*", "")
        assert "Your info" in info
        return re.search(r"^Job Mode: (\w+)$", info, re.M)[1]

    assert "do not consume fast-hours" in cli.ok("relax", "--channel", channel, config=config).out
    assert mode_shown() == "Relax"
    assert "Turbo mode enabled" in cli.ok("turbo", "--channel", channel, config=config).out
    assert mode_shown() == "Turbo"
    assert "Switching to fast mode" in cli.ok("fast", "--channel", channel, config=config).out
    assert mode_shown() == "Fast"

    several = cli.run("info", config=config)
    assert several.code == 2 and len(several.err_lines) == 1
    assert "has 3 channels: pass --channel ID" in several.err and all(cid in several.err for cid in sim.channels["main"])


# -- cancel -------------------------------------------------------------------------------------------


def test_cancel_with_yes_cancels_a_running_job(cli: Cli, sim: SimProcess, config: Path) -> None:
    channel = sim.channels["main"][0]
    sim.set_mode("relax", channel)
    try:
        def cancelled() -> str | None:
            jobid = newest_running_job(sim, channel)["jobId"]
            result = cli.run("cancel", jobid, "--yes", config=config)
            if result.code == 0:
                assert result.out.strip() == f"cancelled {jobid}"
                return jobid
            assert result.code == 1 and "409" in result.err and "not running" in result.err  # it finished first
            return None

        jobid = poll(cancelled, "a cancel that reaches a running job")
    finally:
        sim.set_mode("fast", channel)
    shown = cli.ok("job", jobid, config=config).out
    assert re.search(r"^status +failed$", shown, re.M)
    assert re.search(rf"^error +{CANCELLED}$", shown, re.M)
    running = sim.running()["channels"].get(channel, {"jobs": []})["jobs"]
    assert jobid not in {job["jobId"] for job in running}


@pytest.mark.parametrize(("args", "said"), [
    (("cancel", "{jobid}"), "pass --yes"),
    (("--readonly", "cancel", "{jobid}", "--yes"), "--readonly"),
], ids=["no-terminal-no-yes", "readonly"])
def test_cancel_refused_exits_2_and_leaves_the_job_alone(cli: Cli, sim: SimProcess, config: Path, args: tuple[str, ...],
                                                         said: str) -> None:
    jobid = newest_running_job(sim)["jobId"]
    result = cli.run(*(arg.format(jobid=jobid) for arg in args), config=config)
    assert result.code == 2 and result.out == ""
    assert len(result.err_lines) == 1 and said in result.err
    assert sim.job(jobid).get("error") != CANCELLED


# -- seed ---------------------------------------------------------------------------------------------


def test_seed_waits_for_the_seed_then_answers_at_once(cli: Cli, sim: SimProcess, config: Path, completed_job: str) -> None:
    waited = cli.ok("seed", completed_job, "--wait", "--interval", "0.5", config=config).out.splitlines()
    assert re.fullmatch(r"seed \d+", waited[0])
    urls = waited[1:]
    assert len(urls) == 4 and len(set(urls)) == 4
    assert all(url.startswith(f"{sim.base_url}/attachments/") and url.endswith(".png") for url in urls)
    image = httpx.get(urls[0], timeout=10)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")

    again = cli.ok("seed", completed_job, config=config).out.splitlines()
    assert again == waited


# -- accounts, tokens, moderation ---------------------------------------------------------------------


def test_reset_without_yes_and_no_terminal_exits_2(cli: Cli, sim: SimProcess, config: Path) -> None:
    result = cli.run("reset", sim.channels["main"][0], config=config)
    assert result.code == 2 and len(result.err_lines) == 1 and "pass --yes" in result.err


def test_imaginepro_commands_jobs_job_cancel_and_toggle(cli: Cli, sim: SimProcess, config: Path) -> None:
    sent = cli.ok("--account", "ip", "info", config=config).out
    message = re.search(r"^/info sent: message (\S+); follow it with: mjtui job \1$", sent, re.M)[1]
    progress = cli.ok("--account", "ip", "job", message, config=config).out
    assert re.search(rf"^job +{message}$", progress, re.M) and re.search(r"^status +completed$", progress, re.M)

    cancelled = cli.run("--account", "ip", "cancel", message, "--yes", config=config)
    assert cancelled.code == 1 and len(cancelled.err_lines) == 1
    assert "only while a job is in progress" in cancelled.err

    jobs = cli.ok("--account", "ip", "jobs", config=config).out
    header = re.search(rf"^channel token {sim.token_id} \((\d+)\)  jobs \d+/\d+.*  queued \d+(?: \(\d+ relax\))?"
                       r"  mode \w+  fast left ",
                       jobs, re.M)
    assert header, jobs

    off = cli.ok("--account", "ip", "toggle", str(sim.token_id), "--off", "--yes", config=config).out
    assert off.strip() == f"linked account {sim.token_id} is now inactive"
    listed = json.loads(cli.ok("--account", "ip", "jobs", "--json", config=config).out)
    assert [(account["id"], account["isActive"]) for account in listed["accounts"]] == [(sim.token_id, False)]
    assert "…" in listed["accounts"][0]["token"], "the linked Discord token is masked"
    on = cli.ok("--account", "ip", "toggle", str(sim.token_id), "--yes", config=config).out
    assert on.strip() == f"linked account {sim.token_id} is now active"
    wrong = cli.run("--account", "ip", "toggle", "305861768420567154", "--off", "--yes", config=config)
    assert wrong.code == 1 and wrong.err_lines == [
        "mjtui: 305861768420567154 is no linked Discord account of account 'ip' (mjtui jobs lists them): nothing sent"]
    with sim.http("ip") as http:
        assert [link["isActive"] for link in http.get("/api/v1/discord/tokens").json()] == [True], "none made inactive"
    refused = cli.run("--account", "main", "toggle", "12", "--yes", config=config)
    assert refused.code == 2 and "account 'main' is useapi, which has no account toggle" in refused.err


def test_wrong_token_fails_naming_the_account_not_the_token(cli: Cli, sim: SimProcess, tmp_path: Path) -> None:
    wrong = "user:0000-" + "0123456789abcdef" * 2
    cli.secrets.add(wrong)
    config = write_config(tmp_path / "wrong.toml", {"main": {"provider": "useapi", "token": wrong, "base_url": sim.base_url}})
    result = cli.run("jobs", config=config)
    assert result.code == 1 and len(result.err_lines) == 1
    assert "401" in result.err and "account 'main'" in result.err


def test_moderation_halt_says_what_to_do_and_reset_clears_it(cli: Cli, moderated_sim: SimProcess, tmp_path: Path) -> None:
    config = write_config(tmp_path / "moderated.toml", sim_accounts(moderated_sim))
    channel = moderated_sim.channels["main"][0]  # the simulator halts the first channel

    def halted() -> Result | None:
        result = cli.run("jobs", config=config)
        return result if result.code != 0 else None

    result = poll(halted, "the simulated moderation message (5 s)")
    assert result.code == 1 and len(result.err_lines) == 1
    assert "596" in result.err and "acknowledge the moderation message in Discord" in result.err
    assert f"mjtui reset {channel}" in result.err

    assert cli.ok("reset", channel, "--yes", config=config).out.strip() == f"channel {channel} reset"
    poll(lambda: True if channel in cli.ok("jobs", config=config).out else None, "the reset channel to run jobs again")


# -- configuration ------------------------------------------------------------------------------------


def test_bad_config_names_the_key_on_one_line(cli: Cli, sim: SimProcess, tmp_path: Path) -> None:
    accounts = sim_accounts(sim)
    accounts["ip"]["token_id"] = str(sim.token_id)
    result = cli.run("--account", "ip", "info", config=write_config(tmp_path / "bad.toml", accounts))
    assert result.code == 2 and len(result.err_lines) == 1
    assert "accounts.ip.token_id" in result.err and "integer" in result.err


def test_no_config_and_no_token_exits_2_with_a_hint(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty-home"
    empty.mkdir()
    result = cli.run("jobs", env={"HOME": str(empty), "XDG_CONFIG_HOME": str(empty / ".config")})
    assert result.code == 2 and len(result.err_lines) == 1
    assert "mjtui config init" in result.err and "MJTUI_TOKEN" in result.err


def test_token_and_base_url_from_the_environment_alone_work(cli: Cli, sim: SimProcess) -> None:
    result = cli.ok("jobs", env={"MJTUI_TOKEN": sim.tokens["main"], "MJTUI_BASE_URL": sim.base_url})
    assert re.match(r"env: \d+ running", result.out)
    assert any(f"channel {cid}" in result.out for cid in sim.channels["main"])


def test_config_path_honours_the_option_then_the_environment(cli: Cli, tmp_path: Path) -> None:
    given, from_env = tmp_path / "given.toml", tmp_path / "env.toml"
    assert cli.ok("--config", str(given), "config", "path").out.strip() == str(given)
    assert cli.ok("config", "path", env={"MJTUI_CONFIG": str(from_env)}).out.strip() == str(from_env)
    assert cli.ok("--config", str(given), "config", "path", env={"MJTUI_CONFIG": str(from_env)}).out.strip() == str(given)
    assert cli.ok("config", "path").out.strip() == str(cli.home / ".config" / "mjtui" / "config.toml")


def test_config_show_masks_every_token(cli: Cli, sim: SimProcess, config: Path) -> None:
    shown = cli.ok("config", "show", config=config).out
    for token in sim.tokens.values():
        assert mask_secret(token) in shown
    assert str(sim.token_id) in shown

    view = json.loads(cli.ok("config", "show", "--json", config=config).out)
    assert view["accounts"]["main"]["token"] == mask_secret(sim.tokens["main"])
    assert view["accounts"]["ip"]["token"] == mask_secret(sim.tokens["ip"])
    assert view["accounts"]["ip"]["origin"] == sim.base_url


def test_config_init_writes_a_private_file_and_will_not_overwrite_it(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "config.toml"
    written = cli.ok("config", "init", config=path)
    assert str(path) in written.out and "USEAPI_TOKEN" in written.out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text(encoding="utf-8")
    assert 'token_env = "USEAPI_TOKEN"' in first

    refused = cli.run("config", "init", "--provider", "imaginepro", "--token-id", "7", config=path)
    assert refused.code == 2 and len(refused.err_lines) == 1 and "--force" in refused.err
    assert path.read_text(encoding="utf-8") == first

    cli.ok("config", "init", "--provider", "imaginepro", "--token-id", "7", "--force", config=path)
    assert 'provider = "imaginepro"' in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(("faults", "said"), [
    ("bogus", "unknown fault profile 'bogus' (profiles: none, flaky,"),
    ("flaky,rate_limit=-1", "rate_limit='-1': "),
])
def test_sim_refuses_a_bad_fault_profile_on_one_line(cli: Cli, faults: str, said: str) -> None:
    result = cli.run("sim", "--port", "0", "--faults", faults)
    assert result.code == 2 and result.out == ""
    assert result.err_lines == [result.err.strip()] and said in result.err and "--faults" in result.err


def test_sim_with_latency_answers_that_late_as_a_distant_service_would(cli: Cli, tmp_path: Path) -> None:
    sim = start_sim(tmp_path, cli.home, "--latency", "0.4")
    try:
        assert "answers 0.4 s late" in (tmp_path / "sim.out").read_text(encoding="utf-8")
        headers = {"Authorization": f"Bearer {sim.tokens['main']}"}
        with httpx.Client(base_url=sim.base_url, headers=headers) as client:
            for _ in range(2):  # the first on a new connection, the second on the same one: each is late
                started = time.monotonic()
                assert client.get("/v3/midjourney/jobs").status_code == 200
                assert time.monotonic() - started >= 0.4
    finally:
        sim.stop()


def test_version(cli: Cli) -> None:
    assert cli.ok("--version").out.strip() == f"mjtui, version {__version__}"


def test_demo_jobs_needs_no_config(cli: Cli) -> None:
    demo = demo_simulator(clock=ManualClock())  # the same seed as the subprocess's demo, so the same tokens
    cli.secrets.update(account.token for account in demo.world.accounts.values())
    result = cli.ok("--demo", "jobs")
    assert re.match(r"main: \d+ running", result.out)
    assert re.search(r"^channel \d+  jobs \d+/\d+", result.out, re.M)


# -- hostile servers: answers with a size and a deadline (issue 14) -----------------------------------

TOKEN = "user:4242-0123456789abcdefHOSTILEtest"
RECORDED = answer("200 OK", "X-Recorded: yes", b"{}")


def one_account(path: Path, base_url: str, **settings: Any) -> Path:
    return write_config(path, {"main": {"provider": "useapi", "token": TOKEN, "base_url": base_url, **settings}})


@pytest.mark.parametrize(("attack", "timeout", "said"), [
    (bomb, 0.5, "the answer is larger than 8 MB: not read further (GET /v3/midjourney/jobs)"),
    (endless, 0.5, "the answer is larger than 8 MB: not read further (GET /v3/midjourney/jobs)"),
    # 20 KB/s, fast enough for each read and for the rate an answer must keep: only the call's deadline ends it
    (lambda: drip(interval=0.05, seconds=10, piece=1024), 0.2,
     f"no answer in time: not complete within {0.2 * CALL_DEADLINE_FACTOR:g} s (GET /v3/midjourney/jobs)"),
], ids=["gzip-bomb", "endless-chunked", "drip"])
def test_jobs_against_a_hostile_server_fails_on_one_line_in_bounded_memory(
    cli: Cli, tmp_path: Path, attack, timeout: float, said: str
) -> None:
    cli.secrets.add(TOKEN)
    with HostileServer(attack()) as server:
        config = one_account(tmp_path / "config.toml", server.url, timeout=timeout)
        result, peak_mb = cli.run_measured("jobs", config=config, directory=tmp_path)
    assert result.code == 1 and result.err_lines == [f"mjtui: {said}"]
    assert peak_mb < 160, f"mjtui jobs held {peak_mb:.0f} MB (alone it holds ~50 MB; the cap is 8 MB)"
    assert server.requests == ["GET /v3/midjourney/jobs HTTP/1.1"]


@pytest.mark.parametrize(("header", "said"), [
    ("1e20", "retry after 1h"), ("150", "retry after 2m30s"),
])
def test_a_huge_retry_after_is_printed_as_at_most_an_hour(cli: Cli, tmp_path: Path, header: str, said: str) -> None:
    cli.secrets.add(TOKEN)
    with HostileServer(answer("429 Too Many Requests", f"Retry-After: {header}", b'{"error": "slow down"}')) as server:
        result = cli.run("jobs", config=one_account(tmp_path / "config.toml", server.url))
    assert result.code == 1
    assert result.err_lines == [f"mjtui: 429 Too Many Requests: slow down (GET /v3/midjourney/jobs); {said}"]


# -- ids that cannot be ids are never sent (issue 14) ------------------------------------------------


@pytest.mark.parametrize(("args", "said"), [
    (("cancel", ".", "--yes"), "'.' is not a job id"),
    (("cancel", "..", "--yes"), "'..' is not a job id"),
    (("reset", "..", "--yes"), "'..' is not a channel id"),
    (("seed", "j1/../../v2/x"), "'j1/../../v2/x' is not a job id"),
], ids=["cancel-dot", "cancel-dotdot", "reset-dotdot", "seed-path"])
def test_an_id_that_cannot_be_one_exits_2_before_any_request(cli: Cli, tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    cli.secrets.add(TOKEN)
    with HostileServer(RECORDED) as server:
        result = cli.run(*args, config=one_account(tmp_path / "config.toml", server.url))
    assert result.code == 2 and result.out == ""
    assert len(result.err_lines) == 1 and result.err.startswith(f"mjtui: {said}")
    assert result.err.rstrip().endswith("not sent")
    assert server.requests == []


# -- --base-url (issue 14) -------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "said"), [
    ("http://[::1", "is not a URL"),
    ("http://127.0.0.1:99999", "has an invalid port"),
    ("http://me:secret@127.0.0.1:8787", "must not contain a user name or password"),
])
def test_a_bad_base_url_option_is_one_line_and_exit_2(cli: Cli, sim: SimProcess, config: Path, url: str, said: str) -> None:
    result = cli.run("--account", "main", "--base-url", url, "jobs", config=config)
    assert result.code == 2 and result.out == ""
    assert len(result.err_lines) == 1 and result.err.startswith(f"mjtui: --base-url {said}")
    assert "secret" not in result.err


def test_base_url_applies_to_one_account_and_is_refused_with_several_without_account(
    cli: Cli, sim: SimProcess, tmp_path: Path
) -> None:
    with HostileServer(RECORDED) as elsewhere:
        accounts = sim_accounts(sim)
        for account in accounts.values():
            account["base_url"] = elsewhere.url  # the config points away; --base-url points at the simulator
        config = write_config(tmp_path / "config.toml", accounts)
        refused = cli.run("--base-url", sim.base_url, "jobs", config=config)
        used = cli.run("--account", "main", "--base-url", sim.base_url, "jobs", config=config)
    assert refused.code == 2 and refused.err_lines == [
        "mjtui: --base-url applies to one account: add --account NAME (accounts: main, ip)"]
    assert used.code == 0 and used.out.startswith("main: ")
    assert elsewhere.requests == []


# -- tokens that cannot be sent (issue 14) -----------------------------------------------------------


NON_ASCII_TOKEN = "user:4242-0123456789\u2019abcdef"  # a typographic apostrophe pasted with it


def test_a_non_ascii_token_in_the_config_is_one_line_naming_the_account(cli: Cli, tmp_path: Path) -> None:
    cli.secrets.add(NON_ASCII_TOKEN)
    config = write_config(tmp_path / "config.toml", {"main": {"token": NON_ASCII_TOKEN, "base_url": "http://127.0.0.1:9"}})
    result = cli.run("jobs", config=config)
    assert result.code == 2 and len(result.err_lines) == 1
    assert f"{config}: accounts.main.token: must be ASCII" in result.err


@pytest.mark.parametrize("variable", ["USEAPI_TOKEN", "MJTUI_TOKEN"])
def test_a_non_ascii_token_in_the_environment_is_one_line_naming_where_it_came_from(
    cli: Cli, tmp_path: Path, variable: str
) -> None:
    cli.secrets.add(NON_ASCII_TOKEN)
    with HostileServer(RECORDED) as server:
        config = write_config(tmp_path / "config.toml", {"main": {"token_env": "USEAPI_TOKEN", "base_url": server.url}})
        result = cli.run("jobs", config=config if variable == "USEAPI_TOKEN" else None,
                         env={variable: NON_ASCII_TOKEN, "MJTUI_BASE_URL": server.url})
    assert result.code == 2 and len(result.err_lines) == 1
    named = ("account 'main': the token in environment variable USEAPI_TOKEN must be ASCII"
             if variable == "USEAPI_TOKEN" else "MJTUI_TOKEN: must be ASCII")
    assert result.err.startswith(f"mjtui: {named}")
    assert server.requests == []


def test_running_jobs_line_up_under_the_widest_id_and_skip_limits_the_service_lacks():
    from mjtui import cli
    from mjtui.api.client import UseapiClient
    from mjtui.api.models import RunningJobs
    from mjtui.connections import Connection
    from mjtui.monitor.snapshot import snapshot_of
    from mjtui.providers.useapi import Useapi

    jobs = [{"jobId": job_id, "jobType": "image", "created": "2026-12-05T08:00:00Z", "elapsed": "00:10"}
            for job_id in ("short-1", "a-much-longer-job-id-2")]
    running = RunningJobs.model_validate({"total": 2, "channels": {"123": {"total": 2, "maxJobs": 3, "jobs": jobs}}})
    connection = Connection("main", Useapi("main", UseapiClient("a-token-never-sent")))
    lines = cli.format_running(snapshot_of(running, 0.0), connection)
    assert lines[2] == "channel 123  jobs 2/3", "no image/video limits in the list: none shown"
    assert [line.index(" image ") for line in lines[3:]] == [len("  a-much-longer-job-id-2")] * 2


def test_the_summary_counts_what_runs_and_what_waits_as_the_service_counts_them():
    from mjtui import cli
    from mjtui.api.client import UseapiClient
    from mjtui.connections import Connection
    from mjtui.monitor.snapshot import ChannelStats, JobRow, Snapshot
    from mjtui.providers.useapi import Useapi

    rows = {f"m{n}": JobRow(f"m{n}", "c1", "image", "", 10, 0.0) for n in range(3)}  # the 4 queued are not listed
    stats = ChannelStats(3, 3, 0, 3, None, None, queued=4, queued_relax=1)
    snapshot = Snapshot(0.0, {"c1": stats}, {"c1": rows})
    lines = cli.format_running(snapshot, Connection("ip", Useapi("ip", UseapiClient("a-token-never-sent"))))
    assert lines[0] == "ip: 3 running (3 images, 0 videos), 4 queued in 1 channel"
    assert lines[2] == "channel c1  jobs 3/3 FULL  queued 4 (1 relax)", "no queue limit: no '/?'"
