"""/user/{name}/api-tokens: a user's API tokens (list, create — the token shown once — and revoke),
through the same account functions as api_token_create/list/revoke."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from sapan.accounts import service as accounts
from sapan.db import transaction
from sapan.errors import NotAuthorized, NotFound
from sapan.services import Services
from sapan.web import csrf
from sapan.web.auth import login_required
from sapan.web.rendering import guarded, render
from sapan.web.session import PortalSession, actor_in

router = APIRouter(include_in_schema=False)


def _owner(session: Any, visitor: PortalSession, name: str) -> tuple[accounts.Actor, accounts.User]:
    actor = actor_in(session, visitor)
    user = accounts.get_user(session, name)
    if not (actor.sysadmin or actor.user_id == user.id):
        raise NotAuthorized("You can only manage your own API tokens")
    return actor, user


def _tokens(
    services: Services, visitor: PortalSession, name: str, create: str | None = None
) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        actor, user = _owner(session, visitor, name)
        plain = None
        if create is not None:
            _, plain = accounts.create_token(session, user, create[:200], by=actor.name)
        tokens = [accounts.token_dict(t) for t in accounts.list_tokens(session, user.id)]
        return {"owner": user.name, "tokens": tokens, "new_token": plain}


def _revoke(services: Services, visitor: PortalSession, name: str, token_id: str) -> None:
    with transaction(services.sessions) as session:
        actor, user = _owner(session, visitor, name)
        if token_id not in {t.id for t in accounts.list_tokens(session, user.id)}:
            raise NotFound("API token not found")
        accounts.revoke_token(session, actor, token_id=token_id)


@router.get("/user/{name}/api-tokens")
async def token_page(request: Request, name: str) -> Response:
    visitor = login_required(request)
    services: Services = request.app.state.services
    context = await guarded(request, _tokens, services, visitor, name)
    return context if isinstance(context, Response) else render(request, "api_tokens.html", context)


@router.post("/user/{name}/api-tokens")
async def create_token(request: Request, name: str) -> Response:
    visitor = login_required(request)
    form = await csrf.checked_form(request)
    services: Services = request.app.state.services
    label = str(form.get("name") or "").strip()
    context = await guarded(request, _tokens, services, visitor, name, label)
    return context if isinstance(context, Response) else render(request, "api_tokens.html", context)


@router.post("/user/{name}/api-tokens/{token_id}/revoke")
async def revoke_token(request: Request, name: str, token_id: str) -> Response:
    visitor = login_required(request)
    await csrf.checked_form(request)
    services: Services = request.app.state.services
    refused = await guarded(request, _revoke, services, visitor, name, token_id)
    if isinstance(refused, Response):
        return refused
    return RedirectResponse(f"/user/{name}/api-tokens", status_code=303)
