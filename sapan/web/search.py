"""/dataset: the search page (CKAN's URL and parameters). Its JSON twin is package_search."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.responses import Response

from sapan.accounts.service import ANONYMOUS, Actor
from sapan.catalog.context import CatalogConfig
from sapan.db import transaction
from sapan.errors import ValidationError
from sapan.search.index import change_stamp
from sapan.search.query import FACET_FIELDS
from sapan.search.service import SearchQuery, facet_fields_of, search_datasets
from sapan.services import Services
from sapan.web.cache import catalogue_pages
from sapan.web.rendering import error_page, render
from sapan.web.session import PortalSession, actor_in, current

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
MAX_PAGE = 500  # deeper pages are for the API; a page link that far is a crawler's loop
PROFILE_FACETS = ("data_category", "data_classification", "data_type")
SORTS = {
    "": "score desc, metadata_modified desc",
    "metadata_modified desc": "metadata_modified desc",
    "metadata_created desc": "metadata_created desc",
    "title_string asc": "title_string asc",
    "title_string desc": "title_string desc",
}


@dataclass
class SearchParams:
    q: str = ""
    filters: list[tuple[str, str]] = field(default_factory=list)  # (facet field, value), AND-ed
    sort: str = ""
    page: int = 1


def facet_fields(cfg: CatalogConfig) -> list[str]:
    """CKAN's facets, then the profile's data category and classification (where the profile has them)."""
    known = facet_fields_of(cfg.profile)
    return [*FACET_FIELDS, *(f for f in PROFILE_FACETS if f in known)]


def read_params(
    params: QueryParams, cfg: CatalogConfig, fixed: tuple[str, str] | None = None
) -> SearchParams:
    """The page's query string; ValidationError (a 400 page) for a sort or page it cannot read."""
    fields = facet_fields(cfg)
    filters = [(k, v) for k, v in params.multi_items() if k in fields and v and (k, v) != fixed]
    sort = params.get("sort", "")
    if sort not in SORTS:
        raise ValidationError.one("sort", f"Unknown sort: {sort}")
    raw_page = params.get("page", "1") or "1"
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_PAGE:
        raise ValidationError.one("page", f"Must be a whole number from 1 to {MAX_PAGE}")
    return SearchParams(params.get("q", "").strip()[:500], filters, sort, int(raw_page))


def _quoted(value: str) -> str:
    """A Solr-style quoted value: parse_fq unescapes a backslash-quote inside quotes (lone backslashes
    are dropped, so a value cannot end the quotes early)."""
    return '"' + value.replace("\\", "").replace('"', '\\"') + '"'


def _fq(filters: list[tuple[str, str]]) -> str:
    return " ".join(f"{name}:{_quoted(value)}" for name, value in filters)


def search_page_data(
    session: Session,
    cfg: CatalogConfig,
    params: SearchParams,
    fixed: tuple[str, str] | None = None,
    actor: Actor = ANONYMOUS,
) -> dict[str, Any]:
    """One page of results with facets, as this actor may see them (a logged-in publisher finds their
    organization's private datasets too). `fixed` is a filter the page itself sets (an organization's
    or group's page) and that cannot be removed."""
    filters = params.filters + ([fixed] if fixed else [])
    fields = [f for f in facet_fields(cfg) if not fixed or f != fixed[0]]
    query = SearchQuery(
        q=params.q,
        fq=_fq(filters),
        rows=PAGE_SIZE,
        start=(params.page - 1) * PAGE_SIZE,
        sort=SORTS[params.sort],
        facet_fields=fields,
        facet_limit=10,
        # as CKAN's portal: a logged-in user also finds the private datasets they may read
        include_private=not actor.is_anonymous,
    )
    if params.q or not actor.is_anonymous:
        found = search_datasets(session, cfg, actor, query)
    else:  # browsing: the same answer for every anonymous visitor until the catalogue changes
        key = (
            id(session.get_bind()),
            change_stamp(session),
            query.fq,
            query.sort,
            query.start,
            tuple(fields),
        )
        found = catalogue_pages.get_or_make(key, lambda: search_datasets(session, cfg, ANONYMOUS, query))
    pages = max(1, -(-found["count"] // PAGE_SIZE))
    profile_fields = {f.name: f for f in cfg.profile.dataset_fields}
    return {
        "params": params,
        "found": found,
        # the page's JSON twin: the same search through the Action API
        "api_url": "/api/3/action/package_search?"
        + urlencode(
            {"q": params.q, "fq": query.fq, "rows": PAGE_SIZE, "start": query.start, "sort": query.sort}
        ),
        "facet_fields": fields,
        # Titles and choice labels of the profile's facets in both languages (the template picks one)
        "facet_labels": {n: profile_fields[n].label for n in fields if n in profile_fields},
        "choice_labels": {
            n: dict(profile_fields[n].choices)
            for n in fields
            if n in profile_fields and profile_fields[n].choices
        },
        "pages": pages,
        "page_window": [p for p in range(1, pages + 1) if p in (1, pages) or abs(p - params.page) <= 2][:9],
        "sorts": list(SORTS),
        "active": [(n, v) for n, v in params.filters],
        # what a filter's chip shows: the facet's display name (an organization's title, not its slug)
        "active_names": {
            (name, item["name"]): item["display_name"]
            for name, facet in found["search_facets"].items()
            for item in facet["items"]
        },
        "also_searched": found.get("also_searched", []),
    }


async def respond(
    request: Request,
    template: str,
    context: dict[str, Any],
    fixed: tuple[str, str] | None = None,
) -> Response:
    """Render a search page, or only its results when HTMX asks (same URL, same data)."""
    services: Services = request.app.state.services
    try:
        params = read_params(request.query_params, services.catalog, fixed)
        context.update(await run_in_threadpool(_search, services, params, fixed, current(request)))
    except ValidationError as exc:
        return error_page(request, 400, str(exc))
    partial = request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "results"
    return render(
        request, "search_results.html" if partial else template, context, headers={"Vary": "HX-Request"}
    )


def _search(
    services: Services, params: SearchParams, fixed: tuple[str, str] | None, visitor: PortalSession | None
) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        return search_page_data(session, services.catalog, params, fixed, actor_in(session, visitor))


@router.get("/dataset")
async def dataset_search(request: Request) -> Response:
    return await respond(request, "search.html", {})
