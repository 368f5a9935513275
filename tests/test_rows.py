"""Which cells a ticking clock repaints: only the characters that changed, when cells and characters agree."""

from __future__ import annotations

import pytest

from mjtui.tui.rows import _changed_cells


@pytest.mark.parametrize(("before", "after", "span", "expected"), [
    ("│ 9:41    │", "│ 9:42    │", (1, 10), (5, 6)),  # one digit: one cell (box drawing is one cell, one character)
    ("│ 9:59    │", "│ 10:00   │", (1, 10), (2, 7)),  # a longer clock: from its first to its last changed cell
    ("│ 9:41    │", "│ 9:41    │", (1, 10), (10, 10)),  # nothing changed: nothing to repaint
    ("漢 9:41    ", "漢 9:42    ", (2, 11), (2, 11)),  # a wide character before it: cells and characters differ
    ("e\u0301 9:41   ", "e\u0301 9:42   ", (1, 10), (1, 10)),  # a combining mark before it: the same
    ("│ 9:41 …  │", "│ 9:42 …  │", (1, 10), (1, 10)),  # not ASCII within the span: the whole span
    ("│ 9:41", "│ 9:42    │", (1, 10), (1, 10)),  # a line shorter than the span: the whole span
])
def test_a_clock_repaints_only_the_cells_that_changed(before: str, after: str, span: tuple[int, int],
                                                      expected: tuple[int, int]) -> None:
    assert _changed_cells(before, after, *span) == expected
