"""/dataset/{id}/datapackage.json: a Frictionless Data Package of a published dataset, with the Table
Schema of each ingested table, and without files the public may not download yet."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api
from tests.datastore.test_ingest import thai_variant, upload
from tests.harvest.conftest import publish

NAME = re.compile(r"^[a-z0-9._-]+$")  # the Data Package spec's name pattern
TABLE_SCHEMA_TYPES = {"string", "number", "integer", "boolean", "date", "datetime", "time", "year", "any"}


def check_structure(package: dict[str, Any]) -> None:
    """What the Data Package and Table Schema specs require of a descriptor."""
    assert NAME.match(package["name"]) and package["resources"]
    for licence in package.get("licenses", []):
        assert licence.get("name") or licence.get("path")
    names = [r["name"] for r in package["resources"]]
    assert len(names) == len(set(names))
    for res in package["resources"]:
        assert NAME.match(res["name"]) and re.match(r"^https?://\S+$", res["path"])
        assert isinstance(res.get("bytes", 0), int)
        for field in res.get("schema", {}).get("fields", []):
            assert field["name"] and field["type"] in TABLE_SCHEMA_TYPES


def _dataset(client: TestClient, api: Api, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    ds = publish(api, token, "icu-beds", "จำนวนเตียง ICU จำแนกตามจังหวัด พ.ศ. ๒๕๕๓", version="2553.1")
    api.ok("resource_create", token, package_id="icu-beds", name="ข้อมูลจังหวัด", url="https://data.go.th/จังหวัด.csv",
           format="CSV")  # fmt: skip
    table = upload(client, token, "icu-beds", "เตียง.csv", thai_variant())
    return ds, table


def test_data_package_of_a_thai_dataset(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    ds, table = _dataset(client, api, sysadmin)
    package = client.get("/dataset/icu-beds/datapackage.json").json()
    # Until its personal-data scan has run, the uploaded table's file is not public: not listed.
    assert [r["title"] for r in package["resources"]] == ["ข้อมูลจังหวัด"]
    run_pending(services, handlers())

    package = client.get(f"/dataset/{ds['id']}/datapackage.json").json()
    check_structure(package)
    assert package["name"] == "icu-beds" and package["title"] == "จำนวนเตียง ICU จำแนกตามจังหวัด พ.ศ. ๒๕๕๓"
    assert package["description"] == "จำนวนหนี้สินเฉลี่ยต่อครัวเรือน จำแนกตามภาค พ.ศ. 2564"
    assert package["version"] == "2553.1" and set(package["keywords"]) == {"สถิติ", "ข้อมูลสาธารณะ"}
    assert package["licenses"] == [
        {
            "name": "cc-by",
            "title": "Creative Commons Attribution",
            "path": "http://www.opendefinition.org/licenses/cc-by",
        }
    ]
    link, uploaded = package["resources"]
    assert link == {
        "name": "khomun-changwat",  # the Thai name, romanized
        "path": "https://data.go.th/%E0%B8%88%E0%B8%B1%E0%B8%87%E0%B8%AB%E0%B8%A7%E0%B8%B1%E0%B8%94.csv",
        "title": "ข้อมูลจังหวัด",
        "format": "csv",
        "mediatype": "text/csv",
    }
    assert uploaded["path"] == api.ok("resource_show", id=table["id"])["url"]
    assert uploaded["bytes"] == len(thai_variant()) and uploaded["hash"].startswith("sha256:")
    assert uploaded["format"] == "csv" and uploaded["mediatype"] == "text/csv"
    info = api.ok("datastore_info", id=table["id"])
    fields = {f["name"]: f["type"] for f in uploaded["schema"]["fields"]}
    assert "_id" not in fields and "primaryKey" not in uploaded["schema"]  # the file has no row numbers
    assert list(fields) == [f["id"] for f in info["fields"]]
    assert fields["Province"] == "string" and fields["Total_N_ICU_BED"] == "integer"
    assert fields["วันที่รายงาน"] == "date"  # Buddhist-era dates in the file, read as dates

    downloaded = client.get(uploaded["path"].removeprefix("http://testserver"))
    assert downloaded.status_code == 200 and downloaded.content == thai_variant()


def test_data_package_validates_with_frictionless(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    import frictionless  # a test dependency (pyproject)

    _dataset(client, api, sysadmin)
    run_pending(services, handlers())
    package = client.get("/dataset/icu-beds/datapackage.json").json()
    report = frictionless.Package.validate_descriptor(package)
    assert report.valid, report.flatten(["type", "note"])
