"""The home page, the language switch and the portal's error pages. Each page has a JSON twin in the
Action API and uses the same domain functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response

from sapan.accounts.service import ANONYMOUS, Actor
from sapan.api.limits import BodyTooLarge
from sapan.catalog import downloads, groups
from sapan.catalog.context import CatalogConfig
from sapan.db import transaction
from sapan.search.index import change_stamp
from sapan.search.service import SearchQuery, search_datasets
from sapan.services import Services
from sapan.web import (
    admin,
    auth,
    csrf,
    dataset,
    i18n,
    publish,
    resource,
    resource_views,
    search,
    tokens,
    upload,
)
from sapan.web import groups as group_pages
from sapan.web.cache import catalogue_pages
from sapan.web.rendering import error_page, render
from sapan.web.session import PortalSession, actor_in, current

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def home_data(session: Session, cfg: CatalogConfig, actor: Actor = ANONYMOUS) -> dict[str, Any]:
    """Catalogue totals, themes and organizations with counts, the newest datasets, as this actor may
    see them, and the most downloaded. The anonymous answers are cached: the download ranking under
    the same change stamp, so it may lag the counts by the cache's TTL (a minute)."""
    query = SearchQuery(
        rows=6,
        sort="metadata_created desc",
        facet_fields=["res_format"],
        translation=None,
        include_private=not actor.is_anonymous,
    )
    if actor.is_anonymous:
        key = (id(session.get_bind()), change_stamp(session), "home")
        newest = catalogue_pages.get_or_make(key, lambda: search_datasets(session, cfg, actor, query))
        popular = catalogue_pages.get_or_make(
            (*key, "most-downloaded"), lambda: downloads.most_downloaded(session, actor, 6, cfg.site_url)
        )
    else:
        newest = search_datasets(session, cfg, actor, query)
        popular = downloads.most_downloaded(session, actor, 6, cfg.site_url)
    themes = groups.list_groups(session, actor, False, all_fields=True)
    organizations = groups.list_groups(session, actor, True, all_fields=True)
    return {
        "newest": newest["results"],
        "most_downloaded": popular,
        "totals": {
            "datasets": newest["count"],
            "organizations": sum(1 for o in organizations if o["package_count"]),
            "formats": len(newest["facets"].get("res_format", {})),
        },
        "themes": sorted(themes, key=lambda g: -g["package_count"]),
        "organizations": sorted(organizations, key=lambda g: -g["package_count"])[:8],
    }


def _home(services: Services, visitor: PortalSession | None) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        return home_data(session, services.catalog, actor_in(session, visitor))


@router.get("/")
async def home(request: Request, q: str = "") -> Response:
    if q:  # the old home-page search keeps working: its results live at /dataset
        return RedirectResponse(f"/dataset?{request.url.query}", status_code=302)
    services: Services = request.app.state.services
    context = await run_in_threadpool(_home, services, current(request))
    return render(request, "home.html", context)


def _local(path: str) -> str:
    """Only a path on this site (no //host or scheme): the switch must not become an open redirect."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


@router.get("/lang/{code}")
async def switch_language(code: str, next: str = "/") -> Response:
    if code not in i18n.LANGUAGES:
        code = i18n.DEFAULT
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(
        i18n.COOKIE, code, max_age=LANGUAGE_COOKIE_SECONDS, httponly=True, samesite="lax", path="/"
    )
    return response


async def not_found(request: Request, exc: Exception) -> Response:
    """Unknown pages get a readable page; the API keeps its JSON answers."""
    assert isinstance(exc, HTTPException)
    wants_page = "text/html" in request.headers.get("accept", "")
    if exc.status_code in (404, 405) and wants_page and not request.url.path.startswith("/api/"):
        return error_page(request, 404)
    return await http_exception_handler(request, exc)


def install(app: FastAPI) -> None:
    """Add the portal to the app: static assets, pages, error pages."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # the publisher's pages first: /dataset/new would otherwise be read as a dataset named "new"
    for module in (
        auth,
        publish,
        upload,
        tokens,
        admin,
        search,
        dataset,
        resource,
        resource_views,
        group_pages,
    ):
        app.include_router(module.router)
    app.include_router(router)
    app.add_exception_handler(HTTPException, not_found)
    app.add_exception_handler(csrf.CsrfRefused, csrf.refused)
    app.add_exception_handler(auth.LoginRequired, auth.to_login)
    app.add_exception_handler(BodyTooLarge, upload.too_large)  # the API's routes answer theirs themselves
