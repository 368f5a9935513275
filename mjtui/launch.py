"""Starting the dashboard: kept apart so `mjtui jobs` never pays for importing Textual."""

from __future__ import annotations


def run_dashboard(options) -> int:
    raise SystemExit("mjtui: the dashboard is not built yet")
