"""The audit log records security events with actor, time, IP and object; its hash chain exposes an
edited or deleted entry; only sysadmins read and export it."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from sapan.db import transaction
from sapan.governance.audit import verify
from sapan.services import Services
from tests.conftest import Api, gdc_dataset, make_user


def _log(api: Api, token: str, **filters: Any) -> list[dict[str, Any]]:
    response = api.client.post("/api/3/action/audit_list", json=filters, headers={"Authorization": token})
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["result"]
    return result


def test_security_events_are_recorded(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    _, somchai = make_user(services, "somchai")
    api.ok("organization_member_create", sysadmin, id="nso", username="somchai", role="editor")
    created = api.ok("api_token_create", sysadmin, user="somchai", name="ชุดข้อมูล")
    tokens = api.ok("api_token_list", sysadmin, user="somchai")
    api.ok("api_token_revoke", somchai, jti=tokens[-1]["id"])
    api.ok("package_create", sysadmin, name="hh-debt", owner_org="nso", private=True, **gdc_dataset())
    api.ok("package_patch", sysadmin, id="hh-debt", private=False)  # published
    api.ok("package_patch", sysadmin, id="hh-debt", private=True, data_classification="ลับ")  # unpublished
    api.ok("package_patch", sysadmin, id="hh-debt", data_classification="ลับมาก")  # reclassified
    bad = client.post(
        "/api/3/action/package_show", json={"id": "hh-debt"}, headers={"Authorization": "forged"}
    )
    assert bad.status_code == 403

    log = _log(api, sysadmin)
    actions = [e["action"] for e in reversed(log)]
    assert actions[-7:] == [
        "membership.change", "token.create", "token.revoke", "dataset.publish", "dataset.unpublish",
        "dataset.reclassify", "auth.failure",
    ]  # fmt: skip
    by_action = {e["action"]: e for e in log}
    assert by_action["membership.change"]["details"] == {
        "user": "somchai", "role": "editor", "previous_role": None,
        "clearance": 0, "previous_clearance": None,
    }  # fmt: skip
    assert by_action["token.create"]["actor"] == "admin" and by_action["token.revoke"]["actor"] == "somchai"
    assert by_action["dataset.reclassify"]["details"]["changed"] == {"data_classification": ["ลับ", "ลับมาก"]}
    assert (
        by_action["auth.failure"]["actor"] == "anonymous" and by_action["auth.failure"]["ip"] == "testclient"
    )
    assert created["token"] not in json.dumps(log, ensure_ascii=False)  # never the token itself
    assert [e["action"] for e in _log(api, sysadmin, action="token.create")] == ["token.create"] * 3
    assert _log(api, sysadmin, actor="somchai")[0]["action"] == "token.revoke"
    assert api.error("audit_list", somchai, status=403)["__type"] == "Authorization Error"
    assert api.error("audit_list", sysadmin, status=409, since="เมื่อวาน")["since"]

    export = client.get("/api/audit.jsonl", headers={"Authorization": sysadmin})
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert [e["id"] for e in lines] == sorted(e["id"] for e in log)
    assert client.get("/api/audit.jsonl", headers={"Authorization": somchai}).status_code == 403


def test_the_chain_shows_edits_and_deletions(api: Api, services: Services, sysadmin: str) -> None:
    for name in ("aa", "bb", "cc", "dd"):
        make_user(services, name)  # each token creation is an entry
    with transaction(services.sessions) as session:
        assert verify(session) == []
        ids = list(session.scalars(text("SELECT id FROM audit_entry ORDER BY id")))
        actor = session.scalar(text("SELECT actor FROM audit_entry WHERE id = :i"), {"i": ids[1]})
        session.execute(text("UPDATE audit_entry SET actor = 'someone-else' WHERE id = :i"), {"i": ids[1]})
    with transaction(services.sessions) as session:
        assert verify(session) == [f"entry {ids[1]}: its content was changed after it was written"]
        session.execute(text("UPDATE audit_entry SET actor = :a WHERE id = :i"), {"a": actor, "i": ids[1]})
        session.execute(text("DELETE FROM audit_entry WHERE id = :i"), {"i": ids[2]})
    with transaction(services.sessions) as session:
        problems = verify(session)
    assert len(problems) == 1 and problems[0].startswith(f"entry {ids[3]}: the entry before it")
