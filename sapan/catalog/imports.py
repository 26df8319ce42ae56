"""Writing datasets that come from another catalogue (harvesting): the same checks and side effects
as package_create/package_update, except that the profile's required fields are not required (the
source never asked for them), the dataset may keep its source's id, and indexing may be batched."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sapan.accounts.service import Actor
from sapan.catalog import activity
from sapan.catalog.context import CatalogConfig
from sapan.catalog.datasets import _apply, _check_governance, _flush_unique, _parse
from sapan.catalog.dictize import dataset_dict
from sapan.catalog.groups import create_group
from sapan.catalog.models import Dataset, Group, License, Resource
from sapan.db import new_id
from sapan.errors import SapanError
from sapan.search import service as search


def import_dataset(
    session: Session,
    cfg: CatalogConfig,
    actor: Actor,
    data: dict[str, Any],
    existing_id: str | None = None,
    new_dataset_id: str | None = None,
    index: bool = True,
) -> dict[str, Any]:
    """Create (or, with existing_id, replace) a harvested dataset; returns its package dict. Raises
    ValidationError (before writing anything) when the record cannot be stored. With index=False the
    caller indexes the returned dict itself (in batches)."""
    existing = session.get(Dataset, existing_id) if existing_id else None
    before = dataset_dict(existing, cfg.site_url) if existing is not None else None
    parsed = _parse(session, cfg, data, existing, harvested=True)
    _check_governance(session, cfg, actor, parsed, existing, harvested=True)
    if existing is None:
        free = new_dataset_id and session.get(Dataset, new_dataset_id) is None
        ds = Dataset(id=new_dataset_id if free else new_id(), creator_user_id=actor.user_id)
    else:
        ds = existing
    _apply(session, cfg, ds, parsed, data)
    if existing is None:
        session.add(ds)
    _flush_unique(session)
    if existing is not None:
        session.refresh(ds)
    out = dataset_dict(ds, cfg.site_url)
    kind = "new package" if existing is None else "changed package"
    activity.record(session, actor.user_id, ds.id, kind, "package", out, before)
    if index:
        search.index_dataset(session, cfg, out)
    return out


def dataset_exists(session: Session, dataset_id: str) -> bool:
    return session.get(Dataset, dataset_id) is not None


def dataset_names(session: Session) -> dict[str, str]:
    """Every dataset's name and id (a harvest checks thousands of names against them)."""
    return {name: dataset_id for name, dataset_id in session.execute(select(Dataset.name, Dataset.id))}


def name_owner(session: Session, name: str) -> str | None:
    """The id of the dataset with this name, if any."""
    return session.scalar(select(Dataset.id).where(Dataset.name == name))


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower().removesuffix("s"))


def licences(session: Session) -> list[License]:
    """Every licence, for a caller to hold while it works: the session's identity map keeps only
    objects someone refers to, and thousands of datasets look the same few licences up."""
    return list(session.scalars(select(License)))


def licence_for(session: Session, ref: str, title: str = "", url: str = "", is_open: bool = False) -> str:
    """The local licence id for a source's licence (matched by id, URL or title), registering the
    source's licence when none matches, so a harvested dataset keeps the licence it was published
    under. `is_open`: what the source says about a licence we do not know."""
    for candidate in (ref, title):
        if candidate and session.get(License, candidate) is not None:
            return candidate
    wanted = {_norm(v) for v in (ref, title) if v}
    known = list(session.scalars(select(License)))
    bare_url = url.rstrip("/").split("://", 1)[-1]
    for lic in known:
        if bare_url and lic.url and lic.url.rstrip("/").split("://", 1)[-1] == bare_url:
            return lic.id
        if wanted & {_norm(lic.title), _norm(lic.id)}:
            return lic.id
    new = (ref or title or url)[:100]
    session.add(License(id=new, title=(title or ref or url)[:200], url=url[:500], is_open=is_open))
    session.flush()
    return new


def organization_for(session: Session, actor: Actor, name: str, title: str, description: str = "") -> str:
    """The id of the local organization named `name`, created (by the site) when missing."""
    found = session.scalar(
        select(Group.id).where(Group.name == name, Group.is_organization.is_(True), Group.state == "active")
    )
    if found:
        return found
    made = create_group(
        session, actor, {"name": name, "title": title or name, "description": description}, organization=True
    )
    return str(made["id"])


def existing_group_names(session: Session, names: list[str]) -> set[str]:
    """Which of these are names (or ids) of active groups (themes)."""
    if not names:
        return set()
    rows = session.execute(
        select(Group.name, Group.id).where(
            or_(Group.name.in_(names), Group.id.in_(names)),
            Group.is_organization.is_(False),
            Group.state == "active",
        )
    ).all()
    return {n for row in rows for n in row} & set(names)


def count_datasets(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Dataset).where(Dataset.state == "active")) or 0
    )


def create_imported(
    session: Session, cfg: CatalogConfig, actor: Actor, items: list[tuple[dict[str, Any], str | None]]
) -> list[dict[str, Any] | SapanError]:
    """Create many harvested datasets at once: each is checked as import_dataset checks it, then all
    are written with one flush (the caller indexes them, with search.index_datasets(new=True)).
    Returns, per item, its package dict or the error that kept it out. The caller gives names that
    are free and distinct."""
    results: list[Dataset | SapanError] = []
    # Which of the wanted dataset and resource ids are taken, in two queries for the whole batch.
    wanted = [i for _, i in items if i]
    taken = set(session.scalars(select(Dataset.id).where(Dataset.id.in_(wanted)))) if wanted else set()
    resource_ids = [str(r["id"]) for d, _ in items for r in d.get("resources") or [] if r.get("id")]
    taken_resources = (
        set(session.scalars(select(Resource.id).where(Resource.id.in_(resource_ids))))
        if resource_ids
        else set()
    )
    with session.no_autoflush:  # nothing is written until every record of the batch is checked
        for data, wanted_id in items:
            try:
                parsed = _parse(session, cfg, data, None, harvested=True)
                _check_governance(session, cfg, actor, parsed, None, harvested=True)
            except SapanError as exc:
                results.append(exc)
                continue
            dataset_id = wanted_id if wanted_id and wanted_id not in taken else new_id()
            taken.add(dataset_id)
            ds = Dataset(id=dataset_id, creator_user_id=actor.user_id)
            _apply(session, cfg, ds, parsed, data, taken_resources)
            taken_resources.update(r.id for r in ds.resources)
            session.add(ds)
            results.append(ds)
    _flush_unique(session)
    out: list[dict[str, Any] | SapanError] = []
    for result in results:
        if isinstance(result, SapanError):
            out.append(result)
            continue
        made = dataset_dict(result, cfg.site_url)
        activity.record(session, actor.user_id, result.id, "new package", "package", made)
        out.append(made)
    return out
