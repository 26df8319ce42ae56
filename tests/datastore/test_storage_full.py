"""A full storage (its quota, or a disk that says ENOSPC): the ingest fails with a report naming it,
an upload answers 507, and what is published stays exactly as it was. Run on a local folder here and on
S3 in tests/storage."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset
from tests.datastore.test_ingest import ICU_BEDS, upload

FULL = re.compile(r"Storage is full: \d+\.\d MiB used of \d+\.\d MiB quota; a file of \d+\.\d MiB .*")


def test_full_storage_fails_the_ingest_and_keeps_the_published_table(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    storage = services.catalog.storage
    api.ok("package_create", sysadmin, name="full", owner_org="nso", **gdc_dataset())
    res = upload(client, sysadmin, "full", "icu.csv", ICU_BEDS)
    run_pending(services, handlers())
    published = api.ok("datastore_search", resource_id=res["id"], sort="_id", limit=1000)
    sql = f'SELECT "Region", sum("Total_N_ICU_BED") AS beds FROM "{res["id"]}" GROUP BY 1 ORDER BY 1'
    sums = api.ok("datastore_search_sql", sql=sql)["records"]
    new_file = ICU_BEDS.replace(b"\n", b"\r\n")  # another version of the file, the same size or so
    storage.quota_bytes = storage.usage() + len(new_file) + 64  # room for the file, not for its table
    try:
        updated = upload(client, sysadmin, "full", "icu-2554.csv", new_file, resource_id=res["id"])
        run_pending(services, handlers())
        info = api.ok("datastore_info", id=res["id"])
        assert info["ingest"]["job"]["state"] == "failed"
        assert FULL.fullmatch(info["ingest"]["error"]), info["ingest"]["error"]
        assert info["ingest"]["job"]["error"] == info["ingest"]["error"]
        # The published table answers exactly as before, through the API and the SQL sandbox.
        assert api.ok("datastore_search", resource_id=res["id"], sort="_id", limit=1000) == published
        assert api.ok("datastore_search_sql", sql=sql)["records"] == sums
        assert api.ok("resource_show", id=res["id"])["datastore_active"] is True

        # An upload larger than the room left: 507 with a readable message; nothing kept or changed.
        used = storage.usage()
        response = client.post(
            "/api/3/action/resource_update",
            data={"id": res["id"], "package_id": "full", "name": "ตาราง"},
            files={"upload": ("bigger.csv", ICU_BEDS * 3, "text/csv")},
            headers={"Authorization": sysadmin},
        )
        assert response.status_code == 507, response.text
        body = response.json()
        assert body["success"] is False and body["error"]["__type"] == "Validation Error"
        assert FULL.fullmatch(body["error"]["upload"][0])
        assert storage.usage() == used
        shown = api.ok("resource_show", id=res["id"])
        assert (shown["url"], shown["hash"]) == (updated["url"], updated["hash"])
        assert shown["size"] == len(new_file)
        assert api.ok("datastore_search", resource_id=res["id"], sort="_id", limit=1000) == published
    finally:
        storage.quota_bytes = 0
    # Room again: the same file ingests.
    upload(client, sysadmin, "full", "icu-2554.csv", new_file, resource_id=res["id"])
    run_pending(services, handlers())
    assert api.ok("datastore_info", id=res["id"])["ingest"]["job"]["state"] == "done"


def test_the_portal_says_storage_is_full_and_keeps_nothing(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    from tests.web.html import parse
    from tests.web.publishing import EN, editor, login

    storage = services.catalog.storage
    token = login(client, editor(api, sysadmin, services))
    api.ok("package_create", sysadmin, **gdc_dataset(name="full-portal", owner_org="nso", private=True))
    tis620 = "จังหวัด,ผู้ป่วย\nเชียงใหม่,12\nขอนแก่น,7\n".encode("cp874") * 200
    storage.quota_bytes = storage.usage() + len(tis620) // 2
    try:
        page = client.post(
            "/dataset/full-portal/resource/new",
            data={"csrf_token": token},
            files={"upload": ("ผู้ป่วย.csv", tis620)},
            headers=EN,
        )
        assert page.status_code == 507 and "Storage is full" in parse(page.text).text
        scripted = client.post(
            "/dataset/full-portal/resource/new",
            data={"csrf_token": token},
            files={"upload": ("ผู้ป่วย.csv", tis620)},
            headers={**EN, "Accept": "application/json"},
        )
        assert scripted.status_code == 507 and FULL.fullmatch(scripted.json()["errors"][0])
    finally:
        storage.quota_bytes = 0
    assert api.ok("package_show", sysadmin, id="full-portal")["resources"] == []


def test_no_room_for_the_q_index_still_publishes_the_table(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    from sapan.datastore.models import DatastoreTable
    from sapan.db import transaction

    storage = services.catalog.storage
    api.ok("package_create", sysadmin, name="no-index", owner_org="nso", **gdc_dataset())
    res = upload(client, sysadmin, "no-index", "icu.csv", ICU_BEDS)
    run_pending(services, handlers())
    with transaction(services.sessions) as session:
        table = session.get(DatastoreTable, res["id"])
        assert table is not None and table.index_key is not None
        parquet, postings = storage.size(table.parquet_key), storage.size(table.index_key)
    assert postings > 1024
    # The same file again: room for it and its table (the same size), not for its q index.
    storage.quota_bytes = storage.usage() + len(ICU_BEDS) + parquet + 512
    try:
        upload(client, sysadmin, "no-index", "icu.csv", ICU_BEDS, resource_id=res["id"])
        run_pending(services, handlers())
    finally:
        storage.quota_bytes = 0
    info = api.ok("datastore_info", id=res["id"])
    assert info["ingest"]["job"]["state"] == "done" and info["q_index"]["job"]["state"] == "done"
    assert info["q_index"]["ready"] is True  # scanned for personal data: the public reads it
    with transaction(services.sessions) as session:
        assert session.get(DatastoreTable, res["id"]).index_key is None  # type: ignore[union-attr]
    found = api.ok("datastore_search", resource_id=res["id"], q="เชียงใหม่", fields="Province")
    assert found["records"] == [{"Province": "เชียงใหม่"}]  # q scans the table instead
