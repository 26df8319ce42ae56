"""Non-CSV tabular uploads (XLSX, XLS, ODS, JSON, GeoJSON) become UTF-8 CSV files, one per sheet, that
`ingest_csv` then reads like any CSV upload (header sniffing, title rows, type inference).

Workbooks are read with calamine, after a zip-bomb check for the zip-based formats. JSON is streamed with
ijson (a scan for where the records are, then a pass for the columns and one for the rows), so a large
file is never held in memory and needs no size cap."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

import ijson
import python_calamine

from sapan.datastore.reading import IngestError

Kind = Literal["csv", "xlsx", "xls", "ods", "json", "geojson"]

MAX_UNPACKED = 2 * 1024**3  # what a workbook's zip may unpack to, all parts together
MAX_RATIO = 200  # compression ratio allowed for a part larger than RATIO_FROM
RATIO_FROM = 1024**2
MAX_COLUMNS = 5000  # as reading.sniff_layout
PROGRESS_EVERY = 10_000  # rows

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_GEOJSON_TYPE = re.compile(rb'"type"\s*:\s*"(FeatureCollection|Feature)"')

_NAMED: dict[str, Kind] = {
    "csv": "csv",
    "tsv": "csv",
    "txt": "csv",
    "text/csv": "csv",
    "text/tab-separated-values": "csv",
    "xlsx": "xlsx",
    "xlsm": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "xls": "xls",
    "application/vnd.ms-excel": "xls",
    "ods": "ods",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "json": "json",
    "application/json": "json",
    "geojson": "geojson",
    "application/geo+json": "geojson",
}


@dataclass
class SourceTable:
    name: str  # sheet name; "" for a single-table format (json/geojson)
    path: Path  # UTF-8 CSV written under workdir, header row first (title rows above it kept as they are
    # in the sheet: the CSV sniffer skips them)


def kind_of(filename: str | None, fmt: str | None, head: bytes) -> Kind | None:
    """Which reader a file needs, from its name's extension, the resource's format field (CSV, TSV, XLSX,
    XLS, ODS, JSON, GeoJSON; any case) and its first bytes (give a few KB). The content's signature wins
    over the name; a name or format that is not tabular, or binary content with neither, gives None."""
    suffix = Path(filename).suffix.lower().lstrip(".") if filename else ""
    said = (fmt or "").strip().lower().lstrip(".")
    named = _NAMED.get(said) or _NAMED.get(suffix)
    other = named is None and bool(said or suffix)  # e.g. "PDF" or report.docx
    if head.startswith(ZIP_MAGIC):
        if head[30:38] == b"mimetype":  # ODF stores its media type first, uncompressed
            return "ods" if ODS_MIME in head[:200] else None
        if named in ("xlsx", "ods"):
            return named
        # An OOXML workbook's part names start with xl/ (a .docx has word/, a plain .zip anything)
        return "xlsx" if b"xl/" in head and not other else None
    if head.startswith(OLE_MAGIC):  # also .doc or .msg: trust a name that says so
        return None if other else "xls"
    body = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if named in (None, "json", "geojson") and body[:1] in (b"{", b"["):
        if named == "geojson" or (body[:1] == b"{" and _GEOJSON_TYPE.search(body)):
            return "geojson"
        return "json"
    if named is not None or other:
        return named
    text = head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" not in head  # UTF-16 CSV has NULs
    return "csv" if text and head.strip() else None


def to_csv_tables(
    kind: Kind, source: Path, workdir: Path, progress: Callable[[float, str], None]
) -> list[SourceTable]:
    """Write `source` as UTF-8 CSV files under `workdir`: one per non-empty sheet in workbook order, one
    for JSON/GeoJSON; a CSV is returned as it is (ingest_csv reads its encoding). Raises IngestError
    with a readable reason for anything that cannot become a table."""
    if kind == "csv":
        return [SourceTable("", source)]
    if kind in ("xlsx", "xls", "ods"):
        if kind != "xls":
            check_zip(source, kind.upper())
        return _workbook_tables(kind.upper(), source, workdir, progress)
    return [SourceTable("", _json_table(source, workdir / "records.csv", progress, kind == "geojson"))]


# Workbooks


def check_zip(source: Path, label: str) -> None:
    """Refuse a zip that is corrupt or would unpack to far more than it weighs (a zip bomb)."""
    try:
        with zipfile.ZipFile(source) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise IngestError(f"The file is not a valid {label} file: it is not a readable zip ({exc})") from exc
    declared = sum(p.file_size for p in parts)
    if declared > MAX_UNPACKED:
        raise IngestError(
            f"The {label} file would unpack to {declared / 1024**3:,.1f} GiB; at most "
            f"{MAX_UNPACKED // 1024**3} GiB is supported"
        )
    with source.open("rb") as raw:
        for part in parts:
            if part.flag_bits & 0x1:
                raise IngestError(f"The {label} file is encrypted; upload it without a password")
            if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise IngestError(
                    f"The {label} file's part '{part.filename}' uses an unsupported compression"
                )
            _check_ratio(label, part.filename, part.file_size, part.compress_size)
            # Sizes in a zip are only claims, and the reader behind calamine does not stop at them:
            # count what each part really unpacks to.
            actual = _unpacked_size(raw, part, label)
            if actual != part.file_size:
                raise IngestError(
                    f"The file is not a valid {label} file: its part '{part.filename}' unpacks to "
                    f"{actual:,} bytes, not the {part.file_size:,} it declares"
                )


def _check_ratio(label: str, name: str, size: int, packed: int) -> None:
    if size > RATIO_FROM and size > MAX_RATIO * max(packed, 1):
        raise IngestError(
            f"The {label} file looks like a zip bomb: its part '{name}' is compressed "
            f"{size / max(packed, 1):,.0f} to 1 (at most {MAX_RATIO} to 1 is allowed)"
        )


def _unpacked_size(raw: IO[bytes], part: zipfile.ZipInfo, label: str, chunk: int = 1024**2) -> int:
    """How many bytes `part` inflates to, reading at most one byte past what it declares."""
    raw.seek(part.header_offset)
    header = raw.read(30)
    if len(header) < 30 or not header.startswith(ZIP_MAGIC):
        raise IngestError(f"The file is not a valid {label} file: its part '{part.filename}' is damaged")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw.seek(part.header_offset + 30 + name_length + extra_length)
    if part.compress_type == zipfile.ZIP_STORED:
        return part.compress_size
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    left, total = part.compress_size, 0
    try:
        while left and not inflate.eof and total <= part.file_size:
            data = raw.read(min(chunk, left))
            if not data:
                break
            left -= len(data)
            total += len(inflate.decompress(data, chunk))
            while inflate.unconsumed_tail and total <= part.file_size:
                total += len(inflate.decompress(inflate.unconsumed_tail, chunk))
    except zlib.error as exc:
        raise IngestError(
            f"The file is not a valid {label} file: its part '{part.filename}' is damaged ({exc})"
        ) from exc
    return total


def _workbook_tables(
    label: str, source: Path, workdir: Path, progress: Callable[[float, str], None]
) -> list[SourceTable]:
    with _calamine_errors(label, f"The file is not a valid {label} file"):
        book = python_calamine.CalamineWorkbook.from_path(source)
    tables: list[SourceTable] = []
    with book:
        sheets = book.sheets_metadata
        for i, meta in enumerate(sheets):
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue  # a chart or macro sheet holds no cells
            target = workdir / f"sheet-{i + 1}.csv"
            span = (i / len(sheets), (i + 1) / len(sheets))
            progress(span[0], f"reading sheet {meta.name}")
            with _calamine_errors(label, f"The sheet '{meta.name}' could not be read"):
                filled = _write_sheet(book.get_sheet_by_name(meta.name), target, progress, span)
            if filled:
                tables.append(SourceTable(meta.name, target))
            else:
                target.unlink()
    if not tables:
        raise IngestError(f"The {label} file has no sheet with any data")
    progress(1.0, "sheets read")
    return tables


@contextmanager
def _calamine_errors(label: str, reason: str) -> Iterator[None]:
    """calamine's errors as IngestError. A Rust panic on a malformed file reaches Python as pyo3's
    PanicException, a BaseException that would get past `except Exception` and stop the worker."""
    try:
        yield
    except python_calamine.PasswordError as exc:
        raise IngestError(f"The {label} file is protected by a password; upload it without one") from exc
    except python_calamine.CalamineError as exc:
        raise IngestError(f"{reason}: {_first_line(exc)}") from exc
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        raise IngestError(f"{reason}: the reader stopped on it ({_first_line(exc)})") from exc


def _write_sheet(
    sheet: python_calamine.CalamineSheet,
    target: Path,
    progress: Callable[[float, str], None],
    span: tuple[float, float],
) -> bool:
    """Write the sheet's rows as CSV, padded to its width; False when every cell is empty."""
    width, height = sheet.width, max(sheet.height, 1)
    if width > MAX_COLUMNS:
        raise IngestError(
            f"The sheet '{sheet.name}' has {width:,} columns; at most {MAX_COLUMNS:,} are supported"
        )
    filled = False
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        # iter_rows() streams the rows to Python; an empty sheet has none (and older calamines panic on it)
        for n, row in enumerate(sheet.iter_rows() if width and sheet.height else (), 1):
            cells = [cell_text(v) for v in row]
            filled = filled or any(cells)
            writer.writerow(cells + [""] * (width - len(cells)))
            if n % PROGRESS_EVERY == 0:
                progress(span[0] + (span[1] - span[0]) * min(n / height, 1.0), f"reading sheet {sheet.name}")
    return filled


