"""A second Sapan node: its own SAPAN_HOME and SQLite database, served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi.testclient import TestClient

from sapan.app import create_app
from sapan.config import Settings
from sapan.services import Services, build_services
from tests.conftest import Api, make_user


class Node:
    def __init__(self, services: Services, url: str, api: Api, token: str) -> None:
        self.services, self.url, self.api, self.token = services, url, api, token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def sapan_node(home: Path, database_url: str | None = None) -> Iterator[Node]:
    """A node on its own SQLite file in `home`, or on `database_url`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(home=home, site_url=url, embedded_worker=False, search_vectors=False)
    if database_url:
        settings = Settings(
            home=home, site_url=url, embedded_worker=False, search_vectors=False, database_url=database_url
        )
    services = build_services(settings)
    app = create_app(services=services)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started:
            break
        time.sleep(0.01)
    try:
        with TestClient(app) as client:
            token = make_user(services, "th-admin", sysadmin=True)[1]
            yield Node(services, url, Api(client), token)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        services.close()
