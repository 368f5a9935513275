"""Measures taken in a real pseudo-terminal: start-up, idle CPU, and bytes written per idle minute.

The dashboard runs as a user starts it (`mjtui --config ... --journal ...`, the
real CLI) in a child process on a 120x40 pty, polling a simulator served over
HTTP by a second child (a quiet world: every slot busy with a job that runs for
hours, no simulated user), so nothing changes but the elapsed clocks. The
service's CPU is not the dashboard's, which is why it lives in its own process.
The children are in `benchmarks.child`.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import median
from benchmarks.report import Row

COLUMNS, LINES = 120, 40
ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- the parent's side -----------------------------------------------------------------------------------


@dataclass
class SimServer:
    process: subprocess.Popen
    origin: str
    tokens: dict[str, str]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_sim(scenario: str, latency: float = 0.0) -> SimServer:
    process = subprocess.Popen([sys.executable, "-m", "benchmarks.child", "sim", scenario, repr(latency)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait()
        raise RuntimeError(f"the simulator for {scenario} did not start (exit {process.returncode})")
    info = json.loads(line)
    return SimServer(process, f"http://127.0.0.1:{info['port']}", info["tokens"])


def write_config(directory: Path, sim: SimServer) -> Path:
    lines = ["refresh_seconds = 10", ""]
    for name, token in sim.tokens.items():
        lines += [f"[accounts.{name}]", 'provider = "useapi"', f'token = "{token}"', f'base_url = "{sim.origin}"', ""]
    path = directory / "config.toml"
    path.write_text("\n".join(lines))
    path.chmod(0o600)
    return path


@dataclass
class PtyRun:
    """A child on a pty of COLUMNS x LINES, its output drained (and counted) by a thread."""

    process: subprocess.Popen
    master: int
    out: Path
    t0: float
    chunks: list[tuple[float, int]] = field(default_factory=list)
    reader: threading.Thread | None = None

    def paints(self, count: int, timeout: float) -> list[float] | None:
        """The child's first `count` reported paints (seconds since spawn), or None if it never reported them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            exited = self.process.poll() is not None
            lines = self.out.read_text().split() if self.out.exists() else []
            if len(lines) >= count:
                return [float(line) for line in lines[:count]]
            if exited:
                return None
            time.sleep(0.01)
        return None

    def bytes_between(self, start: float, end: float) -> int:
        return sum(size for when, size in list(self.chunks) if start <= when < end)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the dashboard exits cleanly on SIGTERM
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.reader is not None:
            self.reader.join(2)
        os.close(self.master)


def spawn(args: list[str], out: Path, *, exit_after_paint: bool) -> PtyRun:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    # A cache of its own (where mjtui remembers a terminal's graphics): the first start in a run pays for asking.
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", BENCH_OUT=str(out),
               XDG_CACHE_HOME=str(out.parent / "cache"),
               BENCH_EXIT="1" if exit_after_paint else "0", COLUMNS=str(COLUMNS), LINES=str(LINES))
    env.pop("TEXTUAL", None)
    t0 = time.monotonic()
    env["BENCH_T0"] = repr(t0)
    process = subprocess.Popen([sys.executable, "-m", "benchmarks.child", *args], cwd=ROOT, env=env,
                               stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    run = PtyRun(process, master, out, t0)

    def drain() -> None:
        while True:
            try:
                ready, _, _ = select.select([master], [], [], 0.5)
                if not ready:
                    if process.poll() is not None:
                        return
                    continue
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            run.chunks.append((time.monotonic(), len(data)))

    run.reader = threading.Thread(target=drain, daemon=True)
    run.reader.start()
    return run


def dashboard_args(config: Path, journal: Path) -> list[str]:
    return ["dashboard", "--config", str(config), "--journal", str(journal)]


def startup(runs: int, scenarios: list[str]) -> list[Row]:
    """Process start to first frame and to live data: the bare app, the floor and the dashboard, alternated, in one run.

    A scenario named `NAME@SECONDS` is served that many seconds away (each answer held back so long): there
    the dashboard's live data is compared with the floor only, which pays the same distance.

    Each ratio is the median of the runs' own ratios (a dashboard start over the bare app's or the floor's start in
    the same round, seconds apart): this VM's speed drifts between rounds by more than the margins measured here.
    """
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="mjtui-bench-") as tmp:
        directory = Path(tmp)
        bare: dict[int, float] = {}
        first: dict[str, dict[int, float]] = {name: {} for name in scenarios}
        results: dict[str, dict[int, float]] = {name: {} for name in scenarios}
        floors: dict[str, dict[int, float]] = {name: {} for name in scenarios}
        sims = {}
        try:
            configs = {}
            for name in scenarios:
                scenario, _, latency = name.partition("@")
                sims[name] = sim = start_sim(scenario, float(latency or 0))
                (directory / name).mkdir()
                configs[name] = write_config(directory / name, sim)
            # One start of each, not counted: the first start on a machine (or in a fresh cache directory, as each
            # run here has) pays once for what later starts find ready (asking the terminal what graphics it has,
            # the OS's file caches); counted, it made one sample in five an outlier and moved the medians.
            for name in sims if runs > 1 else ():  # (not in --quick's single run, which only proves the measure works)
                first_paints(dashboard_args(configs[name], directory / name / "warm.sqlite3"), directory / name / "warm",
                             120, count=2)
                first_paint(["bare"], directory / name / "bare-warm", 60)
            for index in range(runs):
                if (seconds := first_paint(["bare"], directory / f"bare-{index}", 60)) is not None:
                    bare[index] = seconds
                for name, sim in sims.items():
                    journal = directory / name / f"journal-{index}.sqlite3"
                    if (paints := first_paints(dashboard_args(configs[name], journal),
                                               directory / name / f"out-{index}", 120, count=2)) is not None:
                        first[name][index], results[name][index] = paints
                    if (seconds := first_paint(["floor", sim.origin, *sim.tokens.values()],
                                               directory / name / f"floor-{index}", 60)) is not None:
                        floors[name][index] = seconds
        finally:
            for sim in sims.values():
                sim.stop()
    base = median(list(bare.values()))
    for name in scenarios:
        value = median(list(results[name].values()))
        distant = "@" in name
        if not distant:
            shown = median(list(first[name].values()))
            ratio = paired_ratio(first[name], bare)
            rows.append(Row(
                "start to first frame (x bare Textual app)", name, round(ratio, 2), "x",
                f"{ratio:.2f}x ({shown:.2f} s vs {base:.2f} s)", "<= 1.3x", ratio <= 1.3 if ratio == ratio else None,
                note=(f"median of {runs} runs' ratios, each on a {COLUMNS}x{LINES} pty (one uncounted start of each "
                      "first): `mjtui --config` (the real command, journal file) until the first frame written with "
                      "every account's header (its name, 'connecting'), vs a bare App until its first frame; the "
                      "times shown are the medians"),
                details={"dashboard_s": list(first[name].values()), "bare_s": list(bare.values())},
            ))
        floor = median(list(floors[name].values()))
        ratio = paired_ratio(results[name], floors[name])
        rows.append(Row(
            "start to live data (x floor: bare app + httpx + pydantic + list GETs)", name,
            round(ratio, 2), "x", f"{ratio:.2f}x ({value:.2f} s vs {floor:.2f} s)", "<= 1.25x",
            ratio <= 1.25 if ratio == ratio else None,
            note=("the same dashboard runs, until the first frame written with every account's jobs in laid-out "
                  "panes, vs a floor measured alongside (the median of each round's ratio): a bare Textual app "
                  "that, once mounted, GETs each account's running-jobs list with httpx (no certificate store: the "
                  "simulator is plain http) and validates it with a one-field pydantic model, until its first frame "
                  "showing the total (the least a monitor on mjtui's core dependencies does before its jobs are on "
                  "screen)"
                  + (f"; the service {name.partition('@')[2]} s away" if distant else "")),
            details={"dashboard_s": list(results[name].values()), "floor_s": list(floors[name].values())},
        ))
    return rows


