"""A small realistic catalogue to back up (Thai titles, a TIS-620 CSV ingested, a pushed table, a
private dataset, a group, users and tokens), and everything a restore must give back, read through the
API as clients see it."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from sapan.datastore.models import DatastoreTable
from sapan.db import transaction
from sapan.governance.audit import oldest_first, verify
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset, make_user
from tests.datastore.test_ingest import thai_variant, upload
from tests.governance.test_personal_data import thai_ids

THAI_CSV = thai_variant()  # the real ICU-beds file in TIS-620, with Thai digits and a title row


def build(client: TestClient, api: Api, services: Services, sysadmin: str) -> dict[str, Any]:
    """Fill the catalogue; returns the tokens and ids the checks need."""
    api.ok("organization_create", sysadmin, name="nso", title="สำนักงานสถิติแห่งชาติ")
    api.ok("group_create", sysadmin, name="health", title="สุขภาพ")
    _, editor = make_user(services, "somchai")
    api.ok("organization_member_create", sysadmin, id="nso", username="somchai", role="editor")
    api.ok("package_create", editor, name="icu-beds", owner_org="nso", groups=[{"name": "health"}],
           **gdc_dataset(title="จำนวนเตียง ICU จำแนกตามจังหวัด"))  # fmt: skip
    res = upload(client, editor, "icu-beds", "เตียง-icu.csv", THAI_CSV)
    api.ok("package_create", sysadmin, name="rain", owner_org="nso", private=True,
           **gdc_dataset(title="ปริมาณฝนรายวัน"))  # fmt: skip
    rid = api.ok("resource_create", sysadmin, package_id="rain", name="ฝน", url="http://example.go.th/r")[
        "id"
    ]
    api.ok("datastore_create", sysadmin, resource_id=rid, primary_key="station",
           fields=[{"id": "station", "type": "text"}, {"id": "mm", "type": "numeric"}],
           records=[{"station": "เชียงใหม่", "mm": 12.5}, {"station": "ภูเก็ต", "mm": 80.25}])  # fmt: skip
    api.ok("package_create", sysadmin, name="population", owner_org="nso",
           **gdc_dataset(title="Population by province", tags=[{"name": "population"}]))  # fmt: skip
    api.ok("package_create", sysadmin, name="gone", owner_org="nso", **gdc_dataset(title="ลบแล้ว"))
    api.ok("package_delete", sysadmin, id="gone")
    # A table with national IDs, masked: a new Parquet version, the original's key kept aside.
    api.ok("package_create", sysadmin, name="aid", owner_org="nso", **gdc_dataset(title="ผู้รับความช่วยเหลือ"))
    ids = "\n".join(f"ผู้รับรายที่{i},{pid}" for i, pid in enumerate(thai_ids(5)))
    aid = upload(client, sysadmin, "aid", "aid.csv", f"ชื่อ,เลขบัตร\n{ids}\n".encode())
    assert run_pending(services, handlers()) >= 2  # the ingests and the q indexes
    api.ok("datastore_mask", sysadmin, resource_id=aid["id"], columns={"เลขบัตร": "partial"})
    run_pending(services, handlers())
    return {"editor": editor, "upload": res, "aid": aid["id"]}


def catalogue(client: TestClient, api: Api, services: Services, sysadmin: str) -> dict[str, Any]:
    """What a restore must give back, as API answers (and the DataStore files' digests)."""
    search = api.ok("package_search", sysadmin, rows=1000, include_private=True, sort="name asc")
    names = [d["name"] for d in search["results"]]
    out: dict[str, Any] = {
        "search": search,
        "thai_search": [d["name"] for d in api.ok("package_search", q="เตียง")["results"]],
        "shows": [api.ok("package_show", sysadmin, id=n) for n in names],
        "organizations": api.ok("organization_list", all_fields=True),
        "groups": api.ok("group_list", all_fields=True),
        "users": [api.ok("user_show", sysadmin, id=n) for n in ("admin", "somchai")],
        "nso": api.ok("organization_show", sysadmin, id="nso", include_users=True),
        "datastore": {},
    }
    for ds in out["shows"]:
        for res in ds["resources"]:
            if res["datastore_active"]:
                found = api.ok("datastore_search", sysadmin, resource_id=res["id"], limit=1000)
                out["datastore"][res["id"]] = found
    with transaction(services.sessions) as session:
        entries = list(oldest_first(session))
        out["audit"] = ([(e.id, e.hash) for e in entries], verify(session))
        keys = session.scalars(select(DatastoreTable.parquet_key)).all()
    storage = services.catalog.storage
    out["parquet"] = {k: hashlib.sha256(b"".join(storage.read_range(k))).hexdigest() for k in keys if k}
    return out
