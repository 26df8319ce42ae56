"""Storage on S3: moto's S3-compatible server on 127.0.0.1, started once per session, and this folder's
`services` (so `client`, `api`, `org`...) on a bucket of it. Tests elsewhere that should also hold on
object storage are imported into this folder's modules and run again here, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import s3fs
from moto.server import ThreadedMotoServer

from sapan.config import Settings
from sapan.services import Services, build_services
from tests.conftest import settings_for
from tests.servers import free_port

BUCKET = "sapan-test"


@dataclass
class S3:
    endpoint: str
    bucket: str

    def settings(self, backend_url: str, home: Path, **overrides: Any) -> Settings:
        """Settings whose storage is a fresh prefix of the bucket, reached as production would be."""
        return settings_for(
            backend_url,
            home,
            storage_url=f"s3://{self.bucket}/{uuid.uuid4().hex[:12]}",
            storage_endpoint_url=self.endpoint,
            storage_access_key="sapan-test",
            storage_secret_key="sapan-test-secret",
            storage_region="us-east-1",
            **overrides,
        )


@pytest.fixture(scope="session")
def s3() -> Iterator[S3]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = {"endpoint_url": endpoint}
        fs = s3fs.S3FileSystem(key="sapan-test", secret="sapan-test-secret", client_kwargs=client)
        if not fs.exists(BUCKET):  # moto's servers in one process share their buckets
            fs.mkdir(BUCKET)
        yield S3(endpoint, BUCKET)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _services(backend_url: str, tmp_path_factory: pytest.TempPathFactory, s3: S3) -> Iterator[Services]:
    services = build_services(s3.settings(backend_url, tmp_path_factory.mktemp("home")))
    yield services
    services.close()
