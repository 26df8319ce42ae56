"""File storage over fsspec: a local folder by default, S3-compatible storage (s3fs) in production.
Files are streamed in both directions; nothing is held whole in memory. DuckDB reads the Parquet tables
where they lie: a local path, or an s3:// URL through this storage's fsspec filesystem registered on
the DuckDB connection (no httpfs extension, so nothing is downloaded at run time)."""

from __future__ import annotations

import errno
import hashlib
import io
import posixpath
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import duckdb
import fsspec

from sapan.errors import PayloadTooLarge, StorageFull

CHUNK = 1024 * 1024
REMOTE_CHUNK = 8 * CHUNK  # a ranged GET per 8 MiB of a download from S3
USAGE_TTL = 30.0  # seconds a listed usage is trusted; this process's own writes and deletes are counted
FULL = (errno.ENOSPC, errno.EDQUOT)


class Storage:
    """Keys are relative paths ("resources/<id>/<file>") under one root URL. `options` go to the fsspec
    filesystem (s3fs: key, secret, client_kwargs); `quota_bytes` > 0 caps the bytes kept under the root."""

    @classmethod
    def of(cls, settings: Any) -> Storage:
        """The storage these settings name, with its credentials and quota."""
        return cls(settings.resolved_storage_url, settings.storage_options, settings.storage_quota_bytes)

    def __init__(self, url: str, options: dict[str, Any] | None = None, quota_bytes: int = 0) -> None:
        self.fs: Any
        self.fs, self.root = fsspec.core.url_to_fs(url, **(options or {}))
        self.fs.makedirs(self.root, exist_ok=True)
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        self.local = protocol in ("file", "local")
        self.quota_bytes = quota_bytes
        self._usage: tuple[float, int] | None = None  # (listed at, bytes)
        self._usage_lock = threading.Lock()

    def _path(self, key: str) -> str:
        clean = posixpath.normpath(key)
        if clean.startswith(("/", "..")):
            raise ValueError(f"Storage key escapes the root: {key!r}")
        return posixpath.join(self.root, clean)

    # -- quota ---------------------------------------------------------------------------------

    def usage(self) -> int:
        """Bytes kept under the root: listed at most every USAGE_TTL seconds, kept current in between
        with this process's own writes and deletes."""
        with self._usage_lock:
            now = time.monotonic()
            if self._usage is None or now - self._usage[0] > USAGE_TTL:
                listed = int(self.fs.du(self.root, total=True)) if self.fs.exists(self.root) else 0
                self._usage = (now, listed)
            return self._usage[1]

    def _count(self, delta: int) -> None:
        with self._usage_lock:
            if self._usage is not None:
                self._usage = (self._usage[0], max(0, self._usage[1] + delta))

    def room(self) -> int | None:
        """Bytes that may still be written under the quota; None without a quota."""
        return None if not self.quota_bytes else self.quota_bytes - self.usage()

    def full(self, needed: int = 0) -> StorageFull:
        return StorageFull(self.usage() if self.quota_bytes else None, self.quota_bytes or None, needed)

    def _check_room(self, size: int) -> None:
        room = self.room()
        if room is not None and size > room:
            raise self.full(size)

    # -- writing -------------------------------------------------------------------------------

    def write(self, key: str, source: IO[bytes], max_bytes: int) -> tuple[int, str]:
        """Copy a stream into storage; return (size, sha256). Raises PayloadTooLarge over max_bytes and
        StorageFull past the quota or when the disk is full; nothing is kept then."""
        path = self._path(key)
        digest = hashlib.sha256()
        size = 0
        room = self.room()
        try:
            self.fs.makedirs(posixpath.dirname(path), exist_ok=True)
            out = self.fs.open(path, "wb")  # s3fs: a multipart upload, one part per block
            try:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge(max_bytes)
                    if room is not None and size > room:
                        raise self.full(size)
                    digest.update(chunk)
                    out.write(chunk)
            except BaseException:
                self._abandon(out)
                raise
            out.close()  # a full disk may say so only here
        except OSError as exc:
            self.delete(key)
            if exc.errno in FULL:
                raise self.full(size) from exc
            raise
        except BaseException:
            self.delete(key)
            raise
        self._count(size)
        return size, digest.hexdigest()

    def _abandon(self, out: Any) -> None:
        """Give up a file being written: on S3 its multipart upload is aborted (closing would publish
        what was sent so far), a local file is closed and deleted by the caller."""
        if self.local:
            out.close()
        else:
            out.discard()
            out.closed = True

    def put_file(self, key: str, local: Path) -> None:
        """Move a finished local file (an ingest's Parquet) into storage: a rename when storage is a
        folder on the same disk, else a streamed copy; the local file is gone afterwards. Raises
        StorageFull (nothing kept under `key`) past the quota or when the disk is full."""
        path = self._path(key)
        size = local.stat().st_size
        self._check_room(size)
        try:
            self.fs.makedirs(posixpath.dirname(path), exist_ok=True)
            if self.local:
                shutil.move(local, path)
            else:
                self.fs.put_file(str(local), path)
                local.unlink()
        except OSError as exc:
            self.delete(key)
            if exc.errno in FULL:
                raise self.full(size) from exc
            raise
        self._count(size)

    def delete(self, key: str) -> None:
        path = self._path(key)
        if not self.fs.exists(path):
            return
        size = int(self.fs.du(path, total=True))
        self.fs.rm(path, recursive=True)
        self._count(-size)

    # -- reading -------------------------------------------------------------------------------

    def check(self) -> None:
        """Raise when storage cannot be reached: its folder, or on object storage its bucket (a prefix
        there exists only once a file is under it, so a fresh deployment's has none yet)."""
        where = self.root if self.local else self.root.split("/", 1)[0]
        if not self.fs.exists(where):
            raise FileNotFoundError(f"storage root {where} does not exist")
        self.fs.ls(where, detail=False)

    def size(self, key: str) -> int:
        return int(self.fs.size(self._path(key)))

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key)))

    def read_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield the bytes [start, end] (inclusive, like an HTTP Range) in chunks. On S3 each chunk is one
        ranged GET of just those bytes (s3fs would otherwise read a whole 50 MiB block ahead)."""
        size, options = (CHUNK, {}) if self.local else (REMOTE_CHUNK, {"cache_type": "none"})
        with self.fs.open(self._path(key), "rb", **options) as f:
            f.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                chunk = f.read(size if remaining is None else min(size, remaining))
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def local_path(self, key: str) -> str | None:
        """A filesystem path of the file, when storage is a local folder (readers that need a file)."""
        return self._path(key) if self.local else None

    def open_read(self, key: str) -> IO[bytes]:
        """The file to read, seekable. On S3 it is wrapped in a 1 MiB io.BufferedReader: fsspec's own
        readline() reads a whole block (50 MiB in s3fs) per line, which made a line-by-line read of a
        50 MB CSV take minutes; the buffered reader finds lines in C."""
        opened = self.fs.open(self._path(key), "rb")
        return opened if self.local else io.BufferedReader(opened, buffer_size=CHUNK)

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

    # -- DuckDB --------------------------------------------------------------------------------

    def duckdb_path(self, key: str) -> str:
        """The file as DuckDB names it: a local path, or a URL (s3://bucket/...) that DuckDB reads
        through this storage's filesystem once attach() registered it on the connection."""
        return self._path(key) if self.local else str(self.fs.unstrip_protocol(self._path(key)))

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        """Let DuckDB read this storage's URLs on `con` and its cursors (a local folder needs nothing).
        Registering replaces the filesystem `con` had for the protocol: call it on a fresh connection,
        or once per storage as engine.cursor() does."""
        if self.local:
            return
        name = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        if con.filesystem_is_registered(name):
            con.unregister_filesystem(name)
        con.register_filesystem(self.fs)
