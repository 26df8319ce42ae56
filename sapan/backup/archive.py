"""The backup file: an uncompressed tar (Parquet is compressed already; a plain tar streams in and out
and can be listed without reading it). Members: `db/<table>.parquet`, `files/<storage key>`, and
`manifest.json` last, so a backup cut short has no manifest and is refused as incomplete."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from typing import IO, Any, TypedDict

from sapan.errors import SapanError

FORMAT = "sapan-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(SapanError):
    """A backup that cannot be made, or one that cannot be restored (and nothing was changed)."""


class ColumnEntry(TypedDict):
    name: str
    kind: str


class TableEntry(TypedDict):
    name: str
    member: str
    rows: int
    checksum: str  # rows.RowChecksum of the rows
    columns: list[ColumnEntry]
    size: int
    sha256: str  # of the Parquet member


class FileEntry(TypedDict):
    key: str
    member: str
    size: int
    sha256: str


class Manifest(TypedDict):
    format: str
    format_version: int
    sapan_version: str
    created: str
    dialect: str  # the database the backup was taken from
    revision: str  # its Alembic revision
    tables: list[TableEntry]
    files: list[FileEntry]
    warnings: list[dict[str, str]]  # referenced files missing from storage, or differing from their digest
    rebuilt: list[str]  # tables not backed up: derived, rebuilt by the restore (the search index)


def file_member(key: str) -> str:
    return f"files/{key}"


class HashingReader(io.RawIOBase):
    """Reads through a stream, keeping the sha256 and size of what passed."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        chunk = self.source.read(n)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def add_stream(tar: tarfile.TarFile, member: str, size: int, source: IO[bytes], mtime: float) -> str:
    """Append `size` bytes of `source` as `member`; return their sha256 (the stream is read once)."""
    info = tarfile.TarInfo(member)
    info.size, info.mtime, info.mode = size, mtime, 0o644
    reader = HashingReader(source)
    try:
        tar.addfile(info, reader)
    except OSError as exc:  # tarfile's "unexpected end of data": the file shrank while being copied
        raise BackupError(f"{member}: {exc}") from exc
    return reader.digest.hexdigest()


def add_bytes(tar: tarfile.TarFile, member: str, data: bytes, mtime: float) -> None:
    add_stream(tar, member, len(data), io.BytesIO(data), mtime)


def open_backup(path: str) -> tuple[tarfile.TarFile, Manifest]:
    """Open a backup and read its manifest; BackupError when it is not a whole Sapan backup."""
    try:
        tar = tarfile.open(path, "r:")  # noqa: SIM115  (the caller closes it)
    except FileNotFoundError as exc:
        raise BackupError(f"{path}: no such file") from exc
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{path} is not a Sapan backup (not a tar file: {exc})") from exc
    try:
        info = tar.getmember(MANIFEST)
        stream = tar.extractfile(info)
        assert stream is not None
        manifest: Manifest = json.loads(stream.read())
    except KeyError as exc:
        tar.close()
        raise BackupError(
            f"{path} is incomplete: it has no {MANIFEST} (cut short while being written or copied?)"
        ) from exc
    except tarfile.ReadError as exc:  # the archive ends inside a member
        tar.close()
        raise BackupError(f"{path} is incomplete (cut short while being written or copied?): {exc}") from exc
    except (tarfile.TarError, OSError, ValueError) as exc:
        tar.close()
        raise BackupError(f"{path} is damaged: {exc}") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        tar.close()
        raise BackupError(
            f"{path} is not a Sapan backup of format version {FORMAT_VERSION} "
            f"({manifest.get('format')!r} version {manifest.get('format_version')!r})"
        )
    return tar, manifest
