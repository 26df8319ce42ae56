"""/organization, /group and their pages (JSON twins: organization_list/show, group_list/show)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from sapan.catalog import groups
from sapan.db import transaction
from sapan.errors import NotFound
from sapan.services import Services
from sapan.web import search
from sapan.web.rendering import error_page, render
from sapan.web.session import PortalSession, actor_in, current

router = APIRouter(include_in_schema=False)


def _list(services: Services, organization: bool, visitor: PortalSession | None) -> list[dict[str, Any]]:
    with transaction(services.sessions) as session:
        return groups.list_groups(session, actor_in(session, visitor), organization, all_fields=True)


def _show(services: Services, name: str, organization: bool, visitor: PortalSession | None) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        actor = actor_in(session, visitor)
        return groups.show_group(session, actor, name, organization, include_users=False)


async def _index(request: Request, organization: bool) -> Response:
    services: Services = request.app.state.services
    found = await run_in_threadpool(_list, services, organization, current(request))
    return render(request, "groups.html", {"groups": found, "organization": organization})


async def _page(request: Request, name: str, organization: bool) -> Response:
    services: Services = request.app.state.services
    try:
        group = await run_in_threadpool(_show, services, name, organization, current(request))
    except NotFound:
        return error_page(request, 404)
    fixed = ("organization" if organization else "groups", group["name"])
    context = {"group": group, "organization": organization}
    return await search.respond(request, "group.html", context, fixed)


@router.get("/organization")
async def organization_index(request: Request) -> Response:
    return await _index(request, True)


@router.get("/organization/{name}")
async def organization_page(request: Request, name: str) -> Response:
    return await _page(request, name, True)


@router.get("/group")
async def group_index(request: Request) -> Response:
    return await _index(request, False)


@router.get("/group/{name}")
async def group_page(request: Request, name: str) -> Response:
    return await _page(request, name, False)
