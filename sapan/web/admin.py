"""Admin pages for sysadmins (CKAN's /ckan-admin): users (list, create, make sysadmin), organizations
(list, create) and their memberships (add with a capacity, remove). Everyone else gets a 403 page.
Each write is the domain function the Action API's user_create, organization_create and
organization_member_create/delete call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from sapan.accounts import permissions
from sapan.accounts import service as accounts
from sapan.catalog import groups
from sapan.db import transaction
from sapan.errors import NotFound, ValidationError
from sapan.services import Services
from sapan.web import csrf
from sapan.web.auth import login_required
from sapan.web.rendering import guarded, render
from sapan.web.session import PortalSession, actor_in

router = APIRouter(include_in_schema=False)
Work = Callable[[Session, accounts.Actor], dict[str, Any]]


def _as_sysadmin(services: Services, visitor: PortalSession, work: Work) -> dict[str, Any]:
    """Run `work` in one transaction as the visitor, who must be a sysadmin. A ValidationError comes
    back as {"errors": …} so the page can show it (nothing was written)."""
    try:
        with transaction(services.sessions) as session:
            actor = actor_in(session, visitor)
            permissions.ensure_sysadmin(actor, "use the admin pages")
            return work(session, actor)
    except ValidationError as exc:
        return {"errors": [f"{k}: {m}" for k, found in exc.errors.items() for m in found]}


async def _run(request: Request, work: Work) -> Response | dict[str, Any]:
    visitor = login_required(request)
    services: Services = request.app.state.services
    found: Response | dict[str, Any] = await guarded(request, _as_sysadmin, services, visitor, work)
    return found


async def _page(request: Request, template: str, listing: Work, change: Work | None = None) -> Response:
    """Apply `change` (a POST, after its CSRF check) and show the page again with its errors if any."""
    errors: list[str] = []
    if change is not None:
        done = await _run(request, change)
        if isinstance(done, Response):
            return done
        errors = done.get("errors", [])
        if not errors:  # after a change, a GET: reloading the page does not send it twice
            return RedirectResponse(request.url.path, status_code=303)
    context = await _run(request, listing)
    if isinstance(context, Response):
        return context
    return render(request, template, {**context, "errors": errors}, status_code=400 if errors else 200)


def _users(session: Session, actor: accounts.Actor) -> dict[str, Any]:
    return {"users": [accounts.user_dict(u, include_private=True) for u in accounts.list_users(session)]}


@router.get("/ckan-admin/users")
async def users(request: Request) -> Response:
    return await _page(request, "admin_users.html", _users)


@router.post("/ckan-admin/users")
async def create_user(request: Request) -> Response:
    login_required(request)
    form = await csrf.checked_form(request)
    values = {k: str(form.get(k) or "").strip() for k in ("name", "email", "fullname")}
    password = str(form.get("password") or "")

    def change(session: Session, actor: accounts.Actor) -> dict[str, Any]:
        accounts.create_user(session, values["name"], values["email"], password or None,
                             fullname=values["fullname"])  # fmt: skip
        return {}

    return await _page(request, "admin_users.html", _users, change)


@router.post("/ckan-admin/users/{name}/sysadmin")
async def toggle_sysadmin(request: Request, name: str) -> Response:
    login_required(request)
    form = await csrf.checked_form(request)
    make = form.get("sysadmin") == "true"

    def change(session: Session, actor: accounts.Actor) -> dict[str, Any]:
        accounts.set_sysadmin(session, actor, accounts.get_user(session, name), make)
        return {}

    response = await _page(request, "admin_users.html", _users, change)
    if isinstance(response, RedirectResponse):
        response.headers["location"] = "/ckan-admin/users"
    return response


def _organizations(session: Session, actor: accounts.Actor) -> dict[str, Any]:
    return {"organizations": groups.list_groups(session, actor, True, all_fields=True)}


@router.get("/ckan-admin/organizations")
async def organizations(request: Request) -> Response:
    return await _page(request, "admin_organizations.html", _organizations)


@router.post("/ckan-admin/organizations")
async def create_organization(request: Request) -> Response:
    login_required(request)
    form = await csrf.checked_form(request)
    data = {k: str(form.get(k) or "").strip() for k in ("name", "title", "description")}

    def change(session: Session, actor: accounts.Actor) -> dict[str, Any]:
        groups.create_group(session, actor, data, True)
        return {}

    return await _page(request, "admin_organizations.html", _organizations, change)


def _members_of(name: str) -> Work:
    def listing(session: Session, actor: accounts.Actor) -> dict[str, Any]:
        org = groups.show_group(session, actor, name, True, include_users=True)
        return {"org": org, "members": org.get("users", []), "capacities": accounts.CAPACITIES}

    return listing


@router.get("/organization/members/{name}")
async def members(request: Request, name: str) -> Response:
    return await _page(request, "admin_members.html", _members_of(name))


@router.post("/organization/members/{name}")
async def add_member(request: Request, name: str) -> Response:
    login_required(request)
    form = await csrf.checked_form(request)
    username, capacity = str(form.get("username") or "").strip(), str(form.get("capacity") or "")

    def change(session: Session, actor: accounts.Actor) -> dict[str, Any]:
        try:
            groups.add_member(session, actor, name, username, capacity)
        except NotFound as exc:  # an unknown user name is the form's error, not a missing page
            raise ValidationError.one("username", str(exc)) from exc
        return {}

    return await _page(request, "admin_members.html", _members_of(name), change)


@router.post("/organization/members/{name}/remove")
async def remove_member(request: Request, name: str) -> Response:
    login_required(request)
    form = await csrf.checked_form(request)
    username = str(form.get("username") or "")

    def change(session: Session, actor: accounts.Actor) -> dict[str, Any]:
        groups.remove_member(session, actor, name, username)
        return {}

    response = await _page(request, "admin_members.html", _members_of(name), change)
    if isinstance(response, RedirectResponse):
        response.headers["location"] = f"/organization/members/{quote(name)}"
    return response
