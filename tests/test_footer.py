"""The footer rebuilds its keys when the keys to show change, and only then."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Button
from textual.widgets._footer import FooterKey

from mjtui.tui.footer import KeysFooter


class Plain(Button):
    pass


class WithKey(Button):
    BINDINGS = [Binding("z", "noop", "Zoom")]

    def action_noop(self) -> None:
        pass


class Keys(App[None]):
    BINDINGS = [Binding("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Plain("one", id="one")
        yield Plain("two", id="two")
        yield WithKey("three", id="three")
        yield KeysFooter()


def footer_text(app: App) -> str:
    return " ".join(str(key.description) for key in app.query(FooterKey))


async def settled(pilot) -> None:  # noqa: ANN001
    for _ in range(4):  # the footer rebuilds after a refresh
        await pilot.pause()


async def test_moving_focus_between_widgets_with_the_same_keys_keeps_the_footer_as_it_is():
    app = Keys()
    async with app.run_test() as pilot:
        app.query_one("#one").focus()
        await settled(pilot)
        keys = list(app.query(FooterKey))
        assert footer_text(app) == "Quit palette"
        app.query_one("#two").focus()
        await settled(pilot)
        assert list(app.query(FooterKey)) == keys, "the same keys: not rebuilt"


async def test_focus_on_a_widget_with_keys_of_its_own_shows_them_and_leaving_it_hides_them():
    app = Keys()
    async with app.run_test() as pilot:
        app.query_one("#one").focus()
        await settled(pilot)
        app.query_one("#three").focus()
        await settled(pilot)
        assert footer_text(app) == "Zoom Quit palette"
        app.query_one("#two").focus()
        await settled(pilot)
        assert footer_text(app) == "Quit palette"
