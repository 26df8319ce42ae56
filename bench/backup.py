"""Backup and restore time and size: 1,000 datasets and a 100,000-row DataStore table, on SQLite and
PostgreSQL, with the SQLite backup also restored into PostgreSQL (the move to production). Baseline in
the same run: pg_dump -Fc of the same PostgreSQL schema and pg_restore of it into a new database (the
database only; pg_restore also rebuilds indexes, including the search GIN), and a tar of the storage
folder (the files only).

    .venv/bin/python bench/backup.py [--datasets 1000] [--rows 100000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api import dataset, fill  # noqa: E402
from bench.databases import PG, empty_database  # noqa: E402
from bench.datastore import make_csv  # noqa: E402
from sapan.app import create_app  # noqa: E402
from sapan.backup.create import create_backup  # noqa: E402
from sapan.backup.restore import restore_backup  # noqa: E402
from sapan.config import Settings  # noqa: E402
from sapan.jobs.handlers import handlers  # noqa: E402
from sapan.jobs.service import run_pending  # noqa: E402
from sapan.services import build_services  # noqa: E402

TEMPORARY: list[Path] = []  # removed at the end of the run


def settings_for(url: str) -> Settings:
    home = Path(tempfile.mkdtemp(prefix="sapan-bench-backup-"))
    TEMPORARY.append(home)
    return Settings(home=home, database_url=url, storage_url=str(home / "files"), max_upload_mb=100)


def add_table(settings: Settings, token: str, rows: int) -> None:
    """A dataset with a CSV of `rows` rows, ingested (the worker's job run in-process)."""
    services = build_services(settings)
    try:
        csv = Path(settings.home) / "farm.csv"
        make_csv(csv, rows)
        with TestClient(create_app(services=services)) as client:
            headers = {"Authorization": token}
            client.post(
                "/api/3/action/package_create", json={**dataset(10**6), "name": "farm"}, headers=headers
            )
            with csv.open("rb") as f:
                answer = client.post("/api/3/action/resource_create", data={"package_id": "farm", "name": "ผลผลิต"},
                                     files={"upload": ("farm.csv", f, "text/csv")}, headers=headers)  # fmt: skip
            assert answer.status_code == 200, answer.text
        run_pending(services, handlers())
    finally:
        services.close()


def timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def pg_dump(url: str, out: Path) -> float:
    schema = unquote(url.split("search_path%3D", 1)[1])
    server = url.split("?", 1)[0].replace("postgresql+psycopg://", "postgresql://")
    _, seconds = timed(lambda: subprocess.run(["/usr/bin/pg_dump", "-Fc", "-n", schema, "-f", str(out), server],
                                              check=True))  # fmt: skip
    return seconds


def pg_restore(dump: Path) -> float:
    """pg_restore of the dump into a new database (dropped afterwards)."""
    name = f"sapan_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        server = PG.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + f"/{name}"
        _, seconds = timed(
            lambda: subprocess.run(["/usr/bin/pg_restore", "-d", server, str(dump)], check=True)
        )
        return seconds
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()


def run(backend: str, n: int, rows: int, figures: dict[str, Any]) -> None:
    with empty_database(backend) as url:
        source = settings_for(url)
        token = fill(source, n)
        add_table(source, token, rows)
        services = build_services(source)
        try:
            out = Path(tempfile.mkdtemp(prefix="sapan-bench-out-"))
            TEMPORARY.append(out)
            summary, figures[f"{backend} backup s"] = timed(
                lambda: create_backup(services, str(out / "b.tar"))
            )
            figures[f"{backend} backup MB"] = summary.size / 1e6
            figures[f"{backend} rows/files"] = (
                f"{summary.rows:,} rows, {summary.files} files ({summary.file_bytes / 1e6:.1f} MB)"
            )
            if backend == "postgresql":
                figures["pg_dump -Fc s"] = pg_dump(url, out / "db.dump")
                figures["pg_dump -Fc MB"] = (out / "db.dump").stat().st_size / 1e6
                figures["pg_restore (new database) s"] = pg_restore(out / "db.dump")
            files, figures[f"{backend} tar of files s"] = timed(
                lambda: _tar(Path(source.resolved_storage_url), out / "f.tar")
            )
            figures[f"{backend} tar of files MB"] = files / 1e6
        finally:
            services.close()
        targets = ["sqlite", "postgresql"] if backend == "sqlite" else [backend]
        for kind in targets:
            with empty_database(kind) as target_url:
                target = settings_for(target_url)
                restored, figures[f"{backend} -> {kind} restore s"] = timed(
                    lambda target=target: restore_backup(target, summary.path)
                )
                assert restored.datasets_indexed == n + 1, restored
                figures[f"{backend} -> {kind} restore phases"] = ", ".join(
                    f"{k} {v:.2f}" for k, v in restored.phases.items()
                )


def _tar(folder: Path, out: Path) -> int:
    with tarfile.open(out, "w") as tar:
        tar.add(folder, arcname="files")
    return out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    try:
        for backend in args.backends.split(","):
            run(backend, args.datasets, args.rows, figures)
    finally:
        for path in TEMPORARY:
            shutil.rmtree(path, ignore_errors=True)
    print(
        f"\n{args.datasets:,} datasets + a {args.rows:,}-row DataStore table (PostgreSQL at {PG.split('@')[-1]})"
    )
    for name, value in figures.items():
        print(f"  {name:<34} {value:.2f}" if isinstance(value, float) else f"  {name:<34} {value}")


if __name__ == "__main__":
    main()
