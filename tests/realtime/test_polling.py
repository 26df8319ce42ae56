"""Polled feeds against a real upstream on 127.0.0.1 replaying data.gov.sg's answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from sapan.db import transaction
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.realtime.history import compact
from sapan.realtime.models import Feed, Observation
from sapan.services import Services
from tests.conftest import Api
from tests.realtime.conftest import make_feed, poll_now
from tests.realtime.upstream import Upstream


def _latest(api: Api, feed_id: str, **params: Any) -> list[dict[str, Any]]:
    response = api.client.get(f"/api/realtime/{feed_id}/latest", params=params)
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json()["result"]["records"]
    return records


def _history(api: Api, feed_id: str, **params: Any) -> dict[str, Any]:
    response = api.client.get(f"/api/realtime/{feed_id}/history", params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def test_polling_grows_history_and_updates_latest(
    api: Api, services: Services, sysadmin: str, dataset: dict[str, Any], upstream: Upstream
) -> None:
    feed = make_feed(
        api, sysadmin, dataset, realtime_source_url=upstream.url, realtime_mapping="datagovsg_stations",
        realtime_poll_seconds=30,
    )  # fmt: skip
    assert feed["resource_type"] == "realtime" and feed["url"].endswith(f"/api/realtime/{feed['id']}/latest")
    assert feed["realtime_stale"] is False and feed["realtime_last_observation"] is None
    poll_now(services)
    first = _latest(api, feed["id"])
    assert len(first) == 17 and {r["unit"] for r in first} == {"deg C"}
    s109 = next(r for r in first if r["entity"] == "S109")
    assert s109 == {
        "id": s109["id"], "entity": "S109", "variable": "DBT 1M F", "value": 26.3, "unit": "deg C",
        "observed_at": "2019-12-31T16:00:00Z", "location": {"lat": 1.3764, "lon": 103.8492},
    }  # fmt: skip

    upstream.tick = 1
    poll_now(services)
    assert len(_history(api, feed["id"])["records"]) == 34
    newer = {r["entity"]: r for r in _latest(api, feed["id"])}
    assert newer["S109"]["value"] == 26.4 and newer["S109"]["observed_at"] == "2019-12-31T16:01:00Z"
    as_of = _latest(api, feed["id"], date_time="2019-12-31T16:00:30Z")
    assert {r["observed_at"] for r in as_of} == {"2019-12-31T16:00:00Z"}

    # the same answer again (data.gov.sg repeats until its next reading): stored once
    poll_now(services)
    assert len(_history(api, feed["id"])["records"]) == 34

    # the scheduler has compacted the history into Parquet: it reads the same, and re-deliveries of
    # compacted observations are still stored once
    with transaction(services.sessions) as session:
        row = session.get(Feed, feed["id"])
        assert row is not None and list(row.partitions["days"]) == ["2019-12-31"]
        assert row.partitions["days"]["2019-12-31"]["rows"] == 34
        assert session.scalar(select(func.count()).select_from(Observation)) == 0
    assert compact(services, feed["id"], retention_days=100_000)["rows"] == 0
    poll_now(services)
    upstream.tick = 2
    poll_now(services)
    history = _history(api, feed["id"], date="2019-12-31")
    assert len(history["records"]) == 51
    ids = [r["id"] for r in history["records"]]
    assert len(set(ids)) == 51
    shown = api.ok("resource_show", id=feed["id"])
    assert shown["realtime_last_observation"] == "2019-12-31T16:02:00"
    assert shown["realtime_stale"] is False and shown["realtime_error"] is None
    assert shown["realtime_poll_seconds"] == 30 and shown["realtime_mapping"] == "datagovsg_stations"
    # aggregation per period, NGSI-LD's parameter names
    hourly = _history(
        api, feed["id"], timerel="between", timeAt="2019-12-31T15:00:00Z", endTimeAt="2019-12-31T17:00:00Z",
        aggrMethods="avg,max,totalCount", aggrPeriodDuration="PT1H", entity="S109",
    )  # fmt: skip
    assert hourly["aggregates"] == [
        {"entity": "S109", "variable": "DBT 1M F", "period_start": "2019-12-31T16:00:00Z",
         "period_end": "2019-12-31T17:00:00Z", "avg": pytest.approx(26.4), "max": 26.5, "totalCount": 3},
    ]  # fmt: skip
    last = _history(api, feed["id"], lastN=1, entity="S109,S117")
    assert [r["observed_at"] for r in last["records"]] == ["2019-12-31T16:02:00Z"] * 2


def test_built_in_mappings_of_the_other_shapes(
    api: Api, services: Services, sysadmin: str, dataset: dict[str, Any], upstream: Upstream
) -> None:
    for file, mapping, count in [
        ("environment_pm25.json", "datagovsg_regions", 5),
        ("transport_carparkavailability.json", "datagovsg_carparks", 4),
        ("transport_taxiavailability.json", "datagovsg_taxis", 1),
    ]:
        upstream.file = file
        feed = make_feed(api, sysadmin, dataset, realtime_source_url=upstream.url, realtime_mapping=mapping)
        poll_now(services)
        assert len(_latest(api, feed["id"])) == count, file
    carpark = _latest(api, feed["id"].replace(feed["id"], feed["id"]))  # the taxi feed
    assert carpark[0]["variable"] == "taxi_count" and carpark[0]["value"] == 5093


def test_generic_mapping(
    api: Api, services: Services, sysadmin: str, dataset: dict[str, Any], upstream: Upstream
) -> None:
    mapping = {
        "records": "$.items[*].readings[*]", "entity": "@.station_id", "variable": "อุณหภูมิอากาศ",
        "value": "@.value", "observed_at": "^.timestamp", "unit": "$.metadata.reading_unit",
    }  # fmt: skip
    feed = make_feed(api, sysadmin, dataset, realtime_source_url=upstream.url, realtime_mapping=mapping)
    poll_now(services)
    latest = _latest(api, feed["id"], variable="อุณหภูมิอากาศ")
    assert len(latest) == 17 and latest[0]["unit"] == "deg C"
    bad = api.error(
        "resource_create", sysadmin, package_id=dataset["id"], name="x", resource_type="realtime",
        realtime_source_url=upstream.url, realtime_mapping={"records": "items", "entity": "@.id"},
    )  # fmt: skip
    assert bad.get("realtime_mapping") == ["A generic mapping needs `entity` and `observed_at`"], bad
    bad = api.error(
        "resource_create", sysadmin, package_id=dataset["id"], name="x", resource_type="realtime",
        realtime_source_url="ftp://x", realtime_mapping="nope", realtime_poll_seconds=5,
    )  # fmt: skip
    assert set(bad) == {"__type", "realtime_source_url", "realtime_mapping", "realtime_poll_seconds"}


def test_upstream_down_or_malformed_marks_the_feed_stale(
    api: Api, services: Services, sysadmin: str, dataset: dict[str, Any], upstream: Upstream
) -> None:
    feed = make_feed(
        api, sysadmin, dataset, realtime_source_url=upstream.url, realtime_mapping="datagovsg_stations"
    )
    poll_now(services)
    for mode, message in [
        ("down", "Upstream answered HTTP 503 Service Unavailable"),
        ("malformed", "Upstream sent malformed JSON"),
        ("wrong", "Upstream sent malformed data: $.items[0].timestamp: not a time: 'soon'"),
    ]:
        upstream.mode = mode
        assert poll_now(services) >= 1  # the worker ran the poll and lives on
        shown = api.ok("resource_show", id=feed["id"])
        assert shown["realtime_stale"] is True and shown["realtime_error"].startswith(message), shown
        assert len(_latest(api, feed["id"])) == 17  # the last good values keep serving
    with transaction(services.sessions) as session:
        row = session.get(Feed, feed["id"])
        assert row is not None and row.failures == 3
        assert row.next_poll_at is not None and row.last_polled_at is not None
        assert (row.next_poll_at - row.last_polled_at).total_seconds() == 4 * 60  # backed off: 60 s x 2^2
    upstream.close()  # nobody listens any more
    poll_now(services)
    assert api.ok("resource_show", id=feed["id"])["realtime_error"].startswith("Could not reach upstream")
    assert api.ok("site_read") is True


def test_a_poll_never_runs_twice_at_once(
    api: Api, services: Services, sysadmin: str, dataset: dict[str, Any], upstream: Upstream
) -> None:
    from sapan.realtime.polling import poll

    feed = make_feed(
        api, sysadmin, dataset, realtime_source_url=upstream.url, realtime_mapping="datagovsg_stations"
    )
    with transaction(services.sessions) as session:
        row = session.get(Feed, feed["id"])
        assert row is not None
        from sapan.db import utcnow

        row.polling_since = utcnow()  # another worker is polling it
    assert poll(services, feed["id"]) == {"skipped": "a poll of this feed is running"}
    assert upstream.requests == 0
    assert run_pending(services, handlers()) == 0
    with transaction(services.sessions) as session:  # that worker was killed ten minutes ago
        row = session.get(Feed, feed["id"])
        assert row is not None
        row.polling_since = utcnow() - timedelta(minutes=10)
    assert "skipped" not in poll(services, feed["id"])
    assert upstream.requests == 1


def test_a_deleted_feed_is_not_polled(
    api: Api, services: Services, sysadmin: str, dataset: dict[str, Any], upstream: Upstream
) -> None:
    feed = make_feed(
        api, sysadmin, dataset, realtime_source_url=upstream.url, realtime_mapping="datagovsg_stations"
    )
    api.ok("resource_delete", sysadmin, id=feed["id"])
    poll_now(services)
    assert upstream.requests == 0
    assert api.client.get(f"/api/realtime/{feed['id']}/latest").status_code == 404
