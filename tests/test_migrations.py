"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sapan.db import Base, make_engine, upgrade
from tests.conftest import fresh_database_url

# Kept outside the ORM on purpose: SQLite's FTS5 index and PostgreSQL's tsvector/facet columns.
OUTSIDE_ORM = ("search_fts", "tsv", "facet_keys")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from fresh_database_url(request.param, tmp_path_factory)


def test_migrations_match_the_models(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    drift = [d for d in diff if not any(name in repr(d) for name in OUTSIDE_ORM)]
    assert drift == []


def test_tables_from_before_sheets_keep_serving(empty_url: str) -> None:
    from sqlalchemy import text

    upgrade(empty_url, "0003")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO datastore_table (resource_id, parquet_key, fields, row_count, report,"
                    " updated) VALUES ('r1', 'datastore/r1/a.parquet', '[]', 75, '{}', CURRENT_TIMESTAMP)"
                )
            )
        upgrade(empty_url)
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT id, resource_id, position, name, parquet_key, row_count FROM datastore_table")
            ).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("r1", "r1", 1, "", "datastore/r1/a.parquet", 75)
