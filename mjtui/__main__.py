"""`python -m mjtui` is the `mjtui` command."""

from mjtui.entry import main

main(prog_name="mjtui")
