"""/datastore/dump/{resource_id}: a table as CSV, TSV, JSON, Parquet or XLSX, at CKAN's address."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sapan.accounts.service import ANONYMOUS, actor_for_token
from sapan.api.actions_router import api_token
from sapan.api.envelope import error_body
from sapan.datastore.dump import Dump, prepare, stream
from sapan.db import transaction
from sapan.errors import SapanError
from sapan.services import Services

router = APIRouter(tags=["DataStore"])


def _prepare(services: Services, token: str | None, resource_id: str, params: dict[str, Any]) -> Dump:
    with transaction(services.sessions) as session:
        actor = actor_for_token(session, token) if token else ANONYMOUS
        return prepare(session, services.catalog.storage, actor, resource_id, params)


@router.get("/datastore/dump/{resource_id}")
async def dump(request: Request, resource_id: str) -> Response:
    """The table (or the part filters/q select), streamed: format=csv (UTF-8 with BOM) | tsv | json | parquet
    | xlsx (at most 1,048,575 rows); also fields, sort, q and filters (JSON) as in datastore_search."""
    services: Services = request.app.state.services
    try:
        prepared = await run_in_threadpool(
            _prepare, services, api_token(request), resource_id, dict(request.query_params)
        )
    except SapanError as exc:
        status, error = error_body(exc)
        return JSONResponse({"success": False, "error": error}, status_code=status)
    return StreamingResponse(
        stream(prepared),
        media_type=prepared.media_type,
        headers={"Content-Disposition": f'attachment; filename="{prepared.filename}"'},
    )