def cell_text(value: Any) -> str:
    """A cell as text the CSV ingest types: integral numbers without ".0", ISO dates, lower-case booleans."""
    if isinstance(value, str):
        # the CSV reader takes a NUL byte for a binary file
        return value.replace("\x00", "") if "\x00" in value else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = repr(value)
        # 1e-07 is not a number to the ingest's patterns: write it out in full
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# JSON and GeoJSON

_SHAPES = {"": "item", "records": "records.item", "result.records": "result.records.item"}


def _json_table(source: Path, target: Path, progress: Callable[[float, str], None], geojson: bool) -> Path:
    """Records (or features) to CSV: one pass for the columns, a second for the rows. What the file holds
    decides how it is read; `geojson` (what its name said) only words the error for other shapes."""
    items, geo = _json_shape(source, geojson)
    columns: dict[str, None] = {}  # an ordered set
    with _open_json(source) as stream:
        for n, item in enumerate(_json_items(stream, items), 1):
            row = _json_row(item, n, geo)
            columns.update(dict.fromkeys(row))
            if len(columns) > MAX_COLUMNS + geo:
                raise IngestError(
                    f"The records have more than {MAX_COLUMNS:,} different keys; at most {MAX_COLUMNS:,} "
                    "columns are supported"
                )
            if n % PROGRESS_EVERY == 0:
                progress(0.5 * _fraction(stream, source), "reading columns")
    if not columns:
        raise IngestError("The JSON holds no records" if not geo else "The GeoJSON holds no features")
    if geo:  # geometry last, after the properties
        columns.pop("geometry", None)
        columns["geometry"] = None
    names = list(columns)
    with _open_json(source) as stream, target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for n, item in enumerate(_json_items(stream, items), 1):
            row = _json_row(item, n, geo)
            writer.writerow([_json_text(row.get(c)) for c in names])
            if n % PROGRESS_EVERY == 0:
                progress(0.5 + 0.5 * _fraction(stream, source), "writing rows")
    progress(1.0, "records read")
    return target


