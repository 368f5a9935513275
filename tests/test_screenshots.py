"""`screenshots/generate.py`, the script behind the README's pictures, runs and draws every view."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from mjtui.themes import DEFAULT_THEME

SCRIPT = Path(__file__).resolve().parent.parent / "screenshots" / "generate.py"


def load_script():
    spec = importlib.util.spec_from_file_location("generate_screenshots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def svg_text(path: Path) -> str:
    """The words on screen in a Textual SVG: tags dropped, non-breaking spaces made spaces."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<svg"), path
    return re.sub(r"<[^>]+>", "", text).replace("&#160;", " ")


async def test_the_script_draws_each_view_of_the_default_theme(tmp_path):
    generate = load_script()
    written = await generate.generate(tmp_path, themes=(DEFAULT_THEME,))
    folder = tmp_path / DEFAULT_THEME
    pictures = [path for path in written if path.suffix == ".svg"]  # and a PNG of the gateway, given rsvg-convert
    assert sorted(pictures) == sorted([tmp_path / "main.svg", tmp_path / "main-80x24.svg", tmp_path / "gateway.svg",
                                       tmp_path / "compact.svg",
                                       *(folder / f"{view}.svg" for view in generate.VIEWS)])
    assert "Recently finished" in svg_text(tmp_path / "main.svg")
    assert "reads as failed" in svg_text(folder / "confirm.svg")
    assert "History" in svg_text(folder / "history.svg")
    inspector = svg_text(folder / "inspector.svg")
    assert "Children" in inspector and "U1" in inspector and "V2" in inspector
    assert re.search(r"seed +\d+", inspector), "the seed was fetched"
    assert "401 Unauthorized" in svg_text(folder / "error.svg")
    assert "401 Unauthorized" not in svg_text(folder / "main.svg")
    compact = svg_text(tmp_path / "compact.svg")
    assert "● gateway" in compact and "pool-01" in compact and "LOCKED" in compact, "every channel of the four accounts"
    gateway = svg_text(tmp_path / "gateway.svg")
    assert "midjourney-proxy" in gateway and "LOCKED" in gateway and "fast time left" in gateway
