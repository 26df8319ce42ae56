"""Backup and restore round trips between SQLite and PostgreSQL (each source backend to each target):
the catalogue, the DataStore tables, the files, API tokens and the audit chain all come back."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sapan.app import create_app
from sapan.backup.create import create_backup
from sapan.backup.restore import restore_backup
from sapan.catalog.models import Resource
from sapan.config import Settings
from sapan.datastore.models import DatastoreTable
from sapan.db import transaction
from sapan.jobs.models import Job
from sapan.jobs.service import enqueue
from sapan.services import Services, build_services
from tests.backup import catalogue
from tests.conftest import Api, fresh_database_url, gdc_dataset


def manifest_keys(path: str) -> set[str]:
    with tarfile.open(path) as tar:
        return {f["key"] for f in json.loads(tar.extractfile("manifest.json").read())["files"]}  # type: ignore[union-attr]


def referenced_keys(services: Services) -> set[str]:
    """Every storage key the catalogue's rows name, found here without the backup's own code."""
    with transaction(services.sessions) as session:
        keys = set(session.scalars(select(Resource.storage_key)))
        for table in session.scalars(select(DatastoreTable)):
            keys |= {table.parquet_key, table.index_key, table.personal_data.get("original_key")}
    return {k for k in keys if k}


def target_settings(url: str, home: Path) -> Settings:
    return Settings(
        home=home,
        database_url=url,
        storage_url=str(home / "files"),
        max_upload_mb=1,
        site_url="http://testserver",
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """An empty database and storage of each kind to restore into."""
    for url in fresh_database_url(request.param, tmp_path_factory):
        yield target_settings(url, tmp_path_factory.mktemp("target"))


def test_round_trip(
    client: TestClient, api: Api, services: Services, sysadmin: str, target: Settings, tmp_path: Path
) -> None:
    made = catalogue.build(client, api, services, sysadmin)
    before = catalogue.catalogue(client, api, services, sysadmin)
    summary = create_backup(services, str(tmp_path / "backup.tar"))
    assert summary.warnings == [] and manifest_keys(summary.path) == referenced_keys(services)
    assert summary.files == 9  # 2 uploads; 3 Parquet tables, 1 masked table's original, 3 q indexes
    restored = restore_backup(target, summary.path)
    assert (restored.rows, restored.files, restored.datasets_indexed) == (summary.rows, summary.files, 4)

    again = build_services(target)
    try:
        with TestClient(create_app(services=again)) as other:
            other_api = Api(other)
            after = catalogue.catalogue(other, other_api, again, sysadmin)  # the source's token works
            assert after == before
            assert after["audit"][1] == [] and len(after["audit"][0]) >= 3  # the chain still verifies
            assert after["thai_search"] == ["icu-beds"] and len(after["datastore"]) == 3
            assert other_api.call("package_show", "not-a-token", 403, id="rain")["success"] is False
            assert other_api.ok("package_show", made["editor"], id="icu-beds")["title"].startswith("จำนวน")
            masked = [r["เลขบัตร"] for r in after["datastore"][made["aid"]]["records"]]
            assert len(masked) == 5 and all(v.endswith("-xxxxx-xx-x") for v in masked)
            download = other.get(made["upload"]["url"])
            assert download.status_code == 200 and download.content == catalogue.THAI_CSV
            # the restored catalogue takes new writes (sequences continue after the restored ids)
            other_api.ok(
                "package_create", sysadmin, name="after-restore", owner_org="nso", **gdc_dataset(title="ใหม่")
            )
    finally:
        again.close()


def test_jobs_running_at_the_backup_are_queued_again(services: Services, tmp_path: Path) -> None:
    with transaction(services.sessions) as session:
        running = enqueue(session, "search_reindex", {"why": "ทดสอบ"})
        running.state = "running"
        finished = enqueue(session, "search_reindex", {})
        finished.state = "done"
    summary = create_backup(services, str(tmp_path / "backup.tar"))
    target = target_settings(f"sqlite:///{tmp_path / 'target' / 'sapan.db'}", tmp_path / "target")
    restore_backup(target, summary.path)
    again = build_services(target)
    try:
        with transaction(again.sessions) as session:
            states = {job.id: job.state for job in session.scalars(select(Job))}
    finally:
        again.close()
    assert states == {running.id: "queued", finished.id: "done"}


def test_a_file_lost_before_the_backup_is_a_warning(
    client: TestClient, api: Api, services: Services, sysadmin: str, tmp_path: Path
) -> None:
    made = catalogue.build(client, api, services, sysadmin)
    with transaction(services.sessions) as session:
        key = session.get(Resource, made["upload"]["id"]).storage_key  # type: ignore[union-attr]
    services.catalog.storage.delete(key)
    summary = create_backup(services, str(tmp_path / "backup.tar"))
    assert summary.warnings == [{"key": key, "reason": "referenced by the database but not in storage"}]
    assert summary.files == 8  # the rest is backed up; the restore gives back what there was
    target = target_settings(f"sqlite:///{tmp_path / 'target' / 'sapan.db'}", tmp_path / "target")
    assert restore_backup(target, summary.path).datasets_indexed == 4