def _json_shape(source: Path, geojson: bool) -> tuple[str, bool]:
    """Where the records are (an ijson prefix) and whether they are GeoJSON features; a single Feature
    is read whole (prefix ""). Records are the top-level array, the array under "records" (also
    CKAN's result.records) or else the one top-level key that holds an array of objects, as government
    APIs often wrap their list: {"total": 77, "province": [...]}."""
    if source.stat().st_size == 0:
        raise IngestError("The file is empty")
    keys: list[str] = []
    arrays: list[str] = []  # top-level keys whose value is an array starting with an object
    opened = ""  # the top-level key whose array just started
    kind = ""
    with _open_json(source) as stream:
        try:
            for prefix, event, value in ijson.parse(stream):
                if event == "start_array" and prefix in _SHAPES:
                    return _SHAPES[prefix], False
                if event == "start_array" and prefix == "features":
                    return "features.item", True
                if opened and prefix == f"{opened}.item" and event == "start_map":
                    arrays.append(opened)
                opened = prefix if event == "start_array" and keys and prefix == keys[-1] else ""
                if prefix == "" and event == "map_key":
                    keys.append(value)
                elif prefix == "type" and event == "string":
                    kind = value
                elif prefix == "" and event not in ("start_map", "end_map"):
                    raise _shape_error(f"found {_json_type_name(value, event)}", geojson)
        except ijson.JSONError as exc:
            raise IngestError(f"The file is not valid JSON: {_first_line(exc)}") from exc
    if kind == "Feature":
        return "", True
    if len(arrays) == 1 and not geojson:
        return f"{arrays[0]}.item", False
    if not keys:
        raise _shape_error("found an empty object", geojson)
    shown = ", ".join(keys[:20]) + (", ..." if len(keys) > 20 else "")
    if len(arrays) > 1:
        shown += f" (several hold arrays of records: {', '.join(arrays[:5])}; name the one to load 'records')"
    elif "records" in keys:
        shown += " ('records' is not an array)"
    raise _shape_error(f"found an object with keys: {shown}", geojson)


