"""Small deterministic PNGs the simulator serves as job images, so previews work offline.

Each image is drawn from a hash of its job id: a soft two-colour gradient with
a disc, split into four tiles for a grid. No imaging library is needed; the
PNG is encoded by hand (signature, IHDR, one IDAT, IEND).
"""

from __future__ import annotations

import colorsys
import struct
import zlib
from functools import lru_cache


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(width: int, height: int, rows: list[bytes]) -> bytes:
    """Encode 8-bit RGB rows (each `width * 3` bytes) as a PNG."""
    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def _rgb(hue: float, light: float, sat: float = 0.65) -> tuple[int, int, int]:
    r, g, b = colorsys.hls_to_rgb(hue % 1.0, light, sat)
    return int(r * 255), int(g * 255), int(b * 255)


VARIANTS = 64  # distinct looks; few enough that every image is drawn once and cached


def png_for(key: str, index: int, size: int) -> bytes:
    """The image `index` of job `key`, `size` pixels square; index 0 of a grid job shows 4 tiles."""
    variant = zlib.crc32(f"{key}/{index}".encode()) % VARIANTS
    return _draw(variant, index == 0 and size >= 128, size)


@lru_cache(maxsize=VARIANTS * 4)
def _draw(variant: int, grid: bool, size: int) -> bytes:
    digest = zlib.crc32(f"variant-{variant}".encode())
    base_hue = variant / VARIANTS
    tiles = 2 if grid else 1
    tile = size // tiles
    rows: list[bytes] = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            tx, ty = x // tile, y // tile
            hue = base_hue + (tx + 2 * ty) * 0.13
            lx, ly = (x % tile) / tile, (y % tile) / tile
            cx, cy = 0.35 + 0.3 * ((digest >> (8 + tx + ty)) & 1), 0.4
            in_disc = (lx - cx) ** 2 + (ly - cy) ** 2 < 0.03
            light = 0.85 if in_disc else 0.25 + 0.45 * ly
            row.extend(_rgb(hue + (0.5 if in_disc else 0.0), light))
        rows.append(bytes(row))
    return encode_png(size, size, rows)
