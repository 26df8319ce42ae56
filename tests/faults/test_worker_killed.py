"""kill -9 a worker in the middle of a large ingest: another worker takes the job over when its lease
expires and finishes it; the table is whole (no row twice, none missing), and datastore_search never
showed a half-written table. SIGTERM instead puts the job back in the queue at once."""

from __future__ import annotations

import glob
import random
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from sapan.app import create_app
from sapan.datastore.models import DatastoreTable
from sapan.db import transaction
from sapan.jobs.handlers import handlers
from sapan.jobs.models import Job
from sapan.jobs.service import latest_job, run_one
from tests.conftest import gdc_dataset
from tests.faults.conftest import Site, kill9, wait_for

pytestmark = pytest.mark.faults
ROWS = 600_000
PROVINCES = ["กรุงเทพมหานคร", "เชียงใหม่", "ขอนแก่น", "ภูเก็ต", "สงขลา", "นครราชสีมา"]


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A government-style file: TIS-620, Thai province names, Thai digits, Buddhist-era dates."""
    path = tmp_path_factory.mktemp("csv") / "สถิติรายจังหวัด.csv"
    rng, digits = random.Random(7), str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
    with path.open("w", encoding="cp874", newline="") as out:
        out.write("row_no,จังหวัด,amount,ratio,วันที่,note\r\n")
        for i in range(ROWS):
            amount = f'"{rng.randint(0, 10**6):,}"'
            day = f"{1 + i % 28:02d}/03/2564"
            note = f"รายการ {str(i).translate(digits)}"
            out.write(f"{i},{PROVINCES[i % 6]},{amount},{rng.random():.4f},{day},{note}\r\n")
    return path


@pytest.fixture()
def api(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(services=site.services)) as client:
        yield client


def call(client: TestClient, token: str, action: str, **data: Any) -> Any:
    response = client.post(f"/api/3/action/{action}", json=data, headers={"Authorization": token})
    assert response.status_code == 200, response.text
    return response.json()["result"]


def upload(client: TestClient, site: Site, csv: Path) -> str:
    call(client, site.token, "organization_create", name="nso", title="สำนักงานสถิติแห่งชาติ")
    call(client, site.token, "package_create", name="stats", owner_org="nso", **gdc_dataset())
    with csv.open("rb") as body:
        response = client.post(
            "/api/3/action/resource_create",
            data={"package_id": "stats", "name": "สถิติ"},
            files={"upload": (csv.name, body, "text/csv")},
            headers={"Authorization": site.token},
        )
    assert response.status_code == 200, response.text
    return str(response.json()["result"]["id"])


def ingest_job(site: Site, resource_id: str) -> Job:
    with transaction(site.services.sessions) as session:
        job = latest_job(session, "ingest", "resource_id", resource_id)
        assert job is not None
        return job


def table(site: Site, resource_id: str) -> DatastoreTable | None:
    with transaction(site.services.sessions) as session:
        return session.get(DatastoreTable, resource_id)


class Watcher(threading.Thread):
    """Polls datastore_search the whole time: every answer is "no table yet" or the whole table."""

    def __init__(self, site: Site, resource_id: str) -> None:
        super().__init__(daemon=True)
        self.site, self.resource_id = site, resource_id
        self.seen: list[tuple[int, int | None]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with TestClient(create_app(services=self.site.services)) as client:
            while not self.stop.is_set():
                response = client.post(
                    "/api/3/action/datastore_search",
                    json={"resource_id": self.resource_id, "limit": 1},
                    headers={"Authorization": self.site.token},
                )
                body = response.json()
                self.seen.append((response.status_code, body["result"]["total"] if body["success"] else None))
                time.sleep(0.05)


def test_a_worker_killed_mid_ingest_is_replaced_and_the_table_is_whole(
    site: Site, api: TestClient, big_csv: Path
) -> None:
    started = time.monotonic()
    resource_id = upload(api, site, big_csv)
    watcher = Watcher(site, resource_id)
    watcher.start()
    first = site.start("worker", SAPAN_JOB_LEASE_SECONDS="2")
    wait_for(
        lambda: (job := ingest_job(site, resource_id)).state == "running" and job.progress > 0.02, 30, first
    )
    kill9(first)
    killed = ingest_job(site, resource_id)
    assert killed.state == "running" and killed.progress < 1.0, "the ingest ended before the kill"
    assert table(site, resource_id) is None  # nothing switched: the table was never half-published
    scratch = glob.glob(f"{tempfile.gettempdir()}/sapan-ingest-{first.pid}-*")
    assert scratch  # the dead worker's spill files are still there

    second = site.start("worker", SAPAN_JOB_LEASE_SECONDS="2")
    wait_for(lambda: ingest_job(site, resource_id).state in ("done", "failed"), 40, second)
    watcher.stop.set()
    watcher.join()
    done = ingest_job(site, resource_id)
    assert done.state == "done", (done.error, site.log())
    assert done.attempts == 2 and done.result["rows"] == ROWS
    assert not any(Path(p).exists() for p in scratch)  # cleaned up by the worker that started next

    found = table(site, resource_id)
    assert found is not None and found.row_count == ROWS and found.parquet_key
    path = site.services.catalog.storage.local_path(found.parquet_key)
    rows, distinct = duckdb.connect().execute(
        f"SELECT count(*), count(DISTINCT row_no) FROM '{path}'"
    ).fetchone() or (0, 0)
    assert rows == distinct == ROWS
    stored = {p.name for p in (site.home / "files" / "datastore" / resource_id).iterdir()}
    assert len(stored) <= 2  # this table (and its index once built): no leftovers of the dead attempt

    answers = set(watcher.seen)
    assert answers <= {(404, None), (200, ROWS)}, answers  # never a part of the table
    assert (404, None) in answers  # it polled while the table was being made
    whole = call(api, site.token, "datastore_search", resource_id=resource_id, limit=1)
    assert whole["total"] == ROWS and set(whole["records"][0]) >= {"row_no", "จังหวัด", "วันที่"}

    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=15) == 0  # SIGTERM: a clean exit
    assert time.monotonic() - started < 45


def test_sigterm_puts_the_running_job_back_in_the_queue(site: Site, api: TestClient, big_csv: Path) -> None:
    resource_id = upload(api, site, big_csv)
    worker = site.start("worker")
    wait_for(
        lambda: (job := ingest_job(site, resource_id)).state == "running" and job.progress > 0.02, 30, worker
    )
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0, site.log()
    released = ingest_job(site, resource_id)
    assert released.state == "queued" and released.attempts == 0 and released.worker is None
    assert table(site, resource_id) is None
    assert run_one(site.services, handlers())  # another worker takes it at once
    assert ingest_job(site, resource_id).state == "done"
