"""Real processes, as deployed: `sapan serve --workers 2` writing JSON logs (its own lines and
uvicorn's) and a separate `sapan worker` that runs the ingest an upload enqueued. The upload's request id
is in the worker's log lines; with PROMETHEUS_MULTIPROC_DIR the /metrics of either web process counts
every web process's requests and the rows the worker ingested; no token or secret appears in any line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from sapan.config import Settings
from sapan.observability.metrics import sample
from sapan.services import build_services
from tests.conftest import FIXTURES, gdc_dataset, make_user
from tests.servers import free_port

ICU_BEDS = (FIXTURES / "datastore" / "n_icu_bed_2553.csv").read_bytes()  # 75 rows
SECRET_KEY = "process-test-secret-key-0123456789"
METRICS_TOKEN = "process-test-metrics-token"


def json_entries(stderr: str) -> list[dict[str, Any]]:
    """The log lines (JSON objects); the CLI's own messages to people are plain text."""
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_serve_and_a_separate_worker_share_request_ids_and_metrics(env: Path) -> None:
    (env / "prometheus").mkdir()
    environment = {
        **os.environ, "SAPAN_HOME": str(env), "SAPAN_LOG_FORMAT": "json", "SAPAN_LOG_LEVEL": "info",
        "SAPAN_EMBEDDED_WORKER": "false", "SAPAN_SECRET_KEY": SECRET_KEY,
        "SAPAN_METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(env / "prometheus"),
    }  # fmt: skip
    services = build_services(Settings(home=env))
    _, token = make_user(services, "admin", sysadmin=True)
    services.close()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sapan", "serve", "--port", str(port), "--workers", "2"],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        auth = {"Authorization": token}
        with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
            assert client.post("/api/3/action/organization_create", json={"name": "nso"}).status_code == 200
            created = client.post(
                "/api/3/action/package_create", json={"name": "icu", "owner_org": "nso", **gdc_dataset()}
            )
            assert created.status_code == 200, created.text
            uploaded = client.post(
                "/api/3/action/resource_create",
                data={"package_id": "icu", "name": "ตาราง"},
                files={"upload": ("icu-beds.csv", ICU_BEDS, "text/csv")},
                headers={"X-Request-ID": "e2e-upload-1"},
            )
            assert uploaded.status_code == 200 and uploaded.headers["x-request-id"] == "e2e-upload-1"
        worker = subprocess.run(
            [sys.executable, "-m", "sapan", "worker", "--once"],
            env=environment, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert worker.returncode == 0, worker.stderr
        for _ in range(12):  # new connections: the two web processes take turns accepting them
            assert httpx.get(f"{base}/api/3/action/site_read").status_code == 200
        assert httpx.get(f"{base}/metrics").status_code == 401
        metrics = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    finally:
        server.terminate()
        _, served_log = server.communicate(timeout=30)
    # The worker process ingested; the web process's /metrics adds its samples to its own.
    assert sample(metrics, "sapan_ingest_rows_total", {"format": "csv"}) == 75
    assert sample(metrics, "sapan_job_duration_seconds_count", {"kind": "ingest", "outcome": "done"}) == 1
    route = {"route": "/api/3/action/resource_create", "status": "2xx"}
    assert sample(metrics, "sapan_http_request_duration_seconds_count", route) == 1
    site_read = {"route": "/api/3/action/site_read", "status": "2xx"}
    assert sample(metrics, "sapan_http_request_duration_seconds_count", site_read) == 12
    writers = {path.stem.rsplit("_", 1)[1] for path in (env / "prometheus").glob("*.db")}
    assert (
        len(writers) >= 2
    )  # the worker's process and the web processes' (which answered is the kernel's choice)
    served, worked = json_entries(served_log), json_entries(worker.stderr)
    assert any(e["logger"].startswith("uvicorn") and "Started server process" in e["message"] for e in served)
    access = [e for e in served if e["logger"] == "sapan.access" and e["request_id"] == "e2e-upload-1"]
    assert [(e["route"], e["status"]) for e in access] == [("/api/3/action/resource_create", 200)]
    ingest = [e for e in worked if e.get("job_kind") == "ingest"]
    assert [e["message"] for e in ingest] == ["job ingest started", "job ingest done"]
    assert {e["request_id"] for e in ingest} == {"e2e-upload-1"}
    for secret in (token, SECRET_KEY, METRICS_TOKEN):
        assert secret not in served_log and secret not in worker.stderr
