"""Data-flow agreements (issue 7, part 3): a partner portal's token sees only what its agreement allows,
on every read path; private and classified data never cross; an expired or revoked agreement stops the
flow; every answer to a partner is in the audit log with its datasets and bytes."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from sapan.accounts.models import ApiToken
from sapan.db import transaction, utcnow
from sapan.governance.agreements import inbound_allowed
from sapan.governance.audit import verify
from sapan.governance.models import DataFlowAgreement
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset
from tests.datastore.test_ingest import ICU_BEDS, upload

NEXT_YEAR = (utcnow() + timedelta(days=365)).date().isoformat()
PUBLIC_TITLE = "ชุดข้อมูลสาธารณะ จำนวนเตียงผู้ป่วยวิกฤต"
PRIVATE_TITLE = "แผนงานภายในที่ยังไม่เผยแพร่"
SECRET_TITLE = "งบประมาณลับของหน่วยงาน"
SECRET = {"data_category": "ข้อมูลความลับทางราชการ", "data_classification": "ลับ"}


def agreement(api: Api, sysadmin: str, name: str = "sg-portal", **fields: Any) -> dict[str, Any]:
    data = {"country": "SG", "base_url": "https://data.sg.example", "expires": NEXT_YEAR, **fields}
    result: dict[str, Any] = api.ok("partner_create", sysadmin, name=name, **data)
    return result


def audited(api: Api, sysadmin: str, action: str) -> list[dict[str, Any]]:
    """Audit entries of one kind, newest first."""
    return [e for e in api.ok("audit_list", sysadmin, limit=1000) if e["action"] == action]


def catalogue(client: TestClient, api: Api, services: Services, sysadmin: str) -> dict[str, dict[str, Any]]:
    """A public dataset, a private one and a confidential one, each with a table and its file."""
    made = {
        "public": api.ok("package_create", sysadmin, **gdc_dataset(name="icu-beds", title=PUBLIC_TITLE,
                                                                   owner_org="nso")),
        "private": api.ok("package_create", sysadmin, **gdc_dataset(name="internal-plan", title=PRIVATE_TITLE,
                                                                    owner_org="nso", private=True)),
        "secret": api.ok("package_create", sysadmin, **gdc_dataset(name="budget", title=SECRET_TITLE,
                                                                   owner_org="nso", private=True, **SECRET)),
    }  # fmt: skip
    for ds in made.values():
        ds["resource_id"] = upload(client, sysadmin, ds["name"], "beds.csv", ICU_BEDS)["id"]
    run_pending(services, handlers())
    for ds in made.values():
        url = api.ok("resource_show", sysadmin, id=ds["resource_id"])["url"]
        ds["download"] = url.removeprefix("http://testserver")
    return made


def paths_seen(client: TestClient, token: str, ds: dict[str, Any]) -> dict[str, bool]:
    """Whether each read path shows this dataset to this token."""
    headers = {"Authorization": token}
    rid, name, title = ds["resource_id"], ds["name"], ds["title"]

    def answer(action: str, **data: Any) -> Any:
        response = client.post(f"/api/3/action/{action}", json=data, headers=headers)
        return response.json().get("result") if response.status_code == 200 else None

    def get(path: str) -> bool:
        response = client.get(path, headers=headers)
        return response.status_code == 200 and title in response.text

    search = answer("package_search", q=title, include_private=True, include_drafts=True) or {}
    return {
        "package_search": any(r["id"] == ds["id"] for r in search.get("results", [])),
        "package_show": answer("package_show", id=name) is not None,
        "package_list": name in (answer("package_list") or []),
        "current_package_list": any(
            r["id"] == ds["id"] for r in answer("current_package_list_with_resources") or []
        ),
        "resource_show": answer("resource_show", id=rid) is not None,
        "datastore_search": answer("datastore_search", resource_id=rid) is not None,
        "datastore_search_sql": answer("datastore_search_sql", sql=f'SELECT 1 FROM "{rid}"') is not None,
        "datastore_dump": client.get(f"/datastore/dump/{rid}", headers=headers).status_code == 200,
        "download": client.get(ds["download"], headers=headers).status_code == 200,
        "activity": answer("package_activity_list", id=name) is not None,
        "catalog.ttl": title in client.get("/catalog.ttl", headers=headers).text,
        "catalog.jsonld": title in client.get("/catalog.jsonld", headers=headers).text,
        "dataset.ttl": get(f"/dataset/{name}.ttl"),
        "dataset.rdf": get(f"/dataset/{name}.rdf"),
        "datapackage.json": get(f"/dataset/{name}/datapackage.json"),
    }  # fmt: skip


def test_partner_create_answers_its_token_once(api: Api, services: Services, sysadmin: str) -> None:
    created = agreement(api, sysadmin, title="Singapore Open Data Portal", purposes=["research", "reuse"],
                        licence_conditions="Attribution to the source agency")  # fmt: skip
    token = created["token"]
    assert created["allowed_data_categories"] == ["ข้อมูลสาธารณะ"]  # the default: public data,
    assert created["allowed_classifications"] == ["เปิดเผย"]  # classified open
    assert (
        created["state"] == "active" and created["country"] == "SG" and created["user"] == "partner-sg-portal"
    )
    shown = api.ok("partner_show", sysadmin, id="sg-portal")
    assert "token" not in shown and shown["purposes"] == ["research", "reuse"]
    assert [p["name"] for p in api.ok("partner_list", sysadmin)] == ["sg-portal"]
    with transaction(services.sessions) as session:  # only the digest is kept
        hashes = list(session.scalars(select(ApiToken.token_hash)))
    assert hashlib.sha256(token.encode()).hexdigest() in hashes and token not in hashes
    created_entry = audited(api, sysadmin, "partner.create")[0]
    assert created_entry["object_id"] == "sg-portal" and created_entry["details"]["country"] == "SG"
    # English names of categories and classifications are accepted and stored as the profile's values
    other = agreement(api, sysadmin, "th-portal", country="th", base_url="https://data.go.th.example",
                      allowed_classifications="open,internal", allowed_data_categories=["public"],
                      )  # fmt: skip
    assert other["allowed_classifications"] == ["เปิดเผย", "ชั้นเผยแพร่ภายในองค์กร"] and other["country"] == "TH"


def test_bad_agreements_name_the_field(api: Api, sysadmin: str) -> None:
    good = {"name": "sg-portal", "country": "SG", "base_url": "https://data.sg.example", "expires": NEXT_YEAR}
    cases = {
        "country": {"country": "XX"},
        "expires": {"expires": "2020-01-01"},
        "allowed_classifications": {"allowed_classifications": ["ลับสุดยอด"]},
        "allowed_data_categories": {"allowed_data_categories": ["weather"]},
        "base_url": {"base_url": "ftp://data.sg.example"},
        "name": {"name": "Bad Name"},
    }
    for field, bad in cases.items():
        error = api.error("partner_create", sysadmin, **{**good, **bad})
        assert error["__type"] == "Validation Error" and field in error, (field, error)
    assert (
        "in the past"
        in api.error("partner_create", sysadmin, **{**good, "expires": "2020-01-01"})["expires"][0]
    )
    assert api.error("partner_create", sysadmin, **{k: v for k, v in good.items() if k != "expires"})[
        "expires"
    ]
    api.ok("partner_create", sysadmin, **good)
    assert api.error("partner_create", sysadmin, **good)["name"] == ["That partner name is already in use."]
    assert api.call("partner_list", None, 403)["error"]["__type"] == "Authorization Error"


def test_partner_sees_only_what_its_agreement_allows_on_every_path(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    made = catalogue(client, api, services, sysadmin)
    default = agreement(api, sysadmin)["token"]
    # Even an agreement that lists higher classifications and other categories: private never crosses.
    wide = agreement(api, sysadmin, "wide", allowed_classifications=["เปิดเผย", "ลับ"],
                     allowed_data_categories=["ข้อมูลสาธารณะ", "ข้อมูลความลับทางราชการ"])["token"]  # fmt: skip
    # An agreement for another data category only: the public dataset is outside it.
    internal = agreement(api, sysadmin, "internal-only", allowed_data_categories=["ข้อมูลใช้ภายใน"],
                         allowed_classifications=["ชั้นเผยแพร่ภายในองค์กร"])["token"]  # fmt: skip

    # Whatever the partner's user is given (here: admin of the owner, cleared to top secret), the
    # agreement alone decides.
    api.ok("organization_member_create", sysadmin, id="nso", username="partner-wide", role="admin",
           clearance=4)  # fmt: skip
    everywhere = paths_seen(client, default, made["public"])
    assert all(everywhere.values()), everywhere
    assert paths_seen(client, wide, made["public"]) == everywhere
    for token in (default, wide, internal):
        for hidden in ("private", "secret"):
            seen = paths_seen(client, token, made[hidden])
            assert not any(seen.values()), (hidden, seen)
    seen = paths_seen(client, internal, made["public"])
    assert not any(seen.values()), seen
    assert api.ok("tag_list", internal) == [] and "สถิติ" in api.ok("tag_list", default)
    # The sysadmin still sees everything: the filter is the partner's alone.
    assert api.ok("package_search", sysadmin, include_private=True)["count"] == 3
    # A partner reads; it never writes, whatever its user is given.
    refused = api.error("package_create", default, 403, **gdc_dataset(name="partner-made", owner_org="nso"))
    assert refused["__type"] == "Authorization Error"


def test_expired_and_revoked_agreements_stop_the_flow(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, **gdc_dataset(name="icu-beds", title=PUBLIC_TITLE, owner_org="nso"))
    token = agreement(api, sysadmin)["token"]
    headers = {"Authorization": token}
    assert api.ok("package_search", token)["count"] == 1
    past = utcnow() - timedelta(days=1)
    with transaction(services.sessions) as session:
        session.execute(update(DataFlowAgreement).values(expires_at=past))
    error = api.error("package_search", token, 403)
    assert error["__type"] == "Authorization Error"
    assert (
        "expired" in error["message"]
        and past.isoformat() in error["message"]
        and "sg-portal" in error["message"]
    )
    for path in ("/catalog.ttl", "/dataset/icu-beds.ttl", "/dataset/icu-beds/datapackage.json"):
        response = client.get(path, headers=headers)
        assert response.status_code == 403 and "expired" in response.json()["error"]["message"], path
    assert client.get("/catalog.ttl").status_code == 200  # the public catalogue itself is unchanged
    assert api.ok("partner_show", sysadmin, id="sg-portal")["state"] == "expired"
    refused = audited(api, sysadmin, "partner.refused")
    assert refused and "expired" in refused[0]["details"]["reason"]

    other = agreement(api, sysadmin, "th-portal")["token"]
    assert api.ok("package_show", other, id="icu-beds")["title"] == PUBLIC_TITLE
    revoked = api.ok("partner_revoke", sysadmin, id="th-portal", reason="ข้อตกลงสิ้นสุด")
    assert revoked["state"] == "revoked" and revoked["revoked_at"]
    error = api.error("package_show", other, 403, id="icu-beds")
    assert "revoked" in error["message"] and "th-portal" in error["message"]
    assert client.get("/catalog.ttl", headers={"Authorization": other}).status_code == 403
    entry = audited(api, sysadmin, "partner.revoke")[0]
    assert entry["object_id"] == "th-portal" and entry["details"]["reason"] == "ข้อตกลงสิ้นสุด"
    with transaction(services.sessions) as session:  # the token itself has ended too
        ended = session.scalar(select(ApiToken.expires_at).where(ApiToken.id == revoked["token_id"]))
    assert ended is not None and ended <= utcnow()


def test_every_answer_to_a_partner_is_audited(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    made = catalogue(client, api, services, sysadmin)
    public = made["public"]
    token = agreement(api, sysadmin)["token"]
    headers = {"Authorization": token}
    searched = client.post("/api/3/action/package_search", json={"q": "ชุดข้อมูลสาธารณะ"}, headers=headers)
    shown = client.get("/api/3/action/package_show", params={"id": "icu-beds"}, headers=headers)
    catalog = client.get("/catalog.ttl", headers=headers)
    download = client.get(public["download"], headers=headers)
    ranged = client.get(public["download"], headers={**headers, "Range": "bytes=0-99"})
    assert {r.status_code for r in (searched, shown, catalog, download)} == {
        200
    } and ranged.status_code == 206
    client.get("/catalog.ttl")  # anonymous readers are not partners: no entry
    api.ok("package_search", sysadmin)

    entries = list(reversed(audited(api, sysadmin, "partner.transfer")))
    assert [e["details"]["channel"] for e in entries] == [
        "package_search", "package_show", "dcat.catalog.ttl", "download", "download"
    ]  # fmt: skip
    sizes = [len(r.content) for r in (searched, shown, catalog, download, ranged)]
    assert [e["details"]["bytes"] for e in entries] == sizes
    for e in entries:
        assert e["details"]["datasets"] == [public["id"]], e
        assert e["details"]["partner"] == "sg-portal" and e["object_id"] == "sg-portal"
        assert e["actor"] == "partner-sg-portal" and e["at"]
    assert entries[0]["details"]["q"] == "ชุดข้อมูลสาธารณะ"
    assert entries[-1]["details"]["range"] == f"bytes 0-99/{len(download.content)}"
    dump = client.get(f"/datastore/dump/{public['resource_id']}?format=csv", headers=headers)
    dumped = audited(api, sysadmin, "partner.transfer")[0]["details"]
    assert dumped["channel"] == "datastore_dump" and dumped["bytes"] == len(dump.content) > 1000
    assert dumped["datasets"] == [public["id"]] and dumped["resource_id"] == public["resource_id"]
    with transaction(services.sessions) as session:
        assert verify(session) == []  # transfers extend the same tamper-evident chain


def test_partner_update_changes_the_rules_at_once(
    client: TestClient, api: Api, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, **gdc_dataset(name="icu-beds", title=PUBLIC_TITLE, owner_org="nso"))
    token = agreement(api, sysadmin)["token"]
    assert api.ok("package_list", token) == ["icu-beds"]
    updated = api.ok("partner_update", sysadmin, id="sg-portal", allowed_data_categories=["internal"])
    assert updated["allowed_data_categories"] == ["ข้อมูลใช้ภายใน"]
    assert api.ok("package_list", token) == []
    assert api.error("partner_update", sysadmin, id="sg-portal", expires="2001-01-01")["expires"]
    change = audited(api, sysadmin, "partner.update")[0]["details"]["changed"]
    assert change["allowed_data_categories"] == [["ข้อมูลสาธารณะ"], ["ข้อมูลใช้ภายใน"]]


def test_inbound_datasets_are_published_only_where_the_agreement_allows(
    api: Api, services: Services, sysadmin: str
) -> None:
    agreement(api, sysadmin, "th-portal", country="TH", base_url="https://th.example/")
    incoming = gdc_dataset(name="icu-beds", title=PUBLIC_TITLE)
    with transaction(services.sessions) as session:
        assert inbound_allowed(session, "th-portal", incoming) is None
        # by the portal's URL, or an API address under it
        assert inbound_allowed(session, "https://th.example/api/3/action", incoming) is None
        assert inbound_allowed(session, "https://other.example", incoming) is not None
        classified = inbound_allowed(session, "th-portal", {**incoming, **SECRET})
        assert classified is not None and "ข้อมูลความลับทางราชการ" in classified
        internal = inbound_allowed(session, "th-portal", {**incoming, "data_classification": "internal"})
        assert internal is not None and "Classification internal" in internal
        assert inbound_allowed(session, "th-portal", {**incoming, "private": True}) is not None
        assert inbound_allowed(session, "th-portal", {"title": "Weather"}) is None  # uncategorised: public
        session.execute(update(DataFlowAgreement).values(expires_at=utcnow() - timedelta(hours=1)))
        expired = inbound_allowed(session, "th-portal", incoming)
    assert expired is not None and "expired" in expired
