"""The demo catalogue loads through the real services, once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sapan.demo.loader import demo_catalog, load_demo
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api


def test_demo_loads_once_with_thai_and_singapore_datasets(
    services: Services, api: Api, client: TestClient
) -> None:
    seen: list[int] = []
    added = load_demo(services, lambda done, total: seen.append(done))
    catalog = demo_catalog()
    assert added["datasets"] == len(catalog["datasets"]) == seen[-1]
    assert added["uploads"] >= 3
    assert load_demo(services)["datasets"] == 0  # idempotent
    found = api.ok("package_search", q="ครัวเรือน", rows=100)
    assert found["count"] >= 1
    assert api.ok("package_search", fq="license_id:sg-odl")["count"] >= 20
    unnamed = next(d for d in catalog["datasets"] if "name" not in d)
    hit = api.ok("package_search", q=unnamed["title"].split()[0], rows=1000)["results"]
    assert any(d["title"] == unnamed["title"] and d["name"].isascii() for d in hit)
    upload = next(
        r
        for d in api.ok("current_package_list_with_resources", limit=1000)
        for r in d["resources"]
        if r["url_type"] == "upload"
    )
    run_pending(services, handlers())  # tables made and scanned: the files are public
    body = client.get(upload["url"].removeprefix(services.settings.site_url))
    assert body.status_code == 200 and len(body.content) == upload["size"]
