"""The dashboard: Textual widgets drawing what `mjtui.monitor` decides, fed by `mjtui.api`."""
