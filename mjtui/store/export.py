"""Journal entries out as JSON Lines or CSV, and back in.

Both formats carry the same fields, named as in the API's JSON (camelCase):
the journal's own (account, jobId, channel, ..., firstSeen, finishedAt) with
times as ISO 8601 UTC to the millisecond, which is what the journal keeps,
and `record`, the final job exactly as the API sent it. In CSV, `record` and
`seedImages` are JSON text and an empty cell is a missing value.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TextIO

from mjtui.secrets import redact
from mjtui.store.entries import HistoryEntry, to_ms
from mjtui.text import inert_json

ExportFormat = Literal["jsonl", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv")

FIELDS = (
    "account", "jobId", "channel", "jobType", "verb", "prompt", "created", "firstSeen", "lastSeen",
    "status", "finishedAt", "runSeconds", "seed", "seedImages", "record",
)
# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) from a prompt).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_document(entry: HistoryEntry) -> dict[str, Any]:
    """An entry as one JSON object (`mjtui history --json` prints a list of these)."""
    return {
        "account": entry.account,
        "jobId": entry.job_id,
        "channel": entry.channel,
        "jobType": entry.job_type,
        "verb": entry.verb,
        "prompt": entry.prompt,
        "created": entry.created,
        "firstSeen": iso_ms(entry.first_seen),
        "lastSeen": iso_ms(entry.last_seen),
        "status": entry.final_status,
        "finishedAt": iso_ms(entry.finished_at),
        "runSeconds": entry.run_seconds,
        "seed": entry.seed,
        "seedImages": list(entry.seed_images),
        "record": entry.record,
    }


def from_document(doc: dict[str, Any]) -> HistoryEntry:
    """The entry `to_document` made; ValueError names what is missing or malformed."""
    for required in ("account", "jobId", "firstSeen", "lastSeen"):
        if not doc.get(required):
            raise ValueError(f"{required} is missing")
    record = doc.get("record")
    if record is not None and not isinstance(record, dict):
        raise ValueError("record is not a JSON object")
    return HistoryEntry(
        account=str(doc["account"]),
        job_id=str(doc["jobId"]),
        channel=doc.get("channel"),
        job_type=doc.get("jobType"),
        verb=doc.get("verb"),
        prompt=doc.get("prompt"),
        created=doc.get("created"),
        first_seen=_seconds(doc["firstSeen"]),
        last_seen=_seconds(doc["lastSeen"]),
        final_status=doc.get("status"),
        finished_at=_seconds(doc["finishedAt"]) if doc.get("finishedAt") else None,
        run_seconds=float(doc["runSeconds"]) if doc.get("runSeconds") is not None else None,
        record=record,
        seed=int(doc["seed"]) if doc.get("seed") is not None else None,
        seed_images=tuple(str(url) for url in doc.get("seedImages") or ()),
    )


def export(out: TextIO, fmt: ExportFormat, entries: Iterable[HistoryEntry]) -> int:
    """Write `entries` to `out` as JSON Lines or CSV (with a header); return how many.

    Open a file for CSV with ``newline=""``: a prompt may hold line breaks.
    JSON Lines are safe to show on a terminal (every control character is
    escaped). CSV carries the API's text raw, so do not send it to one; a cell that a
    spreadsheet would run as a formula starts with ' (read back without it).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    count = 0
    if fmt == "jsonl":
        for entry in entries:
            out.write(redact(inert_json(to_document(entry))) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    for entry in entries:
        writer.writerow(_csv_row(to_document(entry)))
        count += 1
    return count


def read_export(source: TextIO, fmt: ExportFormat) -> list[HistoryEntry]:
    """Read back what `export` wrote; ValueError names the line (jsonl) or row (csv) at fault."""
    if fmt == "jsonl":
        entries = []
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                entries.append(from_document(_json_object(line)))
            except ValueError as exc:
                raise ValueError(f"line {number}: {exc}") from None
        return entries
    if fmt != "csv":
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    reader = csv.DictReader(source)
    missing = set(FIELDS) - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"not an mjtui export: the header lacks {', '.join(sorted(missing))}")
    entries = []
    for number, row in enumerate(reader, start=1):
        try:
            entries.append(from_document(_csv_document(row)))
        except ValueError as exc:
            raise ValueError(f"row {number}: {exc}") from None
    return entries


def iso_ms(seconds: float | None) -> str | None:
    """Seconds since the epoch as ISO 8601 UTC to the millisecond, the way the API writes times."""
    if seconds is None:
        return None
    moment = _EPOCH + to_ms(seconds) * _MS
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _seconds(text: str) -> float:
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return ((moment - _EPOCH) // _MS) / 1000


def _json_object(line: str) -> dict[str, Any]:
    doc = json.loads(line)
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")  # a value error in the file, whatever its Python type
    return doc


def _csv_row(doc: dict[str, Any]) -> dict[str, str]:
    row: dict[str, str] = {}
    for key, value in doc.items():
        if key in ("record", "seedImages"):
            row[key] = "" if value is None or value == [] else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        else:
            row[key] = "" if value is None else str(value)
    return {key: _inert_cell(redact(cell)) for key, cell in row.items()}


def _inert_cell(cell: str) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula is prefixed with ' (as OWASP advises)."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


def _csv_document(row: dict[str, str | None]) -> dict[str, Any]:
    doc: dict[str, Any] = {key: (_text_of_cell(row.get(key)) or None) for key in FIELDS}
    for key in ("record", "seedImages"):
        if doc[key] is not None:
            doc[key] = json.loads(doc[key])
    return doc


def _text_of_cell(cell: str | None) -> str | None:
    """What `_inert_cell` was given: its ' prefix dropped."""
    return cell[1:] if cell and cell.startswith("'") else cell
