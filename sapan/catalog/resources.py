"""Resources of a dataset: links or uploaded files kept in storage/."""

from __future__ import annotations

import mimetypes
import posixpath
from dataclasses import dataclass
from typing import IO, Any

from pydantic import ValidationError as PydanticError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sapan.accounts import permissions
from sapan.accounts.service import Actor
from sapan.catalog import activity
from sapan.catalog.context import CatalogConfig
from sapan.catalog.dictize import dataset_dict, resource_dict
from sapan.catalog.models import Dataset, Resource
from sapan.catalog.profiles import CORE_RESOURCE_FIELDS
from sapan.catalog.schemas import RESOURCE_OUTPUT_KEYS, ResourceIn, pydantic_errors
from sapan.db import new_id, utcnow
from sapan.errors import NotFound, ValidationError
from sapan.governance import classification
from sapan.jobs.service import enqueue
from sapan.realtime.schemas import REALTIME_KEYS
from sapan.search import service as search


@dataclass
class Upload:
    """A file sent with resource_create/update (multipart field `upload`)."""

    filename: str
    stream: IO[bytes]
    content_type: str | None = None


def safe_filename(name: str) -> str:
    """Keep only the base name: 'a/../../etc/passwd' -> 'passwd'; Windows paths too."""
    base = posixpath.basename(name.replace("\\", "/")).strip().lstrip(".")
    base = "".join(ch for ch in base if ch.isprintable())
    return base[:200] or "upload"


def _parse(cfg: CatalogConfig, data: dict[str, Any], prefix: str = "") -> tuple[ResourceIn, dict[str, Any]]:
    """Validate one resource dict; unknown scalar keys are kept as extras, as CKAN does."""
    profile = cfg.profile
    profile_names = {f.name for f in profile.extra_resource_fields}
    core_keys = set(ResourceIn.model_fields)
    errors: dict[str, list[str]] = {}
    extras: dict[str, Any] = {}
    for key, value in data.items():
        if key in core_keys or key in RESOURCE_OUTPUT_KEYS or key in profile_names or key in REALTIME_KEYS:
            continue  # a real-time feed's settings live in its feed (sapan/realtime)
        if isinstance(value, (str, int, float, bool)) or value is None:
            extras[key] = value
        else:
            errors[prefix + key] = ["Must be a string, number or boolean"]
    parsed = ResourceIn()
    try:
        parsed = ResourceIn.model_validate({k: v for k, v in data.items() if k in core_keys})
    except PydanticError as exc:
        errors.update(pydantic_errors(exc, prefix))
    values, profile_errors = profile.validate_resource(data)
    errors.update({prefix + k: v for k, v in profile_errors.items()})
    for f in profile.resource_fields:
        if (
            f.required
            and f.name in CORE_RESOURCE_FIELDS
            and f.name != "url"
            and not getattr(parsed, f.name, 1)
        ):
            errors.setdefault(prefix + f.name, []).append("Missing value")
    if errors:
        raise ValidationError(errors)
    return parsed, {**extras, **values}


def _fill(res: Resource, parsed: ResourceIn, extras: dict[str, Any]) -> None:
    res.name = parsed.name or ""
    res.description = parsed.description or ""
    if res.url_type != "upload":
        res.url = parsed.url or ""
        res.mimetype = parsed.mimetype
    res.format = (parsed.format or "").strip() or _format_of(res.url)
    res.extras = extras
    res.metadata_modified = utcnow()


def _format_of(filename: str) -> str:
    ext = posixpath.splitext(filename.split("?")[0])[1].lstrip(".")
    return ext.upper() if 0 < len(ext) <= 8 else ""


TABULAR = frozenset({"CSV", "TSV", "TXT", "XLSX", "XLS", "ODS", "JSON", "GEOJSON"})


def is_tabular(res: Resource) -> bool:
    """Whether the DataStore should turn this resource's file into a table (a file that is not one
    after all gets an ingest report saying why)."""
    extension = _format_of(res.url or "")
    return res.url_type == "upload" and (res.format.upper() in TABULAR or extension in TABULAR)


@dataclass
class StoredFile:
    key: str
    size: int | None
    filename: str
    format: str


def stored_file(session: Session, resource_id: str) -> StoredFile:
    """Where an uploaded resource's file is and what it claims to be (for the DataStore's ingest)."""
    res = session.get(Resource, resource_id)
    if res is None or res.state != "active" or not res.storage_key:
        raise NotFound("Resource has no uploaded file")
    return StoredFile(res.storage_key, res.size, posixpath.basename(res.url or ""), res.format or "")


