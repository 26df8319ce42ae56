"""One harvest run (the template method): fetch and convert everything first, then apply the changes
in one transaction. A source that fails while being read (timeout, HTTP error, malformed JSON or RDF)
fails the run with a report and changes nothing already harvested; a single record that cannot be
stored is reported as failed and the others go on."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from sapan.db import transaction, utcnow
from sapan.errors import NotFound
from sapan.governance import audit
from sapan.harvest.apply import Applier, Outcome
from sapan.harvest.backend import Fetcher, HarvestFailed, Progress, SourceSettings
from sapan.harvest.inbound import flow_refusal
from sapan.harvest.models import HarvestJob, HarvestSource
from sapan.harvest.sources import backend_for, settings_of
from sapan.observability.metrics import harvested

log = logging.getLogger("sapan.harvest")


def run_harvest(services: Any, payload: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """The `harvest` job: run the harvest job payload["harvest_job_id"]."""
    job_id = str(payload["harvest_job_id"])

    def both(fraction: float, message: str) -> None:  # the background job's progress and the run's
        progress(fraction, message)
        with transaction(services.sessions) as session:
            job = session.get(HarvestJob, job_id)
            if job is not None:
                job.progress, job.message = fraction, message

    try:
        return run_job(services, job_id, both)
    except HarvestFailed:
        raise
    except Exception as exc:  # a bug: the run must not stay "Running" and block the source's next runs
        with transaction(services.sessions) as session:
            job = session.get(HarvestJob, job_id)
            if job is not None and job.status in ("New", "Running"):
                job.status, job.finished, job.error = "Failed", utcnow(), f"{type(exc).__name__}: {exc}"
        raise


def run_job(services: Any, job_id: str, progress: Progress) -> dict[str, Any]:
    """Run a harvest job now; returns its counts. Raises HarvestFailed when the source could not be
    read (the job is Failed and nothing changed), NotFound for an unknown job or source."""
    with transaction(services.sessions) as session:
        job = session.get(HarvestJob, job_id)
        if job is None:
            raise NotFound("Harvest job not found")
        source_row = session.get(HarvestSource, job.source_id)
        if source_row is None or source_row.state != "active":
            raise NotFound("Harvest source not found")
        source = settings_of(source_row, services.settings.http_timeout_seconds)
        job.status, job.started = "Running", utcnow()
        since = _incremental_since(session, source.id, job.id)
        refused = flow_refusal(session, source.url)
    if refused:  # the partner's agreement lapsed: nothing is read, nothing harvested changes
        _failed(services, job_id, source, refused, 0)
    fetcher = Fetcher(source.timeout, {"Authorization": source.api_token} if source.api_token else None)
    try:
        progress(0.0, f"Reading {source.url}")
        listing = backend_for(source.source_type).list_records(fetcher, source, since, progress)
    except HarvestFailed as exc:
        _failed(services, job_id, source, str(exc), fetcher.bytes)
    except Exception as exc:  # a source can make a parser fail in ways nobody listed: fail the run
        log.exception("harvest of %s", source.url)
        _failed(
            services, job_id, source, f"Source sent unusable data: {type(exc).__name__}: {exc}", fetcher.bytes
        )
    finally:
        fetcher.close()
    progress(0.5, f"Storing {len(listing.records)} datasets")
    with transaction(services.sessions) as session:
        # No progress writes from here on: on SQLite they would wait for this transaction's write lock.
        outcome = Applier(session, services.catalog, source).apply(listing)
        _finish(session, job_id, source, outcome, fetcher.bytes)
    harvested(source.source_type, outcome.counts)
    return {"harvest_job_id": job_id, **outcome.counts}


def _incremental_since(session: Session, source_id: str, job_id: str) -> str | None:
    """When the last successful run started (runs after it ask for changes since then)."""
    last = session.scalar(
        select(HarvestJob.started)
        .where(HarvestJob.source_id == source_id, HarvestJob.status == "Finished", HarvestJob.id != job_id)
        .order_by(HarvestJob.started.desc())
        .limit(1)
    )
    return last.isoformat() if last else None


def _failed(services: Any, job_id: str, source: SourceSettings, error: str, fetched: int) -> NoReturn:
    with transaction(services.sessions) as session:
        job = session.get(HarvestJob, job_id)
        if job is not None:
            job.status, job.finished, job.error = "Failed", utcnow(), error[:4000]
            job.bytes_fetched = fetched
            job.report = [{"remote_id": "", "dataset_id": "", "action": "failed", "reason": error[:2000]}]
            job.message = "The source could not be read; nothing was changed"
        audit.record(
            session, "sapan", "harvest.transfer", "harvest_source", source.id,
            {
                "direction": "inbound", "source": source.name, "partner_url": source.url, "job_id": job_id,
                "created": [], "updated": [], "deleted": [], "bytes": fetched, "failed": error[:500],
            },
        )  # fmt: skip
    harvested(source.source_type, None)
    raise HarvestFailed(error)


def _finish(session: Session, job_id: str, source: SourceSettings, outcome: Outcome, fetched: int) -> None:
    job = session.get(HarvestJob, job_id)
    if job is None:
        return
    for action, n in outcome.counts.items():
        setattr(job, f"{action}_count", n)
    job.report, job.bytes_fetched = outcome.report, fetched
    job.status, job.finished, job.progress = "Finished", utcnow(), 1.0
    job.message = ", ".join(f"{n} {a}" for a, n in outcome.counts.items() if n) or "nothing to do"
    audit.record(
        session, "sapan", "harvest.transfer", "harvest_source", source.id,
        {
            "direction": "inbound", "source": source.name, "partner_url": source.url, "job_id": job_id,
            "created": outcome.ids["created"], "updated": outcome.ids["updated"],
            "deleted": outcome.ids["deleted"], "bytes": fetched,
        },
    )  # fmt: skip
