"""Enqueueing, claiming and running jobs. Services enqueue in their own transaction; a worker (the
in-process one of `sapan serve`, or tests calling run_pending) claims and runs them."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sapan.db import database_unavailable, transaction, utcnow
from sapan.errors import NotFound, SapanError
from sapan.jobs.models import Job
from sapan.observability.jobs import JobRun, stamped

log = logging.getLogger("sapan.jobs")
Progress = Callable[[float, str], None]
Handler = Callable[[Any, dict[str, Any], Progress], dict[str, Any]]


def enqueue(session: Session, kind: str, payload: dict[str, Any]) -> Job:
    job = Job(kind=kind, payload=stamped(payload))  # the request id follows the work into its logs
    session.add(job)
    session.flush()
    return job


def requeue_interrupted(session: Session) -> int:
    """Put back in the queue the jobs that were running when a backup was taken: their work was not in
    the backup, and no worker of the restored catalogue is running them. Returns how many."""
    result = session.execute(
        update(Job)
        .where(Job.state == "running")
        .values(state="queued", progress=0.0, started=None, lease_until=None, worker=None, run_after=utcnow())
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
        "attempts": job.attempts,
        # a job waiting for a retry: when it runs again (its error says why the last attempt failed)
        "retry_at": job.run_after.isoformat() if job.state == "queued" and job.attempts else None,
    }


def get_job(session: Session, job_id: str) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("Job not found")
    return job


def unfinished(session: Session, job_ids: list[str]) -> set[str]:
    """Which of these jobs are still queued or running (one given up after crashes is not)."""
    if not job_ids:
        return set()
    found = session.scalars(select(Job.id).where(Job.id.in_(job_ids), Job.state.in_(("queued", "running"))))
    return set(found)


def latest_job(session: Session, kind: str, key: str, value: str) -> Job | None:
    """The newest job of a kind whose payload has key=value (e.g. the last ingest of a resource)."""
    jobs = session.scalars(select(Job).where(Job.kind == kind).order_by(Job.created.desc()).limit(200))
    return next((j for j in jobs if j.payload.get(key) == value), None)


class Released(BaseException):  # noqa: N818 - not an error: handlers' `except Exception` must not catch it
    """Raised inside a handler (at its next progress call) when the worker stops or lost the job's
    lease: the job goes back to the queue (or already belongs to another worker)."""


PERMANENT_OS_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def transient(exc: BaseException) -> bool:
    """Whether a failure may pass on its own (database or network away, storage hiccup): such a job is
    retried with backoff. Bad input (SapanError) and bugs fail at once."""
    import httpx

    if isinstance(exc, SapanError):
        return False
    if database_unavailable(exc):
        return True
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, PERMANENT_OS_ERRORS)


def backoff(settings: Any, attempts: int) -> timedelta:
    """The wait before retry number `attempts` (1, 2, ...): doubling from job_retry_seconds, an hour
    at most."""
    return timedelta(seconds=min(settings.job_retry_seconds * 2 ** max(attempts - 1, 0), 3600.0))


def worker_name() -> str:
    """Who holds a lease: the host and process, and a random part (several workers per process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claim(session: Session, settings: Any, me: str) -> Job | None:
    """Take a job: first a running one whose worker died (its lease expired), else the oldest due
    queued one. Several workers (threads or processes) never take the same one: the UPDATE is
    conditional on the state and lease it read, so only one worker's UPDATE matches (PostgreSQL also
    skips rows another worker has locked; SQLite serializes writers)."""
    now = utcnow()
    lease = now + timedelta(seconds=settings.job_lease_seconds)
    pg = session.get_bind().dialect.name == "postgresql"
    expired = select(Job.id, Job.attempts).where(Job.state == "running", Job.lease_until < now)
    due = select(Job.id, Job.attempts).where(Job.state == "queued", Job.run_after <= now)
    for query, state in (
        (expired.order_by(Job.lease_until), "running"),
        (due.order_by(Job.run_after), "queued"),
    ):
        query = query.limit(5)
        if pg:
            query = query.with_for_update(skip_locked=True)
        for job_id, attempts in session.execute(query).all():
            gave_up = state == "running" and attempts >= settings.job_max_attempts
            values: dict[str, Any] = (
                {"state": "failed", "finished": now, "lease_until": None, "worker": None,
                 "error": f"Gave up after {attempts} attempts: the worker running it stopped "
                          "(killed or crashed) each time"}
                if gave_up
                else {"state": "running", "started": now, "attempts": Job.attempts + 1,
                      "lease_until": lease, "worker": me}
            )  # fmt: skip
            fresh = Job.lease_until < now if state == "running" else Job.run_after <= now
            taken = session.execute(
                update(Job).where(Job.id == job_id, Job.state == state, fresh).values(**values)
            )
            if getattr(taken, "rowcount", 0) != 1:
                continue  # another worker was quicker
            if gave_up:
                log.warning("job %s given up: its worker died %s times", job_id, attempts)
                continue
            return session.get(Job, job_id)
    return None


class Lease:
    """Keeps a claimed job's lease alive from a heartbeat thread while its handler runs, and tells the
    handler (at its next progress call) to stop when the worker stops or the lease was lost."""

    def __init__(self, services: Any, job_id: str, me: str, stop: threading.Event | None) -> None:
        self.services, self.job_id, self.me = services, job_id, me
        self.stop = stop or threading.Event()
        self.lost = threading.Event()
        self.done = threading.Event()
        self.seconds = services.settings.job_lease_seconds
        self.thread = threading.Thread(target=self._beat, name=f"lease-{job_id[:8]}", daemon=True)

    def __enter__(self) -> Lease:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.thread.join(timeout=5)

    def renew(self) -> bool:
        """Push the lease forward; False when the job is no longer this worker's."""
        with transaction(self.services.sessions) as session:
            renewed = session.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.state == "running", Job.worker == self.me)
                .values(lease_until=utcnow() + timedelta(seconds=self.seconds))
            )
        if getattr(renewed, "rowcount", 0) != 1:
            self.lost.set()
        return not self.lost.is_set()

    def _beat(self) -> None:
        while not self.done.wait(self.seconds / 4):
            try:
                if not self.renew():
                    log.warning("job %s: lease lost to another worker", self.job_id)
                    return
            except Exception:  # the database is away: try again; past the lease another worker may take it
                log.warning("job %s: heartbeat failed", self.job_id, exc_info=True)

    def check(self) -> None:
        if self.stop.is_set() or self.lost.is_set():
            raise Released()


