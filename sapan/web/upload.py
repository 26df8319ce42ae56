"""Adding data to a dataset: /dataset/{name}/resource/new (a multipart form that works without
JavaScript; with it, static/upload.js sends the same form by XMLHttpRequest and draws the upload's
progress), then /dataset/{name}/resource/{id}/ingest, which follows the ingest job and the
personal-data scan (HTMX polls its status partial) and shows the ingest report."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from sapan.accounts import permissions
from sapan.api.envelope import failure, help_url
from sapan.catalog import datasets, resources
from sapan.datastore import service as datastore
from sapan.db import transaction
from sapan.errors import NotAuthorized, NotFound, PayloadTooLarge, StorageFull, ValidationError
from sapan.services import Services
from sapan.web import csrf, forms, i18n
from sapan.web.auth import login_required
from sapan.web.rendering import error_page, guarded, language_of, refusal_page, render
from sapan.web.session import PortalSession, actor_in

router = APIRouter(include_in_schema=False)
FINISHED = ("done", "failed")


def _dataset(services: Services, visitor: PortalSession, name: str) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        actor = actor_in(session, visitor)
        ds = datasets.show_dataset(session, services.catalog, actor, name)
        permissions.ensure_edit_in(actor, ds["owner_org"], "add resources to this dataset")
        return ds


@router.get("/dataset/{name}/resource/new")
async def upload_form(request: Request, name: str) -> Response:
    visitor = login_required(request)
    services: Services = request.app.state.services
    ds = await guarded(request, _dataset, services, visitor, name)
    if isinstance(ds, Response):
        return ds
    return render(request, "upload.html", upload_context(services, ds, {}, {}))


def upload_context(
    services: Services, ds: dict[str, Any], values: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    """The upload form: the file, a link or both, name and description, then the profile's resource
    fields; the domain's errors next to the profile fields they name, the others above the form."""
    fields = forms.resource_form(services.catalog.profile)
    by_field, general = forms.errors_by_field(errors, fields)
    return {
        "ds": ds,
        "fields": fields,
        "values": values,
        "errors": by_field,
        "general_errors": general,
        "limit_mb": services.settings.max_upload_bytes // (1024 * 1024),
    }


def _create(
    services: Services,
    visitor: PortalSession,
    name: str,
    data: dict[str, Any],
    upload: resources.Upload | None,
) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        actor = actor_in(session, visitor)
        ds = datasets.show_dataset(session, services.catalog, actor, name)
        return resources.create_resource(
            session, services.catalog, actor, {**data, "package_id": ds["id"]}, upload
        )


@router.post("/dataset/{name}/resource/new")
async def upload(request: Request, name: str) -> Response:
    visitor = login_required(request)
    form = await csrf.checked_form(request)
    services: Services = request.app.state.services
    wants_json = "application/json" in request.headers.get("accept", "")  # upload.js
    item = form.get("upload")
    file = item if isinstance(item, UploadFile) and item.filename else None
    values = {k: str(form.get(k) or "").strip() for k in ("name", "description", "url")}
    profile_values = forms.read_resource_form(forms.resource_form(services.catalog.profile), form)
    data = {**{k: v for k, v in values.items() if v}, **profile_values}
    if file is not None:
        data.setdefault("name", resources.safe_filename(file.filename or ""))
    payload = resources.Upload(file.filename or "", file.file, file.content_type) if file else None
    try:
        created = await run_in_threadpool(_create, services, visitor, name, data, payload)
    except ValidationError as exc:
        if wants_json:
            messages = [f"{k}: {m}" for k, found in exc.errors.items() for m in found]
            return JSONResponse({"errors": messages}, status_code=400)
        ds = await guarded(request, _dataset, services, visitor, name)
        if isinstance(ds, Response):
            return ds
        context = upload_context(services, ds, {**values, **profile_values}, exc.errors)
        return render(request, "upload.html", context, status_code=400)
    except StorageFull as exc:  # nothing was kept: the publisher can retry once the operator adds room
        if wants_json:
            return JSONResponse({"errors": [str(exc)]}, status_code=507)
        return error_page(request, 507, str(exc))
    except NotFound:
        return error_page(request, 404)
    except NotAuthorized as exc:
        return refusal_page(request, 403, "forbidden", str(exc))
    finally:
        await form.close()
    location = f"/dataset/{quote(name)}/resource/{created['id']}/ingest"
    if wants_json:
        return JSONResponse({"location": location})
    return RedirectResponse(location, status_code=303)


def ingest_status(services: Services, visitor: PortalSession, name: str, resource_id: str) -> dict[str, Any]:
    """Where the resource's ingest stands: the job's progress, then the report (rows, columns, the
    encoding read) and the personal-data scan's findings, as datastore_info gives them."""
    with transaction(services.sessions) as session:
        actor = actor_in(session, visitor)
        ds = datasets.show_dataset(session, services.catalog, actor, name)
        res = next((r for r in ds["resources"] if r["id"] == resource_id), None)
        if res is None:
            raise NotFound("Resource not found")
        try:
            info = datastore.datastore_info(session, actor, resource_id)
        except NotFound:  # not a table (a PDF, a link): nothing to ingest
            return {"ds": ds, "res": res, "info": None, "finished": True, "scanned": True}
    job = info["ingest"]["job"] or {}
    scan = info["q_index"]
    finished = job.get("state") in FINISHED or (not job and bool(info["ingest"]["error"]))
    failed = job.get("state") == "failed" or bool(info["ingest"]["error"])
    scanned = failed or bool(scan["ready"]) or (scan["job"] or {}).get("state") == "failed"
    findings = (info["personal_data"] or {}).get("findings", [])
    return {
        "ds": ds,
        "res": res,
        "info": info,
        "job": job,
        "report": info["ingest"]["report"],
        "failed": failed,
        "error": info["ingest"]["error"] or job.get("error"),
        "finished": finished,
        "scanned": scanned,
        "findings": findings,
        "rows": info["meta"]["count"],
        "columns": len(info["fields"]),
        "percent": int(round(100 * float(job.get("progress") or 0))),
    }


@router.get("/dataset/{name}/resource/{resource_id}/ingest")
async def ingest_page(request: Request, name: str, resource_id: str) -> Response:
    visitor = login_required(request)
    services: Services = request.app.state.services
    context = await guarded(request, ingest_status, services, visitor, name, resource_id)
    if isinstance(context, Response):
        return context
    partial = request.headers.get("hx-request") == "true"
    template = "ingest_status.html" if partial else "ingest.html"
    return render(request, template, context, headers={"Vary": "HX-Request"})


async def too_large(request: Request, exc: Exception) -> Response:
    """A file over SAPAN_MAX_UPLOAD_MB: a readable 413 (JSON for upload.js), never a 500."""
    services: Services = request.app.state.services
    if request.url.path.startswith(
        "/api/"
    ):  # API routes other than actions (real-time push): CKAN's envelope
        return failure(
            help_url(services.settings.site_url, "api"), PayloadTooLarge(services.settings.max_upload_bytes)
        )
    limit_mb = services.settings.max_upload_bytes // (1024 * 1024)
    template = i18n.translations(language_of(request)).gettext("The file is larger than %(mb)s MB.")
    message = template % {"mb": limit_mb}
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"errors": [message]}, status_code=413)
    return refusal_page(request, 413, "too_large", message)
