"""Restoring a backup into an empty catalogue: check every member against the manifest first (a damaged
or cut-short backup changes nothing), bring the schema to the backup's revision, load all tables and
copy the files in one transaction, then migrate to the newest schema and rebuild the search index."""

from __future__ import annotations

import os
import posixpath
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sapan.backup.archive import (
    BackupError,
    FileEntry,
    HashingReader,
    Manifest,
    TableEntry,
    file_member,
    open_backup,
)
from sapan.backup.create import Progress
from sapan.backup.load import load_tables, wipe
from sapan.backup.schema import move_schema_to, refuse_unless_empty
from sapan.config import Settings
from sapan.db import make_engine, transaction
from sapan.storage.service import Storage


@dataclass
class RestoreSummary:
    tables: int
    rows: int
    files: int
    file_bytes: int
    datasets_indexed: int
    seconds: float
    phases: dict[str, float]  # seconds per step: verify, schema, load (tables and files), search


def restore_backup(
    settings: Settings, src: str, force: bool = False, progress: Progress | None = None
) -> RestoreSummary:
    """Restore the backup `src` into the configured database and storage. Raises BackupError, leaving
    the target as it was, when the backup is damaged or incomplete, is from a newer Sapan, or the target
    holds a catalogue already (unless `force`, which replaces it)."""
    import sapan.models  # noqa: F401

    started = time.monotonic()
    phases: dict[str, float] = {}
    report = progress or (lambda stage, done, total: None)
    settings.home.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    tar, manifest = open_backup(src)
    engine = make_engine(url)
    try:
        with tar, tempfile.TemporaryDirectory(prefix="sapan-restore-") as tmp:
            refuse_unless_empty(engine, force)
            members = _verified(tar, manifest, Path(tmp), report)
            phases["verify"] = time.monotonic() - started
            move_schema_to(url, engine, manifest["revision"])
            phases["schema"] = time.monotonic() - started - sum(phases.values())
            storage = Storage.of(settings)
            with _files_undone_on_error(storage) as written, engine.begin() as conn:
                wipe(conn)
                load_tables(conn, manifest["tables"], Path(tmp), report)
                _copy_files(tar, members, manifest["files"], storage, written, report)
    finally:
        engine.dispose()
    phases["load"] = time.monotonic() - started - sum(phases.values())
    indexed = _rebuild_search(settings, report)
    phases["search"] = time.monotonic() - started - sum(phases.values())
    return RestoreSummary(
        len(manifest["tables"]), sum(t["rows"] for t in manifest["tables"]), len(manifest["files"]),
        sum(f["size"] for f in manifest["files"]), indexed, time.monotonic() - started, phases,
    )  # fmt: skip


def _verified(
    tar: tarfile.TarFile, manifest: Manifest, tmp: Path, report: Progress
) -> dict[str, tarfile.TarInfo]:
    """Read every member once, checking its size and sha256; the tables are kept in `tmp` to load."""
    members = {m.name: m for m in tar.getmembers()}
    for file in manifest["files"]:  # a key must stay inside storage
        key = file["key"]
        if file["member"] != file_member(key) or posixpath.normpath(key).startswith(("/", "..")):
            raise BackupError(f"The backup is damaged: {file['member']} has a storage key outside storage")
    entries: list[TableEntry | FileEntry] = [*manifest["tables"], *manifest["files"]]
    total, done = sum(e["size"] for e in entries), 0
    for entry in entries:
        info = members.get(entry["member"])
        if info is None:
            raise BackupError(f"The backup is incomplete: {entry['member']} is missing")
        stream = tar.extractfile(info)
        assert stream is not None
        keep = entry["member"].startswith("db/")
        reader = HashingReader(stream)
        try:
            with (tmp / Path(entry["member"]).name if keep else Path(os.devnull)).open("wb") as out:
                while chunk := reader.read(1024 * 1024):
                    out.write(chunk)
        except (tarfile.TarError, OSError) as exc:
            raise BackupError(f"The backup is incomplete: {entry['member']} is cut short ({exc})") from exc
        if reader.size != entry["size"] or reader.digest.hexdigest() != entry["sha256"]:
            raise BackupError(
                f"The backup is damaged: {entry['member']} does not match its checksum in the manifest; "
                "nothing was restored"
            )
        done += entry["size"]
        report("verify", done, total)
    return members


@contextmanager
def _files_undone_on_error(storage: Storage) -> Iterator[list[str]]:
    """The keys this restore wrote; deleted again if the restore fails, so storage is as it was."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for key in written:
            storage.delete(key)
        raise


def _copy_files(
    tar: tarfile.TarFile,
    members: dict[str, tarfile.TarInfo],
    entries: list[FileEntry],
    storage: Storage,
    written: list[str],
    report: Progress,
) -> None:
    total, done = sum(e["size"] for e in entries), 0
    for entry in entries:
        key = entry["key"]
        if not _same_file_there(storage, key, entry):
            stream: IO[bytes] | None = tar.extractfile(members[entry["member"]])
            assert stream is not None
            written.append(key)
            size, digest = storage.write(key, stream, max_bytes=2**62)
            if (size, digest) != (entry["size"], entry["sha256"]):
                raise BackupError(f"The backup is damaged: {entry['member']} changed while it was restored")
        done += entry["size"]
        report("files", done, total)


def _same_file_there(storage: Storage, key: str, entry: FileEntry) -> bool:
    """Restoring into the storage the backup came from (the database was lost, the files were not):
    a file already there with the right content is kept, not copied again."""
    if not storage.exists(key) or storage.size(key) != entry["size"]:
        return False
    reader = HashingReader(storage.open_read(key))
    with reader.source:
        while reader.read(1024 * 1024):
            pass
    return reader.digest.hexdigest() == entry["sha256"]


def _rebuild_search(settings: Settings, report: Progress) -> int:
    """Migrate to the newest schema, then rebuild the search index from the restored catalogue and
    queue again the jobs that were running when the backup was taken."""
    from sapan.jobs.service import requeue_interrupted
    from sapan.search.service import reindex
    from sapan.services import build_services

    services = build_services(settings)
    try:
        with transaction(services.sessions) as session:
            requeue_interrupted(session)
            return reindex(session, services.catalog, lambda n, total: report("search", n, total))
    finally:
        services.close()
