"""`python -m benchmarks [--quick] [--json PATH] [--only NAME,...]`: every scenario against the simulator.

Prints a table and writes JSON. Each measure runs in a fresh process, so one does not
inherit another's heap (a full garbage collection over the large scenario's objects
would slow the memory run) and a crash stays contained. Exit status 0 when every
measure ran (whether or not it met its target), 1 when one crashed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks import backlog, headless, journal, metrics, terminal
from benchmarks.report import Row, machine, table, write_json
from benchmarks.scenarios import CHURN, SCENARIOS, SMALL

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"


@dataclass(frozen=True)
class Sizes:
    """How much of each measure to run: --quick proves the suite runs; the full run gives numbers to quote."""

    request_rounds: int
    warm_rounds: int
    poll_rounds: int
    ticks: int
    presses: int
    inspections: int
    memory_hours: float
    memory_warmup_hours: float
    memory_screens_every: int  # polls between opening and closing help, the inspector and history
    journal_polls: int
    startup_runs: int
    terminal_scenarios: tuple[str, ...]
    distant_scenarios: tuple[str, ...]  # start-up also against these, served 0.1 s away
    idle_seconds: float
    idle_settle: float
    backlog: tuple[int, float, float]  # polls, answers held back (s), real seconds per 10 s poll
    metrics: tuple[float, float]  # mjtui metrics left running: simulated hours measured, after these of warm-up


DISTANCE = 0.1  # seconds: a round trip from a laptop to a proxy's data centre, roughly

QUICK = Sizes(request_rounds=2, warm_rounds=1, poll_rounds=2, ticks=3, presses=4, inspections=1, memory_hours=1 / 12,
              memory_warmup_hours=1 / 12, memory_screens_every=30, journal_polls=4, startup_runs=1,
              terminal_scenarios=("small",), distant_scenarios=("small",), idle_seconds=3.0, idle_settle=1.0,
              backlog=(5, 0.09, 1.5), metrics=(1 / 30, 1 / 60))
FULL = Sizes(request_rounds=10, warm_rounds=2, poll_rounds=30, ticks=30, presses=60, inspections=20, memory_hours=24.0,
             memory_warmup_hours=2.0, memory_screens_every=30, journal_polls=50, startup_runs=9,
             terminal_scenarios=("small", "large"), distant_scenarios=("small", "large"), idle_seconds=60.0,
             idle_settle=3.0, backlog=(18, 0.3, 10.0), metrics=(24.0, 2.0))


def measures(sizes: Sizes) -> dict[str, Callable[[], list[Row]]]:
    return {
        "requests": lambda: [row for scenario in (SMALL, CHURN)
                             for row in asyncio.run(headless.requests_only(scenario, sizes.request_rounds))],
        "large": lambda: asyncio.run(
            headless.large(sizes.poll_rounds, sizes.ticks, sizes.presses, sizes.inspections, sizes.warm_rounds)),
        "journal": lambda: journal.journal_write(sizes.journal_polls),
        "backlog": lambda: asyncio.run(backlog.final_backlog(*sizes.backlog)),
        "memory": lambda: asyncio.run(headless.memory(
            sizes.memory_hours, sizes.memory_warmup_hours, samples_per_hour=4 if sizes.memory_hours >= 2 else 60,
            screens_every=sizes.memory_screens_every)),
        "startup": lambda: terminal.startup(sizes.startup_runs, [*sizes.terminal_scenarios,
                                                                 *(f"{name}@{DISTANCE}" for name in sizes.distant_scenarios)]),
        "metrics": lambda: asyncio.run(metrics.metrics_idle(*sizes.metrics)),
        "metrics-churn": lambda: asyncio.run(metrics.metrics_churn(*sizes.metrics)),
        "idle": lambda: terminal.idle(sizes.idle_seconds, list(sizes.terminal_scenarios), sizes.idle_settle),
    }


def crashed_row(name: str, error: str, details: dict | None = None) -> Row:
    return Row(name, "-", None, "", "crashed", "-", False, note=error, details=details or {})


def run_here(name: str, sizes: Sizes) -> list[Row]:
    """One measure in this process; a crash becomes a failed row."""
    try:
        return measures(sizes)[name]()
    except Exception as exc:  # noqa: BLE001 - one broken measure must not hide the others
        return [crashed_row(name, f"{type(exc).__name__}: {exc}", {"traceback": traceback.format_exc()})]


def run(sizes: Sizes, names: list[str], *, quick: bool, log: Callable[[str], None] = print) -> list[Row]:
    """Run each measure in a fresh process, one after the other (never two at once: they time things)."""
    rows: list[Row] = []
    for name in names:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="mjtui-bench-") as tmp:
            part = Path(tmp) / "rows.json"
            command = [sys.executable, "-m", "benchmarks", "--measure", name, "--json", str(part)]
            done = subprocess.run(command + (["--quick"] if quick else []), cwd=Path(__file__).resolve().parent.parent,
                                  capture_output=True, text=True)
            if part.exists():
                rows += [Row(**row) for row in json.loads(part.read_text())]
            else:
                rows.append(crashed_row(name, f"exit {done.returncode}: {done.stderr.strip()[-500:]}"))
        log(f"  {name}: {time.perf_counter() - started:.1f} s")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run that proves every measure works (~30 s)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write the results (default {DEFAULT_JSON})")
    parser.add_argument("--only", help=f"comma-separated measures to run, of: {', '.join(measures(QUICK))}")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # a child: run one measure, write its rows
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.measure:
        args.json.write_text(json.dumps([asdict(row) for row in run_here(args.measure, sizes)], default=str))
        return 0
    names = list(measures(sizes))
    if args.only:
        names = [name.strip() for name in args.only.split(",")]
        unknown = set(names) - set(measures(sizes))
        if unknown:
            parser.error(f"unknown measure(s): {', '.join(sorted(unknown))}")
    info = machine()
    print(f"mjtui benchmarks ({'quick' if args.quick else 'full'}): {info['nproc']} CPUs, Python {info['python']}, "
          f"Textual {info['textual']}, {info['platform']}")
    print("scenarios: " + "; ".join(f"{s.name} = {s.describe()}" for s in SCENARIOS))
    started = time.perf_counter()
    rows = run(sizes, names, quick=args.quick)
    crashed = any(row.shown == "crashed" for row in rows)
    seconds = time.perf_counter() - started
    print()
    print(table(rows))
    write_json(args.json, rows, quick=args.quick, seconds=seconds)
    print(f"\n{seconds:.0f} s; results in {args.json}")
    return 1 if crashed else 0


if __name__ == "__main__":
    raise SystemExit(main())
