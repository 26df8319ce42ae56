"""Routes of real-time feeds under /api/realtime/{resource_id}/: push, ngsi-ld/notify, latest, history,
stream. Thin: read the request, call sapan.realtime, answer in CKAN's envelope."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from sapan.accounts.service import ANONYMOUS, Actor, actor_for_token
from sapan.api.actions_router import api_token
from sapan.api.envelope import BadRequest, failure, help_url, success
from sapan.db import transaction
from sapan.errors import SapanError, ValidationError
from sapan.realtime import ngsild, queries, stream
from sapan.realtime.feeds import readable_feed, writable_feed
from sapan.realtime.ingest import store
from sapan.realtime.polling import notify
from sapan.realtime.schemas import parse_records
from sapan.services import Services

router = APIRouter(prefix="/api/realtime/{resource_id}", tags=["Real-time feeds"])
log = logging.getLogger("sapan.api")
MAX_BODY = 64 * 1024 * 1024


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError as exc:
        raise BadRequest(f"JSON Error: {exc}") from exc
    if not isinstance(parsed, dict):
        raise BadRequest("JSON Error: the request body must be a JSON object")
    return parsed


async def _answer(request: Request, name: str, work: Callable[[Services, Actor], Any]) -> Response:
    services: Services = request.app.state.services
    help_text = help_url(services.settings.site_url, f"realtime_{name}")

    def run() -> Any:
        token = api_token(request)
        if not token:  # public reads skip a transaction: latest values are read many times a second
            return work(services, ANONYMOUS)
        with transaction(services.sessions) as session:
            actor = actor_for_token(session, token)
        return work(services, actor)

    try:
        return success(help_text, await run_in_threadpool(run))
    except SapanError as exc:
        return failure(help_text, exc)
    except Exception:  # a bug: answer in CKAN's envelope, log the traceback, show none
        log.exception("realtime %s failed", name)
        body = {
            "help": help_text,
            "success": False,
            "error": {"__type": "Internal Error", "message": "Internal error"},
        }
        return JSONResponse(body, status_code=500)


def _ingest(services: Services, actor: Actor, resource_id: str, body: bytes, ngsi: bool) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        writable_feed(session, actor, resource_id)  # before parsing: a stranger learns nothing
    data = _json(body)
    readings = ngsild.readings(data) if ngsi else parse_records(data)
    with transaction(services.sessions) as session:
        result = store(session, services.catalog.storage, resource_id, readings)
    notify(services, resource_id)
    return result.as_dict()


async def _body(request: Request) -> bytes:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise ValidationError.one("records", f"The request body is larger than {MAX_BODY // 2**20} MiB")
    return await request.body()


@router.post("/push")
async def push(request: Request, resource_id: str) -> Response:
    """Add observations: `{"records": [{entity, variable, value, observed_at, unit?, lat?, lon?}]}`
    (the dataset's editors' API tokens). Observations already stored are counted as duplicates."""
    try:
        body = await _body(request)
    except SapanError as exc:
        return failure(help_url(request.app.state.services.settings.site_url, "realtime_push"), exc)
    return await _answer(request, "push", lambda s, a: _ingest(s, a, resource_id, body, ngsi=False))


@router.post("/ngsi-ld/notify")
async def ngsi_notify(request: Request, resource_id: str) -> Response:
    """An NGSI-LD Notification from a context broker's subscription: each Property is an observation."""
    try:
        body = await _body(request)
    except SapanError as exc:
        return failure(help_url(request.app.state.services.settings.site_url, "realtime_notify"), exc)
    return await _answer(request, "notify", lambda s, a: _ingest(s, a, resource_id, body, ngsi=True))


def _read(
    resource_id: str, data: dict[str, Any], query: Callable[[Session, Any, Any, dict[str, Any]], Any]
) -> Callable[[Services, Actor], Any]:
    def work(services: Services, actor: Actor) -> Any:
        with transaction(services.sessions) as session:
            feed = readable_feed(session, actor, resource_id)
            return query(session, services.catalog.storage, feed, data)

    return work


def _params(request: Request) -> dict[str, Any]:
    return {k: v for k, v in request.query_params.items()}


@router.get("/latest")
async def latest(request: Request, resource_id: str) -> Response:
    """The newest value of each entity's variables; `date_time` for the values as of then; `entity`,
    `variable` (comma-separated) to choose."""
    return await _answer(request, "latest", _read(resource_id, _params(request), queries.latest))


@router.get("/history")
async def history(request: Request, resource_id: str) -> Response:
    """Observations in a period: `date`, or `from`/`to`, or NGSI-LD's timerel (before, after,
    between), timeAt, endTimeAt; lastN; aggrMethods (totalCount, distinctCount, sum, avg, min, max,
    stddev, sumsq) per aggrPeriodDuration (PT1H, P1D); `entity`, `variable`; `limit` (1000, max 32000)."""
    return await _answer(request, "history", _read(resource_id, _params(request), queries.temporal))


@router.get("/stream")
async def events(request: Request, resource_id: str) -> Response:
    """Server-sent events of new observations. Each event's id is the observation's sequence number:
    reconnect with `Last-Event-ID` (or `?last_event_id=`) to resume without gaps or duplicates."""
    services: Services = request.app.state.services
    settings = services.settings
    raw_last = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    raw_beat = request.query_params.get("heartbeat")

    def check(services: Services, actor: Actor) -> tuple[int | None, float]:
        with transaction(services.sessions) as session:
            readable_feed(session, actor, resource_id)
        try:
            last = int(raw_last) if raw_last not in (None, "") else None
        except ValueError as exc:
            raise ValidationError.one("Last-Event-ID", "Must be an event id (a whole number)") from exc
        try:
            beat = float(raw_beat) if raw_beat else settings.realtime_heartbeat_seconds
        except ValueError as exc:
            raise ValidationError.one("heartbeat", "Must be a number of seconds") from exc
        return last, min(max(beat, 0.05), 300.0)

    checked = await _answer(request, "stream", check)
    if checked.status_code != 200:
        return checked
    last, beat = json.loads(bytes(checked.body))["result"]
    return StreamingResponse(
        stream.events(services, services.realtime_hub, resource_id, last, beat),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
