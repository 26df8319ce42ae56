"""Helpers for the publisher's page tests: logging in through the form, reading CSRF tokens."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Api

PASSWORD = "correct horse"  # tests.conftest.make_user's
EN = {"Accept-Language": "en"}
TH = {"Accept-Language": "th"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token."""
    token = csrf_of(client.get("/user/login").text)
    response = client.post(
        "/user/login", data={"login": name, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/dashboard/datasets").text)


def editor(api: Api, sysadmin: str, services: Any, name: str = "publisher", org: str = "nso") -> str:
    """A user who is an editor of `org`; returns their name."""
    from tests.conftest import make_user

    make_user(services, name)
    api.ok("organization_member_create", sysadmin, id=org, username=name, role="editor")
    return name
