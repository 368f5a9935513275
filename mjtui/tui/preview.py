"""The inspector's image preview: textual-image draws a job's picture as sixel, kitty graphics or half cells.

textual-image asks the terminal what it can draw when it is first imported,
and that only works before Textual takes over the terminal. `detect_graphics()`
is called by the launcher before the app starts; when it was not (tests, a
headless app) the widget is imported with a stand-in stdout, so it never
writes a query to the terminal nor waits for an answer, and draws half cells.
A terminal that answered with neither sixel nor kitty graphics is remembered
for a week, so starting in it does not wait on the questions again.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import math
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from mjtui.logs import log
from mjtui.text import clean

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
    from textual_image.widget import AutoImage, HalfcellImage, SixelImage

    from mjtui.connections import Connection
    from mjtui.store.image_cache import ImageCache

    ImageWidget = AutoImage | SixelImage | HalfcellImage  # the classes image_widget_class chooses from

PREVIEW_PIXELS = 384  # longest side kept after decoding: more than a sixel preview of this size can show
MAX_PIXELS = 40_000_000  # refuse to decode anything bigger (a small PNG can claim a huge canvas)

_detected: bool = False


class PreviewError(Exception):
    """The bytes are not an image the preview can show."""


# What tells one terminal from another without asking it: a terminal that drew half cells last
# time is not asked again for a week (each unanswered query waits 0.1 s, three of them on start).
# Over SSH little more than TERM arrives, so the session (SSH_CONNECTION: addresses and ports) is part of
# it: a new session asks again, and a terminal that can draw graphics is never stuck on half cells.
TERMINAL_KEYS = ("TERM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "LC_TERMINAL", "COLORTERM", "TMUX", "STY",
                 "KITTY_WINDOW_ID", "WT_SESSION", "WEZTERM_EXECUTABLE", "VTE_VERSION", "KONSOLE_VERSION",
                 "SSH_CONNECTION")
REMEMBER_HALFCELL_SECONDS = 7 * 24 * 3600


def terminal_identity(environ: Mapping[str, str]) -> str:
    """A short digest of the environment variables terminals set about themselves."""
    seen = "\0".join(f"{key}={environ.get(key, '')}" for key in TERMINAL_KEYS)
    return hashlib.sha256(seen.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def detect_graphics(memory: Path | None = None, environ: Mapping[str, str] = os.environ,
                    now: Callable[[], float] = time.time) -> str:
    """Ask the terminal once, before the app starts, whether it draws sixel or kitty graphics.

    Returns the renderer chosen ("sixel", "tgp", "halfcell" or "unicode"); without a
    terminal on both stdin and stdout nothing is asked and previews draw half cells.
    With `memory` (a small JSON file), a terminal found to draw only half cells in the
    last week is not asked again.
    """
    global _detected
    if not (sys.__stdin__ and sys.__stdin__.isatty() and sys.__stdout__ and sys.__stdout__.isatty()):
        return "halfcell"
    identity = terminal_identity(environ)
    remembered = _read_memory(memory)
    if now() - remembered.get(identity, float("-inf")) < REMEMBER_HALFCELL_SECONDS:
        return "halfcell"
    try:
        import textual_image.widget  # noqa: F401 - measures the cell size while the terminal can still answer
        from textual_image import renderable
    except Exception:  # noqa: BLE001 - a terminal that answers oddly costs the preview its best renderer, nothing more
        return "halfcell"  # not remembered: only a plain "no graphics" answer is
    _detected = True
    chosen = renderable.Image.__module__.rsplit(".", 1)[-1]
    if chosen == "halfcell" and memory is not None:
        remembered[identity] = now()
        _write_memory(memory, remembered)
    return chosen


def _read_memory(memory: Path | None) -> dict[str, float]:
    if memory is None:
        return {}
    try:
        data = json.loads(memory.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    remembered = {}
    for key, value in data.items():
        try:
            when = float(value)
        except (TypeError, ValueError, OverflowError):
            continue
        if math.isfinite(when):
            remembered[str(key)] = when
    return remembered


def _write_memory(memory: Path, remembered: dict[str, float]) -> None:
    try:
        memory.parent.mkdir(parents=True, exist_ok=True)
        memory.write_text(json.dumps(remembered))
    except OSError:
        pass  # not remembered: the terminal is asked again next time


def image_widget_class() -> type[ImageWidget]:
    """The widget class that draws previews here: the detected renderer, else half cells."""
    if _detected:
        from textual_image.widget import Image

        return Image
    if "textual_image.widget" not in sys.modules:
        real = sys.__stdout__
        # typeshed declares sys.__stdout__ Final, but it is writable, and textual-image reads it when imported
        sys.__stdout__ = io.StringIO()  # type: ignore[misc, assignment]  # not a terminal: no query, no wait
        try:
            import textual_image.widget  # noqa: F401
        finally:
            sys.__stdout__ = real  # type: ignore[misc]  # Final in typeshed, as above
    from textual_image.widget import HalfcellImage

    return HalfcellImage


def _cell_aspect() -> float:
    """A terminal cell's height over its width (about 2), as textual-image measured it."""
    from textual_image._terminal import get_cell_size

    try:
        cell = get_cell_size()
    except Exception:  # noqa: BLE001 - no stdout to measure: the usual shape
        return 2.0
    return cell.height / cell.width if cell.width else 2.0


