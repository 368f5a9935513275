"""The log file: where it is, that it rotates, and that no token ever reaches it."""

import logging
import os
import shutil
import stat
import subprocess
import sys

from mjtui.logs import MAX_BYTES, log, setup_logging

MJTUI = shutil.which("mjtui", path=os.path.dirname(sys.executable)) or "mjtui"


def test_the_log_is_private_and_masks_every_token_even_in_tracebacks(tmp_path):
    token = "user:1234-0123456789abcdef0123456789abcdef"
    path = setup_logging("debug", tmp_path / "logs" / "mjtui.log", secrets=[token])
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    log.info("sending Authorization: Bearer %s", token)
    try:
        raise RuntimeError(f"request with {token} failed")
    except RuntimeError as exc:
        log.error("poll failed", exc_info=exc)
    for handler in log.handlers:
        handler.flush()
    text = path.read_text()
    assert token not in text
    assert "use…def" in text and "RuntimeError" in text


def test_the_log_rotates_so_it_stays_bounded(tmp_path):
    setup_logging("info", tmp_path / "mjtui.log")
    line = "x" * 1000
    for _ in range(5 * MAX_BYTES // 1000):
        log.info(line)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files[:2] == ["mjtui.log", "mjtui.log.1"]
    assert all(p.stat().st_size <= MAX_BYTES + 2000 for p in tmp_path.iterdir())
    assert len(files) <= 4


def test_cli_actions_are_logged_with_the_token_masked(tmp_path):
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}
    where = subprocess.run([MJTUI, "config", "path", "log"], capture_output=True, text=True, env=env, check=True)
    log_path = where.stdout.strip()
    assert log_path.startswith(str(tmp_path)), log_path
    result = subprocess.run([MJTUI, "--demo", "--log-level", "info", "cancel", "nope", "--yes"],
                            capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    with open(log_path) as log:
        text = log.read()
    assert "cancel nope on account main: failed" in text and "Unable to locate job nope" in text
    assert "user:" not in text, "the demo account's token never appears"


def teardown_module() -> None:
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    logging.getLogger("mjtui").propagate = True
