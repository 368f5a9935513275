"""The live monitor's logic without a screen: snapshots and their diffs, account health, back-off.

The dashboard (`mjtui.tui`) draws what this decides; it never imports Textual.
"""