@dataclass
class Preview:
    """A decoded picture and the widget class to draw it with."""

    image: PILImage
    widget_class: type[ImageWidget]
    width: int
    height: int


def decode_preview(data: bytes) -> Preview:
    """Decode image bytes and shrink them for the preview; blocking, so call it in a thread.

    Raises PreviewError when the bytes are not an image or claim an absurd size.
    """
    from PIL import Image, UnidentifiedImageError

    widget_class = image_widget_class()
    try:
        with Image.open(io.BytesIO(data)) as opened:
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise PreviewError(f"the image is too large to preview ({width}x{height})")
            opened.draft("RGB", (PREVIEW_PIXELS, PREVIEW_PIXELS))  # JPEG decodes at a fraction of its size
            image = opened.convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise PreviewError("not an image the preview can show") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise PreviewError(f"the image is damaged ({clean(exc, limit=80)})") from None
    image.thumbnail((PREVIEW_PIXELS, PREVIEW_PIXELS))
    return Preview(image, widget_class, width, height)


async def load_preview(cache: ImageCache, download: Callable[[str], Awaitable[bytes]], url: str) -> tuple[Preview, bool]:
    """A job image, decoded: from the disk cache, else downloaded (through the account's own client, so the token
    only ever reaches the API's origin) and kept. Returns the picture and whether it came from the cache; disk
    and decoding run in threads."""
    data = await asyncio.to_thread(cache.get, url)
    cached = data is not None
    if data is None:
        data = await download(url)
    preview = await asyncio.to_thread(decode_preview, data)
    if not cached:
        try:
            await asyncio.to_thread(cache.put, url, data)
        except OSError as exc:
            log.warning("could not keep a preview in %s: %s", cache.directory, exc)
    return preview, cached


async def load_account_preview(cache: ImageCache | None, connection: Connection | None, url: str) -> tuple[Preview, bool]:
    """`load_preview` through an account's connection; MjtuiError when previews are off or the account has none."""
    from mjtui.api import errors

    if cache is None or connection is None:
        raise errors.MjtuiError("previews are off")
    return await load_preview(cache, connection.service.download, url)


class PreviewPanel(Vertical):
    """The picture of the image selected in the inspector's image table, with a caption."""

    DEFAULT_CSS = """
    PreviewPanel { width: auto; min-width: 24; max-width: 45%; height: 100%; padding: 1 1 0 1; }
    PreviewPanel #preview-caption { width: 100%; height: auto; max-height: 3; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__(id="preview")
        self.display = False  # until an image is highlighted
        self.url: str | None = None
        self.shown: Preview | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="preview-caption")

    def on_resize(self) -> None:
        if self.shown is not None:
            self._fit(self.query_one("#preview-image"), self.shown)

    def _fit(self, widget: Widget, preview: Preview) -> None:
        """Half the panel's height (10 to 24 rows) and the width that keeps the picture's shape.

        Both are set in cells: with an auto width textual-image keeps the width
        of its first layout when the height changes, and the picture stretches.
        """
        rows = max(10, min(24, self.size.height // 2))
        image_width, image_height = preview.image.size
        cols = round(rows * _cell_aspect() * image_width / max(1, image_height))
        widget.styles.height = rows
        widget.styles.width = max(1, cols)

    def show_loading(self, url: str, label: str) -> None:
        self.url = url
        self._caption(label, "loading…")

    def failed(self, label: str, reason: str) -> None:
        self.url = None  # selecting the image again tries again
        self._caption(label, f"no preview: {reason}", style="italic")
        self.shown = None
        self.query("#preview-image").remove()

    async def show(self, preview: Preview, label: str, source: str) -> None:
        """Draw `preview`; the first one mounts the image widget, later ones swap its picture."""
        self.shown = preview
        self._caption(label, f"{preview.width}x{preview.height} · {source}")
        current = self.query("#preview-image")
        shown = current.first() if current else None
        if isinstance(shown, preview.widget_class):
            shown.image = preview.image
            self._fit(shown, preview)
            return
        await current.remove()
        widget = preview.widget_class(preview.image, id="preview-image")
        self._fit(widget, preview)
        await self.mount(widget, before=0)

    def _caption(self, label: str, state: str, style: str = "") -> None:
        text = Text(clean(label, limit=40), style="bold")
        text.append("\n")
        text.append(clean(state, limit=80), style=style)
        self.query_one("#preview-caption", Static).update(text)

