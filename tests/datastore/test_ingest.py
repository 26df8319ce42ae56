"""Uploads become typed DataStore tables: real Thai files, TIS-620, Thai digits, Buddhist-era dates,
title rows; datastore_search and datastore_info in CKAN's shape; failures keep the last good table."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import FIXTURES, Api, gdc_dataset

ICU_BEDS = (FIXTURES / "datastore" / "n_icu_bed_2553.csv").read_bytes()


def thai_variant() -> bytes:
    """Built from the real ICU-beds file: a title row above the header, a BE date column, numbers in
    Thai digits with thousands separators, and the whole file in TIS-620 (Windows-874)."""
    lines = ICU_BEDS.decode("utf-8").splitlines()
    digits = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
    out = ["จำนวนเตียง ICU จำแนกตามจังหวัด ปี ๒๕๕๓,,,", lines[0] + ",วันที่รายงาน"]
    for i, line in enumerate(lines[1:]):
        cells = line.split(",")
        beds = int(cells[4])
        cells[4] = f'"{beds:,}"'.translate(digits) if beds >= 1000 else str(beds).translate(digits)
        out.append(",".join(cells) + f",{1 + i % 28:02d}/03/2553")
    return "\r\n".join(out).encode("cp874")


def upload(
    client: TestClient,
    token: str,
    package: str,
    name: str,
    content: bytes,
    resource_id: str = "",
    fmt: str = "",
) -> Any:
    fields = {"package_id": package, "name": "ตาราง", **({"id": resource_id} if resource_id else {})}
    response = client.post(
        f"/api/3/action/resource_{'update' if resource_id else 'create'}",
        data={**fields, **({"format": fmt} if fmt else {})},
        files={"upload": (name, content, "text/csv")},
        headers={"Authorization": token},
    )
    assert response.status_code == 200, response.text
    return response.json()["result"]


def test_thai_file_becomes_a_typed_table(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, name="icu", owner_org="nso", **gdc_dataset())
    res = upload(client, sysadmin, "icu", "icu-beds.csv", thai_variant())
    info = api.ok("datastore_info", id=res["id"])
    assert info["ingest"]["job"]["state"] == "queued"  # nothing runs inside the request
    assert run_pending(services, handlers()) == 2  # the ingest, then the q index it enqueues
    info = api.ok("datastore_info", id=res["id"])
    assert info["ingest"]["job"]["state"] == "done" and info["ingest"]["job"]["progress"] == 1.0
    report = info["ingest"]["report"]
    assert report["encoding"] == "cp874" and report["title_rows_skipped"] == 1 and report["rows_read"] == 75
    assert report["values_coerced"]["วันที่รายงาน"] == 75  # every BE date
    types = {f["id"]: f["type"] for f in info["fields"]}
    assert types["Province"] == "text" and types["Total_N_ICU_BED"] == "int" and types["วันที่รายงาน"] == "date"
    schema = {f["name"]: f["type"] for f in info["schema"]["fields"]}  # Frictionless Table Schema
    assert schema["_id"] == "integer" and schema["Province"] == "string" and schema["วันที่รายงาน"] == "date"
    assert schema["Total_N_ICU_BED"] == "integer" and info["schema"]["primaryKey"] == ["_id"]
    assert api.ok("resource_show", id=res["id"])["datastore_active"] is True

    found = api.ok("datastore_search", resource_id=res["id"], filters={"Province": "กรุงเทพมหานคร"})
    assert found["total"] == 1
    bangkok = found["records"][0]
    assert bangkok["Total_N_ICU_BED"] == 1502  # "๑,๕๐๒" in the file
    assert bangkok["วันที่รายงาน"] == "2010-03-01"  # 01/03/2553 BE
    assert [f["id"] for f in found["fields"]][:2] == ["_id", "Region"]
    page = api.ok(
        "datastore_search", resource_id=res["id"], sort="Total_N_ICU_BED desc", limit=3,
        fields="Province,Total_N_ICU_BED", records_format="lists",
    )  # fmt: skip
    assert page["records"][0] == ["กรุงเทพมหานคร", 1502] and len(page["records"]) == 3
    assert page["total"] == 75 and "offset=3" in page["_links"]["next"]
    thai_q = api.ok("datastore_search", resource_id=res["id"], q="เชียงใหม่")
    assert [r["Province"] for r in thai_q["records"]] == ["เชียงใหม่"]
    region = api.ok(
        "datastore_search", resource_id=res["id"], filters={"Region": ["ภาคเหนือ"]}, include_total=True
    )
    assert region["total"] == 17
    regions = api.ok("datastore_search", resource_id=res["id"], fields="Region", distinct="true")
    assert regions["total"] == 5 and len(regions["records"]) == 5  # the total counts distinct rows


def test_bad_requests_are_validation_errors(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, name="icu2", owner_org="nso", **gdc_dataset())
    res = upload(client, sysadmin, "icu2", "icu.csv", ICU_BEDS)
    run_pending(services, handlers())
    assert "filters" in api.error("datastore_search", resource_id=res["id"], filters={"nope": 1})
    assert "sort" in api.error("datastore_search", resource_id=res["id"], sort="nope desc")
    assert "fields" in api.error("datastore_search", resource_id=res["id"], fields=["nope"])
    assert "limit" in api.error("datastore_search", resource_id=res["id"], limit=32001)
    assert api.error("datastore_search", status=404, resource_id="no-such")["__type"] == "Not Found Error"


def test_failed_ingest_keeps_the_last_good_table(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, name="keep", owner_org="nso", **gdc_dataset())
    res = upload(client, sysadmin, "keep", "icu.csv", ICU_BEDS)
    run_pending(services, handlers())
    for name, content, reason in [
        ("garbage.csv", bytes(range(256)) * 50, "not a text file"),
        ("empty.csv", b"", "empty"),
        ("header.csv", "จังหวัด,จำนวน\n".encode(), "no rows"),
        (
            "wide.csv",
            (",".join(f"คอลัมน์{i}" for i in range(10_000)) + "\n" + "1," * 9999 + "1\n").encode(),
            "at most 5,000",
        ),
    ]:
        upload(client, sysadmin, "keep", name, content, resource_id=res["id"])
        run_pending(services, handlers())
        info = api.ok("datastore_info", id=res["id"])
        assert info["ingest"]["job"]["state"] == "failed"
        assert reason in info["ingest"]["error"]
        # The previous table still serves.
        assert api.ok("datastore_search", resource_id=res["id"], limit=0)["total"] == 75


def test_private_tables_are_404_to_outsiders(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, name="secret-table", owner_org="nso", private=True, **gdc_dataset())
    res = upload(client, sysadmin, "secret-table", "icu.csv", ICU_BEDS)
    run_pending(services, handlers())
    assert api.error("datastore_search", status=404, resource_id=res["id"])["__type"] == "Not Found Error"
    assert api.error("datastore_info", status=404, id=res["id"])["__type"] == "Not Found Error"
    assert api.ok("datastore_search", sysadmin, resource_id=res["id"])["total"] == 75


def test_small_files_and_odd_layouts() -> None:
    import io

    from sapan.datastore.ingest import ingest_csv, new_workdir, remove_workdir

    cases = {
        "ปี,ผู้ใช้ (ล้านคน)\n2564,๕๔\n".encode(): (1, ["int", "int"]),  # one row, no final cut
        "ปี;จำนวน\n2564;1.5\n2565;2\n".encode("utf-8-sig"): (2, ["int", "numeric"]),  # BOM, semicolons
        "ปี\tชื่อ\n2564\tกทม.\n".encode("utf-16"): (1, ["int", "text"]),  # UTF-16, tabs
        b"a,b\n1,2,3\n4\n": (2, ["int", "int"]),  # ragged rows still load
    }
    for content, (rows, kinds) in cases.items():
        workdir = new_workdir()
        try:
            _, fields, count, _ = ingest_csv(io.BytesIO(content), workdir, lambda f, m: None, len(content))
        finally:
            remove_workdir(workdir)
        assert count == rows and [f["type"] for f in fields] == kinds, content


def test_utf8_detection_survives_a_character_cut_by_the_sample() -> None:
    from sapan.datastore.reading import SAMPLE, detect_encoding

    text = ("จังหวัด,พืช\n" + "เชียงใหม่,ข้าว\n" * 30000).encode()
    for shift in range(4):  # every way the sample's end can fall inside a 3-byte Thai character
        assert detect_encoding((b"x" * shift + text)[:SAMPLE]) == "utf-8"


def test_file_names_with_quotes_ingest(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, name="quoted", owner_org="nso", **gdc_dataset())
    res = upload(client, sysadmin, "quoted", "it's 'beds'.csv", ICU_BEDS)
    run_pending(services, handlers())
    assert api.ok("datastore_search", resource_id=res["id"], limit=1)["total"] == 75


def test_default_order_is_id_order_across_pages(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    rows = "\n".join(str(i * 7) for i in range(110_000))  # more than one Parquet row group (100,000)
    api.ok("package_create", sysadmin, name="ordered", owner_org="nso", **gdc_dataset())
    res = upload(client, sysadmin, "ordered", "rows.csv", f"เลข\n{rows}\n".encode())
    run_pending(services, handlers())
    for offset in (0, 99_995, 109_990):
        page = api.ok(
            "datastore_search", resource_id=res["id"], offset=offset, limit=10, records_format="lists"
        )
        assert [r[0] for r in page["records"]] == list(range(offset + 1, offset + 11))
        assert [r[1] for r in page["records"]] == [7 * i for i in range(offset, offset + 10)]


def test_header_cells_with_line_breaks_lose_no_rows() -> None:
    import io

    from sapan.datastore.ingest import ingest_csv, new_workdir, remove_workdir

    # Shaped like data.gov.sg's waste statistics: header cells broken over lines, years as "2,016".
    content = (
        b'Waste Type,"Waste\nDisposed\nof (tonne)","Total\nWaste\nRecycled\n(tonne)",Year\r\n'
        b'Food,"679,900","111,100","2,016"\r\nPaper,"576,000","607,100","2,016"\r\nGlass,"58,800","14,600","2,015"\r\n'
    )
    workdir = new_workdir()
    try:
        _, fields, rows, report = ingest_csv(io.BytesIO(content), workdir, lambda f, m: None, len(content))
    finally:
        remove_workdir(workdir)
    assert rows == 3 and report["title_rows_skipped"] == 0
    assert [f["id"] for f in fields] == [
        "Waste Type",
        "Waste Disposed of (tonne)",
        "Total Waste Recycled (tonne)",
        "Year",
    ]
    assert [f["type"] for f in fields] == ["text", "int", "int", "int"]


def _ingest(content: bytes) -> tuple[list[dict[str, str]], list[tuple[Any, ...]], dict[str, Any]]:
    import io

    import duckdb

    from sapan.datastore.engine import table_source
    from sapan.datastore.ingest import ingest_csv, new_workdir, remove_workdir

    workdir = new_workdir()
    try:
        path, fields, _, report = ingest_csv(io.BytesIO(content), workdir, lambda f, m: None, len(content))
        rows = duckdb.connect().execute(f"SELECT * FROM {table_source(str(path))} ORDER BY _id").fetchall()
    finally:
        remove_workdir(workdir)
    return fields, rows, report


def test_thai_month_names_and_codes_with_leading_zeros() -> None:
    # Dates as Thai officials write them (built for this test: no public file has them): abbreviated
    # months with a two-digit BE year in Thai digits, full month names, "พ.ศ." before the year.
    content = (
        "วันที่,รหัสจังหวัด,เลขทะเบียน,ยอด\n"
        "๒๕ มี.ค. ๖๔,10,0105536092641,๑๒\n"
        "1 มกราคม 2564,50,0105536092642,3\n"
        "31 ธ.ค. พ.ศ. 2563,83,0105536092643,-\n"
    ).encode()
    fields, rows, report = _ingest(content)
    assert [f["type"] for f in fields] == ["date", "int", "text", "text"]  # "-" keeps ยอด text
    assert [r[1].isoformat() for r in rows] == ["2021-03-25", "2021-01-01", "2020-12-31"]
    assert rows[0][3] == "0105536092641"  # a code keeps its leading zero
    assert report["values_coerced"]["วันที่"] == 3


def test_a_bad_cell_after_the_sample_changes_the_type_and_loses_no_row() -> None:
    # The first 10,000 rows look like clean integers and ISO dates; later rows bring a decimal,
    # a Thai-digit number, a word, and a BE date: the file is read again and every row is kept.
    lines = ["เลข,ค่า,คำ,วัน"] + [f"{i},{i},{i},2024-01-0{1 + i % 9}" for i in range(12_000)]
    lines += ["12000,1.5,ไม่ทราบ,2024-02-01", "12001,๗,7,2024-02-02", "12002,8,8,2024-02-03"]
    fields, rows, report = _ingest("\n".join(lines).encode())
    assert {f["id"]: f["type"] for f in fields} == {"เลข": "int", "ค่า": "numeric", "คำ": "text", "วัน": "date"}
    assert len(rows) == 12_003 and report["rows_rejected"] == 0
    assert rows[-2][1:3] == (12001, 7.0) and rows[-3][3] == "ไม่ทราบ"


def test_ragged_rows_and_a_stray_quote_keep_their_rows() -> None:
    content = 'จังหวัด,จำนวน\nน่าน,1\nแพร่,2,3,4,5\nพะเยา\n"ลำปาง,3\n'.encode()
    fields, rows, report = _ingest(content)
    assert [r[1:] for r in rows] == [("น่าน", 1), ("แพร่", 2), ("พะเยา", None), ("ลำปาง,3", None)]
    assert report["rows_rejected"] == 0 and report["rejected_lines"] == []


def test_a_utf8_file_with_windows_874_lines_keeps_them() -> None:
    # Files joined from several offices: UTF-8, then lines saved in Windows-874 past the sniffed sample.
    good = "".join(f"เชียงใหม่,{i}\n" for i in range(20_000))
    content = ("จังหวัด,จำนวน\n" + good).encode() + "ลำพูน,5\nน่าน,6\n".encode("cp874") + "แพร่,7\n".encode()
    fields, rows, report = _ingest(content)
    assert [r[1] for r in rows[-3:]] == ["ลำพูน", "น่าน", "แพร่"] and len(rows) == 20_003
    assert report["lines_read_as_windows_874"] == 2 and report["rows_rejected"] == 0


def test_q_finds_the_same_rows_before_and_after_the_index(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    from sapan.jobs.service import run_one

    api.ok("package_create", sysadmin, name="indexed", owner_org="nso", **gdc_dataset())
    res = upload(client, sysadmin, "indexed", "icu.csv", ICU_BEDS)
    assert run_one(services, handlers())  # the ingest: the table serves, its index job waits
    queries = ["เชียงใหม่", "ภาคเหนือ", "ภาคตะวันออกเฉียงเหนือ ขอนแก่น", "ไม่มีคำนี้", "Chiang"]
    params: list[dict[str, Any]] = [{"q": q} for q in queries] + [
        {"q": "ภาคเหนือ", "sort": "Province desc", "limit": 3},
        {"q": "ภาคเหนือ", "filters": {"SubRegion": "ภาคเหนือตอนบน"}},
    ]
    assert api.error("datastore_search", status=404, resource_id=res["id"])  # not public until scanned
    scanned = [api.ok("datastore_search", sysadmin, resource_id=res["id"], **p) for p in params]
    assert scanned[0]["total"] == 1 and scanned[1]["total"] == 17
    assert api.ok("datastore_info", id=res["id"])["q_index"]["ready"] is False
    assert run_pending(services, handlers()) == 1  # the index job
    index = api.ok("datastore_info", id=res["id"])["q_index"]
    assert (
        index["ready"] is True and index["job"]["state"] == "done" and index["job"]["result"]["postings"] > 75
    )
    indexed = [api.ok("datastore_search", resource_id=res["id"], **p) for p in params]
    for before, after, p in zip(scanned, indexed, params, strict=True):
        assert (after["total"], after["records"]) == (before["total"], before["records"]), p


def test_q_through_the_index_pages_in_id_order() -> None:
    from sapan.datastore.models import DatastoreTable
    from sapan.datastore.query import build_query

    table = DatastoreTable(fields=[{"id": "จังหวัด", "type": "text"}])
    params = {"q": "เชียงใหม่", "filters": {"จังหวัด": "เชียงใหม่"}}
    # `_id IN (postings)` is a hash join that does not keep file order: the page must be sorted.
    assert (
        build_query(table, "t.parquet", params, "p.parquet")
        .rows_sql(10)
        .endswith('ORDER BY "_id" LIMIT 10 OFFSET 0')
    )
    assert "ORDER BY" not in build_query(table, "t.parquet", params).rows_sql(10)  # the scan keeps file order
