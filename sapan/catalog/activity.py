"""The activity stream: who changed what, with the changed fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sapan.catalog.dictize import iso
from sapan.catalog.models import Activity

IGNORED = frozenset({"metadata_modified", "num_resources", "num_tags"})


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    if before is None:
        return sorted(k for k in after if k not in IGNORED)
    keys = (set(before) | set(after)) - IGNORED
    return sorted(k for k in keys if before.get(k) != after.get(k))


def record(
    session: Session,
    user_id: str | None,
    object_id: str,
    activity_type: str,
    key: str,
    snapshot: dict[str, Any],
    before: dict[str, Any] | None = None,
) -> Activity:
    """Add one activity row in the caller's transaction."""
    activity = Activity(
        user_id=user_id,
        object_id=object_id,
        activity_type=activity_type,
        data={key: snapshot, "changed_fields": changed_fields(before, snapshot)},
    )
    session.add(activity)
    return activity


def activities_of(session: Session, object_id: str, offset: int = 0, limit: int = 31) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Activity)
        .where(Activity.object_id == object_id)
        .order_by(Activity.timestamp.desc(), Activity.id)
        .offset(offset)
        .limit(limit)
    )
    return [
        {
            "id": a.id,
            "timestamp": iso(a.timestamp),
            "user_id": a.user_id,
            "object_id": a.object_id,
            "activity_type": a.activity_type,
            "data": a.data,
        }
        for a in rows
    ]
