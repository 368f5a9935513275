"""What the code sends a reader to is in the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = re.compile(r"[\w./-]+\.md\b")


def test_every_document_the_code_names_is_in_the_repository() -> None:
    named = {(path.relative_to(ROOT), document) for path in [*(ROOT / "mjtui").rglob("*.py"),
                                                              *(ROOT / "benchmarks").rglob("*.py")]
             for document in DOCUMENT.findall(path.read_text(encoding="utf-8"))}
    assert named, "the code names no document: is the pattern still right?"
    missing = sorted(f"{source}: {document}" for source, document in named if not (ROOT / document).is_file())
    assert not missing, missing
