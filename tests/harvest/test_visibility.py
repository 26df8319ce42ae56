"""Private, classified, draft and deleted datasets never appear in any export, to anyone: not in the
catalogue in any syntax, not as per-dataset RDF, not as datapackage.json. Outsiders get the same 404 as
for a dataset that does not exist."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from sapan.harvest.export import NOT_PUBLISHED
from sapan.services import Services
from tests.conftest import Api, make_user
from tests.harvest.conftest import publish

SECRET = {"data_category": "ข้อมูลความลับทางราชการ", "data_classification": "ลับ"}
HIDDEN = {
    "private-open": ("แผนงานภายในที่ยังไม่เผยแพร่", {"private": True}),
    "classified": ("รายชื่อผู้ได้รับเงินอุดหนุนลับ", {"private": True, **SECRET}),
    "draft": ("ร่างรายงานสถิติแรงงาน", {"state": "draft"}),
    "deleted": ("ชุดข้อมูลที่ถูกลบแล้ว", {}),
}
PATHS = (
    "/dataset/{}.ttl",
    "/dataset/{}.jsonld",
    "/dataset/{}.rdf",
    "/dataset/{}.xml",
    "/dataset/{}/datapackage.json",
)


def test_unpublished_datasets_never_appear(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    _, member = make_user(services, "cleared")
    api.ok("organization_member_create", sysadmin, id="nso", username="cleared", role="editor", clearance=4)
    shown = publish(api, sysadmin, "public-labour", "สถิติแรงงานรายไตรมาส")
    hidden = {name: publish(api, sysadmin, name, title, **fields) for name, (title, fields) in HIDDEN.items()}
    api.ok("package_delete", sysadmin, id="deleted")
    assert (
        api.ok("package_show", member, id="classified")["title"] == HIDDEN["classified"][0]
    )  # they may read it

    for who in (None, member, sysadmin):  # the export is the public catalogue, whoever asks
        headers = {"Authorization": who} if who else {}
        for extension in ("ttl", "jsonld", "rdf", "xml"):
            body = client.get(f"/catalog.{extension}", headers=headers).content.decode()
            assert shown["id"] in body and "สถิติแรงงานรายไตรมาส" in body
            for name, ds in hidden.items():
                assert ds["id"] not in body and HIDDEN[name][0] not in body, (who, extension, name)
        for name, ds in hidden.items():
            for ref in (name, ds["id"]):
                for path in PATHS:
                    response = client.get(path.format(ref), headers=headers)
                    assert response.status_code == 404, (who, path, name)
                    message = response.json()["error"]["message"]
                    # Outsiders cannot tell a private dataset from a missing one; readers are told why.
                    readable = who == sysadmin or (who == member and name != "deleted")
                    assert message == (NOT_PUBLISHED if readable else "Dataset not found"), (who, name)
                    assert HIDDEN[name][0] not in response.text
                negotiated = client.get(f"/dataset/{ref}", headers={**headers, "Accept": "text/turtle"})
                assert negotiated.status_code == 404 and HIDDEN[name][0] not in negotiated.text
    for path in PATHS:
        assert client.get(path.format("public-labour")).status_code == 200, path
    for name in ("private-open", "classified"):  # a private dataset answers anonymous callers as unknown
        assert client.get(f"/dataset/{name}.ttl").json() == client.get("/dataset/no-such-thing.ttl").json()
