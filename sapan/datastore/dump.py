"""Whole tables (or their filtered part) as files: CSV (UTF-8 with a BOM, so Excel shows Thai), TSV,
JSON and Parquet, streamed in batches. Text cells that a spreadsheet would run as a formula are
neutralised."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from sapan.accounts.service import Actor
from sapan.datastore import engine
from sapan.datastore.query import TableQuery, build_query, plain
from sapan.errors import ValidationError

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}
BATCH = 10_000
FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Dump:
    query: TableQuery
    format: str
    filename: str

    @property
    def media_type(self) -> str:
        return MEDIA[self.format]


def prepare(session: Session, storage: Any, actor: Actor, resource_id: str, params: dict[str, Any]) -> Dump:
    """Check access and parameters before any byte is sent (errors become a normal API answer)."""
    from sapan.datastore.service import _table

    fmt = str(params.get("format") or "csv").lower()
    if fmt not in MEDIA:
        raise ValidationError.one("format", f"Must be one of: {', '.join(MEDIA)}")
    table, path = _table(session, actor, resource_id, storage)
    return Dump(build_query(table, path, params), fmt, f"{resource_id}.{fmt}")


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA):
        return "'" + value
    return value


def stream(dump: Dump) -> Iterator[bytes]:
    con = engine.cursor()
    try:
        if dump.format == "parquet":
            yield from _parquet(con, dump)
            return
        cursor = con.execute(dump.query.rows_sql(), dump.query.args)
        if dump.format == "json":
            yield (
                b'{"fields": '
                + json.dumps(dump.query.fields, ensure_ascii=False).encode()
                + b', "records": ['
            )
            first = True
            while batch := cursor.fetchmany(BATCH):
                text = ",".join(json.dumps([plain(v) for v in row], ensure_ascii=False) for row in batch)
                yield (text if first else "," + text).encode()
                first = False
            yield b"]}"
            return
        delimiter = "\t" if dump.format == "tsv" else ","
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter)
        writer.writerow(dump.query.columns)
        yield "\ufeff".encode() + buffer.getvalue().encode()
        while batch := cursor.fetchmany(BATCH):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows([safe_cell(plain(v)) for v in row] for row in batch)
            yield buffer.getvalue().encode()
    finally:
        con.close()


def _parquet(con: duckdb.DuckDBPyConnection, dump: Dump) -> Iterator[bytes]:
    handle, target = tempfile.mkstemp(suffix=".parquet")
    os.close(handle)
    try:
        con.execute(
            f"COPY ({dump.query.rows_sql()}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)",
            dump.query.args,
        )
        with open(target, "rb") as f:
            while chunk := f.read(1024 * 1024):
                yield chunk
    finally:
        os.unlink(target)
