"""A background job as the logs and metrics see it: it carries the request id of whoever enqueued it,
logs its start and end, and records its duration by kind and outcome."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from sapan.observability import context
from sapan.observability.metrics import JOB_SECONDS

log = logging.getLogger("sapan.jobs")


def stamped(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with the current request id (when there is one), for the job's log lines."""
    rid = context.current()
    if not rid or context.PAYLOAD_KEY in payload:
        return payload
    return {**payload, context.PAYLOAD_KEY: rid}


class JobRun:
    """Started when a worker begins a job (binding its request id: a scheduled job without one gets a
    new id), ended with the outcome."""

    def __init__(self, job_id: str, kind: str, payload: dict[str, Any]) -> None:
        self.job_id, self.kind = job_id, kind
        rid = payload.get(context.PAYLOAD_KEY)
        self.token = context.bind(rid if isinstance(rid, str) and rid else uuid.uuid4().hex)
        self.started = time.perf_counter()
        log.info("job %s started", kind, extra={"job_id": job_id, "job_kind": kind})

    def end(self, outcome: str) -> None:
        seconds = time.perf_counter() - self.started
        JOB_SECONDS.labels(self.kind, outcome).observe(seconds)
        log.info(
            "job %s %s",
            self.kind,
            outcome,
            extra={
                "job_id": self.job_id, "job_kind": self.kind, "outcome": outcome,
                "duration_ms": round(seconds * 1000, 1),
            },
        )  # fmt: skip
        context.unbind(self.token)
