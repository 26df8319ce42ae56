"""datastore_search_sql: one read-only SELECT over DataStore tables, named by resource id as CKAN does,
in a DuckDB sandbox: no file, network or extension access beyond the named tables' own Parquet files,
configuration locked, a time limit and a row limit."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from sapan.accounts.service import Actor
from sapan.datastore.engine import literal, quote, table_source
from sapan.datastore.models import DatastoreTable, resource_of
from sapan.datastore.query import plain
from sapan.errors import NotFound, ValidationError
from sapan.governance import audit

CKAN_TYPES = {"BIGINT": "int", "INTEGER": "int", "HUGEINT": "int", "DOUBLE": "numeric", "DECIMAL": "numeric",
              "DATE": "date", "TIMESTAMP": "timestamp", "BOOLEAN": "bool", "VARCHAR": "text"}  # fmt: skip


_parser_lock = threading.Lock()
_parser: duckdb.DuckDBPyConnection | None = None


def _closed_connection() -> duckdb.DuckDBPyConnection:
    """A connection that can touch no file at all, for parsing: reading table names binds table
    functions (read_csv would open its file). One locked database per process, a cursor per call."""
    global _parser
    with _parser_lock:
        if _parser is None:
            _parser = duckdb.connect(
                config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
            )
            _parser.execute("SET enable_external_access = false")
            _parser.execute("SET lock_configuration = true")
        return _parser.cursor()


def _statement(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise ValidationError.one("sql", f"Cannot read the SQL: {str(exc).splitlines()[0]}") from exc
    if len(statements) != 1:
        raise ValidationError.one("sql", "Give exactly one statement")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise ValidationError.one("sql", "Only SELECT (or WITH ... SELECT) statements are allowed")
    return statements[0].query.strip().rstrip(";")


def _tables(
    con: duckdb.DuckDBPyConnection, session: Session, storage: Any, actor: Actor, sql: str
) -> dict[str, tuple[str, bool]]:
    """table id -> (Parquet path, positional _id), for every table the query names; a table the caller
    may not see is reported exactly like one that does not exist."""
    from sapan.catalog.resources import get_resource
    from sapan.datastore.service import awaiting_scan_allowed

    try:
        names = con.get_table_names(sql)
    except duckdb.Error as exc:
        raise ValidationError.one("sql", f"Cannot read the SQL: {str(exc).splitlines()[0]}") from exc
    out: dict[str, tuple[str, bool]] = {}
    restricted = []
    for name in names:
        try:
            _, dataset = get_resource(session, actor, resource_of(name))
        except (NotFound, ValidationError):
            table = None
        else:
            table = session.get(DatastoreTable, name)
            if table is not None and not awaiting_scan_allowed(actor, dataset, table):
                table = None
            if dataset.private:
                restricted.append(name)
        path = storage.duckdb_path(table.parquet_key) if table and table.parquet_key else None
        if path is None:
            raise ValidationError.one("sql", f'Table "{name}" is not a DataStore resource you can read')
        out[name] = (path, bool(table and table.positional_ids))
    if restricted:  # SQL over data that is not open is a security event
        audit.record(
            session,
            actor.name or "",
            "datastore.sql",
            "table",
            restricted[0],
            {"tables": restricted, "sql": sql[:2000]},
        )
    return out


_sandbox_lock = threading.Lock()
_sandboxes: OrderedDict[tuple[tuple[str, tuple[str, bool]], ...], duckdb.DuckDBPyConnection] = OrderedDict()
SANDBOXES = 16


def _sandbox(tables: dict[str, tuple[str, bool]], storage: Any) -> duckdb.DuckDBPyConnection:
    """A locked DuckDB database whose only readable files are these tables' Parquet, with a view per
    table. On object storage the files are s3:// URLs read through the storage's fsspec filesystem, and
    allowed_paths holds the same: any other URL, bucket, glob or local file is refused. Opening one
    costs ~10 ms, so the last few are kept (keyed by exactly which files they may read: a re-ingested
    table has a new file, so a new sandbox); each query gets its own cursor."""
    key = tuple(sorted(tables.items()))
    with _sandbox_lock:
        if key in _sandboxes:
            _sandboxes.move_to_end(key)
            return _sandboxes[key]
        db = duckdb.connect(
            config={"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                    "memory_limit": "1GB", "threads": 2}
        )  # fmt: skip
        storage.attach(db)  # object storage: the views read s3:// URLs through its filesystem
        if tables:
            paths = ", ".join(literal(p) for p, _ in tables.values())
            db.execute(f"SET allowed_paths = [{paths}]")
        db.execute("SET enable_external_access = false")
        db.execute("SET lock_configuration = true")
        for name, (path, positional) in tables.items():
            db.execute(f"CREATE VIEW {quote(name)} AS SELECT * FROM {table_source(path, positional)}")
        _sandboxes[key] = db
        if len(_sandboxes) > SANDBOXES:
            _sandboxes.popitem(last=False)  # closed by the collector once no cursor uses it
        return db


def search_sql(
    session: Session, storage: Any, actor: Actor, sql: Any, timeout: float = 5.0, max_rows: int = 32000
) -> dict[str, Any]:
    """Run one SELECT; raises ValidationError (bad SQL, forbidden statement or table, too slow)."""
    if not isinstance(sql, str) or not sql.strip():
        raise ValidationError.one("sql", "Missing value")
    parser = _closed_connection()
    try:
        query = _statement(parser, sql)
        tables = _tables(parser, session, storage, actor, query)
    finally:
        parser.close()
    con = _sandbox(tables, storage).cursor()
    timer = threading.Timer(timeout, con.interrupt)
    try:
        timer.start()
        cursor = con.execute(f"SELECT * FROM ({query}) AS result LIMIT {max_rows + 1}")
        rows = cursor.fetchall()
        description = cursor.description or []
    except duckdb.InterruptException as exc:
        raise ValidationError.one("sql", f"The query ran longer than the limit of {timeout:g} s") from exc
    except duckdb.Error as exc:
        raise ValidationError.one("sql", str(exc).splitlines()[0]) from exc
    finally:
        timer.cancel()
        con.close()
    names = [d[0] for d in description]
    fields = [{"id": d[0], "type": CKAN_TYPES.get(str(d[1]).split("(")[0], "text")} for d in description]
    return {
        "sql": sql,
        "fields": fields,
        "records": [dict(zip(names, (plain(v) for v in r), strict=True)) for r in rows[:max_rows]],
        "records_truncated": len(rows) > max_rows,
    }
