"""Organizations, groups, licences and tags."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, gdc_dataset


def test_organization_lifecycle(api: Api, sysadmin: str) -> None:
    org = api.ok("organization_create", sysadmin, name="dga", title="สำนักงานพัฒนารัฐบาลดิจิทัล")
    assert org["type"] == "organization" and org["is_organization"] is True
    assert api.ok("organization_list") == ["dga"]
    listed = api.ok("organization_list", all_fields=True)
    assert listed[0]["title"] == "สำนักงานพัฒนารัฐบาลดิจิทัล" and listed[0]["package_count"] == 0
    shown = api.ok("organization_show", id="dga")
    assert [u["capacity"] for u in shown["users"]] == ["admin"]  # the creator is admin
    updated = api.ok("organization_update", sysadmin, id="dga", title="DGA")
    assert updated["title"] == "DGA"
    assert "name" in api.error("organization_create", sysadmin, name="dga")
    assert "name" in api.error("organization_create", sysadmin, name="ไม่ใช่ slug")
    api.ok("package_create", sysadmin, name="d1", owner_org="dga", **gdc_dataset())
    assert "id" in api.error("organization_delete", sysadmin, id="dga")  # still has datasets
    with_ds = api.ok("organization_show", id="dga", include_datasets=True)
    assert [p["name"] for p in with_ds["packages"]] == ["d1"]
    api.ok("package_delete", sysadmin, id="d1")
    api.ok("organization_delete", sysadmin, id="dga")
    assert api.error("organization_show", status=404, id="dga")["__type"] == "Not Found Error"


def test_groups_collect_datasets(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    api.ok("group_create", sysadmin, name="health", title="สุขภาพ / Health")
    api.ok(
        "package_create", sysadmin, name="beds", owner_org="nso", **gdc_dataset(groups=[{"name": "health"}])
    )
    assert api.ok("group_list") == ["health"]
    assert api.ok("group_show", id="health")["package_count"] == 1
    assert api.ok("package_show", id="beds")["groups"][0]["name"] == "health"
    error = api.error(
        "package_create", sysadmin, name="x2", owner_org="nso", **gdc_dataset(groups=[{"name": "nope"}])
    )
    assert "groups" in error
    found = api.ok("package_search", fq="groups:health")
    assert found["count"] == 1


def test_licences_and_tags(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    licences = {lic["id"]: lic for lic in api.ok("license_list")}
    assert {"cc-by", "odc-odbl", "sg-odl", "notspecified"} <= set(licences)
    assert licences["cc-by"]["od_conformance"] == "approved"
    api.ok("package_create", sysadmin, name="t0", owner_org="nso", **gdc_dataset())
    api.ok(
        "package_create",
        sysadmin,
        name="hidden",
        owner_org="nso",
        private=True,
        **gdc_dataset(tags=[{"name": "ลับเฉพาะ"}]),
    )
    assert api.ok("tag_list") == sorted(["สถิติ", "ข้อมูลสาธารณะ"])  # private tags stay private
    assert api.ok("tag_list", query="สถิ") == ["สถิติ"]


def test_site_read_and_status(api: Api) -> None:
    assert api.ok("site_read") is True
    status = api.ok("status_show")
    assert status["dataset_profile"] == "thai_gdc" and "ckan_version" in status
