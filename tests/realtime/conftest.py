"""Fixtures of the real-time tests: an upstream server, a dataset, feeds, a real app server."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from sapan.app import create_app
from sapan.db import utcnow
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.realtime.polling import enqueue_due
from sapan.services import Services
from tests.conftest import Api, gdc_dataset
from tests.realtime.upstream import Upstream
from tests.servers import served


@pytest.fixture()
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    yield server
    server.close()


@pytest.fixture()
def dataset(api: Api, sysadmin: str, org: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(
        "package_create",
        sysadmin,
        **gdc_dataset(name="sg-weather", title="สภาพอากาศสิงคโปร์", owner_org=org["id"]),
    )
    return result


def make_feed(api: Api, token: str, dataset: dict[str, Any], **settings: Any) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(
        "resource_create", token, package_id=dataset["id"], name="อุณหภูมิ", resource_type="realtime", **settings
    )
    return result


_later = itertools.count(1)


def poll_now(services: Services) -> int:
    """What `sapan serve` does on its own: the scheduler enqueues due polls, the worker runs them.
    Each call is a day later than the last, so every poll (and compaction) is due."""
    enqueue_due(services, utcnow() + timedelta(days=next(_later)))
    return run_pending(services, handlers())


@pytest.fixture()
def live(services: Services) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 (a real server: event streams need one)."""
    with served(create_app(services=services)) as url:
        yield url


@pytest.fixture(autouse=True)
def keep_old_history(services: Services) -> Iterator[None]:
    """The replayed answers are from 2019-2020: keep their history whatever the retention says."""
    before = services.settings.realtime_retention_days
    services.settings.realtime_retention_days = 100_000
    yield
    services.settings.realtime_retention_days = before
