"""Sources configured with fetch_resources: after a run, each new or changed tabular resource's file
is downloaded (the `harvest_resource` job) and stored as an upload, which starts the DataStore's
ingest as any upload does. A file that cannot be fetched leaves the resource a link."""

from __future__ import annotations

import io
import posixpath
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from sapan.accounts.service import site_actor
from sapan.catalog.resources import TABULAR, Upload, update_resource
from sapan.db import transaction
from sapan.harvest.backend import Fetcher
from sapan.harvest.models import HarvestSource
from sapan.harvest.sources import settings_of
from sapan.jobs.service import enqueue


def enqueue_files(session: Session, source_id: str, dataset: dict[str, Any]) -> int:
    """Queue a download of each of the dataset's tabular link resources; returns how many."""
    queued = 0
    for res in dataset.get("resources") or []:
        url = str(res.get("url") or "")
        fmt = str(res.get("format") or "").upper()
        api = "/api/action/" in url or "/api/3/action/" in url  # an API answer, not the file itself
        if (
            res.get("url_type") != "upload"
            and url.startswith(("http://", "https://"))
            and fmt in TABULAR
            and not api
        ):
            enqueue(
                session, "harvest_resource", {"resource_id": res["id"], "url": url, "source_id": source_id}
            )
            queued += 1
    return queued


def run_fetch(services: Any, payload: dict[str, Any], progress: Any) -> dict[str, Any]:
    """The `harvest_resource` job: download the file and store it as the resource's upload."""
    with transaction(services.sessions) as session:
        row = session.get(HarvestSource, payload["source_id"])
        default_timeout = services.settings.http_timeout_seconds
        source = settings_of(row, default_timeout) if row is not None else None
    url = str(payload["url"])
    headers = None
    if source and source.api_token and urlsplit(url).netloc == urlsplit(source.url).netloc:
        headers = {"Authorization": source.api_token}  # the token goes only to the source's own host
    fetcher = Fetcher(source.timeout if source else default_timeout, headers)
    try:
        body = fetcher.get(url, accept="*/*")
    finally:
        fetcher.close()
    if len(body) > services.catalog.max_upload_bytes:
        return {"skipped": "file larger than SAPAN_MAX_UPLOAD_MB"}
    filename = posixpath.basename(urlsplit(url).path) or "download"
    with transaction(services.sessions) as session:
        resource = update_resource(
            session, services.catalog, site_actor(session), {"id": payload["resource_id"]},
            Upload(filename, io.BytesIO(body)), patch=True,
        )  # fmt: skip
    return {"resource_id": resource["id"], "bytes": len(body)}
