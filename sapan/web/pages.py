"""Portal pages. Each page has a JSON twin in the Action API and uses the same domain functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from sapan.accounts.service import ANONYMOUS
from sapan.api import dcat
from sapan.catalog import datasets, groups
from sapan.db import transaction
from sapan.errors import NotFound, ValidationError
from sapan.search.service import SearchQuery, search_datasets
from sapan.services import Services

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _home(services: Services, q: str) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        found = search_datasets(
            session,
            services.catalog,
            ANONYMOUS,
            SearchQuery(q=q, rows=30, sort="metadata_modified desc"),
        )
        orgs = groups.list_groups(session, ANONYMOUS, True, all_fields=True)
        return {"found": found, "organizations": orgs, "q": q}


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, q: str = "") -> HTMLResponse:
    services: Services = request.app.state.services
    try:
        context = await run_in_threadpool(_home, services, q)
    except ValidationError as exc:
        context = {"found": {"count": 0, "results": []}, "organizations": [], "q": q, "error": str(exc)}
    context["site_title"] = services.settings.site_title
    return templates.TemplateResponse(request, "home.html", context)


def _dataset(services: Services, name: str) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        ds = datasets.show_dataset(session, services.catalog, ANONYMOUS, name)
        fields = [
            (f.label.get("th") or f.label.get("en", f.name), f.label.get("en", f.name), ds[f.name])
            for f in services.catalog.profile.extra_dataset_fields
            if ds.get(f.name)
        ]
        return {"ds": ds, "fields": fields}


@router.get("/dataset/{name}", response_class=HTMLResponse)
async def dataset_page(request: Request, name: str) -> Response:
    extension = dcat.negotiate(request.headers.get("accept", ""))
    if extension is not None:  # a harvester asking for RDF gets the page's DCAT twin
        return await dcat.dataset_rdf(request, name, extension)
    services: Services = request.app.state.services
    try:
        context = await run_in_threadpool(_dataset, services, name)
    except NotFound:
        return templates.TemplateResponse(
            request, "not_found.html", {"site_title": services.settings.site_title}, status_code=404
        )
    context["site_title"] = services.settings.site_title
    return templates.TemplateResponse(request, "dataset.html", context, headers={"Vary": "Accept"})
