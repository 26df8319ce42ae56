"""Table rows in a portable form: each column gets a kind that Parquet stores exactly (timestamps to the
microsecond, JSON as its text, bytes as bytes), and rows get a checksum that does not depend on the
database they were read from (so a SQLite backup restored into PostgreSQL checks out)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "datetime": pa.timestamp("us"),
    "date": pa.date32(),
    "json": pa.string(),  # the JSON text: Parquet has no type for "any JSON value"
    "binary": pa.binary(),
}


def kind_of(column: Column[Any]) -> str:
    """The portable kind of a column; a type nobody taught the backup about is an error, not a guess."""
    kind = column.type
    # Order matters: JSON before String, DateTime before Date, Boolean before Integer.
    for cls, name in (
        (JSON, "json"),
        (DateTime, "datetime"),
        (Date, "date"),
        (Boolean, "boolean"),
        (Integer, "integer"),
        (Float, "float"),
        (LargeBinary, "binary"),
        (String, "string"),
    ):
        if isinstance(kind, cls):
            return name
    raise TypeError(f"Backups do not know how to store {column.table.name}.{column.name} ({kind!r})")


def schema(columns: list[tuple[str, str]]) -> pa.Schema:
    return pa.schema([(name, ARROW[kind]) for name, kind in columns])


def to_batch(rows: Iterable[Mapping[Any, Any]], columns: list[tuple[str, str]]) -> pa.RecordBatch:
    """Rows as the database driver returned them -> one Arrow batch."""
    data: dict[str, list[Any]] = {name: [] for name, _ in columns}
    jsons = {name for name, kind in columns if kind == "json"}
    for row in rows:
        for name, _ in columns:
            value = row[name]
            data[name].append(
                None if value is None else json.dumps(value, ensure_ascii=False) if name in jsons else value
            )
    return pa.RecordBatch.from_pydict(data, schema=schema(columns))


def from_batch(batch: pa.RecordBatch, columns: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """An Arrow batch -> rows ready for an INSERT (JSON text back to values)."""
    rows: list[dict[str, Any]] = batch.to_pylist()
    jsons = [name for name, kind in columns if kind == "json"]
    for row in rows:
        for name in jsons:
            if row[name] is not None:
                row[name] = json.loads(row[name])
    return rows


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


class RowChecksum:
    """A checksum of a table's rows, whatever order they come in: the sum of the rows' sha256 (mod
    2^256). JSON values are compared by content (sorted keys), as JSONB reorders them."""

    def __init__(self) -> None:
        self.total = 0
        self.rows = 0

    def add(self, row: Mapping[Any, Any], names: list[str]) -> None:
        text = json.dumps([_canonical(row[n]) for n in names], ensure_ascii=False, sort_keys=True)
        self.total = (self.total + int(hashlib.sha256(text.encode()).hexdigest(), 16)) % 2**256
        self.rows += 1

    def hexdigest(self) -> str:
        return f"{self.total:064x}"


def portable_table(table: Table, names: list[str]) -> Table:
    """A copy of `table` with only the columns `names` (a backup of an older schema has fewer columns
    than the models): its INSERTs and SELECTs then touch only columns that exist in that schema."""
    missing = [n for n in names if n not in table.c]
    if missing:
        raise KeyError(f"{table.name}: column(s) {', '.join(missing)} are unknown to this version of Sapan")
    # Plain columns (no foreign keys or defaults): every value comes from the backup.
    return Table(
        table.name,
        MetaData(),
        *[Column(n, table.c[n].type, primary_key=table.c[n].primary_key, autoincrement=False) for n in names],
    )
