"""DCAT-AP 3 endpoints: /catalog.{ttl,jsonld,rdf,xml} (Hydra-paged), /dataset/{id}.{ttl,jsonld,rdf,xml}
and /dataset/{id}/datapackage.json. Published datasets only (sapan/harvest/export.py says why)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from sapan.accounts.service import ANONYMOUS, actor_for_token
from sapan.api.actions_router import api_token, audit_transfer, note_client
from sapan.api.envelope import error_body
from sapan.api.params import int_param, str_param
from sapan.db import transaction
from sapan.errors import NotFound, SapanError
from sapan.harvest.datapackage import data_package
from sapan.harvest.dcat_export import FORMATS, Site, catalog_graph, dataset_graph, serialize
from sapan.harvest.export import (
    CatalogQuery,
    catalog_page,
    parse_modified_since,
    published_dataset,
    withheld_resources,
)
from sapan.services import Services

router = APIRouter(tags=["DCAT"])
MEDIA_TYPES = {"text/turtle": "ttl", "application/ld+json": "jsonld", "application/rdf+xml": "rdf"}
HTML_TYPES = ("text/html", "application/xhtml+xml", "text/*", "*/*")
PAGE_PARAMS = ("q", "fq", "modified_since")


def negotiate(accept: str) -> str | None:
    """The RDF extension an Accept header prefers over HTML, or None (HTML stays the default: on a tie,
    and for browsers, whose */* never outranks their text/html)."""
    best_rdf, best_rdf_q, best_html_q = None, 0.0, 0.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if media in MEDIA_TYPES and quality > best_rdf_q:
            best_rdf, best_rdf_q = MEDIA_TYPES[media], quality
        elif media in HTML_TYPES:
            best_html_q = max(best_html_q, quality)
    return best_rdf if best_rdf is not None and best_rdf_q > best_html_q else None


def _failure(exc: SapanError) -> JSONResponse:
    status, error = error_body(exc)
    return JSONResponse({"success": False, "error": error}, status_code=status)


def _site(services: Services) -> Site:
    return Site(
        services.settings.site_url.rstrip("/"), services.settings.site_title, services.catalog.profile
    )


def _catalog(services: Services, token: str | None, extension: str, params: dict[str, Any]) -> bytes:
    query = CatalogQuery(
        page=int_param(params, "page", 1, lo=1) or 1,
        page_size=services.settings.dcat_page_size,
        q=str_param(params, "q"),
        fq=str_param(params, "fq"),
        modified_since=parse_modified_since(str_param(params, "modified_since")),
    )
    kept = {k: str(params[k]) for k in PAGE_PARAMS if params.get(k)}
    base = f"{services.settings.site_url.rstrip('/')}/catalog.{extension}"

    def page_url(number: int) -> str:
        return f"{base}?{urlencode({**kept, 'page': number})}"

    with transaction(services.sessions) as session:
        # Anyone's view is the published one (harvest/export.py); a partner's token narrows it further.
        actor = actor_for_token(session, token) if token else ANONYMOUS
        page = catalog_page(session, services.catalog, query, actor.partner)
    body = serialize(catalog_graph(_site(services), page, page_url), extension)
    if actor.partner is not None:
        ids = [str(ds["id"]) for ds in page.datasets]
        audit_transfer(services, actor, f"dcat.catalog.{extension}", ids, len(body), {"page": query.page})
    return body


@router.get("/catalog.{extension}")
async def catalog(request: Request, extension: str) -> Response:
    """The catalogue of published datasets as DCAT-AP 3 (ttl, jsonld, rdf or xml), newest change first,
    in pages with Hydra links: page, q and fq as in package_search, modified_since (ISO 8601)."""
    if extension not in FORMATS:
        return _failure(NotFound(f"Unknown catalogue format .{extension}: use .ttl, .jsonld, .rdf or .xml"))
    services: Services = request.app.state.services
    note_client(request)
    try:
        body = await run_in_threadpool(
            _catalog, services, api_token(request), extension, dict(request.query_params)
        )
    except SapanError as exc:
        return _failure(exc)
    return Response(body, media_type=FORMATS[extension][1])


def _dataset(services: Services, token: str | None, ref: str, extension: str) -> bytes:
    with transaction(services.sessions) as session:
        actor = actor_for_token(session, token) if token else ANONYMOUS
        ds = published_dataset(session, services.catalog, actor, ref)
        graph = dataset_graph(_site(services), ds, withheld_resources(session, [ds]))
    body = serialize(graph, extension)
    if actor.partner is not None:
        audit_transfer(services, actor, f"dcat.dataset.{extension}", [str(ds["id"])], len(body))
    return body


async def dataset_rdf(request: Request, ref: str, extension: str) -> Response:
    """One published dataset as DCAT-AP 3; 404 for unknown, unreadable and unpublished ones."""
    services: Services = request.app.state.services
    note_client(request)
    try:
        body = await run_in_threadpool(_dataset, services, api_token(request), ref, extension)
    except SapanError as exc:
        return _failure(exc)
    return Response(body, media_type=FORMATS[extension][1], headers={"Vary": "Accept"})


@router.get("/dataset/{ref}.{extension}")
async def dataset(request: Request, ref: str, extension: str) -> Response:
    """One published dataset as DCAT-AP 3 (ttl, jsonld, rdf or xml). `/dataset/{id}` answers the same
    to an Accept header of text/turtle, application/ld+json or application/rdf+xml."""
    if extension not in FORMATS:
        return _failure(NotFound(f"Unknown dataset format .{extension}: use .ttl, .jsonld, .rdf or .xml"))
    return await dataset_rdf(request, ref, extension)


def _package(services: Services, token: str | None, ref: str) -> bytes:
    with transaction(services.sessions) as session:
        actor = actor_for_token(session, token) if token else ANONYMOUS
        package = data_package(session, services.catalog, actor, ref)
    body = JSONResponse(package).body
    if actor.partner is not None:
        audit_transfer(services, actor, "datapackage", [str(package["id"]).rsplit("/", 1)[-1]], len(body))
    return bytes(body)


@router.get("/dataset/{ref}/datapackage.json")
async def datapackage(request: Request, ref: str) -> Response:
    """A published dataset as a Frictionless Data Package, with the Table Schema of each DataStore table."""
    services: Services = request.app.state.services
    note_client(request)
    try:
        body = await run_in_threadpool(_package, services, api_token(request), ref)
    except SapanError as exc:
        return _failure(exc)
    return Response(body, media_type="application/json")
