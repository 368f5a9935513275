"""The one-line prompt a button that takes text asks for (Custom Zoom, a remix), prefilled with the job's prompt."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from mjtui.api.buttons import MAX_PROMPT
from mjtui.text import clean


class PromptScreen(ModalScreen[str | None]):
    """Edit a prompt on one line: enter gives it (None when left empty), escape gives up (None)."""

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical {
        width: 100; max-width: 100%; height: auto; padding: 1 2;
        border: thick $accent; background: $surface;
    }
    PromptScreen #hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "give_up", "Cancel", id="prompt.escape")]

    def __init__(self, title: str, question: Text | str, prompt: str) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.prompt = clean(prompt, keep_newlines=False, limit=MAX_PROMPT)  # the service's text, made inert to edit

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Static(self.question)
            # Not selected on focus: typing adds to the job's prompt (--zoom 2) instead of replacing it.
            yield Input(self.prompt, max_length=MAX_PROMPT, select_on_focus=False, id="prompt")
            yield Static(Text("enter: next (you are asked before anything is sent)   esc: cancel"), id="hint")

    def on_mount(self) -> None:
        self.query_one("#prompt", Input).focus()

    @on(Input.Submitted, "#prompt")
    def _given(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_give_up(self) -> None:
        self.dismiss(None)
