"""API latency over HTTP with 10,000 datasets in the catalogue, on SQLite and PostgreSQL.

Target (issue 2): package_show p50 <= 5 ms, package_create p50 <= 15 ms. Baseline: CKAN 2.12 measured
on this kind of machine (package_show 14-23 ms, package_create ~40 ms; CKAN needs Solr and cannot run
in this sandbox, so its figures are quoted). The same run also measures `site_read`, the floor of one
HTTP round trip through uvicorn + FastAPI, so the figures can be read against it.

    .venv/bin/python bench/api.py [--datasets 10000] [--requests 500] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.databases import empty_database  # noqa: E402
from sapan.accounts.service import create_token, create_user, site_actor  # noqa: E402
from sapan.catalog import datasets, groups  # noqa: E402
from sapan.config import Settings  # noqa: E402
from sapan.db import transaction  # noqa: E402
from sapan.services import build_services  # noqa: E402

CKAN = {"package_show": (14.0, 23.0), "package_create": (40.0, 40.0)}


def dataset(i: int) -> dict[str, Any]:
    return {
        "name": f"bench-{i:06d}",
        "title": f"สถิติประชากรจังหวัดที่ {i} พ.ศ. 2564 / Population statistics {i}",
        "notes": "จำนวนประชากรจากการทะเบียน จำแนกตามเพศและอายุ " * 3,
        "owner_org": "bench-org",
        "license_id": "cc-by",
        "maintainer": "กลุ่มสถิติ",
        "maintainer_email": "stat@nso.go.th",
        "tags": [{"name": "ประชากร"}, {"name": f"ปี {2560 + i % 5}"}],
        "data_type": "ข้อมูลสถิติ",
        "objective": ["เพื่อการให้บริการประชาชน"],
        "update_frequency_unit": "ปี",
        "update_frequency_interval": "1",
        "geo_coverage": "จังหวัด",
        "data_source": "สำนักงานสถิติแห่งชาติ",
        "data_format": ["CSV"],
        "data_category": "ข้อมูลสาธารณะ",
        "data_classification": "เปิดเผย",
        "resources": [{"name": "ตาราง", "url": f"https://data.example.go.th/{i}.csv", "format": "CSV"}],
    }


def fill(settings: Settings, n: int) -> str:
    """Create n datasets in-process (fast path for set-up); return a sysadmin token."""
    services = build_services(settings)
    with transaction(services.sessions) as session:
        user = create_user(session, "bench", sysadmin=True)
        _, token = create_token(session, user)
        actor = site_actor(session)
        groups.create_group(session, actor, {"name": "bench-org", "title": "Bench"}, organization=True)
    started = time.perf_counter()
    batch = 500
    for start in range(0, n, batch):
        with transaction(services.sessions) as session:
            for i in range(start, min(start + batch, n)):
                datasets.create_dataset(session, services.catalog, actor, dataset(i))
        print(f"  {min(start + batch, n):>6}/{n} datasets", end="\r", flush=True)
    print(f"  {n} datasets loaded in {time.perf_counter() - started:.1f} s")
    services.close()
    return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(client: httpx.Client, n: int, request: Any) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        response = request(i)
        out.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.text[:300]
    return out


def summary(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return statistics.median(ms), ms[int(len(ms) * 0.95) - 1]


def run_backend(name: str, url: str, n: int, requests: int) -> dict[str, tuple[float, float]]:
    home = Path(tempfile.mkdtemp(prefix=f"sapan-bench-{name}-"))
    port = free_port()
    env = {
        **os.environ,
        "SAPAN_HOME": str(home),
        "SAPAN_DATABASE_URL": url,
        "SAPAN_SITE_URL": f"http://127.0.0.1:{port}",
    }
    settings = Settings(home=home, database_url=url, site_url=env["SAPAN_SITE_URL"])
    print(f"[{name}] filling the catalogue")
    token = fill(settings, n)
    cmd = [sys.executable, "-m", "sapan", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
    results: dict[str, tuple[float, float]] = {}
    try:
        base = f"http://127.0.0.1:{port}/api/3/action"
        with httpx.Client(timeout=10) as client:
            for _ in range(300):
                try:
                    client.get(f"{base}/site_read")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            rng = random.Random(1)
            names = [f"bench-{rng.randrange(n):06d}" for _ in range(requests)]
            headers = {"Authorization": token}
            warm_up = min(100, requests)
            timed(client, warm_up, lambda i: client.get(f"{base}/package_show", params={"id": names[i]}))
            results["site_read"] = summary(timed(client, requests, lambda i: client.get(f"{base}/site_read")))
            results["package_show"] = summary(
                timed(client, requests, lambda i: client.get(f"{base}/package_show", params={"id": names[i]}))
            )
            run = uuid.uuid4().hex[:6]
            results["package_create"] = summary(
                timed(
                    client,
                    requests,
                    lambda i: client.post(
                        f"{base}/package_create",
                        json={**dataset(i), "name": f"new-{run}-{i}"},
                        headers=headers,
                    ),
                )
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    table = []
    for backend in args.backends.split(","):
        with empty_database(backend) as url:
            table.append((backend, run_backend(backend, url, args.datasets, args.requests)))
    print(f"\n{args.datasets} datasets, {args.requests} sequential requests each, one keep-alive client")
    print(
        f"{'backend':<11}{'action':<16}{'p50 ms':>8}{'p95 ms':>8}{'target':>8}{'CKAN 2.12':>12}{'CKAN/us':>9}"
    )
    targets = {"package_show": 5.0, "package_create": 15.0}
    for backend, results in table:
        for action, (p50, p95) in results.items():
            target = targets.get(action)
            ckan = CKAN.get(action)
            ratio = f"{ckan[0] / p50:.1f}x" if ckan else ""
            ckan_text = f"{ckan[0]:.0f}-{ckan[1]:.0f}" if ckan else ""
            verdict = "" if target is None else ("ok" if p50 <= target else "MISS")
            target_text = f"{target:.0f} {verdict}" if target else ""
            print(f"{backend:<11}{action:<16}{p50:>8.2f}{p95:>8.2f}{target_text:>8}{ckan_text:>12}{ratio:>9}")


if __name__ == "__main__":
    main()
