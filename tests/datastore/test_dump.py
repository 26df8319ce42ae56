"""/datastore/dump/{id}: CSV with a BOM for Excel, TSV, JSON, Parquet; filters; formula injection."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import duckdb
from fastapi.testclient import TestClient

from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset
from tests.datastore.test_ingest import ICU_BEDS, upload

RISKY = 'ชื่อ,สูตร,จำนวน\nสมชาย,=HYPERLINK("http://evil"),5\nสมหญิง,+1+1,-3\nมานะ,@SUM(A1),7\n'.encode()


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
