"""An empty database for one benchmark run: a new SQLite file, or a new schema on the PostgreSQL
server (dropped afterwards)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

PG = os.environ.get("SAPAN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def empty_database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tempfile.mkdtemp(prefix='sapan-bench-db-')}/bench.db"
        return
    schema = f"sapan_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
