"""A real-time feed's history survives a round trip: the compacted day files (Parquet in storage), the
observations not compacted yet (rows), the latest values; a day file the compaction retired and has
deleted already is not missed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from sapan.app import create_app
from sapan.backup.create import create_backup
from sapan.backup.restore import restore_backup
from sapan.db import transaction
from sapan.realtime.history import compact
from sapan.realtime.models import Feed
from sapan.services import Services, build_services
from tests.backup.test_round_trip import target_settings
from tests.conftest import Api, gdc_dataset
from tests.realtime.conftest import make_feed

PM = {"entity": "สถานีตรวจวัดบางนา", "variable": "ฝุ่น PM2.5", "unit": "µg/m³"}


def push(api: Api, feed: str, token: str, hours: range, day: str = "2024-05-01") -> None:
    records = [{**PM, "value": 20 + h, "observed_at": f"{day}T{h:02d}:00:00+07:00"} for h in hours]
    response = api.client.post(
        f"/api/realtime/{feed}/push", json={"records": records}, headers={"Authorization": token}
    )
    assert response.status_code == 200, response.text


def readings(client: TestClient, feed: str) -> dict[str, Any]:
    history = client.get(f"/api/realtime/{feed}/history", params={"variable": PM["variable"], "limit": 1000})
    aggregates = client.get(
        f"/api/realtime/{feed}/history", params={"variable": PM["variable"], "aggrMethods": "sum,totalCount"}
    )
    return {
        "latest": client.get(f"/api/realtime/{feed}/latest").json()["result"],
        "history": history.json()["result"],
        "aggregates": aggregates.json()["result"],
    }


def test_feed_history_round_trip(api: Api, services: Services, sysadmin: str, tmp_path: Path) -> None:
    api.ok("organization_create", sysadmin, name="pcd", title="กรมควบคุมมลพิษ")
    api.ok("package_create", sysadmin, **gdc_dataset(name="air", title="คุณภาพอากาศ", owner_org="pcd"))
    feed = make_feed(api, sysadmin, {"id": "air"})["id"]
    storage = services.catalog.storage
    push(api, feed, sysadmin, range(8, 13))
    compact(services, feed, retention_days=100_000)  # the day file of 2024-05-01
    push(api, feed, sysadmin, range(13, 16))
    compact(services, feed, retention_days=100_000)  # rewritten: the first retired, kept one round
    push(api, feed, sysadmin, range(16, 18))  # recent rows, not compacted
    with transaction(services.sessions) as session:
        partitions = session.get(Feed, feed).partitions  # type: ignore[union-attr]
    [retired] = partitions["retired"]
    storage.delete(retired)  # as the next compaction would, while a backup runs
    before = readings(api.client, feed)
    assert before["aggregates"]["aggregates"][0]["totalCount"] == 10

    summary = create_backup(services, str(tmp_path / "backup.tar"))
    assert summary.warnings == []
    [day] = partitions["days"].values()
    target = target_settings(f"sqlite:///{tmp_path / 'target' / 'sapan.db'}", tmp_path / "target")
    restore_backup(target, summary.path)
    again = build_services(target)
    try:
        assert again.catalog.storage.exists(day["key"]) and not again.catalog.storage.exists(retired)
        with TestClient(create_app(services=again)) as client:
            assert readings(client, feed) == before
    finally:
        again.close()
