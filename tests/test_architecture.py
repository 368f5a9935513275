"""The layering in STYLE.md, enforced: the core never imports Textual; the simulator never imports the client;
tests share helpers through tests/support only."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_cli_commands_do_not_import_textual() -> None:
    """`mjtui jobs` in a script must not pay for importing Textual."""
    code = "import sys, mjtui.cli; assert 'textual' not in sys.modules, sorted(m for m in sys.modules if 'textual' in m)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every absolute import in a file: (line, module)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_no_test_module_imports_another_test_module_or_conftest() -> None:
    """A helper two test modules need lives in tests/support, so running or changing one test file never runs another's code."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted([*TESTS.glob("*.py"), *TESTS.glob("support/**/*.py")])
        for line, module in imported_modules(path)
        if module.split(".")[0].startswith("test_") or module.split(".")[0] == "conftest"
    ]
    assert not offenders, "move what is shared to tests/support: " + "; ".join(offenders)


def test_helper_modules_live_in_support_not_beside_the_tests() -> None:
    strays = sorted(path.name for path in TESTS.glob("*.py") if path.name != "conftest.py" and not path.name.startswith("test_"))
    assert not strays, f"helper modules beside the test modules (move them to tests/support): {strays}"