def _finish(services: Any, job_id: str, me: str, **values: Any) -> bool:
    """Write the outcome if the job is still this worker's (a worker that lost its lease writes nothing)."""
    with transaction(services.sessions) as session:
        done = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "running", Job.worker == me)
            .values(lease_until=None, worker=None, **values)
        )
    return getattr(done, "rowcount", 0) == 1


def run_one(services: Any, handlers: dict[str, Handler], stop: threading.Event | None = None) -> bool:
    """Claim and run one job; False when none was due. A transient failure puts the job back with
    backoff until job_max_attempts; `stop` set meanwhile (the worker is stopping) releases the job to
    the queue at the handler's next progress call."""
    settings, me = services.settings, worker_name()
    with transaction(services.sessions) as session:
        job = _claim(session, settings, me)
        if job is None:
            return False
        job_id, kind, payload, attempts = job.id, job.kind, dict(job.payload), job.attempts

    with Lease(services, job_id, me, stop) as lease:

        def progress(fraction: float, message: str = "") -> None:
            lease.check()
            with transaction(services.sessions) as s:
                updated = s.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.worker == me)
                    .values(
                        progress=max(0.0, min(fraction, 1.0)),
                        message=message,
                        lease_until=utcnow() + timedelta(seconds=lease.seconds),
                    )
                )
            if getattr(updated, "rowcount", 0) != 1:
                lease.lost.set()
                raise Released()

        run = JobRun(job_id, kind, payload)
        try:
            result = handlers[kind](services, payload, progress)
        except Released:
            if not lease.lost.is_set():  # stopping: back to the queue for another worker, now
                _finish(services, job_id, me, state="queued", run_after=utcnow(), attempts=attempts - 1)
                log.info("job %s (%s) released", job_id, kind)
            run.end("released" if not lease.lost.is_set() else "lost")
            return True
        except Exception as exc:
            run.end("retry" if _failed(services, job_id, kind, me, attempts, exc) == "queued" else "failed")
            return True
    _finish(services, job_id, me, state="done", error=None, result=result, finished=utcnow(), progress=1.0)
    run.end("done")
    return True


def _failed(services: Any, job_id: str, kind: str, me: str, attempts: int, exc: Exception) -> str:
    """Queue the job again (a passing failure with attempts left) or fail it; the state it is in."""
    settings = services.settings
    error = str(exc) if isinstance(exc, SapanError) else f"{type(exc).__name__}: {exc}"
    if transient(exc) and attempts < settings.job_max_attempts:
        log.warning("job %s (%s) attempt %s failed, will retry: %s", job_id, kind, attempts, error)
        _finish(
            services,
            job_id,
            me,
            state="queued",
            error=error,
            run_after=utcnow() + backoff(settings, attempts),
        )
        return "queued"
    if transient(exc):
        error = f"Gave up after {attempts} attempts; the last error: {error}"
    if not isinstance(exc, SapanError):  # a bug or bad file: the job fails, the worker goes on
        log.error("job %s (%s) failed: %s", job_id, kind, error, exc_info=exc)
    _finish(services, job_id, me, state="failed", error=error, result={}, finished=utcnow())
    return "failed"


def run_pending(services: Any, handlers: dict[str, Handler]) -> int:
    """Run due jobs until none is left (tests, `sapan worker --once`); retries wait for their time."""
    done = 0
    while run_one(services, handlers):
        done += 1
    return done


class Worker(threading.Thread):
    """The embedded worker of `sapan serve`: polls the queue while the app runs; stopping releases
    the job it is running to the queue."""

    def __init__(self, services: Any, handlers: dict[str, Handler], idle_seconds: float = 1.0) -> None:
        super().__init__(name="sapan-worker", daemon=True)
        self.services, self.handlers, self.idle = services, handlers, idle_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        work(self.services, self.handlers, self.stopping, self.idle)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


def work(services: Any, handlers: dict[str, Handler], stop: threading.Event, idle: float = 1.0) -> None:
    """Run jobs until `stop` is set (`sapan worker` sets it on SIGTERM)."""
    while not stop.is_set():
        try:
            busy = run_one(services, handlers, stop)
        except Exception:  # database briefly away: try again later
            log.warning("worker loop", exc_info=True)
            busy = False
        if not busy:
            stop.wait(idle)


def purge_finished(session: Session, kinds: tuple[str, ...], before: Any) -> None:
    """Delete finished jobs of these kinds that ended before `before` (frequent, routine jobs)."""
    from sqlalchemy import delete

    session.execute(
        delete(Job).where(Job.kind.in_(kinds), Job.state.in_(("done", "failed")), Job.finished < before)
    )
