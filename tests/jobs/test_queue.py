"""The job queue: progress, failures, and no job run twice when several workers poll at once."""

from __future__ import annotations

import threading
from typing import Any

from sapan.db import transaction
from sapan.jobs.service import enqueue, get_job, job_dict, run_pending
from sapan.services import Services


def test_progress_results_and_failures(services: Services) -> None:
    with transaction(services.sessions) as session:
        ok = enqueue(session, "count", {"n": 3}).id
        bad = enqueue(session, "boom", {}).id

    def count(_: Any, payload: dict[str, Any], progress: Any) -> dict[str, Any]:
        for i in range(payload["n"]):
            progress((i + 1) / payload["n"], f"step {i + 1}")
        return {"counted": payload["n"]}

    def boom(*_: Any) -> dict[str, Any]:
        raise RuntimeError("disk on fire")

    assert run_pending(services, {"count": count, "boom": boom}) == 2
    with transaction(services.sessions) as session:
        done, failed = job_dict(get_job(session, ok)), job_dict(get_job(session, bad))
    assert done["state"] == "done" and done["result"] == {"counted": 3} and done["progress"] == 1.0
    assert done["message"] == "step 3"
    assert failed["state"] == "failed" and "disk on fire" in failed["error"]


def test_competing_workers_run_each_job_once(services: Services) -> None:
    with transaction(services.sessions) as session:
        for i in range(20):
            enqueue(session, "note", {"i": i})
    seen: list[int] = []
    lock = threading.Lock()

    def note(_: Any, payload: dict[str, Any], __: Any) -> dict[str, Any]:
        with lock:
            seen.append(payload["i"])
        return {}

    workers = [threading.Thread(target=run_pending, args=(services, {"note": note})) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(seen) == list(range(20))
