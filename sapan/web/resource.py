"""/dataset/{name}/resource/{id}: a resource with its DataStore preview — a server-paged, sortable,
filterable table (works without JavaScript), a chart builder and a map (JavaScript over the
DataStore API). The JSON twins are resource_show and datastore_search."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.responses import Response

from sapan.accounts import permissions
from sapan.accounts.service import ANONYMOUS, Actor
from sapan.catalog import chart_spec, datasets, views
from sapan.catalog.context import CatalogConfig
from sapan.datastore import service as datastore
from sapan.db import transaction
from sapan.errors import NotFound, ValidationError
from sapan.harvest.export import withheld_resources
from sapan.services import Services
from sapan.web.feed import feed_view
from sapan.web.rendering import error_page, render
from sapan.web.session import PortalSession, actor_in, current

router = APIRouter(include_in_schema=False)
ROWS = 20
LAT = re.compile(r"^(lat|latitude|ละติจูด)$", re.IGNORECASE)
LON = re.compile(r"^(lon|lng|long|longitude|ลองจิจูด)$", re.IGNORECASE)


def _page_number(params: QueryParams) -> int:
    raw = params.get("page", "1") or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationError.one("page", "Must be a whole number from 1")
    return int(raw)


def readable_sheets(
    session: Session, cfg: CatalogConfig, resource_id: str, actor: Actor = ANONYMOUS
) -> list[dict[str, Any]]:
    """A workbook's tables (one per sheet) that this actor may read, in sheet order."""
    out = []
    for table in datastore.tables_of(session, resource_id):
        try:
            datastore.readable_table(session, actor, table.id, cfg.storage)
        except NotFound:  # not ingested, or waiting for its personal-data scan
            continue
        out.append({"id": table.id, "name": table.name or table.id, "count": table.row_count})
    return out


def preview(
    session: Session, cfg: CatalogConfig, resource_id: str, params: QueryParams, actor: Actor = ANONYMOUS
) -> dict[str, Any]:
    """One page of the resource's table as this actor may read it (datastore_search's own
    checks: a table awaiting its personal-data scan raises NotFound). ValidationError for bad input."""
    page = _page_number(params)
    sort, direction = params.get("sort", ""), params.get("dir", "asc")
    query: dict[str, Any] = {"resource_id": resource_id, "limit": ROWS, "offset": (page - 1) * ROWS}
    if sort:
        if direction not in ("asc", "desc"):
            raise ValidationError.one("dir", "Must be asc or desc")
        query["sort"] = f"{sort} {direction}"
    if params.get("q"):
        query["q"] = params["q"][:200]
    column, value = params.get("column", ""), params.get("value", "")
    if column and value:
        query["filters"] = {column: value}
    found = datastore.search(session, cfg.storage, actor, query)
    fields = [f for f in found["fields"] if f["id"] != "_id"]
    names = [f["id"] for f in fields]
    total = found.get("total") or 0
    return {
        "fields": fields,
        "rows": [[record.get(n) for n in names] for record in found["records"]],
        "total": total,
        "page": page,
        "pages": max(1, -(-total // ROWS)),
        "sort": sort,
        "dir": direction,
        "q": params.get("q", ""),
        "column": column,
        "value": value,
        "first_row": (page - 1) * ROWS + 1,
    }


def map_columns(fields: list[dict[str, Any]]) -> dict[str, str] | None:
    """The columns a map can draw: a GeoJSON geometry, or latitude and longitude."""
    names = [f["id"] for f in fields]
    if "geometry" in names:
        return {"geometry": "geometry"}
    lat = next((n for n in names if LAT.match(n)), None)
    lon = next((n for n in names if LON.match(n)), None)
    return {"lat": lat, "lon": lon} if lat and lon else None


def resource_page_data(
    session: Session,
    cfg: CatalogConfig,
    dataset_ref: str,
    resource_id: str,
    params: QueryParams,
    actor: Actor = ANONYMOUS,
) -> dict[str, Any]:
    try:
        ds = datasets.show_dataset(session, cfg, actor, dataset_ref)
    except ValidationError as exc:
        raise NotFound("Dataset not found") from exc
    res = next((r for r in ds["resources"] if r["id"] == resource_id), None)
    if res is None:
        raise NotFound("Resource not found")
    table, unavailable, sheets = None, "", []
    if res.get("datastore_active"):
        sheets = readable_sheets(session, cfg, resource_id, actor)
        table_id = params.get("table") or resource_id
        if table_id not in {s["id"] for s in sheets} | {resource_id}:
            raise ValidationError.one("table", "Not a table of this resource")
        try:
            table = preview(session, cfg, table_id, params, actor)
            table["id"] = table_id
        except NotFound as exc:  # not ingested yet, or waiting for its personal-data scan
            unavailable = exc.message
    return {
        "ds": ds,
        "res": res,
        "table": table,
        "unavailable": unavailable,
        "sheets": sheets if len(sheets) > 1 else [],
        "withheld": res["id"] in withheld_resources(session, [ds]),
        "map": map_columns(table["fields"]) if table else None,
        "chart_fields": table["fields"] if table else [],
        "feed": feed_view(session, cfg, res, actor),
        "views": saved_views(session, actor, resource_id),
        "can_edit": not actor.is_anonymous and permissions.can_edit_in(actor, ds.get("owner_org")),
    }


def saved_views(session: Session, actor: Actor, resource_id: str) -> list[dict[str, Any]]:
    """The resource's saved views, each chart with the table its spec reads (the page fetches its rows)."""
    out = []
    for view in views.list_views(session, actor, resource_id):
        if view["view_type"] == "vega-lite":
            view["table_id"] = chart_spec.table_of(view["spec"]["data"])
        out.append(view)
    return out


def page_context(
    services: Services, name: str, resource_id: str, params: QueryParams, visitor: PortalSession | None
) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        actor = actor_in(session, visitor)
        data = resource_page_data(session, services.catalog, name, resource_id, params, actor)
        data["tile_url"] = services.settings.portal_map_tiles_url
        return data


@router.get("/dataset/{name}/resource/{resource_id}")
async def resource_page(request: Request, name: str, resource_id: str) -> Response:
    services: Services = request.app.state.services
    try:
        context = await run_in_threadpool(
            page_context, services, name, resource_id, request.query_params, current(request)
        )
    except NotFound:
        return error_page(request, 404)
    except ValidationError as exc:
        return error_page(request, 400, str(exc))
    partial = request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "preview"
    template = "preview_table.html" if partial else "resource.html"
    return render(request, template, context, headers={"Vary": "HX-Request"})
