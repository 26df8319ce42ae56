"""Uploading resource files (multipart) and downloading them (streamed, ranges, ETag)."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi.testclient import TestClient

from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset

CSV = "จังหวัด,จำนวนเตียง ICU\nกรุงเทพมหานคร,๑๒๓\nเชียงใหม่,45\n".encode()


def _upload(
    client: TestClient, token: str, package_id: str, filename: str, content: bytes, **fields: str
) -> Any:
    return client.post(
        "/api/3/action/resource_create",
        data={"package_id": package_id, "name": "เตียง ICU", **fields},
        files={"upload": (filename, content, "text/csv")},
        headers={"Authorization": token},
    )


def test_upload_then_download_with_range_and_etag(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    ds = api.ok("package_create", sysadmin, name="icu", owner_org="nso", **gdc_dataset())
    response = _upload(client, sysadmin, ds["id"], "../../etc/icu-beds.csv", CSV)
    assert response.status_code == 200, response.text
    res = response.json()["result"]
    assert res["url_type"] == "upload"
    assert res["url"] == f"http://testserver/dataset/{ds['id']}/resource/{res['id']}/download/icu-beds.csv"
    assert res["size"] == len(CSV)
    assert res["hash"] == "sha256:" + hashlib.sha256(CSV).hexdigest()
    assert res["format"] == "CSV" and res["mimetype"] == "text/csv"

    path = res["url"].removeprefix("http://testserver")
    assert client.get(path).status_code == 404  # public once its table is scanned for personal data
    assert client.get(path, headers={"Authorization": sysadmin}).content == CSV  # its editors at once
    run_pending(services, handlers())
    full = client.get(path)
    assert full.status_code == 200 and full.content == CSV
    assert full.headers["content-length"] == str(len(CSV))
    assert full.headers["content-type"].startswith("text/csv")
    etag = full.headers["etag"]
    part = client.get(path, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == CSV[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(CSV)}"
    tail = client.get(path, headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == CSV[-5:]
    assert client.get(path, headers={"Range": f"bytes={len(CSV) + 10}-"}).status_code == 416
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    head = client.head(path)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(CSV)) and head.content == b""
    # The dataset's name works in the URL too; another dataset's id does not.
    assert client.get(path.replace(ds["id"], "icu")).status_code == 200
    assert client.get(f"/dataset/nope/resource/{res['id']}/download/x.csv").status_code == 404


def test_private_dataset_files_are_404_to_outsiders(
    client: TestClient, api: Api, sysadmin: str, org: dict[str, Any]
) -> None:
    ds = api.ok("package_create", sysadmin, name="priv", owner_org="nso", private=True, **gdc_dataset())
    res = _upload(client, sysadmin, ds["id"], "beds.csv", CSV).json()["result"]
    path = res["url"].removeprefix("http://testserver")
    assert client.get(path).status_code == 404
    assert client.get(path, headers={"Authorization": sysadmin}).content == CSV


def test_oversized_upload_is_413_and_changes_nothing(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    ds = api.ok("package_create", sysadmin, name="big", owner_org="nso", **gdc_dataset())
    too_big = b"x" * (services.settings.max_upload_bytes + 1)
    response = _upload(client, sysadmin, ds["id"], "big.csv", too_big)
    assert response.status_code == 413
    assert response.json()["error"]["__type"] == "Validation Error"
    assert "upload" in response.json()["error"]
    assert api.ok("package_show", id="big")["num_resources"] == 0
    stored = list((services.settings.home / "files").rglob("big.csv"))
    assert stored == []  # no partial file left behind
    # Far over the limit: refused from Content-Length before the body is read.
    huge = b"y" * (services.settings.max_upload_bytes + 2 * 1024 * 1024)
    assert _upload(client, sysadmin, ds["id"], "huge.csv", huge).status_code == 413


def test_resource_update_patch_delete(
    client: TestClient, api: Api, sysadmin: str, org: dict[str, Any]
) -> None:
    ds = api.ok("package_create", sysadmin, name="res", owner_org="nso", **gdc_dataset())
    link = api.ok("resource_create", sysadmin, package_id="res", name="ลิงก์", url="https://data.go.th/x.xlsx")
    assert link["format"] == "XLSX" and link["url_type"] is None
    patched = api.ok("resource_patch", sysadmin, id=link["id"], description="คำอธิบาย")
    assert patched["description"] == "คำอธิบาย" and patched["name"] == "ลิงก์"
    replaced = api.ok("resource_update", sysadmin, id=link["id"], name="ใหม่", url="https://data.go.th/y.json")
    assert replaced["format"] == "JSON" and replaced["description"] == ""
    # New file on an existing resource through multipart resource_update.
    response = client.post(
        "/api/3/action/resource_update",
        data={"id": link["id"], "name": "ไฟล์"},
        files={"upload": ("beds.csv", CSV, "text/csv")},
        headers={"Authorization": sysadmin},
    )
    assert response.json()["result"]["url_type"] == "upload"
    assert "url" in api.error("resource_create", sysadmin, package_id="res", name="nothing")
    api.ok("resource_delete", sysadmin, id=link["id"])
    assert api.error("resource_show", status=404, id=link["id"])["__type"] == "Not Found Error"
    assert api.ok("package_show", id=ds["id"])["num_resources"] == 0
    changes = api.ok("package_activity_list", id="res")
    assert all(a["data"]["changed_fields"] for a in changes)
