"""mjtui: watch and steer Midjourney jobs from a terminal."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mjtui")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
