"""Enqueueing, claiming and running jobs. Services enqueue in their own transaction; a worker (the
in-process one of `sapan serve`, or tests calling run_pending) claims and runs them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sapan.db import transaction, utcnow
from sapan.errors import NotFound, SapanError
from sapan.jobs.models import Job

log = logging.getLogger("sapan.jobs")
Progress = Callable[[float, str], None]
Handler = Callable[[Any, dict[str, Any], Progress], dict[str, Any]]


def enqueue(session: Session, kind: str, payload: dict[str, Any]) -> Job:
    job = Job(kind=kind, payload=payload)
    session.add(job)
    session.flush()
    return job


def requeue_interrupted(session: Session) -> int:
    """Put back in the queue the jobs that were running when a backup was taken: their work was not in
    the backup, and no worker of the restored catalogue is running them. Returns how many."""
    result = session.execute(
        update(Job).where(Job.state == "running").values(state="queued", progress=0.0, started=None)
    )
    return int(getattr(result, "rowcount", 0))


def job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "progress": round(job.progress, 3),
        "message": job.message,
        "error": job.error,
        "result": job.result,
        "created": job.created.isoformat(),
        "started": job.started.isoformat() if job.started else None,
        "finished": job.finished.isoformat() if job.finished else None,
    }


def get_job(session: Session, job_id: str) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("Job not found")
    return job


def latest_job(session: Session, kind: str, key: str, value: str) -> Job | None:
    """The newest job of a kind whose payload has key=value (e.g. the last ingest of a resource)."""
    jobs = session.scalars(select(Job).where(Job.kind == kind).order_by(Job.created.desc()).limit(200))
    return next((j for j in jobs if j.payload.get(key) == value), None)


def _claim(session: Session) -> Job | None:
    """Take the oldest queued job. Several workers (threads or processes) never take the same one:
    PostgreSQL skips rows another worker has locked, and the conditional UPDATE lets only one
    worker move a job from queued to running (SQLite has no row locks)."""
    query = select(Job.id).where(Job.state == "queued").order_by(Job.created).limit(5)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for job_id in session.scalars(query).all():
        taken = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "queued")
            .values(state="running", started=utcnow(), attempts=Job.attempts + 1)
        )
        if getattr(taken, "rowcount", 0) == 1:
            return session.get(Job, job_id)
    return None


def run_one(services: Any, handlers: dict[str, Handler]) -> bool:
    """Run the oldest queued job; False when there was none."""
    with transaction(services.sessions) as session:
        job = _claim(session)
        if job is None:
            return False
        job_id, kind, payload = job.id, job.kind, dict(job.payload)

    def progress(fraction: float, message: str = "") -> None:
        with transaction(services.sessions) as s:
            row = s.get(Job, job_id)
            if row is not None:
                row.progress, row.message = max(0.0, min(fraction, 1.0)), message

    try:
        result = handlers[kind](services, payload, progress)
        state, error = "done", None
    except SapanError as exc:
        result, state, error = {}, "failed", str(exc)
    except Exception as exc:  # a bug or bad file: the job fails, the worker goes on
        log.exception("job %s (%s) failed", job_id, kind)
        result, state, error = {}, "failed", f"{type(exc).__name__}: {exc}"
    with transaction(services.sessions) as session:
        row = session.get(Job, job_id)
        if row is not None:
            row.state, row.error, row.result, row.finished = state, error, result, utcnow()
            row.progress = 1.0 if state == "done" else row.progress
    return True


def run_pending(services: Any, handlers: dict[str, Handler]) -> int:
    """Run queued jobs until none is left (tests, `sapan worker --once`)."""
    done = 0
    while run_one(services, handlers):
        done += 1
    return done


class Worker(threading.Thread):
    """The embedded worker of `sapan serve`: polls the queue while the app runs."""

    def __init__(self, services: Any, handlers: dict[str, Handler], idle_seconds: float = 1.0) -> None:
        super().__init__(name="sapan-worker", daemon=True)
        self.services, self.handlers, self.idle = services, handlers, idle_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                busy = run_one(self.services, self.handlers)
            except Exception:  # database briefly away: try again later
                log.exception("worker loop")
                busy = False
            if not busy:
                self.stopping.wait(self.idle)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


def purge_finished(session: Session, kinds: tuple[str, ...], before: Any) -> None:
    """Delete finished jobs of these kinds that ended before `before` (frequent, routine jobs)."""
    from sqlalchemy import delete

    session.execute(
        delete(Job).where(Job.kind.in_(kinds), Job.state.in_(("done", "failed")), Job.finished < before)
    )
