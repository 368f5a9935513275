"""A terminal, as far as mjtui's writes need one: to check that what reaches it is the screen the app drew."""

from __future__ import annotations

import re

from rich.cells import cell_len

MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")
SGR = re.compile(r"\x1b\[([0-9;]*)m")
LINK = re.compile(r"\x1b\]8;[^;]*;([^\x1b]*)\x1b\\")
OFF = {21: {1}, 22: {1, 2}, 23: {3}, 24: {4}, 25: {5}, 27: {7}, 28: {8}, 29: {9}}


class Terminal:
    """A character grid that plays writes as a terminal does: cursor moves, SGR attributes that persist
    until changed (across moves and newlines), OSC 8 links, wide characters and combining marks."""

    def __init__(self, width: int, lines: int) -> None:
        self.width = width
        self.cells = [[" " for _ in range(width)] for _ in range(lines)]
        self.pens = [[("default",) for _ in range(width)] for _ in range(lines)]
        self.attrs: set[int] = set()
        self.fg = self.bg = self.link = None

    def pen(self) -> tuple:
        return (frozenset(self.attrs), self.fg, self.bg, self.link) if (self.attrs or self.fg or self.bg or
                                                                         self.link) else ("default",)

    def sgr(self, parameters: str) -> None:
        codes = [int(code) if code else 0 for code in parameters.split(";")]
        index = 0
        while index < len(codes):
            code = codes[index]
            if code == 0:
                self.attrs, self.fg, self.bg = set(), None, None
            elif 1 <= code <= 9:
                self.attrs.add(code)
            elif code in OFF:
                self.attrs -= OFF[code]
            elif code in (38, 48):
                size = 3 if codes[index + 1] == 5 else 5
                colour = tuple(codes[index + 1:index + size])
                index += size - 1
                if code == 38:
                    self.fg = colour
                else:
                    self.bg = colour
            elif 30 <= code <= 37 or 90 <= code <= 97 or code == 39:
                self.fg = None if code == 39 else code
            elif 40 <= code <= 47 or 100 <= code <= 107 or code == 49:
                self.bg = None if code == 49 else code
            index += 1

    def write(self, written: str) -> None:
        y = x = 0
        position = 0
        while position < len(written):
            if move := MOVE.match(written, position):
                y, x = int(move[1]) - 1, int(move[2]) - 1
                position = move.end()
                continue
            if sgr := SGR.match(written, position):
                self.sgr(sgr[1])
                position = sgr.end()
                continue
            if link := LINK.match(written, position):
                self.link = link[1] or None
                position = link.end()
                continue
            char = written[position]
            position += 1
            if char in "\r\n":
                continue
            line, pens = self.cells[y], self.pens[y]
            if cell_len(char) == 0:  # a combining mark joins the character before it
                if x > 0:
                    line[x - 1] += char
                continue
            for cell in (x - 1, x, x + 1):  # writing over half of a wide character erases all of it
                if 0 <= cell < self.width and line[cell] == "" and cell - 1 >= 0 and cell_len(line[cell - 1]) == 2:
                    line[cell - 1], line[cell] = " ", " "
            if cell_len(char) == 2 and x + 1 < self.width:
                line[x], line[x + 1] = char, ""
                pens[x] = pens[x + 1] = self.pen()
                x += 2
            else:
                line[x] = char
                pens[x] = self.pen()
                x += 1

    def screen(self) -> list[list[tuple[str, tuple]]]:
        return [list(zip(line, pens, strict=True)) for line, pens in zip(self.cells, self.pens, strict=True)]