def upload_keys(session: Session, resource_ids: list[str]) -> set[str]:
    """The storage keys these resources' rows point at, deleted resources' included."""
    found = session.scalars(
        select(Resource.storage_key).where(Resource.id.in_(resource_ids), Resource.storage_key.is_not(None))
    )
    return {key for key in found if key}


def set_datastore_active(session: Session, resource_id: str, active: bool) -> None:
    res = session.get(Resource, resource_id)
    if res is not None:
        res.datastore_active = active


def _store(cfg: CatalogConfig, res: Resource, upload: Upload) -> None:
    filename = safe_filename(upload.filename)
    key = f"resources/{res.id}/{new_id()}/{filename}"
    size, digest = cfg.storage.write(key, upload.stream, cfg.max_upload_bytes)
    res.url, res.url_type, res.storage_key = filename, "upload", key
    res.size, res.hash = size, f"sha256:{digest}"
    res.mimetype = (
        upload.content_type if upload.content_type not in (None, "application/octet-stream") else None
    )
    res.mimetype = res.mimetype or mimetypes.guess_type(filename)[0]
    res.last_modified = utcnow()


def apply_resource_list(
    session: Session,
    cfg: CatalogConfig,
    ds: Dataset,
    items: list[dict[str, Any]],
    taken: set[str] | None = None,
) -> None:
    """Make the dataset's resources exactly `items` (package_update semantics): listed ids are kept,
    others are deleted, new ones are added in order. `taken`: the resource ids of `items` already in
    use, when the caller looked them up at once for many datasets."""
    existing = {r.id: r for r in ds.resources if r.state == "active"}
    keep: list[Resource] = []
    feeds: list[tuple[Resource, dict[str, Any]]] = []
    errors: dict[str, list[str]] = {}
    for i, item in enumerate(items):
        try:
            parsed, extras = _parse(cfg, item, prefix=f"resources.{i}.")
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        res = existing.pop(parsed.id, None) if parsed.id else None
        if res is None:
            in_use = parsed.id and (
                parsed.id in taken if taken is not None else session.get(Resource, parsed.id) is not None
            )
            res = Resource(id=parsed.id if parsed.id and not in_use else new_id())
            res.created = utcnow()
        elif res.url_type == "upload" and parsed.url and not parsed.url.endswith("/" + res.url):
            res.url_type, res.storage_key, res.size, res.hash = None, None, None, ""  # now a link
        was_realtime = (res.extras or {}).get("resource_type") == "realtime"
        _fill(res, parsed, extras)
        if was_realtime or item.get("resource_type") == "realtime":
            feeds.append((res, item))
        res.position = i
        keep.append(res)
    if errors:
        raise ValidationError(errors)
    for gone in existing.values():
        gone.state = "deleted"
    ds.resources = keep + list(existing.values())
    for res, item in feeds:
        _realtime(session, cfg, res, item)


def get_resource(session: Session, actor: Actor, ref: Any) -> tuple[Resource, Dataset]:
    if not isinstance(ref, str) or not ref:
        raise ValidationError.one("id", "Missing value")
    res = session.get(Resource, ref)
    if res is None or res.state != "active":
        raise NotFound("Resource not found")
    ds = res.dataset
    try:
        category = classification.category_of(ds.profile or {})
        permissions.ensure_read_dataset(actor, ds.owner_org, ds.private, ds.state, ds.level, category)
    except NotFound as exc:
        raise NotFound("Resource not found") from exc
    return res, ds


def readable_owner(session: Session, actor: Actor, resource_id: Any) -> str | None:
    """The owner organization of an active resource the actor may read (one query: real-time reads
    call it on every request); NotFound otherwise, as get_resource."""
    if not isinstance(resource_id, str) or not resource_id:
        raise ValidationError.one("id", "Missing value")
    found = session.execute(
        select(Dataset.owner_org, Dataset.private, Dataset.state, Dataset.level, Dataset.profile)
        .join(Resource, Resource.package_id == Dataset.id)
        .where(Resource.id == resource_id, Resource.state == "active")
    ).first()
    if found is None:
        raise NotFound("Resource not found")
    owner, private, state, level, profile = found
    category = classification.category_of(profile or {})
    if not permissions.can_read_dataset(actor, owner, private, state, level, category):
        raise NotFound("Resource not found")
    return owner


def active_resource_ids(session: Session, ids: list[str]) -> set[str]:
    """Which of these resources are active in an active dataset (a deleted one's feed stops polling)."""
    if not ids:
        return set()
    found = session.scalars(
        select(Resource.id)
        .join(Dataset, Dataset.id == Resource.package_id)
        .where(Resource.id.in_(ids), Resource.state == "active", Dataset.state != "deleted")
    )
    return set(found)


