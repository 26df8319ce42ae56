"""A real-time feed's resource page: the latest values per station in a table that reads without
JavaScript, how long ago the last observation came, a stale flag with the upstream's error, and (in
Chromium) a live chart and station map that the feed's event stream keeps up to date."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from sapan.db import transaction, utcnow
from sapan.realtime.models import Feed
from sapan.services import Services
from tests.conftest import Api, gdc_dataset
from tests.web.conftest import HOSTILE
from tests.web.html import assert_no_injected_markup, parse
from tests.web.test_browser import SQLITE_ONLY, _page, browser, live  # noqa: F401  (fixtures)

TH = {"Accept-Language": "th"}
EN = {"Accept-Language": "en"}


def _iso(seconds_ago: float) -> str:
    return (utcnow() - timedelta(seconds=seconds_ago)).isoformat(timespec="seconds") + "Z"


@pytest.fixture()
def feed(api: Api, sysadmin: str, client: TestClient, org: dict[str, Any]) -> dict[str, Any]:
    ds = api.ok(
        "package_create", sysadmin, **gdc_dataset(name="air-quality", title="คุณภาพอากาศ", owner_org=org["id"])
    )
    res: dict[str, Any] = api.ok(
        "resource_create", sysadmin, package_id=ds["id"], name="ฝุ่น PM2.5 รายสถานี", resource_type="realtime"
    )
    records = [
        {"entity": "สถานีบางนา", "variable": "pm25", "value": 41.5, "unit": "µg/m³", "observed_at": _iso(40),
         "lat": 13.67, "lon": 100.6},
        {"entity": "สถานีบางนา", "variable": "pm10", "value": 60, "unit": "µg/m³", "observed_at": _iso(40),
         "lat": 13.67, "lon": 100.6},
        {"entity": HOSTILE, "variable": "pm25", "value": 12, "unit": "µg/m³", "observed_at": _iso(45),
         "lat": 18.79, "lon": 98.98},
    ]  # fmt: skip
    answer = client.post(
        f"/api/realtime/{res['id']}/push", json={"records": records}, headers={"Authorization": sysadmin}
    )
    assert answer.json()["result"]["stored"] == 3
    return res


def test_a_feed_page_shows_the_latest_values_and_their_freshness(
    client: TestClient, feed: dict[str, Any]
) -> None:
    path = f"/dataset/air-quality/resource/{feed['id']}"
    page = parse(client.get(path, headers=TH).text)
    assert "ข้อมูลเรียลไทม์" in page.text and "ค่าล่าสุด (2 สถานี)" in page.text
    assert re.search(r"ปรับปรุงเมื่อ 4\d วินาทีที่ผ่านมา", page.text), page.text
    [stale] = page.find("span", id="feed-stale")
    assert "hidden" in stale.attrs  # a pushed feed that just received data is fresh
    rows = {e.attrs["data-entity"]: e.text for e in page.find("tr") if "data-entity" in e.attrs}
    assert set(rows) == {"สถานีบางนา", HOSTILE}
    assert "41.5 µg/m³" in rows["สถานีบางนา"] and "60 µg/m³" in rows["สถานีบางนา"]
    assert_no_injected_markup(page)  # the hostile station name is text
    config = page.json_script("application/json")
    assert config["resource_id"] == feed["id"] and config["variables"] == ["pm10", "pm25"]
    assert {s["entity"] for s in config["stations"]} == {"สถานีบางนา", HOSTILE}
    english = parse(client.get(path, headers=EN).text)
    assert "Live data" in english.text and re.search(r"Updated 4\d seconds ago", english.text)


def test_a_stale_feed_says_so_with_its_error(
    client: TestClient, services: Services, feed: dict[str, Any]
) -> None:
    with transaction(services.sessions) as session:
        session.execute(
            update(Feed)
            .where(Feed.resource_id == feed["id"])
            .values(stale=True, error="Upstream answered HTTP 500")
        )
    page = parse(client.get(f"/dataset/air-quality/resource/{feed['id']}", headers=EN).text)
    [stale] = page.find("span", id="feed-stale")
    assert "hidden" not in stale.attrs
    assert "Stale: no new data is arriving. Upstream answered HTTP 500" in " ".join(stale.text.split())


def test_search_results_show_a_feeds_freshness(
    client: TestClient, services: Services, feed: dict[str, Any]
) -> None:
    page = parse(client.get("/dataset", params={"q": "คุณภาพอากาศ"}, headers=TH).text)
    [badge] = [e for e in page.find("span") if "live" in e.attrs.get("class", "")]
    assert "ข้อมูลเรียลไทม์" in badge.text and "วินาทีที่ผ่านมา" in badge.text
    with transaction(services.sessions) as session:
        session.execute(update(Feed).where(Feed.resource_id == feed["id"]).values(stale=True))
    page = parse(client.get("/dataset", params={"q": "คุณภาพอากาศ"}, headers=EN).text)
    [badge] = [e for e in page.find("span") if "live" in e.attrs.get("class", "")]
    assert badge.attrs["class"] == "live stale" and "Live feed, stale" in badge.text


def test_a_private_datasets_feed_page_is_not_found(
    api: Api, sysadmin: str, client: TestClient, feed: dict[str, Any]
) -> None:
    api.ok("package_patch", sysadmin, id="air-quality", private=True)
    assert client.get(f"/dataset/air-quality/resource/{feed['id']}").status_code == 404


@SQLITE_ONLY
def test_the_page_follows_the_stream(
    browser: Any,  # noqa: F811
    live: str,  # noqa: F811
    client: TestClient,
    sysadmin: str,
    feed: dict[str, Any],
) -> None:
    from playwright.sync_api import expect

    page, problems = _page(browser, "th-TH")
    page.goto(f"{live}/dataset/air-quality/resource/{feed['id']}")
    page.wait_for_selector("#feed-chart[data-rendered=true] svg")
    page.wait_for_selector("#feed-map[data-rendered=true]")
    assert page.locator("#feed-map path.leaflet-interactive").count() == 2
    page.wait_for_timeout(500)  # the event stream is open
    pushed = {"entity": "สถานีบางนา", "variable": "pm10", "value": 75, "unit": "µg/m³", "observed_at": _iso(1)}
    client.post(
        f"/api/realtime/{feed['id']}/push", json={"records": [pushed]}, headers={"Authorization": sysadmin}
    )
    cell = page.locator('#feed-latest tr[data-entity="สถานีบางนา"] td[data-variable="pm10"]')
    expect(cell).to_have_text("75 µg/m³", timeout=10_000)
    expect(page.locator("#feed-updated")).to_contain_text("วินาที")
    assert page.get_attribute("#feed-chart", "data-live") == "1"
    assert not problems, problems
