"""One harvest run (the template method): fetch and convert everything first, then apply the changes
in one transaction. A source that fails while being read (timeout, HTTP error, malformed JSON or RDF)
fails the run with a report and changes nothing already harvested; a single record that cannot be
stored is reported as failed and the others go on."""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sapan.accounts.service import Actor, site_actor
from sapan.catalog import imports
from sapan.catalog.context import CatalogConfig
from sapan.catalog.datasets import delete_dataset
from sapan.db import new_id, transaction, utcnow
from sapan.errors import NotFound, SapanError, ValidationError
from sapan.governance import audit
from sapan.harvest.backend import Fetcher, HarvestFailed, Listing, Progress, RemoteRecord, SourceSettings
from sapan.harvest.files import enqueue_files
from sapan.harvest.inbound import inbound_refusal
from sapan.harvest.mapping import content_hash, importable
from sapan.harvest.models import HarvestJob, HarvestObject, HarvestSource
from sapan.harvest.sources import backend_for, settings_of
from sapan.search import service as search
from sapan.thai.slug import slugify

log = logging.getLogger("sapan.harvest")
PUBLIC_OPEN = {"data_category": "ข้อมูลสาธารณะ", "data_classification": "เปิดเผย"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
REPORT_LIMIT = 2000  # entries kept per run (a first run of 30,000 datasets would be all "created")


@dataclass
class Outcome:
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("created", "updated", "deleted", "failed", "unchanged", "skipped"), 0
        )
    )
    report: list[dict[str, Any]] = field(default_factory=list)
    ids: dict[str, list[str]] = field(default_factory=lambda: {"created": [], "updated": [], "deleted": []})

    def add(self, action: str, remote_id: str, dataset_id: str = "", reason: str = "") -> None:
        self.counts[action] += 1
        if action in self.ids and dataset_id:
            self.ids[action].append(dataset_id)
        if action != "unchanged" and len(self.report) < REPORT_LIMIT:
            entry = {"remote_id": remote_id, "dataset_id": dataset_id, "action": action}
            self.report.append({**entry, "reason": reason} if reason else entry)


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
    with transaction(services.sessions) as session:
        job = session.get(HarvestJob, job_id)
        if job is None:
            raise NotFound("Harvest job not found")
        source_row = session.get(HarvestSource, job.source_id)
        if source_row is None or source_row.state != "active":
            raise NotFound("Harvest source not found")
        source = settings_of(source_row)
        job.status, job.started = "Running", utcnow()
        since = _incremental_since(session, source.id, job.id)
    fetcher = Fetcher(source.timeout, {"Authorization": source.api_token} if source.api_token else None)
    try:
        progress(0.0, f"Reading {source.url}")
        listing = backend_for(source.source_type).list_records(fetcher, source, since, progress)
    except HarvestFailed as exc:
        return _failed(services, job_id, source, str(exc), fetcher.bytes)
    except Exception as exc:  # a source can make a parser fail in ways nobody listed: fail the run
        log.exception("harvest of %s", source.url)
        return _failed(
            services, job_id, source, f"Source sent unusable data: {type(exc).__name__}: {exc}", fetcher.bytes
        )
    finally:
        fetcher.close()
    progress(0.5, f"Storing {len(listing.records)} datasets")
    with transaction(services.sessions) as session:
        outcome = apply(session, services.catalog, source, listing, progress)
        _finish(session, job_id, source, outcome, fetcher.bytes)
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


def _failed(services: Any, job_id: str, source: SourceSettings, error: str, fetched: int) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        job = session.get(HarvestJob, job_id)
        if job is not None:
            job.status, job.finished, job.error = "Failed", utcnow(), error[:4000]
            job.bytes_fetched = fetched
            job.report = [{"remote_id": "", "dataset_id": "", "action": "failed", "reason": error[:2000]}]
            job.message = "The source could not be read; nothing was changed"
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


