"""File storage over fsspec: a local folder by default, S3-compatible storage in production.
Files are streamed in both directions; nothing is held whole in memory."""

from __future__ import annotations

import hashlib
import posixpath
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import fsspec

from sapan.errors import PayloadTooLarge

CHUNK = 1024 * 1024


class Storage:
    """Keys are relative paths ("resources/<id>/<file>") under one root URL."""

    def __init__(self, url: str) -> None:
        self.fs: Any
        self.fs, self.root = fsspec.core.url_to_fs(url)
        self.fs.makedirs(self.root, exist_ok=True)

    def _path(self, key: str) -> str:
        clean = posixpath.normpath(key)
        if clean.startswith(("/", "..")):
            raise ValueError(f"Storage key escapes the root: {key!r}")
        return posixpath.join(self.root, clean)

    def write(self, key: str, source: IO[bytes], max_bytes: int) -> tuple[int, str]:
        """Copy a stream into storage; return (size, sha256). Over max_bytes: nothing is kept."""
        path = self._path(key)
        self.fs.makedirs(posixpath.dirname(path), exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        try:
            with self.fs.open(path, "wb") as out:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            self.delete(key)
            raise
        return size, digest.hexdigest()

    def put_file(self, key: str, local: Path) -> None:
        """Move a finished local file (an ingest's Parquet) into storage: a rename when storage is a
        folder on the same disk, else a streamed copy; the local file is gone afterwards."""
        path = self._path(key)
        self.fs.makedirs(posixpath.dirname(path), exist_ok=True)
        if self.local_path(key) is not None:
            shutil.move(local, path)
        else:
            self.fs.put_file(str(local), path)
            local.unlink()

    def size(self, key: str) -> int:
        return int(self.fs.size(self._path(key)))

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key)))

    def read_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield the bytes [start, end] (inclusive, like an HTTP Range) in chunks."""
        with self.fs.open(self._path(key), "rb") as f:
            f.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                chunk = f.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def local_path(self, key: str) -> str | None:
        """A filesystem path DuckDB can read directly, when storage is a local folder."""
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        return self._path(key) if protocol in ("file", "local") else None

    def open_read(self, key: str) -> IO[bytes]:
        return self.fs.open(self._path(key), "rb")

    def listing(self, prefix: str) -> Iterator[tuple[str, float]]:
        """(key, time last modified as a Unix timestamp) of each file under `prefix`."""
        base = self._path(prefix)
        if not self.fs.exists(base):
            return
        root = self.root.rstrip("/") + "/"
        for path, info in self.fs.find(base, detail=True).items():
            modified = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or 0
            stamp = modified.timestamp() if hasattr(modified, "timestamp") else float(modified)
            yield str(path).removeprefix(root), stamp

    def delete(self, key: str) -> None:
        path = self._path(key)
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)
