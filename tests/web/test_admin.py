"""The API token page and the sysadmins' pages (users, organizations, memberships)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from sapan.services import Services
from tests.conftest import Api, make_user
from tests.web.html import parse
from tests.web.publishing import EN, editor, login


def test_token_page_creates_shows_once_and_revokes(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    name = editor(api, sysadmin, services)
    token = login(client, name)
    created = client.post(
        f"/user/{name}/api-tokens", data={"csrf_token": token, "name": "สคริปต์ <b>"}, headers=EN
    )
    assert created.status_code == 200
    page = parse(created.text)
    plain = page.find("p", id="new-token")[0].text.strip()
    assert api.ok("package_search", plain)["count"] == 0  # the token works
    assert "สคริปต์ <b>" in page.text and "<b>" not in created.text  # escaped
    again = client.get(f"/user/{name}/api-tokens", headers=EN)
    assert plain not in again.text and "สคริปต์" in again.text  # shown once
    (made,) = [t for t in api.ok("api_token_list", sysadmin, user=name) if t["name"] == "สคริปต์ <b>"]
    revoke = f"/user/{name}/api-tokens/{made['id']}/revoke"
    assert revoke in [e.attrs["action"] for e in parse(again.text).find("form")]
    assert client.post(revoke, data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert made["id"] not in [t["id"] for t in api.ok("api_token_list", sysadmin, user=name)]
    assert client.get("/user/admin/api-tokens", headers=EN).status_code == 403  # someone else's


def test_admin_pages_are_for_sysadmins_only(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    token = login(client, editor(api, sysadmin, services))
    for path in ("/ckan-admin/users", "/ckan-admin/organizations", "/organization/members/nso"):
        refused = client.get(path, headers=EN)
        assert refused.status_code == 403 and "Not allowed" in parse(refused.text).text
    made = client.post(
        "/ckan-admin/users", data={"csrf_token": token, "name": "intruder", "password": "x" * 10}
    )
    assert made.status_code == 403
    assert (
        client.post(
            "/ckan-admin/users/publisher/sysadmin", data={"csrf_token": token, "sysadmin": "true"}
        ).status_code
        == 403
    )
    assert api.ok("user_show", sysadmin, id="publisher")["sysadmin"] is False
    assert (
        TestClient(client.app).get("/ckan-admin/users", follow_redirects=False).status_code == 303
    )  # to login


def test_sysadmin_manages_users_organizations_and_memberships(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    make_user(services, "root", sysadmin=True)
    token = login(client, "root")
    made = client.post(
        "/ckan-admin/users",
        data={"csrf_token": token, "name": "somchai", "fullname": "สมชาย <i>ใจดี</i>",
              "email": "s@example.go.th", "password": "long enough"},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303
    users = client.get("/ckan-admin/users", headers=EN)
    assert "สมชาย <i>ใจดี</i>" in parse(users.text).text and "<i>ใจดี" not in users.text
    bad = client.post("/ckan-admin/users", data={"csrf_token": token, "name": "Bad Name!"}, headers=EN)
    assert bad.status_code == 400 and "lowercase alphanumeric" in parse(bad.text).text
    client.post("/ckan-admin/users/somchai/sysadmin", data={"csrf_token": token, "sysadmin": "true"})
    assert api.ok("user_show", sysadmin, id="somchai")["sysadmin"] is True

    client.post("/ckan-admin/organizations", data={"csrf_token": token, "name": "doh", "title": "กรมอนามัย"})
    assert "กรมอนามัย" in parse(client.get("/ckan-admin/organizations").text).text
    added = client.post(
        "/organization/members/doh", data={"csrf_token": token, "username": "somchai", "capacity": "editor"},
        follow_redirects=False,
    )  # fmt: skip
    assert added.status_code == 303
    members = {
        u["name"]: u["capacity"]
        for u in api.ok("organization_show", sysadmin, id="doh", include_users=True)["users"]
    }
    assert members["somchai"] == "editor"
    unknown = client.post(
        "/organization/members/doh",
        data={"csrf_token": token, "username": "nobody", "capacity": "editor"},
        headers=EN,
    )
    assert unknown.status_code == 400 and "User not found" in parse(unknown.text).text
    client.post("/organization/members/doh/remove", data={"csrf_token": token, "username": "somchai"})
    members = {
        u["name"] for u in api.ok("organization_show", sysadmin, id="doh", include_users=True)["users"]
    }
    assert "somchai" not in members
