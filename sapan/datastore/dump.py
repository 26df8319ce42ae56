"""Whole tables (or their filtered part) as files: CSV (UTF-8 with a BOM, so Excel shows Thai), TSV,
JSON, Parquet and XLSX, streamed in batches. Text cells that a spreadsheet would run as a formula are
neutralised."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import xlsxwriter
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
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BATCH = 10_000
CHUNK = 1024 * 1024
FORMULA = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576 - 1  # Excel's sheet limit, less the header row
EXCEL_DIGITS = 10**15  # Excel keeps 15 significant digits; longer integers would be rounded


@dataclass
class Dump:
    query: TableQuery
    format: str
    filename: str
    storage: Any = None  # where the table's files are (engine.cursor reads through it)

    @property
    def media_type(self) -> str:
        return MEDIA[self.format]


def prepare(session: Session, storage: Any, actor: Actor, resource_id: str, params: dict[str, Any]) -> Dump:
    """Check access and parameters before any byte is sent (errors become a normal API answer)."""
    from sapan.datastore.service import index_path, readable_table

    fmt = str(params.get("format") or "csv").lower()
    if fmt not in MEDIA:
        raise ValidationError.one("format", f"Must be one of: {', '.join(MEDIA)}")
    table, path = readable_table(session, actor, resource_id, storage)
    query = build_query(table, path, params, index_path(table, storage))
    if fmt == "xlsx":
        _check_xlsx_rows(query, storage)
    return Dump(query, fmt, f"{resource_id}.{fmt}", storage)


def _check_xlsx_rows(query: TableQuery, storage: Any) -> None:
    """Refuse, before streaming, what one sheet cannot hold: XlsxWriter would drop the extra rows silently.
    A table's Parquet file is never rewritten in place (changes go to a new file), so this count is
    exactly what stream() will write."""
    con = engine.cursor(storage)
    try:
        found = con.execute(query.count_sql(), query.args).fetchone()
    finally:
        con.close()
    rows = int(found[0]) if found else 0
    if rows > XLSX_MAX_ROWS:
        raise ValidationError.one(
            "format",
            f"This table has {rows:,} rows; an xlsx sheet holds at most {XLSX_MAX_ROWS:,}. "
            "Use format=csv or format=parquet, or filters to select fewer rows.",
        )


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA):
        return "'" + value
    return value


def stream(dump: Dump) -> Iterator[bytes]:
    con = engine.cursor(dump.storage)
    try:
        if dump.format == "parquet":
            yield from _parquet(con, dump)
            return
        if dump.format == "xlsx":
            yield from _xlsx(con, dump)
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
        yield from _read_chunks(target)
    finally:
        os.unlink(target)


def _xlsx(con: duckdb.DuckDBPyConnection, dump: Dump) -> Iterator[bytes]:
    # A zip file can only be sent once finished: build it in a temp file, then stream that.
    handle, target = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        options = {
            "constant_memory": True,  # each row goes to disk once the next starts: memory stays flat
            # Text stays text: nothing typed by a publisher becomes a formula, a link or a number.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": True,  # NaN in a numeric column would otherwise raise mid-file
            "use_zip64": True,  # a wide table's sheet can pass 4 GiB; without it close() raises
        }
        with xlsxwriter.Workbook(target, options) as book:
            sheet = book.add_worksheet("data")
            formats = {
                "date": book.add_format({"num_format": "yyyy-mm-dd"}),
                "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            }
            bold = book.add_format({"bold": True})
            for col, name in enumerate(dump.query.columns):
                sheet.write_string(0, col, name, bold)
            sheet.freeze_panes(1, 0)
            cursor = con.execute(dump.query.rows_sql(), dump.query.args)
            row = 1
            while batch := cursor.fetchmany(BATCH):
                for values in batch:
                    for col, value in enumerate(values):
                        _xlsx_cell(sheet, row, col, value, formats)
                    row += 1
        yield from _read_chunks(target)
    finally:
        os.unlink(target)


def _xlsx_cell(sheet: Any, row: int, col: int, value: Any, formats: dict[str, Any]) -> None:
    """One typed cell; None stays empty."""
    if value is None:
        return
    if isinstance(value, bool):  # before int: bool is an int
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int) and abs(value) >= EXCEL_DIGITS:
        sheet.write_string(row, col, str(value))  # an ID of 16+ digits must not lose its last ones
    elif isinstance(value, (int, float, Decimal)):
        sheet.write_number(row, col, float(value))
    elif isinstance(value, (date, datetime)) and value.year >= 1900:  # Excel has no earlier dates
        kind = "datetime" if isinstance(value, datetime) else "date"
        sheet.write_datetime(row, col, value, formats[kind])
    else:
        sheet.write_string(row, col, str(safe_cell(plain(value))))


def _read_chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk
