"""Image previews in the inspector: the simulator's PNGs, downloaded only when looked at, kept on disk within a cap."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from PIL import Image
from support.clients import useapi_client
from support.dashboard import SIZE, finished_and_selected, make_dashboard, plain, quiet, settle
from textual.widgets import DataTable, Static

from mjtui.api import errors
from mjtui.config import ConfigError, load_config
from mjtui.launch import preview_cache
from mjtui.sim import SIM_ORIGIN, Simulator
from mjtui.store.image_cache import ImageCache, cache_key
from mjtui.tui.inspector import InspectorScreen
from mjtui.tui.preview import PreviewError, PreviewPanel, decode_preview


@dataclass
class ImageRequests:
    """Every image GET the simulator served: path, Host header, and the Authorization header sent."""

    inner: object = None
    got: list[tuple[str, str, str]] = field(default_factory=list)

    async def served(self, url: str) -> bytes:
        """What the simulator serves at `url`, asked past the count."""
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.inner)) as plain_http:
            return (await plain_http.get(url)).content

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.got]


def count_images(sim: Simulator) -> ImageRequests:
    requests = ImageRequests(sim.app)
    inner = sim.app

    async def app(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/attachments/"):
            headers = dict(scope.get("headers") or [])
            requests.got.append((scope["path"], headers.get(b"host", b"").decode(), headers.get(b"authorization", b"").decode()))
        await inner(scope, receive, send)

    sim.app = app  # clients take their transport from sim.app: build them after this
    return requests


def cached_files(directory: Path) -> list[Path]:
    return sorted(path for path in directory.iterdir() if not path.name.startswith(".")) if directory.exists() else []


def caption(screen: InspectorScreen) -> str:
    return plain(screen.query_one("#preview-caption", Static))


async def test_the_inspector_previews_the_simulators_image_and_a_second_look_comes_from_the_disk(make_sim, clock, tmp_path):
    q = quiet(make_sim, speed_scale=0.3)
    images = count_images(q.sim)
    cache_dir = tmp_path / "previews"
    app, timers = make_dashboard(q.sim, clock, previews=ImageCache(cache_dir))
    async with app.run_test(size=SIZE) as pilot:
        await finished_and_selected(pilot, q, clock, timers)
        assert images.got == [], "nothing is downloaded before an inspector shows the image"
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InspectorScreen)
        url = screen.job.attachments[0].url
        assert url.startswith(f"{SIM_ORIGIN}/attachments/128/0/")
        picture = screen.query_one("#preview-image")
        assert picture.image.size == (128, 128)
        expected = Image.open(io.BytesIO(await images.served(url))).convert("RGB")
        assert picture.image.tobytes() == expected.tobytes(), "the preview is the simulator's PNG, decoded"
        assert "▀" in app.export_screenshot() or "▄" in app.export_screenshot(), "drawn with half cells headless"
        assert caption(screen) == "attachment 1\n128x128 · downloaded"
        assert images.paths() == [url.removeprefix(SIM_ORIGIN)]
        assert [path.name for path in cached_files(cache_dir)] == [cache_key(url)]
        assert (cache_dir / cache_key(url)).read_bytes() == await images.served(url)

        await pilot.press("escape")
        await pilot.press("enter")
        await settle(pilot)
        assert caption(app.screen) == "attachment 1\n128x128 · from the cache"
        assert len(images.got) == 1, "the second look is not downloaded again"


async def test_each_image_is_downloaded_only_when_selected_and_the_seed_images_too(make_sim, clock, tmp_path):
    q = quiet(make_sim, speed_scale=0.3)
    images = count_images(q.sim)
    app, timers = make_dashboard(q.sim, clock, previews=ImageCache(tmp_path / "previews"))
    async with app.run_test(size=SIZE) as pilot:
        await finished_and_selected(pilot, q, clock, timers)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        clock.advance(20)
        await timers.fire_due()
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#attachments", DataTable)
        assert [table.get_row_at(i)[0].plain for i in range(table.row_count)] == [
            "attachment 1", "seed image 1", "seed image 2", "seed image 3", "seed image 4"]
        assert len(images.got) == 1, "the seed's four images wait until one is selected"
        table.focus()
        await pilot.press("down", "down")
        await settle(pilot)
        seeds = [image.url.removeprefix(SIM_ORIGIN) for image in screen.job.seed.attachments]
        assert images.paths()[-1] == seeds[1]
        assert seeds[2] not in images.paths() and seeds[3] not in images.paths(), "never selected, never downloaded"
        assert caption(screen) == "seed image 2\n64x64 · downloaded"
        assert screen.query_one("#preview-image").image.size == (64, 64)


async def test_the_pointer_over_a_preview_is_not_a_busy_one(make_sim, clock, tmp_path):
    # PreviewPanel once had a method named `loading`, hiding Textual's `loading` flag: always true, so the
    # terminal was told to show a busy pointer over the preview (OSC 22 "wait") for as long as it was there.
    q = quiet(make_sim, speed_scale=0.3)
    app, timers = make_dashboard(q.sim, clock, previews=ImageCache(tmp_path / "previews"))
    async with app.run_test(size=SIZE) as pilot:
        await finished_and_selected(pilot, q, clock, timers)
        await pilot.press("enter")
        await settle(pilot)
        panel = app.screen.query_one(PreviewPanel)
        assert panel.query("#preview-image"), "the picture is shown"
        assert panel.loading is False, "the panel is not waiting on anything"
        await pilot.hover("#preview-image")
        assert app.screen._pointer_shape == "default", "the terminal's pointer over the picture is the usual one"


async def test_previews_off_show_no_picture_and_download_nothing(make_sim, clock, tmp_path):
    q = quiet(make_sim, speed_scale=0.3)
    images = count_images(q.sim)
    app, timers = make_dashboard(q.sim, clock, previews=None)
    async with app.run_test(size=SIZE) as pilot:
        await finished_and_selected(pilot, q, clock, timers)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InspectorScreen)
        assert app.screen.query_one("#attachments", DataTable).row_count == 1, "the image is still listed"
        assert not app.screen.query(PreviewPanel)
        assert images.got == []


def test_the_config_switch_turns_previews_off_and_sizes_the_cache(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("previews = false\n")
    assert preview_cache(load_config(config, environ={})) is None
    config.write_text("preview_cache_mb = 2\n")
    cache = preview_cache(load_config(config, environ={}))
    assert cache is not None and cache.cap_bytes == 2 * 1024 * 1024
    config.write_text("")
    assert preview_cache(load_config(config, environ={})) is not None, "on unless turned off"
    config.write_text('previews = "no"\n')
    with pytest.raises(ConfigError, match="previews: expected true or false"):
        load_config(config, environ={})


def test_the_cache_stays_within_its_cap_by_dropping_the_least_recently_viewed(tmp_path):
    cache = ImageCache(tmp_path, cap_bytes=250)
    cache.put("https://cdn.example/a.png", b"a" * 100)
    cache.put("https://cdn.example/b.png", b"b" * 100)
    os.utime(tmp_path / cache_key("https://cdn.example/a.png"), (1000, 1000))
    os.utime(tmp_path / cache_key("https://cdn.example/b.png"), (2000, 2000))
    assert cache.get("https://cdn.example/a.png") == b"a" * 100, "viewing a makes it the most recent"
    cache.put("https://cdn.example/c.png", b"c" * 100)
    assert cache.get("https://cdn.example/b.png") is None, "b was the least recently viewed"
    assert cache.get("https://cdn.example/a.png") == b"a" * 100
    assert cache.get("https://cdn.example/c.png") == b"c" * 100
    assert sum(path.stat().st_size for path in cached_files(tmp_path)) <= 250
    cache.put("https://cdn.example/huge.png", b"h" * 300)
    assert cache.get("https://cdn.example/huge.png") is None, "an image over the whole cap is not kept"


def test_a_discord_link_signed_again_is_the_same_cached_image():
    signed = "https://cdn.discordapp.com/attachments/1/2/grid.png?ex=6650&is=664f&hm=abc"
    assert cache_key(signed) == cache_key("https://cdn.discordapp.com/attachments/1/2/grid.png?ex=7000&is=6fff&hm=def")
    assert cache_key("https://img.example/get?id=1") != cache_key("https://img.example/get?id=2")


async def test_the_token_goes_only_to_the_api_origin_never_to_an_image_host(sim):
    images = count_images(sim)
    path = "/attachments/64/1/somejob.png"
    async with useapi_client(sim) as client:
        own = await client.download(SIM_ORIGIN + path)
        other = await client.download("http://cdn.example.invalid" + path)
    assert own == other and own.startswith(b"\x89PNG")
    assert images.got[0] == (path, "sim.mjtui.invalid", f"Bearer {sim.token()}")
    assert images.got[1] == (path, "cdn.example.invalid", ""), "no Authorization header for another host"


async def test_a_download_is_refused_when_too_large_or_not_http(sim):
    images = count_images(sim)
    async with useapi_client(sim) as client:
        with pytest.raises(errors.ProtocolError, match="larger than"):
            await client.download(f"{SIM_ORIGIN}/attachments/128/0/somejob.png", limit=100)
        for url in ("file:///etc/passwd", "data:image/png;base64,AAAA", "/attachments/64/1/x.png"):
            with pytest.raises(errors.ProtocolError, match="not an http"):
                await client.download(url)
        with pytest.raises(errors.NotFound):
            await client.download(f"{SIM_ORIGIN}/attachments/4096/0/somejob.png")
    assert len(images.got) == 2, "refused URLs are never requested"


def test_bytes_that_are_not_an_image_are_a_preview_error_not_a_crash():
    with pytest.raises(PreviewError, match="not an image"):
        decode_preview(b"<html>Access denied</html>")
    with pytest.raises(PreviewError):
        decode_preview(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)


def run_on_a_terminal(code: str, size: tuple[int, int] | None = None) -> bytes:
    """Run `code` in a fresh interpreter whose stdin and stdout are a terminal nobody answers; what it wrote there.

    With `size` (rows, columns) the terminal has one, as a real one does; without, it reports 0x0.
    """
    main, child = pty.openpty()
    if size is not None:
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    try:
        subprocess.run([sys.executable, "-c", code], stdin=child, stdout=child, stderr=subprocess.PIPE, timeout=30, check=True)
        return os.read(main, 65536)
    finally:
        os.close(main)
        os.close(child)


def test_the_image_widget_imported_inside_a_running_app_never_queries_the_terminal():
    shown = run_on_a_terminal("from mjtui.tui.preview import image_widget_class; print(image_widget_class().__name__)")
    assert shown.strip() == b"HalfcellImage", "half cells, and no escape sequence was written to ask the terminal"


def test_detecting_graphics_before_the_app_starts_asks_once_and_does_not_hang_when_nobody_answers():
    shown = run_on_a_terminal(
        "import time; from mjtui.tui.preview import detect_graphics; start = time.monotonic(); "
        "chosen = detect_graphics(); print('', chosen, time.monotonic() - start < 3)"
    )
    assert b"\x1b[c" in shown, "the terminal was asked what it draws"
    assert shown.split()[-2:] == [b"halfcell", b"True"]


def test_a_terminal_that_drew_half_cells_is_not_asked_again_for_a_week(tmp_path):
    """Each unanswered question costs a start 0.1 s: a terminal that answered none is remembered, by its identity."""
    memory = tmp_path / "terminals.json"
    code = (
        "import os, time; from pathlib import Path; from mjtui.tui.preview import detect_graphics; "
        f"print('', detect_graphics(memory=Path({str(memory)!r}), environ=dict(os.environ, TERM=os.environ['T']), "
        "now=lambda: float(os.environ['NOW'])))"
    )

    def start(term: str, now: float) -> bytes:
        os.environ.update(T=term, NOW=str(now))
        try:
            return run_on_a_terminal(code, size=(24, 80))
        finally:
            del os.environ["T"], os.environ["NOW"]

    first = start("xterm-256color", 1000.0)
    assert b"\x1b[c" in first and first.split()[-1] == b"halfcell"
    assert memory.exists(), "remembered"
    again = start("xterm-256color", 2000.0)
    assert b"\x1b[c" not in again and again.split()[-1] == b"halfcell", "the same terminal is not asked again"
    other = start("screen-256color", 2000.0)
    assert b"\x1b[c" in other, "another terminal is asked"
    week_later = start("xterm-256color", 1000.0 + 8 * 24 * 3600)
    assert b"\x1b[c" in week_later, "after a week it is asked again (it may have learnt sixel)"


def test_a_damaged_memory_of_terminals_is_ignored_and_the_terminal_asked(tmp_path):
    memory = tmp_path / "terminals.json"
    memory.write_text('{"a": 1' + "0" * 400 + ', "b": Infinity, "c": "x", "d": null}')
    shown = run_on_a_terminal(
        f"from pathlib import Path; from mjtui.tui.preview import detect_graphics; "
        f"print('', detect_graphics(memory=Path({str(memory)!r})))",
        size=(24, 80),
    )
    assert b"\x1b[c" in shown and shown.split()[-1] == b"halfcell", "asked, no traceback"
