"""Take `prometheus.png`: Prometheus's graph page of `mjtui_channel_running_jobs`, scraped from `mjtui metrics`.

    python screenshots/prometheus.py [--out FILE] [--seconds 120]

Runs `mjtui sim` (4 channels, 20x speed), `mjtui metrics` against it and Debian's `prometheus` scraping it every
2 s, all on loopback with their files in a temporary folder, waits while the graph fills, then photographs the
graph page with Debian's chromium driven by playwright. Needs /usr/bin/prometheus and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
PROMETHEUS, CHROMIUM = "/usr/bin/prometheus", "/usr/bin/chromium"
QUERY = "mjtui_channel_running_jobs"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[str]]:
    """A child process for the duration, its output in `log`; terminated (then killed) at the end."""
    with log.open("w") as out:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()


def wait_for(url: str, pattern: str, seconds: float = 30.0) -> re.Match[str]:
    """Poll `url` until its body matches `pattern`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = re.search(pattern, httpx.get(url, timeout=2).text)
        except httpx.HTTPError:
            found = None
        if found:
            return found
        time.sleep(0.5)
    raise SystemExit(f"{url}: no {pattern!r} within {seconds:g} s")


def sim_token(log: Path, seconds: float = 30.0) -> str:
    """The token `mjtui sim` printed for its account."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = re.search(r"token = (\S+)", log.read_text())
        if found:
            return found.group(1)
        time.sleep(0.2)
    raise SystemExit(f"mjtui sim printed no token: {log.read_text()[-500:]}")


def photograph(url: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out), full_page=True)  # the legend under the graph too
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "prometheus.png")
    parser.add_argument("--seconds", type=float, default=120.0, help="how long the graph fills (real seconds)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mjtui-shot-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        env = {**os.environ, "XDG_CONFIG_HOME": tmp, "XDG_DATA_HOME": tmp, "XDG_STATE_HOME": tmp}  # no user config
        env.pop("MJTUI_CONFIG", None)
        sim_port, metrics_port, web_port = free_port(), free_port(), free_port()
        mjtui = [sys.executable, "-m", "mjtui"]
        stack.enter_context(running([*mjtui, "sim", "--port", str(sim_port), "--channels", "4", "--seed", "3",
                                     "--speed", "20"], env, folder / "sim.log"))
        env = {**env, "MJTUI_TOKEN": sim_token(folder / "sim.log"), "MJTUI_BASE_URL": f"http://127.0.0.1:{sim_port}"}
        stack.enter_context(running([*mjtui, "--refresh", "2", "--journal", str(folder / "journal.sqlite3"),
                                     "metrics", "--port", str(metrics_port)], env, folder / "metrics.log"))
        wait_for(f"http://127.0.0.1:{metrics_port}/metrics", QUERY)
        (folder / "prometheus.yml").write_text(
            "global: {scrape_interval: 2s}\n"
            f"scrape_configs: [{{job_name: mjtui, static_configs: [{{targets: ['127.0.0.1:{metrics_port}']}}]}}]\n")
        stack.enter_context(running([PROMETHEUS, f"--config.file={folder / 'prometheus.yml'}",
                                     f"--storage.tsdb.path={folder / 'data'}",
                                     f"--web.listen-address=127.0.0.1:{web_port}"], env, folder / "prometheus.log"))
        web = f"http://127.0.0.1:{web_port}"
        wait_for(f"{web}/api/v1/query?query={QUERY}", '"result":\\[\\{')
        time.sleep(args.seconds)
        minutes = max(1, round(args.seconds / 60))
        photograph(f"{web}/graph?g0.expr={QUERY}&g0.tab=0&g0.range_input={minutes}m&g0.stacked=0", args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
