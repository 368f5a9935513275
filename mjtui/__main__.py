"""`python -m mjtui` is the `mjtui` command."""

from mjtui.cli import main

main(prog_name="mjtui")
