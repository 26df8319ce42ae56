"""The publisher's pages: "my datasets" (/dashboard/datasets), the dataset form generated from the
profile (/dataset/new, /dataset/edit/{name}) and publishing. Each write is one domain call with the
logged-in user's Actor (create_dataset, patch_dataset), so the portal refuses what package_create and
package_patch refuse, with the same messages, shown next to the fields."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from sapan.accounts import permissions
from sapan.accounts.service import Actor
from sapan.catalog import datasets, groups, licenses
from sapan.catalog.context import CatalogConfig
from sapan.db import transaction
from sapan.errors import NotAuthorized, ValidationError
from sapan.governance import audit
from sapan.services import Services
from sapan.web import csrf, forms
from sapan.web.auth import login_required
from sapan.web.rendering import guarded, refusal_page, render
from sapan.web.session import PortalSession, actor_in

router = APIRouter(include_in_schema=False)


def editable_organizations(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The organizations this user may put datasets in (editor or admin there; all for sysadmins)."""
    found = groups.list_groups(session, actor, True, all_fields=True)
    return [o for o in found if permissions.can_edit_in(actor, o["id"])]


def form_context(session: Session, cfg: CatalogConfig, actor: Actor) -> dict[str, Any]:
    return {
        "fields": forms.dataset_form(cfg.profile),
        "organizations": editable_organizations(session, actor),
        "licenses": licenses.list_licenses(session),
        "errors": {},
        "general_errors": [],
    }


def _dashboard(services: Services, visitor: PortalSession) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        actor = actor_in(session, visitor)
        return {
            "datasets": datasets.list_editable(session, services.catalog, actor),
            "organizations": editable_organizations(session, actor),
            "sysadmin": actor.sysadmin,
        }


@router.get("/dashboard/datasets")
async def dashboard(request: Request) -> Response:
    visitor = login_required(request)
    services: Services = request.app.state.services
    context = await run_in_threadpool(_dashboard, services, visitor)
    return render(request, "dashboard.html", context)


def _new_form(services: Services, visitor: PortalSession) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        actor = actor_in(session, visitor)
        context = form_context(session, services.catalog, actor)
        context["values"] = {}
        return context


@router.get("/dataset/new")
async def new_dataset_form(request: Request) -> Response:
    visitor = login_required(request)
    services: Services = request.app.state.services
    context = await run_in_threadpool(_new_form, services, visitor)
    if not context["organizations"]:
        return refusal_page(request, 403, "forbidden", "You are not an editor of any organization.")
    return render(request, "dataset_form.html", {**context, "ds": None})


def _create(services: Services, visitor: PortalSession, data: dict[str, Any]) -> dict[str, Any]:
    """Create the dataset private (a draft until published); the form again with errors if refused."""
    try:
        with transaction(services.sessions) as session:
            created = datasets.create_dataset(
                session, services.catalog, actor_in(session, visitor), {**data, "private": True}
            )
            return {"created": created}
    except ValidationError as exc:
        with transaction(services.sessions) as session:
            context = form_context(session, services.catalog, actor_in(session, visitor))
        context["errors"], context["general_errors"] = forms.errors_by_field(exc.errors, context["fields"])
        context["values"] = forms.submitted_values(data)
        return context


@router.post("/dataset/new")
async def create_dataset(request: Request) -> Response:
    visitor = login_required(request)
    form = await csrf.checked_form(request)
    services: Services = request.app.state.services
    data = forms.read_dataset_form(forms.dataset_form(services.catalog.profile), form)
    try:
        context = await run_in_threadpool(_create, services, visitor, data)
    except NotAuthorized as exc:
        return refusal_page(request, 403, "forbidden", str(exc))
    if "created" in context:
        name = quote(context["created"]["name"])
        return RedirectResponse(f"/dataset/{name}/resource/new", status_code=303)
    return render(request, "dataset_form.html", {**context, "ds": None}, status_code=400)