def apply(
    session: Session, cfg: CatalogConfig, source: SourceSettings, listing: Listing, progress: Progress
) -> Outcome:
    """Bring the harvested datasets in line with the listing (in the caller's transaction)."""
    actor = site_actor(session)
    outcome = Outcome()
    for remote_id, reason in listing.failures:
        outcome.add("failed", remote_id, reason=reason)
    objects = {
        o.remote_id: o
        for o in session.scalars(select(HarvestObject).where(HarvestObject.source_id == source.id))
    }
    names = {o.remote_id: o.original_url.rsplit("/", 1)[-1] for o in objects.values()}
    source_row = session.get(HarvestSource, source.id)
    to_index: list[dict[str, Any]] = []
    seen: set[str] = set()
    # No progress writes from here on: on SQLite they would wait for this transaction's write lock.
    for record in listing.records:
        seen.add(record.remote_id)
        obj = objects.get(record.remote_id)
        try:
            _one(session, cfg, actor, source, source_row, record, obj, outcome, to_index)
        except SapanError as exc:
            reason = (
                "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())
                if isinstance(exc, ValidationError)
                else str(exc)
            )
            outcome.add("failed", record.remote_id, obj.dataset_id if obj else "", reason)
        if len(to_index) >= 500:
            _index(session, cfg, to_index)
    _index(session, cfg, to_index)
    for remote_id in listing.unchanged:
        if remote_id in objects:
            seen.add(remote_id)
            outcome.add("unchanged", remote_id, objects[remote_id].dataset_id)
    for remote_id, obj in objects.items():
        if remote_id in seen:
            continue
        gone = listing.complete or (
            listing.present is not None
            and names[remote_id] not in listing.present
            and remote_id not in listing.present
        )
        if gone:
            _delete(session, cfg, actor, obj, outcome, "gone from the source")
        else:  # an incremental listing leaves out what did not change
            outcome.add("unchanged", remote_id, obj.dataset_id)
    return outcome


def _one(
    session: Session,
    cfg: CatalogConfig,
    actor: Actor,
    source: SourceSettings,
    source_row: Any,
    record: RemoteRecord,
    obj: HarvestObject | None,
    outcome: Outcome,
    to_index: list[dict[str, Any]],
) -> None:
    data, _notes = importable(dict(record.package), cfg.profile)
    if not _wanted(source, record):
        if obj is not None:
            _delete(session, cfg, actor, obj, outcome, "no longer matches the source's filters")
        return
    if record.public and cfg.profile.core_field("data_category") is not None:
        for key, value in PUBLIC_OPEN.items():  # a source without classifications publishes open data
            data.setdefault(key, value)
    refusal = inbound_refusal(session, source_row, {**data, "private": not record.public})
    if refusal:
        if obj is not None:
            _delete(session, cfg, actor, obj, outcome, refusal)
        else:
            outcome.add("skipped", record.remote_id, reason=refusal)
        return
    digest = content_hash({
        "data": data, "organization": record.organization, "licence": record.licence,
        "owner_org": source.owner_org, "prefix": source.name_prefix,
    })  # fmt: skip
    if obj is not None and obj.content_hash == digest:
        outcome.add("unchanged", record.remote_id, obj.dataset_id)
        return
    data["owner_org"] = _owner(session, actor, source, record)
    if record.licence.get("id") or record.licence.get("title") or record.licence.get("url"):
        lic = record.licence
        data["license_id"] = imports.licence_for(
            session, lic.get("id", ""), lic.get("title", ""), lic.get("url", ""), bool(lic.get("is_open"))
        )
    groups = imports.existing_group_names(session, [g["name"] for g in data["groups"]])
    data["groups"] = [g for g in data["groups"] if g["name"] in groups]
    existing_id = obj.dataset_id if obj is not None else None
    if existing_id and not imports.dataset_exists(session, existing_id):
        existing_id = None
    data["name"] = _local_name(session, source, record, data, existing_id)
    object_id = obj.id if obj is not None else new_id()
    data["extras"] = data["extras"] + _provenance(source, record, object_id)
    keep_id = record.remote_id if UUID.match(record.remote_id) else None  # the source's id, if free
    out = imports.import_dataset(session, cfg, actor, data, existing_id, new_dataset_id=keep_id, index=False)
    to_index.append(out)
    if source.fetch_resources:
        enqueue_files(session, source.id, out)
    now = utcnow()
    if obj is None:
        session.add(HarvestObject(
            id=object_id, source_id=source.id, remote_id=record.remote_id, dataset_id=out["id"],
            original_url=record.original_url, content_hash=digest, metadata_modified=record.modified[:40],
            harvested_at=now,
        ))  # fmt: skip
        outcome.add("created", record.remote_id, out["id"])
    else:
        obj.dataset_id, obj.original_url, obj.content_hash = out["id"], record.original_url, digest
        obj.metadata_modified, obj.harvested_at = record.modified[:40], now
        outcome.add("updated" if existing_id else "created", record.remote_id, out["id"])


