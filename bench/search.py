"""Search at national-portal scale: 100,000 datasets (the real Thai and Singapore records of
tests/fixtures/search, replicated with varied titles), on SQLite FTS5 and PostgreSQL.

Prints indexing throughput (`sapan search reindex`'s path, and one-at-a-time indexing as package_create
does it) and p50/p95 latency of 200 Thai/English package_search calls with the default five facets.
Targets (issue 3): SQLite p95 < 50 ms, indexing >= 2,000 datasets/s. The baseline in the same run is
a plain SQL LIKE scan over titles and notes, the way a portal without a search index answers.

    .venv/bin/python bench/search.py [--datasets 100000] [--queries 200] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.databases import empty_database  # noqa: E402
from sapan.accounts.service import ANONYMOUS, site_actor  # noqa: E402
from sapan.catalog import datasets, groups  # noqa: E402
from sapan.catalog.models import Dataset, DatasetTag, Resource  # noqa: E402
from sapan.catalog.profiles import load_profile  # noqa: E402
from sapan.config import Settings  # noqa: E402
from sapan.db import new_id, transaction, utcnow  # noqa: E402
from sapan.search.evaluation import catalogue_records, load_judgments  # noqa: E402
from sapan.search.query import FACET_FIELDS  # noqa: E402
from sapan.search.service import SearchQuery, reindex, search_datasets  # noqa: E402
from sapan.services import Services, build_services  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "search"
PLACES = ["กรุงเทพมหานคร", "เชียงใหม่", "ขอนแก่น", "ภูเก็ต", "นครราชสีมา", "สงขลา", "Tampines", "Jurong West",
          "Woodlands", "Bedok", "อุบลราชธานี", "ชลบุรี"]  # fmt: skip
FORMATS = ["CSV", "XLSX", "JSON", "PDF", "API", "GeoJSON"]


def fill_catalogue(services: Services, n: int) -> None:
    """Bulk-insert n datasets straight into the catalogue tables (set-up only; not what is measured)."""
    records = catalogue_records(FIXTURES / "catalog.jsonl")
    rng = random.Random(7)
    with transaction(services.sessions) as session:
        actor = site_actor(session)
        org_ids = []
        for i, agency in enumerate(sorted({r["organization"] for r in records if r["organization"]})[:40]):
            org = groups.create_group(
                session, actor, {"name": f"agency-{i}", "title": agency}, organization=True
            )
            org_ids.append(org["id"])
        org_ids.append(
            groups.create_group(session, actor, {"name": "thai-gov", "title": "หน่วยงานภาครัฐไทย"}, True)["id"]
        )
    now = utcnow()
    batch: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    resources: list[dict[str, Any]] = []
    for i in range(n):
        record = records[i % len(records)]
        year = (
            rng.choice([2556, 2560, 2564, 2566]) if record["lang"] == "th" else rng.choice([2015, 2019, 2023])
        )
        variant = f"{record['title']} {rng.choice(PLACES)} {year}" if i >= len(records) else record["title"]
        dataset_id = new_id()
        batch.append(
            {
                "id": dataset_id, "name": f"ds-{i:06d}", "title": variant, "notes": record["notes"],
                "owner_org": org_ids[-1] if record["lang"] == "th" else org_ids[i % (len(org_ids) - 1)],
                "license_id": "cc-by" if record["lang"] == "th" else "sg-odl", "profile": {}, "extras": {},
                "metadata_created": now, "metadata_modified": now, "private": i % 50 == 0,
                "author": "", "author_email": "", "maintainer": "", "maintainer_email": "", "url": "",
                "version": "", "type": "dataset", "state": "active",
            }
        )  # fmt: skip
        tags.append({"dataset_id": dataset_id, "name": "สถิติ" if record["lang"] == "th" else "statistics"})
        resources.append(
            {
                "id": new_id(), "package_id": dataset_id, "position": 0, "name": variant[:80],
                "description": "", "format": FORMATS[i % len(FORMATS)], "url": f"https://data.example/{i}",
                "hash": "", "extras": {}, "state": "active", "created": now, "metadata_modified": now,
            }
        )  # fmt: skip
        if len(batch) == 5000 or i == n - 1:
            with transaction(services.sessions) as session:
                session.execute(insert(Dataset), batch)
                session.execute(insert(DatasetTag), tags)
                session.execute(insert(Resource), resources)
            batch, tags, resources = [], [], []
            print(f"  catalogue {i + 1:>7}/{n}", end="\r", flush=True)
    print()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def timed(runs: dict[str, Callable[[str], object]], mix: list[str]) -> dict[str, tuple[float, float]]:
    """p50 and p95 milliseconds of each run over the queries, the runs taking turns on each query
    (so drift in the machine's load weighs on all alike); each is warmed first."""
    times: dict[str, list[float]] = {label: [] for label in runs}
    for run in runs.values():
        run(mix[0])
    for q in mix:
        for label, run in runs.items():
            t = time.perf_counter()
            run(q)
            times[label].append((time.perf_counter() - t) * 1000)
    return {label: (statistics.median(ts), percentile(ts, 0.95)) for label, ts in times.items()}


def run_backend(name: str, url: str, n: int, queries: int) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix=f"sapan-search-{name}-"))
    services = build_services(Settings(home=home, database_url=url))
    cfg = dataclasses.replace(
        services.catalog, profile=load_profile("ckan"), vectors=False
    )  # see crosslingual.py
    print(f"[{name}] filling the catalogue with {n} datasets")
    fill_catalogue(services, n)
    out: dict[str, float] = {}
    started = time.perf_counter()
    with transaction(services.sessions) as session:
        indexed = reindex(session, cfg, lambda done, total: print(f"  indexed {done:>7}/{total}", end="\r"))
    out["reindex_per_s"] = indexed / (time.perf_counter() - started)
    print(f"\n  reindex: {indexed} datasets in {time.perf_counter() - started:.1f} s")
    # One at a time, as package_create indexes inside its own transaction.
    with transaction(services.sessions) as session:
        actor = site_actor(session)
    started = time.perf_counter()
    one_by_one = 300
    for i in range(one_by_one):
        with transaction(services.sessions) as session:
            datasets.create_dataset(
                session, cfg, actor,
                {"name": f"new-{i}", "title": f"สถิติผู้ใช้บริการรถไฟฟ้า {PLACES[i % len(PLACES)]} {2560 + i % 7}",
                 "notes": "จำนวนผู้โดยสารรายเดือน จำแนกตามสถานี", "owner_org": "thai-gov"},
            )  # fmt: skip
    out["create_per_s"] = one_by_one / (time.perf_counter() - started)
    judged = [j.query for j in load_judgments(FIXTURES / "relevance.json")]
    rng = random.Random(3)
    mix = [
        judged[i % len(judged)] if i < len(judged) else f"{rng.choice(judged)} {rng.choice(PLACES)}"
        for i in range(queries)
    ]
    for label, (p50, p95) in timed({"sapan": _sapan(services, cfg), "like": _like(services)}, mix).items():
        out[f"{label}_p50"], out[f"{label}_p95"] = p50, p95
    services.close()
    return out


