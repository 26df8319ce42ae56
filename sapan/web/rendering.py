"""Rendering portal pages: one Jinja2 environment, the per-request language, error pages."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from sapan.errors import NotAuthorized, NotFound, ValidationError
from sapan.web import i18n, session

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@cache
def _markdown() -> MarkdownIt:
    # "js-default": CommonMark with raw HTML off and link checks on, so notes cannot carry markup
    # or javascript: links; `linkify` stays off (it needs an extra package).
    return MarkdownIt("js-default")


def markdown(text: str | None) -> Markup:
    """Notes as safe HTML: Markdown without raw HTML (every tag in the text is escaped)."""
    return Markup(_markdown().render(text or ""))  # noqa: S704 - markdown-it escapes with html off


def script_json(value: Any) -> Markup:
    """JSON for a <script type="application/json|ld+json"> element: `<`, `>` and `&` escaped, so no
    text inside can close the element."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above


templates.env.filters["markdown"] = markdown
templates.env.filters["script_json"] = script_json


def language_of(request: Request) -> str:
    cached = getattr(request.state, "language", None)
    if cached is None:
        cached = i18n.pick_language(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))
        request.state.language = cached
    return str(cached)


def url_with(request: Request, drop: tuple[str, ...] = (), **changes: Any) -> str:
    """This page's URL with some query parameters changed (None removes one) — for sort and page links."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in changes and k not in drop]
    items += [(k, str(v)) for k, v in changes.items() if v not in (None, "")]
    query = urlencode(items)
    return request.url.path + (f"?{query}" if query else "")


def url_adding(request: Request, name: str, value: str) -> str:
    """This page's URL with one more filter (back to page 1)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "page" and (k, v) != (name, value)]
    return request.url.path + "?" + urlencode([*items, (name, value)])


def url_without(request: Request, name: str, value: str) -> str:
    """This page's URL without one filter (back to page 1)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "page" and (k, v) != (name, value)]
    return request.url.path + (f"?{urlencode(items)}" if items else "")


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A page in the visitor's language, with the helpers every template uses."""
    language = language_of(request)
    translations = i18n.translations(language)
    services = getattr(request.app.state, "services", None)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    visitor = session.current(request) if services else None
    base: dict[str, Any] = {
        "lang": language,
        "other_lang": "en" if language == "th" else "th",
        "_": translations.gettext,
        "ngettext": translations.ngettext,
        "date": lambda value: i18n.format_date(value, language),
        "number": lambda value: i18n.format_number(value, language),
        "ago": lambda value: i18n.format_ago(value, language),
        "label": lambda labels, fallback="": i18n.label(labels, language, fallback),
        "url_with": lambda **changes: url_with(request, **changes),
        "url_adding": lambda name, value: url_adding(request, name, value),
        "url_without": lambda name, value: url_without(request, name, value),
        "here": here,
        "site_title": services.settings.site_title if services else "Sapan",
        # the header's user and logout form; every POST form carries the session's CSRF token
        "user_name": visitor.user_name if visitor else None,
        "csrf_token": visitor.csrf if visitor else "",
    }
    response = templates.TemplateResponse(
        request, name, {**base, **context}, status_code=status_code, headers=headers
    )
    response.headers.append("Vary", "Accept-Language, Cookie")
    if visitor and visitor.logged_in:  # a page made for one user is no shared cache's to keep
        response.headers["Cache-Control"] = "private, no-store"
    return response


def error_page(request: Request, status_code: int, message: str = "") -> Response:
    """A readable page for 400 and 404 (never a traceback)."""
    return render(request, "error.html", {"status": status_code, "message": message}, status_code)


def refusal_page(
    request: Request, status_code: int, reason: str, message: str = "", headers: dict[str, str] | None = None
) -> Response:
    """A readable 403 (reason "csrf" or "forbidden"), 413 ("too_large") or 429 ("throttled") page."""
    context = {"status": status_code, "reason": reason, "message": message}
    return render(request, "refused.html", context, status_code, headers)


async def guarded(request: Request, call: Any, *args: Any) -> Any:
    """Run a page's data call in a worker thread. What the domain refuses becomes a readable page
    (never a 500): 404 for what is not there or not readable, 403 naming what is not allowed. The
    caller tells the two apart by `isinstance(answer, Response)`."""
    try:
        return await run_in_threadpool(call, *args)
    except (NotFound, ValidationError):
        return error_page(request, 404)
    except NotAuthorized as exc:
        return refusal_page(request, 403, "forbidden", str(exc))
