"""The storage keys a database row refers to: what a backup must copy for the rows it took.

Every writer in Sapan stores a file under a new key (a new uuid) and only then commits the row naming
it, so a row read in the backup's snapshot names a file that is complete and never rewritten. The one
deletion is the real-time compaction's: a day file it replaces is listed as `retired` and deleted one
compaction later, so a retired file may be gone by the time the backup copies it (it is not needed)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sapan.datastore.models import table_file_keys


@dataclass(frozen=True)
class FileRef:
    key: str
    sha256: str | None = None  # what the database says the file's digest is, when it says
    required: bool = True  # False: the catalogue works without it (a retired real-time file)


def _resource(row: Mapping[Any, Any]) -> Iterator[FileRef]:
    if row["storage_key"]:
        digest = row.get("hash") or ""
        yield FileRef(row["storage_key"], digest[7:] if digest.startswith("sha256:") else None)


def _datastore_table(row: Mapping[Any, Any]) -> Iterator[FileRef]:
    for key in table_file_keys(row["parquet_key"], row["index_key"], row.get("personal_data")):
        yield FileRef(key)


def _realtime_feed(row: Mapping[Any, Any]) -> Iterator[FileRef]:
    partitions = row.get("partitions") or {}
    for info in (partitions.get("days") or {}).values():
        yield FileRef(info["key"])
    for key in partitions.get("retired") or []:
        yield FileRef(key, required=False)


READERS = {"resource": _resource, "datastore_table": _datastore_table, "realtime_feed": _realtime_feed}
# Columns holding keys, for the test that fails when a new one appears without a reader above.
KEY_COLUMNS = {
    ("resource", "storage_key"),
    ("datastore_table", "parquet_key"),
    ("datastore_table", "index_key"),
    ("datastore_table", "personal_data"),
    ("realtime_feed", "partitions"),
}


def file_refs(table: str, row: Mapping[Any, Any]) -> Iterator[FileRef]:
    reader = READERS.get(table)
    if reader is not None:
        yield from reader(row)
