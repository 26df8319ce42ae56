"""Non-CSV uploads become CSV tables: XLSX/XLS samples of the real ECT 2566 results workbook, ODS and
workbooks with every cell type built here, zip bombs, too many columns, JSON records from the real ECT
province list, GeoJSON; and which reader a file needs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from sapan.datastore.formats import Kind, SourceTable, kind_of, to_csv_tables
from sapan.datastore.ingest import ingest_csv
from sapan.datastore.reading import IngestError
from tests.conftest import FIXTURES

ECT_PROVINCES = FIXTURES / "datastore" / "ect-2569-info_province.json"
PROVINCES = json.loads(ECT_PROVINCES.read_text("utf-8"))["province"]
ECT_SHEETS = ["constituency_2566", "candidate_2566", "candidate_2569", "partylist_by_constituency_2566"]


def ect_sample(kind: str) -> Path:
    """Header and first 15 rows of each sheet of the real workbook (see tests/fixtures/SOURCES.md)."""
    return FIXTURES / "datastore" / f"ect-election-2566-results.sample.{kind}"


def convert(kind: Kind, source: Path, workdir: Path) -> list[SourceTable]:
    calls: list[tuple[float, str]] = []
    tables = to_csv_tables(kind, source, workdir, lambda f, m: calls.append((f, m)))
    assert calls and all(0 <= f <= 1 for f, _ in calls)
    return tables


def rows(table: SourceTable) -> list[list[str]]:
    with table.path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def write_file(path: Path, content: bytes | str) -> Path:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    for name, sheet_rows in sheets.items():
        sheet = book.add_worksheet(name)
        dates = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        for r, row in enumerate(sheet_rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.datetime | dt.date | dt.time):
                    sheet.write_datetime(r, c, value, dates)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return path


def ods(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A minimal OpenDocument spreadsheet, written by hand: the uncompressed mimetype first, then
    content.xml with typed cells."""

    def cell(value: Any) -> str:
        if isinstance(value, bool):
            return (
                f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}"/>'
            )
        if isinstance(value, int | float):
            return f'<table:table-cell office:value-type="float" office:value="{value}"/>'
        if isinstance(value, dt.date):
            return f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}"/>'
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    tables = "".join(
        f'<table:table table:name="{name}">'
        + "".join("<table:table-row>" + "".join(map(cell, r)) + "</table:table-row>" for r in sheet_rows)
        + "</table:table>"
        for name, sheet_rows in sheets.items()
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


# Workbooks


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_every_sheet_of_the_ect_workbook_becomes_a_table(tmp_path: Path, kind: Kind) -> None:
    tables = convert(kind, ect_sample(kind), tmp_path)
    assert [t.name for t in tables] == ECT_SHEETS
    assert all(t.path.parent == tmp_path for t in tables)
    constituency, candidates_2566, candidates_2569, partylist = map(rows, tables)
    assert constituency[0] == ["จังหวัด", "เขต", "ผู้มีสิทธิ", "ผู้มาใช้สิทธิ", "บัตรดี", "บัตรเสีย", "บัตรไม่เลือกผู้ใด", "key"]
    # numbers stored as floats come out as integers, not "122769.0"
    assert constituency[1] == ["กระบี่", "1", "122769", "102097", "96392", "3521", "2184", "กระบี่-1"]
    assert candidates_2566[1] == ["กรุงเทพมหานคร", "1", "นายปารเมศ วิทยารักษ์สรรค์", "ก้าวไกล", "37438"]
    assert candidates_2569[0][-1] == "key"
    assert partylist[0][-1] == "อื่นๆ" and len(partylist) == 16
    assert tables[0].path.read_bytes().startswith("จังหวัด".encode())  # UTF-8, no BOM


def test_a_converted_sheet_goes_through_the_csv_ingest(tmp_path: Path) -> None:
    table = convert("xlsx", ect_sample("xlsx"), tmp_path)[0]
    (tmp_path / "spill").mkdir()
    with table.path.open("rb") as source:
        _, fields, count, _ = ingest_csv(source, tmp_path, lambda f, m: None, local_path=str(table.path))
    types = {f["id"]: f["type"] for f in fields}
    assert count == 15
    assert types["จังหวัด"] == "text" and types["ผู้มีสิทธิ"] == "int"


def test_cell_values_are_written_as_the_ingest_reads_them(tmp_path: Path) -> None:
    source = xlsx(
        tmp_path / "cells.xlsx",
        {
            "ข้อมูล": [
                ["ตารางที่ 1 ผลการสำรวจ"],  # a title row above the header stays
                ["ชื่อ", "จำนวน", "สัดส่วน", "เล็ก", "วันที่", "เวลา", "เปิด", "หมายเหตุ"],
                [
                    "ก",
                    12.0,
                    0.1,
                    1e-7,
                    dt.datetime(2023, 5, 14),
                    dt.datetime(2023, 5, 14, 8, 30),
                    True,
                    'a,"b"',
                ],
                ["ข", 7, 2.5],  # a short row is padded
            ],
            "ว่าง": [],
            "เวลา": [["เวลา"], [dt.time(8, 30)]],
        },
    )
    tables = convert("xlsx", source, tmp_path)
    assert [t.name for t in tables] == ["ข้อมูล", "เวลา"]  # the empty sheet is skipped
    data, times = map(rows, tables)
    assert data[0][0] == "ตารางที่ 1 ผลการสำรวจ" and data[0][1:] == [""] * 7
    assert data[2] == ["ก", "12", "0.1", "0.0000001", "2023-05-14", "2023-05-14T08:30:00", "true", 'a,"b"']
    assert data[3] == ["ข", "7", "2.5", "", "", "", "", ""]
    assert times[1] == ["08:30:00"]


def test_ods_sheets_become_tables(tmp_path: Path) -> None:
    source = ods(
        tmp_path / "provinces.ods",
        {
            "จังหวัด": [
                ["province", "registered", "opened", "ok"],
                ["กระบี่", 350123, dt.date(2023, 5, 14), True],
            ],
            "ว่าง": [],
            "อื่น": [["a"], ["ข"]],
        },
    )
    assert kind_of(None, None, source.read_bytes()[:4096]) == "ods"
    tables = convert("ods", source, tmp_path)
    assert [t.name for t in tables] == ["จังหวัด", "อื่น"]
    assert rows(tables[0]) == [
        ["province", "registered", "opened", "ok"],
        ["กระบี่", "350123", "2023-05-14", "true"],
    ]


def test_a_workbook_without_data_is_refused(tmp_path: Path) -> None:
    source = xlsx(tmp_path / "empty.xlsx", {"Sheet1": [], "Sheet2": []})
    with pytest.raises(IngestError, match="no sheet with any data"):
        convert("xlsx", source, tmp_path)


def test_a_sheet_with_too_many_columns_is_refused(tmp_path: Path) -> None:
    source = xlsx(tmp_path / "wide.xlsx", {"กว้าง": [[f"c{i}" for i in range(10_000)], list(range(10_000))]})
    with pytest.raises(IngestError, match="The sheet 'กว้าง' has 10,000 columns; at most 5,000 are supported"):
        convert("xlsx", source, tmp_path)


def test_a_zip_bomb_is_refused_quickly_and_in_little_memory(tmp_path: Path) -> None:
    source = tmp_path / "bomb.xlsx"
    with (
        zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as z,
        z.open("xl/worksheets/sheet1.xml", "w") as f,
    ):
        zeros = bytes(1024**2)
        for _ in range(50):
            f.write(zeros)
    assert source.stat().st_size < 200_000
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(IngestError, match="zip bomb"):
            to_csv_tables("xlsx", source, tmp_path, lambda f, m: None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 2
    assert peak < 5 * 1024**2


def test_a_zip_that_hides_its_size_is_refused(tmp_path: Path) -> None:
    """A part that claims 1,000 bytes (too small for the ratio check) but unpacks to 5 MiB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", bytes(5 * 1024**2))
    data = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local and central headers
        at = data.index(signature)
        struct.pack_into("<I", data, at + offset, 1000)
    source = write_file(tmp_path / "liar.xlsx", bytes(data))
    with pytest.raises(IngestError, match="unpacks to .* not the 1,000 it declares"):
        to_csv_tables("xlsx", source, tmp_path, lambda f, m: None)


def test_files_that_are_not_workbooks_are_refused(tmp_path: Path) -> None:
    garbage = write_file(tmp_path / "garbage.xlsx", bytes(range(256)) * 40)
    with pytest.raises(IngestError, match="not a valid XLSX file"):
        to_csv_tables("xlsx", garbage, tmp_path, lambda f, m: None)
    with zipfile.ZipFile(tmp_path / "words.xlsx", "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(IngestError, match="not a valid XLSX file"):
        to_csv_tables("xlsx", tmp_path / "words.xlsx", tmp_path, lambda f, m: None)
    ole = write_file(tmp_path / "garbage.xls", b"\xd0\xcf\x11\xe0" + bytes(2000))
    with pytest.raises(IngestError, match="not a valid XLS file"):
        to_csv_tables("xls", ole, tmp_path, lambda f, m: None)


# JSON and GeoJSON


def test_an_array_of_records_becomes_a_table(tmp_path: Path) -> None:
    source = write_file(tmp_path / "provinces.json", json.dumps(PROVINCES, ensure_ascii=False))
    (table,) = convert("json", source, tmp_path)
    header, bangkok, *rest = rows(table)
    assert table.name == ""
    assert header == list(PROVINCES[0])
    assert bangkok == ["10", "BKK", "กรุงเทพมหานคร", "กทม", "BKK", "6757", "4502458"]
    assert len(rest) == len(PROVINCES) - 1


def test_the_one_array_of_records_in_an_object_becomes_the_table(tmp_path: Path) -> None:
    """The real ECT file as published: national totals, then the provinces under "province"."""
    (table,) = convert("json", ECT_PROVINCES, tmp_path)
    header, bangkok, *rest = rows(table)
    assert header == [
        "province_id",
        "prov_id",
        "province",
        "abbre_thai",
        "eng",
        "total_vote_stations",
        "total_registered_vote",
    ]
    assert bangkok[2] == "กรุงเทพมหานคร" and len(rest) == 76


def test_records_under_a_records_key_with_mixed_keys_and_nested_values(tmp_path: Path) -> None:
    records = [
        {"province": "กระบี่", "stations": 563, "codes": {"th": "กบ", "en": "KBI"}},
        {"province": "ชลบุรี", "note": None, "districts": ["เมือง", "ศรีราชา"], "ok": True, "share": 0.25},
        {"stations": 12.0, "note": "a\u0000b"},  # a NUL would make the CSV look binary
    ]
    body = {"fields": [{"id": "province"}], "records": records, "total": 3}
    source = write_file(tmp_path / "records.json", "\ufeff" + json.dumps(body, ensure_ascii=False, indent=1))
    assert kind_of(source.name, None, source.read_bytes()[:4096]) == "json"
    (table,) = convert("json", source, tmp_path)
    assert rows(table) == [
        ["province", "stations", "codes", "note", "districts", "ok", "share"],
        ["กระบี่", "563", '{"th":"กบ","en":"KBI"}', "", "", "", ""],
        ["ชลบุรี", "", "", "", '["เมือง","ศรีราชา"]', "true", "0.25"],
        ["", "12", "", "ab", "", "", ""],
    ]


def test_geojson_features_become_rows_with_their_geometry(tmp_path: Path) -> None:
    polygon = {"type": "Polygon", "coordinates": [[[98.9, 18.7], [99.1, 18.7], [99.0, 18.9], [98.9, 18.7]]]}
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "ศาลากลาง", "floors": 3},
                "geometry": {"type": "Point", "coordinates": [100.5, 13.75]},
            },
            {
                "type": "Feature",
                "properties": {"name": "เชียงใหม่", "area_km2": 20107.057},
                "geometry": polygon,
            },
            {"type": "Feature", "properties": None, "geometry": None},
        ],
    }
    source = write_file(tmp_path / "places.geojson", json.dumps(collection, ensure_ascii=False))
    (table,) = convert("geojson", source, tmp_path)
    assert rows(table) == [
        ["name", "floors", "area_km2", "geometry"],
        ["ศาลากลาง", "3", "", '{"type":"Point","coordinates":[100.5,13.75]}'],
        ["เชียงใหม่", "", "20107.057", json.dumps(polygon, separators=(",", ":"))],
        ["", "", "", ""],
    ]
    feature = write_file(tmp_path / "one.json", json.dumps(collection["features"][0], ensure_ascii=False))
    assert kind_of(feature.name, None, feature.read_bytes()) == "geojson"
    assert rows(convert("geojson", feature, tmp_path)[0])[1][0] == "ศาลากลาง"


@pytest.mark.parametrize(
    ("kind", "content", "reason"),
    [
        (
            "json",
            '{"total": 77, "name": "ทั้งประเทศ"}',
            "JSON must be an array of records or an object with a 'records' array; found an object with "
            "keys: total, name",
        ),
        ("json", '{"a": [{"x": 1}], "b": [{"y": 2}]}', "several hold arrays of records: a, b"),
        ("json", "[1, 2]", "found an array whose item 1 is a number"),
        ("json", '"text"', "found a string"),
        ("json", '{"records": 5}', r"found an object with keys: records \('records' is not an array\)"),
        ("json", "[]", "holds no records"),
        ("json", '[{"a": 1}, ', "not valid JSON"),
        ("json", "{'a': 1}", "not valid JSON"),
        ("json", "", "The file is empty"),
        (
            "geojson",
            '{"type": "Point", "coordinates": [1, 2]}',
            "GeoJSON must be a FeatureCollection or a Feature",
        ),
        (
            "geojson",
            '{"type": "FeatureCollection", "features": [{"name": "x"}]}',
            "feature 1 is not a Feature",
        ),
    ],
)
def test_bad_json_is_refused_with_a_reason(tmp_path: Path, kind: Kind, content: str, reason: str) -> None:
    source = write_file(tmp_path / "bad.json", content)
    with pytest.raises(IngestError, match=reason):
        to_csv_tables(kind, source, tmp_path, lambda f, m: None)


# Which reader


def zip_head(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name in names:
            z.writestr(name, "<x/>")
    return buffer.getvalue()


XLSX_HEAD = ect_sample("xlsx").read_bytes()[:4096]
XLS_HEAD = ect_sample("xls").read_bytes()[:4096]


@pytest.mark.parametrize(
    ("filename", "fmt", "head", "kind"),
    [
        ("data.csv", None, b"a,b\n1,2\n", "csv"),
        (None, "TSV", b"a\tb\n", "csv"),
        ("data.txt", "", b"a;b\n", "csv"),
        (None, None, "ชื่อ,จำนวน\n".encode(), "csv"),
        (None, None, "ชื่อ,จำนวน\n".encode("utf-16"), "csv"),
        ("table.csv", None, b"[title]\na,b\n", "csv"),  # the name says CSV: a leading bracket is not JSON
        ("results.xlsx", None, XLSX_HEAD, "xlsx"),
        (None, "xlsx", XLSX_HEAD, "xlsx"),
        ("download", None, XLSX_HEAD, "xlsx"),
        ("results.xls", None, XLS_HEAD, "xls"),
        (None, "XLS", XLS_HEAD, "xls"),
        ("mislabelled.xlsx", None, XLS_HEAD, "xls"),
        ("memo.doc", None, XLS_HEAD, None),
        ("sheet.ods", None, zip_head("content.xml"), "ods"),
        ("report.docx", None, zip_head("[Content_Types].xml", "word/document.xml"), None),
        ("shapes.zip", "ZIP", zip_head("a.shp"), None),
        ("garbage.xlsx", None, bytes(range(256)), "xlsx"),  # its reader says why it is not one
        ("rows.json", None, b'[{"a": 1}]', "json"),
        (None, "JSON", b'\xef\xbb\xbf \n {"records": []}', "json"),
        (None, None, b'{"type": "FeatureCollection", "features": []}', "geojson"),
        ("places.json", None, b'{\n  "type" : "Feature", "geometry": null}', "geojson"),
        (None, "GeoJSON", b'{"features": []}', "geojson"),
        ("report.pdf", "PDF", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", None),
        (None, None, b"\x89PNG\r\n\x1a\n\x00\x00", None),
        (None, None, b"", None),
    ],
)
def test_kind_of(filename: str | None, fmt: str | None, head: bytes, kind: Kind | None) -> None:
    assert kind_of(filename, fmt, head) == kind


def test_kind_of_an_ods_by_its_mimetype(tmp_path: Path) -> None:
    source = ods(tmp_path / "x.ods", {"a": [["b"]]})
    assert kind_of("renamed.xlsx", None, source.read_bytes()[:4096]) == "ods"