def _shape_error(found: str, geojson: bool = False) -> IngestError:
    if geojson:
        return IngestError(f"GeoJSON must be a FeatureCollection or a Feature; {found}")
    return IngestError(f"JSON must be an array of records or an object with a 'records' array; {found}")


def _json_items(stream: IO[bytes], prefix: str) -> Iterator[Any]:
    try:
        yield from ijson.items(stream, prefix, use_float=True)
    except ijson.JSONError as exc:
        raise IngestError(f"The file is not valid JSON: {_first_line(exc)}") from exc


def _json_row(item: Any, n: int, geo: bool) -> dict[str, Any]:
    """A record's cells; a feature's properties plus its geometry."""
    if not geo:
        if not isinstance(item, dict):
            raise _shape_error(f"found an array whose item {n:,} is {_json_type_name(item)}")
        return item
    if not isinstance(item, dict) or item.get("type") != "Feature":
        raise IngestError(f"GeoJSON feature {n:,} is not a Feature object")
    properties = item.get("properties") or {}
    if not isinstance(properties, dict):
        raise IngestError(f"GeoJSON feature {n:,} has properties that are not an object")
    return {**properties, "geometry": item.get("geometry")}


# Nested values as compact JSON; a NUL stays escaped (\u0000), so no raw NUL reaches the CSV
_compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return _compact_json(value)
    return cell_text(value)


def _json_type_name(value: Any, event: str = "") -> str:
    if event == "start_array" or isinstance(value, list):
        return "an array"
    if event == "start_map" or isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    return "a string"


def _open_json(source: Path) -> IO[bytes]:
    stream = source.open("rb")
    if stream.read(3) != b"\xef\xbb\xbf":  # ijson rejects a UTF-8 byte order mark
        stream.seek(0)
    return stream


def _fraction(stream: IO[bytes], source: Path) -> float:
    size = source.stat().st_size
    return min(stream.tell() / size, 1.0) if size else 1.0
