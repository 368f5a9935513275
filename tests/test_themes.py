"""Themes as a user meets them: the shipped files, a theme of their own, `--theme`, the palette, the saved choice."""

from __future__ import annotations

import os
import stat
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.contrast import clashes
from support.dashboard import advance, finish_time, focus_pane, make_dashboard, panes, quiet, settle, toasts
from textual.geometry import Region

from mjtui import cli
from mjtui.config import load_config
from mjtui.config_file import save_theme
from mjtui.store import Journal
from mjtui.themes import DEFAULT_THEME, shipped_themes_dir
from mjtui.tui import themes
from mjtui.tui.app import MjtuiApp
from mjtui.tui.channel_pane import ChannelPane
from mjtui.tui.confirm import ConfirmScreen
from mjtui.tui.history import HistoryScreen
from mjtui.tui.panels import FinishedTable

REPO = Path(__file__).resolve().parent.parent
GOOD = """\
dark = false
primary = "#336699"
background = "#fafafa"
[variables]
footer-key-foreground = "#336699"
"""

USER_CONFIG = """\
# my dashboard
default_account = "main"   # the one I use
refresh_seconds = 15
theme = "textual-dark"     # changed from the palette

[keys]
cancel = "x,delete"

[accounts.main]
provider = "useapi"
token_env = "USEAPI_TOKEN"
"""


def write_theme(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the files --------------------------------------------------------------------------------------


def test_every_file_in_themes_loads_without_a_warning():
    files = sorted(path.name.removesuffix(".toml") for path in (REPO / "themes").glob("*.toml"))
    loaded, warnings = themes.load([REPO / "themes"])
    assert warnings == []
    assert sorted(theme.name for theme in loaded) == files
    assert set(themes.SHIPPED_THEMES) <= set(files), "a dark default, light, high-contrast and ANSI theme ship"
    assert DEFAULT_THEME in files


def test_the_dashboard_ships_the_files_of_the_themes_folder():
    """From a checkout it reads `themes/` itself; an installed wheel carries a copy (pyproject's force-include)."""
    shipped = {theme.name: theme for theme in themes.shipped()}
    on_disk = {theme.name: theme for theme in themes.load([REPO / "themes"])[0]}
    assert shipped == on_disk


def test_the_ansi_theme_uses_only_the_terminals_own_colours():
    ansi = next(theme for theme in themes.shipped() if theme.name == "mjtui-ansi")
    assert ansi.ansi
    colours = [ansi.primary, ansi.secondary, ansi.accent, ansi.warning, ansi.error, ansi.success,
               ansi.foreground, ansi.background, ansi.surface, ansi.panel]
    colours += [value for name, value in ansi.variables.items() if not name.endswith("text-style")]
    assert all(colour.startswith("ansi_") for colour in colours), colours


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('primary = "#336699"\ndark = "yes"\n', "dark: expected true or false"),
        ('primry = "#336699"\n', "primry: unknown key (did you mean primary?)"),
        ('primary = "blurple"\n', "primary: not a colour: failed to parse 'blurple' as a color"),
        ('primary = "#336699"\n[variables]\nborder = "#12"\n', "variables.border: not a colour"),
        ('background = "#000000"\n', "primary: required"),
        ('primary = "#336699"\ntext_alpha = 2.0\n', "text_alpha: must be between 0 and 1"),
        ('primary = "#336699\n', "invalid TOML"),
    ],
    ids=["wrong-type", "unknown-key", "bad-colour", "bad-variable", "missing", "out-of-range", "bad-toml"],
)
def test_a_bad_user_theme_is_one_warning_naming_the_file_and_the_key(tmp_path, text, expected):
    folder = tmp_path / "themes"
    bad = write_theme(folder, "mine", text)
    write_theme(folder, "other", GOOD)
    loaded, warnings = themes.load([shipped_themes_dir(), folder])
    assert [theme.name for theme in loaded if theme.name in ("mine", "other")] == ["other"], "the good one still loads"
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert warnings[0].startswith(f"theme file {bad}: ")
    assert expected in warnings[0]


