"""/healthz (the process answers), /readyz (its database, storage and queue do too) and /metrics."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from sapan.observability.checks import readiness
from sapan.observability.metrics import scrape

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """Liveness: answers while the process can serve at all (no database call)."""
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when the database, storage and job queue answer; 503 naming those that do not."""
    services = request.app.state.services
    checks = await readiness(services, services.settings.readyz_timeout)
    failed = [c.name for c in checks if c.status == "fail"]
    body: dict[str, Any] = {
        "status": "fail" if failed else "ok",
        "checks": {c.name: c.as_json() for c in checks},
    }
    if failed:
        body["failed"] = failed
    return JSONResponse(body, status_code=503 if failed else 200, headers={"Cache-Control": "no-store"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text exposition; with SAPAN_METRICS_TOKEN set, only for `Authorization: Bearer <it>`."""
    services = request.app.state.services
    token = services.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response(
                "Unauthorized: /metrics needs Authorization: Bearer <SAPAN_METRICS_TOKEN>\n",
                status_code=401,
                media_type="text/plain",
                headers={"WWW-Authenticate": "Bearer"},
            )
    body = await run_in_threadpool(scrape, services.sessions)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
