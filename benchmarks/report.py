"""Results: one row per measure, printed as a table and written as JSON."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Row:
    """One measure of one scenario. `passed` is None when the row has no target or was not measured."""

    measure: str
    scenario: str
    value: float | None
    unit: str
    shown: str  # the value as the table prints it
    target: str
    passed: bool | None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def verdict(row: Row) -> str:
    if row.passed is None:
        return "-" if row.value is not None else "n/a"
    return "PASS" if row.passed else "FAIL"


def table(rows: list[Row]) -> str:
    """A fixed-width table: measure / scenario / value / target / pass."""
    header = ("measure", "scenario", "value", "target", "pass")
    body = [(row.measure, row.scenario, row.shown, row.target, verdict(row)) for row in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    out = [line(header), line(tuple("-" * width for width in widths))]
    out += [line(cells) for cells in body]
    notes = [f"  [{index}] {row.measure} ({row.scenario}): {row.note}" for index, row in enumerate(rows, 1) if row.note]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def machine() -> dict[str, Any]:
    import textual

    return {
        "nproc": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "textual": getattr(textual, "__version__", "?"),
    }


def write_json(path: Path, rows: list[Row], *, quick: bool, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "quick": quick,
        "seconds": round(seconds, 1),
        "machine": machine(),
        "rows": [asdict(row) for row in rows],
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
