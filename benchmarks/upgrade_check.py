"""Try mjtui on the newest releases of what it depends on, and say what broke.

    python -m benchmarks.upgrade_check            # every dependency at its newest release
    python -m benchmarks.upgrade_check --only textual rich
    python -m benchmarks.upgrade_check --keep     # keep the venv to look around in (its path is printed)

The routine for taking the next Textual release on purpose: this builds a throwaway venv, installs
the project's dependencies by name only (the pins in pyproject.toml and the lock are set aside, so
the resolver takes the newest releases), installs mjtui itself without its pins, then runs the
contract test of Textual's private parts first (tests/test_textual_contract.py: it names each
member that moved) and the whole suite after. It prints which versions differ from the lock and
the failing tests. Then: fix what broke, raise the pins in pyproject.toml, and regenerate the lock
(README, "Dependencies").
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "test.txt"
NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def dependency_names(extras: tuple[str, ...] = ("test",)) -> list[str]:
    """The names in pyproject.toml's dependencies and `extras`, without their version bounds."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = [*project["dependencies"], *(spec for extra in extras for spec in project["optional-dependencies"][extra])]
    return sorted({match[1].lower() for spec in specs if (match := NAME.match(spec))})


def locked_versions() -> dict[str, str]:
    if not LOCK.exists():
        return {}
    return {name.lower(): version for name, version in PINNED.findall(LOCK.read_text(encoding="utf-8"))}


def run(command: list[str], **options: object) -> subprocess.CompletedProcess[str]:
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, text=True, **options)  # type: ignore[call-overload]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="Upgrade only these; the rest stay at their locked versions.")
    parser.add_argument("--keep", action="store_true", help="Keep the venv and print its path.")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="mjtui-upgrade-"))
    venv = workdir / "venv"
    python = str(venv / "bin" / "python")
    run([sys.executable, "-m", "venv", str(venv)], check=True)
    if args.only:
        run([python, "-m", "pip", "install", "-q", "-r", str(LOCK)], check=True)
        run([python, "-m", "pip", "install", "-q", "--upgrade", *args.only], check=True)
    else:
        run([python, "-m", "pip", "install", "-q", "--upgrade", *dependency_names()], check=True)
    run([python, "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT)], check=True)

    listed = run([python, "-m", "pip", "list", "--format=freeze"], capture_output=True, check=True).stdout
    installed = {name.lower(): version for name, version in PINNED.findall(listed)}
    locked = locked_versions()
    moved = sorted((name, locked[name], installed[name]) for name in locked
                   if name in installed and installed[name] != locked[name])
    print("\nversions that differ from the lock:" if moved else "\nevery version is the locked one")
    for name, was, now in moved:
        print(f"  {name:<24} {was} -> {now}")

    contract = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_textual_contract.py"], cwd=ROOT)
    suite = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT)
    print(f"\ncontract test: {'passed' if contract.returncode == 0 else 'FAILED (see above: each line names a member)'}")
    print(f"whole suite:   {'passed' if suite.returncode == 0 else 'FAILED (see above)'}")
    if args.keep:
        print(f"venv kept at {venv}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if contract.returncode == suite.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
