"""Shared fixtures. Every test that takes `services` or `client` runs twice: on a real SQLite file and
on the machine's PostgreSQL (database `test`, a fresh schema per run). In CI a missing PostgreSQL
fails the run instead of skipping."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from sapan.accounts.service import create_token, create_user
from sapan.app import create_app
from sapan.config import Settings
from sapan.db import Base, transaction
from sapan.services import Services, build_services

PG_SERVER = os.environ.get("SAPAN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FIXTURES = Path(__file__).parent / "fixtures"
KEEP = {"license", "alembic_version"}


def postgres_schema_url() -> Iterator[str]:
    """A URL on a fresh PostgreSQL schema, dropped afterwards (use with `yield from`)."""
    schema = f"sapan_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_SERVER)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no PostgreSQL here"
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {PG_SERVER}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_SERVER}")
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def fresh_database_url(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of this kind: a new SQLite file or a new PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'sapan.db'}"
    else:
        yield from postgres_schema_url()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from fresh_database_url(request.param, tmp_path_factory)


def settings_for(backend_url: str, home: Path, **overrides: Any) -> Settings:
    """The tests' settings: this database, files in `home` unless `overrides` say otherwise."""
    fields: dict[str, Any] = {"storage_url": str(home / "files"), **overrides}
    return Settings(
        home=home, database_url=backend_url, max_upload_mb=1, site_url="http://testserver", **fields
    )


@pytest.fixture(scope="session")
def _services(backend_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One Services per database for the session; tests/storage/conftest.py has its twin on S3."""
    services = build_services(settings_for(backend_url, tmp_path_factory.mktemp("home")))
    yield services
    services.close()


@pytest.fixture()
def services(_services: Services) -> Iterator[Services]:
    """Services on an empty catalogue (licences kept)."""
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP]
    with _services.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE"))
        else:
            conn.execute(text("DELETE FROM search_fts"))
            for table in tables:
                conn.execute(table.delete())
    yield _services


@pytest.fixture()
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services)) as c:
        yield c


def make_user(services: Services, name: str, sysadmin: bool = False) -> tuple[str, str]:
    """Create a user with a token; returns (user id, token)."""
    with transaction(services.sessions) as session:
        user = create_user(
            session, name, email=f"{name}@example.go.th", password="correct horse", sysadmin=sysadmin
        )
        _, token = create_token(session, user, "test")
        return user.id, token


@pytest.fixture()
def sysadmin(services: Services) -> str:
    return make_user(services, "admin", sysadmin=True)[1]


class Api:
    """Calls actions the way CKAN clients do and returns the envelope."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def call(self, action: str, auth: str | None = None, status: int = 200, **data: Any) -> dict[str, Any]:
        headers = {"Authorization": auth} if auth else {}
        response = self.client.post(f"/api/3/action/{action}", json=data, headers=headers)
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        assert body["success"] is (status == 200)
        return body

    def ok(self, action: str, auth: str | None = None, **data: Any) -> Any:
        return self.call(action, auth, 200, **data)["result"]

    def error(self, action: str, auth: str | None = None, status: int = 409, **data: Any) -> dict[str, Any]:
        error: dict[str, Any] = self.call(action, auth, status, **data)["error"]
        return error


@pytest.fixture()
def api(client: TestClient) -> Api:
    return Api(client)


GDC_FIELDS: dict[str, Any] = {
    "data_type": "ข้อมูลสถิติ",
    "objective": ["เพื่อการให้บริการประชาชน"],
    "update_frequency_unit": "ปี",
    "update_frequency_interval": "1",
    "geo_coverage": "ประเทศ",
    "data_source": "สำนักงานสถิติแห่งชาติ",
    "data_format": ["CSV"],
    "data_category": "ข้อมูลสาธารณะ",
    "data_classification": "เปิดเผย",
    "data_language": ["ไทย"],
    "license_id": "cc-by",
    "maintainer": "กลุ่มงานสถิติ",
    "maintainer_email": "stat@nso.go.th",
    "notes": "จำนวนหนี้สินเฉลี่ยต่อครัวเรือน จำแนกตามภาค พ.ศ. 2564",
    "tags": [{"name": "สถิติ"}, {"name": "ข้อมูลสาธารณะ"}],
}


def gdc_dataset(**overrides: Any) -> dict[str, Any]:
    return {**GDC_FIELDS, "title": "จำนวนหนี้สินเฉลี่ยต่อครัวเรือน", **overrides}


@pytest.fixture()
def org(api: Api, sysadmin: str) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(
        "organization_create", sysadmin, name="nso", title="สำนักงานสถิติแห่งชาติ / National Statistical Office"
    )
    return result


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For CLI tests: a fresh SAPAN_HOME with its own SQLite database and files."""
    monkeypatch.setenv("SAPAN_HOME", str(tmp_path))
    monkeypatch.delenv("SAPAN_DATABASE_URL", raising=False)
    monkeypatch.delenv("SAPAN_STORAGE_URL", raising=False)
    return tmp_path
