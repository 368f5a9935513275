"""mjtui: watch and steer Midjourney jobs from a terminal."""

__version__ = "0.1.0"