def test_a_theme_file_name_is_the_themes_name(tmp_path):
    write_theme(tmp_path, "My Theme", GOOD)
    loaded, warnings = themes.load([tmp_path])
    assert loaded == [] and "the file name must be the theme's name" in warnings[0]


def test_a_user_theme_of_the_same_name_replaces_the_shipped_one(tmp_path):
    write_theme(tmp_path, "mjtui-light", GOOD)
    loaded, _ = themes.load([shipped_themes_dir(), tmp_path])
    light = next(theme for theme in loaded if theme.name == "mjtui-light")
    assert light.primary == "#336699"


# -- in the dashboard -------------------------------------------------------------------------------


async def test_the_dashboard_starts_in_the_default_theme(make_sim, clock):
    app, _timers = make_dashboard(quiet(make_sim).sim, clock)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == DEFAULT_THEME
        assert set(themes.SHIPPED_THEMES) <= set(app.available_themes)


async def test_a_theme_switched_while_running_recolours_every_pane_and_its_gauges(make_sim, clock):
    """Pane colours come from one place for the app: a new theme must reach every pane, full or not."""
    q = quiet(make_sim)
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test() as pilot:
        await settle(pilot)
        full = panes(app)[q.full]

        def looks(pane: ChannelPane) -> tuple:
            gauges = pane.render_above(0, pane.size.width)
            return (pane.styles.border.top, tuple(segment.style.color for segment in gauges if segment.style))

        assert full.has_class("-full")
        before = {pane.channel_id: looks(pane) for pane in app.query(ChannelPane)}
        app.theme = "mjtui-light"
        await pilot.pause()
        after = {pane.channel_id: looks(pane) for pane in app.query(ChannelPane)}
        for channel_id, (border, gauges) in after.items():
            assert border != before[channel_id][0], f"{channel_id}: the border takes the new theme's colour"
            assert gauges != before[channel_id][1], f"{channel_id}: the gauges take the new theme's colours"
        error = app.get_css_variables()["error"]
        assert after[q.full][0][1].hex.lower() == error.lower(), "a full channel's border is the theme's error colour"


@pytest.mark.parametrize("theme", themes.SHIPPED_THEMES)
async def test_every_shipped_theme_draws_everything_readable(make_sim, clock, theme):
    """Panes (their borders, gauges and labels), the finished list, toasts, the confirm dialog and the history:
    every character on screen stands out from what it is drawn on (WCAG: 4.5:1 for text, 3:1 for lines and
    bars), and the ANSI theme never puts the terminal's default foreground on a fixed background."""
    q = quiet(make_sim)
    app, timers = make_dashboard(q.sim, clock, theme=theme, journal=Journal(":memory:", clock=clock))
    unreadable: list[str] = []

    def read(view: str, region: Region | None = None) -> None:
        strips = app.screen._compositor.render_strips()
        unreadable.extend(f"{view}: {clash}" for clash in clashes(strips, (app.ansi_theme_dark, app.ansi_theme_light), region))

    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await advance(pilot, clock, timers, finish_time(q.sim, q.lone) + 10, step=30)
        assert q.lone in app.query_one(FinishedTable).rows
        for severity in ("information", "warning", "error"):
            app.notify(f"a toast to read ({severity})", title=severity, severity=severity)
        await settle(pilot)
        read("dashboard")
        app.clear_notifications()
        await focus_pane(pilot, q.full)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        read("confirm", app.screen.query_one("ConfirmScreen > Vertical").region)  # what is under it is dimmed on purpose
        await pilot.press("n", "h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        read("history")
    assert unreadable == [], "\n".join(unreadable[:20])


async def test_a_bad_configured_theme_warns_and_the_default_is_used(make_sim, clock, tmp_path):
    bad = write_theme(tmp_path, "mine", 'primary = "blurple"\n')
    loaded, warnings = themes.load([shipped_themes_dir(), tmp_path])
    app, _timers = make_dashboard(quiet(make_sim).sim, clock, theme="mine", themes=loaded, warnings=warnings)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == DEFAULT_THEME
        shown = toasts(app)
        assert any(str(bad) in toast and "primary: not a colour" in toast for toast in shown), shown
        assert any("unknown theme 'mine'; using mjtui-dark" in toast for toast in shown), shown


async def test_a_user_theme_can_be_the_configured_one(make_sim, clock, tmp_path):
    write_theme(tmp_path, "mine", GOOD)
    loaded, _ = themes.load([shipped_themes_dir(), tmp_path])
    app, _timers = make_dashboard(quiet(make_sim).sim, clock, theme="mine", themes=loaded)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "mine"
        assert app.current_theme.dark is False


async def pick_theme_in_the_palette(pilot, name: str) -> None:
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*"theme")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press(*name)
    await pilot.pause(0.3)  # the palette searches in the background
    await pilot.press("enter")
    await settle(pilot)


