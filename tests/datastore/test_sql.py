"""datastore_search_sql: CKAN's SQL over resource ids, in a sandbox that refuses everything else."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset, make_user
from tests.datastore.test_ingest import ICU_BEDS, upload


@pytest.fixture()
def tables(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> dict[str, str]:
    api.ok("package_create", sysadmin, name="open-beds", owner_org="nso", **gdc_dataset())
    api.ok("package_create", sysadmin, name="closed-beds", owner_org="nso", private=True, **gdc_dataset())
    public = upload(client, sysadmin, "open-beds", "icu.csv", ICU_BEDS)["id"]
    private = upload(client, sysadmin, "closed-beds", "icu.csv", ICU_BEDS)["id"]
    run_pending(services, handlers())
    return {"public": public, "private": private}


def test_group_by_over_a_resource(api: Api, tables: dict[str, str]) -> None:
    result = api.ok(
        "datastore_search_sql",
        sql=f'SELECT "Region", sum("Total_N_ICU_BED") AS beds FROM "{tables["public"]}" '
        'GROUP BY "Region" ORDER BY beds DESC',
    )
    import csv
    import io
    from collections import Counter

    expected: Counter[str] = Counter()  # the same sums, computed straight from the file
    for row in csv.DictReader(io.StringIO(ICU_BEDS.decode())):
        expected[row["Region"]] += int(row["Total_N_ICU_BED"])
    assert [(r["Region"], r["beds"]) for r in result["records"]] == expected.most_common()
    assert [f["id"] for f in result["fields"]] == ["Region", "beds"]
    assert result["fields"][1]["type"] in ("int", "numeric")
    assert result["records_truncated"] is False


def test_private_tables_only_for_members(
    api: Api, services: Services, tables: dict[str, str], sysadmin: str
) -> None:
    sql = f'SELECT count(*) AS n FROM "{tables["private"]}"'
    error = api.error("datastore_search_sql", sql=sql)
    assert "not a DataStore resource you can read" in error["sql"][0]
    assert api.ok("datastore_search_sql", sysadmin, sql=sql)["records"] == [{"n": 75}]
    _, outsider = make_user(services, "outsider-sql")
    assert "sql" in api.error("datastore_search_sql", outsider, sql=sql)


ESCAPES = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM glob('/*')",
    "COPY (SELECT 1) TO '/tmp/sapan-escape.csv'",
    "ATTACH '/tmp/sapan-escape.db' AS x",
    "INSTALL httpfs",
    "LOAD httpfs",
    "PRAGMA version",
    "SET enable_external_access = true",
    "CREATE TABLE x AS SELECT 1",
    "SELECT 1; SELECT 2",
    "SELECT * FROM no_such_table",
    "SELEC broken",
]


@pytest.mark.parametrize("sql", ESCAPES)
def test_sandbox_refuses_escapes(api: Api, tables: dict[str, str], sql: str) -> None:
    error = api.error("datastore_search_sql", sql=sql)
    assert error["__type"] == "Validation Error" and error["sql"][0]


def test_other_resources_parquet_files_stay_closed(
    api: Api, services: Services, tables: dict[str, str]
) -> None:
    from sapan.datastore.models import DatastoreTable
    from sapan.db import transaction

    with transaction(services.sessions) as session:
        key = session.get(DatastoreTable, tables["private"]).parquet_key  # type: ignore[union-attr]
    path = services.catalog.storage.duckdb_path(key)  # a local path, or s3:// on object storage
    sql = f"SELECT count(*) FROM \"{tables['public']}\" UNION ALL SELECT count(*) FROM read_parquet('{path}')"
    assert "Permission" in api.error("datastore_search_sql", sql=sql)["sql"][0]


def test_slow_queries_stop_at_the_limit(api: Api, services: Services, tables: dict[str, str]) -> None:
    services.settings.datastore_sql_timeout = 1.0
    try:
        started = time.perf_counter()
        error = api.error(
            "datastore_search_sql", sql="SELECT count(*) FROM range(1000000000) a, range(100000) b"
        )
        assert time.perf_counter() - started < 3
        assert "longer than the limit" in error["sql"][0]
    finally:
        services.settings.datastore_sql_timeout = 5.0
    services.settings.datastore_sql_max_rows = 10
    try:
        capped = api.ok("datastore_search_sql", sql=f'SELECT * FROM "{tables["public"]}"')
        assert len(capped["records"]) == 10 and capped["records_truncated"] is True
    finally:
        services.settings.datastore_sql_max_rows = 32000