def _sapan(services: Services, cfg: Any) -> Any:
    def run(q: str) -> int:
        with transaction(services.sessions) as session:
            return int(
                search_datasets(
                    session, cfg, ANONYMOUS, SearchQuery(q=q, rows=10, facet_fields=list(FACET_FIELDS))
                )["count"]
            )

    return run


def _like(services: Services) -> Any:
    """The baseline: every word must appear in the title or notes (LIKE), newest first, no facets."""

    def run(q: str) -> int:
        conds = " AND ".join(f"(title LIKE :w{i} OR notes LIKE :w{i})" for i, _ in enumerate(q.split()))
        params = {f"w{i}": f"%{w}%" for i, w in enumerate(q.split())}
        with services.engine.connect() as conn:
            where = f"state = 'active' AND private = false AND {conds}" if conds else "state = 'active'"
            conn.execute(
                text(f"SELECT id FROM dataset WHERE {where} ORDER BY metadata_modified DESC LIMIT 10"), params
            ).all()
            return int(conn.execute(text(f"SELECT count(*) FROM dataset WHERE {where}"), params).scalar_one())

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    table = []
    for backend in args.backends.split(","):
        with empty_database(backend) as url:
            table.append((backend, run_backend(backend, url, args.datasets, args.queries)))
    print(f"\n{args.datasets} datasets, {args.queries} package_search calls (rows=10, 5 facets), sequential")
    heads = ("reindex/s", "create/s", "p50 ms", "p95 ms", "LIKE p50", "LIKE p95", "LIKE/us p95")
    print(f"{'backend':<11}" + "".join(f"{h:>12}" for h in heads))
    for backend, r in table:
        values = (
            r["reindex_per_s"],
            r["create_per_s"],
            r["sapan_p50"],
            r["sapan_p95"],
            r["like_p50"],
            r["like_p95"],
        )
        ratio = r["like_p95"] / r["sapan_p95"]
        print(f"{backend:<11}" + "".join(f"{v:>12.1f}" for v in values) + f"{ratio:>11.2f}x")
    print("targets: SQLite p95 < 50 ms; reindex >= 2,000 datasets/s")


if __name__ == "__main__":
    main()
