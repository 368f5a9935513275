"""Starting `mjtui metrics` from the command line: accounts, journal and socket checked, then served until stopped."""

from __future__ import annotations

import asyncio
import socket
import sys

from mjtui.clock import SystemClock
from mjtui.lease import Leases
from mjtui.metrics.exporter import PROCESS, MetricsExporter, run_until_stopped
from mjtui.options import Failure, Options, UsageProblem
from mjtui.store import MEMORY, Journal, JournalError
from mjtui.text import clean
from mjtui.timers import LoopTimers

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
DEMO_REFRESH = 10.0


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one); a UsageProblem, one line, when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except (OSError, OverflowError) as exc:
        raise UsageProblem(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None


def beyond_loopback_warning(host: str, port: int) -> str | None:
    """What to say before listening anywhere but loopback: /metrics has no secret."""
    if host in LOOPBACK_HOSTS:
        return None
    return (f"mjtui metrics: warning: {host}:{port} is reachable beyond this machine, over plain HTTP and with no "
            f"secret: whoever reaches it reads your account and channel names and job counts (nothing in it acts on "
            f"them). Prefer loopback with Prometheus on this host, or a firewall that lets only Prometheus in")


def run_metrics(options: Options, host: str, port: int) -> int:
    """Poll every configured account (or `--account`'s) and serve /metrics until SIGTERM or Ctrl+C."""
    connections, problems = options.connect_every()
    for name, reason in problems.items():
        print(f"mjtui: warning: account '{clean(name)}' left out: {clean(reason)}", file=sys.stderr)
    if not connections:
        raise Failure("no account to poll")
    warning = beyond_loopback_warning(host, port)
    if warning:
        print(warning, file=sys.stderr)
    sock = listen(host, port)
    journal = _journal(options)
    refresh = options.refresh or (DEMO_REFRESH if options.demo else options.config().refresh_seconds)
    clock = SystemClock()
    # the demo's world is this process's own: nothing to share with another
    leases = Leases(journal, PROCESS, clock) if journal is not None and journal.path != MEMORY and not options.demo else None
    exporter = MetricsExporter(connections, clock=clock, timers=LoopTimers(), refresh_seconds=refresh, journal=journal,
                               leases=leases)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"mjtui metrics on http://{shown}:{bound_port}/metrics ({len(connections)} account"
          f"{'s' if len(connections) != 1 else ''}, every {exporter.poller.refresh_seconds:g}s; Ctrl+C or SIGTERM stops it)",
          flush=True)
    try:
        asyncio.run(run_until_stopped(exporter, sock))
    finally:
        if journal is not None:
            journal.close()
    return 0


def _journal(options: Options) -> Journal | None:
    """The journal, written as the dashboard writes it; without one (a line says why), metrics still run."""
    try:
        return Journal(options.journal_location(), retention_days=options.retention_days())
    except JournalError as exc:
        print(f"mjtui: warning: journal unavailable, finished jobs are not recorded: {clean(str(exc))}", file=sys.stderr)
        return None
