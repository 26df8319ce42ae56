"""Data category and classification decide who sees a dataset: only public + open data is public; a
classified dataset is seen by its organization's members whose clearance reaches its level, on every
path (API, search, DataStore search and SQL, dumps, downloads, activity, lists)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset, make_user
from tests.datastore.test_ingest import ICU_BEDS, upload


def test_only_public_open_data_may_be_public(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    personal = api.error(
        "package_create",
        sysadmin,
        name="patients",
        owner_org="nso",
        **gdc_dataset(data_category="ข้อมูลส่วนบุคคล"),
    )
    assert "ข้อมูลสาธารณะ" in personal["private"][0]
    secret = api.error(
        "package_create", sysadmin, name="secret", owner_org="nso", **gdc_dataset(data_classification="ลับ")
    )
    assert "เปิดเผย" in secret["private"][0]
    bad = api.error(
        "package_create", sysadmin, name="odd", owner_org="nso", **gdc_dataset(data_classification="x")
    )
    assert "data_classification" in bad
    api.ok("package_create", sysadmin, name="patients", owner_org="nso", private=True,
           **gdc_dataset(data_category="ข้อมูลส่วนบุคคล"))  # fmt: skip
    assert api.error("package_patch", sysadmin, id="patients", private=False)["private"]
    assert api.ok("package_show", sysadmin, id="patients")["private"] is True  # nothing changed


def test_clearance_decides_on_every_path(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    _, cleared = make_user(services, "cleared")
    _, uncleared = make_user(services, "uncleared")
    api.ok("organization_member_create", sysadmin, id="nso", username="cleared", role="editor", clearance=2)
    api.ok("organization_member_create", sysadmin, id="nso", username="uncleared", role="editor", clearance=1)
    assert api.error("organization_member_create", sysadmin, id="nso", username="uncleared", role="member",
                     clearance=7)["clearance"]  # fmt: skip
    secret = gdc_dataset(title="งบประมาณลับ", data_category="ข้อมูลความลับทางราชการ", data_classification="ลับ")
    api.ok("package_create", sysadmin, name="budget", owner_org="nso", private=True, **secret)
    rid = upload(client, sysadmin, "budget", "beds.csv", ICU_BEDS)["id"]
    run_pending(services, handlers())
    res_url = api.ok("resource_show", sysadmin, id=rid)["url"].removeprefix("http://testserver")

    def sees(token: str) -> list[bool]:
        headers = {"Authorization": token}

        def answers(action: str, **data: Any) -> bool:
            return client.post(f"/api/3/action/{action}", json=data, headers=headers).status_code == 200

        return [
            answers("package_show", id="budget"),
            api.ok("package_search", token, q="งบประมาณลับ", include_private=True)["count"] == 1,
            api.ok("current_package_list_with_resources", token) != [],
            answers("resource_show", id=rid),
            answers("datastore_search", resource_id=rid),
            answers("datastore_search_sql", sql=f'SELECT count(*) AS n FROM "{rid}"'),
            client.get(f"/datastore/dump/{rid}", headers=headers).status_code == 200,
            client.get(res_url, headers=headers).status_code == 200,
            answers("package_activity_list", id="budget"),
        ]

    assert sees(cleared) == [True] * 9  # clearance 2 reaches ลับ
    assert sees(uncleared) == [False] * 9  # clearance 1 does not: as if the dataset did not exist
    # An editor may not lower the classification to reach it or publish it; the organization's admin may.
    assert api.error("package_patch", cleared, status=403, id="budget", data_classification="เปิดเผย")
    refused = next(e for e in api.ok("audit_list", sysadmin) if e["action"] == "request.refused")
    assert refused["actor"] == "cleared" and refused["details"]["action"] == "package_patch"  # audited
    assert refused["object_id"] == "budget"
    assert api.ok("package_show", sysadmin, id="budget")["data_classification"] == "ลับ"  # nothing changed
    api.ok("organization_member_create", sysadmin, id="nso", username="cleared", role="admin")
    assert api.ok("organization_show", sysadmin, id="nso")["users"]  # clearance kept when not given
    api.ok("package_patch", cleared, id="budget", data_classification="ชั้นเผยแพร่ภายในองค์กร")
    assert sees(uncleared) == [True] * 9  # level 1 now: within the editor's clearance


def test_public_data_needs_an_open_licence(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    licences = {lic["id"]: lic for lic in api.ok("license_list")}
    assert licences["ogl-th"]["title"] == "Open Government Licence - Thailand"
    assert licences["sg-odl"]["title"] == "Singapore Open Data Licence v1.0"
    assert licences["ogl-th"]["od_conformance"] == "approved" or licences["ogl-th"].get("is_okd_compliant")
    closed = api.error(
        "package_create", sysadmin, name="closed", owner_org="nso", **gdc_dataset(license_id="cc-nc")
    )
    assert "open licence" in closed["license_id"][0]
    none = api.error("package_create", sysadmin, name="none", owner_org="nso", **gdc_dataset(license_id=""))
    assert none["license_id"] == ["Missing value"]  # the GDC profile requires one anyway
    api.ok(
        "package_create",
        sysadmin,
        name="closed",
        owner_org="nso",
        private=True,
        **gdc_dataset(license_id="cc-nc"),
    )
    api.ok("package_create", sysadmin, name="thai-open", owner_org="nso", **gdc_dataset(license_id="ogl-th"))
