"""Downloads of uploaded files: streamed, with Content-Length, ETag and single byte ranges."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sapan.accounts.service import ANONYMOUS, Actor, actor_for_token
from sapan.api.actions_router import api_token, audit_transfer, note_client
from sapan.api.envelope import error_body
from sapan.catalog.downloads import count_download
from sapan.catalog.resources import download_target
from sapan.db import transaction
from sapan.errors import SapanError
from sapan.services import Services

router = APIRouter(tags=["Downloads"])
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
log = logging.getLogger("sapan.api.downloads")


def record_download(services: Services, resource_id: str) -> None:
    """Count a download in its own transaction; a failure is logged and never stops the download."""
    try:
        with transaction(services.sessions) as session:
            count_download(session, resource_id)
    except Exception:  # a lost count is better than a lost download
        log.exception("could not count a download of resource %s", resource_id)


def _lookup(
    services: Services, token: str | None, dataset: str, resource_id: str
) -> tuple[str, str, str, str, str, Actor]:
    with transaction(services.sessions) as session:
        actor = actor_for_token(session, token) if token else ANONYMOUS
        res = download_target(session, actor, dataset, resource_id)
        assert res.storage_key is not None
        mimetype = res.mimetype or "application/octet-stream"
        return res.storage_key, res.url, mimetype, res.hash, res.package_id, actor


@router.head("/dataset/{dataset}/resource/{resource_id}/download/{filename}", include_in_schema=False)
@router.get("/dataset/{dataset}/resource/{resource_id}/download/{filename}")
async def download(request: Request, dataset: str, resource_id: str, filename: str) -> Response:
    """The uploaded file of a resource. Private datasets' files are 404 to outsiders."""
    services: Services = request.app.state.services
    note_client(request)
    try:
        key, stored_name, mimetype, digest, dataset_id, actor = await run_in_threadpool(
            _lookup, services, api_token(request), dataset, resource_id
        )
    except SapanError as exc:
        status, error = error_body(exc)
        return JSONResponse({"success": False, "error": error}, status_code=status)
    storage = services.catalog.storage
    size = await run_in_threadpool(storage.size, key)
    etag = f'"{digest.removeprefix("sha256:")}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored_name)}",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    start, end, status = 0, size - 1, 200
    wanted = request.headers.get("range")
    if wanted and request.headers.get("if-range", etag) == etag:
        match = RANGE.match(wanted.strip())
        if match and (match.group(1) or match.group(2)):
            first, last = match.groups()
            if first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            else:  # "bytes=-500": the last 500 bytes
                start, end = max(size - int(last), 0), size - 1
            if start > end or start >= size:
                return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1 if size else 0)
    if request.method == "GET" and start == 0:  # a range that continues a download is not another
        await run_in_threadpool(record_download, services, resource_id)
    if request.method == "HEAD" or size == 0:
        return Response(status_code=status, headers=headers, media_type=mimetype)
    if actor.partner is not None:  # the bytes this answer sends (a range's, for a 206)
        extra = {"resource_id": resource_id, "range": headers.get("Content-Range", "")}
        size_sent = end - start + 1
        await run_in_threadpool(audit_transfer, services, actor, "download", [dataset_id], size_sent, extra)
    return StreamingResponse(
        storage.read_range(key, start, end), status_code=status, headers=headers, media_type=mimetype
    )
