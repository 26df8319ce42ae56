"""kill -9 a web process while an upload's body is still arriving: after a restart the catalogue has
no resource for it and storage no file of it, and uploads work again."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from sapan.app import create_app
from tests.conftest import gdc_dataset
from tests.faults.conftest import Site, kill9
from tests.servers import free_port

pytestmark = pytest.mark.faults
BOUNDARY = "sapan-fault-boundary"


def multipart_head(package: str) -> bytes:
    fields = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("package_id", package), ("name", "ตารางที่ถูกตัด"))
    )
    upload = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="upload"; filename="half.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    )
    return (fields + upload).encode()


def stored_files(home: Path) -> list[Path]:
    root = home / "files" / "resources"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_web_process_killed_mid_upload_leaves_nothing(site: Site) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(services=site.services)) as client:
        for action, data in (
            ("organization_create", {"name": "nso", "title": "สำนักงานสถิติแห่งชาติ"}),
            ("package_create", {"name": "stats", "owner_org": "nso", **gdc_dataset()}),
        ):
            assert client.post(
                f"/api/3/action/{action}", json=data, headers={"Authorization": site.token}
            ).is_success
    port = free_port()
    server = site.serve(port)

    row = "1,กรุงเทพมหานคร,12345\r\n".encode()
    content = b"id,province,amount\r\n" + row * (16 * 1024 * 1024 // len(row))
    head, tail = multipart_head("stats"), f"\r\n--{BOUNDARY}--\r\n".encode()
    request = (
        "POST /api/3/action/resource_create HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nAuthorization: {site.token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(head) + len(content) + len(tail)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(request + head)
        sent = 0
        while sent < len(content) // 2:  # half the file, slowly: the server is reading it
            conn.sendall(content[sent : sent + 256 * 1024])
            sent += 256 * 1024
            time.sleep(0.02)
        kill9(server)
    assert stored_files(site.home) == []

    server = site.serve(port)  # the restart
    base = f"http://127.0.0.1:{port}/api/3/action"
    shown = httpx.get(f"{base}/package_show", params={"id": "stats"}, headers={"Authorization": site.token})
    assert shown.json()["result"]["resources"] == []  # no orphan resource
    assert stored_files(site.home) == []  # no orphan file

    whole = httpx.post(
        f"{base}/resource_create",
        data={"package_id": "stats", "name": "ตารางครบ"},
        files={"upload": ("whole.csv", content[: 1024 * 1024], "text/csv")},
        headers={"Authorization": site.token},
        timeout=30,
    )
    assert whole.status_code == 200, whole.text
    assert len(stored_files(site.home)) == 1
