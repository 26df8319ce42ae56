"""Clean-up after processes that died: stored files no row points at (an upload or a table whose
commit never came, tables an ingest replaced) and dead workers' scratch folders; nothing in use goes."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from sapan.datastore.ingest import new_workdir, remove_dead_workdirs
from sapan.jobs.handlers import handlers
from sapan.jobs.recovery import sweep_orphans
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset


def age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def put(root: Path, key: str, hours_old: float) -> Path:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"left behind")
    age(path, hours_old)
    return path


def test_orphan_files_go_and_files_in_use_stay(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    root = Path(services.settings.resolved_storage_url)
    shutil.rmtree(root, ignore_errors=True)  # earlier tests' files: their rows are gone with the catalogue
    root.mkdir()
    api.ok("package_create", sysadmin, name="beds", owner_org="nso", **gdc_dataset())
    csv = "จังหวัด,เตียง\nเชียงใหม่,12\nขอนแก่น,9\n".encode()
    response = client.post(
        "/api/3/action/resource_create",
        data={"package_id": "beds", "name": "เตียง"},
        files={"upload": ("beds.csv", csv, "text/csv")},
        headers={"Authorization": sysadmin},
    )
    resource_id = response.json()["result"]["id"]
    run_pending(services, handlers())
    in_use = [p for p in root.rglob("*") if p.is_file()]
    assert len(in_use) >= 2  # the upload and its table
    for path in in_use:
        age(path, 5)  # old, but referenced
    orphans = [
        put(root, "resources/7b0c2a52-0000-4000-8000-000000000001/u1/half.csv", 2),  # upload never committed
        put(root, f"resources/{resource_id}/u2/replaced.csv", 2),  # the resource's file before an update
        put(root, f"datastore/{resource_id}/dead-attempt.parquet", 2),  # a table never switched to
    ]
    recent = put(root, "resources/7b0c2a52-0000-4000-8000-000000000002/u3/arriving.csv", 0.1)

    removed = sweep_orphans(services)
    assert sorted(removed) == sorted(str(p.relative_to(root)) for p in orphans)
    assert all(p.exists() for p in in_use) and recent.exists()  # in use, or maybe still on its way
    assert api.ok("datastore_search", sysadmin, resource_id=resource_id)["total"] == 2


def test_scratch_folders_of_dead_workers_are_removed() -> None:
    finished = subprocess.Popen(["true"])  # noqa: S607
    finished.wait()
    theirs = Path(tempfile.mkdtemp(prefix=f"sapan-ingest-{finished.pid}-"))
    (theirs / "spill").mkdir()
    mine = new_workdir()
    try:
        assert remove_dead_workdirs() >= 1
        assert not theirs.exists() and mine.exists()
    finally:
        shutil.rmtree(mine, ignore_errors=True)
