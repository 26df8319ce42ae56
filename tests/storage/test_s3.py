"""Sapan on S3-compatible storage (moto's server on 127.0.0.1): uploads, originals and Parquet tables
in the bucket, streamed both ways; DuckDB reads the tables through the storage's fsspec filesystem;
the SQL sandbox still refuses every other file. A handful of tests written for a local folder run here
again, unchanged, on S3 and on both databases."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sapan.errors import PayloadTooLarge, StorageFull
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from sapan.storage.service import Storage
from tests.api.test_uploads import (  # noqa: F401 - collected again here, on S3
    test_oversized_upload_is_413_and_changes_nothing,
    test_upload_then_download_with_range_and_etag,
)
from tests.conftest import Api, gdc_dataset
from tests.datastore.test_dump import test_dumps_in_every_format  # noqa: F401
from tests.datastore.test_ingest import (  # noqa: F401
    ICU_BEDS,
    test_failed_ingest_keeps_the_last_good_table,
    test_thai_file_becomes_a_typed_table,
    upload,
)
from tests.datastore.test_push import test_create_upsert_delete  # noqa: F401
from tests.datastore.test_sql import (  # noqa: F401
    tables,
    test_group_by_over_a_resource,
    test_other_resources_parquet_files_stay_closed,
    test_sandbox_refuses_escapes,
)
from tests.datastore.test_storage_full import (  # noqa: F401
    test_full_storage_fails_the_ingest_and_keeps_the_published_table,
    test_no_room_for_the_q_index_still_publishes_the_table,
    test_the_portal_says_storage_is_full_and_keeps_nothing,
)
from tests.governance.test_personal_data import (  # noqa: F401
    test_masking_writes_a_new_version_and_keeps_the_original_private,
)
from tests.storage.conftest import S3

MiB = 1024 * 1024


class Chunks(io.RawIOBase):
    """A stream of `total` bytes made as it is read, so nothing whole sits in memory."""

    PATTERN = bytes(range(251)) * (8 * MiB // 251 + 2)  # the byte at offset i is i % 251

    def __init__(self, total: int) -> None:
        self.left, self.position = total, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left, 8 * MiB)
        start = self.position % 251
        buffer[:n] = self.PATTERN[start : start + n]
        self.left -= n
        self.position += n
        return n


WRITER = """
import io, json, resource, sys
from sapan.storage.service import Storage
from tests.storage.test_s3 import Chunks
url, options, total = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
storage = Storage(url, options)
if total:
    storage.write("resources/r1/big.csv", io.BufferedReader(Chunks(total)), max_bytes=2**40)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _writer_peak_kib(url: str, options: dict[str, Any], total: int) -> int:
    """The peak memory of a process that streams `total` bytes into storage (moto runs in this one)."""
    args = [sys.executable, "-c", WRITER, url, json.dumps(options), str(total)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    return int(done.stdout.split()[-1])


def test_files_are_streamed_to_and_from_the_bucket_in_parts(s3: S3, tmp_path: Path) -> None:
    settings = s3.settings("sqlite://", tmp_path)
    options = {**settings.storage_options, "default_block_size": 5 * MiB}
    idle = _writer_peak_kib(settings.resolved_storage_url, options, 0)
    busy = _writer_peak_kib(settings.resolved_storage_url, options, 48 * MiB)
    assert (busy - idle) * 1024 < 24 * MiB  # a part or two in flight, never the 48 MiB file
    storage = Storage(settings.resolved_storage_url, options)
    assert not storage.local and storage.local_path("resources/r1/big.csv") is None
    info = storage.fs.info(f"{storage.root}/resources/r1/big.csv")
    assert info["size"] == 48 * MiB and info["ETag"].strip('"').endswith("-10")  # a 10-part upload
    part = b"".join(storage.read_range("resources/r1/big.csv", 10 * MiB - 3, 10 * MiB + 2))
    assert part == bytes((10 * MiB + i) % 251 for i in range(-3, 3))  # across the second part's end
    whole = hashlib.sha256()
    for chunk in storage.read_range("resources/r1/big.csv"):
        whole.update(chunk)
    expected = hashlib.sha256()
    for chunk in iter(functools.partial(io.BufferedReader(Chunks(48 * MiB)).read, MiB), b""):
        expected.update(chunk)
    assert whole.hexdigest() == expected.hexdigest()
    # Over the upload limit: refused, nothing left in the bucket.
    source = Chunks(7 * MiB)
    with pytest.raises(PayloadTooLarge):
        storage.write("resources/r2/too-big.csv", io.BufferedReader(source), max_bytes=6 * MiB)
    assert not storage.exists("resources/r2/too-big.csv")
    size, digest = storage.write("resources/r2/small.csv", io.BytesIO(b"abc"), max_bytes=6 * MiB)
    assert (size, digest) == (3, hashlib.sha256(b"abc").hexdigest())
    storage.delete("resources/r1/big.csv")
    assert not storage.exists("resources/r1/big.csv") and storage.usage() == 3
    with pytest.raises(ValueError, match="escapes"):
        storage.write("../other-prefix/x", io.BytesIO(b"x"), 10)


def test_quota_counts_what_the_bucket_holds(s3: S3, tmp_path: Path) -> None:
    settings = s3.settings("sqlite://", tmp_path, storage_quota_mb=1)
    storage = Storage(settings.resolved_storage_url, settings.storage_options, settings.storage_quota_bytes)
    storage.write("a.csv", io.BytesIO(b"x" * 700_000), max_bytes=10 * MiB)
    with pytest.raises(StorageFull, match=r"Storage is full: 0\.7 MiB used of 1\.0 MiB quota"):
        storage.write("b.csv", io.BytesIO(b"y" * 400_000), max_bytes=10 * MiB)
    assert not storage.exists("b.csv")
    local = tmp_path / "table.parquet"
    local.write_bytes(b"z" * 400_000)
    with pytest.raises(StorageFull):
        storage.put_file("datastore/t.parquet", local)
    assert not storage.exists("datastore/t.parquet")
    # Another process sees the same usage: it lists the bucket.
    other = Storage(settings.resolved_storage_url, settings.storage_options, settings.storage_quota_bytes)
    assert other.usage() == 700_000
    storage.delete("a.csv")
    storage.write("b.csv", io.BytesIO(b"y" * 400_000), max_bytes=10 * MiB)


def test_tables_live_in_the_bucket_and_duckdb_reads_them_there(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    storage = services.catalog.storage
    api.ok("package_create", sysadmin, name="icu-s3", owner_org="nso", **gdc_dataset())
    res = upload(client, sysadmin, "icu-s3", "icu.csv", ICU_BEDS)
    run_pending(services, handlers())
    keys = [k.removeprefix(storage.root + "/") for k in storage.fs.find(storage.root)]
    assert any(k.startswith(f"datastore/{res['id']}/") and k.endswith(".postings.parquet") for k in keys)
    assert any(k.startswith(f"resources/{res['id']}/") and k.endswith("/icu.csv") for k in keys)
    assert not (services.settings.home / "files").exists()  # nothing went to the local folder
    found = api.ok("datastore_search", resource_id=res["id"], q="เชียงใหม่", fields="Province")
    assert found["records"] == [{"Province": "เชียงใหม่"}] and found["total"] == 1


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * FROM read_parquet('{other}')",
        "SELECT * FROM read_parquet('s3://{bucket}/**/*.parquet')",
        "SELECT * FROM read_csv('s3://{bucket}/{prefix}/resources/{id}/x/icu.csv')",
        "SELECT * FROM glob('s3://{bucket}/*')",
        "SELECT * FROM read_csv('{home}/sapan.db')",
        "SELECT * FROM read_text('/etc/hostname')",
        "COPY (SELECT 1) TO 's3://{bucket}/escape.csv'",
    ],
)
def test_the_sql_sandbox_reads_no_other_object_or_file(
    api: Api,
    services: Services,
    s3: S3,
    tables: dict[str, str],  # noqa: F811 - the fixture imported above
    template: str,
) -> None:
    from sapan.datastore.models import DatastoreTable
    from sapan.db import transaction

    storage = services.catalog.storage
    with transaction(services.sessions) as session:
        key = session.get(DatastoreTable, tables["private"]).parquet_key  # type: ignore[union-attr]
    other = storage.duckdb_path(key)
    assert other.startswith(f"s3://{s3.bucket}/")
    prefix = storage.root.split("/", 1)[1]
    attempt = template.format(
        other=other, bucket=s3.bucket, prefix=prefix, id=tables["public"], home=services.settings.home
    )
    table = f'SELECT count(*) AS n FROM "{tables["public"]}"'
    sql = attempt if attempt.startswith("COPY") else f"{table} UNION ALL {attempt}"
    error = api.error("datastore_search_sql", sql=sql)
    assert error["__type"] == "Validation Error" and error["sql"][0]
    assert api.ok("datastore_search_sql", sql=table)["records"] == [{"n": 75}]  # the table itself reads


def test_the_secret_key_is_never_shown(s3: S3, tmp_path: Path) -> None:
    settings = s3.settings("sqlite://", tmp_path)
    assert "sapan-test-secret" not in repr(settings) and "sapan-test-secret" not in str(settings.model_dump())
    assert settings.storage_options["secret"] == "sapan-test-secret"  # given to s3fs only
