"""Harvest sources and their jobs: create, show, list, update, delete, run now. The shapes follow
ckanext-harvest's actions, so its clients work. Writes are for sysadmins."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sapan.accounts import permissions
from sapan.accounts.service import Actor
from sapan.catalog.dictize import iso
from sapan.catalog.groups import get_group
from sapan.db import utcnow
from sapan.errors import NotFound, ValidationError, json_object
from sapan.harvest.backend import FREQUENCIES, SOURCE_TYPES, Backend, SourceSettings
from sapan.harvest.models import HarvestJob, HarvestObject, HarvestSource
from sapan.jobs.service import enqueue, unfinished

NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
PERIODS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
LIST_KEYS = ("organizations", "tags", "groups")
STALE_RUN = timedelta(days=1)


def backend_for(source_type: str) -> Backend:
    from sapan.harvest.ckan import CkanBackend
    from sapan.harvest.datagovsg import DataGovSgBackend
    from sapan.harvest.dcat_import import DcatBackend

    backends: dict[str, Backend] = {
        "ckan": CkanBackend(),
        "dcat": DcatBackend(),
        "datagovsg": DataGovSgBackend(),
    }
    return backends[source_type]


def settings_of(source: HarvestSource, default_timeout: float = 30.0) -> SourceSettings:
    """The source as a backend sees it; `timeout` from its config, else SAPAN_HTTP_TIMEOUT_SECONDS."""
    c = source.config or {}
    return SourceSettings(
        id=source.id, name=source.name, title=source.title, url=source.url, source_type=source.source_type,
        api_token=str(c.get("api_token") or ""),
        organizations=tuple(c.get("organizations") or ()), tags=tuple(c.get("tags") or ()),
        groups=tuple(c.get("groups") or ()), name_prefix=str(c.get("name_prefix") or ""),
        fetch_resources=bool(c.get("fetch_resources")), owner_org=str(c.get("owner_org") or ""),
        page_size=int(c.get("page_size") or 1000), timeout=float(c.get("timeout") or default_timeout),
    )  # fmt: skip


def parse_config(session: Session, raw: Any) -> dict[str, Any]:
    """The config (a JSON string, as ckanext-harvest sends it, or an object); ValidationError names
    the field `config` and says what is wrong."""
    if raw is None or raw == "":
        return {}
    raw = json_object(raw, "config")
    known = {*LIST_KEYS, "api_token", "name_prefix", "fetch_resources", "owner_org", "page_size", "timeout"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValidationError.one("config", f"Unknown key(s): {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for key in LIST_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValidationError.one("config", f"{key}: must be a list of names")
        out[key] = value
    for key in ("api_token", "name_prefix", "owner_org"):
        if raw.get(key) is not None:
            if not isinstance(raw[key], str):
                raise ValidationError.one("config", f"{key}: must be a string")
            out[key] = raw[key]
    prefix = out.get("name_prefix", "")
    if prefix and (not NAME.match(prefix) or len(prefix) > 40):
        raise ValidationError.one("config", "name_prefix: lowercase letters, digits, - and _ (2-40 long)")
    if out.get("owner_org"):
        try:
            out["owner_org"] = get_group(session, out["owner_org"], organization=True).id
        except NotFound as exc:
            raise ValidationError.one(
                "config", f"owner_org: organization {out['owner_org']} not found"
            ) from exc
    if "fetch_resources" in raw:
        if not isinstance(raw["fetch_resources"], bool):
            raise ValidationError.one("config", "fetch_resources: must be true or false")
        out["fetch_resources"] = raw["fetch_resources"]
    for key, low, high in (("page_size", 1, 1000), ("timeout", 1, 600)):
        if raw.get(key) is not None:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ValidationError.one("config", f"{key}: must be a number from {low} to {high}")
            out[key] = value
    return out


def _check(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for key in ("name", "url", "source_type"):
        value = data.get(key)
        if value is None and partial:
            continue
        if not isinstance(value, str) or not value.strip():
            errors[key] = ["Missing value"]
            continue
        out[key] = value.strip()
    if "name" in out and not NAME.match(out["name"]):
        errors["name"] = ["Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"]
    if "url" in out and not re.match(r"^https?://[^\s/]+", out["url"]):
        errors["url"] = ["Must be an http(s) URL"]
    if "source_type" in out and out["source_type"] not in SOURCE_TYPES:
        errors["source_type"] = [f"Unknown source type: must be one of {', '.join(SOURCE_TYPES)}"]
    frequency = data.get("frequency")
    if frequency is not None and frequency != "":
        if frequency not in FREQUENCIES and str(frequency).lower() not in FREQUENCIES:
            errors["frequency"] = [f"Must be one of {', '.join(f.upper() for f in FREQUENCIES)}"]
        else:
            out["frequency"] = str(frequency).lower()
    if data.get("title") is not None:
        out["title"] = str(data["title"])
    if errors:
        raise ValidationError(errors)
    return out


def next_run_after(frequency: str, now: datetime) -> datetime | None:
    period = PERIODS.get(frequency)
    return now + period if period else None


def create_source(session: Session, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """harvest_source_create: name, url, source_type, frequency (MANUAL), title, config (JSON)."""
    permissions.ensure_sysadmin(actor, "create harvest sources")
    fields = _check(data, partial=False)
    config = parse_config(session, data.get("config"))
    if session.scalar(select(HarvestSource.id).where(HarvestSource.name == fields["name"])):
        raise ValidationError.one("name", "That name is already in use.")
    frequency = fields.get("frequency", "manual")
    source = HarvestSource(
        name=fields["name"], title=fields.get("title") or fields["name"], url=fields["url"],
        source_type=fields["source_type"], frequency=frequency, config=config,
        next_run=next_run_after(frequency, utcnow()),
    )  # fmt: skip
    session.add(source)
    session.flush()
    return source_dict(session, source)


def get_source(session: Session, ref: Any) -> HarvestSource:
    if not isinstance(ref, str) or not ref:
        raise ValidationError.one("id", "Missing value")
    source = session.scalar(
        select(HarvestSource).where(
            (HarvestSource.id == ref) | (HarvestSource.name == ref), HarvestSource.state == "active"
        )
    )
    if source is None:
        raise NotFound("Harvest source not found")
    return source


def update_source(session: Session, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """harvest_source_update: the given fields change (config replaces the whole config)."""
    permissions.ensure_sysadmin(actor, "update harvest sources")
    source = get_source(session, data.get("id") or data.get("name"))
    fields = _check({k: v for k, v in data.items() if k != "id"}, partial=True)
    renamed = fields.get("name") and fields["name"] != source.name
    if renamed and session.scalar(select(HarvestSource.id).where(HarvestSource.name == fields["name"])):
        raise ValidationError.one("name", "That name is already in use.")
    if "config" in data:
        source.config = parse_config(session, data["config"])
    for key, value in fields.items():
        setattr(source, key, value)
    if "frequency" in fields:
        source.next_run = next_run_after(source.frequency, utcnow())
    session.flush()
    return source_dict(session, source)


def delete_source(session: Session, actor: Actor, ref: Any) -> None:
    """harvest_source_delete: the source stops; its harvested datasets stay (as in ckanext-harvest
    without clear_source)."""
    permissions.ensure_sysadmin(actor, "delete harvest sources")
    source = get_source(session, ref)
    source.state, source.next_run = "deleted", None
    session.flush()


def list_sources(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(HarvestSource).where(HarvestSource.state == "active").order_by(HarvestSource.name)
    )
    return [source_dict(session, s) for s in rows]


def _last_job(session: Session, source_id: str) -> HarvestJob | None:
    return session.scalar(
        select(HarvestJob)
        .where(HarvestJob.source_id == source_id)
        .order_by(HarvestJob.created.desc())
        .limit(1)
    )


def source_dict(session: Session, source: HarvestSource) -> dict[str, Any]:
    """ckanext-harvest's harvest_source_show shape (plus Sapan's next_run). The api_token is never
    shown back."""
    config = {k: ("***" if k == "api_token" else v) for k, v in (source.config or {}).items()}
    last = _last_job(session, source.id)
    job_count = session.scalar(
        select(func.count()).select_from(HarvestJob).where(HarvestJob.source_id == source.id)
    )
    total = session.scalar(
        select(func.count()).select_from(HarvestObject).where(HarvestObject.source_id == source.id)
    )
    return {
        "id": source.id, "name": source.name, "title": source.title, "url": source.url,
        "source_type": source.source_type, "type": "harvest", "frequency": source.frequency.upper(),
        "config": json.dumps(config, ensure_ascii=False), "state": source.state,
        "active": source.state == "active",
        "created": iso(source.created), "next_run": iso(source.next_run),
        "status": {
            "job_count": job_count or 0,
            "next_harvest": iso(source.next_run),
            "last_job": job_dict(last) if last else None,
            "total_datasets": total or 0,
        },
    }  # fmt: skip


def job_dict(job: HarvestJob, with_report: bool = False) -> dict[str, Any]:
    """ckanext-harvest's harvest_job_show shape: status, gather/finish times and stats."""
    out: dict[str, Any] = {
        "id": job.id, "source_id": job.source_id, "status": job.status, "created": iso(job.created),
        "gather_started": iso(job.started), "gather_finished": iso(job.finished),
        "finished": iso(job.finished), "progress": round(job.progress, 3), "message": job.message,
        "error": job.error, "bytes_fetched": job.bytes_fetched,
        "stats": {
            "added": job.created_count, "updated": job.updated_count, "deleted": job.deleted_count,
            "errored": job.failed_count, "not modified": job.unchanged_count, "skipped": job.skipped_count,
        },
    }  # fmt: skip
    if with_report:
        out["report"] = job.report
    return out


