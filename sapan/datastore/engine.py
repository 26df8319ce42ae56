"""One DuckDB database per process for reading DataStore tables: opening one costs ~10 ms, a cursor on
it almost nothing. It holds nothing but its own caches, so processes stay stateless. The SQL sandbox
does not use it: that needs a database of its own, locked down."""

from __future__ import annotations

import threading
from typing import Any

import duckdb

_lock = threading.Lock()
_database: duckdb.DuckDBPyConnection | None = None
_attached: Any = None  # the fsspec filesystem registered on _database


def quote(name: str) -> str:
    """A column or table name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A string as a DuckDB literal."""
    return "'" + text.replace("'", "''") + "'"


def table_source(path: str, positional: bool = True, ids: list[int] | None = None) -> str:
    """SQL reading a table's Parquet with its `_id`. Tables ingested since sheets existed do not store
    `_id` (numbering rows cost the ingest a third of its time): it is the row's place in the file, from
    DuckDB's file_row_number. `ids` selects rows by _id where Parquet can skip to them: a filter on
    file_row_number itself is pushed down to the row groups, one on the computed _id is not."""
    file = literal(path)
    if not positional:  # written before: _id is a column of the file
        where = ""
        if ids is not None:
            where = f" WHERE _id IN ({', '.join(str(int(i)) for i in ids) or 'NULL'})"
        return f"(SELECT * FROM read_parquet({file}){where})"
    where = ""
    if ids is not None:
        rows = ", ".join(str(int(i) - 1) for i in ids) or "NULL"
        where = f" WHERE file_row_number BETWEEN {min(ids, default=1) - 1} AND {max(ids, default=0) - 1}"
        where += f" AND file_row_number IN ({rows})"
    return (
        f"(SELECT file_row_number + 1 AS _id, * EXCLUDE (file_row_number) "
        f"FROM read_parquet({file}, file_row_number = true){where})"
    )


def cursor(storage: Any = None) -> duckdb.DuckDBPyConnection:
    """A connection for one request (close it when done) that reads `storage`'s files."""
    global _database, _attached
    with _lock:
        if _database is None:
            _database = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
        if storage is not None and not storage.local and _attached is not storage.fs:
            storage.attach(_database)  # once per storage: its filesystem serves every later cursor
            _attached = storage.fs
        return _database.cursor()


def connect(storage: Any, **config: Any) -> duckdb.DuckDBPyConnection:
    """A DuckDB database of its own (for jobs that need their own limits) that reads `storage`'s files."""
    con = duckdb.connect(config=config)
    storage.attach(con)
    return con
