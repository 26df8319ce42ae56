"""Leases, retries and giving up, on SQLite and PostgreSQL: a job whose worker died is taken over, a
passing failure is retried with growing waits, and a job that keeps failing ends failed with its story."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest

from sapan.db import transaction, utcnow
from sapan.errors import ValidationError
from sapan.jobs.models import Job
from sapan.jobs.service import _claim, enqueue, get_job, job_dict, run_one, run_pending, worker_name
from sapan.services import Services
from tests.servers import free_port


@pytest.fixture()
def quick(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    """Short leases and retries, so a test sees them expire."""
    monkeypatch.setattr(services.settings, "job_lease_seconds", 0.6)
    monkeypatch.setattr(services.settings, "job_retry_seconds", 0.3)
    monkeypatch.setattr(services.settings, "job_max_attempts", 3)
    return services


def queue(services: Services, kind: str, payload: dict[str, Any] | None = None) -> str:
    with transaction(services.sessions) as session:
        return enqueue(session, kind, payload or {}).id


def state(services: Services, job_id: str) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        return job_dict(get_job(session, job_id))


def dead_worker_claims(services: Services) -> str:
    """A worker takes a job and dies at once (kill -9): its lease is never renewed."""
    with transaction(services.sessions) as session:
        job = _claim(session, services.settings, worker_name())
        assert job is not None
        return job.id


def unreachable() -> None:
    httpx.get(f"http://127.0.0.1:{free_port()}/", timeout=2)  # a real ConnectError: nobody listens


def test_a_dead_workers_job_is_taken_over_when_its_lease_expires(quick: Services) -> None:
    job_id = queue(quick, "note")
    ran: list[str] = []
    handlers = {"note": lambda *_: ran.append("ran") or {"ok": True}}
    assert dead_worker_claims(quick) == job_id
    assert run_one(quick, handlers) is False  # its lease still holds: nobody else runs it
    time.sleep(0.8)
    assert run_one(quick, handlers) is True
    done = state(quick, job_id)
    assert ran == ["ran"] and done["state"] == "done" and done["attempts"] == 2
    with transaction(quick.sessions) as session:
        row = session.get(Job, job_id)
        assert row is not None and row.lease_until is None and row.worker is None


def test_the_heartbeat_keeps_a_long_job_its_workers(quick: Services) -> None:
    job_id = queue(quick, "slow")
    runs: list[int] = []

    def slow(*_: Any) -> dict[str, Any]:
        runs.append(1)
        time.sleep(2.0)  # more than three leases, no progress calls: only the heartbeat renews it
        return {}

    first = threading.Thread(target=run_one, args=(quick, {"slow": slow}))
    first.start()
    while state(quick, job_id)["state"] != "running":
        time.sleep(0.01)
    took_over = []
    while first.is_alive():  # another worker keeps trying meanwhile
        took_over.append(run_one(quick, {"slow": slow}))
        time.sleep(0.1)
    first.join()
    assert runs == [1] and not any(took_over)
    assert state(quick, job_id)["state"] == "done"


def test_a_worker_that_lost_its_lease_stops_and_writes_nothing(quick: Services) -> None:
    job_id = queue(quick, "steps")
    steps: list[int] = []

    def steps_handler(_: Any, __: Any, progress: Any) -> dict[str, Any]:
        for i in range(50):
            steps.append(i)
            if i == 2:  # meanwhile another worker took the job over (this one looked dead)
                with transaction(quick.sessions) as session:
                    row = session.get(Job, job_id)
                    assert row is not None
                    row.worker = "other-host:1:abc"
            progress(i / 50, f"step {i}")
        return {"finished": True}

    assert run_one(quick, {"steps": steps_handler})
    assert steps == [0, 1, 2]  # stopped at the first progress call after losing it
    after = state(quick, job_id)
    assert after["state"] == "running" and after["result"] == {}  # the new owner's to finish


def test_a_passing_failure_is_retried_with_doubling_waits(quick: Services) -> None:
    job_id = queue(quick, "fetch")
    calls: list[float] = []

    def fetch(*_: Any) -> dict[str, Any]:
        calls.append(time.monotonic())
        if len(calls) < 3:
            unreachable()
        return {"fetched": True}

    handlers = {"fetch": fetch}
    assert run_one(quick, handlers)
    waiting = state(quick, job_id)
    assert waiting["state"] == "queued" and waiting["attempts"] == 1
    assert waiting["error"].startswith("ConnectError") and waiting["retry_at"] is not None
    assert run_one(quick, handlers) is False  # not due yet
    for _ in range(100):
        if run_one(quick, handlers):
            break
        time.sleep(0.05)
    assert state(quick, job_id)["attempts"] == 2
    while not run_one(quick, handlers):
        time.sleep(0.05)
    done = state(quick, job_id)
    assert done["state"] == "done" and done["attempts"] == 3 and done["result"] == {"fetched": True}
    first_wait, second_wait = calls[1] - calls[0], calls[2] - calls[1]
    assert 0.3 <= first_wait < 2.0 and 0.6 <= second_wait < 3.0  # at least the backoff: 0.3 s, then 0.6 s


def test_a_job_that_keeps_failing_gives_up_after_max_attempts(quick: Services) -> None:
    quick.settings.job_retry_seconds = 0.01
    job_id = queue(quick, "fetch")

    def fetch(*_: Any) -> dict[str, Any]:
        unreachable()
        return {}

    deadline = time.monotonic() + 10
    while state(quick, job_id)["state"] != "failed" and time.monotonic() < deadline:
        run_pending(quick, {"fetch": fetch})
        time.sleep(0.02)
    failed = state(quick, job_id)
    assert failed["state"] == "failed" and failed["attempts"] == 3
    assert failed["error"].startswith("Gave up after 3 attempts; the last error: ConnectError")


def test_bad_input_fails_at_once_with_its_message(quick: Services) -> None:
    job_id = queue(quick, "check")

    def check(*_: Any) -> dict[str, Any]:
        raise ValidationError.one("url", "ไม่ใช่ที่อยู่เว็บ (not a web address)")

    assert run_pending(quick, {"check": check}) == 1
    failed = state(quick, job_id)
    assert failed["state"] == "failed" and failed["attempts"] == 1
    assert failed["error"] == "url: ไม่ใช่ที่อยู่เว็บ (not a web address)"


def test_a_job_whose_workers_keep_dying_gives_up(quick: Services) -> None:
    job_id = queue(quick, "crash")
    for attempt in (1, 2, 3):
        if attempt > 1:
            time.sleep(0.8)
        assert dead_worker_claims(quick) == job_id
    time.sleep(0.8)
    assert run_one(quick, {"crash": lambda *_: {}}) is False  # found dead a third time: given up
    failed = state(quick, job_id)
    assert failed["state"] == "failed" and failed["attempts"] == 3
    assert "Gave up after 3 attempts" in failed["error"] and "killed or crashed" in failed["error"]


def test_a_stopping_worker_puts_its_job_back_for_another(quick: Services) -> None:
    job_id = queue(quick, "long")
    stop = threading.Event()
    seen: list[int] = []

    def long(_: Any, __: Any, progress: Any) -> dict[str, Any]:
        for i in range(100):
            seen.append(i)
            if i == 3:
                stop.set()  # SIGTERM arrives
            progress(i / 100, "")
        return {}

    assert run_one(quick, {"long": long}, stop)
    back = state(quick, job_id)
    assert seen == [0, 1, 2, 3] and back["state"] == "queued" and back["attempts"] == 0
    assert run_pending(quick, {"long": lambda *_: {"again": True}}) == 1  # at once, no backoff
    assert state(quick, job_id)["result"] == {"again": True}


def test_queued_jobs_wait_for_their_time(quick: Services) -> None:
    job_id = queue(quick, "later")
    with transaction(quick.sessions) as session:
        row = session.get(Job, job_id)
        assert row is not None
        row.run_after = utcnow() + timedelta(hours=1)
    assert run_pending(quick, {"later": lambda *_: {}}) == 0


def test_competing_workers_take_an_expired_job_over_once(quick: Services) -> None:
    job_ids = {queue(quick, "note", {"i": i}) for i in range(6)}
    for _ in job_ids:
        dead_worker_claims(quick)
    time.sleep(0.8)
    ran: list[int] = []
    lock = threading.Lock()

    def note(_: Any, payload: dict[str, Any], __: Any) -> dict[str, Any]:
        with lock:
            ran.append(payload["i"])
        return {}

    workers = [threading.Thread(target=run_pending, args=(quick, {"note": note})) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(ran) == list(range(6))
    assert {state(quick, j)["attempts"] for j in job_ids} == {2}
