"""A database that cannot be reached answers 503 (CKAN's envelope in the API, a readable page in the
portal), in process; tests/faults/test_postgres_restart.py stops and starts a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from sapan.app import create_app
from sapan.config import Settings
from sapan.db import database_unavailable, transaction
from sapan.services import Services, build_services
from tests.servers import free_port


@pytest.fixture()
def away(tmp_path: Path) -> Iterator[TestClient]:
    """The app on a PostgreSQL URL where nothing listens."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/sapan"
    services = build_services(Settings(home=tmp_path, database_url=url), migrate=False)
    with TestClient(create_app(services=services), raise_server_exceptions=False) as client:
        yield client
    services.close()


def test_the_api_answers_503_in_ckans_envelope(away: TestClient) -> None:
    for response in (
        away.get("/api/3/action/package_search", params={"q": "สถิติ"}),
        away.post("/api/3/action/package_create", json={"name": "x"}, headers={"Authorization": "token"}),
        away.get("/api/3/action/datastore_search", params={"resource_id": "r1"}),
    ):
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        body = response.json()
        assert body["success"] is False and body["error"]["__type"] == "Service Unavailable"
        assert body["error"]["message"].startswith("Database unavailable")


def test_the_portal_answers_a_readable_page(away: TestClient) -> None:
    thai = away.get("/dataset", headers={"Accept": "text/html", "Accept-Language": "th"})
    assert thai.status_code == 503 and "ให้บริการไม่ได้ชั่วคราว" in thai.text
    english = away.get("/dataset", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert english.status_code == 503 and "cannot reach its database" in english.text
    assert "Traceback" not in thai.text + english.text


def test_a_wrong_statement_is_not_taken_for_an_outage(services: Services) -> None:
    with pytest.raises(Exception) as raised, transaction(services.sessions) as session:
        session.execute(text("SELECT * FROM no_such_table"))
    assert not database_unavailable(raised.value)
