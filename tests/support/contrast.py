"""What a user can read: the WCAG contrast of every cell drawn on screen, foreground against background."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rich.color import Color as RichColor
from rich.color import ColorType
from rich.segment import Segment
from rich.terminal_theme import TerminalTheme
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip

# Lines and bars: WCAG's 3:1 for graphical objects; everything else is text and needs 4.5:1.
GRAPHIC, TEXT = 3.0, 4.5
GRAPHIC_START, GRAPHIC_END = 0x2500, 0x259F
BEVELS = {"▔", "▁"}  # a button's lit and shaded edges: a shade of its face, drawn to be faint


def luminance(colour: Color) -> float:
    """WCAG 2 relative luminance of an opaque colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b)


def contrast(foreground: Color, background: Color) -> float:
    """WCAG contrast ratio, 1 (none) to 21 (black on white)."""
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def is_default(colour: RichColor | None) -> bool:
    """The terminal's own default colour (unknown to us: a light or a dark scheme)."""
    return colour is None or colour.type == ColorType.DEFAULT


def opaque(colour: RichColor, palette: TerminalTheme) -> Color:
    """A colour as drawn: one of the terminal's 16 as `palette` shows it."""
    red, green, blue = colour.get_truecolor(palette)
    return Color(red, green, blue)


@dataclass(frozen=True)
class Clash:
    """Text drawn where it cannot be read: what, where, and why."""

    text: str
    line: int
    why: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.text!r}: {self.why}"


def minimum(text: str) -> float:
    """The contrast `text` needs: a line or a bar (box drawing, blocks) 3:1, text 4.5:1."""
    graphic = all(GRAPHIC_START <= ord(char) <= GRAPHIC_END for char in text.strip())
    return GRAPHIC if graphic else TEXT


def judge(segment: Segment, palettes: Sequence[TerminalTheme]) -> str | None:
    """Why a segment's visible characters cannot be read, or None when they can."""
    style = segment.style
    if style is None or not segment.text.strip() or set(segment.text.strip()) <= BEVELS:
        return None
    fg, bg = style.color, style.bgcolor
    if style.reverse:
        fg, bg = bg, fg
    if is_default(fg) and is_default(bg):
        return None  # the terminal's own pair: readable in any scheme
    if is_default(fg) or is_default(bg):
        # The default foreground is light in one scheme and dark in another: no fixed background suits it.
        # A palette colour on the terminal's background, or a line's edge, is the theme's choice.
        if is_default(fg) and bg is not None and minimum(segment.text) == TEXT:
            return f"the terminal's default foreground on a fixed background ({bg.name})"
        return None
    assert fg is not None and bg is not None
    wanted = minimum(segment.text)
    for palette in palettes:  # the terminal's 16 as schemes show them: readable in each
        ratio = contrast(opaque(fg, palette), opaque(bg, palette))
        if ratio < wanted:
            return f"{fg.name} on {bg.name}: contrast {ratio:.2f}, under {wanted}"
    return None


def clashes(strips: Iterable[Strip], palettes: Sequence[TerminalTheme], region: Region | None = None) -> Iterator[Clash]:
    """Every run of text on screen (in `region`, else all of it) that cannot be read; `palettes` are terminal
    schemes to draw the 16 ANSI colours in (Textual's dark and light: `app.ansi_theme_dark`, `app.ansi_theme_light`)."""
    for number, strip in enumerate(strips):
        if region is not None:
            if not region.y <= number < region.bottom:
                continue
            strip = strip.crop(region.x, region.right)
        for segment in strip:
            why = judge(segment, palettes)
            if why is not None:
                yield Clash(segment.text.strip(), number, why)