def paired_ratio(measured: dict[int, float], against: dict[int, float]) -> float:
    """The median over rounds of `measured / against` in the same round (nan when no round has both)."""
    ratios = [measured[index] / against[index] for index in measured if index in against]
    return median(ratios) if ratios else float("nan")


def first_paint(args: list[str], out: Path, timeout: float) -> float | None:
    """Seconds from spawning a child to its reported first paint (it exits right after), or None."""
    paints = first_paints(args, out, timeout)
    return paints[0] if paints else None


def first_paints(args: list[str], out: Path, timeout: float, count: int = 1) -> list[float] | None:
    """Seconds from spawning a child to each of its `count` reported paints (it exits after the last), or None."""
    run = spawn(args, out, exit_after_paint=True)
    paints = run.paints(count, timeout)
    run.stop()
    return paints


def idle(seconds: float, scenarios: list[str], settle: float = 3.0) -> list[Row]:
    """The dashboard left open on a quiet service: CPU and bytes to the terminal while only clocks tick."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="mjtui-bench-") as tmp:
        directory = Path(tmp)
        for name in scenarios:
            sim = start_sim(name)
            run = None
            try:
                config = write_config(directory, sim)
                run = spawn(dashboard_args(config, directory / f"journal-{name}.sqlite3"), directory / f"out-{name}",
                            exit_after_paint=False)
                if run.paints(2, 120) is None:  # the first frame, then every account's jobs
                    raise RuntimeError(f"the dashboard on {name} never painted")
                time.sleep(settle)  # the first poll's final fetches and the journal's first writes
                start, cpu0 = time.monotonic(), run.cpu_seconds()
                time.sleep(seconds)
                end, cpu1 = time.monotonic(), run.cpu_seconds()
                written = run.bytes_between(start, end)
            finally:
                if run is not None:
                    run.stop()
                sim.stop()
            wall = end - start
            cpu = 100 * (cpu1 - cpu0) / wall
            per_minute = written * 60 / wall
            rows.append(Row(
                "idle CPU, nothing changing (elapsed clocks ticking)", name, round(cpu, 2), "% of one core",
                f"{cpu:.2f}% of one core", "< 2%", cpu < 2.0,
                note=(f"utime+stime of the dashboard process over {wall:.0f} s of real time at 1 tick/s, polls every 10 s "
                      "(the service in another process)"),
                details={"cpu_seconds": round(cpu1 - cpu0, 3), "wall_seconds": round(wall, 2)},
            ))
            rows.append(Row(
                f"bytes to the terminal per idle minute at {COLUMNS}x{LINES}", name, round(per_minute / 1024, 2), "KB/min",
                f"{per_minute / 1024:.1f} KB/min", "< 50 KB", per_minute < 50 * 1024,
                note=f"bytes read from the pty master over {wall:.0f} s, scaled to a minute",
                details={"bytes": written, "wall_seconds": round(wall, 2)},
            ))
    return rows
