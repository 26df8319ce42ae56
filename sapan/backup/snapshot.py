"""Reading every table in one snapshot of the database: PostgreSQL in a REPEATABLE READ, READ ONLY
transaction, SQLite in one read transaction (WAL keeps it stable while writers go on)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose every read sees the database as it was at one moment."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield conn
        return
    # pysqlite opens no transaction for a SELECT, so each would see a newer state: begin one by hand.
    # The snapshot starts at the first read, which is right away.
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("BEGIN")
        try:
            conn.execute(text("SELECT count(*) FROM sqlite_master"))
            yield conn
        finally:
            conn.exec_driver_sql("ROLLBACK")
