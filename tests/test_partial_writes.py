"""Partial updates cropped on the left leave the terminal exactly as Textual's own writes would, in fewer bytes."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.strip import Strip

from mjtui.tui import partial_writes

ORIGINAL = ChopsUpdate.render_segments
WIDTH = 24
MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def apply(screen: list[list[str]], written: str) -> None:
    """Play `written` onto a character grid as a terminal would (a wide character takes two cells)."""
    y = x = 0
    position = 0
    while position < len(written):
        move = MOVE.match(written, position)
        if move:
            y, x = int(move[1]) - 1, int(move[2]) - 1
            position = move.end()
            continue
        sgr = SGR.match(written, position)
        if sgr:
            position = sgr.end()
            continue
        char = written[position]
        position += 1
        if char in "\r\n":
            continue
        line = screen[y]
        if cell_len(char) == 0:  # a combining mark joins the character before it
            if x > 0:
                line[x - 1] += char
            continue
        for cell in (x - 1, x, x + 1):  # writing over half of a wide character erases all of it
            if 0 <= cell < WIDTH and line[cell] == "" and cell - 1 >= 0 and cell_len(line[cell - 1]) == 2:
                line[cell - 1], line[cell] = " ", " "
        if cell_len(char) == 2 and x + 1 < WIDTH:
            line[x], line[x + 1] = char, ""
            x += 2
        else:
            line[x] = char
            x += 1


texts = st.text(alphabet=st.sampled_from("ab1:│ 漢字\u0301\ufe0f"), min_size=1, max_size=6)


@st.composite
def updates(draw: st.DrawFn) -> ChopsUpdate:
    """Two lines, each cut into widgets (chops) of random text, and a random changed span per line."""
    chops, ends, spans = [], [], []
    for y in range(2):
        cuts = sorted(draw(st.sets(st.integers(1, WIDTH - 1), max_size=3)))
        starts = [0, *cuts]
        line, line_ends = {}, []
        for start, end in zip(starts, [*cuts, WIDTH], strict=True):
            segments, used = [], 0
            while used < end - start:
                text = draw(texts)
                style = Style(bold=draw(st.booleans()))
                segments.append(Segment(text, style))
                used += cell_len(text)
            line[start] = Strip(segments).crop(0, end - start)
            line_ends.append(end)
        x1 = draw(st.integers(0, WIDTH - 1))
        x2 = draw(st.integers(x1 + 1, WIDTH))
        chops.append(line)
        ends.append(line_ends)
        spans.append((y, x1, x2))
    return ChopsUpdate(chops, spans, ends)


def screens(update: ChopsUpdate) -> tuple[list[list[str]], list[list[str]], str, str]:
    """The screen after Textual's own write of `update` and after ours, from the same screen before, and the writes."""
    console = Console(width=WIDTH, color_system="truecolor", force_terminal=True)
    assert partial_writes.install()
    try:
        ChopsUpdate.render_segments = ORIGINAL
        theirs = update.render_segments(console)
        ChopsUpdate.render_segments = partial_writes._render_segments
        ours = update.render_segments(console)
    finally:
        ChopsUpdate.render_segments = partial_writes._render_segments
    # The screen before: what the chops show everywhere but the changed spans, which hold stale cells.
    before = [[" " for _ in range(WIDTH)] for _ in range(len(update.chops))]
    for y, line in enumerate(update.chops):
        apply(before, "".join(f"\x1b[{y + 1};{x + 1}H{strip.text}" for x, strip in line.items()))
    for y, x1, x2 in update.spans:
        before[y][x1:x2] = ["."] * (x2 - x1)
    by_textual, by_us = [row[:] for row in before], [row[:] for row in before]
    apply(by_textual, theirs)
    apply(by_us, ours)
    return by_textual, by_us, theirs, ours


@settings(max_examples=1500, deadline=None)
@given(updates())
def test_a_left_cropped_update_leaves_the_screen_as_textual_would(update: ChopsUpdate) -> None:
    by_textual, by_us, theirs, ours = screens(update)
    assert by_us == by_textual
    assert len(ours) <= len(theirs)


def test_a_zero_width_mark_where_a_change_ends_is_kept_as_textual_keeps_it() -> None:
    """Found by the property test: combining marks just past the change were dropped by a one-step crop."""
    line = Strip([Segment("  \u0301\u03011\ufe0f"), Segment("::"), Segment(" " * (WIDTH - 5))])
    by_textual, by_us, _theirs, _ours = screens(ChopsUpdate([{0: line}], [(0, 1, 2)], [[WIDTH]]))
    assert by_us == by_textual


def test_a_clock_cell_is_written_without_the_border_and_padding_before_it() -> None:
    console = Console(width=WIDTH, color_system="truecolor", force_terminal=True)
    line = Strip([Segment("│", Style(color="red")), Segment(" "), Segment(" 9:51    ", Style(bgcolor="blue"))])
    update = ChopsUpdate([{0: line}], [(0, 2, 7)], [[11]])
    assert partial_writes.install()
    written = SGR.sub("", update.render_segments(console))
    assert written == "\x1b[1;3H 9:51"
