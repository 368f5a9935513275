"""What a copy to the clipboard can promise: Textual copies with OSC 52, which tmux drops unless told to take it."""

from __future__ import annotations

import os
from collections.abc import Mapping

from textual.notifications import SeverityLevel

TMUX_SETTING = "set -g set-clipboard on"  # tmux's default, `external`, drops OSC 52 from the programs inside it


def copy_notice(what: str, environ: Mapping[str, str] = os.environ) -> tuple[str, SeverityLevel]:
    """The toast for `what` sent to the clipboard, and its severity: inside tmux, the setting it needs to arrive."""
    if environ.get("TMUX"):
        return f"{what} sent to the clipboard; inside tmux it arrives only with `{TMUX_SETTING}` in ~/.tmux.conf", "warning"
    return f"{what} copied to the clipboard", "information"
