"""/api/audit.jsonl: the whole audit log as JSON lines, oldest first, for sysadmins (streamed)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sapan.accounts import permissions
from sapan.accounts.service import ANONYMOUS, actor_for_token
from sapan.api.actions_router import api_token
from sapan.api.envelope import error_body
from sapan.db import transaction
from sapan.errors import SapanError
from sapan.governance import audit
from sapan.services import Services

router = APIRouter(tags=["Governance"])


def _check(services: Services, token: str | None) -> None:
    with transaction(services.sessions) as session:
        actor = actor_for_token(session, token) if token else ANONYMOUS
        permissions.ensure_sysadmin(actor, "export the audit log")


def lines(services: Services) -> Iterator[bytes]:
    with transaction(services.sessions) as session:
        for entry in audit.oldest_first(session):
            yield (json.dumps(audit.entry_dict(entry), ensure_ascii=False) + "\n").encode()


@router.get("/api/audit.jsonl")
async def export(request: Request) -> Response:
    """Every audit entry with its hash, one JSON object per line (sysadmins only)."""
    services: Services = request.app.state.services
    try:
        await run_in_threadpool(_check, services, api_token(request))
    except SapanError as exc:
        status, error = error_body(exc)
        return JSONResponse({"success": False, "error": error}, status_code=status)
    return StreamingResponse(lines(services), media_type="application/x-ndjson")
