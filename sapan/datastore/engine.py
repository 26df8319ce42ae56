"""One DuckDB database per process for reading DataStore tables: opening one costs ~10 ms, a cursor on
it almost nothing. It holds nothing but its own caches, so processes stay stateless. The SQL sandbox
does not use it: that needs a database of its own, locked down."""

from __future__ import annotations

import threading

import duckdb

_lock = threading.Lock()
_database: duckdb.DuckDBPyConnection | None = None


def cursor() -> duckdb.DuckDBPyConnection:
    """A connection for one request (close it when done)."""
    global _database
    with _lock:
        if _database is None:
            _database = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
        return _database.cursor()
