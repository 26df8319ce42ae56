"""A backup taken while the catalogue changes is the catalogue as it was at one moment: a writer adds a
dataset and rewrites a DataStore table (a new Parquet file each time) in each transaction while the
backup runs, and the restored catalogue holds exactly the first k of each."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from sapan.accounts.service import site_actor
from sapan.app import create_app
from sapan.backup.create import create_backup
from sapan.backup.restore import restore_backup
from sapan.catalog.datasets import create_dataset
from sapan.datastore import push
from sapan.db import transaction
from sapan.services import Services, build_services
from tests.backup.test_round_trip import target_settings
from tests.conftest import Api, gdc_dataset


def test_writes_during_a_backup_do_not_tear_it(
    api: Api, services: Services, sysadmin: str, tmp_path: Path
) -> None:
    api.ok("organization_create", sysadmin, name="nso", title="สำนักงานสถิติแห่งชาติ")
    api.ok("package_create", sysadmin, name="log", owner_org="nso", **gdc_dataset(title="บันทึก"))
    rid = api.ok("resource_create", sysadmin, package_id="log", name="บันทึก", url="http://example.go.th/l")[
        "id"
    ]
    fields = [{"id": "n", "type": "int"}, {"id": "label", "type": "text"}]
    api.ok("datastore_create", sysadmin, resource_id=rid, fields=fields, records=[])
    done, stop = [0], threading.Event()

    def writer() -> None:
        cfg = services.catalog
        while not stop.is_set():
            n = done[0]
            with transaction(services.sessions) as session:  # a dataset and a table rewrite, together
                actor = site_actor(session)
                create_dataset(session, cfg, actor, {"name": f"w-{n}", "owner_org": "nso",
                                                     **gdc_dataset(title=f"ชุดข้อมูลที่ {n}")})  # fmt: skip
                row = {"n": n, "label": f"แถว {n}"}
                push.upsert(
                    session, cfg.storage, actor, {"resource_id": rid, "method": "insert", "records": [row]}
                )
            done[0] = n + 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while done[0] < 3:
            time.sleep(0.01)
        during = done[0]
        summary = create_backup(services, str(tmp_path / "backup.tar"))
        after = done[0]
    finally:
        stop.set()
        thread.join()
    assert after > during  # the writer did go on while the backup ran

    target = target_settings(f"sqlite:///{tmp_path / 'target' / 'sapan.db'}", tmp_path / "target")
    restore_backup(target, summary.path)
    restored = build_services(target)
    try:
        with TestClient(create_app(services=restored)) as client:
            other = Api(client)
            names = other.ok("package_search", rows=1000, q="")["results"]
            written = sorted(int(d["name"][2:]) for d in names if d["name"].startswith("w-"))
            k = len(written)
            assert during <= k <= after and written == list(range(k))  # the first k, none torn
            rows = other.ok("datastore_search", sysadmin, resource_id=rid, limit=1000)["records"]
            assert [r["n"] for r in rows] == list(range(k))  # the table as of the same moment
            assert rows[-1]["label"] == f"แถว {k - 1}"
    finally:
        restored.close()
