"""Job images kept on disk for the inspector's previews, within a size cap, oldest-used evicted first.

Every method does blocking file I/O: call them from a thread, never from the UI loop.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import platformdirs

DEFAULT_CAP_BYTES = 100 * 1024 * 1024
# Discord signs CDN links with expiring query parameters: the same image comes back under new ones.
_SIGNATURE_PARAMS = frozenset({"ex", "is", "hm"})


def default_cache_dir() -> Path:
    """Where previews are cached: ``previews`` in the platform's user cache directory."""
    return platformdirs.user_cache_path("mjtui") / "previews"


def cache_key(url: str) -> str:
    """The file name an image URL is kept under: a hash of the URL without its signature parameters."""
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _SIGNATURE_PARAMS])
    stable = urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, query, ""))
    return hashlib.sha256(stable.encode("utf-8", "surrogatepass")).hexdigest()[:40]


class ImageCache:
    """Images by URL in one directory; `put` keeps the directory's total under `cap_bytes`."""

    def __init__(self, directory: Path | None = None, cap_bytes: int = DEFAULT_CAP_BYTES) -> None:
        self.directory = directory or default_cache_dir()
        self.cap_bytes = cap_bytes

    def get(self, url: str) -> bytes | None:
        """The cached bytes of `url`, marking them recently used; None when not cached or unreadable."""
        path = self.directory / cache_key(url)
        try:
            data = path.read_bytes()
            os.utime(path)
        except OSError:
            return None
        return data

    def put(self, url: str, data: bytes) -> None:
        """Keep `data` for `url` (atomically), then evict the least recently used files over the cap.

        An image larger than the whole cap is not kept. Raises OSError when the directory cannot be written.
        """
        if len(data) > self.cap_bytes:
            return
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp_name, self.directory / cache_key(url))
        except OSError:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        self.evict()

    def evict(self) -> None:
        """Delete the least recently used images until the total is within the cap."""
        entries = []
        for path in self.directory.iterdir():
            if path.name.startswith("."):
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((stat.st_mtime_ns, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.cap_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
