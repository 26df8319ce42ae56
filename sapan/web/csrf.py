"""CSRF tokens: every portal form that POSTs carries the session's token in `csrf_token`; a request
without it (or with another session's) is refused with a readable 403 page before anything runs."""

from __future__ import annotations

import hmac

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from sapan.web import session

FIELD = "csrf_token"


class CsrfRefused(Exception):
    """The form's token is missing or is not this session's."""


async def checked_form(request: Request) -> FormData:
    """The POSTed form once its token matches the session's; raises CsrfRefused otherwise."""
    form = await request.form()
    found = session.current(request)
    token = form.get(FIELD)
    if found is None or not isinstance(token, str) or not hmac.compare_digest(token, found.csrf):
        await form.close()
        raise CsrfRefused
    return form


def ensure_session(request: Request) -> session.PortalSession:
    """The session a page with a form needs (an anonymous one for the login form); new ones are saved
    by `remember_new_session` on the response."""
    found = session.current(request)
    if found is None:
        found = session.new_session()
        request.state.portal_session = found
        request.state.new_portal_session = True
    return found


def remember_new_session(request: Request, response: Response) -> Response:
    if getattr(request.state, "new_portal_session", False):
        session.save(request, response, session.current(request) or session.new_session())
    return response


async def refused(request: Request, exc: Exception) -> Response:
    from sapan.web.rendering import refusal_page

    return refusal_page(request, 403, "csrf")
