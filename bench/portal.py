"""Server time of the portal's pages over a national-scale catalogue: 100,000 datasets (bench/search.py's
catalogue: real Thai and Singapore records replicated with varied titles), on SQLite and/or PostgreSQL.

Times the search page (/dataset?q=..., with the eight facets, also a filtered page 2) and dataset pages
(/dataset/{name}) through the in-process ASGI client: routing, the domain calls, the template and the
middleware, without network. Target (issue 5): p95 < 100 ms. Cross-lingual vectors are off (encoding
100,000 datasets takes ~7 minutes; bench/crosslingual.py measures them); the lexicon translation is on.

    .venv/bin/python bench/portal.py [--datasets 100000] [--requests 200] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.databases import empty_database  # noqa: E402
from bench.search import FIXTURES, PLACES, fill_catalogue, percentile  # noqa: E402
from sapan.app import create_app  # noqa: E402
from sapan.config import Settings  # noqa: E402
from sapan.db import transaction  # noqa: E402
from sapan.search.evaluation import load_judgments  # noqa: E402
from sapan.search.service import reindex  # noqa: E402
from sapan.services import build_services  # noqa: E402


def run_backend(name: str, url: str, n: int, requests: int) -> dict[str, tuple[float, float]]:
    home = Path(tempfile.mkdtemp(prefix=f"sapan-portal-{name}-"))
    settings = Settings(home=home, database_url=url, search_vectors=False, embedded_worker=False)
    services = build_services(settings)
    print(f"[{name}] filling the catalogue with {n} datasets")
    fill_catalogue(services, n)
    with transaction(services.sessions) as session:
        reindex(
            session, services.catalog, lambda done, total: print(f"  indexed {done:>7}/{total}", end="\r")
        )
    print()
    judged = [j.query for j in load_judgments(FIXTURES / "relevance.json")]
    rng = random.Random(5)
    queries = [
        judged[i % len(judged)] if i % 3 else f"{rng.choice(judged)} {rng.choice(PLACES)}"
        for i in range(requests)
    ]
    pages = {
        "search": [f"/dataset?q={quote(q)}" for q in queries],
        "search, filtered, page 2": [f"/dataset?q={quote(q)}&res_format=CSV&page=2" for q in queries],
        "browse (no q), newest": ["/dataset?sort=metadata_created+desc"] * requests,
        "dataset": [f"/dataset/ds-{rng.randrange(n):06d}" for _ in range(requests)],
    }
    out: dict[str, tuple[float, float]] = {}
    with TestClient(create_app(services=services)) as client:
        for paths in pages.values():  # warm each route (templates compiled, caches filled)
            client.get(paths[0])
        times: dict[str, list[float]] = {label: [] for label in pages}
        for i in range(requests):  # the pages take turns, so drift in the machine's load hits all alike
            for label, paths in pages.items():
                started = time.perf_counter()
                response = client.get(paths[i], headers={"Accept-Language": "th"})
                times[label].append((time.perf_counter() - started) * 1000)
                assert response.status_code in (200, 404), (paths[i], response.status_code)
        for label, ts in times.items():
            out[label] = (statistics.median(ts), percentile(ts, 0.95))
    services.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    results = []
    for backend in args.backends.split(","):
        with empty_database(backend) as url:
            results.append((backend, run_backend(backend, url, args.datasets, args.requests)))
    print(f"\n{args.datasets} datasets, {args.requests} requests per page kind, sequential, in-process (ms)")
    print(f"{'backend':<11}{'page':<28}{'p50':>8}{'p95':>8}")
    for backend, rows in results:
        for label, (p50, p95) in rows.items():
            print(f"{backend:<11}{label:<28}{p50:>8.1f}{p95:>8.1f}")
    print("target: p95 < 100 ms")


if __name__ == "__main__":
    main()
