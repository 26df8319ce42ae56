"""A workbook becomes one table per sheet; JSON and GeoJSON uploads become tables; every table is
searchable, queryable with SQL and downloadable by its own id."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import FIXTURES, Api, gdc_dataset
from tests.datastore.test_ingest import upload

WORKBOOK = (FIXTURES / "datastore" / "ect-election-2566-results.sample.xlsx").read_bytes()
PROVINCES = (FIXTURES / "datastore" / "ect-2569-info_province.json").read_bytes()


def test_every_sheet_becomes_a_table(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, name="election", owner_org="nso", **gdc_dataset())
    rid = upload(client, sysadmin, "election", "ผลเลือกตั้ง.xlsx", WORKBOOK)["id"]
    assert run_pending(services, handlers()) == 5  # the ingest and a q index per sheet
    info = api.ok("datastore_info", id=rid)
    assert [(t["id"], t["name"]) for t in info["tables"]] == [
        (rid, "constituency_2566"),
        (f"{rid}:2", "candidate_2566"),
        (f"{rid}:3", "candidate_2569"),
        (f"{rid}:4", "partylist_by_constituency_2566"),
    ]
    assert info["ingest"]["report"]["format"] == "xlsx"
    types = {f["id"]: f["type"] for f in info["fields"]}
    assert types["จังหวัด"] == "text" and types["เขต"] == "int" and types["ผู้มีสิทธิ"] == "int"

    second = api.ok("datastore_info", id=f"{rid}:2")
    assert second["meta"]["name"] == "candidate_2566" and second["meta"]["count"] == 15
    found = api.ok("datastore_search", resource_id=f"{rid}:2", q="ก้าวไกล", sort="scores desc")
    assert found["total"] >= 1 and all(r["party"] == "ก้าวไกล" for r in found["records"])
    sql = f'SELECT party, sum(scores) AS s FROM "{rid}:2" GROUP BY party ORDER BY s DESC LIMIT 1'
    top = api.ok("datastore_search_sql", sql=sql)["records"][0]
    assert top["party"] == "ก้าวไกล"
    dump = client.get(f"/datastore/dump/{rid}:4?format=csv")
    assert dump.status_code == 200 and dump.content.decode("utf-8-sig").startswith("_id,จังหวัด,เขต")
    assert api.error("datastore_search", status=404, resource_id=f"{rid}:9")["__type"] == "Not Found Error"


def test_a_shorter_workbook_replaces_the_sheets(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, name="shrinks", owner_org="nso", **gdc_dataset())
    rid = upload(client, sysadmin, "shrinks", "results.xlsx", WORKBOOK)["id"]
    run_pending(services, handlers())
    response = client.post(
        "/api/3/action/resource_update",
        data={"id": rid, "package_id": "shrinks", "name": "เขต", "format": "CSV"},
        files={"upload": ("เขต.csv", "จังหวัด,เขต\nกระบี่,1\n".encode(), "text/csv")},
        headers={"Authorization": sysadmin},
    )
    assert response.status_code == 200
    run_pending(services, handlers())
    assert [t["id"] for t in api.ok("datastore_info", id=rid)["tables"]] == [rid]
    assert api.error("datastore_search", status=404, resource_id=f"{rid}:2")


def test_json_and_geojson_uploads_become_tables(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, name="shapes", owner_org="nso", **gdc_dataset())
    provinces = upload(client, sysadmin, "shapes", "provinces.json", PROVINCES, fmt="JSON")["id"]
    features = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"ชื่อ": "ท่าแพ", "ปี": "๒๕๖๔"},
             "geometry": {"type": "Point", "coordinates": [98.99, 18.79]}},
            {"type": "Feature", "properties": {"ชื่อ": "นิมมาน", "ปี": "๒๕๖๕"},
             "geometry": {"type": "Point", "coordinates": [98.97, 18.80]}},
        ],
    }  # fmt: skip
    places = upload(
        client, sysadmin, "shapes", "places.geojson", json.dumps(features, ensure_ascii=False).encode()
    )["id"]
    assert run_pending(services, handlers()) == 4
    assert api.ok("datastore_search", resource_id=provinces, limit=1)["total"] > 10
    rows = api.ok("datastore_search", resource_id=places, sort="ปี")["records"]
    assert [r["ชื่อ"] for r in rows] == ["ท่าแพ", "นิมมาน"] and rows[0]["ปี"] == 2564
    assert json.loads(rows[0]["geometry"])["coordinates"] == [98.99, 18.79]


def test_a_zip_bomb_named_xlsx_fails_cleanly_and_keeps_the_last_table(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any], tmp_path: Any
) -> None:
    import zipfile

    api.ok("package_create", sysadmin, name="bomb", owner_org="nso", **gdc_dataset())
    rid = upload(client, sysadmin, "bomb", "results.xlsx", WORKBOOK)["id"]
    run_pending(services, handlers())
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (200 * 1024 * 1024))
    response = client.post(
        "/api/3/action/resource_update",
        data={"id": rid, "package_id": "bomb", "name": "bomb"},
        files={"upload": ("results.xlsx", bomb.read_bytes(), "application/octet-stream")},
        headers={"Authorization": sysadmin},
    )
    assert response.status_code == 200
    run_pending(services, handlers())
    info = api.ok("datastore_info", id=rid)
    assert info["ingest"]["job"]["state"] == "failed"
    assert "compress" in info["ingest"]["error"].lower() or "too large" in info["ingest"]["error"].lower()
    assert api.ok("datastore_search", resource_id=f"{rid}:2", limit=1)["total"] == 15  # still serving
