"""Server-sent events on a real server: new observations arrive, and a client that reconnects with
Last-Event-ID gets what it missed, without gaps or duplicates."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx

from tests.conftest import Api
from tests.realtime.conftest import make_feed


def _rows(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {"entity": "สถานีเชียงใหม่", "variable": "อุณหภูมิ", "value": i, "unit": "°C",
         "observed_at": f"2024-05-01T00:00:{i % 60:02d}Z".replace("00:00:", f"00:{i // 60:02d}:")}
        for i in range(start, start + count)
    ]  # fmt: skip


def _read(url: str, headers: dict[str, str], want: int, ready: threading.Event) -> tuple[list[int], int]:
    """Event ids of the first `want` observations, and the heartbeats seen."""
    ids: list[int] = []
    beats = 0
    with httpx.stream("GET", url, headers=headers, timeout=10) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "text/event-stream"
        )
        for line in response.iter_lines():
            ready.set()
            if line.startswith(": heartbeat"):
                beats += 1
            if line.startswith("data: "):
                item = json.loads(line[6:])
                assert item["entity"] == "สถานีเชียงใหม่"
                ids.append(item["id"])
                if len(ids) == want:
                    break
    return ids, beats


def test_stream_delivers_and_resumes_without_gaps_or_duplicates(
    api: Api, sysadmin: str, dataset: dict[str, Any], live: str
) -> None:
    feed = make_feed(api, sysadmin, dataset)
    url = f"{live}/api/realtime/{feed['id']}/stream?heartbeat=0.1"
    push = f"{live}/api/realtime/{feed['id']}/push"
    result: dict[str, Any] = {}
    ready = threading.Event()
    reader = threading.Thread(target=lambda: result.update(first=_read(url, {}, 30, ready)))
    reader.start()
    assert ready.wait(10)
    time.sleep(0.3)  # a heartbeat or two while idle
    for start in (0, 10, 20):
        assert httpx.post(
            push, json={"records": _rows(start, 10)}, headers={"Authorization": sysadmin}
        ).is_success
    reader.join(10)
    first, beats = result["first"]
    assert first == list(range(1, 31)) and beats >= 1

    # disconnected: 25 more arrive, plus a re-delivery that must not show up as an event
    assert httpx.post(push, json={"records": _rows(30, 25)}, headers={"Authorization": sysadmin}).is_success
    assert httpx.post(push, json={"records": _rows(0, 5)}, headers={"Authorization": sysadmin}).is_success
    resumed, _ = _read(url, {"Last-Event-ID": str(first[-1])}, 25, threading.Event())
    assert resumed == list(range(31, 56))
    bad = httpx.get(url, headers={"Last-Event-ID": "soon"})
    assert bad.status_code == 409 and bad.json()["error"]["__type"] == "Validation Error"
