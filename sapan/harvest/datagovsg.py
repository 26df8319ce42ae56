"""data.gov.sg's v2 API as a source: the paged dataset list (`/v2/public/api/datasets?page=N`), the
collections that group them (`/v2/public/api/collections?page=N`: frequency, sources) and each
dataset's metadata (`/v2/public/api/datasets/{id}/metadata`, with its columnMetadata). Every answer
is `{"code": 0, "data": {...}, "errorMsg": ...}`. Rows stay at the source: the resource links to its
CKAN-style datastore_search."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sapan.harvest.backend import Fetcher, HarvestFailed, Listing, Progress, RemoteRecord, SourceSettings
from sapan.thai.slug import slugify

LICENCE = {
    "id": "sg-odl",
    "title": "Singapore Open Data Licence v1.0",
    "url": "https://data.gov.sg/open-data-licence",
    "is_open": True,
}
MAX_PAGES = 1000


def _data(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("code") != 0 or not isinstance(body.get("data"), dict):
        message = body.get("errorMsg") if isinstance(body, dict) else None
        raise HarvestFailed(
            f"data.gov.sg {what} did not answer code 0 with data: {str(message or body)[:200]}"
        )
    data: dict[str, Any] = body["data"]
    return data


def _utc(value: str) -> str:
    """An ISO time with a zone (data.gov.sg's +08:00) as naive UTC, the way Sapan compares times."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return ""
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat()


class DataGovSgBackend:
    def list_records(
        self, fetch: Fetcher, source: SourceSettings, since: str | None, progress: Progress
    ) -> Listing:
        base = source.url.rstrip("/")
        datasets = self._paged(fetch, f"{base}/v2/public/api/datasets", "datasets")
        collections = self._paged(fetch, f"{base}/v2/public/api/collections", "collections")
        collection_of: dict[str, dict[str, Any]] = {}
        for collection in collections:
            for child in collection.get("childDatasets") or []:
                collection_of.setdefault(str(child), collection)
        records: list[RemoteRecord] = []
        unchanged: set[str] = set()
        for n, listed in enumerate(datasets, 1):
            dataset_id = str(listed.get("datasetId") or "")
            if not dataset_id:
                raise HarvestFailed("data.gov.sg listed a dataset without a datasetId")
            modified = _utc(str(listed.get("lastUpdatedAt") or ""))
            if since and modified and modified < since and listed.get("visibility", "public") == "public":
                unchanged.add(dataset_id)  # not changed since the last run: no metadata request
                continue
            body = fetch.get_json(f"{base}/v2/public/api/datasets/{dataset_id}/metadata")
            metadata = {**listed, **_data(body, f"metadata of {dataset_id}")}
            records.append(convert(base, metadata, collection_of.get(dataset_id)))
            if n % 20 == 0:
                progress(0.5 * n / len(datasets), f"Read {n} of {len(datasets)} datasets")
        return Listing(records, complete=True, unchanged=unchanged)

    def _paged(self, fetch: Fetcher, url: str, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page, pages = 1, 1
        while page <= pages and page <= MAX_PAGES:
            data = _data(fetch.get_json(url, {"page": page}), key)
            listed = data.get(key)
            if not isinstance(listed, list):
                raise HarvestFailed(f"data.gov.sg answered no {key} list")
            items += [item for item in listed if isinstance(item, dict)]
            pages = int(data.get("pages") or data.get("totalPages") or 1)
            page += 1
        return items


def _columns(metadata: dict[str, Any]) -> list[dict[str, str]]:
    """columnMetadata ({"order": [...], "map": {id: name}, "metaMapping": {id: {...}}}) as a list."""
    meta = metadata.get("columnMetadata") or {}
    if not isinstance(meta, dict):
        return []
    names = meta.get("map") or {}
    details = meta.get("metaMapping") or {}
    out = []
    for column_id in meta.get("order") or list(names):
        detail = details.get(column_id) or {}
        out.append({
            "name": str(names.get(column_id) or detail.get("name") or column_id),
            "title": str(detail.get("columnTitle") or ""),
            "type": str(detail.get("dataType") or ""),
        })  # fmt: skip
    return out


def convert(base: str, metadata: dict[str, Any], collection: dict[str, Any] | None) -> RemoteRecord:
    dataset_id = str(metadata["datasetId"])
    title = str(metadata.get("name") or dataset_id)
    agency = str(metadata.get("managedByAgencyName") or "")
    columns = _columns(metadata)
    page = f"https://data.gov.sg/datasets/{dataset_id}/view"
    extras = {
        "datagovsg_dataset_id": dataset_id,
        "format": metadata.get("format"),
        "coverage_start": metadata.get("coverageStart"),
        "coverage_end": metadata.get("coverageEnd"),
        "created_at": metadata.get("createdAt"),
        "last_updated_at": metadata.get("lastUpdatedAt"),
        "collection_id": (collection or {}).get("collectionId"),
        "collection": (collection or {}).get("name"),
        "frequency": (collection or {}).get("frequency"),
        "sources": ", ".join((collection or {}).get("sources") or []),
    }
    resource = {
        "id": dataset_id,
        "name": title,
        "description": "Columns: " + ", ".join(c["title"] or c["name"] for c in columns) if columns else "",
        "format": str(metadata.get("format") or ""),
        "url": f"{base}/api/action/datastore_search?resource_id={dataset_id}",
        "columns": json.dumps(columns, ensure_ascii=False) if columns else None,
        "datagovsg_dataset_size": metadata.get("datasetSize"),
    }
    package = {
        "id": dataset_id, "title": title, "notes": str(metadata.get("description") or "").strip(),
        "url": page, "maintainer": agency,
        "extras": [{"key": k, "value": str(v)} for k, v in extras.items() if v not in (None, "")],
        "tags": [], "resources": [resource],
    }  # fmt: skip
    public = metadata.get("visibility", "public") == "public" and metadata.get("status", "active") == "active"
    return RemoteRecord(
        remote_id=dataset_id, package=package, modified=_utc(str(metadata.get("lastUpdatedAt") or "")),
        original_url=page, remote_name=slugify(title)[:90], public=public,
        organization={"name": slugify(agency)[:100], "title": agency, "description": ""} if agency else None,
        licence=dict(LICENCE),
    )  # fmt: skip
