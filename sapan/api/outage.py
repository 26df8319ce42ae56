"""The database away (restarting, failing over): every route answers 503 instead of a 500 with a
traceback: the CKAN envelope under /api/, a readable page elsewhere."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from sqlalchemy import exc as sa_exc

from sapan.api.envelope import help_url, unavailable
from sapan.db import database_unavailable
from sapan.web.rendering import error_page

log = logging.getLogger("sapan.api")


async def database_away(request: Request, exc: Exception) -> Response:
    if not database_unavailable(exc):
        raise exc  # a bug: the server's 500, logged with its traceback
    log.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
    if request.url.path.startswith("/api/"):
        site = request.app.state.services.settings.site_url
        return unavailable(help_url(site, request.url.path.rsplit("/", 1)[-1]))
    page = error_page(request, 503)
    page.headers["Retry-After"] = "5"
    return page


def install(app: FastAPI) -> None:
    for kind in (sa_exc.DBAPIError, sa_exc.TimeoutError):
        app.add_exception_handler(kind, database_away)