def _wanted(source: SourceSettings, record: RemoteRecord) -> bool:
    """The source's filters, checked here too (not every source can filter for us)."""
    package = record.package
    if source.organizations:
        org = record.organization or {}
        if not {org.get("name"), package.get("owner_org")} & set(source.organizations):
            return False
    if source.tags:
        tags = {(t.get("name") if isinstance(t, dict) else t) for t in package.get("tags") or []}
        if not tags & set(source.tags):
            return False
    if source.groups:
        groups = {g.get("name") for g in package.get("groups") or [] if isinstance(g, dict)}
        if not groups & set(source.groups):
            return False
    return True


def _owner(session: Session, actor: Actor, source: SourceSettings, record: RemoteRecord) -> str | None:
    if source.owner_org:
        return source.owner_org
    org = record.organization
    if not org or not org.get("name"):
        return None
    name = slugify(org["name"]) or org["name"]
    return imports.organization_for(session, actor, name, org.get("title", ""), org.get("description", ""))


def _local_name(
    session: Session,
    source: SourceSettings,
    record: RemoteRecord,
    data: dict[str, Any],
    existing_id: str | None,
) -> str:
    """The source's name when it is free here (or already this dataset's); else prefixed with the
    source's prefix (its name by default), numbered if even that is taken."""
    base = slugify(record.remote_name) if record.remote_name else ""
    base = base if len(base) >= 2 else slugify(data.get("title") or "") or "dataset"
    prefix = source.name_prefix or source.name
    candidates = [base, f"{prefix}-{base}"[:100]] + [f"{prefix}-{base}"[:95] + f"-{n}" for n in range(2, 50)]
    for name in candidates:
        owner = imports.name_owner(session, name)
        if owner is None or owner == existing_id:
            return name
    return f"{prefix}-{record.remote_id}"[:100]


def _provenance(source: SourceSettings, record: RemoteRecord, object_id: str) -> list[dict[str, str]]:
    """ckanext-harvest's extras (harvest_object_id, harvest_source_id, harvest_source_title), and where
    the dataset came from."""
    return [
        {"key": "harvest_object_id", "value": object_id},
        {"key": "harvest_original_id", "value": record.remote_id},
        {"key": "harvest_original_url", "value": record.original_url},
        {"key": "harvest_source_id", "value": source.id},
        {"key": "harvest_source_title", "value": source.title or source.name},
        {"key": "harvest_source_url", "value": source.url},
        {"key": "harvest_harvested_at", "value": utcnow().isoformat(timespec="seconds")},
    ]


def _delete(
    session: Session, cfg: CatalogConfig, actor: Actor, obj: HarvestObject, outcome: Outcome, why: str
) -> None:
    with contextlib.suppress(NotFound):
        delete_dataset(session, cfg, actor, obj.dataset_id)
    outcome.add("deleted", obj.remote_id, obj.dataset_id, why)
    session.delete(obj)


def _index(session: Session, cfg: CatalogConfig, dicts: list[dict[str, Any]]) -> None:
    search.index_datasets(session, cfg, dicts)
    dicts.clear()
