"""The journal's write per poll at 1,200 running jobs, on its writer thread, as the dashboard queues it."""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.harness import median, p95
from benchmarks.report import Row
from benchmarks.scenarios import LARGE
from mjtui.api.client import UseapiClient
from mjtui.clock import ManualClock
from mjtui.monitor.snapshot import diff, snapshot_of
from mjtui.sim import SIM_ORIGIN


def _journal_api():
    """The store's Journal and JournalWriter, or None while the journal is not there yet."""
    try:
        from mjtui.store import Journal, JournalWriter
    except ImportError:
        return None
    if not hasattr(Journal, "record_poll"):
        return None
    return Journal, JournalWriter


async def _polls(count: int):
    """`count` polls of the large world, 10 s apart, as one account's record_poll arguments would carry them.

    Every running job of every account goes into one call (1,200 rows: the worst case
    of a single account holding them all) with the final state of each job that left.
    """
    clock = ManualClock()
    sim = LARGE.build(clock)
    clients = [UseapiClient(sim.token(name), SIM_ORIGIN, transport=sim.transport()) for name in sim.world.accounts]
    previous = None
    polls = []
    try:
        for _ in range(count + 1):
            now = clock.now()
            snapshots = [snapshot_of(await client.running_jobs(), now) for client in clients]
            rows = [row for snapshot in snapshots for rows in snapshot.jobs.values() for row in rows.values()]
            finals = []
            if previous is not None:
                for client, old, new in zip(clients, previous, snapshots, strict=True):
                    for row in diff(old, new).removed:
                        finals.append((row.job_id, await client.job(row.job_id)))
                polls.append((rows, finals, now))
            previous = snapshots
            clock.advance(10)
    finally:
        for client in clients:
            await client.aclose()
    return polls


def journal_write(polls: int) -> list[Row]:
    api = _journal_api()
    if api is None:
        return [Row("journal write per poll, p95", "large", None, "ms", "not yet measured", "< 10 ms, off the UI thread",
                    None, note="mjtui.store has no Journal.record_poll yet")]
    Journal, JournalWriter = api
    samples = asyncio.run(_polls(polls))
    write_times: list[float] = []
    submit_times: list[float] = []
    checkpoint_times: list[float] = []
    threads: set[str] = set()
    errors: list[BaseException] = []
    with tempfile.TemporaryDirectory(prefix="mjtui-bench-") as tmp:
        journal = Journal(Path(tmp) / "journal.sqlite3", clock=ManualClock())
        checkpoint = getattr(journal, "checkpoint", None)
        if checkpoint is not None:

            def timed_checkpoint() -> None:  # the writer's, between polls: measured apart, never hidden
                start = time.perf_counter()
                checkpoint()
                if len(checkpoint_times) < len(write_times):  # the one after each write; later ones find nothing to do
                    checkpoint_times.append(time.perf_counter() - start)

            journal.checkpoint = timed_checkpoint
        writer = JournalWriter(journal, on_error=errors.append)

        def timed(rows, finals, at) -> None:  # noqa: ANN001
            threads.add(threading.current_thread().name)
            start = time.perf_counter()
            journal.record_poll("main", rows, finals, at)
            write_times.append(time.perf_counter() - start)

        try:
            for rows, finals, at in samples:
                start = time.perf_counter()
                future = writer.submit(timed, rows, finals, at)
                submit_times.append(time.perf_counter() - start)
                future.result(30)  # one at a time: each write measured alone, as a 10 s poll interval allows
                writer.flush(30)  # and its checkpoint before the next write, as a 10 s poll interval allows
        finally:
            writer.close()
            journal.close()
    ui_thread = threading.current_thread().name
    off_ui = bool(threads) and ui_thread not in threads
    rows_per_poll = round(sum(len(rows) for rows, _, _ in samples) / len(samples))
    finals_per_poll = round(sum(len(finals) for _, finals, _ in samples) / len(samples))
    value = p95(write_times)
    between = f"; WAL checkpoint between polls p95 {p95(checkpoint_times) * 1000:.1f} ms" if checkpoint_times else ""
    return [Row(
        "journal write per poll, p95", "large", round(value * 1000, 2), "ms",
        f"{value * 1000:.1f} ms on {'/'.join(sorted(threads))}; submit {p95(submit_times) * 1e6:.0f} us{between}",
        "< 10 ms, off the UI thread", value < 0.010 and off_ui and not errors,
        note=(f"Journal.record_poll in a WAL file via JournalWriter: {rows_per_poll} running rows + {finals_per_poll} final "
              f"states per poll, {len(samples)} polls; the caller's cost is the submit; the writer thread checkpoints "
              f"the WAL when idle, timed apart"),
        details={"samples_ms": [round(x * 1000, 3) for x in write_times], "median_ms": round(median(write_times) * 1000, 3),
                 "submit_us": [round(x * 1e6, 1) for x in submit_times], "errors": [str(e) for e in errors],
                 "checkpoint_ms": [round(x * 1000, 3) for x in checkpoint_times]},
    )]
