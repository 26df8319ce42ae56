"""The personal-data scan runs on every table after ingest; a public dataset whose table holds Thai
national IDs goes private, and cannot be published again until an admin records an approval."""

from __future__ import annotations

import json
import random
from typing import Any

from fastapi.testclient import TestClient

from sapan.governance.pii import thai_id_check_digit
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset, make_user
from tests.datastore.test_ingest import ICU_BEDS, upload


def thai_ids(n: int) -> list[str]:
    rng = random.Random(25)
    out = []
    for _ in range(n):
        first = str(rng.randint(1, 8)) + "".join(str(rng.randint(0, 9)) for _ in range(11))
        out.append(f"{first}{thai_id_check_digit(first)}")
    return out


def test_a_table_with_national_ids_takes_its_dataset_private(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    _, editor = make_user(services, "editor")
    api.ok("organization_member_create", sysadmin, id="nso", username="editor", role="editor")
    api.ok("package_create", sysadmin, name="welfare", owner_org="nso", **gdc_dataset(title="ผู้รับสวัสดิการ"))
    ids = thai_ids(40)
    rows = "\n".join(f"ผู้รับรายที่{i},{pid[0]}-{pid[1:5]}-{pid[5:10]}-{pid[10:12]}-{pid[12]},{i * 100}"
                     for i, pid in enumerate(ids))  # fmt: skip
    rid = upload(client, sysadmin, "welfare", "welfare.csv", f"ชื่อ,เลขประจำตัวประชาชน,เงิน\n{rows}\n".encode())[
        "id"
    ]
    clean = upload(client, sysadmin, "welfare", "beds.csv", ICU_BEDS)["id"]
    run_pending(services, handlers())

    assert api.ok("package_show", sysadmin, id="welfare")["private"] is True  # quarantined
    assert api.error("package_show", id="welfare", status=404)  # gone from the public
    found = api.ok("datastore_info", sysadmin, id=rid)["personal_data"]["findings"]
    assert [(f["column"], f["kind"], f["count"]) for f in found] == [("เลขประจำตัวประชาชน", "thai_id", 40)]
    assert found[0]["rows"][:3] == [1, 2, 3] and ids[0] not in json.dumps(found)  # positions, never values
    assert api.ok("datastore_info", sysadmin, id=clean)["personal_data"]["findings"] == []
    unpublished = [e for e in api.ok("audit_list", sysadmin) if e["action"] == "dataset.unpublish"]
    assert unpublished[0]["actor"] == "sapan" and rid in unpublished[0]["details"]["reason"]

    refused = api.error("package_patch", sysadmin, id="welfare", private=False)["private"][0]
    assert "thai_id in column 'เลขประจำตัวประชาชน'" in refused
    assert api.error("datastore_personal_data_approve", editor, status=403, resource_id=rid, reason="x" * 20)
    assert api.error("datastore_personal_data_approve", sysadmin, resource_id=rid, reason="ok")["reason"]
    api.ok("datastore_personal_data_approve", sysadmin, resource_id=rid,
           reason="ผู้รับยินยอมให้เปิดเผยตามหนังสือที่ สท 0401/123")  # fmt: skip
    assert api.ok("package_patch", sysadmin, id="welfare", private=False)["private"] is False
    approvals = [e for e in api.ok("audit_list", sysadmin) if e["action"] == "personal_data.approve"]
    assert approvals[0]["object_id"] == rid and approvals[0]["actor"] == "admin"


def test_national_ids_in_the_description_block_publishing(
    api: Api, sysadmin: str, org: dict[str, Any]
) -> None:
    pid = thai_ids(1)[0]
    notes = f"ติดต่อผู้ประสานงานเลขประจำตัว{pid[0]} {pid[1:5]} {pid[5:10]} {pid[10:12]} {pid[12]}ได้ที่สำนักงาน"
    refused = api.error("package_create", sysadmin, name="leak", owner_org="nso", **gdc_dataset(notes=notes))
    assert "thai_id" in refused["notes"][0]
    api.ok("package_create", sysadmin, name="leak", owner_org="nso", private=True, **gdc_dataset(notes=notes))


def test_masking_writes_a_new_version_and_keeps_the_original_private(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    from sapan.governance.pii import keyed_hash

    api.ok("package_create", sysadmin, name="aid", owner_org="nso", **gdc_dataset(title="ผู้รับความช่วยเหลือ"))
    ids = thai_ids(30)
    rows = "\n".join(f"ผู้รับรายที่{i},{pid},{pid}" for i, pid in enumerate(ids))
    res = upload(client, sysadmin, "aid", "aid.csv", f"ชื่อ,เลขบัตร,เลขอ้างอิง\n{rows}\n".encode())
    run_pending(services, handlers())
    assert api.ok("package_show", sysadmin, id="aid")["private"] is True  # quarantined

    bad = api.error("datastore_mask", sysadmin, resource_id=res["id"], columns={"ไม่มี": "drop"})
    assert "ไม่มี" in bad["columns"][0]
    assert (
        next(e for e in api.ok("audit_list", sysadmin) if e["action"] == "request.refused")["details"][
            "action"
        ]
        == "datastore_mask"
    )  # refused, audited, nothing changed
    masked = api.ok(
        "datastore_mask", sysadmin, resource_id=res["id"], columns={"เลขบัตร": "partial", "เลขอ้างอิง": "hash"}
    )
    assert masked["masked"] == {"เลขบัตร": "partial", "เลขอ้างอิง": "hash"}
    run_pending(services, handlers())  # the new version is scanned again: nothing left
    assert api.ok("datastore_info", sysadmin, id=res["id"])["personal_data"]["findings"] == []
    api.ok("package_patch", sysadmin, id="aid", private=False)  # publishable without an approval

    first = api.ok("datastore_search", resource_id=res["id"], limit=1)["records"][0]
    assert first["เลขบัตร"] == f"{ids[0][0]}-{ids[0][1:5]}-xxxxx-xx-x"
    assert first["เลขอ้างอิง"] == keyed_hash(ids[0], services.settings.resolved_secret_key)
    assert ids[0] not in client.get(f"/datastore/dump/{res['id']}").text
    path = res["url"].removeprefix("http://testserver")
    assert client.get(path).status_code == 404  # the uploaded original holds the IDs
    assert client.get(path, headers={"Authorization": sysadmin}).status_code == 200