def show_resource(session: Session, cfg: CatalogConfig, actor: Actor, ref: Any) -> dict[str, Any]:
    res, _ = get_resource(session, actor, ref)
    return resource_dict(res, cfg.site_url)


def create_resource(
    session: Session, cfg: CatalogConfig, actor: Actor, data: dict[str, Any], upload: Upload | None = None
) -> dict[str, Any]:
    """resource_create: a link (`url`) or an uploaded file. The file is stored before the row is
    written; if anything fails the caller's rollback leaves the catalogue as it was."""
    from sapan.catalog.datasets import readable_dataset

    ds = readable_dataset(session, actor, data.get("package_id"))
    permissions.ensure_edit_in(actor, ds.owner_org, "add resources to this dataset")
    before = dataset_dict(ds, cfg.site_url)
    parsed, extras = _parse(cfg, data)
    realtime = data.get("resource_type") == "realtime"
    if upload is None and not parsed.url and not realtime:
        raise ValidationError.one("url", "Missing value: give a url or upload a file")
    res = Resource(id=new_id(), package_id=ds.id, created=utcnow())
    res.position = len([r for r in ds.resources if r.state == "active"])
    if upload is not None:
        _store(cfg, res, upload)
    _fill(res, parsed, extras)
    ds.resources.append(res)
    if realtime:
        _realtime(session, cfg, res, data)
    _touch(session, cfg, actor, ds, before)
    if upload is not None and is_tabular(res):
        enqueue(session, "ingest", {"resource_id": res.id})  # runs after this transaction commits
    return resource_dict(res, cfg.site_url)


def update_resource(
    session: Session,
    cfg: CatalogConfig,
    actor: Actor,
    data: dict[str, Any],
    upload: Upload | None = None,
    patch: bool = False,
) -> dict[str, Any]:
    res, ds = get_resource(session, actor, data.get("id"))
    permissions.ensure_edit_in(actor, ds.owner_org, "update this resource")
    before = dataset_dict(ds, cfg.site_url)
    if patch:
        data = {**resource_dict(res, cfg.site_url), **data}
    parsed, extras = _parse(cfg, data)
    realtime = (
        data.get("resource_type") == "realtime" or (res.extras or {}).get("resource_type") == "realtime"
    )
    if upload is not None:
        _store(cfg, res, upload)
    elif res.url_type == "upload" and parsed.url and not parsed.url.endswith("/" + res.url):
        res.url_type, res.storage_key, res.size, res.hash = None, None, None, ""
    _fill(res, parsed, extras)
    if realtime:
        _realtime(session, cfg, res, data)
    _touch(session, cfg, actor, ds, before)
    if upload is not None and is_tabular(res):
        enqueue(session, "ingest", {"resource_id": res.id})
    return resource_dict(res, cfg.site_url)


def delete_resource(session: Session, cfg: CatalogConfig, actor: Actor, ref: Any) -> None:
    res, ds = get_resource(session, actor, ref)
    permissions.ensure_edit_in(actor, ds.owner_org, "delete this resource")
    before = dataset_dict(ds, cfg.site_url)
    res.state = "deleted"
    _touch(session, cfg, actor, ds, before)


def _realtime(session: Session, cfg: CatalogConfig, res: Resource, data: dict[str, Any]) -> None:
    """A real-time resource: its feed settings go to its feed; its URL is where its latest values are."""
    from sapan.realtime.feeds import configure_feed

    session.flush()  # the resource's row first: the feed's refers to it
    configure_feed(session, res, data, cfg.realtime_min_poll_seconds)
    res.url = f"{cfg.site_url.rstrip('/')}/api/realtime/{res.id}/latest"
    res.format = res.format or "JSON"


def _touch(session: Session, cfg: CatalogConfig, actor: Actor, ds: Dataset, before: dict[str, Any]) -> None:
    ds.metadata_modified = utcnow()
    session.flush()
    after = dataset_dict(ds, cfg.site_url)
    activity.record(session, actor.user_id, ds.id, "changed package", "package", after, before)
    search.index_dataset(session, cfg, after)


def download_target(session: Session, actor: Actor, dataset_ref: str, resource_id: str) -> Resource:
    """The uploaded resource behind a download URL, if the actor may read it."""
    res, ds = get_resource(session, actor, resource_id)
    if dataset_ref not in (ds.id, ds.name) or res.url_type != "upload" or not res.storage_key:
        raise NotFound("Resource not found")
    from sapan.datastore.service import file_withheld

    # only tabular files are scanned (and masked): others skip the lookups
    if (
        is_tabular(res)
        and not permissions.can_edit_in(actor, ds.owner_org)
        and file_withheld(session, res.id)
    ):
        raise NotFound("This file is being checked for personal data, or holds data its table masks")
    return res
