"""Applying a source's listing to the catalogue, in the caller's transaction: per record, decide
(unchanged, skipped, deleted, updated, created), then write. New datasets are written in batches
(one flush and bulk index writes per batch): a first harvest of a national portal is all creations."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sapan.accounts.service import Actor, site_actor
from sapan.catalog import imports
from sapan.catalog.context import CatalogConfig
from sapan.catalog.datasets import delete_dataset
from sapan.db import new_id, utcnow
from sapan.errors import NotFound, SapanError, ValidationError
from sapan.harvest.backend import Listing, RemoteRecord, SourceSettings
from sapan.harvest.files import enqueue_files
from sapan.harvest.inbound import inbound_refusal
from sapan.harvest.mapping import content_hash, importable
from sapan.harvest.models import HarvestObject, HarvestSource
from sapan.search import service as search
from sapan.thai.slug import slugify

PUBLIC_OPEN = {"data_category": "ข้อมูลสาธารณะ", "data_classification": "เปิดเผย"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
REPORT_LIMIT = 2000  # entries kept per run (a first run of 30,000 datasets would be all "created")
BATCH = 2000
ACTIONS = ("created", "updated", "deleted", "failed", "unchanged", "skipped")


@dataclass
class Outcome:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    report: list[dict[str, Any]] = field(default_factory=list)
    ids: dict[str, list[str]] = field(default_factory=lambda: {"created": [], "updated": [], "deleted": []})

    def add(self, action: str, remote_id: str, dataset_id: str = "", reason: str = "") -> None:
        self.counts[action] += 1
        if action in self.ids and dataset_id:
            self.ids[action].append(dataset_id)
        if action != "unchanged" and len(self.report) < REPORT_LIMIT:
            entry = {"remote_id": remote_id, "dataset_id": dataset_id, "action": action}
            self.report.append({**entry, "reason": reason} if reason else entry)


@dataclass
class Change:
    """A record to write: its dataset dict, what it hashes to and its harvest object."""

    record: RemoteRecord
    data: dict[str, Any]
    digest: str
    object_id: str
    obj: HarvestObject | None
    notes: list[str] = field(default_factory=list)  # what the profile could not hold (dropped)


def reason_of(exc: SapanError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())
    return str(exc)


class Applier:
    def __init__(self, session: Session, cfg: CatalogConfig, source: SourceSettings) -> None:
        self.session, self.cfg, self.source = session, cfg, source
        self.actor: Actor = site_actor(session)
        self.outcome = Outcome()
        self.source_row = session.get(HarvestSource, source.id)
        self.objects = {
            o.remote_id: o
            for o in session.scalars(select(HarvestObject).where(HarvestObject.source_id == source.id))
        }
        self.organizations: dict[str, str] = {}  # the source's organization name -> local id
        self.names: set[str] = set()  # names given in this run (not flushed yet)
        self.taken = imports.dataset_names(session)  # name -> dataset id, read once, not per record
        self.new: list[Change] = []
        self.held = imports.licences(session)  # kept in the identity map: no query per dataset

    def apply(self, listing: Listing) -> Outcome:
        """Bring the harvested datasets in line with the listing."""
        for remote_id, reason in listing.failures:
            self.outcome.add("failed", remote_id, reason=reason)
        seen: set[str] = set()
        changed: list[dict[str, Any]] = []
        for record in listing.records:
            seen.add(record.remote_id)
            obj = self.objects.get(record.remote_id)
            try:
                change = self.decide(record, obj)
                if change is None:
                    continue
                if change.obj is not None and imports.dataset_exists(self.session, change.obj.dataset_id):
                    changed.append(self.update(change))
                else:
                    self.new.append(change)
                    if len(self.new) >= BATCH:
                        self.create_batch()
            except SapanError as exc:
                self.outcome.add("failed", record.remote_id, obj.dataset_id if obj else "", reason_of(exc))
            if len(changed) >= BATCH:
                search.index_datasets(self.session, self.cfg, changed)
                changed.clear()
        self.create_batch()
        search.index_datasets(self.session, self.cfg, changed)
        self.sweep(listing, seen)
        return self.outcome

    def decide(self, record: RemoteRecord, obj: HarvestObject | None) -> Change | None:
        """The change this record makes, or None when it makes none (reported here)."""
        if len(record.remote_id) > 500:  # harvest_object.remote_id's size
            raise ValidationError.one("id", "The source's identifier is longer than 500 characters")
        data, notes = importable(dict(record.package), self.cfg.profile)
        if not _wanted(self.source, record):
            if obj is not None:
                self.delete(obj, "no longer matches the source's filters")
            return None
        if record.public and self.cfg.profile.core_field("data_category") is not None:
            for key, value in PUBLIC_OPEN.items():  # a source without classifications publishes open data
                data.setdefault(key, value)
        refusal = inbound_refusal(self.session, self.source_row, {**data, "private": not record.public})
        if refusal:
            if obj is not None:
                self.delete(obj, refusal)
            else:
                self.outcome.add("skipped", record.remote_id, reason=refusal)
            return None
        digest = content_hash({
            "data": data, "organization": record.organization, "licence": record.licence,
            "owner_org": self.source.owner_org, "prefix": self.source.name_prefix,
        })  # fmt: skip
        if obj is not None and obj.content_hash == digest:
            self.outcome.add("unchanged", record.remote_id, obj.dataset_id)
            return None
        self.localise(record, data, obj.dataset_id if obj is not None else None)
        object_id = obj.id if obj is not None else new_id()
        data["extras"] = data["extras"] + _provenance(self.source, record, object_id)
        return Change(record, data, digest, object_id, obj, notes)

    def localise(self, record: RemoteRecord, data: dict[str, Any], existing_id: str | None) -> None:
        """This portal's organization, licence, groups and name for the record."""
        data["owner_org"] = self.owner(record)
        lic = record.licence
        if lic.get("id") or lic.get("title") or lic.get("url"):
            data["license_id"] = imports.licence_for(
                self.session,
                lic.get("id", ""),
                lic.get("title", ""),
                lic.get("url", ""),
                bool(lic.get("is_open")),
            )
        if data["groups"]:
            known = imports.existing_group_names(self.session, [g["name"] for g in data["groups"]])
            data["groups"] = [g for g in data["groups"] if g["name"] in known]
        data["name"] = self.local_name(record, data, existing_id)

    def owner(self, record: RemoteRecord) -> str | None:
        if self.source.owner_org:
            return self.source.owner_org
        org = record.organization
        if not org or not org.get("name"):
            return None
        name = slugify(org["name"]) or org["name"]
        if name not in self.organizations:
            self.organizations[name] = imports.organization_for(
                self.session, self.actor, name, org.get("title", ""), org.get("description", "")
            )
        return self.organizations[name]

    def local_name(self, record: RemoteRecord, data: dict[str, Any], existing_id: str | None) -> str:
        """The source's name when it is free here (or already this dataset's); else prefixed with the
        source's prefix (its name by default), numbered if even that is taken."""
        base = slugify(record.remote_name) if record.remote_name else ""
        base = base if len(base) >= 2 else slugify(data.get("title") or "") or "dataset"
        prefix = self.source.name_prefix or self.source.name
        candidates = [base, f"{prefix}-{base}"[:100]] + [
            f"{prefix}-{base}"[:95] + f"-{n}" for n in range(2, 50)
        ]
        for name in candidates:
            if name in self.names:
                continue
            owner = self.taken.get(name)
            if owner is None or owner == existing_id:
                self.names.add(name)
                return name
        return f"{prefix}-{record.remote_id}"[:100]

    def update(self, change: Change) -> dict[str, Any]:
        obj = change.obj
        assert obj is not None
        out = imports.import_dataset(
            self.session, self.cfg, self.actor, change.data, obj.dataset_id, index=False
        )
        obj.original_url, obj.content_hash = change.record.original_url, change.digest
        obj.metadata_modified, obj.harvested_at = change.record.modified[:40], utcnow()
        self.outcome.add("updated", change.record.remote_id, out["id"], "; ".join(change.notes))
        self.after_write(out)
        return out

    def create_batch(self) -> None:
        batch, self.new = self.new, []
        if not batch:
            return
        items = [(c.data, c.record.remote_id if UUID.match(c.record.remote_id) else None) for c in batch]
        results = imports.create_imported(self.session, self.cfg, self.actor, items)
        made: list[dict[str, Any]] = []
        now = utcnow()
        for change, result in zip(batch, results, strict=True):
            record = change.record
            if isinstance(result, SapanError):
                self.outcome.add("failed", record.remote_id, reason=reason_of(result))
                continue
            if change.obj is not None:  # its dataset was deleted here: harvested anew
                self.session.delete(change.obj)
                self.session.flush()
            self.session.add(HarvestObject(
                id=change.object_id, source_id=self.source.id, remote_id=record.remote_id,
                dataset_id=result["id"], original_url=record.original_url, content_hash=change.digest,
                metadata_modified=record.modified[:40], harvested_at=now,
            ))  # fmt: skip
            self.outcome.add("created", record.remote_id, result["id"], "; ".join(change.notes))
            self.after_write(result)
            made.append(result)
        search.index_datasets(self.session, self.cfg, made, new=True, later=True)

    def after_write(self, dataset: dict[str, Any]) -> None:
        if self.source.fetch_resources:
            enqueue_files(self.session, self.source.id, dataset)

    def sweep(self, listing: Listing, seen: set[str]) -> None:
        """Harvested records the listing no longer has are deleted here; with an incremental listing,
        those the source still has are unchanged."""
        for remote_id in listing.unchanged:
            if remote_id in self.objects:
                seen.add(remote_id)
                self.outcome.add("unchanged", remote_id, self.objects[remote_id].dataset_id)
        for remote_id, obj in self.objects.items():
            if remote_id in seen:
                continue
            name = obj.original_url.rsplit("/", 1)[-1]  # a CKAN source's dataset page ends with its name
            present = listing.present is not None and (
                name in listing.present or remote_id in listing.present
            )
            if listing.complete or not present:
                self.delete(obj, "gone from the source")
            else:
                self.outcome.add("unchanged", remote_id, obj.dataset_id)

    def delete(self, obj: HarvestObject, why: str) -> None:
        with contextlib.suppress(NotFound):
            delete_dataset(self.session, self.cfg, self.actor, obj.dataset_id)
        self.outcome.add("deleted", obj.remote_id, obj.dataset_id, why)
        self.session.delete(obj)


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
