"""Two schedulers in two real processes (each with its own engine, as two `sapan worker`s) tick at the
same moment over the same due sources: each due run is started exactly once. A run whose workers all
died does not keep the source from running again."""

from __future__ import annotations

import multiprocessing
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from sapan.db import transaction, utcnow
from sapan.harvest.models import HarvestJob
from sapan.jobs.handlers import handlers
from sapan.jobs.service import _claim, run_one, worker_name
from sapan.services import Services
from tests.conftest import Api

SOURCES = 6


def tick_until(url: str, home: str, now: datetime, go: Any, started: Any) -> None:
    """A scheduler's loop in its own process: tick (retrying when SQLite's writer lock is taken, as the
    scheduler does at its next tick) until nothing more is due."""
    from sapan.config import Settings
    from sapan.harvest.schedule import enqueue_due
    from sapan.services import build_services

    services = build_services(Settings(home=home, database_url=url), migrate=False)
    go.wait(30)
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            try:
                count = enqueue_due(services, now)
            except Exception:  # noqa: BLE001 - the real scheduler logs this and tries again
                time.sleep(0.01)
                continue
            started.put(count)
            if count == 0:
                return
    finally:
        services.close()


def test_two_scheduler_processes_start_each_due_harvest_once(
    api: Api, sysadmin: str, services: Services
) -> None:
    for i in range(SOURCES):
        api.ok(
            "harvest_source_create", sysadmin, name=f"source-{i}", url=f"http://127.0.0.1:9/{i}/catalog.ttl",
            source_type="dcat", frequency="HOURLY", title=f"แหล่งข้อมูล {i}",
        )  # fmt: skip
    later = utcnow() + timedelta(hours=1, minutes=1)
    spawn = multiprocessing.get_context("fork")  # fast; each child builds its own engine
    go, started = spawn.Event(), spawn.Queue()
    url, home = services.settings.resolved_database_url, str(services.settings.home)
    schedulers = [spawn.Process(target=tick_until, args=(url, home, later, go, started)) for _ in range(2)]
    for process in schedulers:
        process.start()
    time.sleep(0.5)
    go.set()  # both tick at once
    for process in schedulers:
        process.join(timeout=60)
        assert process.exitcode == 0
    counts = []
    while not started.empty():
        counts.append(started.get())
    assert sum(counts) == SOURCES
    with transaction(services.sessions) as session:
        per_source = session.execute(
            select(HarvestJob.source_id, func.count()).group_by(HarvestJob.source_id)
        )
        assert sorted(n for _, n in per_source) == [1] * SOURCES


def test_a_run_given_up_after_its_workers_died_does_not_block_the_source(
    api: Api, sysadmin: str, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services.settings, "job_lease_seconds", 0.3)
    monkeypatch.setattr(services.settings, "job_max_attempts", 1)
    api.ok(
        "harvest_source_create",
        sysadmin,
        name="nso",
        url="http://127.0.0.1:9/catalog.ttl",
        source_type="dcat",
    )
    lost = api.ok("harvest_job_create", sysadmin, source_id="nso")
    with transaction(services.sessions) as session:  # a worker takes the run and is killed at once
        assert _claim(session, services.settings, worker_name()) is not None
    assert "source_id" in api.error("harvest_job_create", sysadmin, source_id="nso")  # it may yet finish
    time.sleep(0.5)
    assert run_one(services, handlers()) is False  # its lease expired on its last attempt: given up
    again = api.ok("harvest_job_create", sysadmin, source_id="nso")
    assert again["id"] != lost["id"]
    assert api.ok("harvest_job_show", sysadmin, id=lost["id"])["status"] == "Failed"
