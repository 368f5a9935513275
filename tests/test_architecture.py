"""The layering in STYLE.md, enforced: the core never imports Textual; the simulator never imports the client."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_cli_commands_do_not_import_textual() -> None:
    """`mjtui jobs` in a script must not pay for importing Textual."""
    code = "import sys, mjtui.cli; assert 'textual' not in sys.modules, sorted(m for m in sys.modules if 'textual' in m)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
