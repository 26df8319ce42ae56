"""Request ids (the caller's when sane, else new) in the response and in every log line of the request
and of the jobs it enqueued; JSON lines that parse; no credentials in any line."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sapan.config import Settings
from sapan.db import transaction
from sapan.jobs.handlers import handlers
from sapan.jobs.models import Job
from sapan.jobs.service import run_pending
from sapan.observability import context
from sapan.observability.logs import JsonFormatter, TextFormatter, known_secrets, redact
from sapan.services import Services
from tests.conftest import FIXTURES, Api, gdc_dataset

ICU_BEDS = (FIXTURES / "datastore" / "n_icu_bed_2553.csv").read_bytes()


def test_a_sane_request_id_is_echoed_and_others_are_replaced(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "lb-7f3a:01"}).headers["x-request-id"] == "lb-7f3a:01"
    )
    for bad in ("two words", "x" * 129, "<script>", "ไทย"):
        given = client.get("/healthz", headers={"X-Request-ID": bad.encode()})  # Thai as raw UTF-8 bytes
        assert re.fullmatch(r"[0-9a-f]{32}", given.headers["x-request-id"])
    first, second = (client.get("/healthz").headers["x-request-id"] for _ in range(2))
    assert first != second


@pytest.fixture()
def json_lines() -> Iterator[io.StringIO]:
    """Sapan's log lines at info level, formatted as JSON, as `sapan serve` would write them."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("sapan")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield out
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def parsed(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_request_id_follows_the_upload_into_its_ingest_job(
    client: TestClient,
    api: Api,
    services: Services,
    sysadmin: str,
    org: dict[str, Any],
    json_lines: io.StringIO,
) -> None:
    api.ok("package_create", sysadmin, name="icu", owner_org="nso", **gdc_dataset())
    response = client.post(
        "/api/3/action/resource_create",
        data={"package_id": "icu", "name": "ตาราง"},
        files={"upload": ("icu-beds.csv", ICU_BEDS, "text/csv")},
        headers={"Authorization": sysadmin, "X-Request-ID": "upload-42"},
    )
    assert response.headers["x-request-id"] == "upload-42"
    with transaction(services.sessions) as session:
        job = session.query(Job).filter_by(kind="ingest").one()
        assert job.payload["request_id"] == "upload-42"
    run_pending(services, handlers())  # as the worker would, later and elsewhere
    lines = parsed(json_lines)
    access = [e for e in lines if e["logger"] == "sapan.access" and e.get("request_id") == "upload-42"]
    assert len(access) == 1
    assert access[0]["route"] == "/api/3/action/resource_create" and access[0]["status"] == 200
    assert access[0]["method"] == "POST" and access[0]["duration_ms"] > 0
    jobs = [e for e in lines if e["logger"] == "sapan.jobs" and e.get("job_kind") == "ingest"]
    assert [e["message"] for e in jobs] == ["job ingest started", "job ingest done"]
    assert {e["request_id"] for e in jobs} == {"upload-42"}
    assert jobs[1]["outcome"] == "done" and jobs[1]["duration_ms"] > 0
    assert sysadmin not in json_lines.getvalue()  # the caller's token is in no line
    assert context.current() == ""  # nothing left bound in this thread


def test_json_lines_parse_with_thai_text_and_tracebacks() -> None:
    record = logging.LogRecord("sapan.test", logging.ERROR, __file__, 1, "นำเข้า %s ล้มเหลว", ("ตาราง",), None)
    record.route, record.status, record.duration_ms = "/dataset/{name}", 500, 12.5
    try:
        raise ValueError("แถวที่ 3")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    token = context.bind("req-1")
    try:
        entry = json.loads(JsonFormatter().format(record))
    finally:
        context.unbind(token)
    assert entry["message"] == "นำเข้า ตาราง ล้มเหลว" and entry["level"] == "error"
    assert entry["logger"] == "sapan.test" and entry["request_id"] == "req-1"
    assert (entry["route"], entry["status"], entry["duration_ms"]) == ("/dataset/{name}", 500, 12.5)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["timestamp"])
    assert "ValueError: แถวที่ 3" in entry["exception"]
    plain = logging.LogRecord("sapan.test", logging.INFO, __file__, 1, "no request", (), None)
    assert json.loads(JsonFormatter().format(plain))["request_id"] is None


@pytest.mark.parametrize(
    "line",
    [
        "connect postgresql+psycopg://sapan:{secret}@db.internal/sapan failed",
        "redis://:{secret}@127.0.0.1:6379/0 refused",
        "headers: Authorization: Bearer {secret}",
        "calling with api_key={secret}&q=x",
        "login password={secret}",
        '{{"password": "{secret}", "name": "somsri"}}',
        "X-CKAN-API-Key: {secret}",
    ],
)
def test_credentials_are_redacted(line: str) -> None:
    secret = "tok3n-Value-123456"
    cleaned = redact(line.format(secret=secret))
    assert secret not in cleaned and "[redacted]" in cleaned


def test_configured_secrets_are_redacted_wherever_they_appear() -> None:
    settings = Settings(
        secret_key="site-secret-key-0123456789abcdef",
        metrics_token="scrape-token-98765",
        database_url="postgresql+psycopg://sapan:db-pass-word-1@db/sapan",
    )
    secrets = known_secrets(settings)
    assert set(secrets) == {"site-secret-key-0123456789abcdef", "scrape-token-98765", "db-pass-word-1"}
    message = "key site-secret-key-0123456789abcdef token scrape-token-98765 pw db-pass-word-1"
    record = logging.LogRecord("sapan", logging.WARNING, __file__, 1, message, (), None)
    for formatter in (JsonFormatter(secrets), TextFormatter(secrets)):
        line = formatter.format(record)
        assert not any(s in line for s in secrets), line


def test_text_lines_carry_the_request_id() -> None:
    record = logging.LogRecord("sapan.jobs", logging.INFO, __file__, 1, "job ingest started", (), None)
    token = context.bind("abc123")
    try:
        line = TextFormatter().format(record)
    finally:
        context.unbind(token)
    assert line.endswith("INFO    sapan.jobs [abc123] job ingest started")
