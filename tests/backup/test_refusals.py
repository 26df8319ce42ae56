"""What a restore refuses, naming the problem and changing nothing: a damaged backup, a cut-short one,
one from a newer Sapan, and a target that already holds a catalogue (unless --force); and a backup
from an older schema, which is loaded into that schema and migrated."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

import sapan.models  # noqa: F401
from sapan.backup import rows
from sapan.backup.archive import BackupError
from sapan.backup.create import create_backup
from sapan.backup.references import KEY_COLUMNS
from sapan.backup.restore import restore_backup
from sapan.config import Settings
from sapan.db import Base, alembic_config, make_engine
from sapan.services import Services, build_services
from tests.backup import catalogue
from tests.backup.test_round_trip import target_settings
from tests.conftest import Api


@pytest.fixture()
def backup(client: TestClient, api: Api, services: Services, sysadmin: str, tmp_path: Path) -> Path:
    catalogue.build(client, api, services, sysadmin)
    return Path(create_backup(services, str(tmp_path / "backup.tar")).path)


@pytest.fixture()
def target(tmp_path: Path) -> Settings:
    return target_settings(f"sqlite:///{tmp_path / 'target' / 'sapan.db'}", tmp_path / "target")


def assert_untouched(settings: Settings) -> None:
    """No catalogue in the target database and no file in its storage."""
    engine = make_engine(settings.resolved_database_url)
    try:
        if inspect(engine).has_table("dataset"):
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM dataset")).scalar_one() == 0
    finally:
        engine.dispose()
    files = Path(settings.resolved_storage_url)
    assert not files.exists() or not [p for p in files.rglob("*") if p.is_file()]


def test_a_changed_byte_is_refused_naming_the_file(backup: Path, target: Settings) -> None:
    with tarfile.open(backup) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("เตียง-icu.csv"))
    with backup.open("r+b") as f:  # one byte of the uploaded CSV, in place
        f.seek(member.offset_data + 100)
        byte = f.read(1)
        f.seek(member.offset_data + 100)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(BackupError, match="damaged: files/resources/.*/เตียง-icu.csv does not match"):
        restore_backup(target, str(backup))
    assert_untouched(target)


def test_a_cut_short_backup_is_refused(backup: Path, target: Settings, tmp_path: Path) -> None:
    cut = tmp_path / "cut.tar"
    cut.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    with pytest.raises(BackupError, match=r"cut.tar is incomplete \(cut short"):
        restore_backup(target, str(cut))
    not_a_backup = tmp_path / "notes.tar"
    not_a_backup.write_text("สวัสดี")
    with pytest.raises(BackupError, match="not a Sapan backup"):
        restore_backup(target, str(not_a_backup))
    assert_untouched(target)


def test_a_member_missing_is_refused(backup: Path, target: Settings, tmp_path: Path) -> None:
    """A manifest naming a file the archive lacks (a backup put together by hand)."""
    partial = tmp_path / "partial.tar"
    with tarfile.open(backup) as tar, tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as out:
        for member in tar.getmembers():
            if not member.name.startswith("db/datastore_table"):
                out.addfile(member, tar.extractfile(member))
    with pytest.raises(BackupError, match="incomplete: db/datastore_table.parquet is missing"):
        restore_backup(target, str(partial))
    assert_untouched(target)


def with_manifest(backup: Path, out_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the backup whose manifest was edited by `change`."""
    with tarfile.open(backup) as tar, tarfile.open(out_path, "w", format=tarfile.PAX_FORMAT) as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return out_path


def test_a_backup_from_a_newer_sapan_is_refused(backup: Path, target: Settings, tmp_path: Path) -> None:
    newer = with_manifest(backup, tmp_path / "newer.tar", lambda m: m.update(revision="9999"))
    with pytest.raises(BackupError, match=r"revision 9999\) is newer than this version of Sapan knows"):
        restore_backup(target, str(newer))
    assert_untouched(target)


