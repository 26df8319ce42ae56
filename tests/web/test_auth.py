"""Login and logout, the session cookie, CSRF tokens, the login rate limit and failed-login audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from sapan.services import Services
from sapan.web import pages, session
from tests.conftest import Api, gdc_dataset
from tests.web.html import parse
from tests.web.publishing import EN, PASSWORD, csrf_of, editor, login

WEB = Path(pages.__file__).parent


def test_login_sets_a_signed_httponly_lax_cookie_and_logout_clears_it(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    name = editor(api, sysadmin, services)
    form = client.get("/user/login", headers=EN)
    assert form.status_code == 200
    cookie = form.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # the test site is http://
    page = parse(form.text)
    assert page.find("input", name="login") and page.find("input", name="password", type="password")
    response = client.post(
        "/user/login",
        data={"login": name, "password": PASSWORD, "csrf_token": csrf_of(form.text), "came_from": "/dataset"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/dataset"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{session.COOKIE}=") and "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    home = client.get("/dataset", headers=EN)
    assert name in parse(home.text).text and "Log out" in home.text
    assert home.headers["cache-control"] == "private, no-store"
    token = csrf_of(home.text)
    assert token != csrf_of(form.text)  # a new token once logged in
    out = client.post("/user/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    after = client.get("/dataset", headers=EN)
    assert "Log out" not in after.text and "Log in" in after.text
    assert (
        client.get("/dashboard/datasets", follow_redirects=False)
        .headers["location"]
        .startswith("/user/login?came_from=/dashboard/datasets")
    )


def test_a_forged_cookie_is_nobody(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: Any
) -> None:
    name = editor(api, sysadmin, services)
    login(client, name)
    value = client.cookies[session.COOKIE]
    payload, signature = value.split(".")
    client.cookies.set(session.COOKIE, payload + "." + signature[::-1])
    assert client.get("/dashboard/datasets", follow_redirects=False).status_code == 303


def test_wrong_password_is_a_readable_error_and_audited(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    name = editor(api, sysadmin, services)
    token = csrf_of(client.get("/user/login").text)
    response = client.post(
        "/user/login", data={"login": name, "password": "wrong password", "csrf_token": token}, headers=EN
    )
    assert response.status_code == 200
    assert "Login failed: wrong user name or password." in parse(response.text).text
    answer = client.post(
        "/api/3/action/audit_list", json={"action": "auth.failure"}, headers={"Authorization": sysadmin}
    )
    entries = answer.json()["result"]
    assert entries and entries[0]["details"]["user"] == name and entries[0]["object_type"] == "login"


def test_login_rate_limited_per_user_name(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: Any
) -> None:
    name = editor(api, sysadmin, services)
    token = csrf_of(client.get("/user/login").text)
    for _ in range(10):
        client.post("/user/login", data={"login": name, "password": "nope nope", "csrf_token": token})
    limited = client.post(
        "/user/login", data={"login": name, "password": PASSWORD, "csrf_token": token}, headers=EN
    )
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many failed logins" in parse(limited.text).text


def test_missing_or_wrong_csrf_token_is_a_403_page(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    name = editor(api, sysadmin, services)
    anonymous = client.post("/user/login", data={"login": name, "password": PASSWORD}, headers=EN)
    assert anonymous.status_code == 403 and "did not come from this site" in anonymous.text
    token = login(client, name)
    api.ok("package_create", sysadmin, **gdc_dataset(name="d1", owner_org="nso", private=True))
    routes = [
        "/user/logout",
        "/user/login",
        "/dataset/new",
        "/dataset/edit/d1",
        "/dataset/d1/publish",
        "/dataset/d1/unpublish",
        "/dataset/d1/resource/new",
        "/dataset/d1/resource/r1/views",
        "/dataset/d1/resource/r1/views/v1/delete",
        f"/user/{name}/api-tokens",
        f"/user/{name}/api-tokens/x/revoke",
        "/ckan-admin/users",
        "/ckan-admin/users/admin/sysadmin",
        "/ckan-admin/organizations",
        "/organization/members/nso",
        "/organization/members/nso/remove",
    ]
    declared = sum(p.read_text().count("@router.post(") for p in WEB.glob("*.py"))
    assert declared == len(routes)  # every POST route of the portal is in the list
    for route in routes:
        for data in ({}, {"csrf_token": "x" + token}):
            refused = client.post(route, data=data, headers=EN, follow_redirects=False)
            assert refused.status_code == 403, route
            assert "Not allowed" in parse(refused.text).text
    assert client.get("/dashboard/datasets", follow_redirects=False).status_code == 200  # still logged in


def test_came_from_is_only_a_path_on_this_site(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    name = editor(api, sysadmin, services)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        token = csrf_of(client.get("/user/login").text)
        response = client.post(
            "/user/login",
            data={"login": name, "password": PASSWORD, "csrf_token": token, "came_from": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/dashboard/datasets", target
