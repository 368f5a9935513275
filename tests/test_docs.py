"""What the code and the documents send a reader to is in the repository, and the paths the README names are the code's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = re.compile(r"[\w./-]+\.md\b")


def test_every_document_the_code_names_is_in_the_repository() -> None:
    named = {(path.relative_to(ROOT), document) for path in [*(ROOT / "mjtui").rglob("*.py"),
                                                              *(ROOT / "benchmarks").rglob("*.py")]
             for document in DOCUMENT.findall(path.read_text(encoding="utf-8"))}
    assert named, "the code names no document: is the pattern still right?"
    missing = sorted(f"{source}: {document}" for source, document in named if not (ROOT / document).is_file())
    assert not missing, missing


LINK = re.compile(r"\]\((?!https?:|mailto:)([^)#\s]*)(?:#([^)\s]+))?\)")
HEADING = re.compile(r"^#+ (.+)$", re.MULTILINE)


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_in_the_documents_leads_to_a_file_and_its_heading() -> None:
    broken = []
    for document in [ROOT / "README.md", *(ROOT / "benchmarks").glob("*.md"), *(ROOT / "docs").rglob("*.md")]:
        for target, anchor in LINK.findall(document.read_text(encoding="utf-8")):
            linked = (document.parent / target).resolve() if target else document
            if not linked.exists():
                broken.append(f"{document.relative_to(ROOT)}: {target}")
            elif anchor and anchor not in {_anchor(h) for h in HEADING.findall(linked.read_text(encoding="utf-8"))}:
                broken.append(f"{document.relative_to(ROOT)}: {target}#{anchor}")
    assert not broken, broken


def test_the_readme_says_where_the_demo_journal_is_on_this_platform(monkeypatch, tmp_path: Path) -> None:
    from mjtui.store import default_journal_path

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    where = default_journal_path(demo=True)
    if not where.is_relative_to(tmp_path):
        pytest.skip(f"the user data directory is not under the home directory here: {where}")
    quoted = f"`~/{where.relative_to(tmp_path).as_posix()}`"
    assert quoted in (ROOT / "README.md").read_text(encoding="utf-8"), f"the README should name {quoted}"
