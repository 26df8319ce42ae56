"""Restart PostgreSQL under load: while it is down every request gets a clean 503 (CKAN's envelope in
the API, a readable page in the portal; never a 500 or a traceback), and once it is back requests
succeed again without restarting Sapan. The cluster is a private one, started for this test only."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.conftest import Site, wait_for
from tests.servers import free_port

pytestmark = pytest.mark.faults


class Cluster:
    """A throwaway PostgreSQL cluster on a free port (as the postgres user when we are root: initdb
    refuses root)."""

    def __init__(self, root: Path) -> None:
        self.root, self.data, self.port = root, root / "data", free_port()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, *args: str) -> None:
        subprocess.run([*self.as_owner, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        if self.as_owner:
            shutil.chown(self.root, "postgres", "postgres")
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "pg.log"), "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture()
def cluster() -> Iterator[Cluster]:
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        pytest.fail("initdb and pg_ctl (PostgreSQL's server binaries) are needed on PATH")
    root = Path(tempfile.mkdtemp(prefix="sapan-pg-"))
    root.chmod(0o755)
    found = Cluster(root)
    found.init()
    found.start()
    try:
        yield found
    finally:
        subprocess.run([*found.as_owner, "pg_ctl", "-D", str(found.data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


class Load(threading.Thread):
    """Requests in a loop, as visitors keep coming: (status, body) of each."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.stop = base, threading.Event()
        self.answers: list[tuple[int, str]] = []

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                response = client.get(f"{self.base}/api/3/action/package_search", params={"q": "สถิติ"})
                self.answers.append((response.status_code, response.text))
                time.sleep(0.02)


def test_requests_fail_cleanly_while_postgres_restarts(cluster: Cluster, tmp_path: Path) -> None:
    from sapan.config import Settings
    from sapan.services import build_services

    site = Site(tmp_path, cluster.url, build_services(Settings(home=tmp_path, database_url=cluster.url)))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        site.serve(port)
        load = Load(base)
        load.start()
        wait_for(lambda: len(load.answers) >= 10, 10)
        cluster.stop("fast")
        down_from = len(load.answers)
        wait_for(lambda: len(load.answers) >= down_from + 10, 10)

        api = httpx.get(f"{base}/api/3/action/package_search")
        assert api.status_code == 503 and api.headers["retry-after"]
        body = api.json()
        assert body["success"] is False and body["error"]["__type"] == "Service Unavailable"
        assert "Database unavailable" in body["error"]["message"] and body["help"].endswith("package_search")
        page = httpx.get(f"{base}/dataset", headers={"Accept": "text/html", "Accept-Language": "th"})
        assert page.status_code == 503 and "เชื่อมต่อฐานข้อมูลไม่ได้" in page.text
        assert "Traceback" not in page.text

        cluster.start()
        back_from = len(load.answers)
        wait_for(lambda: len(load.answers) >= back_from + 10, 15)
        load.stop.set()
        load.join()
    finally:
        for process in site.processes:
            process.kill()
            process.wait(timeout=10)
        site.services.close()

    statuses = [status for status, _ in load.answers]
    assert set(statuses) <= {200, 503}, [a for a in load.answers if a[0] not in (200, 503)][:3]
    assert 503 in statuses[down_from:back_from]
    assert all(status == 200 for status in statuses[back_from + 1 :])  # reconnected: pool_pre_ping
    assert not any("Traceback" in text for _, text in load.answers)
    assert "Traceback" not in site.log()  # the server logged a warning, not a bug
