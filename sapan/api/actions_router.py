"""Routes for /api/3/action/{name} (and /api/action/{name}): one documented route per action."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from sapan.accounts.service import ANONYMOUS, Actor, actor_for_token
from sapan.api import harvest_actions  # noqa: F401  (registers the harvest actions)
from sapan.api.actions import ACTIONS, Action, Call
from sapan.api.envelope import BadRequest, failure, help_url, success, unavailable
from sapan.api.limits import BodyTooLarge
from sapan.api.params import find_nul
from sapan.catalog.resources import Upload
from sapan.db import database_unavailable, transaction
from sapan.errors import NotAuthorized, PayloadTooLarge, SapanError, ValidationError
from sapan.governance import audit
from sapan.governance.transfers import TRANSFER_ACTIONS, dataset_ids_in, record_transfer
from sapan.services import Services

router = APIRouter(tags=["CKAN Action API v3"])
log = logging.getLogger("sapan.api")


def api_token(request: Request) -> str | None:
    raw = request.headers.get("authorization") or request.headers.get("x-ckan-api-key")
    if not raw:
        return None
    return raw.removeprefix("Bearer ").strip() or None


def note_client(request: Request) -> None:
    """Audit entries written for this request carry the caller's address."""
    audit.request_ip.set(request.client.host if request.client else "")


async def read_input(
    request: Request, max_bytes: int, max_json_bytes: int
) -> tuple[dict[str, Any], Upload | None]:
    """The action's data dict: the query string for GET, a JSON body or a (multipart) form for POST.
    A JSON body has its own, smaller limit (PayloadTooLarge), checked as it streams in."""
    if request.method == "GET":
        params = request.query_params
        return {k: (v if len(v := params.getlist(k)) > 1 else v[0]) for k in params}, None
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes + 1024 * 1024:
        raise PayloadTooLarge(max_bytes)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form(max_part_size=10 * 1024 * 1024)
        data, upload = {}, None
        for key, item in form.multi_items():
            if isinstance(item, UploadFile):
                if key == "upload" and item.filename:
                    upload = Upload(item.filename, item.file, item.content_type)
            else:
                data[key] = item
        return data, upload
    if length and length.isdigit() and int(length) > max_json_bytes:
        raise PayloadTooLarge(max_json_bytes, "body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_json_bytes:
            raise PayloadTooLarge(max_json_bytes, "body")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        return {}, None
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"JSON Error: {exc}") from exc
    if not isinstance(parsed, dict):
        raise BadRequest("JSON Error: the request body must be a JSON object")
    return parsed, None


# Request parameters kept with a transfer's audit entry: what was asked for.
TRANSFER_DETAILS = ("q", "fq", "start", "rows", "id", "resource_id", "sql", "offset", "limit")


def audit_transfer(
    services: Services,
    actor: Actor,
    channel: str,
    dataset_ids: list[str],
    size: int,
    extra: dict[str, Any] | None = None,
) -> None:
    """Record an answer to a partner in the audit log (its own transaction: the request's is done)."""
    assert actor.partner is not None
    with transaction(services.sessions) as session:
        record_transfer(session, actor.name or "", actor.partner, channel, dataset_ids, size, extra)


def run_action(
    services: Services,
    action: Action,
    token: str | None,
    call_data: dict[str, Any],
    upload: Upload | None,
    name: str = "",
) -> tuple[Any, Actor]:
    """The action's result and who asked."""
    actor = ANONYMOUS
    try:
        with transaction(services.sessions) as session:
            actor = actor_for_token(session, token) if token else ANONYMOUS
            call = Call(session, services.catalog, services.settings, actor, call_data, upload)
            return action.func(call), actor
    except (NotAuthorized, ValidationError) as exc:
        if event := audit.refusal(exc, bool(token), action.write, actor.name, name, call_data):
            with transaction(services.sessions) as session:  # its own: the request's was rolled back
                audit.record(session, *event)
        raise


async def handle(request: Request, name: str, action: Action | None) -> Response:
    services: Services = request.app.state.services
    help_text = help_url(services.settings.site_url, name)
    try:
        if action is None:
            raise BadRequest(f"Bad request - Action name not known: {name}")
        if action.write and request.method == "GET":
            raise BadRequest(f"Bad request - {name} changes data and must be sent as POST")
        try:
            settings = services.settings
            data, upload = await read_input(request, settings.max_upload_bytes, settings.max_json_kb * 1024)
        except BodyTooLarge as exc:
            raise PayloadTooLarge(services.settings.max_upload_bytes) from exc
        if (where := find_nul(data)) is not None:
            raise ValidationError.one(where, "Must not contain NUL characters")
        note_client(request)
        result, actor = await run_in_threadpool(
            run_action, services, action, api_token(request), data, upload, name
        )
        response = success(help_text, result)
        if actor.partner is not None and name in TRANSFER_ACTIONS:
            extra = {k: str(data[k])[:200] for k in TRANSFER_DETAILS if data.get(k)}
            ids = dataset_ids_in(result)
            await run_in_threadpool(audit_transfer, services, actor, name, ids, len(response.body), extra)
        return response
    except SapanError as exc:
        return failure(help_text, exc)
    except Exception as exc:  # a bug: answer in CKAN's envelope, log the traceback, show none
        if database_unavailable(exc):
            log.warning("action %s: database unavailable: %s", name, exc)
            return unavailable(help_text)
        log.exception("action %s failed", name)
        return JSONResponse(
            {
                "help": help_text,
                "success": False,
                "error": {"__type": "Internal Error", "message": "Internal error"},
            },
            status_code=500,
        )


def _endpoint(name: str, action: Action) -> Any:
    async def endpoint(request: Request) -> Response:
        return await handle(request, name, action)

    endpoint.__name__ = name
    endpoint.__doc__ = action.summary
    return endpoint


# A POST's parameters: CKAN's data dict as a JSON object (or a form, with a file as `upload`).
DATA_DICT = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": {"type": "object", "description": "The action's parameters (CKAN's data dict)."}
            },
            "multipart/form-data": {"schema": {"type": "object"}},
        },
    }
}

for _name, _action in ACTIONS.items():
    _methods = ["POST"] if _action.write else ["GET", "POST"]
    for _method in _methods:
        router.add_api_route(
            f"/api/3/action/{_name}",
            _endpoint(_name, _action),
            methods=[_method],
            summary=_action.summary,
            operation_id=f"{_name}_{_method.lower()}",
            openapi_extra=DATA_DICT if _method == "POST" else None,
        )
    router.add_api_route(
        f"/api/action/{_name}", _endpoint(_name, _action), methods=_methods, include_in_schema=False
    )


@router.api_route("/api/3/action/{name}", methods=["GET", "POST"], include_in_schema=False)
@router.api_route("/api/action/{name}", methods=["GET", "POST"], include_in_schema=False)
async def unknown_or_wrong_method(request: Request, name: str) -> Response:
    return await handle(request, name, ACTIONS.get(name))
