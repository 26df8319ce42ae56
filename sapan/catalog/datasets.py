"""Datasets: create, show, update, patch, delete, list. Every write is one transaction (the caller's)
and records an activity."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError as PydanticError
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sapan.accounts import permissions
from sapan.accounts.service import Actor
from sapan.catalog import activity
from sapan.catalog.context import CatalogConfig
from sapan.catalog.dictize import dataset_dict
from sapan.catalog.models import Dataset, DatasetTag, Group, License, Resource
from sapan.catalog.profiles import CORE_DATASET_FIELDS, EMAIL
from sapan.catalog.resources import apply_resource_list
from sapan.catalog.schemas import DATASET_OUTPUT_KEYS, DatasetIn, check_tag, pydantic_errors
from sapan.db import utcnow
from sapan.errors import NotAuthorized, NotFound, ValidationError
from sapan.governance import audit, classification, pii
from sapan.governance.scope import PartnerScope
from sapan.search import service as search
from sapan.thai.slug import slugify

NAME_TAKEN = "That URL is already in use."


@dataclass
class _Parsed:
    core: DatasetIn
    name: str
    owner_org: str | None
    profile: dict[str, Any]
    tags: list[str]
    groups: list[Group]
    extras: dict[str, str]


def get_dataset(session: Session, ref: str) -> Dataset:
    ds = session.scalar(select(Dataset).where(or_(Dataset.id == ref, Dataset.name == ref)))
    if ds is None:
        raise NotFound("Dataset not found")
    return ds


def readable_dataset(session: Session, actor: Actor, ref: Any) -> Dataset:
    """The dataset if this actor may see it; NotFound otherwise (private stays invisible)."""
    if not isinstance(ref, str) or not ref:
        raise ValidationError.one("id", "Missing value")
    ds = get_dataset(session, ref)
    category = classification.category_of(ds.profile or {})
    permissions.ensure_read_dataset(actor, ds.owner_org, ds.private, ds.state, ds.level, category)
    return ds


def show_dataset(session: Session, cfg: CatalogConfig, actor: Actor, ref: Any) -> dict[str, Any]:
    return dataset_dict(readable_dataset(session, actor, ref), cfg.site_url)


def create_dataset(
    session: Session, cfg: CatalogConfig, actor: Actor, data: dict[str, Any]
) -> dict[str, Any]:
    """package_create. Raises ValidationError naming each bad field, NotAuthorized."""
    permissions.ensure_logged_in(actor, "create datasets")
    parsed = _parse(session, cfg, data, existing=None)
    permissions.ensure_edit_in(actor, parsed.owner_org, "create datasets")
    _check_governance(session, cfg, actor, parsed, None)
    ds = Dataset(creator_user_id=actor.user_id)
    _apply(session, cfg, ds, parsed, data)
    session.add(ds)
    _flush_unique(session)
    out = dataset_dict(ds, cfg.site_url)
    activity.record(session, actor.user_id, ds.id, "new package", "package", out)
    search.index_dataset(session, cfg, out)
    return out


def update_dataset(
    session: Session, cfg: CatalogConfig, actor: Actor, data: dict[str, Any]
) -> dict[str, Any]:
    """package_update: replaces the dataset with `data` (missing fields are cleared, as in CKAN)."""
    ref = data.get("id") or data.get("name")
    ds = readable_dataset(session, actor, ref)
    permissions.ensure_edit_in(actor, ds.owner_org, "update this dataset")
    before = dataset_dict(ds, cfg.site_url)
    parsed = _parse(session, cfg, {"name": ds.name, **data}, existing=ds)
    if parsed.owner_org != ds.owner_org:
        permissions.ensure_edit_in(actor, parsed.owner_org, "move datasets")
    _check_governance(session, cfg, actor, parsed, ds)
    _apply(session, cfg, ds, parsed, data)
    _flush_unique(session)
    session.refresh(ds)
    out = dataset_dict(ds, cfg.site_url)
    activity.record(session, actor.user_id, ds.id, "changed package", "package", out, before)
    _audit_visibility(session, actor, before, out)
    search.index_dataset(session, cfg, out)
    return out


GOVERNED = ("private", "data_category", "data_classification")  # who may see a dataset
IDENTIFYING = ("thai_id", "sg_nric")  # in a title or description, these block publishing


def _check_no_personal_data(session: Session, parsed: _Parsed, existing: Dataset | None) -> None:
    from sapan.datastore.service import unpublishable_tables

    found = pii.scan_text(" ".join([parsed.core.title or "", parsed.core.notes or ""]))
    if any(kind in found for kind in IDENTIFYING):
        kinds = ", ".join(k for k in IDENTIFYING if k in found)
        raise ValidationError.one("notes", f"The title or description holds personal data ({kinds})")
    if existing is None:
        return
    for table_id, what in unpublishable_tables(
        session, [r.id for r in existing.resources if r.state == "active"]
    ):
        raise ValidationError.one(
            "private",
            f"Table {table_id} holds personal data ({what}): mask those columns or record an approval "
            "(datastore_personal_data_approve) before publishing",
        )


def quarantine(session: Session, cfg: CatalogConfig, resource_id: str, reason: str) -> None:
    """Take a public dataset private because personal data was found in it (audited as the system)."""
    res = session.get(Resource, resource_id)
    ds = session.get(Dataset, res.package_id) if res is not None else None
    if ds is None or ds.private:
        return
    before = dataset_dict(ds, cfg.site_url)
    ds.private, ds.metadata_modified = True, utcnow()
    session.flush()
    out = dataset_dict(ds, cfg.site_url)
    activity.record(session, None, ds.id, "changed package", "package", out, before)
    audit.record(session, "sapan", "dataset.unpublish", "dataset", ds.id, {"reason": reason})
    search.index_dataset(session, cfg, out)


def _check_governance(
    session: Session,
    cfg: CatalogConfig,
    actor: Actor,
    parsed: _Parsed,
    existing: Dataset | None,
    harvested: bool = False,
) -> None:
    """Public only when category public and classification open, and with no unapproved personal data
    in its text or tables; lowering a classification is for the organization's admins (an editor
    could otherwise declassify to publish). A harvested dataset whose source states no licence is
    let through without one (a stated licence that is not open still keeps it out)."""
    governed = cfg.profile.core_field("data_category") is not None
    classification.check_public(bool(parsed.core.private), parsed.profile, governed)
    if not parsed.core.private:
        licence = session.get(License, parsed.core.license_id) if parsed.core.license_id else None
        unstated = harvested and licence is None
        if governed and not unstated and (licence is None or not licence.is_open):
            raise ValidationError.one(
                "license_id", "A public dataset needs an open licence (see license_list)"
            )
        _check_no_personal_data(session, parsed, existing)
    lowered = existing is not None and classification.level_of(parsed.profile) < existing.level
    if lowered and not (
        actor.sysadmin or actor.roles.get((existing and existing.owner_org) or "") == "admin"
    ):
        raise NotAuthorized("Only the organization's admins may lower a dataset's classification")


def _audit_visibility(session: Session, actor: Actor, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Publishing, unpublishing and reclassifying are security events: they go to the audit log."""
    changed = {k: [before.get(k), after.get(k)] for k in GOVERNED if before.get(k) != after.get(k)}
    if not changed:
        return
    action = "dataset.reclassify"
    if "private" in changed:
        action = "dataset.unpublish" if after.get("private") else "dataset.publish"
    audit.record(
        session, actor.name or "anonymous", action, "dataset", str(after["id"]), {"changed": changed}
    )


