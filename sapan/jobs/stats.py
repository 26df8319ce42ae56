"""How the job queue stands, for /metrics, /readyz and `sapan doctor`."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sapan.db import utcnow
from sapan.jobs.models import Job

WAITING_OR_RUNNING = ("queued", "running")


def queue_depth(session: Session) -> dict[tuple[str, str], int]:
    """{(kind, state): jobs} for the jobs queued or running (finished ones are history, not depth)."""
    rows = session.execute(
        select(Job.kind, Job.state, func.count())
        .where(Job.state.in_(WAITING_OR_RUNNING))
        .group_by(Job.kind, Job.state)
    )
    return {(kind, state): n for kind, state, n in rows}


def oldest_queued_age(session: Session) -> float | None:
    """Seconds the oldest queued job has waited; None when none is queued."""
    oldest = session.scalar(select(func.min(Job.created)).where(Job.state == "queued"))
    return None if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
