"""A second Sapan node: its own SAPAN_HOME and SQLite database, served by uvicorn on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from sapan.app import create_app
from sapan.config import Settings
from sapan.services import Services, build_services
from tests.conftest import Api, make_user
from tests.servers import free_port, served


class Node:
    def __init__(self, services: Services, url: str, api: Api, token: str) -> None:
        self.services, self.url, self.api, self.token = services, url, api, token


@contextmanager
def sapan_node(home: Path, database_url: str | None = None) -> Iterator[Node]:
    """A node on its own SQLite file in `home`, or on `database_url`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    extra = {"database_url": database_url} if database_url else {}
    settings = Settings(home=home, site_url=url, embedded_worker=False, search_vectors=False, **extra)
    services = build_services(settings)
    app = create_app(services=services)
    try:
        with served(app, port), TestClient(app) as client:
            token = make_user(services, "th-admin", sysadmin=True)[1]
            yield Node(services, url, Api(client), token)
    finally:
        services.close()
