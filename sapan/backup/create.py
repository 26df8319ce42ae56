"""Making a backup: the tables in one snapshot, then the files that snapshot refers to, then the
manifest. Writers may go on meanwhile: the backup is the catalogue as it was when the snapshot began."""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import Connection, func, select, text

import sapan
from sapan.backup import rows
from sapan.backup.archive import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    BackupError,
    FileEntry,
    Manifest,
    TableEntry,
    add_bytes,
    add_stream,
    file_member,
)
from sapan.backup.references import FileRef, file_refs
from sapan.backup.snapshot import snapshot
from sapan.db import Base
from sapan.services import Services
from sapan.storage.service import Storage

# The search index is derived from the catalogue and partly backend-specific (FTS5 or tsvector): the
# restore rebuilds it. Sentence vectors are kept: they are slow to compute and portable.
REBUILT = ("search_doc", "search_facet", "search_label", "search_term")
BATCH = 5000

# progress(stage, done, total): stage is "tables" (rows read) or "files" (bytes copied)
Progress = Callable[[str, int, int], None]


@dataclass
class Summary:
    path: str
    tables: int
    rows: int
    files: int
    file_bytes: int
    size: int
    warnings: list[dict[str, str]]
    seconds: float


def backup_tables() -> list[Any]:
    import sapan.models  # noqa: F401  (every table on Base.metadata)

    return [t for t in Base.metadata.sorted_tables if t.name not in REBUILT]


def target_path(dest: str) -> Path:
    """DEST itself, or a dated file in it when DEST is a folder."""
    path = Path(dest)
    if path.is_dir():
        return path / f"sapan-backup-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.tar"
    if path.exists():
        raise BackupError(f"{path} exists already; give a new file name or a folder")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a folder; create it first")
    if not os.access(path.parent, os.W_OK):
        raise BackupError(f"{path.parent} is not writable")
    return path


def create_backup(services: Services, dest: str, progress: Progress | None = None) -> Summary:
    """Write a backup of the whole catalogue to `dest` (a .tar file, or a folder to put one in).
    Raises BackupError; nothing is left at `dest` unless the backup is complete."""
    started = time.monotonic()
    path = target_path(dest)
    partial = path.with_name(path.name + ".partial")
    report = progress or (lambda stage, done, total: None)
    tables = backup_tables()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="sapan-backup-") as tmp,
            tarfile.open(partial, "w:", format=tarfile.PAX_FORMAT) as tar,
        ):
            now = time.time()
            with snapshot(services.engine) as conn:
                created = datetime.now(UTC).replace(tzinfo=None).isoformat()
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
                total = sum(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables)
                entries: list[TableEntry] = []
                refs: dict[str, FileRef] = {}
                done = 0
                for table in tables:
                    local = Path(tmp) / f"{table.name}.parquet"
                    entry, done = _dump(conn, table, local, refs, lambda n: report("tables", n, total), done)
                    entries.append(entry)
            # The snapshot is over: its files are copied now (they never change once written).
            for entry in entries:
                local = Path(tmp) / f"{entry['name']}.parquet"
                with local.open("rb") as f:
                    entry["sha256"] = add_stream(tar, entry["member"], entry["size"], f, now)
                local.unlink()
            files, warnings = _copy_files(tar, services.catalog.storage, refs, report, now)
            manifest: Manifest = {
                "format": FORMAT, "format_version": FORMAT_VERSION, "sapan_version": sapan.__version__,
                "created": created, "dialect": services.engine.dialect.name, "revision": revision,
                "tables": entries, "files": files, "warnings": warnings, "rebuilt": list(REBUILT),
            }  # fmt: skip
            add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode(), now)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Summary(
        str(path), len(entries), sum(e["rows"] for e in entries), len(files), sum(f["size"] for f in files),
        path.stat().st_size, warnings, time.monotonic() - started,
    )  # fmt: skip


def _dump(
    conn: Connection,
    table: Any,
    local: Path,
    refs: dict[str, FileRef],
    report: Callable[[int], None],
    done: int,
) -> tuple[TableEntry, int]:
    """One table -> a Parquet file, streamed in batches; collects the storage keys its rows name."""
    columns = [(c.name, rows.kind_of(c)) for c in table.c]
    names = [n for n, _ in columns]
    checksum = rows.RowChecksum()
    result = conn.execution_options(yield_per=BATCH).execute(select(table))
    with pq.ParquetWriter(local, rows.schema(columns), compression="zstd") as writer:
        for part in result.mappings().partitions():
            for row in part:
                checksum.add(row, names)
                for ref in file_refs(table.name, row):
                    old = refs.get(ref.key)  # a key named twice is required if either use needs it
                    if old is not None:
                        ref = FileRef(ref.key, ref.sha256 or old.sha256, ref.required or old.required)
                    refs[ref.key] = ref
            writer.write_batch(rows.to_batch(part, columns))
            done += len(part)
            report(done)
    entry: TableEntry = {
        "name": table.name, "member": f"db/{table.name}.parquet", "rows": checksum.rows,
        "checksum": checksum.hexdigest(), "columns": [{"name": n, "kind": k} for n, k in columns],
        "size": local.stat().st_size, "sha256": "",
    }  # fmt: skip
    return entry, done


def _copy_files(
    tar: tarfile.TarFile, storage: Storage, refs: dict[str, FileRef], report: Progress, mtime: float
) -> tuple[list[FileEntry], list[dict[str, str]]]:
    files: list[FileEntry] = []
    warnings: list[dict[str, str]] = []
    sizes: dict[str, int] = {}
    for key, ref in sorted(refs.items()):
        try:
            sizes[key] = storage.size(key)
        except FileNotFoundError:
            if ref.required:
                warnings.append({"key": key, "reason": "referenced by the database but not in storage"})
    total, done = sum(sizes.values()), 0
    for key, size in sizes.items():
        try:
            with storage.open_read(key) as source:
                digest = add_stream(tar, file_member(key), size, source, mtime)
        except FileNotFoundError as exc:
            if not refs[key].required:
                continue
            # Deleted after it was sized: only a retired real-time file may go (two compactions of one
            # feed during the backup would be needed otherwise); anything else is a real loss.
            raise BackupError(f"{key} disappeared from storage during the backup; run it again") from exc
        expected = refs[key].sha256
        if expected and expected != digest:
            warnings.append({"key": key, "reason": f"sha256 {digest} differs from the database's {expected}"})
        files.append({"key": key, "member": file_member(key), "size": size, "sha256": digest})
        done += size
        report("files", done, total)
    return files, warnings
