"""Harvest at national-portal scale: a second Sapan node (its own SAPAN_HOME, served by uvicorn in
another process on 127.0.0.1) holds 10,000 public datasets (the real Thai and Singapore records of
tests/fixtures/search, replicated with varied titles); a fresh node harvests all of them end to end
(fetch, map, store, index) through the CKAN Action API. Target (issue 7): at least 500 datasets/s.

The baseline in the same run harvests the way ckanext-harvest's CKAN harvester does: package_search
for the ids, then one package_show per dataset and one transaction (store and index) per dataset. It
runs on the first --baseline datasets (it is slow) and its rate is compared with Sapan's.

    .venv/bin/python bench/harvest.py [--datasets 10000] [--baseline 1000] [--vectors]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search import fill_catalogue  # noqa: E402
from sapan.accounts.service import site_actor  # noqa: E402
from sapan.catalog import imports  # noqa: E402
from sapan.catalog.models import Dataset  # noqa: E402
from sapan.config import Settings  # noqa: E402
from sapan.db import transaction  # noqa: E402
from sapan.harvest.apply import PUBLIC_OPEN  # noqa: E402
from sapan.harvest.ckan import action_url  # noqa: E402
from sapan.harvest.mapping import importable  # noqa: E402
from sapan.harvest.run import run_job  # noqa: E402
from sapan.harvest.sources import create_job, create_source  # noqa: E402
from sapan.jobs.service import run_pending  # noqa: E402
from sapan.search.service import reindex, run_vectors  # noqa: E402
from sapan.services import Services, build_services  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def source_node(n: int) -> tuple[subprocess.Popen[bytes], str]:
    """Fill a node with n public datasets and serve it in another process; returns (process, URL)."""
    home = Path(tempfile.mkdtemp(prefix="sapan-harvest-source-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SAPAN_HOME": str(home), "SAPAN_SITE_URL": url, "SAPAN_SEARCH_VECTORS": "false",
           "SAPAN_EMBEDDED_WORKER": "false"}  # fmt: skip
    services = build_services(Settings(home=home, site_url=url, search_vectors=False))
    print(f"[source] filling {n} datasets")
    fill_catalogue(services, n)
    with transaction(services.sessions) as session:
        session.execute(update(Dataset).values(private=False))  # harvest them all
        reindex(session, services.catalog)
    services.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "sapan.app:app_from_env", "--port", str(port),
         "--log-level", "warning"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    for _ in range(300):
        try:
            httpx.get(f"{url}/api/3/action/site_read", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return process, url


def fresh_node(vectors: bool) -> Services:
    home = Path(tempfile.mkdtemp(prefix="sapan-harvest-target-"))
    return build_services(Settings(home=home, search_vectors=vectors))


def encode_later(services: Services) -> float:
    """Seconds the search_vectors jobs the harvest queued take (with --vectors)."""
    started = time.perf_counter()
    run_pending(services, {"search_vectors": run_vectors})
    return time.perf_counter() - started


def sapan_harvest(services: Services, url: str) -> tuple[int, float]:
    with transaction(services.sessions) as session:
        actor = site_actor(session)
        source = create_source(session, actor, {"name": "source", "url": url, "source_type": "ckan"})
        job = create_job(session, actor, source["id"], background=False)
    started = time.perf_counter()
    if os.environ.get("PROFILE"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(run_job, services, job["id"], lambda fraction, message="": None)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    else:
        result = run_job(services, job["id"], lambda fraction, message="": None)
    return int(result["created"]), time.perf_counter() - started


def naive_harvest(services: Services, url: str, limit: int) -> tuple[int, float]:
    """ckanext-harvest's way: gather ids with package_search, then package_show and one transaction
    (store, index) per dataset."""
    started = time.perf_counter()
    client = httpx.Client(timeout=60)
    ids: list[str] = []
    while len(ids) < limit:
        page = client.get(
            action_url(url, "package_search"), params={"rows": 1000, "start": len(ids), "sort": "name asc"}
        ).json()["result"]["results"]
        if not page:
            break
        ids += [p["id"] for p in page]
    done = 0
    for dataset_id in ids[:limit]:
        package: dict[str, Any] = client.get(
            action_url(url, "package_show"), params={"id": dataset_id}
        ).json()["result"]
        data, _ = importable(package, services.catalog.profile)
        data["name"] = package["name"]
        data["groups"] = []
        data.update(PUBLIC_OPEN)
        org = package.get("organization") or {}
        with transaction(services.sessions) as session:
            actor = site_actor(session)
            data["owner_org"] = imports.organization_for(session, actor, org["name"], org.get("title", ""))
            imports.import_dataset(session, services.catalog, actor, data, new_dataset_id=package["id"])
        done += 1
    client.close()
    return done, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=1000, help="datasets the slow baseline harvests")
    parser.add_argument("--vectors", action="store_true", help="the fresh node encodes sentence vectors")
    args = parser.parse_args()
    process, url = source_node(args.datasets)
    try:
        target = fresh_node(args.vectors)
        count, seconds = sapan_harvest(target, url)
        rate = count / seconds
        print(f"sapan:    {count} datasets in {seconds:.1f} s = {rate:.0f} datasets/s (target >= 500)")
        if args.vectors:
            later = encode_later(target)
            print(f"          then the search_vectors jobs: {later:.1f} s ({count / later:.0f} datasets/s)")
        target.close()
        baseline = fresh_node(args.vectors)
        done, base_seconds = naive_harvest(baseline, url, args.baseline)
        baseline.close()
        base_rate = done / base_seconds
        print(
            f"baseline: {done} datasets in {base_seconds:.1f} s = {base_rate:.0f} datasets/s (package_show each)"
        )
        print(f"ratio:    {rate / base_rate:.1f}x")
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
