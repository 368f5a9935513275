"""Each private member in mjtui/tui/textual_contract.py exists in the installed packages with the shape mjtui needs.

A failure names the member: this is the first test to read after upgrading Textual, Rich, textual-image or
textual-serve (`python -m benchmarks.upgrade_check` runs it first).
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer, Static

from mjtui.tui.textual_contract import CONTRACT, Private

PACKAGE = Path(__file__).resolve().parent.parent / "mjtui"


def owner(entry: Private) -> object:
    """The module, or the class inside it for a `Class.member` name."""
    module = importlib.import_module(entry.owner)
    if "." in entry.name:
        return getattr(module, entry.name.split(".")[0])
    return module


def member(entry: Private) -> str:
    return entry.name.split(".")[-1]


def parameters(function: Callable[..., object]) -> list[str]:
    return list(inspect.signature(function).parameters)


def a_class_whose_methods_take(init: list[str], render: list[str]) -> Callable[[object], None]:
    def check(cls: object) -> None:
        assert inspect.isclass(cls), "not a class"
        assert parameters(cls.__init__)[: len(init)] == init, f"__init__ takes {parameters(cls.__init__)}"
        assert parameters(cls.render_segments) == render, f"render_segments takes {parameters(cls.render_segments)}"
    return check


def a_slot(cls: type, name: str) -> None:
    assert name in getattr(cls, "__slots__", ()), f"{name} is not among {cls.__name__}'s slots"


def check_console_colour_system(_owner: object) -> None:
    from rich.color import ColorSystem
    from rich.console import Console

    assert isinstance(Console(color_system="truecolor")._color_system, ColorSystem)
    assert Console(color_system=None)._color_system is None


def check_set_dirty(cls: type[Widget]) -> None:
    assert callable(cls._set_dirty) and parameters(cls._set_dirty)[:2] == ["self", "regions"]


def check_closing(cls: type[Widget]) -> None:
    assert Widget()._closing is False


def check_bindings_ready(cls: type[Footer]) -> None:
    assert Footer()._bindings_ready is False


def check_cache_clear(cls: object) -> None:
    assert callable(cls.get_inner_outer.cache_clear)


def check_cell_size(function: Callable[[], object]) -> None:
    assert callable(function) and parameters(function) == []


def check_make_app(cls: object) -> None:
    assert inspect.iscoroutinefunction(cls._make_app) and parameters(cls._make_app) == ["self"]


def check_process(cls: type) -> None:
    async def nothing(*_args: object) -> None:
        return None

    service = cls("true", write_bytes=nothing, write_str=nothing, close=nothing, download_manager=None)
    assert service._process is None, "AppService no longer keeps its process as _process"


def check_divide(cls: object) -> None:
    assert parameters(cls.divide) == ["self", "cuts"]


def check_render_ansi(cls: object) -> None:
    assert parameters(cls.render_ansi) == ["style", "color_system"]


def a_widget_named(name: str) -> Callable[[type], None]:
    """A widget class CSS selects by its type name (tui/notices.py's TOAST_CSS)."""
    def check(cls: type) -> None:
        assert issubclass(cls, Widget) and cls.__name__ == name

    return check


STATIC_CHECKS: dict[tuple[str, str], Callable[..., None]] = {
    ("textual._compositor", "ChopsUpdate"): a_class_whose_methods_take(["self", "chops", "spans", "chop_ends"],
                                                                       ["self", "console"]),
    ("textual._compositor", "LayoutUpdate"): a_class_whose_methods_take(["self", "strips", "region"], ["self", "console"]),
    ("textual.strip", "Strip._segments"): lambda cls: a_slot(cls, "_segments"),
    ("textual.strip", "Strip.divide"): check_divide,
    ("textual.strip", "Strip.render_ansi"): check_render_ansi,
    ("rich.style", "Style._ansi"): lambda cls: a_slot(cls, "_ansi"),
    ("rich.style", "Style._link"): lambda cls: a_slot(cls, "_link"),
    ("rich.style", "Style._link_id"): lambda cls: a_slot(cls, "_link_id"),
    ("rich.console", "Console._color_system"): check_console_colour_system,
    ("textual.widget", "Widget._set_dirty"): check_set_dirty,
    ("textual.widget", "Widget._closing"): check_closing,
    ("textual.widgets", "Footer._bindings_ready"): check_bindings_ready,
    ("textual._styles_cache", "StylesCache.get_inner_outer"): check_cache_clear,
    ("textual.widgets._toast", "ToastRack"): a_widget_named("ToastRack"),
    ("textual.widgets._toast", "Toast"): a_widget_named("Toast"),
    ("textual.widgets._toast", "ToastHolder"): a_widget_named("ToastHolder"),
    ("textual_image._terminal", "get_cell_size"): check_cell_size,
    ("textual_serve.server", "Server._make_app"): check_make_app,
    ("textual_serve.app_service", "AppService._process"): check_process,
}
LIVE = {("textual.dom", "DOMNode.__watchers"), ("textual.app", "App._driver")}


def test_every_entry_has_a_check() -> None:
    listed = {(entry.owner, entry.name) for entry in CONTRACT}
    assert listed == set(STATIC_CHECKS) | LIVE


@pytest.mark.parametrize("entry", [entry for entry in CONTRACT if (entry.owner, entry.name) in STATIC_CHECKS],
                         ids=lambda entry: f"{entry.owner}.{entry.name}")
def test_the_private_member_is_there_with_its_shape(entry: Private) -> None:
    holder = owner(entry)
    found = getattr(holder, member(entry), None) if "." not in entry.name else holder
    assert found is not None, f"{entry.owner}.{entry.name} is gone (used in {entry.used_in}; without it {entry.without_it})"
    try:
        STATIC_CHECKS[(entry.owner, entry.name)](found)
    except AttributeError as exc:
        pytest.fail(f"{entry.owner}.{entry.name} is gone ({exc}); used in {entry.used_in}; without it {entry.without_it}")
    except AssertionError as exc:
        pytest.fail(f"{entry.owner}.{entry.name} changed shape: {exc} (expected {entry.shape}; used in {entry.used_in})")


class Watched(Static):
    count = reactive(0)


class Probe(App[None]):
    def compose(self) -> ComposeResult:
        yield Watched(id="watched")
        yield Static(id="watcher")


async def test_the_live_members_are_there_in_a_running_app() -> None:
    """App._driver (its write) and a node's "__watchers" map, which only a running app has."""
    app = Probe()
    async with app.run_test() as pilot:
        assert app._driver is not None and callable(app._driver.write), "App._driver or its write() is gone"
        watched, watcher = app.query_one("#watched", Watched), app.query_one("#watcher", Static)
        watcher.watch(watched, "count", lambda _value: None, init=False)
        await pilot.pause()
        watchers = getattr(watched, "__watchers", None)
        assert isinstance(watchers, dict) and watchers, "DOMNode's '__watchers' map is gone (tui/footer.py)"
        [(node, callback)] = watchers["count"]
        assert node is watcher and callable(callback), "DOMNode's '__watchers' entries are no longer (watcher, callback)"


def test_every_private_module_the_code_imports_is_in_the_contract() -> None:
    """A new `from textual._x import ...` (or textual_image._x, textual_serve._x) must be listed, so it is tested."""
    private_import = re.compile(r"^\s*(?:from|import)\s+((?:textual|textual_image|textual_serve|rich)(?:\.\w+)*\._\w+)"
                                r"|^\s*from\s+(textual|rich)\s+import\s+(_[a-z]\w*)", re.M)
    owners = {entry.owner for entry in CONTRACT}
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for match in private_import.finditer(path.read_text(encoding="utf-8")):
            found.add(match[1] or f"{match[2]}.{match[3]}")
    assert found and found <= owners, f"private modules imported but not in the contract: {sorted(found - owners)}"
