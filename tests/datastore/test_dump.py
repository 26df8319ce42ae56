"""/datastore/dump/{id}: CSV with a BOM for Excel, TSV, JSON, Parquet, XLSX; filters; formula injection;
tables too long for one sheet."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from sapan.datastore import dump
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset
from tests.datastore.test_ingest import ICU_BEDS, thai_variant, upload

RISKY = 'ชื่อ,สูตร,จำนวน\nสมชาย,=HYPERLINK("http://evil"),5\nสมหญิง,+1+1,-3\nมานะ,@SUM(A1),7\n'.encode()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_xlsx(content: bytes) -> tuple[list[list[Any]], str]:
    """The one sheet's typed cells (as Excel would read them) and its raw XML."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    assert book.sheet_names == ["data"]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    return book.get_sheet_by_name("data").to_python(), xml


def test_dumps_in_every_format(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any], tmp_path: Any
) -> None:
    api.ok("package_create", sysadmin, name="dumps", owner_org="nso", **gdc_dataset())
    rid = upload(client, sysadmin, "dumps", "icu.csv", ICU_BEDS)["id"]
    run_pending(services, handlers())

    response = client.get(f"/datastore/dump/{rid}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # Excel reads Thai only with the BOM
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["_id", "Region", "SubRegion"] and len(rows) == 76

    params = {
        "format": "tsv",
        "filters": json.dumps({"Region": "ภาคเหนือ"}),
        "fields": "Province,Total_N_ICU_BED",
        "sort": "Total_N_ICU_BED desc",
    }
    filtered = client.get(f"/datastore/dump/{rid}", params=params)
    lines = filtered.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Province\tTotal_N_ICU_BED" and len(lines) == 18
    assert lines[1].startswith("เชียงใหม่")

    as_json = client.get(f"/datastore/dump/{rid}", params={"format": "json", "q": "เชียงใหม่"}).json()
    assert as_json["fields"][0] == {"id": "_id", "type": "int"} and len(as_json["records"]) == 1

    parquet = client.get(f"/datastore/dump/{rid}", params={"format": "parquet"})
    path = tmp_path / "t.parquet"
    path.write_bytes(parquet.content)
    assert duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone() == (75,)

    assert client.get(f"/datastore/dump/{rid}", params={"format": "docx"}).status_code == 409
    assert client.get("/datastore/dump/no-such").status_code == 404


def test_formulas_are_neutralised_and_private_tables_hidden(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, name="risky", owner_org="nso", private=True, **gdc_dataset())
    rid = upload(client, sysadmin, "risky", "risky.csv", RISKY)["id"]
    run_pending(services, handlers())
    assert client.get(f"/datastore/dump/{rid}").status_code == 404
    body = client.get(f"/datastore/dump/{rid}", headers={"Authorization": sysadmin}).content.decode(
        "utf-8-sig"
    )
    rows = list(csv.reader(io.StringIO(body)))
    assert [r[2] for r in rows[1:]] == ['\'=HYPERLINK("http://evil")', "'+1+1", "'@SUM(A1)"]
    assert [r[3] for r in rows[1:]] == ["5", "-3", "7"]  # numbers stay numbers

    xlsx = client.get(
        f"/datastore/dump/{rid}", params={"format": "xlsx"}, headers={"Authorization": sysadmin}
    )
    cells, xml = read_xlsx(xlsx.content)
    assert [r[2] for r in cells[1:]] == ['\'=HYPERLINK("http://evil")', "'+1+1", "'@SUM(A1)"]  # as in CSV
    assert [r[3] for r in cells[1:]] == [5, -3, 7] and all(isinstance(r[3], float) for r in cells[1:])
    assert "<f>" not in xml and "<f " not in xml  # no formula element anywhere


def test_xlsx_dump_is_typed_and_filtered(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, name="icu-xlsx", owner_org="nso", **gdc_dataset())
    rid = upload(client, sysadmin, "icu-xlsx", "icu-beds.csv", thai_variant())["id"]  # TIS-620, BE dates
    run_pending(services, handlers())

    params = {"format": "xlsx", "filters": json.dumps({"Region": "ภาคเหนือ"}), "sort": "Total_N_ICU_BED desc"}
    response = client.get(f"/datastore/dump/{rid}", params=params)
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == f'attachment; filename="{rid}.xlsx"'
    cells, xml = read_xlsx(response.content)
    header, rows = cells[0], cells[1:]
    assert header[:4] == ["_id", "Region", "SubRegion", "Province"] and header[-1] == "วันที่รายงาน"
    assert len(rows) == 17 and {r[1] for r in rows} == {"ภาคเหนือ"}
    beds = header.index("Total_N_ICU_BED")
    assert all(isinstance(r[beds], float) for r in rows) and rows[0][beds] == max(r[beds] for r in rows)
    assert rows[0][3].startswith("เชียงใหม่")
    assert all(isinstance(r[-1], date) and r[-1].year == 2010 for r in rows)  # BE 2553 as a real date
    assert 'state="frozen"' in xml and 'ySplit="1"' in xml  # the header stays in view

    whole = read_xlsx(client.get(f"/datastore/dump/{rid}", params={"format": "xlsx"}).content)[0]
    assert len(whole) == 76


def test_xlsx_refuses_tables_longer_than_a_sheet(
    client: TestClient,
    api: Api,
    services: Services,
    sysadmin: str,
    org: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api.ok("package_create", sysadmin, name="long", owner_org="nso", **gdc_dataset())
    rid = upload(client, sysadmin, "long", "icu.csv", ICU_BEDS)["id"]
    run_pending(services, handlers())
    monkeypatch.setattr(dump, "XLSX_MAX_ROWS", 20)  # Excel's 1,048,575, scaled down to this table

    response = client.get(f"/datastore/dump/{rid}", params={"format": "xlsx"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["__type"] == "Validation Error" and "75 rows" in error["format"][0]
    assert "csv" in error["format"][0] and "parquet" in error["format"][0]

    # The limit counts the rows the filters and distinct leave, not the whole table.
    north = client.get(
        f"/datastore/dump/{rid}", params={"format": "xlsx", "filters": json.dumps({"Region": "ภาคเหนือ"})}
    )
    assert north.status_code == 200 and len(read_xlsx(north.content)[0]) == 18
    regions = client.get(
        f"/datastore/dump/{rid}", params={"format": "xlsx", "fields": "Region", "distinct": "true"}
    )
    assert regions.status_code == 200 and len(read_xlsx(regions.content)[0]) < 20
