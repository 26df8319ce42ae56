"""/datastore/dump/{resource_id}: a table as CSV, TSV, JSON, Parquet or XLSX, at CKAN's address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sapan.accounts.service import ANONYMOUS, Actor, actor_for_token
from sapan.api.actions_router import api_token, audit_transfer, note_client
from sapan.api.downloads import record_download
from sapan.api.envelope import error_body
from sapan.catalog.resources import get_resource
from sapan.datastore.dump import Dump, prepare, stream
from sapan.datastore.models import resource_of
from sapan.db import transaction
from sapan.errors import SapanError
from sapan.services import Services

router = APIRouter(tags=["DataStore"])


def _prepare(
    services: Services, token: str | None, resource_id: str, params: dict[str, Any]
) -> tuple[Dump, Actor, str]:
    with transaction(services.sessions) as session:
        actor = actor_for_token(session, token) if token else ANONYMOUS
        dump = prepare(session, services.catalog.storage, actor, resource_id, params)
        # only a partner's dump is audited, and only it needs the dataset's id
        dataset_id = get_resource(session, actor, resource_of(resource_id))[1].id if actor.partner else ""
        return dump, actor, dataset_id


def _audited(
    services: Services, actor: Actor, chunks: Iterator[bytes], dataset_id: str, resource_id: str
) -> Iterator[bytes]:
    """The dump's bytes, counted; a partner's transfer is recorded once they are all sent (a dump's
    size is known only then)."""
    sent = 0
    for chunk in chunks:
        sent += len(chunk)
        yield chunk
    audit_transfer(services, actor, "datastore_dump", [dataset_id], sent, {"resource_id": resource_id})


@router.get("/datastore/dump/{resource_id}")
async def dump(request: Request, resource_id: str) -> Response:
    """The table (or the part filters/q select), streamed: format=csv (UTF-8 with BOM) | tsv | json | parquet
    | xlsx (at most 1,048,575 rows); also fields, sort, q and filters (JSON) as in datastore_search."""
    services: Services = request.app.state.services
    note_client(request)
    try:
        prepared, actor, dataset_id = await run_in_threadpool(
            _prepare, services, api_token(request), resource_id, dict(request.query_params)
        )
    except SapanError as exc:
        status, error = error_body(exc)
        return JSONResponse({"success": False, "error": error}, status_code=status)
    await run_in_threadpool(record_download, services, resource_of(resource_id))  # a sheet's dump counts
    chunks = stream(prepared)
    if actor.partner is not None:
        chunks = _audited(services, actor, chunks, dataset_id, resource_id)
    return StreamingResponse(
        chunks,
        media_type=prepared.media_type,
        headers={"Content-Disposition": f'attachment; filename="{prepared.filename}"'},
    )
