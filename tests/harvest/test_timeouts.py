"""Every outbound call has a timeout from SAPAN_HTTP_TIMEOUT_SECONDS: a server on 127.0.0.1 that accepts
connections and never answers fails a harvest run and a real-time poll quickly and says so."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sapan.services import Services
from tests.conftest import Api, gdc_dataset
from tests.harvest.harvesting import run
from tests.realtime.conftest import make_feed, poll_now


@pytest.fixture()
def silent() -> Iterator[str]:
    """A URL whose server accepts every connection and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for conn in held:
        conn.close()


@pytest.fixture()
def short_timeout(services: Services) -> Iterator[float]:
    before = services.settings.http_timeout_seconds
    services.settings.http_timeout_seconds = 0.5
    yield 0.5
    services.settings.http_timeout_seconds = before


def test_a_silent_source_fails_the_harvest_run_within_the_timeout(
    api: Api, sysadmin: str, services: Services, silent: str, short_timeout: float
) -> None:
    source = api.ok(
        "harvest_source_create", sysadmin, name="silent", url=silent, source_type="ckan",
        title="แหล่งที่เงียบ", frequency="MANUAL",
    )  # fmt: skip
    started = time.monotonic()
    job = run(api, sysadmin, services, source["id"])
    assert time.monotonic() - started < 5
    assert job["status"] == "Failed"
    assert f"did not answer within {short_timeout:g} s" in job["error"], job["error"]


def test_a_silent_upstream_marks_the_feed_stale_within_the_timeout(
    api: Api, sysadmin: str, services: Services, org: dict[str, Any], silent: str, short_timeout: float
) -> None:
    dataset = api.ok("package_create", sysadmin, **gdc_dataset(name="silent-feed", owner_org=org["id"]))
    feed = make_feed(
        api,
        sysadmin,
        dataset,
        realtime_source_url=f"{silent}/stations",
        realtime_mapping="datagovsg_stations",
    )
    started = time.monotonic()
    assert poll_now(services) >= 1
    assert time.monotonic() - started < 5
    shown = api.ok("resource_show", id=feed["id"])
    assert shown["realtime_stale"] is True
    assert shown["realtime_error"] == f"Upstream did not answer within {short_timeout:g} s", shown
