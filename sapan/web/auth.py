"""/user/login and /user/logout (CKAN's URLs): password login into a signed session cookie, a rate
limit on failures, failed logins in the audit log (as bad API tokens are), and `login_required`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from sapan.accounts.service import check_password
from sapan.api.ratelimit import client_address
from sapan.db import transaction
from sapan.errors import NotAuthorized
from sapan.governance import audit
from sapan.services import Services
from sapan.web import csrf, session
from sapan.web.rendering import refusal_page, render
from sapan.web.throttle import LoginThrottle, keys_for

router = APIRouter(include_in_schema=False)
AFTER_LOGIN = "/dashboard/datasets"


def local_path(path: str, default: str = "/") -> str:
    """Only a path on this site (no //host or scheme): came_from must not become an open redirect."""
    ok = path.startswith("/") and not path.startswith("//") and "\\" not in path
    return path if ok else default


class LoginRequired(Exception):
    """An anonymous visitor asked for a page that needs a user: they are sent to the login page."""


def login_required(request: Request) -> session.PortalSession:
    found = session.current(request)
    if found is None or not found.logged_in:
        raise LoginRequired
    return found


async def to_login(request: Request, exc: Exception) -> Response:
    came_from = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/user/login?came_from={quote(came_from)}", status_code=303)


def throttle_of(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


def _login_page(request: Request, context: dict[str, Any], status_code: int = 200) -> Response:
    csrf.ensure_session(request)
    return csrf.remember_new_session(request, render(request, "login.html", context, status_code))


@router.get("/user/login")
async def login_form(request: Request, came_from: str = "") -> Response:
    return _login_page(request, {"came_from": local_path(came_from, ""), "name": "", "error": False})


def _check(services: Services, name: str, password: str, address: str) -> session.PortalSession | None:
    audit.request_ip.set(address)
    try:
        with transaction(services.sessions) as db:
            return session.new_session(check_password(db, name, password))
    except NotAuthorized as exc:
        with transaction(services.sessions) as db:
            details = {"user": name[:100], "reason": str(exc)}
            audit.record(db, "anonymous", "auth.failure", "login", "", details)
        return None


@router.post("/user/login")
async def login(request: Request) -> Response:
    form = await csrf.checked_form(request)
    name, password = str(form.get("login", "")).strip(), str(form.get("password", ""))
    came_from = local_path(str(form.get("came_from", "")), "")
    address = client_address(request.scope, request.app.state.trusted_proxies)  # as the API's limits
    keys = keys_for(address, name)
    throttle = throttle_of(request)
    if wait := await throttle.retry_after(keys):
        return refusal_page(request, 429, "throttled", headers={"Retry-After": str(wait)})
    services: Services = request.app.state.services
    found = await run_in_threadpool(_check, services, name, password, address) if name and password else None
    if found is None:
        await throttle.failed(keys)
        context = {"came_from": came_from, "name": name, "error": True}
        return _login_page(request, context)
    await throttle.forget(keys[1])
    response = RedirectResponse(came_from or AFTER_LOGIN, status_code=303)
    session.save(request, response, found)
    return response


@router.get("/user/logout")
async def logout_form(request: Request) -> Response:
    """CKAN's logout URL: here a page with the button (a GET that logs out could be triggered by any
    image tag on another site)."""
    found = session.current(request)
    if found is None or not found.logged_in:
        return RedirectResponse("/", status_code=303)
    return render(request, "logout.html", {})


@router.post("/user/logout")
async def logout(request: Request) -> Response:
    await csrf.checked_form(request)
    response = RedirectResponse("/", status_code=303)
    session.clear(request, response)
    return response
