"""Download counts: each resource counts the downloads of its file and of its DataStore dumps, one
UPDATE per download. CKAN calls them `tracking_summary`; Sapan keeps no per-day rows, so `recent`
equals `total` (all downloads since migration 0013)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sapan.accounts.service import Actor
from sapan.catalog.datasets import visible_to
from sapan.catalog.dictize import dataset_dict
from sapan.catalog.models import Dataset, Resource


def count_download(session: Session, resource_id: str) -> None:
    """One more download of this resource (an atomic increment: concurrent downloads all count)."""
    session.execute(
        update(Resource)
        .where(Resource.id == resource_id)
        .values(download_count=Resource.download_count + 1)
        .execution_options(synchronize_session=False)
    )


def tracking_summary(count: int) -> dict[str, int]:
    """CKAN's shape; without per-day rows, `recent` is the total."""
    return {"total": count, "recent": count}


def with_tracking(session: Session, package: dict[str, Any]) -> dict[str, Any]:
    """A package dict (already read as the actor may) with tracking_summary on it and its resources:
    the dataset's is the sum over its active resources."""
    query = select(Resource.id, Resource.download_count).where(Resource.package_id == package["id"])
    counts = {resource_id: count for resource_id, count in session.execute(query)}
    for res in package.get("resources", []):
        res["tracking_summary"] = tracking_summary(counts.get(res["id"], 0))
    total = sum(res["tracking_summary"]["total"] for res in package.get("resources", []))
    return {**package, "tracking_summary": tracking_summary(total)}


def resource_with_tracking(session: Session, resource: dict[str, Any]) -> dict[str, Any]:
    """A resource dict (already read as the actor may) with its tracking_summary."""
    count = session.scalar(select(Resource.download_count).where(Resource.id == resource["id"])) or 0
    return {**resource, "tracking_summary": tracking_summary(count)}


def most_downloaded(session: Session, actor: Actor, limit: int, site_url: str = "") -> list[dict[str, Any]]:
    """The active datasets this actor may see with the most downloads (over their active resources),
    most first, as package dicts with tracking_summary. Datasets never downloaded are left out."""
    totals = (
        select(Resource.package_id, func.sum(Resource.download_count).label("downloads"))
        .where(Resource.state == "active", Resource.download_count > 0)
        .group_by(Resource.package_id)
        .subquery()
    )
    query = (
        select(Dataset, totals.c.downloads)
        .join(totals, totals.c.package_id == Dataset.id)
        .where(Dataset.state == "active")
        .order_by(totals.c.downloads.desc(), Dataset.name)
        .limit(limit)
    )
    if not actor.sysadmin:
        query = query.where(visible_to(actor))
    return [
        {**dataset_dict(ds, site_url), "tracking_summary": tracking_summary(int(downloads))}
        for ds, downloads in session.execute(query)
    ]
