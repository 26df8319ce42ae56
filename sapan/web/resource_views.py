"""Saving a chart as a resource view from the resource page ("Save as view") and deleting one. Each
write is the domain call the API's resource_view_create / resource_view_delete make, with the
logged-in user's Actor; every POST is CSRF-checked. A refused chart shows the resource page again
with the domain's message."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.responses import Response

from sapan.catalog import resources, views
from sapan.db import transaction
from sapan.errors import NotAuthorized, NotFound, ValidationError
from sapan.services import Services
from sapan.web import csrf
from sapan.web.auth import login_required
from sapan.web.rendering import error_page, guarded, refusal_page, render
from sapan.web.resource import page_context
from sapan.web.session import PortalSession, actor_in

router = APIRouter(include_in_schema=False)


def _create(
    services: Services, visitor: PortalSession, name: str, resource_id: str, form: dict[str, Any]
) -> str:
    with transaction(services.sessions) as session:
        actor = actor_in(session, visitor)
        _, ds = resources.get_resource(session, actor, resource_id)
        if name not in (ds.name, ds.id):
            raise NotFound("Resource not found")
        data = {"resource_id": resource_id, "view_type": "vega-lite", **form}
        return str(views.create_view(session, actor, data)["id"])


def _delete(services: Services, visitor: PortalSession, resource_id: str, view_id: str) -> None:
    with transaction(services.sessions) as session:
        actor = actor_in(session, visitor)
        if views.show_view(session, actor, view_id)["resource_id"] != resource_id:
            raise NotFound("Resource view not found")
        views.delete_view(session, actor, view_id)


@router.post("/dataset/{name}/resource/{resource_id}/views")
async def save_view(request: Request, name: str, resource_id: str) -> Response:
    visitor = login_required(request)
    form = await csrf.checked_form(request)
    services: Services = request.app.state.services
    fields = {k: form.get(k) for k in ("title", "description", "spec") if isinstance(form.get(k), str)}
    page = f"/dataset/{quote(name)}/resource/{quote(resource_id)}"
    try:
        view_id = await run_in_threadpool(_create, services, visitor, name, resource_id, fields)
    except NotFound:
        return error_page(request, 404)
    except NotAuthorized as exc:
        return refusal_page(request, 403, "forbidden", str(exc))
    except ValidationError as exc:
        try:
            context = await run_in_threadpool(
                page_context, services, name, resource_id, QueryParams(), visitor
            )
        except (NotFound, ValidationError):
            return error_page(request, 404)
        context["view_errors"] = [f"{k}: {m}" for k, messages in exc.errors.items() for m in messages]
        context["view_title"] = fields.get("title", "")
        return render(request, "resource.html", context, status_code=400)
    return RedirectResponse(f"{page}#view-{view_id}", status_code=303)


@router.post("/dataset/{name}/resource/{resource_id}/views/{view_id}/delete")
async def delete_view(request: Request, name: str, resource_id: str, view_id: str) -> Response:
    visitor = login_required(request)
    await csrf.checked_form(request)
    services: Services = request.app.state.services
    refused = await guarded(request, _delete, services, visitor, resource_id, view_id)
    if isinstance(refused, Response):
        return refused
    return RedirectResponse(
        f"/dataset/{quote(name)}/resource/{quote(resource_id)}#views-title", status_code=303
    )
