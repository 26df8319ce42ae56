"""Pushed feeds: the push endpoint, NGSI-LD notifications, access rules, datastore_search."""

from __future__ import annotations

from typing import Any

from sapan.services import Services
from tests.conftest import Api, make_user
from tests.realtime.conftest import make_feed

THAI = {"entity": "สถานีตรวจวัดบางนา", "variable": "ฝุ่น PM2.5", "unit": "µg/m³"}


def _push(api: Api, feed_id: str, token: str | None, records: list[dict[str, Any]], status: int = 200) -> Any:
    headers = {"Authorization": token} if token else {}
    response = api.client.post(f"/api/realtime/{feed_id}/push", json={"records": records}, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def test_push_stores_each_observation_once_in_thai(
    api: Api, services: Services, sysadmin: str, dataset: dict[str, Any]
) -> None:
    feed = make_feed(api, sysadmin, dataset)
    assert feed["realtime_kind"] == "pushed"
    records = [{**THAI, "value": 30 + i, "observed_at": f"2024-05-01T0{i}:00:00+07:00"} for i in range(5)]
    body = _push(api, feed["id"], sysadmin, records)
    assert body["success"] is True
    assert body["result"] == {"received": 5, "stored": 5, "duplicates": 0, "last_event_id": 5}
    again = _push(api, feed["id"], sysadmin, records[3:] + records[3:])  # re-delivered, twice
    assert again["result"] == {"received": 4, "stored": 0, "duplicates": 4, "last_event_id": 5}
    latest = api.client.get(f"/api/realtime/{feed['id']}/latest").json()["result"]["records"]
    assert latest == [
        {"id": 5, **THAI, "value": 34.0, "observed_at": "2024-04-30T21:00:00Z"},
    ]
    history = api.client.get(
        f"/api/realtime/{feed['id']}/history",
        params={"variable": "ฝุ่น PM2.5", "aggrMethods": "sum,totalCount"},
    ).json()["result"]
    assert history["aggregates"][0]["sum"] == 160 and history["aggregates"][0]["totalCount"] == 5
    found = api.ok("datastore_search", resource_id=feed["id"], filters={"entity": "สถานีตรวจวัดบางนา"}, limit=2)
    assert found["total"] == 5 and [r["_id"] for r in found["records"]] == [5, 4]
    assert found["records"][0]["variable"] == "ฝุ่น PM2.5"
    text = _push(
        api,
        feed["id"],
        sysadmin,
        [{**THAI, "variable": "สถานะ", "value": "ปกติ", "observed_at": "2024-05-01"}],
    )
    assert text["result"]["stored"] == 1
    assert api.ok("resource_show", id=feed["id"])["realtime_last_observation"] == "2024-05-01T00:00:00"


def test_push_refuses_wrong_tokens_and_bad_rows(
    api: Api, services: Services, sysadmin: str, dataset: dict[str, Any]
) -> None:
    feed = make_feed(api, sysadmin, dataset)
    row = {**THAI, "value": 1, "observed_at": "2024-05-01T00:00:00Z"}
    wrong = _push(api, feed["id"], "not-a-token", [row], status=403)
    assert wrong["success"] is False and wrong["error"]["__type"] == "Authorization Error"
    anonymous = _push(api, feed["id"], None, [row], status=403)
    assert anonymous["error"]["__type"] == "Authorization Error"
    _, stranger = make_user(services, "stranger")
    assert _push(api, feed["id"], stranger, [row], status=403)["error"]["__type"] == "Authorization Error"
    bad = _push(api, feed["id"], sysadmin, [row, {**row, "observed_at": "yesterday", "lat": 123}], status=409)
    assert bad["error"]["__type"] == "Validation Error"
    assert set(bad["error"]) == {"__type", "records.1.observed_at", "records.1.lat"}
    malformed = api.client.post(
        f"/api/realtime/{feed['id']}/push", content=b"{nope", headers={"Authorization": sysadmin}
    )
    assert malformed.status_code == 400 and malformed.json()["error"]["__type"] == "Bad Request"
    missing = api.client.get("/api/realtime/no-such-feed/latest")
    assert missing.status_code == 404 and missing.json()["error"]["__type"] == "Not Found Error"
    for params in (
        {"timerel": "whenever"},
        {"aggrPeriodDuration": "an hour"},
        {"lastN": "-1"},
        {"date": "x"},
    ):
        answer = api.client.get(f"/api/realtime/{feed['id']}/history", params=params)
        assert answer.status_code == 409, (params, answer.text)


def test_private_feeds_are_not_readable_anonymously(
    api: Api, services: Services, sysadmin: str, dataset: dict[str, Any]
) -> None:
    api.ok("package_patch", sysadmin, id=dataset["id"], private=True)
    feed = make_feed(api, sysadmin, dataset)
    _push(api, feed["id"], sysadmin, [{**THAI, "value": 1, "observed_at": "2024-05-01T00:00:00Z"}])
    for path in ("latest", "history", "stream"):
        answer = api.client.get(f"/api/realtime/{feed['id']}/{path}")
        assert answer.status_code == 404 and answer.json()["success"] is False, path
    assert api.error("datastore_search", status=404, resource_id=feed["id"])["__type"] == "Not Found Error"
    headers = {"Authorization": sysadmin}
    assert api.client.get(f"/api/realtime/{feed['id']}/latest", headers=headers).status_code == 200


def test_ngsi_ld_notifications(api: Api, services: Services, sysadmin: str, dataset: dict[str, Any]) -> None:
    feed = make_feed(api, sysadmin, dataset)
    notification = {
        "id": "urn:ngsi-ld:Notification:1",
        "type": "Notification",
        "subscriptionId": "urn:ngsi-ld:Subscription:air",
        "notifiedAt": "2024-05-01T01:05:00Z",
        "data": [
            {
                "id": "urn:ngsi-ld:AirQualityObserved:บางนา",
                "type": "AirQualityObserved",
                "pm25": {
                    "type": "Property",
                    "value": 41,
                    "unitCode": "GQ",
                    "observedAt": "2024-05-01T01:00:00Z",
                },
                "status": {"type": "Property", "value": "ปานกลาง"},
                "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:7"},
                "location": {
                    "type": "GeoProperty",
                    "value": {"type": "Point", "coordinates": [100.6, 13.67]},
                },
            }
        ],
    }
    url = f"/api/realtime/{feed['id']}/ngsi-ld/notify"
    answer = api.client.post(url, json=notification, headers={"Authorization": sysadmin})
    assert answer.status_code == 200 and answer.json()["result"]["stored"] == 2, answer.text
    again = api.client.post(url, json=notification, headers={"Authorization": sysadmin})
    assert again.json()["result"]["duplicates"] == 2
    latest = api.client.get(f"/api/realtime/{feed['id']}/latest").json()["result"]["records"]
    assert [(r["variable"], r["value"], r["observed_at"]) for r in latest] == [
        ("pm25", 41.0, "2024-05-01T01:00:00Z"), ("status", "ปานกลาง", "2024-05-01T01:05:00Z"),
    ]  # fmt: skip
    assert latest[0]["location"] == {"lat": 13.67, "lon": 100.6}
    bad = api.client.post(url, json={"type": "Notification"}, headers={"Authorization": sysadmin})
    assert bad.status_code == 409 and bad.json()["error"]["data"]