async def test_a_theme_picked_in_the_palette_is_saved_to_the_config_keeping_the_rest(make_sim, clock, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_CONFIG, encoding="utf-8")
    before = load_config(path, environ={})
    app, _timers = make_dashboard(quiet(make_sim).sim, clock, theme=before.theme, save_theme=partial(save_theme, path))
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        await pick_theme_in_the_palette(pilot, "mjtui-high-contrast")
        assert app.theme == "mjtui-high-contrast"
        await app.workers.wait_for_complete()
    assert path.read_text(encoding="utf-8") == USER_CONFIG.replace(
        'theme = "textual-dark"     # changed', 'theme = "mjtui-high-contrast"     # changed')
    after = load_config(path, environ={})
    assert after.theme == "mjtui-high-contrast"
    assert after.model_copy(update={"theme": before.theme}) == before


async def test_the_theme_applied_on_start_is_not_written_back(make_sim, clock):
    saved: list[str] = []
    app, _timers = make_dashboard(quiet(make_sim).sim, clock, theme="mjtui-light", save_theme=saved.append)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "mjtui-light"
        await app.workers.wait_for_complete()
    assert saved == []


async def test_a_theme_that_cannot_be_saved_is_a_warning_and_stays_on_screen(make_sim, clock, tmp_path):
    app, _timers = make_dashboard(quiet(make_sim).sim, clock, save_theme=partial(save_theme, tmp_path / "gone.toml"))
    async with app.run_test() as pilot:
        await settle(pilot)
        app.theme = "mjtui-light"
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert app.theme == "mjtui-light"
        assert any("theme not saved: " in toast and "gone.toml: cannot read" in toast for toast in toasts(app)), toasts(app)


# -- saving the choice ------------------------------------------------------------------------------


def test_saving_a_theme_edits_only_its_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_CONFIG, encoding="utf-8")
    save_theme(path, "mjtui-light")
    assert path.read_text(encoding="utf-8") == USER_CONFIG.replace('"textual-dark"', '"mjtui-light"')
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_saving_a_theme_into_a_file_without_one_adds_it_after_the_top_level_settings(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_CONFIG.replace('theme = "textual-dark"     # changed from the palette\n', ""), encoding="utf-8")
    save_theme(path, "mjtui-ansi")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:4] == ["# my dashboard", 'default_account = "main"   # the one I use', "refresh_seconds = 15",
                         'theme = "mjtui-ansi"']
    assert load_config(path, environ={}).keys == {"cancel": "x,delete"}


def test_saving_a_theme_into_an_empty_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("", encoding="utf-8")
    save_theme(path, "mjtui-light")
    assert path.read_text(encoding="utf-8") == 'theme = "mjtui-light"\n'


def test_a_quoted_key_and_odd_layout_are_edited_in_place(tmp_path):
    """The file is edited as TOML (tomlkit), not as lines: a quoted key, spacing and comments all stay."""
    path = tmp_path / "config.toml"
    odd = '"theme"   =   "textual-dark"   # mine\n[accounts.main]\ntoken_env = "USEAPI_TOKEN"  # env\n'
    path.write_text(odd, encoding="utf-8")
    save_theme(path, "mjtui-light")
    assert path.read_text(encoding="utf-8") == odd.replace("textual-dark", "mjtui-light")


def test_saving_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "dotfiles" / "config.toml"
    real.parent.mkdir()
    real.write_text(USER_CONFIG, encoding="utf-8")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    save_theme(link, "mjtui-light")
    assert link.is_symlink()
    assert load_config(real, environ={}).theme == "mjtui-light"