def patch_dataset(session: Session, cfg: CatalogConfig, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """package_patch: only the given fields change."""
    current = show_dataset(session, cfg, actor, data.get("id") or data.get("name"))
    return update_dataset(session, cfg, actor, {**current, **data, "id": current["id"]})


def delete_dataset(session: Session, cfg: CatalogConfig, actor: Actor, ref: Any) -> None:
    ds = readable_dataset(session, actor, ref)
    permissions.ensure_edit_in(actor, ds.owner_org, "delete this dataset")
    ds.state = "deleted"
    ds.metadata_modified = utcnow()
    session.flush()
    activity.record(
        session, actor.user_id, ds.id, "deleted package", "package", dataset_dict(ds, cfg.site_url)
    )
    search.remove_dataset(session, ds.id)


def list_names(session: Session, actor: Actor, limit: int | None = None, offset: int = 0) -> list[str]:
    """package_list: names of public, active datasets (a partner's: those its agreement allows)."""
    query = (
        select(Dataset.name)
        .where(Dataset.state == "active", Dataset.private.is_(False))
        .order_by(Dataset.name)
        .offset(offset)
    )
    if actor.partner is not None:
        query = query.where(visible_to(actor))
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def dicts_by_ids(session: Session, site_url: str, ids: list[str]) -> list[dict[str, Any]]:
    """Package dicts for these ids, in the same order (for search results)."""
    if not ids:
        return []
    found = {ds.id: ds for ds in session.scalars(select(Dataset).where(Dataset.id.in_(ids)))}
    return [dataset_dict(found[i], site_url) for i in ids if i in found]


def list_tags(session: Session, containing: str = "", actor: Actor | None = None) -> list[str]:
    """tag_list: tags of public, active datasets (private datasets' tags stay private; a partner's:
    of the datasets its agreement allows)."""
    query = (
        select(DatasetTag.name)
        .join(Dataset, Dataset.id == DatasetTag.dataset_id)
        .where(Dataset.state == "active", Dataset.private.is_(False))
        .distinct()
        .order_by(DatasetTag.name)
    )
    if containing:
        query = query.where(DatasetTag.name.contains(containing))
    if actor is not None and actor.partner is not None:
        query = query.where(visible_to(actor))
    return list(session.scalars(query))


def reindex_datasets(session: Session, cfg: CatalogConfig, dataset_ids: list[str]) -> None:
    """Refresh these datasets in the search index (after a change to their organization or group)."""
    for ds in session.scalars(select(Dataset).where(Dataset.id.in_(dataset_ids))):
        search.index_dataset(session, cfg, dataset_dict(ds, cfg.site_url))


def all_dataset_dicts(session: Session, site_url: str, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every dataset that is not deleted, as package dicts, streamed in batches (for reindexing)."""
    last = ""
    while True:
        rows = list(
            session.scalars(
                select(Dataset)
                .where(Dataset.state != "deleted", Dataset.id > last)
                .order_by(Dataset.id)
                .limit(batch)
            )
        )
        if not rows:
            return
        for ds in rows:
            yield dataset_dict(ds, site_url)
        last = rows[-1].id
        session.expunge_all()


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """SQL for the datasets this (non-sysadmin) actor may see: public ones, and private ones of their
    organizations up to their clearance there; for a partner, the public ones its agreement allows."""
    if actor.partner is not None:
        return _partner_allows(actor.partner)
    cleared = [
        and_(Dataset.owner_org == org, Dataset.level <= actor.clearances.get(org, 0)) for org in actor.roles
    ]
    return or_(Dataset.private.is_(False), *cleared)


def _partner_allows(scope: PartnerScope) -> ColumnElement[bool]:
    """SQL twin of PartnerScope.allows: public, active, an allowed level and category (none = public)."""
    category = func.coalesce(Dataset.profile["data_category"].as_string(), classification.PUBLIC_CATEGORY)
    return and_(
        Dataset.private.is_(False),
        Dataset.state == "active",
        Dataset.level.in_(sorted(scope.levels)),
        category.in_(sorted(scope.categories)),
    )


def list_recent(
    session: Session, cfg: CatalogConfig, actor: Actor, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    """current_package_list_with_resources: newest changes first, only what the actor may see."""
    query = select(Dataset).where(Dataset.state == "active")
    if not actor.sysadmin:
        query = query.where(visible_to(actor))
    query = query.order_by(Dataset.metadata_modified.desc()).offset(offset).limit(limit)
    return [dataset_dict(ds, cfg.site_url) for ds in session.scalars(query)]


def _flush_unique(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # two writers raced for the same name
        raise ValidationError.one("name", NAME_TAKEN) from exc


def _parse(
    session: Session,
    cfg: CatalogConfig,
    data: dict[str, Any],
    existing: Dataset | None,
    harvested: bool = False,
) -> _Parsed:
    """Check every field, collecting all errors so the client can fix them in one go. A harvested
    dataset need not have the fields the profile requires: its source did not ask for them."""
    if not isinstance(data, dict):
        raise ValidationError.one("__all__", "Expected a JSON object")
    profile = cfg.profile
    profile_names = {f.name for f in profile.extra_dataset_fields}
    errors: dict[str, list[str]] = {}
    core_input = {k: v for k, v in data.items() if k in CORE_DATASET_FIELDS and k != "id"}
    for key in data:
        if key not in CORE_DATASET_FIELDS and key not in profile_names and key not in DATASET_OUTPUT_KEYS:
            errors[key] = ["The field is not in the dataset schema"]
    core = DatasetIn()
    try:
        core = DatasetIn.model_validate(core_input)
    except PydanticError as exc:
        errors.update(pydantic_errors(exc))
    profile_values, profile_errors = profile.validate_dataset(data)
    if harvested:
        profile_errors = {k: v for k, v in profile_errors.items() if v != ["Missing value"]}
    errors.update(profile_errors)

    if harvested and core.name and "name" not in errors:
        name = core.name  # the harvester found it free; the unique index still stops a race
    else:
        name = _name(session, core, existing, errors)
    owner_org = _owner_org(session, core.owner_org, errors, session.info if harvested else None)
    tags = _tags(core, errors)
    groups = _groups(session, core, errors)
    extras = _extras(core, profile_names, errors)
    if core.license_id and not session.get(License, core.license_id):
        errors["license_id"] = [f"License {core.license_id} does not exist"]
    for field in ("author_email", "maintainer_email"):
        value = getattr(core, field)
        if value and not EMAIL.match(value):
            errors.setdefault(field, []).append(f"Email {value} is not a valid format")
    for f in profile.dataset_fields:  # the profile may make core fields required (GDC does)
        if (
            harvested
            or f.name not in CORE_DATASET_FIELDS
            or f.name in ("name", "owner_org")
            or f.name in errors
        ):
            continue
        value = (
            (tags or data.get("tags") or data.get("tag_string"))
            if f.name == "tag_string"
            else data.get(f.name)
        )
        if f.required and (value is None or value == "" or value == []):
            errors.setdefault("tags" if f.name == "tag_string" else f.name, []).append("Missing value")
    if errors:
        raise ValidationError(errors)
    return _Parsed(core, name, owner_org, profile_values, tags, groups, extras)


def _name(session: Session, core: DatasetIn, existing: Dataset | None, errors: dict[str, list[str]]) -> str:
    if "name" in errors:
        return ""
    if core.name:
        clash = session.scalar(select(Dataset.id).where(Dataset.name == core.name))
        if clash and (existing is None or clash != existing.id):
            errors["name"] = [NAME_TAKEN]
        return core.name
    slug = slugify(core.title or "")
    if not slug:
        errors["name"] = ["Missing value"]
        return ""
    # A title-made slug never fails for being taken: number it instead.
    taken = set(session.scalars(select(Dataset.name).where(Dataset.name.like(f"{slug[:96]}%"))))
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug[: 100 - len(str(n)) - 1]}-{n}"
    return candidate


def _owner_org(
    session: Session, ref: str | None, errors: dict[str, list[str]], memo: dict[str, Any] | None = None
) -> str | None:
    """The organization's id. `memo` (a harvest's session.info) keeps ids already found: a harvest
    stores thousands of datasets of a few organizations in one transaction."""
    if not ref:
        return None
    known = memo.setdefault("owner_org_ids", {}) if memo is not None else {}
    if ref in known:
        return str(known[ref])
    org_id = session.scalar(
        select(Group.id).where(
            or_(Group.id == ref, Group.name == ref), Group.is_organization.is_(True), Group.state == "active"
        )
    )
    if org_id is None:
        errors["owner_org"] = ["Organization does not exist"]
    else:
        known[ref] = org_id
    return org_id


def _tags(core: DatasetIn, errors: dict[str, list[str]]) -> list[str]:
    names = [t.name for t in core.tags or []]
    if core.tag_string:
        for raw in core.tag_string.split(","):
            if raw.strip():
                try:
                    names.append(check_tag(raw))
                except ValueError as exc:
                    errors.setdefault("tag_string", []).append(str(exc))
    return list(dict.fromkeys(names))


def _groups(session: Session, core: DatasetIn, errors: dict[str, list[str]]) -> list[Group]:
    found: list[Group] = []
    for ref in core.groups or []:
        key = ref.id or ref.name
        group = key and session.scalar(
            select(Group).where(
                or_(Group.id == key, Group.name == key),
                Group.is_organization.is_(False),
                Group.state == "active",
            )
        )
        if not group:
            errors.setdefault("groups", []).append(f"Group {key} does not exist")
        elif group not in found:
            found.append(group)
    return found


def _extras(core: DatasetIn, profile_names: set[str], errors: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for extra in core.extras or []:
        if extra.state == "deleted":
            continue
        if extra.key in CORE_DATASET_FIELDS or extra.key in profile_names:
            errors.setdefault("extras", []).append(f"There is a schema field with the same name: {extra.key}")
        elif not extra.key.strip():
            errors.setdefault("extras", []).append("An extra needs a key")
        else:
            out[extra.key] = extra.value if isinstance(extra.value, str) else str(extra.value)
    return out


def _apply(
    session: Session,
    cfg: CatalogConfig,
    ds: Dataset,
    parsed: _Parsed,
    data: dict[str, Any],
    taken_resource_ids: set[str] | None = None,
) -> None:
    core = parsed.core
    ds.name = parsed.name
    ds.title = core.title or parsed.name
    for field in ("notes", "author", "author_email", "maintainer", "maintainer_email", "url", "version"):
        setattr(ds, field, getattr(core, field) or "")
    ds.license_id = core.license_id or None
    ds.type = core.type or "dataset"
    ds.private = core.private
    ds.state = core.state or "active"
    ds.owner_org = parsed.owner_org
    ds.organization = session.get(Group, parsed.owner_org) if parsed.owner_org else None
    ds.profile = parsed.profile
    ds.level = classification.level_of(parsed.profile)
    ds.extras = parsed.extras
    ds.tags = [DatasetTag(name=t) for t in parsed.tags]
    ds.groups = parsed.groups
    ds.metadata_modified = utcnow()
    if core.resources is not None:
        apply_resource_list(session, cfg, ds, core.resources, taken_resource_ids)


def count_indexable(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Dataset).where(Dataset.state != "deleted")) or 0
    )


def list_editable(
    session: Session, cfg: CatalogConfig, actor: Actor, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """The datasets this actor may edit (their organizations' where they are editor or admin; all for
    sysadmins), drafts and private ones included, newest changes first: the portal's "my datasets"."""
    if actor.is_anonymous:
        return []
    query = select(Dataset).where(Dataset.state != "deleted")
    if not actor.sysadmin:
        editing = [org for org, role in actor.roles.items() if role in permissions.EDITING]
        query = query.where(Dataset.owner_org.in_(editing))
    query = query.order_by(Dataset.metadata_modified.desc()).offset(offset).limit(limit)
    return [dataset_dict(ds, cfg.site_url) for ds in session.scalars(query)]
