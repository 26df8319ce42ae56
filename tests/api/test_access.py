"""Who may see and change what: private datasets, roles, tokens."""

from __future__ import annotations

from typing import Any

from sapan.services import Services
from tests.conftest import Api, gdc_dataset, make_user


def test_private_dataset_is_invisible_to_outsiders(
    api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    _, outsider = make_user(services, "outsider")
    member_id, member = make_user(services, "member1")
    api.ok("organization_member_create", sysadmin, id="nso", username="member1", role="member")
    ds = api.ok("package_create", sysadmin, name="secret", owner_org="nso", private=True, **gdc_dataset())
    res = api.ok("resource_create", sysadmin, package_id=ds["id"], name="r", url="http://x/r.csv")
    for token in (None, outsider):
        assert api.error("package_show", token, status=404, id="secret")["__type"] == "Not Found Error"
        assert api.error("resource_show", token, status=404, id=res["id"])["__type"] == "Not Found Error"
        assert (
            api.error("package_activity_list", token, status=404, id="secret")["__type"] == "Not Found Error"
        )
        assert api.ok("package_search", token, include_private=True)["count"] == 0
        assert api.ok("current_package_list_with_resources", token) == []
        # Writes are 404 too: an outsider must not learn that the name exists.
        assert (
            api.error("package_patch", token, status=404, id="secret", title="x")["__type"]
            == "Not Found Error"
        )
    assert "secret" not in api.ok("package_list")
    assert api.ok("package_show", member, id="secret")["private"] is True
    assert api.ok("package_search", member, include_private=True)["count"] == 1
    assert api.ok("package_search", member)["count"] == 0  # private only when asked, as CKAN
    assert api.ok("organization_show", id="nso")["package_count"] == 0
    assert api.ok("organization_show", member, id="nso")["package_count"] == 1
    assert member_id


def test_roles_decide_who_writes(api: Api, services: Services, sysadmin: str, org: dict[str, Any]) -> None:
    _, editor = make_user(services, "editor1")
    _, member = make_user(services, "member2")
    api.ok("organization_member_create", sysadmin, id="nso", username="editor1", role="editor")
    api.ok("organization_member_create", sysadmin, id="nso", username="member2", role="member")
    api.ok("organization_create", sysadmin, name="other-org", title="Other")
    assert api.ok("package_create", editor, name="ed1", owner_org="nso", **gdc_dataset())["name"] == "ed1"
    error = api.error("package_create", member, status=403, name="m1", owner_org="nso", **gdc_dataset())
    assert error["__type"] == "Authorization Error"
    error = api.error("package_create", editor, status=403, name="e2", owner_org="other-org", **gdc_dataset())
    assert error["__type"] == "Authorization Error"
    assert (
        api.error("package_patch", member, status=403, id="ed1", title="x")["__type"] == "Authorization Error"
    )
    # Only org admins manage members; only sysadmins create organizations.
    assert api.error(
        "organization_member_create", editor, status=403, id="nso", username="member2", role="admin"
    )
    assert (
        api.error("organization_create", editor, status=403, name="mine")["__type"] == "Authorization Error"
    )
    assert "role" in api.error(
        "organization_member_create", sysadmin, id="nso", username="member2", role="owner"
    )


def test_missing_and_bad_tokens(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    error = api.error("package_create", None, status=403, name="x1", owner_org="nso", **gdc_dataset())
    assert error["__type"] == "Authorization Error"
    assert "logged in" in error["message"]
    error = api.error(
        "package_create", "not-a-token", status=403, name="x1", owner_org="nso", **gdc_dataset()
    )
    assert error["message"] == "Invalid API token"


def test_token_create_use_revoke(api: Api, services: Services, client: Any) -> None:
    user_id, token = make_user(services, "somchai")
    created = api.ok("api_token_create", token, user="somchai", name="laptop", expires_in=30)
    fresh = created["token"]
    assert len(fresh) >= 40
    assert api.ok("user_show", fresh, id="somchai")["email"] == "somchai@example.go.th"
    assert "email" not in api.ok("user_show", id="somchai")  # e-mail is private
    listed = api.ok("api_token_list", fresh, user="somchai")
    assert [t["name"] for t in listed] == ["test", "laptop"]
    assert listed[1]["expires_at"] is not None and fresh not in str(listed)
    assert listed[1]["last_access"] is not None  # it was just used
    assert api.error("api_token_list", status=403, user="somchai")["__type"] == "Authorization Error"
    api.ok("api_token_revoke", fresh, token=fresh)
    assert api.error("user_show", fresh, status=403, id="somchai")["message"] == "Invalid API token"
    _, other = make_user(services, "other")
    assert api.error("api_token_create", other, status=403, user="somchai")["__type"] == "Authorization Error"
    # Tokens are stored hashed: the plain token appears nowhere in the database.
    from sqlalchemy import text

    with services.engine.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT token_hash FROM api_token"))]
    assert token not in stored and all(len(h) == 64 for h in stored)
    assert user_id


def test_expired_token_is_refused(api: Api, services: Services) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from sapan.accounts.models import ApiToken
    from sapan.db import utcnow

    _, token = make_user(services, "expiring")
    with services.engine.begin() as conn:
        conn.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert "expired" in api.error("user_show", token, status=403, id="expiring")["message"]


def test_user_create_and_password_hash(api: Api, services: Services, sysadmin: str) -> None:
    user = api.ok("user_create", sysadmin, name="malee", email="malee@dga.or.th", password="ยาวพอแล้วนะ")
    assert user["name"] == "malee"
    assert "password" in api.error("user_create", sysadmin, name="short", email="s@x.th", password="1234")
    assert "name" in api.error("user_create", sysadmin, name="malee", email="m@x.th", password="long enough")
    assert "name" in api.error("user_create", sysadmin, name="มาลี", password="long enough")
    from sqlalchemy import text

    with services.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM \"user\" WHERE name = 'malee'")).scalar_one()
    assert stored.startswith("$argon2")
    from sapan.accounts.service import check_password
    from sapan.db import transaction

    with transaction(services.sessions) as session:
        assert check_password(session, "malee", "ยาวพอแล้วนะ").name == "malee"


def test_organization_member_delete(api: Api, services: Services, sysadmin: str, org: dict[str, Any]) -> None:
    _, editor = make_user(services, "editor3")
    api.ok("organization_member_create", sysadmin, id="nso", username="editor3", role="editor")
    assert api.error("organization_member_delete", editor, status=403, id="nso", username="editor3")
    assert api.ok("organization_member_delete", sysadmin, id="nso", username="editor3") is None
    assert api.error("package_create", editor, status=403, name="gone", owner_org="nso", **gdc_dataset())
    assert api.error("organization_member_delete", sysadmin, status=404, id="nso", username="editor3")
    changes = [e for e in api.ok("audit_list", sysadmin) if e["action"] == "membership.change"]
    assert changes[0]["details"] == {"user": "editor3", "role": None, "previous_role": "editor"}