# -- --theme ----------------------------------------------------------------------------------------


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[MjtuiApp]:
    """The apps `mjtui` would have run, not run."""
    apps: list[MjtuiApp] = []
    monkeypatch.setattr(MjtuiApp, "run", lambda self, *args, **kwargs: apps.append(self))
    return apps


def run(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(cli.main, ["--journal", ":memory:", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_an_unknown_theme_is_one_line_listing_the_themes(started, tmp_path):
    result = run("--config", str(tmp_path / "config.toml"), "--demo", "--theme", "nope")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("mjtui: --theme nope: no such theme; available: ")
    assert all(name in result.stderr for name in [*themes.SHIPPED_THEMES, "textual-dark"])
    assert started == []


def test_a_bad_theme_file_named_by_theme_says_what_is_wrong_with_it(started, tmp_path):
    write_theme(tmp_path / "themes", "mine", 'primary = "blurple"\n')
    result = run("--config", str(tmp_path / "config.toml"), "--demo", "--theme", "mine")
    assert result.exit_code == 2
    assert "--theme mine: theme file" in result.stderr and "mine.toml: primary: not a colour" in result.stderr


def test_theme_overrides_the_config_for_this_run_and_a_palette_pick_is_saved_to_it(started, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_CONFIG, encoding="utf-8")
    write_theme(tmp_path / "themes", "mine", GOOD)
    result = run("--config", str(path), "--theme", "mine", env={"USEAPI_TOKEN": "t0ken-value-123"})
    assert result.exit_code == 0, result.stderr
    (app,) = started
    assert app.wanted_theme == "mine" and "mine" in app.available_themes
    assert app.save_theme is not None
    app.save_theme("mjtui-light")
    assert load_config(path, environ={}).theme == "mjtui-light"


def test_the_configured_theme_is_used_without_theme(started, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_CONFIG, encoding="utf-8")
    run("--config", str(path), env={"USEAPI_TOKEN": "t0ken-value-123"})
    assert started[0].wanted_theme == "textual-dark"


def test_the_demo_never_writes_a_theme_to_the_config(started, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_CONFIG, encoding="utf-8")
    run("--config", str(path), "--demo", "--theme", "mjtui-ansi")
    (app,) = started
    assert app.wanted_theme == "mjtui-ansi" and app.save_theme is None


async def test_with_a_shipped_theme_the_users_themes_are_read_after_the_first_frame_then_offered(started, tmp_path):
    """The first frame waits for no check of the user's theme files when it draws mjtui's or Textual's own theme:
    they are read once it is painted, then offered in the palette, and a bad one is a warning."""
    path = tmp_path / "config.toml"
    path.write_text('theme = "mjtui-light"\n[accounts.main]\ntoken = "t0ken-value-123"\nbase_url = "http://127.0.0.1:9"\n',
                    encoding="utf-8")
    path.chmod(0o600)
    write_theme(tmp_path / "themes", "mine", GOOD)
    bad = write_theme(tmp_path / "themes", "broken", 'primary = "blurple"\n')
    assert run("--config", str(path)).exit_code == 0
    (app,) = started
    assert "mine" not in app.available_themes, "not read before the first frame"
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "mjtui-light"
        assert "mine" in app.available_themes
        assert any(str(bad) in toast and "primary: not a colour" in toast for toast in toasts(app)), toasts(app)


async def test_a_new_theme_recolours_what_is_already_on_screen(make_sim, clock):
    q = quiet(make_sim)
    app, timers = make_dashboard(q.sim, clock)
    async with app.run_test() as pilot:
        await settle(pilot)
        done = q.jobs[0]
        await advance(pilot, clock, timers, q.sim.world.jobs[done].finish_at - clock.now() + 10)
        table = app.query_one(FinishedTable)

        def status_colour() -> str:
            return table.get_cell(done, "status").style.color.get_truecolor().hex

        assert status_colour() == app.get_theme("mjtui-dark").success
        app.theme = "mjtui-light"
        await settle(pilot)
        assert status_colour() == app.get_theme("mjtui-light").success
