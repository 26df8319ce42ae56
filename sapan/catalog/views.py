"""Resource views (CKAN's resource_view_*): saved ways to show a resource — a Vega-Lite chart over its
DataStore table ("vega-lite", the portal's "Save as view"), or the table itself ("datatables_view").
Reads follow the dataset's visibility (a private dataset's views are 404 to outsiders); writes need
edit rights in its organization. Dicts have CKAN's shape: the view's config keys at the top level."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sapan.accounts import permissions
from sapan.accounts.service import Actor
from sapan.catalog import chart_spec
from sapan.catalog.models import Resource, ResourceView
from sapan.catalog.resources import get_resource
from sapan.datastore.models import DatastoreTable
from sapan.errors import NotFound, ValidationError, json_object

VIEW_TYPES = ("vega-lite", "datatables_view")
CORE_KEYS = frozenset(
    {"id", "resource_id", "package_id", "title", "description", "view_type", "order", "config"}
)
MAX_TITLE = 200
MAX_DESCRIPTION = 2000


def view_dict(view: ResourceView, package_id: str) -> dict[str, Any]:
    return {
        **(view.config or {}),
        "id": view.id,
        "resource_id": view.resource_id,
        "package_id": package_id,
        "title": view.title,
        "description": view.description,
        "view_type": view.view_type,
        "order": view.order,
    }


def _columns(session: Session, resource_id: str) -> dict[str, list[str]]:
    """The resource's DataStore tables (one per sheet) -> their column names."""
    found = session.scalars(select(DatastoreTable).where(DatastoreTable.resource_id == resource_id))
    return {t.id: [f["id"] for f in t.fields or []] for t in found}


def _text(data: dict[str, Any], key: str, limit: int, required: bool = False) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ValidationError.one(key, "Missing value")
        return ""
    if not isinstance(value, str):
        raise ValidationError.one(key, "Must be a string")
    value = value.strip()
    if required and not value:
        raise ValidationError.one(key, "Missing value")
    if len(value) > limit:
        raise ValidationError.one(key, f"Must be at most {limit} characters")
    return value


def _config(session: Session, res: Resource, view_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The view type's settings: CKAN keeps a view's extra keys as its config; `config` (an object
    or JSON text) is read too."""
    given = {k: v for k, v in data.items() if k not in CORE_KEYS}
    if data.get("config") not in (None, ""):
        given = {**json_object(data["config"], "config"), **given}
    if view_type == "datatables_view":
        unknown = sorted(set(given) - {"filterable", "responsive"})
        if unknown:
            raise ValidationError.one(unknown[0], "Not a setting of a table view")
        if any(not isinstance(v, bool) for v in given.values()):
            raise ValidationError.one(
                next(k for k, v in given.items() if not isinstance(v, bool)), "Must be true or false"
            )
        return given
    unknown = sorted(set(given) - {"spec"})
    if unknown:
        raise ValidationError.one(unknown[0], "Not a setting of a chart view")
    if given.get("spec") in (None, ""):
        raise ValidationError.one("spec", "Missing value")
    tables = _columns(session, res.id)
    if not tables:
        raise ValidationError.one("resource_id", "This resource has no DataStore table to chart")
    return {"spec": chart_spec.checked_spec(given["spec"], tables)}


def _view(session: Session, actor: Actor, ref: Any) -> tuple[ResourceView, Resource, str]:
    if not isinstance(ref, str) or not ref:
        raise ValidationError.one("id", "Missing value")
    view = session.get(ResourceView, ref)
    if view is None:
        raise NotFound("Resource view not found")
    try:
        res, ds = get_resource(session, actor, view.resource_id)
    except NotFound as exc:
        raise NotFound("Resource view not found") from exc
    return view, res, ds.owner_org or ""


def create_view(session: Session, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """resource_view_create: resource_id, title, view_type, description, and the type's config
    (a chart's `spec`). NotFound, NotAuthorized (not an editor), ValidationError naming the field."""
    if not isinstance(data.get("resource_id"), str) or not data["resource_id"]:
        raise ValidationError.one("resource_id", "Missing value")
    res, ds = get_resource(session, actor, data["resource_id"])
    permissions.ensure_edit_in(actor, ds.owner_org, "add views to this resource")
    title = _text(data, "title", MAX_TITLE, required=True)
    view_type = data.get("view_type")
    if view_type not in VIEW_TYPES:
        raise ValidationError.one("view_type", f"Must be one of: {', '.join(VIEW_TYPES)}")
    config = _config(session, res, view_type, data)
    last = session.scalar(select(func.max(ResourceView.order)).where(ResourceView.resource_id == res.id))
    view = ResourceView(
        resource_id=res.id,
        title=title,
        description=_text(data, "description", MAX_DESCRIPTION),
        view_type=view_type,
        order=0 if last is None else last + 1,
        config=config,
    )
    session.add(view)
    session.flush()
    return view_dict(view, ds.id)


def show_view(session: Session, actor: Actor, ref: Any) -> dict[str, Any]:
    view, res, _ = _view(session, actor, ref)
    return view_dict(view, res.package_id)


def list_views(session: Session, actor: Actor, resource_id: Any) -> list[dict[str, Any]]:
    """A resource's views in their order."""
    if not isinstance(resource_id, str) or not resource_id:
        raise ValidationError.one("id", "Missing value")
    res, _ = get_resource(session, actor, resource_id)
    found = session.scalars(
        select(ResourceView)
        .where(ResourceView.resource_id == res.id)
        .order_by(ResourceView.order, ResourceView.id)
    )
    return [view_dict(v, res.package_id) for v in found]


def update_view(session: Session, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """resource_view_update: replaces the title, description and config (CKAN's semantics); the
    resource and the view type stay."""
    view, res, owner = _view(session, actor, data.get("id"))
    permissions.ensure_edit_in(actor, owner, "update this view")
    title = _text(data, "title", MAX_TITLE, required=True)
    description = _text(data, "description", MAX_DESCRIPTION)
    config = _config(session, res, view.view_type, {**data, "view_type": view.view_type})
    view.title, view.description, view.config = title, description, config
    session.flush()
    return view_dict(view, res.package_id)


def delete_view(session: Session, actor: Actor, ref: Any) -> None:
    view, _, owner = _view(session, actor, ref)
    permissions.ensure_edit_in(actor, owner, "delete this view")
    session.delete(view)
    session.flush()