def create_job(session: Session, actor: Actor, source_ref: Any, background: bool = True) -> dict[str, Any]:
    """harvest_job_create: a run of the source now (a background job of kind `harvest`). A source with
    a run already waiting or running answers ValidationError, as ckanext-harvest does."""
    permissions.ensure_sysadmin(actor, "run harvest jobs")
    source = get_source(session, source_ref)
    # A run older than a day that never finished was lost with its process, and so is one whose
    # background job ended (given up after its workers died): neither blocks.
    runs = session.execute(
        select(HarvestJob.id, HarvestJob.background_job_id).where(
            HarvestJob.source_id == source.id,
            HarvestJob.status.in_(("New", "Running")),
            HarvestJob.created > utcnow() - STALE_RUN,
        )
    ).all()
    waiting = unfinished(session, [job for _, job in runs if job])
    if lost := [run for run, job in runs if job and job not in waiting]:
        session.execute(
            update(HarvestJob)
            .where(HarvestJob.id.in_(lost))
            .values(
                status="Failed", finished=utcnow(), error="The run stopped with its worker and was given up"
            )
        )
    if any(job is None or job in waiting for _, job in runs):
        raise ValidationError.one("source_id", "There already is an unrun job for this source")
    job = HarvestJob(source_id=source.id)
    session.add(job)
    session.flush()
    if background:
        job.background_job_id = enqueue(session, "harvest", {"harvest_job_id": job.id}).id
    return job_dict(job)


def get_job(session: Session, ref: Any) -> HarvestJob:
    if not isinstance(ref, str) or not ref:
        raise ValidationError.one("id", "Missing value")
    job = session.get(HarvestJob, ref)
    if job is None:
        raise NotFound("Harvest job not found")
    return job


def list_jobs(session: Session, source_ref: Any = None, status: str = "") -> list[dict[str, Any]]:
    query = select(HarvestJob).order_by(HarvestJob.created.desc()).limit(1000)
    if source_ref:
        query = query.where(HarvestJob.source_id == get_source(session, source_ref).id)
    if status:
        query = query.where(HarvestJob.status == status)
    return [job_dict(j) for j in session.scalars(query)]
