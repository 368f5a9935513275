"""Updates written through the Pen (cropped on the left, colours set only when they change) leave the
terminal exactly as Textual's own writes would, in fewer bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from support.terminal_model import SGR, Terminal
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.geometry import Region
from textual.strip import Strip

from mjtui.tui import partial_writes

WIDTH = 24


STYLES = [None, Style(), Style(bold=True), Style(bold=True, color="red"), Style(color="red"),
          Style(color="#102030", bgcolor="color(200)"), Style(italic=True, bgcolor="bright_blue"),
          Style(color="#102030", bgcolor="color(200)", link="https://example.com/a"),
          Style(color="red", link="https://example.com/b")]
styles = st.sampled_from(STYLES)
texts = st.text(alphabet=st.sampled_from("ab1:│ 漢字\u0301\ufe0f"), min_size=1, max_size=6)


@st.composite
def lines_of_widgets(draw: st.DrawFn, lines: int) -> tuple[list[dict[int, Strip]], list[list[int]]]:
    """Lines, each cut into widgets (strips) of random text in random styles, unstyled runs among them."""
    chops, ends = [], []
    for _ in range(lines):
        cuts = sorted(draw(st.sets(st.integers(1, WIDTH - 1), max_size=3)))
        starts = [0, *cuts]
        line, line_ends = {}, []
        for start, end in zip(starts, [*cuts, WIDTH], strict=True):
            segments, used = [], 0
            while used < end - start:
                text = draw(texts)
                segments.append(Segment(text, draw(styles)))
                used += cell_len(text)
            line[start] = Strip(segments).crop(0, end - start)
            line_ends.append(end)
        chops.append(line)
        ends.append(line_ends)
    return chops, ends


@st.composite
def chops_updates(draw: st.DrawFn) -> ChopsUpdate:
    """Two lines of widgets and a random changed span per line."""
    chops, ends = draw(lines_of_widgets(2))
    spans = []
    for y in range(2):
        x1 = draw(st.integers(0, WIDTH - 1))
        spans.append((y, x1, draw(st.integers(x1 + 1, WIDTH))))
    return ChopsUpdate(chops, spans, ends)


@st.composite
def layout_updates(draw: st.DrawFn) -> LayoutUpdate:
    chops, _ends = draw(lines_of_widgets(3))
    return LayoutUpdate([list(line.values()) for line in chops], Region(0, 0, WIDTH, 3))


def console() -> Console:
    return Console(width=WIDTH, color_system="truecolor", force_terminal=True)


def screens(update: ChopsUpdate | LayoutUpdate) -> tuple[Terminal, Terminal, str, str]:
    """The terminal after Textual's own write of `update` and after ours, from the same screen before (and,
    for ours, with an attribute left on by whatever was written last)."""
    assert partial_writes.install()
    theirs = partial_writes.TEXTUAL[type(update)](update, console())
    ours = update.render_segments(console())
    lines = len(update.chops) if isinstance(update, ChopsUpdate) else len(update.strips)
    by_textual, by_us = Terminal(WIDTH, lines), Terminal(WIDTH, lines)
    if isinstance(update, ChopsUpdate):
        # The screen before: what the chops show everywhere but the changed spans, which hold stale cells.
        for terminal in (by_textual, by_us):
            for y, line in enumerate(update.chops):
                terminal.write("".join(f"\x1b[{y + 1};{x + 1}H{strip.render(console())}" for x, strip in line.items()))
            for y, x1, x2 in update.spans:
                terminal.cells[y][x1:x2] = ["."] * (x2 - x1)
                terminal.pens[y][x1:x2] = [("stale",)] * (x2 - x1)
    by_textual.write(theirs)
    by_us.sgr("4;38;5;1")  # something written between updates left underlined red on: ours must not inherit it
    by_us.write(ours)
    return by_textual, by_us, theirs, ours


@settings(max_examples=1500, deadline=None)
@given(chops_updates())
def test_a_partial_update_leaves_the_screen_as_textual_would(update: ChopsUpdate) -> None:
    by_textual, by_us, theirs, ours = screens(update)
    assert by_us.screen() == by_textual.screen()
    assert by_us.pen() == by_textual.pen() == ("default",)  # nothing written afterwards inherits a colour
    assert len(ours) <= len(theirs) + len(partial_writes.RESET)  # at most one reset more: the first run's


@settings(max_examples=500, deadline=None)
@given(layout_updates())
def test_a_full_screen_update_leaves_the_screen_as_textual_would(update: LayoutUpdate) -> None:
    by_textual, by_us, theirs, ours = screens(update)
    assert by_us.screen() == by_textual.screen()
    assert by_us.pen() == ("default",)
    assert len(ours) <= len(theirs) + len(partial_writes.RESET)  # at most one reset more: the first run's


def test_a_zero_width_mark_where_a_change_ends_is_kept_as_textual_keeps_it() -> None:
    """Found by the property test: combining marks just past the change were dropped by a one-step crop."""
    line = Strip([Segment("  \u0301\u03011\ufe0f"), Segment("::"), Segment(" " * (WIDTH - 5))])
    by_textual, by_us, _theirs, _ours = screens(ChopsUpdate([{0: line}], [(0, 1, 2)], [[WIDTH]]))
    assert by_us.screen() == by_textual.screen()


def test_a_clock_cell_is_written_without_the_border_and_padding_before_it() -> None:
    line = Strip([Segment("│", Style(color="red")), Segment(" "), Segment(" 9:51    ", Style(bgcolor="blue"))])
    assert partial_writes.install()
    written = SGR.sub("", ChopsUpdate([{0: line}], [(0, 2, 7)], [[11]]).render_segments(console()))
    assert written == "\x1b[1;3H 9:51"


def test_clocks_on_many_rows_in_one_colour_set_it_once() -> None:
    """The idle dashboard's tick: the same 24-bit colours on every row are sent once, not once per row."""
    clock = Style(color="#c0c0c0", bgcolor="#1e1e28")
    rows = 40
    border = Segment("│", Style(color="red"))
    chops = [{0: Strip([border, Segment(f" {row}:0{row % 10}  ", clock)])} for row in range(rows)]
    update = ChopsUpdate(chops, [(row, 1, 6) for row in range(rows)], [[8]] * rows)
    by_textual, by_us, theirs, ours = screens(update)
    assert by_us.screen() == by_textual.screen()
    assert SGR.findall(ours) == ["0;38;2;192;192;192;48;2;30;30;40", "0"]
    assert len(ours) < len(theirs) / 3
