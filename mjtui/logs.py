"""The log file: a rotating file in the user log directory, with every known secret masked.

The dashboard owns the terminal, so nothing is logged to it; the CLI prints
its one-line errors itself. The log keeps what happened (poll failures,
actions, internal errors with their tracebacks) for when someone asks later.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from collections.abc import Iterable
from pathlib import Path

import platformdirs

from mjtui import secrets
from mjtui.secrets import redact

LEVELS = ("debug", "info", "warning", "error")
MAX_BYTES = 1_000_000
BACKUPS = 3
log = logging.getLogger("mjtui")


def default_log_path() -> Path:
    return platformdirs.user_log_path("mjtui") / "mjtui.log"


class MaskSecrets(logging.Filter):
    """Defence in depth: a token that reaches a log line anyway is masked as `abc…xyz`."""

    def __init__(self, tokens: Iterable[str]) -> None:
        super().__init__()
        for token in tokens:
            secrets.remember(token)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        text = message + ("\n" + self.format_exc(record) if record.exc_info else "")
        if redact(text) == text:
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info:
            record.exc_info, record.exc_text = None, redact(self.format_exc(record))
        return True

    @staticmethod
    def format_exc(record: logging.LogRecord) -> str:
        return record.exc_text or (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")


def setup_logging(level: str = "info", path: Path | None = None, secrets: Iterable[str] = ()) -> Path | None:
    """Log to a rotating file (mode 0600); return its path, or None when it cannot be written."""
    path = path or default_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskSecrets(secrets))
    for old in list(log.handlers):
        log.removeHandler(old)
        old.close()
    log.addHandler(handler)
    log.setLevel(level.upper())
    log.propagate = False
    return path
