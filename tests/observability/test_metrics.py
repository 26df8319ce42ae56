"""/metrics after real work: requests by route template, searches, an ingest job (rows and seconds),
harvest runs and the job queue read from the database; the optional bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sapan.app import create_app
from sapan.db import transaction, utcnow
from sapan.jobs.handlers import handlers
from sapan.jobs.service import enqueue, run_pending
from sapan.observability.metrics import sample
from sapan.services import Services
from tests.conftest import FIXTURES, Api, gdc_dataset
from tests.harvest.remote import FIXTURES as HARVEST_FIXTURES
from tests.harvest.remote import Remote

ICU_BEDS = (FIXTURES / "datastore" / "n_icu_bed_2553.csv").read_bytes()  # 75 rows, 17 columns
HTTP = "sapan_http_request_duration_seconds_count"


class Scrape:
    """One /metrics answer; `delta` compares a sample with an earlier scrape (the process's counters are
    shared by every test)."""

    def __init__(self, client: TestClient) -> None:
        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        self.text = response.text

    def value(self, name: str, **labels: str) -> float:
        return sample(self.text, name, labels) or 0.0

    def delta(self, before: Scrape, name: str, **labels: str) -> float:
        return self.value(name, **labels) - before.value(name, **labels)


def test_requests_searches_and_an_ingest_job_are_counted(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    backend = services.engine.dialect.name
    before = Scrape(client)
    api.ok("package_create", sysadmin, name="icu", owner_org="nso", **gdc_dataset())
    assert api.ok("package_search", q="หนี้สิน")["count"] == 1
    client.get("/dataset", params={"q": "ครัวเรือน"})
    response = client.post(
        "/api/3/action/resource_create",
        data={"package_id": "icu", "name": "ตาราง"},
        files={"upload": ("icu-beds.csv", ICU_BEDS, "text/csv")},
        headers={"Authorization": sysadmin},
    )
    assert response.status_code == 200
    assert run_pending(services, handlers()) >= 1
    after = Scrape(client)
    search_route = {"route": "/api/3/action/package_search", "method": "POST", "status": "2xx"}
    assert after.delta(before, HTTP, **search_route) == 1
    assert after.delta(before, HTTP, route="/api/3/action/package_create", status="2xx") == 1
    assert after.delta(before, HTTP, route="/dataset", method="GET", status="2xx") == 1
    assert after.delta(before, "sapan_search_duration_seconds_count", backend=backend) == 2
    assert after.delta(before, "sapan_search_duration_seconds_sum", backend=backend) > 0
    assert after.delta(before, "sapan_ingest_rows_total", format="csv") == 75
    assert after.delta(before, "sapan_ingest_seconds_total", format="csv") > 0
    assert after.delta(before, "sapan_job_duration_seconds_count", kind="ingest", outcome="done") == 1
    assert after.value("sapan_job_queue_up") == 1


def test_route_labels_are_templates_not_urls(client: TestClient) -> None:
    before = Scrape(client)
    for path in ("/dataset/one", "/dataset/สอง", "/api/3/action/no_such_action", "/no/such/page"):
        client.get(path)
    assert client.get("/static/portal.css").status_code == 200
    after = Scrape(client)
    assert after.delta(before, HTTP, route="/static/{path}", status="2xx") == 1
    assert after.delta(before, HTTP, route="/dataset/{name}", method="GET") == 2
    assert after.delta(before, HTTP, route="/api/3/action/{name}", status="4xx") == 1
    assert after.delta(before, HTTP, route="<unmatched>", status="4xx") == 1
    assert "/dataset/one" not in after.text and "สอง" not in after.text
    assert "no_such_action" not in after.text and "/no/such/page" not in after.text


def test_job_queue_depth_and_age_come_from_the_database(client: TestClient, services: Services) -> None:
    with transaction(services.sessions) as session:
        enqueue(session, "obs-test", {}).created = utcnow() - timedelta(minutes=10)
        enqueue(session, "obs-test", {})
        enqueue(session, "obs-other", {}).state = "running"
    scrape = Scrape(client)
    assert scrape.value("sapan_job_queue_depth", kind="obs-test", state="queued") == 2
    assert scrape.value("sapan_job_queue_depth", kind="obs-other", state="running") == 1
    assert 590 < scrape.value("sapan_job_queue_oldest_seconds") < 700
    run_pending(services, {})  # no handler for these kinds: both fail, the queue is empty
    scrape = Scrape(client)
    assert sample(scrape.text, "sapan_job_queue_depth", {"kind": "obs-test"}) is None
    assert scrape.value("sapan_job_queue_oldest_seconds") == 0


@pytest.fixture()
def remote() -> Iterator[Remote]:
    server = Remote()
    body = (HARVEST_FIXTURES / "example-bee-population.ttl").read_bytes()
    server.routes["/catalog.ttl"] = lambda query: (200, body, "text/turtle")
    yield server
    server.close()


def test_harvest_runs_and_their_datasets_are_counted(
    client: TestClient, api: Api, services: Services, sysadmin: str, remote: Remote
) -> None:
    before = Scrape(client)
    good = api.ok(
        "harvest_source_create", sysadmin, name="semic", url=f"{remote.url}/catalog.ttl", source_type="dcat"
    )
    api.ok("harvest_job_create", sysadmin, source_id=good["id"])
    bad = api.ok(
        "harvest_source_create", sysadmin, name="gone", url=f"{remote.url}/gone.ttl", source_type="dcat"
    )
    api.ok("harvest_job_create", sysadmin, source_id=bad["id"])
    run_pending(services, handlers())
    after = Scrape(client)
    assert after.delta(before, "sapan_harvest_datasets_total", source_type="dcat", action="created") == 1
    assert after.delta(before, "sapan_harvest_runs_total", source_type="dcat", outcome="finished") == 1
    assert after.delta(before, "sapan_harvest_runs_total", source_type="dcat", outcome="failed") == 1
    assert after.delta(before, "sapan_job_duration_seconds_count", kind="harvest", outcome="failed") == 1


def test_a_metrics_token_guards_metrics(services: Services) -> None:
    token = "metrics-token-0123456789"
    guarded = replace(services, settings=services.settings.model_copy(update={"metrics_token": token}))
    with TestClient(create_app(services=guarded)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": token}).status_code == 401  # Bearer needed
        shown = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert shown.status_code == 200 and "sapan_http_request_duration_seconds" in shown.text
        assert client.get("/healthz").status_code == 200  # the probes stay open
