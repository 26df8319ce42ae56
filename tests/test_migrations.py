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


def _columns(url: str) -> dict[str, dict[str, dict[str, object]]]:
    from sqlalchemy import inspect

    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        return {t: {c["name"]: c for c in inspector.get_columns(t)} for t in inspector.get_table_names()}
    finally:
        engine.dispose()


# Migrations written before the first release, when no older code ran against the schema.
BEFORE_RELEASE = {"0004"}


def test_each_migration_keeps_the_previous_code_working(empty_url: str) -> None:
    """docs/deploy.md's zero-downtime order migrates first and rolls the processes after, so the old
    code runs on the new schema for a while: a migration may add tables and columns, but not drop or
    rename one, and a column it adds to an existing table must take a default (old code's INSERTs
    don't name it)."""
    from alembic.script import ScriptDirectory

    from sapan.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config(empty_url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    upgrade(empty_url, revisions[0])
    before = _columns(empty_url)
    problems = []
    for revision in revisions[1:]:
        upgrade(empty_url, revision)
        after = _columns(empty_url)
        if revision in BEFORE_RELEASE:
            before = after
            continue
        for table, columns in before.items():
            if table not in after:
                problems.append(f"{revision} drops table {table}")
                continue
            for name in columns.keys() - after[table].keys():
                problems.append(f"{revision} drops {table}.{name}")
            for name in after[table].keys() - columns.keys():
                column = after[table][name]
                defaulted = column.get("default") is not None or column.get("autoincrement") is True
                if not column["nullable"] and not defaulted:
                    problems.append(f"{revision} adds {table}.{name} NOT NULL without a server default")
        before = after
    assert problems == []
