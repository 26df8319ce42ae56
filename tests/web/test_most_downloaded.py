"""The home page's most-downloaded datasets: in order, counts per locale, never a private dataset to
a visitor."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from sapan.accounts.service import ANONYMOUS, actor_for_token
from sapan.catalog.downloads import most_downloaded
from sapan.catalog.models import Resource
from sapan.db import transaction
from sapan.services import Services
from tests.conftest import Api

TH = {"Accept-Language": "th"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
COUNTS = {"debt-03": 1234, "debt-07": 50, "debt-01": 1, "secret-debt": 99999}


def _downloaded(api: Api, services: Services, sysadmin: str) -> None:
    """A linked resource on each dataset of COUNTS, with that many downloads (counting itself is
    tested through the download routes in tests/api/test_download_counts.py)."""
    for name, count in COUNTS.items():
        res = api.ok(
            "resource_create", sysadmin, package_id=name, name="CSV", url="https://example.org/a.csv"
        )
        with services.engine.begin() as conn:
            conn.execute(update(Resource).where(Resource.id == res["id"]).values(download_count=count))


def test_home_lists_the_most_downloaded_in_order_in_both_languages(
    client: TestClient, api: Api, services: Services, sysadmin: str, catalogue: dict[str, Any]
) -> None:
    _downloaded(api, services, sysadmin)
    thai = client.get("/", headers=TH).text
    assert "ดาวน์โหลดมากที่สุด" in thai and "ดาวน์โหลด 1,234 ครั้ง" in thai and "ดาวน์โหลด 1 ครั้ง" in thai
    english = client.get("/", headers=EN).text
    assert "Most downloaded" in english and "1,234 downloads" in english and "1 download<" in english
    for html in (thai, english):
        start = html.index('<ol class="popular">')
        block = html[start : html.index("</ol>", start)]
        positions = [block.find(f'href="/dataset/{name}"') for name in ("debt-03", "debt-07", "debt-01")]
        assert -1 not in positions and positions == sorted(positions)
        assert "secret-debt" not in html and "99,999" not in html


def test_the_ranking_is_as_the_actor_may_see(
    api: Api, services: Services, sysadmin: str, catalogue: Any
) -> None:
    _downloaded(api, services, sysadmin)
    with transaction(services.sessions) as session:
        public = most_downloaded(session, ANONYMOUS, 6)
        everything = most_downloaded(session, actor_for_token(session, sysadmin), 6)
    assert [d["name"] for d in public] == ["debt-03", "debt-07", "debt-01"]
    assert [d["name"] for d in everything] == ["secret-debt", "debt-03", "debt-07", "debt-01"]
    assert everything[0]["tracking_summary"] == {"total": 99999, "recent": 99999}


def test_home_without_downloads_has_no_ranking(client: TestClient, catalogue: dict[str, Any]) -> None:
    assert "Most downloaded" not in client.get("/", headers=EN).text