def _edit_form(services: Services, visitor: PortalSession, name: str) -> dict[str, Any]:
    with transaction(services.sessions) as session:
        actor = actor_in(session, visitor)
        ds = datasets.show_dataset(session, services.catalog, actor, name)
        permissions.ensure_edit_in(actor, ds["owner_org"], "update this dataset")
        context = form_context(session, services.catalog, actor)
        return {**context, "ds": ds, "values": forms.form_values(ds)}


async def _edit_page(request: Request, name: str, extra: dict[str, Any], status_code: int = 200) -> Response:
    visitor = login_required(request)
    services: Services = request.app.state.services
    context = await guarded(request, _edit_form, services, visitor, name)
    if isinstance(context, Response):
        return context
    return render(request, "dataset_form.html", {**context, **extra}, status_code=status_code)


@router.get("/dataset/edit/{name}")
async def edit_dataset_form(request: Request, name: str) -> Response:
    return await _edit_page(request, name, {})


def _patch(services: Services, visitor: PortalSession, name: str, data: dict[str, Any]) -> dict[str, Any]:
    """package_patch with what the form holds; the form again with errors if refused."""
    try:
        with transaction(services.sessions) as session:
            actor = actor_in(session, visitor)
            current = datasets.show_dataset(session, services.catalog, actor, name)
            changed = datasets.patch_dataset(session, services.catalog, actor, {**data, "id": current["id"]})
            return {"changed": changed}
    except ValidationError as exc:
        with transaction(services.sessions) as session:
            actor = actor_in(session, visitor)
            context = form_context(session, services.catalog, actor)
            context["ds"] = datasets.show_dataset(session, services.catalog, actor, name)
        context["errors"], context["general_errors"] = forms.errors_by_field(exc.errors, context["fields"])
        context["values"] = forms.submitted_values(data)
        return context


@router.post("/dataset/edit/{name}")
async def edit_dataset(request: Request, name: str) -> Response:
    visitor = login_required(request)
    form = await csrf.checked_form(request)
    services: Services = request.app.state.services
    data = forms.read_dataset_form(forms.dataset_form(services.catalog.profile), form)
    context = await guarded(request, _patch, services, visitor, name, data)
    if isinstance(context, Response):
        return context
    if "changed" in context:
        return RedirectResponse(f"/dataset/{quote(context['changed']['name'])}", status_code=303)
    return render(request, "dataset_form.html", context, status_code=400)


def _set_private(services: Services, visitor: PortalSession, name: str, private: bool) -> list[str]:
    """package_patch private=…: the governance checks (personal data, classification, licence) are
    the domain's; their refusals come back as readable messages."""
    data = {"id": name, "private": private}
    actor_name = visitor.user_name
    try:
        with transaction(services.sessions) as session:
            actor = actor_in(session, visitor)
            datasets.patch_dataset(session, services.catalog, actor, data)
        return []
    except ValidationError as exc:
        # a refused publication is a security event, audited as the API audits it
        if event := audit.refusal(exc, False, True, actor_name, "package_patch", data):
            with transaction(services.sessions) as session:
                audit.record(session, *event)
        return [str(m) for messages in exc.errors.values() for m in messages]


async def _visibility(request: Request, name: str, private: bool) -> Response:
    visitor = login_required(request)
    await csrf.checked_form(request)
    services: Services = request.app.state.services
    refusals = await guarded(request, _set_private, services, visitor, name, private)
    if isinstance(refusals, Response):
        return refusals
    if refusals:
        return await _edit_page(request, name, {"publish_refusals": refusals}, status_code=409)
    return RedirectResponse(f"/dataset/{quote(name)}", status_code=303)


@router.post("/dataset/{name}/publish")
async def publish(request: Request, name: str) -> Response:
    return await _visibility(request, name, private=False)


@router.post("/dataset/{name}/unpublish")
async def unpublish(request: Request, name: str) -> Response:
    return await _visibility(request, name, private=True)