def test_rows_that_read_back_differently_undo_the_whole_restore(
    backup: Path, target: Settings, tmp_path: Path
) -> None:
    """The load checks each table against the manifest's row checksum before it commits."""

    def wrong_checksum(manifest: dict[str, Any]) -> None:
        next(t for t in manifest["tables"] if t["name"] == "resource")["checksum"] = "0" * 64

    changed = with_manifest(backup, tmp_path / "changed.tar", wrong_checksum)
    with pytest.raises(BackupError, match="Table resource reads back differently from the backup"):
        restore_backup(target, str(changed))
    assert_untouched(target)


def test_a_target_with_a_catalogue_is_refused_unless_forced(backup: Path, target: Settings) -> None:
    first = restore_backup(target, str(backup))
    with pytest.raises(BackupError, match=r"not empty \(5 datasets.*--force"):
        restore_backup(target, str(backup))
    again = restore_backup(target, str(backup), force=True)  # replaces it: the same catalogue again
    assert (again.rows, again.files, again.datasets_indexed) == (first.rows, first.files, 4)


def test_every_storage_key_column_is_followed() -> None:
    """A new column holding storage keys must be taught to the backup (references.py)."""
    for table in Base.metadata.sorted_tables:
        for column in table.c:
            if column.name.endswith("_key") and column.name != "primary_key":
                assert (table.name, column.name) in KEY_COLUMNS, f"{table.name}.{column.name}"


def test_a_key_outside_storage_is_refused(backup: Path, target: Settings, tmp_path: Path) -> None:
    def escape(manifest: dict[str, Any]) -> None:
        manifest["files"][0].update(key="../../outside", member="files/../../outside")

    with pytest.raises(BackupError, match=r"files/\.\./\.\./outside has a storage key outside storage"):
        restore_backup(target, str(with_manifest(backup, tmp_path / "escape.tar", escape)))
    assert_untouched(target)


HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
# What migrations after 0012 added, per table: an older Sapan's backup lacks these columns.
AFTER_0012 = {"resource": ["download_count"], "job": ["run_after", "lease_until", "worker"]}


def as_of_0012(backup: Path, out_path: Path) -> Path:
    """The backup as the Sapan of migration 0012 wrote it: without the columns of AFTER_0012."""
    with tarfile.open(backup) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        bodies: dict[str, bytes] = {}
        for entry in manifest["tables"]:
            dropped = AFTER_0012.get(entry["name"])
            if not dropped:
                continue
            old = pq.read_table(tar.extractfile(entry["member"])).drop_columns(dropped)  # type: ignore[arg-type]
            entry["columns"] = [c for c in entry["columns"] if c["name"] not in dropped]
            columns = [(c["name"], c["kind"]) for c in entry["columns"]]
            checksum = rows.RowChecksum()
            for batch in old.combine_chunks().to_batches():
                for row in rows.from_batch(batch, columns):
                    checksum.add(row, [n for n, _ in columns])
            sink = io.BytesIO()
            pq.write_table(old, sink)
            data = sink.getvalue()
            digest = hashlib.sha256(data).hexdigest()
            entry.update(checksum=checksum.hexdigest(), size=len(data), sha256=digest)
            bodies[entry["member"]] = data
        manifest["revision"] = "0012"
        with tarfile.open(out_path, "w", format=tarfile.PAX_FORMAT) as out:
            for member in tar.getmembers():
                body = tar.extractfile(member).read()  # type: ignore[union-attr]
                if member.name in bodies:
                    body = bodies[member.name]
                elif member.name == "manifest.json":
                    body = json.dumps(manifest).encode()
                member.size = len(body)
                out.addfile(member, io.BytesIO(body))
    return out_path


def test_a_backup_from_an_older_schema_is_loaded_into_it_then_migrated(
    backup: Path, target: Settings, tmp_path: Path
) -> None:
    old = as_of_0012(backup, tmp_path / "old.tar")
    build_services(target).close()  # a target made by `sapan init`: at the newest schema, stepped down
    restored = restore_backup(target, str(old))
    assert restored.datasets_indexed == 4
    services = build_services(target)
    try:
        with services.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD
            counts = conn.execute(text("SELECT download_count FROM resource")).scalars().all()
    finally:
        services.close()
    assert counts and set(counts) == {0}  # the column 0013 added, with its default
