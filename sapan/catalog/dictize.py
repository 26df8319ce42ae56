"""Catalogue objects as the dicts CKAN prints (package_show, resource_show, organization_show)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import object_session

from sapan.catalog.models import Dataset, Group, License, Resource


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def download_path(dataset_id: str, resource_id: str, filename: str) -> str:
    return f"/dataset/{dataset_id}/resource/{resource_id}/download/{quote(filename)}"


def group_dict(group: Group, package_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "title": group.title,
        "display_name": group.title or group.name,
        "type": "organization" if group.is_organization else "group",
        "description": group.description,
        "image_url": group.image_url,
        "image_display_url": group.image_url,
        "created": iso(group.created),
        "is_organization": group.is_organization,
        "approval_status": "approved",
        "state": group.state,
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def license_dict(lic: License) -> dict[str, Any]:
    return {
        "id": lic.id,
        "title": lic.title,
        "url": lic.url,
        "od_conformance": "approved" if lic.is_open else "not reviewed",
        "osd_conformance": "not reviewed",
        "status": "active",
        "maintainer": "",
        "family": "",
        "domain_content": False,
        "domain_data": False,
        "domain_software": False,
    }


def resource_dict(res: Resource, site_url: str) -> dict[str, Any]:
    url = res.url
    if res.url_type == "upload":
        url = site_url.rstrip("/") + download_path(res.package_id, res.id, res.url)
    out: dict[str, Any] = {
        "id": res.id,
        "package_id": res.package_id,
        "position": res.position,
        "name": res.name,
        "description": res.description,
        "format": res.format,
        "url": url,
        "url_type": res.url_type,
        "size": res.size,
        "hash": res.hash,
        "mimetype": res.mimetype,
        "mimetype_inner": None,
        "cache_url": None,
        "cache_last_updated": None,
        "resource_type": None,
        "datastore_active": res.datastore_active,
        "state": res.state,
        "created": iso(res.created),
        "last_modified": iso(res.last_modified),
        "metadata_modified": iso(res.metadata_modified),
    }
    out.update(res.extras or {})
    if out["resource_type"] == "realtime":
        # freshness changes with every observation, so it is read from the feed, never copied here
        from sapan.realtime.feeds import feed_fields

        session = object_session(res)
        if session is not None:
            out.update(feed_fields(session, res.id))
    return out


def dataset_dict(ds: Dataset, site_url: str) -> dict[str, Any]:
    """The full package dict, profile fields at the top level as ckanext-scheming prints them."""
    lic = ds.license
    resources = [resource_dict(r, site_url) for r in ds.resources if r.state == "active"]
    out: dict[str, Any] = {
        "id": ds.id,
        "name": ds.name,
        "title": ds.title,
        "notes": ds.notes,
        "author": ds.author,
        "author_email": ds.author_email,
        "maintainer": ds.maintainer,
        "maintainer_email": ds.maintainer_email,
        "license_id": ds.license_id,
        "license_title": lic.title if lic else None,
        "license_url": lic.url if lic else None,
        "isopen": bool(lic and lic.is_open),
        "url": ds.url,
        "version": ds.version,
        "type": ds.type,
        "private": ds.private,
        "state": ds.state,
        "owner_org": ds.owner_org,
        "organization": group_dict(ds.organization) if ds.organization else None,
        "creator_user_id": ds.creator_user_id,
        "metadata_created": iso(ds.metadata_created),
        "metadata_modified": iso(ds.metadata_modified),
        "num_resources": len(resources),
        "num_tags": len(ds.tags),
        "tags": [
            {"id": t.name, "name": t.name, "display_name": t.name, "state": "active", "vocabulary_id": None}
            for t in ds.tags
        ],
        "groups": [{k: v for k, v in group_dict(g).items() if k in _GROUP_KEYS} for g in ds.groups],
        "extras": [{"key": k, "value": v} for k, v in sorted((ds.extras or {}).items())],
        "resources": resources,
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }
    out.update(ds.profile or {})
    return out


_GROUP_KEYS = ("id", "name", "title", "display_name", "description", "image_display_url")
