"""/healthz answers while the process lives; /readyz names the dependency that does not answer
(database, storage, queue) without showing credentials."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sapan.app import create_app
from sapan.config import Settings
from sapan.db import transaction, utcnow
from sapan.jobs.service import enqueue
from sapan.services import Services, build_services
from tests.servers import free_port

PASSWORD = "pg-passw0rd-never-shown"


def test_healthz_and_readyz_answer_ok(client: TestClient, services: Services) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ok" and set(body["checks"]) == {"database", "storage", "queue"}
    assert all(c["status"] == "ok" and c["ms"] >= 0 for c in body["checks"].values())
    assert body["checks"]["queue"]["queued"] == 0


def test_readyz_reports_the_oldest_queued_job(client: TestClient, services: Services) -> None:
    with transaction(services.sessions) as session:
        enqueue(session, "obs-test", {}).created = utcnow() - timedelta(hours=1)
        enqueue(session, "obs-test", {})
    queue = client.get("/readyz").json()["checks"]["queue"]
    assert queue["queued"] == 2 and 3590 < queue["oldest_queued_seconds"] < 3700


def broken(tmp_path: Path, database_url: str, **settings: object) -> Services:
    """Services whose database is not there (as when it goes away after the process started)."""
    config = Settings(
        home=tmp_path, database_url=database_url, storage_url=str(tmp_path / "files"), **settings
    )
    return build_services(config, migrate=False)


@pytest.fixture()
def closed_port() -> int:
    return free_port()  # nothing listens there


def test_a_database_on_a_closed_port_fails_readyz_not_healthz(tmp_path: Path, closed_port: int) -> None:
    url = f"postgresql+psycopg://sapan:{PASSWORD}@127.0.0.1:{closed_port}/sapan"
    services = broken(tmp_path, url)
    with TestClient(create_app(services=services)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "fail" and body["failed"] == ["database", "queue"]
        assert body["checks"]["storage"]["status"] == "ok"
        assert "OperationalError" in body["checks"]["database"]["detail"]
        assert PASSWORD not in ready.text
        metrics = client.get("/metrics")  # still answers, and says the queue could not be read
        assert metrics.status_code == 200 and "sapan_job_queue_up 0.0" in metrics.text
    services.close()


def test_an_unopenable_sqlite_database_fails_readyz(tmp_path: Path) -> None:
    (tmp_path / "a-folder").mkdir()
    services = broken(tmp_path, f"sqlite:///{tmp_path / 'a-folder'}")  # a folder is no database file
    with TestClient(create_app(services=services)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "database" in ready.json()["failed"]
        assert "unable to open database file" in ready.json()["checks"]["database"]["detail"]
    services.close()


@pytest.fixture()
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung database server)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_a_database_that_does_not_answer_fails_within_the_timeout(tmp_path: Path, silent_server: int) -> None:
    url = f"postgresql+psycopg://sapan@127.0.0.1:{silent_server}/sapan"
    services = broken(tmp_path, url, readyz_timeout=0.5)
    with TestClient(create_app(services=services)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"]["detail"] == "no answer within 0.5 s"
        assert ready.elapsed.total_seconds() < 3
    services.close()


def test_missing_storage_fails_readyz(client: TestClient, services: Services, tmp_path: Path) -> None:
    from dataclasses import replace

    from sapan.storage.service import Storage

    folder = tmp_path / "store"
    catalog = replace(services.catalog, storage=Storage(str(folder)))
    shutil.rmtree(folder)
    with TestClient(create_app(services=replace(services, catalog=catalog))) as other:
        ready = other.get("/readyz")
    assert ready.status_code == 503 and ready.json()["failed"] == ["storage"]
    assert "does not exist" in ready.json()["checks"]["storage"]["detail"]
