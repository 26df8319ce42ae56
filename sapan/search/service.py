"""package_search in CKAN's result shape: q, fq, facets, sort, rows/start."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from sapan.accounts.service import Actor
from sapan.catalog.dictize import dataset_dict
from sapan.catalog.models import Dataset, DatasetGroup, DatasetTag, Group, Resource
from sapan.errors import ValidationError

MAX_ROWS = 1000
FACETS = ("organization", "groups", "tags", "res_format", "license_id")
SORTS = {
    "score": Dataset.metadata_modified,
    "metadata_modified": Dataset.metadata_modified,
    "metadata_created": Dataset.metadata_created,
    "name": Dataset.name,
    "title_string": Dataset.title,
    "title": Dataset.title,
}
FQ_TERM = re.compile(r'([+-]?)(\w+):("(?:[^"\\]|\\.)*"|\S+)')


@dataclass
class SearchQuery:
    q: str = ""
    fq: str = ""
    rows: int = 10
    start: int = 0
    sort: str = "score desc, metadata_modified desc"
    facet_fields: list[str] = field(default_factory=lambda: list(FACETS))
    facet_limit: int = 50
    include_private: bool = False
    include_drafts: bool = False


def _visibility(actor: Actor, query: SearchQuery) -> ColumnElement[bool]:
    states = ["active", "draft"] if query.include_drafts else ["active"]
    cond = Dataset.state.in_(states)
    if actor.sysadmin and query.include_private:
        return cond
    if query.include_private and actor.roles:
        return and_(cond, or_(Dataset.private.is_(False), Dataset.owner_org.in_(list(actor.roles))))
    return and_(cond, Dataset.private.is_(False), Dataset.state == "active")


def _text_match(q: str) -> ColumnElement[bool]:
    conds = []
    for word in q.split():
        like = f"%{word.lower()}%"
        tag_match = select(DatasetTag.dataset_id).where(func.lower(DatasetTag.name).like(like))
        conds.append(
            or_(
                func.lower(Dataset.title).like(like),
                func.lower(Dataset.notes).like(like),
                func.lower(Dataset.name).like(like),
                Dataset.id.in_(tag_match),
            )
        )
    return and_(*conds)


def _fq_match(fq: str) -> ColumnElement[bool]:
    conds: list[ColumnElement[bool]] = []
    for sign, key, raw in FQ_TERM.findall(fq):
        value = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
        cond: ColumnElement[bool]
        if key in ("organization", "owner_org"):
            org = select(Group.id).where(or_(Group.name == value, Group.id == value))
            cond = Dataset.owner_org.in_(org)
        elif key in ("tags", "tag"):
            cond = Dataset.id.in_(select(DatasetTag.dataset_id).where(DatasetTag.name == value))
        elif key == "groups":
            grp = select(Group.id).where(or_(Group.name == value, Group.id == value))
            cond = Dataset.id.in_(select(DatasetGroup.dataset_id).where(DatasetGroup.group_id.in_(grp)))
        elif key == "res_format":
            cond = Dataset.id.in_(
                select(Resource.package_id).where(
                    func.upper(Resource.format) == value.upper(), Resource.state == "active"
                )
            )
        elif key in ("license_id", "name", "id", "type", "state"):
            cond = getattr(Dataset, key) == value
        elif key == "private":
            cond = Dataset.private.is_(value.lower() == "true")
        else:
            raise ValidationError.one("fq", f"Cannot filter on {key}")
        conds.append(~cond if sign == "-" else cond)
    return and_(*conds) if conds else and_(True)


def _order(sort: str) -> list[Any]:
    order: list[Any] = []
    for part in sort.split(","):
        bits = part.split()
        if not bits:
            continue
        column = SORTS.get(bits[0])
        if column is None:
            raise ValidationError.one("sort", f"Cannot sort by {bits[0]}")
        direction = bits[1].lower() if len(bits) > 1 else "asc"
        order.append(column.desc() if direction == "desc" else column.asc())
    return order + [Dataset.name]


def search_datasets(session: Session, site_url: str, actor: Actor, query: SearchQuery) -> dict[str, Any]:
    """Search datasets visible to `actor`; returns CKAN's {count, results, facets, search_facets, sort}."""
    if not 0 <= query.rows <= MAX_ROWS:
        raise ValidationError.one("rows", f"Must be between 0 and {MAX_ROWS}")
    if query.start < 0:
        raise ValidationError.one("start", "Must be a natural number")
    unknown = [f for f in query.facet_fields if f not in FACETS]
    if unknown:
        raise ValidationError.one("facet.field", f"Unknown facet field(s): {', '.join(unknown)}")
    where = and_(_visibility(actor, query), _fq_match(query.fq))
    if query.q.strip() and query.q.strip() != "*:*":
        where = and_(where, _text_match(query.q))
    ids = select(Dataset.id).where(where)
    count = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    rows = session.scalars(
        select(Dataset).where(where).order_by(*_order(query.sort)).offset(query.start).limit(query.rows)
    )
    results = [dataset_dict(ds, site_url) for ds in rows]
    facets = {f: _facet(session, f, ids, query.facet_limit) for f in query.facet_fields}
    return {
        "count": count,
        "sort": query.sort,
        "results": results,
        "facets": {f: {k: n for k, (n, _) in items.items()} for f, items in facets.items()},
        "search_facets": {
            f: {
                "title": f,
                "items": [{"name": k, "display_name": label, "count": n} for k, (n, label) in items.items()],
            }
            for f, items in facets.items()
        },
    }


def _facet(session: Session, name: str, ids: Any, limit: int) -> dict[str, tuple[int, str]]:
    query: Any
    if name == "organization":
        query = (
            select(Group.name, Group.title, func.count())
            .join(Dataset, Dataset.owner_org == Group.id)
            .where(Dataset.id.in_(ids))
            .group_by(Group.name, Group.title)
        )
    elif name == "groups":
        query = (
            select(Group.name, Group.title, func.count())
            .join(DatasetGroup, DatasetGroup.group_id == Group.id)
            .where(DatasetGroup.dataset_id.in_(ids))
            .group_by(Group.name, Group.title)
        )
    elif name == "tags":
        query = (
            select(DatasetTag.name, DatasetTag.name, func.count())
            .where(DatasetTag.dataset_id.in_(ids))
            .group_by(DatasetTag.name)
        )
    elif name == "res_format":
        fmt = func.upper(Resource.format)
        query = (
            select(fmt, fmt, func.count(func.distinct(Resource.package_id)))
            .where(Resource.package_id.in_(ids), Resource.state == "active", Resource.format != "")
            .group_by(fmt)
        )
    else:
        query = (
            select(Dataset.license_id, Dataset.license_id, func.count())
            .where(Dataset.id.in_(ids), Dataset.license_id.is_not(None))
            .group_by(Dataset.license_id)
        )
    counted = Counter({(key, label or key): n for key, label, n in session.execute(query).all() if key})
    return {key: (n, label) for (key, label), n in counted.most_common(limit)}
