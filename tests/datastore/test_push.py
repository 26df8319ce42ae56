"""Tables pushed as JSON: datastore_create, datastore_upsert, datastore_delete."""

from __future__ import annotations

from typing import Any

from sapan.services import Services
from tests.conftest import Api, gdc_dataset, make_user

FIELDS = [{"id": "สถานี", "type": "text"}, {"id": "ฝน_มม", "type": "numeric"}, {"id": "วันที่", "type": "date"}]


def test_create_upsert_delete(api: Api, services: Services, sysadmin: str, org: dict[str, Any]) -> None:
    api.ok("package_create", sysadmin, name="rain", owner_org="nso", **gdc_dataset())
    rid = api.ok("resource_create", sysadmin, package_id="rain", name="ฝนรายวัน", url="http://x/rain")["id"]
    records = [
        {"สถานี": "เชียงใหม่", "ฝน_มม": 12.5, "วันที่": "2024-06-01"},
        {"สถานี": "ภูเก็ต", "ฝน_มม": "40", "วันที่": "2024-06-01"},
    ]
    created = api.ok("datastore_create", sysadmin, resource_id=rid, fields=FIELDS, records=records,
                     primary_key=["สถานี", "วันที่"])  # fmt: skip
    assert created["primary_key"] == ["สถานี", "วันที่"]
    found = api.ok("datastore_search", sysadmin, resource_id=rid, sort="ฝน_มม desc")
    assert [r["สถานี"] for r in found["records"]] == ["ภูเก็ต", "เชียงใหม่"] and found["records"][0][
        "ฝน_มม"
    ] == 40.0
    assert api.ok("resource_show", id=rid)["datastore_active"] is True

    api.ok("datastore_upsert", sysadmin, resource_id=rid, records=[
        {"สถานี": "ภูเก็ต", "ฝน_มม": 55, "วันที่": "2024-06-01"},
        {"สถานี": "ขอนแก่น", "ฝน_มม": 0, "วันที่": "2024-06-01"},
    ])  # fmt: skip
    rows = {r["สถานี"]: r["ฝน_มม"] for r in api.ok("datastore_search", sysadmin, resource_id=rid)["records"]}
    assert rows == {"เชียงใหม่": 12.5, "ภูเก็ต": 55.0, "ขอนแก่น": 0.0}
    error = api.error("datastore_upsert", sysadmin, resource_id=rid, method="update",
                      records=[{"สถานี": "ตาก", "ฝน_มม": 1, "วันที่": "2024-06-01"}])  # fmt: skip
    assert "no record with key" in error["records"][0]
    assert (
        "not a valid date"
        in api.error(
            "datastore_upsert", sysadmin, resource_id=rid, records=[{"สถานี": "ตาก", "วันที่": "๑ มิ.ย."}]
        )["records"][0]
    )
    assert (
        api.ok("datastore_search", sysadmin, resource_id=rid)["total"] == 3
    )  # the failed calls changed nothing

    api.ok("datastore_delete", sysadmin, resource_id=rid, filters={"สถานี": "ภูเก็ต"})
    assert api.ok("datastore_search", sysadmin, resource_id=rid)["total"] == 2
    api.ok("datastore_delete", sysadmin, resource_id=rid)
    assert api.error("datastore_search", status=404, resource_id=rid)["__type"] == "Not Found Error"


def test_only_editors_push(api: Api, services: Services, sysadmin: str, org: dict[str, Any]) -> None:
    api.ok("package_create", sysadmin, name="rain2", owner_org="nso", **gdc_dataset())
    rid = api.ok("resource_create", sysadmin, package_id="rain2", name="r", url="http://x/r")["id"]
    _, outsider = make_user(services, "outsider-push")
    error = api.error("datastore_create", outsider, status=403, resource_id=rid, fields=FIELDS)
    assert error["__type"] == "Authorization Error"
    assert "fields" in api.error(
        "datastore_create", sysadmin, resource_id=rid, fields=[{"id": "x", "type": "blob"}]
    )
    assert "primary_key" in api.error(
        "datastore_create", sysadmin, resource_id=rid, fields=FIELDS, primary_key="nope"
    )
    bad = [{"สถานี": "a", "วันที่": "2024-01-01"}, {"สถานี": "a", "วันที่": "2024-01-01"}]
    assert (
        "same primary key"
        in api.error(
            "datastore_create",
            sysadmin,
            resource_id=rid,
            fields=FIELDS,
            records=bad,
            primary_key=["สถานี", "วันที่"],
        )["records"][0]
    )
