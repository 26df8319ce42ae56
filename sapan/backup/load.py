"""Loading a backup's tables into the target database, in one transaction the caller holds: emptying
it first, bulk inserts (COPY on PostgreSQL, executemany on SQLite), sequences moved past the restored
ids, and each table read back and compared with the manifest's row count and checksum."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, Table, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from sapan.backup import rows
from sapan.backup.archive import BackupError, TableEntry
from sapan.backup.create import BATCH, Progress
from sapan.db import Base


def wipe(conn: Connection) -> None:
    """Empty every table the target has (what migrations seeded, or a catalogue --force replaces)."""
    present = set(inspect(conn).get_table_names())
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name in present]
    if conn.dialect.name == "postgresql":
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE"))
        return
    if "search_fts" in present:
        conn.execute(text("DELETE FROM search_fts"))
    for table in tables:
        conn.execute(table.delete())


def load_tables(conn: Connection, entries: list[TableEntry], tmp: Path, report: Progress) -> None:
    """Insert every table's rows in dependency order (the manifest's order), then check each table's
    row count and checksum as the target database gives them back. BackupError on any difference."""
    total, done = sum(e["rows"] for e in entries), 0
    for entry in entries:
        if entry["name"] not in Base.metadata.tables:
            raise BackupError(f"The backup has a table this version of Sapan does not know: {entry['name']}")
        columns = [(c["name"], c["kind"]) for c in entry["columns"]]
        try:
            table = rows.portable_table(Base.metadata.tables[entry["name"]], [n for n, _ in columns])
        except KeyError as exc:
            raise BackupError(str(exc.args[0])) from exc
        parquet = pq.ParquetFile(tmp / Path(entry["member"]).name)
        for batch in parquet.iter_batches(batch_size=BATCH):
            try:
                _insert(conn, table, batch, columns)
            except (DBAPIError, psycopg.Error) as exc:  # e.g. a row whose parent is not in the backup
                reason = exc.orig if isinstance(exc, DBAPIError) else exc
                raise BackupError(
                    f"Table {entry['name']} could not be loaded ({reason}); nothing was restored"
                ) from exc
            done += batch.num_rows
            report("tables", done, total)
        _reset_sequence(conn, table)
        _check(conn, table, entry, [n for n, _ in columns])


def _insert(conn: Connection, table: Table, batch: pa.RecordBatch, columns: list[tuple[str, str]]) -> None:
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows.from_batch(batch, columns))
        return
    # COPY, on the connection (so in the transaction) the caller holds. JSON goes in as its text; a
    # missing JSON value as JSON null, as SQLAlchemy's INSERT would write it.
    jsons = [i for i, (_, kind) in enumerate(columns) if kind == "json"]
    names = ", ".join(f'"{n}"' for n, _ in columns)
    raw = conn.connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    values = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
    for i in jsons:
        values[i] = ["null" if v is None else v for v in values[i]]
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in zip(*values, strict=True):
            copy.write_row(row)


def _reset_sequence(conn: Connection, table: Any) -> None:
    """PostgreSQL: an identity or serial key's sequence continues after the highest restored id."""
    if conn.dialect.name != "postgresql":
        return
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or rows.kind_of(keys[0]) != "integer":
        return
    name = keys[0].name
    conn.execute(
        text(f"SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE(MAX(\"{name}\"), 1), "
             f"MAX(\"{name}\") IS NOT NULL) FROM \"{table.name}\""),
        {"table": f'"{table.name}"', "column": name},
    )  # fmt: skip


def _check(conn: Connection, table: Table, entry: TableEntry, names: list[str]) -> None:
    checksum = rows.RowChecksum()
    for row in conn.execute(select(table)).mappings():
        checksum.add(row, names)
    if (checksum.rows, checksum.hexdigest()) != (entry["rows"], entry["checksum"]):
        raise BackupError(
            f"Table {entry['name']} reads back differently from the backup "
            f"({checksum.rows} rows, {entry['rows']} expected); nothing was restored"
        )
